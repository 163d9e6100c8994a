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

/* type "/" subtype at *sp: which kind it is, DOANRA_CT_INVALID when it is
 * not two tokens; *sp moves past it. */
static int media_type(const char **sp)
{
    const char *s = *sp, *type = s;
    apr_size_t tlen;

    while (is_tchar((unsigned char)*s))
        s++;
    if (s == type || *s != '/')
        return DOANRA_CT_INVALID;
    s++;
    if (!is_tchar((unsigned char)*s))
        return DOANRA_CT_INVALID;
    while (is_tchar((unsigned char)*s))
        s++;
    *sp = s;
    tlen = (apr_size_t)(s - type);
    if (tlen == 33 &&
        !strncasecmp(type, "application/x-www-form-urlencoded", tlen))
        return DOANRA_CT_URLENCODED;
    if (tlen == 19 && !strncasecmp(type, "multipart/form-data", tlen))
        return DOANRA_CT_MULTIPART;
    return DOANRA_CT_OTHER;
}

/* One parameter, name=value. */
typedef struct {
    const char *name, *val;
    apr_size_t nlen, vlen;
} ct_param;

/* A parameter's value at *sp, token or quoted-string (without escapes,
 * obs-text or controls other than HTAB); 0 when there is none. */
static int param_value(const char **sp, ct_param *pr)
{
    const char *s = *sp;

    if (*s == '"') {
        pr->val = ++s;
        while (*s && *s != '"') {
            unsigned char c = (unsigned char)*s;
            if (c == '\\' || c >= 0x7f || (c < 0x20 && c != '\t'))
                return 0;
            s++;
        }
        if (*s != '"')
            return 0;
        pr->vlen = (apr_size_t)(s - pr->val);
        s++;
    } else {
        pr->val = s;
        while (is_tchar((unsigned char)*s))
            s++;
        pr->vlen = (apr_size_t)(s - pr->val);
        if (pr->vlen == 0)
            return 0;
    }
    *sp = s;
    return 1;
}

/* The next parameter after the media type or the previous parameter:
 * 1 with *pr set, 0 at the end, -1 when what follows is not
 * *( OWS ";" OWS [ parameter ] ) (a list, junk after the type...). */
static int next_param(const char **sp, ct_param *pr)
{
    const char *s = *sp;

    for (;;) {
        while (doanra_http_ows(*s))
            s++;
        if (!*s) {
            *sp = s;
            return 0;
        }
        if (*s != ';')
            return -1;
        s++;
        while (doanra_http_ows(*s))
            s++;
        if (*s && *s != ';')
            break;
        /* an empty parameter: allowed by the grammar */
    }
    pr->name = s;
    while (is_tchar((unsigned char)*s))
        s++;
    pr->nlen = (apr_size_t)(s - pr->name);
    if (pr->nlen == 0 || *s != '=')
        return -1;
    s++;
    if (!param_value(&s, pr))
        return -1;
    *sp = s;
    return 1;
}

/* Judge one parameter: given before (seen, names in p), a charset other
 * than UTF-8, a multipart boundary that is not one.  The boundary
 * parameter's name goes to *bname, a multipart boundary to *boundary.
 * 0 when it is fine. */
static int check_param(apr_pool_t *p, apr_array_header_t *seen,
                       const ct_param *pr, int kind, const char **bname,
                       const char **boundary)
{
    int i;

    for (i = 0; i < seen->nelts; i++) {
        const char *o = APR_ARRAY_IDX(seen, i, const char *);
        if (strlen(o) == pr->nlen && !strncasecmp(o, pr->name, pr->nlen))
            return -1; /* parameter given twice */
    }
    APR_ARRAY_PUSH(seen, const char *) = apr_pstrmemdup(p, pr->name, pr->nlen);

    if (pr->nlen == 7 && !strncasecmp(pr->name, "charset", 7)) {
        if (!((pr->vlen == 5 && !strncasecmp(pr->val, "utf-8", 5)) ||
              (pr->vlen == 4 && !strncasecmp(pr->val, "utf8", 4))))
            return -1;
    } else if (pr->nlen == 8 && !strncasecmp(pr->name, "boundary", 8)) {
        *bname = pr->name;
        if (kind == DOANRA_CT_MULTIPART) {
            if (!boundary_ok(pr->val, pr->vlen))
                return -1;
            *boundary = apr_pstrmemdup(p, pr->val, pr->vlen);
        }
    }
    return 0;
}

doanra_ctype doanra_ctype_parse(apr_pool_t *p, const char *value,
                                const char **boundary)
{
    const char *s = value;
    apr_array_header_t *seen;
    const char *bname = NULL;
    ct_param pr;
    int kind, more;

    *boundary = NULL;
    if (!value)
        return DOANRA_CT_NONE;
    while (doanra_http_ows(*s))
        s++;
    if (!*s)
        return DOANRA_CT_NONE;
    kind = media_type(&s);
    if (kind == DOANRA_CT_INVALID)
        return DOANRA_CT_INVALID;

    seen = apr_array_make(p, 2, sizeof(const char *));
    while ((more = next_param(&s, &pr)) > 0)
        if (check_param(p, seen, &pr, kind, &bname, boundary) != 0)
            return DOANRA_CT_INVALID;
    if (more < 0)
        return DOANRA_CT_INVALID;

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
