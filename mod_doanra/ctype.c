/*
 * ctype.c - the request's Content-Type, read by RFC 9110's grammar.
 *
 * Which parser a backend runs depends on how it reads this one header, and
 * backends read it loosely: PHP cuts the type at the first ';', ',' or
 * space and looks for the substring "boundary" anywhere after it, so
 * "application/x-www-form-urlencoded, text/plain" and
 * "application/x-www-form-urlencoded text/plain" are forms to PHP, and
 * "multipart/form-data; xboundary=A; boundary=B" has boundary A.  Servlet
 * containers and ASP.NET honour a charset parameter when they decode the
 * body; the module reads UTF-8 only.  So the module accepts exactly one
 * media type with well-formed parameters, each given once, and anything two
 * readers could take two ways is DOANRA_CT_INVALID (answered 400):
 *
 *   media-type = type "/" subtype *( OWS ";" OWS [ parameter ] )
 *   parameter  = token "=" ( token / quoted-string )
 *
 * with these further refusals: a quoted-string with a backslash escape or
 * a non-ASCII byte (readers disagree on escapes), a parameter name given
 * twice, a charset other than utf-8, the letters "boundary" before the
 * boundary parameter's name, and for multipart/form-data a
 * boundary missing, given twice, or not 1-70 characters of RFC 2046's
 * bchars.  A header sent twice reaches the module joined by ", " and is
 * therefore not one media type.
 */
#include "doanra.h"

#include <string.h>
#include <strings.h>

/* RFC 9110 tchar. */
static int is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
        (c >= 'A' && c <= 'Z'))
        return 1;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* RFC 2046 bchars (a space only inside, never last). */
static int boundary_ok(const char *b, apr_size_t n)
{
    apr_size_t i;

    if (n < 1 || n > 70 || b[n - 1] == ' ')
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)b[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
              (c >= 'A' && c <= 'Z') || strchr("'()+_,-./:=? ", c)))
            return 0;
    }
    return 1;
}

/* First occurrence of needle in s, case-insensitive (icase) or not. */
static const char *find(const char *s, const char *needle, int icase)
{
    apr_size_t n = strlen(needle);

    for (; *s; s++)
        if (icase ? !strncasecmp(s, needle, n) : !strncmp(s, needle, n))
            return s;
    return NULL;
}

doanra_ctype doanra_ctype_parse(apr_pool_t *p, const char *value,
                                const char **boundary)
{
    const char *s = value, *type;
    apr_size_t tlen;
    apr_array_header_t *seen;
    const char *bname = NULL;
    int kind;

    *boundary = NULL;
    if (!value)
        return DOANRA_CT_NONE;
    while (doanra_http_ows(*s))
        s++;
    if (!*s)
        return DOANRA_CT_NONE;

    type = s;
    while (is_tchar((unsigned char)*s))
        s++;
    if (s == type || *s != '/')
        return DOANRA_CT_INVALID;
    s++;
    if (!is_tchar((unsigned char)*s))
        return DOANRA_CT_INVALID;
    while (is_tchar((unsigned char)*s))
        s++;
    tlen = (apr_size_t)(s - type);
    if (tlen == 33 &&
        !strncasecmp(type, "application/x-www-form-urlencoded", tlen))
        kind = DOANRA_CT_URLENCODED;
    else if (tlen == 19 && !strncasecmp(type, "multipart/form-data", tlen))
        kind = DOANRA_CT_MULTIPART;
    else
        kind = DOANRA_CT_OTHER;

    seen = apr_array_make(p, 2, sizeof(const char *));
    for (;;) {
        const char *name, *val;
        apr_size_t nlen, vlen;
        int i;

        while (doanra_http_ows(*s))
            s++;
        if (!*s)
            break;
        if (*s != ';')
            return DOANRA_CT_INVALID; /* a list, junk after the type */
        s++;
        while (doanra_http_ows(*s))
            s++;
        if (!*s || *s == ';')
            continue; /* empty parameter: allowed by the grammar */
        name = s;
        while (is_tchar((unsigned char)*s))
            s++;
        nlen = (apr_size_t)(s - name);
        if (nlen == 0 || *s != '=')
            return DOANRA_CT_INVALID;
        s++;
        if (*s == '"') {
            val = ++s;
            while (*s && *s != '"') {
                unsigned char c = (unsigned char)*s;
                /* No escapes, no obs-text, no controls but HTAB. */
                if (c == '\\' || c >= 0x7f || (c < 0x20 && c != '\t'))
                    return DOANRA_CT_INVALID;
                s++;
            }
            if (*s != '"')
                return DOANRA_CT_INVALID;
            vlen = (apr_size_t)(s - val);
            s++;
        } else {
            val = s;
            while (is_tchar((unsigned char)*s))
                s++;
            vlen = (apr_size_t)(s - val);
            if (vlen == 0)
                return DOANRA_CT_INVALID;
        }
        for (i = 0; i < seen->nelts; i++) {
            const char *o = APR_ARRAY_IDX(seen, i, const char *);
            if (strlen(o) == nlen && !strncasecmp(o, name, nlen))
                return DOANRA_CT_INVALID; /* parameter given twice */
        }
        APR_ARRAY_PUSH(seen, const char *) = apr_pstrmemdup(p, name, nlen);

        if (nlen == 7 && !strncasecmp(name, "charset", 7)) {
            if (!((vlen == 5 && !strncasecmp(val, "utf-8", 5)) ||
                  (vlen == 4 && !strncasecmp(val, "utf8", 4))))
                return DOANRA_CT_INVALID;
        } else if (nlen == 8 && !strncasecmp(name, "boundary", 8)) {
            bname = name;
            if (kind == DOANRA_CT_MULTIPART) {
                if (!boundary_ok(val, vlen))
                    return DOANRA_CT_INVALID;
                *boundary = apr_pstrmemdup(p, val, vlen);
            }
        }
    }

    if (kind != DOANRA_CT_MULTIPART)
        return kind;
    /* PHP finds the boundary as the first "boundary" in the header, case
     * sensitive, then case-insensitive: both must land on the parameter's
     * own name. */
    if (!bname || find(value, "boundary", 1) != bname)
        return DOANRA_CT_INVALID;
    if (strncmp(bname, "boundary", 8) && find(value, "boundary", 0))
        return DOANRA_CT_INVALID;
    return kind;
}
