/*
 * form.c - request bodies to ordered field lists.
 *
 * Two encodings reach the module: application/x-www-form-urlencoded and
 * multipart/form-data.  Both become an apr_array of doanra_field in arrival
 * order, which is what the trip builder, the refill and the record need.
 *
 * These parsers see every byte a client sends and are fuzzed: every read is
 * bounded by len (bodies are not NUL-terminated), the work is linear in the
 * body, and the number of fields is bounded by max_fields.  Only decoded
 * names and values are copied; multipart file contents are skipped.
 *
 * Text must be UTF-8.  A NUL byte (%00, or a raw NUL in a multipart value) is
 * kept in the value, whose length is recorded, so the trip builder can report
 * it as a `format` finding next to the field it is in, rather than the whole
 * body being refused.  A NUL in a field name is refused (DOANRA_FORM_BAD_UTF8):
 * names are compared as C strings and a hidden tail could make one name look
 * like another.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include "doanra.h"

#include <string.h>

/* UTF-8 that may contain NUL bytes: a multi-byte sequence never contains a
 * zero byte, so checking the pieces between NULs is exact. */
static int utf8_valid_allow_nul(const char *s, apr_size_t len)
{
    while (len > 0) {
        const char *z = memchr(s, '\0', len);
        apr_size_t n = z ? (apr_size_t)(z - s) : len;
        if (!doanra_utf8_valid(s, n))
            return 0;
        if (!z)
            break;
        s = z + 1;
        len -= n + 1;
    }
    return 1;
}

/* Decode s[0..len) ('+' is a space, %xx a byte) into a new NUL-terminated
 * buffer; NULL on a malformed escape. */
static char *url_decode(apr_pool_t *p, const char *s, apr_size_t len,
                        apr_size_t *out_len)
{
    char *out = apr_palloc(p, len + 1);
    apr_size_t i = 0, o = 0;

    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (c == '+') {
            out[o++] = ' ';
            i++;
        } else if (c == '%') {
            int hi, lo;
            if (len - i < 3)
                return NULL;
            hi = doanra_hex_value((unsigned char)s[i + 1]);
            lo = doanra_hex_value((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0)
                return NULL;
            out[o++] = (char)(hi * 16 + lo);
            i += 3;
        } else {
            out[o++] = (char)c;
            i++;
        }
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

doanra_form_status doanra_form_parse_urlencoded(apr_pool_t *p, const char *body,
                                                apr_size_t len, int max_fields,
                                                apr_array_header_t **fields)
{
    apr_size_t i = 0;

    *fields = apr_array_make(p, 16, sizeof(doanra_field));
    if (!body)
        return DOANRA_FORM_OK;
    while (i < len) {
        const char *seg = body + i;
        const char *amp = memchr(seg, '&', len - i);
        apr_size_t seglen = amp ? (apr_size_t)(amp - seg) : len - i;

        if (seglen > 0) { /* "a=1&&b=2": empty pairs are skipped */
            const char *eq = memchr(seg, '=', seglen);
            apr_size_t nlen = eq ? (apr_size_t)(eq - seg) : seglen;
            apr_size_t dn, dv;
            char *name, *value;
            doanra_field *f;

            if (max_fields > 0 && (*fields)->nelts >= max_fields)
                return DOANRA_FORM_TOO_MANY;
            name = url_decode(p, seg, nlen, &dn);
            if (!name)
                return DOANRA_FORM_BAD_PERCENT;
            if (eq)
                value = url_decode(p, eq + 1, seglen - nlen - 1, &dv);
            else {
                value = "";
                dv = 0;
            }
            if (!value)
                return DOANRA_FORM_BAD_PERCENT;
            if (!doanra_utf8_valid(name, dn) ||
                !utf8_valid_allow_nul(value, dv))
                return DOANRA_FORM_BAD_UTF8;
            f = apr_array_push(*fields);
            f->name = name;
            f->value = value;
            f->len = dv;
            f->is_file = 0;
            /* What other parsers may read differently (ambiguity.c). */
            f->flags =
                (eq ? 0 : DOANRA_FIELD_NO_EQUALS) |
                (memchr(seg, ';', seglen) ? DOANRA_FIELD_RAW_SEMICOLON : 0);
        }
        i += seglen + 1;
    }
    return DOANRA_FORM_OK;
}

/* ---- multipart/form-data ---------------------------------------------- */

/* Case-insensitive ASCII comparison of s[0..n) with the C string lit. */
static int ieq(const char *s, apr_size_t n, const char *lit)
{
    return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/* One "name=value" parameter of a header value such as
 * `form-data; name="x"; filename="a.pdf"` or
 * `multipart/form-data; boundary=----x`.  *pos moves past it.  Returns 0 at
 * the end, -1 on an unterminated quote.  Quoted strings end at the next '"'
 * with no backslash escapes: browsers send '"' as %22, and old browsers send
 * Windows paths (C:\x\y.pdf) whose backslashes must survive. */
static int next_param(const char *s, apr_size_t len, apr_size_t *pos,
                      const char **pn, apr_size_t *pnl, const char **pv,
                      apr_size_t *pvl)
{
    apr_size_t i = *pos;

    while (i < len && (doanra_http_ows(s[i]) || s[i] == ';'))
        i++;
    if (i >= len)
        return 0;
    *pn = s + i;
    while (i < len && s[i] != '=' && s[i] != ';' && !doanra_http_ows(s[i]))
        i++;
    *pnl = (apr_size_t)(s + i - *pn);
    while (i < len && doanra_http_ows(s[i]))
        i++;
    *pv = s + i;
    *pvl = 0;
    if (i < len && s[i] == '=') {
        i++;
        while (i < len && doanra_http_ows(s[i]))
            i++;
        if (i < len && s[i] == '"') {
            const char *q;
            i++;
            q = memchr(s + i, '"', len - i);
            if (!q)
                return -1;
            *pv = s + i;
            *pvl = (apr_size_t)(q - (s + i));
            i = (apr_size_t)(q - s) + 1;
        } else {
            *pv = s + i;
            while (i < len && s[i] != ';' && !doanra_http_ows(s[i]))
                i++;
            *pvl = (apr_size_t)(s + i - *pv);
        }
    }
    *pos = i;
    return 1;
}

/* The boundary parameter of a Content-Type, or NULL. */
static const char *get_boundary(const char *ct, apr_size_t *blen)
{
    apr_size_t len, pos;
    const char *semi, *pn, *pv;
    apr_size_t pnl, pvl;
    int r;

    if (!ct)
        return NULL;
    len = strlen(ct);
    semi = memchr(ct, ';', len);
    if (!semi)
        return NULL;
    pos = (apr_size_t)(semi - ct);
    while ((r = next_param(ct, len, &pos, &pn, &pnl, &pv, &pvl)) > 0) {
        /* RFC 2046: 1 to 70 characters; a little slack for odd clients. */
        if (ieq(pn, pnl, "boundary") && pvl > 0 && pvl <= 200) {
            *blen = pvl;
            return pv;
        }
    }
    return NULL;
}

/* Is body[q..) the rest of a delimiter line: "--" (the close delimiter,
 * epilogue ignored) or transport padding then (CR)LF? */
static int delim_tail(const char *body, apr_size_t len, apr_size_t q)
{
    if (len - q >= 2 && body[q] == '-' && body[q + 1] == '-')
        return 1;
    while (q < len && doanra_http_ows(body[q]))
        q++;
    if (q < len && body[q] == '\r')
        q++;
    return q < len && body[q] == '\n';
}

/* Offset of the next "--boundary" at or after from that starts a line and
 * has a proper tail, or -1.  pat is "\n--boundary". */
static apr_ssize_t find_delim(const char *body, apr_size_t len, apr_size_t from,
                              const char *pat, apr_size_t patlen)
{
    while (from < len && len - from >= patlen) {
        const char *m = memmem(body + from, len - from, pat, patlen);
        apr_size_t at;
        if (!m)
            return -1;
        at = (apr_size_t)(m - body) + 1;
        if (delim_tail(body, len, at + patlen - 1))
            return (apr_ssize_t)at;
        from = at; /* a longer line that only starts like a delimiter */
    }
    return -1;
}

typedef struct {
    const char *name, *filename;
    apr_size_t name_len, filename_len;
    int has_name, has_filename;
    int dispositions;  /* Content-Disposition headers seen */
    unsigned flags;    /* DOANRA_PART_* */
    const char *ctype; /* Content-Type value, or NULL */
    apr_size_t ctype_len;
    const char *cte; /* Content-Transfer-Encoding value, or NULL */
    apr_size_t cte_len;
} part_head;

/* A byte an unquoted parameter value may hold without another parser
 * splitting or unquoting it differently: PHP's getword() also quotes with
 * ', and unescapes \" and \\; controls end a token for some and not for
 * others. */
static int plain_value_byte(unsigned char c)
{
    return c > 0x20 && c != 0x7f && c != '"' && c != '\'' && c != '\\' &&
           c != ';';
}

static int token_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || (c && strchr("!#$%&+-.^_`|~", c));
}

/* Is the Content-Disposition value v[0..len) in the form every parser reads
 * alike: type, then `; name=value` pairs, names plain tokens with white
 * space only around the `;`, values a plain token or a quoted string
 * without a backslash before its closing quote, no control characters? Browsers
 * send exactly this.  PHP reads `name ="x"` as no name, `name='x'` as x,
 * `name="a\"b"` as a"b; Python's cgi and Werkzeug read them otherwise. */
static int disposition_regular(const char *v, apr_size_t len)
{
    apr_size_t i = 0;

    while (i < len && doanra_http_ows(v[i]))
        i++;
    while (i < len && token_byte((unsigned char)v[i]))
        i++;
    for (;;) {
        while (i < len && doanra_http_ows(v[i]))
            i++;
        if (i >= len)
            return 1;
        if (v[i] != ';')
            return 0;
        i++;
        while (i < len && doanra_http_ows(v[i]))
            i++;
        if (i >= len)
            return 1; /* a trailing ';' */
        if (!token_byte((unsigned char)v[i]))
            return 0;
        while (i < len && token_byte((unsigned char)v[i]))
            i++;
        if (i >= len || v[i] != '=')
            return 0;
        i++;
        if (i < len && v[i] == '"') {
            for (i++; i < len && v[i] != '"'; i++) {
                unsigned char c = (unsigned char)v[i];
                if ((c < 0x20 && c != '\t') || c == 0x7f)
                    return 0;
                /* PHP reads \" as a quote inside the string */
                if (c == '\\' && i + 1 < len && v[i + 1] == '"')
                    return 0;
            }
            if (i >= len)
                return 0;
            i++;
        } else {
            if (i >= len || !plain_value_byte((unsigned char)v[i]))
                return 0;
            while (i < len && plain_value_byte((unsigned char)v[i]))
                i++;
        }
    }
}

/* Content-Disposition: form-data; name="..."; filename="..." */
static int parse_disposition(const char *v, apr_size_t len, part_head *h)
{
    apr_size_t i = 0, pos;
    const char *pn, *pv;
    apr_size_t pnl, pvl;
    int r;

    while (i < len && doanra_http_ows(v[i]))
        i++;
    pos = i;
    while (pos < len && v[pos] != ';' && !doanra_http_ows(v[pos]))
        pos++;
    if (!ieq(v + i, pos - i, "form-data"))
        return 0;
    if (++h->dispositions > 1)
        h->flags |= DOANRA_PART_DUP_DISPOSITION;
    if (!disposition_regular(v, len))
        h->flags |= DOANRA_PART_PARAM_SYNTAX;
    while ((r = next_param(v, len, &pos, &pn, &pnl, &pv, &pvl)) > 0) {
        if (pnl > 0 && pn[pnl - 1] == '*')
            h->flags |= DOANRA_PART_EXT_PARAM;
        if (ieq(pn, pnl, "name")) {
            /* PHP keeps the last name=, the others the first. */
            if (h->has_name)
                h->flags |= DOANRA_PART_TWO_NAMES;
            else {
                h->has_name = 1;
                h->name = pv;
                h->name_len = pvl;
            }
            /* PHP unescapes \" and \\ in a name, the others do not */
            if (memchr(pv, '\\', pvl))
                h->flags |= DOANRA_PART_PARAM_SYNTAX;
        } else if (ieq(pn, pnl, "filename") || ieq(pn, pnl, "filename*")) {
            if (h->has_filename)
                h->flags |= DOANRA_PART_PARAM_SYNTAX;
            else {
                h->has_filename = 1;
                h->filename = pv;
                h->filename_len = pvl;
            }
        }
    }
    return r == 0;
}

/* A control character other than HT in s[0..n): PHP reads header lines
 * as C strings (a NUL ends them) and takes a line that starts with any
 * isspace() byte (CR, VT, FF too) for a continuation. */
static int has_ctl(const char *s, apr_size_t n)
{
    apr_size_t i;
    for (i = 0; i < n; i++)
        if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
            return 1;
    return 0;
}

/* Is a value part (no filename) one that some backend decodes otherwise
 * than as the UTF-8 bytes we read: a Content-Transfer-Encoding other than
 * the identity ones (Werkzeug used to decode base64 and quoted-printable),
 * or a Content-Type other than text/plain in UTF-8 or US-ASCII (Python's
 * cgi reads a multipart/mixed part as nested parts, and a part's charset is
 * honoured by some and ignored by others). */
static int value_part_irregular(const part_head *h)
{
    if (h->cte) {
        const char *v = h->cte;
        apr_size_t n = h->cte_len;
        while (n > 0 && doanra_http_ows(*v))
            v++, n--;
        while (n > 0 && doanra_http_ows(v[n - 1]))
            n--;
        if (!ieq(v, n, "7bit") && !ieq(v, n, "8bit") && !ieq(v, n, "binary"))
            return 1;
    }
    if (h->ctype) {
        const char *v = h->ctype, *pn, *pv;
        apr_size_t n = h->ctype_len, t = 0, pos, pnl, pvl;
        int r;
        while (n > 0 && doanra_http_ows(*v))
            v++, n--;
        while (t < n && v[t] != ';' && !doanra_http_ows(v[t]))
            t++;
        if (!ieq(v, t, "text/plain"))
            return 1;
        pos = t;
        while ((r = next_param(v, n, &pos, &pn, &pnl, &pv, &pvl)) > 0)
            if (ieq(pn, pnl, "charset") && !ieq(pv, pvl, "utf-8") &&
                !ieq(pv, pvl, "us-ascii"))
                return 1;
        if (r < 0)
            return 1;
    }
    return 0;
}

/* A multipart body being read: the body, its delimiter and the fields so
 * far. */
typedef struct {
    apr_pool_t *p;
    const char *body;
    apr_size_t len;
    char *pat;         /* "\n--boundary" */
    apr_size_t patlen; /* its length */
    apr_size_t dlen;   /* length of "--boundary" */
    apr_array_header_t *fields;
} multipart;

/* Where the first delimiter is: it opens the body or follows a preamble.
 * -1 when there is none, or a preamble line only starts like it. */
static apr_ssize_t first_delimiter(const multipart *m)
{
    const char *body = m->body;
    apr_size_t len = m->len, dlen = m->dlen;
    apr_ssize_t pos;

    if (len >= dlen && memcmp(body, m->pat + 1, dlen) == 0 &&
        delim_tail(body, len, dlen))
        return 0;
    pos = find_delim(body, len, 0, m->pat, m->patlen);
    if (pos < 0)
        return -1;
    /* A preamble line that starts like the delimiter: PHP compares lines
     * as C strings, so "--boundary" then a NUL is a delimiter to it. */
    if (pos > 0 && ((len >= dlen && memcmp(body, m->pat + 1, dlen) == 0) ||
                    memmem(body, (apr_size_t)pos - 1, m->pat, m->patlen)))
        return -1;
    return pos;
}

/* After the close delimiter (its "--" at i).  Other parsers go on past it:
 * PHP looks for the next "--boundary" line whatever came before, so a part
 * after the close is read as a part, and marked.  Returns 1 with *pos at
 * such a part's delimiter, 0 at the end of the body, -1 when malformed. */
static int after_close_delimiter(const multipart *m, apr_size_t i,
                                 apr_ssize_t *pos)
{
    apr_ssize_t next = find_delim(m->body, m->len, i, m->pat, m->patlen);
    /* A line after the close that starts like the delimiter without being
     * one: PHP compares lines as C strings, so "--boundary" then a NUL
     * opens a part for it. */
    const char *stray = memmem(m->body + i, m->len - i, m->pat, m->patlen);

    if (stray && (next < 0 || stray < m->body + next - 1)) {
        if (m->fields->nelts == 0)
            return -1;
        APR_ARRAY_IDX(m->fields, m->fields->nelts - 1, doanra_field).flags |=
            DOANRA_PART_DELIMITER;
    }
    if (next < 0)
        return 0;
    *pos = next;
    return 1;
}

/* One header line of a part, line[0..ll) without its line end. */
static int part_header_line(const multipart *m, const char *line, apr_size_t ll,
                            part_head *h)
{
    const char *colon;
    apr_size_t nl, vl;

    /* A delimiter where a header should be: the part has no header block
     * end. */
    if (ll >= m->dlen && memcmp(line, m->pat + 1, m->dlen) == 0)
        return -1;
    colon = memchr(line, ':', ll);
    /* PHP appends a line that starts with white space or has no colon to
     * the header before it; others drop it.  Control characters: see
     * has_ctl(). */
    if (has_ctl(line, ll))
        h->flags |= DOANRA_PART_HEADER_FOLD;
    if (!colon || doanra_http_ows(line[0])) {
        h->flags |= DOANRA_PART_HEADER_FOLD;
        return 0;
    }
    nl = (apr_size_t)(colon - line);
    vl = ll - nl - 1;
    if (ieq(line, nl, "content-disposition")) {
        if (!parse_disposition(colon + 1, vl, h))
            return -1;
    } else if (ieq(line, nl, "content-type")) {
        h->ctype = colon + 1;
        h->ctype_len = vl;
    } else if (ieq(line, nl, "content-transfer-encoding")) {
        h->cte = colon + 1;
        h->cte_len = vl;
    }
    return 0;
}

/* A part's headers from *ip up to the empty line; *ip moves past it.  -1
 * when malformed: no end, a broken Content-Disposition, no name. */
static int part_headers(const multipart *m, apr_size_t *ip, part_head *h)
{
    apr_size_t i = *ip;

    for (;;) {
        const char *line = m->body + i, *nl;
        apr_size_t ll;
        if (i >= m->len)
            return -1;
        nl = memchr(line, '\n', m->len - i);
        if (!nl)
            return -1;
        ll = (apr_size_t)(nl - line);
        i += ll + 1;
        if (ll > 0 && line[ll - 1] == '\r')
            ll--;
        if (ll == 0)
            break;
        if (part_header_line(m, line, ll, h) < 0)
            return -1;
    }
    *ip = i;
    if (!h->has_name)
        return -1;
    if (!h->has_filename && value_part_irregular(h))
        h->flags |= DOANRA_PART_ENCODING;
    return 0;
}

/* The content from cs ends at CRLF--boundary (LF alone tolerated): *ce is
 * its end, *next the next delimiter.  -1 without one. */
static int part_content(const multipart *m, apr_size_t cs, part_head *h,
                        apr_size_t *ce, apr_ssize_t *next)
{
    const char *body = m->body;
    apr_size_t e;

    /* Start one byte back so an empty part whose delimiter lacks its own
     * line break is still found. */
    *next = find_delim(body, m->len, cs - 1, m->pat, m->patlen);
    if (*next < 0)
        return -1; /* no closing delimiter */
    e = (apr_size_t)*next - 1;
    /* A line in the content that starts like the delimiter: PHP ends the
     * content there. */
    if (memmem(body + cs - 1, e - (cs - 1), m->pat, m->patlen))
        h->flags |= DOANRA_PART_DELIMITER;
    if (e > cs && body[e - 1] == '\r')
        e--;
    if (e < cs)
        e = cs;
    *ce = e;
    return 0;
}

/* The part as a field: its name, and its file name or its content. */
static doanra_form_status add_part(multipart *m, const part_head *h,
                                   apr_size_t cs, apr_size_t ce, int max_fields)
{
    doanra_field *f;

    if (max_fields > 0 && m->fields->nelts >= max_fields)
        return DOANRA_FORM_TOO_MANY;
    if (!doanra_utf8_valid(h->name, h->name_len))
        return DOANRA_FORM_BAD_UTF8;
    if (h->has_filename) {
        /* Files are passed on, not inspected: keep only the name. */
        if (!doanra_utf8_valid(h->filename, h->filename_len))
            return DOANRA_FORM_BAD_UTF8;
    } else if (!utf8_valid_allow_nul(m->body + cs, ce - cs))
        return DOANRA_FORM_BAD_UTF8;
    f = apr_array_push(m->fields);
    f->name = apr_pstrmemdup(m->p, h->name, h->name_len);
    f->flags = h->flags;
    if (h->has_filename) {
        f->value = apr_pstrmemdup(m->p, h->filename, h->filename_len);
        f->len = h->filename_len;
        f->is_file = 1;
    } else {
        f->value = apr_pstrmemdup(m->p, m->body + cs, ce - cs);
        f->len = ce - cs;
        f->is_file = 0;
    }
    return DOANRA_FORM_OK;
}

doanra_form_status doanra_form_parse_multipart(apr_pool_t *p,
                                               const char *content_type,
                                               const char *body, apr_size_t len,
                                               int max_fields,
                                               apr_array_header_t **fields)
{
    multipart m;
    const char *b;
    apr_size_t blen;
    apr_ssize_t pos;
    int after_close = 0;

    *fields = apr_array_make(p, 16, sizeof(doanra_field));
    b = get_boundary(content_type, &blen);
    if (!b || !body)
        return DOANRA_FORM_MALFORMED;
    m.p = p;
    m.body = body;
    m.len = len;
    m.fields = *fields;
    m.pat = apr_palloc(p, blen + 4);
    memcpy(m.pat, "\n--", 3);
    memcpy(m.pat + 3, b, blen);
    m.patlen = blen + 3;
    m.pat[m.patlen] = '\0';
    m.dlen = m.patlen - 1;

    pos = first_delimiter(&m);
    if (pos < 0)
        return DOANRA_FORM_MALFORMED;
    for (;;) {
        apr_size_t i = (apr_size_t)pos + m.dlen, ce;
        apr_ssize_t next;
        part_head h;
        doanra_form_status st;

        if (len - i >= 2 && body[i] == '-' && body[i + 1] == '-') {
            int r = after_close_delimiter(&m, i, &pos);
            if (r <= 0)
                return r < 0 ? DOANRA_FORM_MALFORMED : DOANRA_FORM_OK;
            after_close = 1;
            continue;
        }
        memset(&h, 0, sizeof(h));
        if (after_close)
            h.flags |= DOANRA_PART_AFTER_CLOSE;
        /* Transport padding after the delimiter: RFC 2046 allows it, PHP
         * does not see a delimiter there and skips the part. */
        if (body[i] != '\r' && body[i] != '\n')
            h.flags |= DOANRA_PART_DELIMITER;
        /* delim_tail() vouched for padding and a line end */
        while (body[i] != '\n')
            i++;
        i++;
        if (part_headers(&m, &i, &h) < 0 ||
            part_content(&m, i, &h, &ce, &next) < 0)
            return DOANRA_FORM_MALFORMED;
        st = add_part(&m, &h, i, ce, max_fields);
        if (st != DOANRA_FORM_OK)
            return st;
        pos = next;
    }
}

/* ---- dispatch ------------------------------------------------------------ */

typedef enum { TYPE_OTHER, TYPE_URLENCODED, TYPE_MULTIPART } body_type;

static body_type type_of(const char *ct)
{
    const char *s, *e;
    if (!ct)
        return TYPE_OTHER;
    s = ct;
    while (doanra_http_ows(*s))
        s++;
    e = s;
    while (*e && *e != ';')
        e++;
    while (e > s && doanra_http_ows(e[-1]))
        e--;
    if (ieq(s, (apr_size_t)(e - s), "application/x-www-form-urlencoded"))
        return TYPE_URLENCODED;
    if (ieq(s, (apr_size_t)(e - s), "multipart/form-data"))
        return TYPE_MULTIPART;
    return TYPE_OTHER;
}

doanra_form_status doanra_form_parse(apr_pool_t *p, const char *content_type,
                                     const char *body, apr_size_t len,
                                     int max_fields,
                                     apr_array_header_t **fields)
{
    switch (type_of(content_type)) {
    case TYPE_URLENCODED:
        return doanra_form_parse_urlencoded(p, body, len, max_fields, fields);
    case TYPE_MULTIPART:
        return doanra_form_parse_multipart(p, content_type, body, len,
                                           max_fields, fields);
    default:
        *fields = apr_array_make(p, 1, sizeof(doanra_field));
        return DOANRA_FORM_MALFORMED;
    }
}

int doanra_form_type_handled(const char *content_type)
{
    return type_of(content_type) != TYPE_OTHER;
}
