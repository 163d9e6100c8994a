/*
 * scan.c - the incremental injection-point scanner (see scan.h).
 *
 * A byte-at-a-time state machine that knows just enough HTML to avoid the
 * usual false hits: a "<body>" or "<!--doanra-->" inside a comment, inside
 * a quoted attribute value, or inside <script>/<style>/<textarea> raw text
 * is not the real thing.  Text between tags is skipped with memchr, so the
 * cost is one pass over the bytes with no copying.
 */
#include "scan.h"

#include "doanra.h"

#include <string.h>

enum {
    S_TEXT = 0,
    S_LT,        /* after '<' */
    S_BANG,      /* after "<!" */
    S_BANG_DASH, /* after "<!-" */
    S_COMMENT,   /* inside "<!--" ... */
    S_DECL,      /* <!DOCTYPE ...>, <?xml ...>, bogus comment: up to '>' */
    S_TAGNAME,
    S_ATTRS,
    S_AFTER_EQ,
    S_QUOTED,
    S_RAW /* raw text of script/style/textarea/...: up to its end tag */
};

/* Elements whose content is not markup: a "<body" or a marker inside them
 * is text.  title and textarea are RCDATA, which is the same for us. */
static const char *const raw_elements[] = {"script",  "style",    "textarea",
                                           "title",   "xmp",      "iframe",
                                           "noembed", "noframes", NULL};

#define MARKER "doanra"

void doanra_scan_init(doanra_scan *s)
{
    memset(s, 0, sizeof(*s));
    s->body_end = -1;
    s->marker_start = -1;
    s->marker_end = -1;
    s->state = S_TEXT;
}

/* Is the comment text seen (without the closing "--") the marker?  White
 * space around the word is tolerated, letter case is not significant. */
static int comment_is_marker(const doanra_scan *s)
{
    apr_size_t n, b = 0, e;

    if (s->nlen < 2 || s->nlen > sizeof(s->name))
        return 0;    /* too short, or longer than we kept */
    n = s->nlen - 2; /* drop the "--" of "-->" */
    e = n;
    while (b < e && doanra_html_space(s->name[b]))
        b++;
    while (e > b && doanra_html_space(s->name[e - 1]))
        e--;
    if (e - b != sizeof(MARKER) - 1)
        return 0;
    for (apr_size_t i = 0; i < e - b; i++)
        if (doanra_ascii_lower(s->name[b + i]) != MARKER[i])
            return 0;
    return 1;
}

/* A start or end tag's '>' at offset at. */
static void tag_end(doanra_scan *s, apr_off_t at)
{
    s->state = S_TEXT;
    if (s->is_end || s->nlen >= sizeof(s->name))
        return;
    s->name[s->nlen] = '\0';
    if (s->body_end < 0 && strcmp(s->name, "body") == 0) {
        s->body_end = at + 1;
        return;
    }
    for (int i = 0; raw_elements[i]; i++) {
        if (strcmp(s->name, raw_elements[i]) == 0) {
            s->raw = raw_elements[i];
            s->rawmatch = 0;
            s->state = S_RAW;
            return;
        }
    }
}

apr_size_t doanra_scan_feed(doanra_scan *s, const char *buf, apr_size_t len)
{
    apr_size_t i = 0;

    if (s->marker_end >= 0)
        return 0;
    while (i < len) {
        char c = buf[i];
        apr_off_t at = s->pos + (apr_off_t)i;

        switch (s->state) {
        case S_TEXT: {
            const char *lt = memchr(buf + i, '<', len - i);
            if (!lt) {
                i = len;
                continue;
            }
            i = (apr_size_t)(lt - buf);
            s->lt = s->pos + (apr_off_t)i;
            s->state = S_LT;
            break;
        }
        case S_LT:
            if (c == '!') {
                s->state = S_BANG;
            } else if (c == '/') {
                s->state = S_TAGNAME;
                s->is_end = 1;
                s->nlen = 0;
            } else if (doanra_ascii_alpha(c)) {
                s->state = S_TAGNAME;
                s->is_end = 0;
                s->name[0] = doanra_ascii_lower(c);
                s->nlen = 1;
            } else if (c == '?') {
                s->state = S_DECL;
            } else if (c == '<') {
                s->lt = at;
            } else {
                s->state = S_TEXT;
            }
            break;
        case S_BANG:
            s->state = c == '-' ? S_BANG_DASH : c == '>' ? S_TEXT : S_DECL;
            break;
        case S_BANG_DASH:
            if (c == '-') {
                s->state = S_COMMENT;
                s->nlen = 0;
                s->dashes = 0;
            } else {
                s->state = c == '>' ? S_TEXT : S_DECL;
            }
            break;
        case S_COMMENT:
            if (c == '>' && (s->dashes >= 2 || s->nlen == s->dashes)) {
                /* "-->", or the degenerate "<!-->" / "<!--->" */
                if (comment_is_marker(s)) {
                    s->marker_start = s->lt;
                    s->marker_end = at + 1;
                    s->pos += (apr_off_t)i + 1;
                    s->state = S_TEXT;
                    return i + 1;
                }
                s->state = S_TEXT;
                break;
            }
            s->dashes = c == '-' ? s->dashes + 1 : 0;
            if (s->nlen < sizeof(s->name))
                s->name[s->nlen] = c;
            if (s->nlen <= sizeof(s->name))
                s->nlen++;
            break;
        case S_DECL:
            if (c == '>')
                s->state = S_TEXT;
            break;
        case S_TAGNAME:
            if (c == '>') {
                tag_end(s, at);
            } else if (doanra_html_space(c) || c == '/') {
                s->state = S_ATTRS;
            } else if (s->nlen < sizeof(s->name)) {
                s->name[s->nlen++] = doanra_ascii_lower(c);
            } else {
                s->nlen = sizeof(s->name); /* too long: no name we know */
            }
            break;
        case S_ATTRS:
            if (c == '>')
                tag_end(s, at);
            else if (c == '=')
                s->state = S_AFTER_EQ;
            break;
        case S_AFTER_EQ:
            if (c == '"' || c == '\'') {
                s->quote = c;
                s->state = S_QUOTED;
            } else if (c == '>') {
                tag_end(s, at);
            } else if (!doanra_html_space(c)) {
                s->state = S_ATTRS; /* unquoted value */
            }
            break;
        case S_QUOTED:
            if (c == s->quote)
                s->state = S_ATTRS;
            break;
        case S_RAW: {
            /* Looking for "</" + raw, any letter case. */
            apr_size_t want = s->rawmatch;
            char w = want == 0 ? '<' : want == 1 ? '/' : s->raw[want - 2];
            if (doanra_ascii_lower(c) == w) {
                s->rawmatch++;
                if (s->rawmatch == strlen(s->raw) + 2) {
                    /* The end tag: skip its rest up to '>'. */
                    s->is_end = 1;
                    s->nlen = 0;
                    s->state = S_ATTRS;
                }
            } else {
                s->rawmatch = c == '<' ? 1 : 0;
            }
            break;
        }
        }
        i++;
    }
    s->pos += (apr_off_t)len;
    return len;
}

apr_off_t doanra_scan_point(const char *html, apr_size_t len)
{
    doanra_scan s;

    doanra_scan_init(&s);
    doanra_scan_feed(&s, html, len);
    if (s.marker_end >= 0)
        return s.marker_end;
    if (s.body_end >= 0)
        return s.body_end;
    return 0;
}
