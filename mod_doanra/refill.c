/*
 * refill.c - fill a blocked submission back into the form page, so nothing
 * the official typed is lost (SPEC section 4, DoanraFormPage).
 *
 * The page is walked once by a small tolerant HTML tokenizer and copied
 * through as a list of slices of the original; only a few things change:
 *
 *   - <input> (text-like types, hidden; no type = text): value set to the
 *     n-th submitted value of its name, where the n-th control named `x` or
 *     `x[]` takes the n-th value of `x` or `x[]` (rows stay in order);
 *   - checkbox and radio: `checked` iff a submitted value of that name
 *     equals the control's value ("on" when it has none);
 *   - <textarea>: content replaced; <select>: `selected` moved to the
 *     option(s) whose value (or text) was submitted;
 *   - password and file inputs are never filled;
 *   - a control a finding is about gets aria-invalid and aria-describedby
 *     pointing at a message placed right after it;
 *   - the result block goes to the injection point.
 *
 * Everything inserted is escaped with doanra_html_escape and double-quoted.
 * Markup the tokenizer does not understand is copied through untouched; an
 * unterminated tag, comment or raw-text element ends the walk (the rest is
 * copied), which keeps the work linear in the page size whatever the input.
 */
#include "doanra.h"

#include <apr_hash.h>

#include <string.h>
#include <strings.h>

typedef struct {
    const char *p;
    apr_size_t n;
} slice;

typedef struct {
    apr_size_t name_b, name_e; /* attribute name */
    apr_size_t val_b, val_e;   /* raw value without quotes */
    int has_val;
    apr_size_t span_b, span_e; /* leading white space .. end of value */
} attr;

typedef struct {
    apr_size_t b, name_e, e; /* '<', end of the tag name, just after '>' */
    char name[16];           /* lower case, "" when too long */
    apr_array_header_t *attrs;
} tag;

typedef struct {
    apr_pool_t *p;
    const char *h;
    apr_size_t len;
    apr_array_header_t *out; /* slice */
    apr_size_t copied;       /* h[0..copied) is emitted or dropped */
    apr_hash_t *values;      /* base name -> apr_array of const char * */
    apr_hash_t *fill_seen;   /* base name -> int *: value controls seen */
    apr_hash_t *check_seen;  /* base name -> int *: checkables seen */
    const apr_array_header_t *findings;
    const char **finding_base; /* base name of each finding's field */
    int msg_id;
    int marker_at, body_at; /* index in out where the block may go, or -1 */
} refill;

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */
/* ------------------------------------------------------------------ */

static void emit(refill *rf, const char *s, apr_size_t n)
{
    if (n) {
        slice *sl = apr_array_push(rf->out);
        sl->p = s;
        sl->n = n;
    }
}

static void emit_str(refill *rf, const char *s)
{
    emit(rf, s, strlen(s));
}

/* Copy the original up to x. */
static void flush_to(refill *rf, apr_size_t x)
{
    if (x > rf->copied) {
        emit(rf, rf->h + rf->copied, x - rf->copied);
        rf->copied = x;
    }
}

/* Case-insensitive search for the end tag "</name" from i; len if none. */
static apr_size_t find_end_tag(const refill *rf, apr_size_t i, const char *name)
{
    apr_size_t n = strlen(name);

    while (i < rf->len) {
        const char *lt = memchr(rf->h + i, '<', rf->len - i);
        if (!lt)
            return rf->len;
        i = (apr_size_t)(lt - rf->h);
        if (i + 2 + n <= rf->len && rf->h[i + 1] == '/' &&
            strncasecmp(rf->h + i + 2, name, n) == 0)
            return i;
        i++;
    }
    return rf->len;
}

/* The first "-->" in h[from..len), or NULL. */
static const char *find_comment_end(const char *h, apr_size_t from,
                                    apr_size_t len)
{
    while (from + 3 <= len) {
        const char *d = memchr(h + from, '-', len - from);
        if (!d || (apr_size_t)(d - h) + 3 > len)
            return NULL;
        if (d[1] == '-' && d[2] == '>')
            return d;
        from = (apr_size_t)(d - h) + 1;
    }
    return NULL;
}

/* Just after the '>' at or after i; 0 if there is none. */
static apr_size_t after_gt(const refill *rf, apr_size_t i)
{
    const char *gt = i < rf->len ? memchr(rf->h + i, '>', rf->len - i) : NULL;
    return gt ? (apr_size_t)(gt - rf->h) + 1 : 0;
}

/* UTF-8 encode code point cp into o; returns bytes written. */
static apr_size_t put_utf8(char *o, unsigned long cp)
{
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = 0xFFFD;
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decode the character references of an attribute value or option text
 * (the common named ones and numeric ones), so values compare with what
 * the browser submitted.  The result is never longer than the input. */
static const char *decode(apr_pool_t *p, const char *s, apr_size_t n)
{
    static const struct {
        const char *name;
        char c;
    } named[] = {{"amp;", '&'},  {"lt;", '<'},    {"gt;", '>'},
                 {"quot;", '"'}, {"apos;", '\''}, {NULL, 0}};
    char *out = apr_palloc(p, n + 1), *o = out;
    apr_size_t i = 0;

    while (i < n) {
        if (s[i] != '&') {
            *o++ = s[i++];
            continue;
        }
        if (i + 2 < n && s[i + 1] == '#') {
            apr_size_t j = i + 2;
            unsigned long cp = 0;
            int hex = 0, digits = 0;
            if (s[j] == 'x' || s[j] == 'X') {
                hex = 1;
                j++;
            }
            for (; j < n && digits < 8; j++, digits++) {
                char c = doanra_ascii_lower(s[j]);
                if (c >= '0' && c <= '9')
                    cp = cp * (hex ? 16 : 10) + (unsigned long)(c - '0');
                else if (hex && c >= 'a' && c <= 'f')
                    cp = cp * 16 + (unsigned long)(c - 'a' + 10);
                else
                    break;
            }
            if (digits && j < n && s[j] == ';') {
                /* a 4-byte sequence fits in "&#N;" (at least 4 bytes) */
                o += put_utf8(o, cp);
                i = j + 1;
                continue;
            }
        } else if (i + 6 <= n && memcmp(s + i + 1, "nbsp;", 5) == 0) {
            o += put_utf8(o, 0xA0);
            i += 6;
            continue;
        } else {
            int k;
            for (k = 0; named[k].name; k++) {
                apr_size_t l = strlen(named[k].name);
                if (i + 1 + l <= n && strncmp(s + i + 1, named[k].name, l) == 0)
                    break;
            }
            if (named[k].name) {
                *o++ = named[k].c;
                i += 1 + strlen(named[k].name);
                continue;
            }
        }
        *o++ = s[i++];
    }
    *o = '\0';
    return out;
}

/* A field or control name without a trailing "[]". */
static const char *base_name(apr_pool_t *p, const char *name)
{
    apr_size_t n = strlen(name);
    if (n >= 2 && name[n - 2] == '[' && name[n - 1] == ']')
        return apr_pstrmemdup(p, name, n - 2);
    return name;
}

/* Post-increment the counter of name in h. */
static int next_index(apr_pool_t *p, apr_hash_t *h, const char *name)
{
    int *n = apr_hash_get(h, name, APR_HASH_KEY_STRING);
    if (!n) {
        n = apr_pcalloc(p, sizeof(*n));
        apr_hash_set(h, name, APR_HASH_KEY_STRING, n);
    }
    return (*n)++;
}

/* ------------------------------------------------------------------ */
/* Tags                                                                 */
/* ------------------------------------------------------------------ */

/* Parse the start tag at rf->h[b] == '<' (followed by a letter).  Returns 0
 * when the tag does not end before the page does. */
static int parse_tag(const refill *rf, apr_size_t b, tag *t)
{
    const char *h = rf->h;
    apr_size_t len = rf->len, j = b + 1, k = 0;

    t->b = b;
    apr_array_clear(t->attrs);
    while (j < len && !doanra_html_space(h[j]) && h[j] != '>' && h[j] != '/') {
        if (k < sizeof(t->name) - 1)
            t->name[k++] = doanra_ascii_lower(h[j]);
        else
            k = sizeof(t->name); /* too long: a name we do not know */
        j++;
    }
    t->name[k < sizeof(t->name) ? k : 0] = '\0';
    t->name_e = j;
    for (;;) {
        apr_size_t ws = j;
        attr *a;
        while (j < len && (doanra_html_space(h[j]) || h[j] == '/'))
            j++;
        if (j >= len)
            return 0;
        if (h[j] == '>') {
            t->e = j + 1;
            return 1;
        }
        a = apr_array_push(t->attrs);
        a->name_b = j;
        while (j < len && !doanra_html_space(h[j]) && h[j] != '>' &&
               h[j] != '/' && !(h[j] == '=' && j > a->name_b))
            j++;
        a->name_e = j;
        a->span_b = a->name_b;
        while (a->span_b > ws && doanra_html_space(h[a->span_b - 1]))
            a->span_b--;
        a->has_val = 0;
        a->val_b = a->val_e = a->span_e = j;
        while (j < len && doanra_html_space(h[j]))
            j++;
        if (j < len && h[j] == '=') {
            j++;
            while (j < len && doanra_html_space(h[j]))
                j++;
            if (j >= len)
                return 0;
            a->has_val = 1;
            if (h[j] == '"' || h[j] == '\'') {
                const char *q = memchr(h + j + 1, h[j], len - j - 1);
                if (!q)
                    return 0;
                a->val_b = j + 1;
                a->val_e = (apr_size_t)(q - h);
                j = a->val_e + 1;
            } else {
                a->val_b = j;
                while (j < len && !doanra_html_space(h[j]) && h[j] != '>')
                    j++;
                a->val_e = j;
            }
            a->span_e = j;
        } else {
            j = a->name_e; /* the white space belongs to the next one */
        }
    }
}

static const attr *find_attr(const refill *rf, const tag *t, const char *name)
{
    apr_size_t n = strlen(name);
    for (int i = 0; i < t->attrs->nelts; i++) {
        const attr *a = &APR_ARRAY_IDX(t->attrs, i, attr);
        if (a->name_e - a->name_b == n &&
            strncasecmp(rf->h + a->name_b, name, n) == 0)
            return a;
    }
    return NULL;
}

/* The decoded value of an attribute, "" when it has none, NULL if absent. */
static const char *attr_value(const refill *rf, const tag *t, const char *name)
{
    const attr *a = find_attr(rf, t, name);
    if (!a)
        return NULL;
    return decode(rf->p, rf->h + a->val_b, a->val_e - a->val_b);
}

static int in_list(const char *s, const char *const *list)
{
    for (; list && *list; list++)
        if (strcasecmp(s, *list) == 0)
            return 1;
    return 0;
}

/* Copy tag t with the attributes named in drop removed and add (already
 * escaped, starting with a space) inserted after the tag name. */
static void rewrite_tag(refill *rf, const tag *t, const char *add,
                        const char *const *drop)
{
    flush_to(rf, t->name_e);
    emit_str(rf, add);
    for (int i = 0; i < t->attrs->nelts; i++) {
        const attr *a = &APR_ARRAY_IDX(t->attrs, i, attr);
        char nm[32];
        apr_size_t n = a->name_e - a->name_b;
        if (n >= sizeof(nm))
            continue;
        memcpy(nm, rf->h + a->name_b, n);
        nm[n] = '\0';
        if (in_list(nm, drop)) {
            flush_to(rf, a->span_b);
            rf->copied = a->span_e;
        }
    }
    flush_to(rf, t->e);
}

/* ------------------------------------------------------------------ */
/* Findings beside controls                                             */
/* ------------------------------------------------------------------ */

typedef struct {
    const char *attrs; /* " aria-invalid=... aria-describedby=..." or "" */
    const char *msgs;  /* the message spans, or "" */
} marks;

/* The findings about the control `base` at occurrence idx (0-based): row
 * findings match row idx + 1, field-level ones (row 0) the first control. */
static marks mark_control(refill *rf, const tag *t, const char *base, int idx)
{
    marks m = {"", ""};
    const char *ids = NULL, *msgs = "";

    for (int i = 0; rf->findings && i < rf->findings->nelts; i++) {
        const doanra_finding *f =
            &APR_ARRAY_IDX(rf->findings, i, doanra_finding);
        if (!rf->finding_base[i] || strcmp(rf->finding_base[i], base) != 0)
            continue;
        if (f->row > 0 ? f->row != idx + 1 : idx != 0)
            continue;
        rf->msg_id++;
        ids = ids ? apr_psprintf(rf->p, "%s doanra-msg-%d", ids, rf->msg_id)
                  : apr_psprintf(rf->p, "doanra-msg-%d", rf->msg_id);
        msgs = apr_pstrcat(
            rf->p, msgs,
            apr_psprintf(rf->p,
                         "<span class=\"doanra-field-msg\" id=\"doanra-msg-%d\""
                         " role=\"alert\">%s</span>",
                         rf->msg_id, doanra_html_escape(rf->p, f->message)),
            NULL);
    }
    if (ids) {
        const char *old = attr_value(rf, t, "aria-describedby");
        if (old && *old)
            ids = apr_pstrcat(rf->p, ids, " ", old, NULL);
        m.attrs =
            apr_pstrcat(rf->p, " aria-invalid=\"true\" aria-describedby=\"",
                        doanra_html_escape(rf->p, ids), "\"", NULL);
        m.msgs = msgs;
    }
    return m;
}

static const char *const aria_attrs[] = {"aria-invalid", "aria-describedby",
                                         NULL};

/* ------------------------------------------------------------------ */
/* Controls                                                             */
/* ------------------------------------------------------------------ */

/* Input types whose value attribute is what the user typed or chose. */
static const char *const fill_types[] = {
    "text",  "search",         "email", "tel",    "url",
    "date",  "month",          "week",  "time",   "number",
    "range", "datetime-local", "color", "hidden", NULL};

static const apr_array_header_t *values_of(const refill *rf, const char *base)
{
    return apr_hash_get(rf->values, base, APR_HASH_KEY_STRING);
}

static void do_input(refill *rf, const tag *t)
{
    const char *name = attr_value(rf, t, "name");
    const char *type = attr_value(rf, t, "type");
    const char *base, *add = "";
    const apr_array_header_t *vals;
    const char *drop[5] = {NULL};
    int nd = 0, idx;
    marks m;

    if (!name || !*name)
        return;
    base = base_name(rf->p, name);
    vals = values_of(rf, base);
    if (!type || !*type)
        type = "text";

    if (strcasecmp(type, "checkbox") == 0 || strcasecmp(type, "radio") == 0) {
        const char *v = attr_value(rf, t, "value");
        int on = 0;
        if (!v)
            v = "on";
        for (int i = 0; vals && i < vals->nelts; i++)
            if (strcmp(APR_ARRAY_IDX(vals, i, const char *), v) == 0)
                on = 1;
        idx = next_index(rf->p, rf->check_seen, base);
        drop[nd++] = "checked";
        if (on)
            add = " checked";
    } else if (in_list(type, fill_types)) {
        idx = next_index(rf->p, rf->fill_seen, base);
        if (vals && idx < vals->nelts) {
            drop[nd++] = "value";
            add =
                apr_pstrcat(rf->p, " value=\"",
                            doanra_html_escape(
                                rf->p, APR_ARRAY_IDX(vals, idx, const char *)),
                            "\"", NULL);
        }
    } else {
        return; /* password, file, buttons: never filled, left alone */
    }
    m = mark_control(rf, t, base, idx);
    if (*m.attrs) {
        drop[nd++] = aria_attrs[0];
        drop[nd++] = aria_attrs[1];
        add = apr_pstrcat(rf->p, add, m.attrs, NULL);
    }
    if (!*add && !nd)
        return;
    rewrite_tag(rf, t, add, drop);
    emit_str(rf, m.msgs);
}

/* <textarea> at t; returns where the walk goes on. */
static apr_size_t do_textarea(refill *rf, const tag *t)
{
    const char *name = attr_value(rf, t, "name");
    apr_size_t close_b = find_end_tag(rf, t->e, "textarea"), close_e;
    const apr_array_header_t *vals;
    const char *base;
    int idx;
    marks m;

    close_e = close_b < rf->len ? after_gt(rf, close_b) : 0;
    if (!close_e)
        close_e = rf->len;
    if (!name || !*name)
        return close_e;
    base = base_name(rf->p, name);
    vals = values_of(rf, base);
    idx = next_index(rf->p, rf->fill_seen, base);
    m = mark_control(rf, t, base, idx);
    if (*m.attrs)
        rewrite_tag(rf, t, m.attrs, aria_attrs);
    if (vals && idx < vals->nelts) {
        const char *v = APR_ARRAY_IDX(vals, idx, const char *);
        flush_to(rf, t->e);
        /* A newline right after <textarea> is dropped by parsers: double
         * it so a value starting with one keeps it. */
        if (v[0] == '\n' || (v[0] == '\r' && v[1] == '\n'))
            emit_str(rf, "\n");
        emit_str(rf, doanra_html_escape(rf->p, v));
        rf->copied = close_b;
    }
    flush_to(rf, close_e);
    emit_str(rf, m.msgs);
    return close_e;
}

/* The text of the option whose start tag ends at e, as browsers submit it
 * when there is no value attribute: references decoded, white space
 * stripped and collapsed. */
static const char *option_text(const refill *rf, apr_size_t e)
{
    const char *lt = e < rf->len ? memchr(rf->h + e, '<', rf->len - e) : NULL;
    apr_size_t end = lt ? (apr_size_t)(lt - rf->h) : rf->len;
    const char *d = decode(rf->p, rf->h + e, end - e);
    char *out = apr_palloc(rf->p, strlen(d) + 1), *o = out;
    int sp = 0;

    for (; *d; d++) {
        if (doanra_html_space(*d)) {
            sp = o > out;
            continue;
        }
        if (sp)
            *o++ = ' ';
        sp = 0;
        *o++ = *d;
    }
    *o = '\0';
    return out;
}

/* <select> at t; walks its options, returns where the walk goes on. */
static apr_size_t do_select(refill *rf, tag *t)
{
    const char *name = attr_value(rf, t, "name");
    int multiple = find_attr(rf, t, "multiple") != NULL;
    const apr_array_header_t *vals = NULL;
    const apr_array_header_t *chosen = NULL; /* NULL: options untouched */
    static const char *const drop_selected[] = {"selected", NULL};
    const char *base = NULL;
    apr_size_t i = t->e;
    int idx = 0, done = 0;
    marks m = {"", ""};

    if (name && *name) {
        base = base_name(rf->p, name);
        vals = values_of(rf, base);
        idx = next_index(rf->p, rf->fill_seen, base);
        if (vals && multiple) {
            chosen = vals;
        } else if (vals && idx < vals->nelts) {
            apr_array_header_t *one =
                apr_array_make(rf->p, 1, sizeof(const char *));
            APR_ARRAY_PUSH(one, const char *) =
                APR_ARRAY_IDX(vals, idx, const char *);
            chosen = one;
        }
        m = mark_control(rf, t, base, idx);
        if (*m.attrs)
            rewrite_tag(rf, t, m.attrs, aria_attrs);
    }

    while (i < rf->len) {
        const char *lt = memchr(rf->h + i, '<', rf->len - i);
        if (!lt)
            break;
        i = (apr_size_t)(lt - rf->h);
        if (i + 1 < rf->len && rf->h[i + 1] == '/') {
            apr_size_t e = after_gt(rf, i);
            if (!e)
                break;
            if (rf->len - i >= 8 &&
                strncasecmp(rf->h + i + 2, "select", 6) == 0) {
                flush_to(rf, e);
                emit_str(rf, m.msgs);
                return e;
            }
            i = e;
        } else if (i + 3 < rf->len && strncmp(rf->h + i, "<!--", 4) == 0) {
            const char *end = find_comment_end(rf->h, i + 4, rf->len);
            if (!end)
                break;
            i = (apr_size_t)(end - rf->h) + 3;
        } else if (i + 1 < rf->len && doanra_ascii_alpha(rf->h[i + 1])) {
            tag o;
            o.attrs = t->attrs; /* the select's own attributes are done */
            if (!parse_tag(rf, i, &o))
                break;
            if (!strcmp(o.name, "select") || !strcmp(o.name, "input") ||
                !strcmp(o.name, "textarea")) {
                /* An unclosed select ends where another control starts. */
                flush_to(rf, i);
                emit_str(rf, m.msgs);
                return i;
            }
            if (!strcmp(o.name, "option") && chosen) {
                const char *v = attr_value(rf, &o, "value");
                int sel = 0;
                if (!v)
                    v = option_text(rf, o.e);
                for (int k = 0; !done && k < chosen->nelts; k++)
                    if (strcmp(APR_ARRAY_IDX(chosen, k, const char *), v) == 0)
                        sel = 1;
                if (sel && !multiple)
                    done = 1;
                rewrite_tag(rf, &o, sel ? " selected" : "", drop_selected);
            }
            i = o.e;
        } else {
            i++;
        }
    }
    /* No end: the rest of the page was the select; the caller copies it. */
    return rf->len;
}

/* ------------------------------------------------------------------ */
/* The walk                                                             */
/* ------------------------------------------------------------------ */

static int comment_is_marker(const char *s, apr_size_t n)
{
    while (n && doanra_html_space(*s))
        s++, n--;
    while (n && doanra_html_space(s[n - 1]))
        n--;
    return n == 6 && strncasecmp(s, "doanra", 6) == 0;
}

static const char *const raw_elements[] = {
    "script", "style", "title", "xmp", "iframe", "noembed", "noframes", NULL};

static void walk(refill *rf)
{
    const char *h = rf->h;
    apr_size_t len = rf->len, i = 0;
    tag t;

    t.attrs = apr_array_make(rf->p, 8, sizeof(attr));
    while (i < len) {
        const char *lt = memchr(h + i, '<', len - i);
        if (!lt)
            return;
        i = (apr_size_t)(lt - h);
        if (i + 1 >= len)
            return;
        if (len - i >= 4 && strncmp(h + i, "<!--", 4) == 0) {
            apr_size_t cb = i + 4, e;
            const char *end;
            /* "<!-->" and "<!--->" are complete (empty) comments */
            if (cb < len && h[cb] == '>')
                end = h + cb - 2;
            else if (cb + 1 < len && h[cb] == '-' && h[cb + 1] == '>')
                end = h + cb - 1;
            else
                end = find_comment_end(h, cb, len);
            if (!end)
                return;
            e = (apr_size_t)(end - h) + 3;
            if (rf->marker_at < 0 && end >= h + cb &&
                comment_is_marker(h + cb, (apr_size_t)(end - h) - cb)) {
                flush_to(rf, e);
                rf->marker_at = rf->out->nelts;
            }
            i = e;
        } else if (h[i + 1] == '!' || h[i + 1] == '?' || h[i + 1] == '/') {
            apr_size_t e = after_gt(rf, i);
            if (!e)
                return;
            i = e;
        } else if (doanra_ascii_alpha(h[i + 1])) {
            if (!parse_tag(rf, i, &t))
                return;
            i = t.e;
            if (!strcmp(t.name, "body")) {
                if (rf->body_at < 0) {
                    flush_to(rf, t.e);
                    rf->body_at = rf->out->nelts;
                }
            } else if (!strcmp(t.name, "input")) {
                do_input(rf, &t);
            } else if (!strcmp(t.name, "textarea")) {
                i = do_textarea(rf, &t);
            } else if (!strcmp(t.name, "select")) {
                i = do_select(rf, &t);
            } else if (in_list(t.name, raw_elements)) {
                i = find_end_tag(rf, t.e, t.name);
            }
        } else {
            i++;
        }
    }
}

const char *doanra_refill(apr_pool_t *p, const doanra_config *c,
                          const char *html, apr_size_t len,
                          const apr_array_header_t *fields,
                          const apr_array_header_t *findings, const char *block,
                          apr_size_t *out_len)
{
    refill rf;
    apr_size_t total, blen;
    int at;
    char *out, *o;

    (void)c;
    memset(&rf, 0, sizeof(rf));
    rf.p = p;
    rf.h = html ? html : "";
    rf.len = html ? len : 0;
    rf.out = apr_array_make(p, 64, sizeof(slice));
    rf.values = apr_hash_make(p);
    rf.fill_seen = apr_hash_make(p);
    rf.check_seen = apr_hash_make(p);
    rf.findings = findings;
    rf.marker_at = rf.body_at = -1;
    if (findings && findings->nelts) {
        rf.finding_base =
            apr_pcalloc(p, sizeof(const char *) * (apr_size_t)findings->nelts);
        for (int i = 0; i < findings->nelts; i++) {
            const doanra_finding *f =
                &APR_ARRAY_IDX(findings, i, doanra_finding);
            if (f->field && *f->field)
                rf.finding_base[i] = base_name(p, f->field);
        }
    }

    for (int i = 0; fields && i < fields->nelts; i++) {
        const doanra_field *f = &APR_ARRAY_IDX(fields, i, doanra_field);
        const char *base;
        apr_array_header_t *v;
        if (!f->name || f->is_file)
            continue;
        base = base_name(p, f->name);
        v = apr_hash_get(rf.values, base, APR_HASH_KEY_STRING);
        if (!v) {
            v = apr_array_make(p, 2, sizeof(const char *));
            apr_hash_set(rf.values, base, APR_HASH_KEY_STRING, v);
        }
        APR_ARRAY_PUSH(v, const char *) = f->value ? f->value : "";
    }

    walk(&rf);
    flush_to(&rf, rf.len);

    if (!block)
        block = "";
    blen = strlen(block);
    at = rf.marker_at >= 0 ? rf.marker_at : rf.body_at >= 0 ? rf.body_at : 0;
    total = blen;
    for (int i = 0; i < rf.out->nelts; i++)
        total += APR_ARRAY_IDX(rf.out, i, slice).n;
    out = o = apr_palloc(p, total + 1);
    for (int i = 0; i <= rf.out->nelts; i++) {
        if (i == at) {
            memcpy(o, block, blen);
            o += blen;
        }
        if (i < rf.out->nelts) {
            const slice *sl = &APR_ARRAY_IDX(rf.out, i, slice);
            memcpy(o, sl->p, sl->n);
            o += sl->n;
        }
    }
    *o = '\0';
    if (out_len)
        *out_len = total;
    return out;
}
