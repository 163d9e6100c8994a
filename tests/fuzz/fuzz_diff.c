/*
 * fuzz_diff.c - differential target: the module's reading of a body against
 * PHP's, for the fields of the location.
 *
 * Input: byte 0 picks urlencoded or multipart (boundary "fzB"); the rest is
 * the body.  The module side is doanra_form_parse then
 * doanra_form_check_fields (ambiguity.c).  The reference side is written
 * here, independently, from the PHP rows of the table in ambiguity.c:
 * php_url_decode (a bad %xx kept as it is), php_register_variable_ex's name
 * mangling (leading spaces dropped, ' ' and '.' to '_', '[' opening an index
 * when a ']' follows, an unclosed '[' and the ' ' '.' '[' after it to '_',
 * one white space inside [] is an append), the last value of a repeated
 * name, max_input_vars (1001 pairs registered), and rfc1867's multipart
 * reading (delimiter lines exactly "--fzB", the close delimiter not
 * recognised, folded and colon-less header lines appended to the previous
 * header, the first Content-Disposition, parameters split at ';' outside '
 * and " quotes, the last name=, \\ and \" unescaped, parts with filename=
 * going to $_FILES, content up to the next line that starts with "--fzB").
 * One documented exception: a row field sent under its plain name reads as
 * the list of its values (R4 in the table: the SPEC allows it; PHP forms
 * use name[]).
 *
 * Invariant: when the module accepts the body (parsed, no ambiguity
 * finding), every field of the location reads the same on both sides: a
 * single field the same value or absent on both, a row field the same list
 * of values.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include "fuzz_common.h"

#include <ctype.h>

#define FZ_BOUNDARY "fzB"
#define MAX_VARS 1000 /* PHP's max_input_vars */

/* ---- PHP's $_POST, as much as the comparison needs ------------------- */

typedef struct {
    const char *val; /* string value, or NULL for a nested array */
    size_t len;
} ref_item;

typedef struct {
    const char *key; /* top-level key */
    int is_array;
    const char *val; /* when a string */
    size_t len;
    apr_array_header_t *items; /* when an array: appended or keyed items */
    int keyed;                 /* an item had an explicit key */
    int plain_row;             /* R4: plain row name repeated */
} ref_var;

typedef struct {
    apr_pool_t *p;
    apr_array_header_t *vars; /* ref_var */
    int count;
} ref_post;

static FZ_NOCOV ref_var *ref_get(ref_post *r, const char *key)
{
    int i;
    ref_var *v;
    for (i = 0; i < r->vars->nelts; i++) {
        v = &APR_ARRAY_IDX(r->vars, i, ref_var);
        if (!strcmp(v->key, key))
            return v;
    }
    v = apr_array_push(r->vars);
    memset(v, 0, sizeof(*v));
    v->key = apr_pstrdup(r->p, key);
    return v;
}

static FZ_NOCOV int is_row_name(const char *key)
{
    int k;
    for (k = DOANRA_F_QUOC_GIA; k < DOANRA_F_COUNT; k++)
        if (!strcmp(fz_defaults.field_names[k], key))
            return 1;
    return 0;
}

/* php_register_variable_ex for a name already decoded (a C string: PHP
 * stops at a NUL). */
static FZ_NOCOV void ref_register(ref_post *r, const char *name,
                                  const char *val, size_t len)
{
    char *var = apr_pstrdup(r->p, name), *q, *ip = NULL;
    int is_array = 0, plain;
    ref_var *v;

    while (*var == ' ')
        var++;
    for (q = var; *q; q++) {
        if (*q == ' ' || *q == '.')
            *q = '_';
        else if (*q == '[') {
            is_array = 1;
            ip = q;
            *q = '\0';
            break;
        }
    }
    if (!*var)
        return;
    if (is_array) {
        char *index_s = ip + 1, *s = index_s;
        if (isspace((unsigned char)*s))
            s++;
        if (*s != ']' && !strchr(s, ']')) {
            /* unclosed: the '[' and the rest's ' ' '.' '[' become '_' */
            *ip = '_';
            for (q = index_s; *q; q++)
                if (*q == ' ' || *q == '.' || *q == '[')
                    *q = '_';
            is_array = 0;
        }
    }
    v = ref_get(r, var);
    if (!is_array) {
        plain = is_row_name(var) && !strcmp(name, var);
        if (plain && !v->is_array && (v->val || v->plain_row)) {
            /* R4: the documented exception, read as a list */
            if (!v->plain_row) {
                v->plain_row = 1;
                v->items = apr_array_make(r->p, 4, sizeof(ref_item));
                APR_ARRAY_PUSH(v->items, ref_item) = (ref_item){v->val, v->len};
            }
            APR_ARRAY_PUSH(v->items, ref_item) = (ref_item){val, len};
            return;
        }
        v->is_array = 0;
        v->plain_row = 0;
        v->val = val;
        v->len = len;
        return;
    }
    if (!v->is_array) {
        v->is_array = 1;
        v->plain_row = 0;
        v->keyed = 0;
        v->items = apr_array_make(r->p, 4, sizeof(ref_item));
    }
    {
        /* the first index; anything deeper makes the item an array */
        char *s = ip + 1, *end;
        int append;
        if (isspace((unsigned char)*s))
            s++;
        append = *s == ']';
        end = strchr(s, ']');
        if (!append)
            v->keyed = 1;
        APR_ARRAY_PUSH(v->items, ref_item) =
            end[1] == '[' ? (ref_item){NULL, 0} : (ref_item){val, len};
    }
}

/* php_url_decode */
static FZ_NOCOV char *ref_decode(apr_pool_t *p, const char *s, size_t n,
                                 size_t *out)
{
    char *o = apr_palloc(p, n + 1);
    size_t i, k = 0;
    for (i = 0; i < n; i++) {
        if (s[i] == '+')
            o[k++] = ' ';
        else if (s[i] == '%' && n - i >= 3 && isxdigit((unsigned char)s[i + 1]) &&
                 isxdigit((unsigned char)s[i + 2])) {
            char h[3] = {s[i + 1], s[i + 2], 0};
            o[k++] = (char)strtoul(h, NULL, 16);
            i += 2;
        } else
            o[k++] = s[i];
    }
    o[k] = '\0';
    *out = k;
    return o;
}

static FZ_NOCOV void ref_urlencoded(ref_post *r, const char *b, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *amp = memchr(b + i, '&', n - i);
        size_t sl = amp ? (size_t)(amp - (b + i)) : n - i;
        if (sl > 0) {
            const char *eq = memchr(b + i, '=', sl);
            size_t nl = eq ? (size_t)(eq - (b + i)) : sl, dn, dv;
            char *name = ref_decode(r->p, b + i, nl, &dn);
            char *val = eq ? ref_decode(r->p, eq + 1, sl - nl - 1, &dv) : "";
            if (!eq)
                dv = 0;
            ref_register(r, name, val, dv);
            if (++r->count > MAX_VARS)
                return;
        }
        i += sl + 1;
    }
}

/* ---- rfc1867 ------------------------------------------------------- */

/* php_ap_getword: up to stop, outside ' and " quotes (\quote skipped). */
static FZ_NOCOV char *getword(apr_pool_t *p, const char **line, char stop)
{
    const char *pos = *line, *start = *line;
    char quote;
    while (*pos && *pos != stop) {
        if ((quote = *pos) == '"' || quote == '\'') {
            ++pos;
            while (*pos && *pos != quote) {
                if (*pos == '\\' && pos[1] && pos[1] == quote)
                    pos += 2;
                else
                    ++pos;
            }
            if (*pos)
                ++pos;
        } else
            ++pos;
    }
    *line = *pos == stop ? pos + 1 : pos;
    return apr_pstrmemdup(p, start, (size_t)(pos - start));
}

static FZ_NOCOV char *substring_conf(apr_pool_t *p, const char *s, size_t len,
                                     char quote)
{
    char *o = apr_palloc(p, len + 1), *w = o;
    size_t i;
    for (i = 0; i < len && s[i] != quote; ++i) {
        if (s[i] == '\\' && i + 1 < len &&
            (s[i + 1] == '\\' || (quote && s[i + 1] == quote)))
            *w++ = s[++i];
        else
            *w++ = s[i];
    }
    *w = '\0';
    return o;
}

static FZ_NOCOV char *getword_conf(apr_pool_t *p, const char *s)
{
    const char *e;
    while (*s && isspace((unsigned char)*s))
        s++;
    if (*s == '"' || *s == '\'')
        return substring_conf(p, s + 1, strlen(s + 1), *s);
    for (e = s; *e && !isspace((unsigned char)*e); e++)
        ;
    return substring_conf(p, s, (size_t)(e - s), 0);
}

/* Next line of b[*i..n) without its (CR)LF, or NULL at the end. */
static FZ_NOCOV char *next_line(apr_pool_t *p, const char *b, size_t n,
                                size_t *i)
{
    const char *nl;
    size_t l;
    if (*i >= n)
        return NULL;
    nl = memchr(b + *i, '\n', n - *i);
    if (!nl)
        return NULL; /* PHP waits for more: an unfinished line is no line */
    l = (size_t)(nl - (b + *i));
    {
        char *s = apr_pstrmemdup(p, b + *i, l && nl[-1] == '\r' ? l - 1 : l);
        *i += l + 1;
        return s;
    }
}

static FZ_NOCOV void ref_multipart(ref_post *r, const char *b, size_t n)
{
    const char *delim = "--" FZ_BOUNDARY, *next = "\n--" FZ_BOUNDARY;
    size_t i = 0;
    for (;;) {
        char *line, *cd = NULL, *name = NULL, *filename = NULL, *hkey = NULL;
        const char *hval = NULL, *c;
        size_t cs;
        /* find_boundary: a line that is exactly the delimiter */
        while ((line = next_line(r->p, b, n, &i)) && strcmp(line, delim))
            ;
        if (!line)
            return;
        /* headers, folding into the previous one */
        while ((line = next_line(r->p, b, n, &i)) && line[0]) {
            char *colon = isspace((unsigned char)line[0]) ? NULL
                                                            : strchr(line, ':');
            if (colon) {
                if (hkey && !cd && !strcasecmp(hkey, "content-disposition"))
                    cd = (char *)hval;
                *colon = '\0';
                hkey = line;
                c = colon + 1;
                while (isspace((unsigned char)*c))
                    c++;
                hval = c;
            } else if (hkey)
                hval = apr_pstrcat(r->p, hval, line, NULL);
        }
        if (!line)
            return;
        if (hkey && !cd && !strcasecmp(hkey, "content-disposition"))
            cd = (char *)hval;
        /* the content: up to the next line starting with the delimiter */
        cs = i;
        c = memmem(b + cs - 1, n - (cs - 1), next, strlen(next));
        if (!c)
            return; /* PHP: an unterminated part is an error */
        {
            size_t ce = (size_t)(c - b), vlen;
            if (ce > cs && b[ce - 1] == '\r')
                ce--;
            if (ce < cs)
                ce = cs;
            vlen = ce - cs;
            i = (size_t)(c - b) + 1;
            if (cd) {
                const char *s = cd;
                while (isspace((unsigned char)*s))
                    s++;
                while (*s) {
                    char *pair = getword(r->p, &s, ';');
                    while (isspace((unsigned char)*s))
                        s++;
                    if (strchr(pair, '=')) {
                        const char *pp = pair;
                        char *key = getword(r->p, &pp, '=');
                        if (!strcasecmp(key, "name"))
                            name = getword_conf(r->p, pp);
                        else if (!strcasecmp(key, "filename"))
                            filename = getword_conf(r->p, pp);
                    }
                }
            }
            if (name && !filename) {
                ref_register(r, name, apr_pstrmemdup(r->p, b + cs, vlen), vlen);
                if (++r->count > MAX_VARS)
                    return;
            }
        }
    }
}

/* ---- comparison ------------------------------------------------------ */

static FZ_NOCOV void compare(ref_post *r, const apr_array_header_t *fields,
                             const char *body, size_t n)
{
    int k, i;
    for (k = 0; k < DOANRA_F_COUNT; k++) {
        const char *want = fz_defaults.field_names[k];
        size_t wl = strlen(want);
        int row = k >= DOANRA_F_QUOC_GIA, m = 0;
        const doanra_field *mv[64];
        ref_var *v = NULL;
        /* the module's reading: exact names, not files */
        for (i = 0; i < fields->nelts; i++) {
            const doanra_field *f = &APR_ARRAY_IDX(fields, i, doanra_field);
            size_t nl = strlen(f->name);
            if (f->is_file)
                continue;
            if (!strcmp(f->name, want) ||
                (row && nl == wl + 2 && !memcmp(f->name, want, wl) &&
                 !strcmp(f->name + wl, "[]"))) {
                if (m < 64)
                    mv[m] = f;
                m++;
            }
        }
        for (i = 0; i < r->vars->nelts; i++)
            if (!strcmp(APR_ARRAY_IDX(r->vars, i, ref_var).key, want))
                v = &APR_ARRAY_IDX(r->vars, i, ref_var);
        if (m > 64)
            continue;
        if (!row) {
            FZ_CHECK(m <= 1, "single field %s accepted %d times: %.*s", want, m,
                     (int)n, body);
            FZ_CHECK((m == 0) == (v == NULL),
                     "%s: module %s it, PHP %s: %.*s", want,
                     m ? "has" : "lacks", v ? "has" : "lacks", (int)n, body);
            if (!m)
                continue;
            FZ_CHECK(!v->is_array && v->len == mv[0]->len &&
                         !memcmp(v->val, mv[0]->value, v->len),
                     "%s reads otherwise in PHP: %.*s", want, (int)n, body);
            continue;
        }
        if (!m) {
            FZ_CHECK(v == NULL, "row field %s only in PHP: %.*s", want, (int)n,
                     body);
            continue;
        }
        FZ_CHECK(v != NULL, "row field %s not in PHP: %.*s", want, (int)n, body);
        if (!v->is_array && !v->plain_row) {
            FZ_CHECK(m == 1 && v->len == mv[0]->len &&
                         !memcmp(v->val, mv[0]->value, v->len),
                     "row field %s: one value in PHP: %.*s", want, (int)n,
                     body);
            continue;
        }
        FZ_CHECK(!v->keyed, "row field %s keyed in PHP: %.*s", want, (int)n,
                 body);
        FZ_CHECK(v->items->nelts == m, "row field %s: %d values, PHP %d: %.*s",
                 want, m, v->items->nelts, (int)n, body);
        for (i = 0; i < m; i++) {
            const ref_item *it = &APR_ARRAY_IDX(v->items, i, ref_item);
            FZ_CHECK(it->val && it->len == mv[i]->len &&
                         !memcmp(it->val, mv[i]->value, it->len),
                     "row field %s value %d differs: %.*s", want, i + 1,
                     (int)n, body);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    apr_pool_t *p = fz_pool;
    unsigned mode = fz_byte(&in);
    const char *ct = (mode & 1) ? "multipart/form-data; boundary=" FZ_BOUNDARY
                                : "application/x-www-form-urlencoded";
    apr_array_header_t *fields, *findings;
    ref_post ref;
    char *copy = malloc(in.n ? in.n : 1);

    memcpy(copy, in.p, in.n);
    if (doanra_form_parse(p, ct, copy, in.n, 10000, &fields) ==
        DOANRA_FORM_OK) {
        findings = apr_array_make(p, 4, sizeof(doanra_finding));
        if (doanra_form_check_fields(p, &fz_defaults, fields, findings) == 0) {
            ref.p = p;
            ref.vars = apr_array_make(p, 16, sizeof(ref_var));
            ref.count = 0;
            if (mode & 1)
                ref_multipart(&ref, copy, in.n);
            else
                ref_urlencoded(&ref, copy, in.n);
            compare(&ref, fields, copy, in.n);
        }
    }
    free(copy);
    apr_pool_clear(p);
    return 0;
}
