/*
 * fuzz_form.c - libFuzzer target for body parsing (form.c): urlencoded and
 * multipart bodies, and the Content-Type dispatch.
 *
 * Input: byte 0 picks the parser (urlencoded, multipart with the boundary
 * "fzB", or Content-Type taken from the first line of the rest), byte 1 the
 * field bound; the rest is the body.  Besides "no crash", it checks what the
 * rest of the core relies on: every field has a name and a NUL-terminated
 * value, names and values are UTF-8 (NUL allowed in values only), the bound
 * holds, a parsed list re-encoded and parsed again gives the same list, and
 * the fields render as valid JSON.  doanra_utf8_valid is compared with the
 * fuzzer's own decoder on the same bytes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include "fuzz_common.h"

#include <sys/uio.h>

#define FZ_BOUNDARY "fzB"

static void check_fields(const apr_array_header_t *f, int max_fields)
{
    int i;
    FZ_CHECK(f != NULL, "fields is NULL");
    FZ_CHECK(max_fields <= 0 || f->nelts <= max_fields, "%d fields over the bound %d",
             f->nelts, max_fields);
    for (i = 0; i < f->nelts; i++) {
        const doanra_field *x = &APR_ARRAY_IDX(f, i, doanra_field);
        FZ_CHECK(x->name && x->value, "field %d without name or value", i);
        FZ_CHECK(x->value[x->len] == '\0', "value of field %d not terminated", i);
        FZ_CHECK(fz_utf8_ok(x->name, strlen(x->name), 0),
                 "name of field %d is not UTF-8", i);
        FZ_CHECK(fz_utf8_ok(x->value, x->len, !x->is_file),
                 "value of field %d is not UTF-8", i);
    }
}

static int same_fields(const apr_array_header_t *a, const apr_array_header_t *b)
{
    int i;
    if (a->nelts != b->nelts)
        return 0;
    for (i = 0; i < a->nelts; i++) {
        const doanra_field *x = &APR_ARRAY_IDX(a, i, doanra_field);
        const doanra_field *y = &APR_ARRAY_IDX(b, i, doanra_field);
        if (strcmp(x->name, y->name) || x->len != y->len ||
            memcmp(x->value, y->value, x->len) || x->is_file != y->is_file)
            return 0;
    }
    return 1;
}

/* Percent-encode everything but the unreserved characters. */
static char *pct(apr_pool_t *p, const char *s, size_t n, char *o)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i;
    (void)p;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
            c == '~')
            *o++ = (char)c;
        else if (c == ' ')
            *o++ = '+';
        else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    return o;
}

static void roundtrip_urlencoded(apr_pool_t *p, const apr_array_header_t *f)
{
    size_t cap = 1, n;
    int i;
    char *body, *o;
    apr_array_header_t *again;
    for (i = 0; i < f->nelts; i++) {
        const doanra_field *x = &APR_ARRAY_IDX(f, i, doanra_field);
        cap += 3 * (strlen(x->name) + x->len) + 2;
    }
    o = body = apr_palloc(p, cap);
    for (i = 0; i < f->nelts; i++) {
        const doanra_field *x = &APR_ARRAY_IDX(f, i, doanra_field);
        if (i)
            *o++ = '&';
        o = pct(p, x->name, strlen(x->name), o);
        *o++ = '=';
        o = pct(p, x->value, x->len, o);
    }
    n = (size_t)(o - body);
    /* an exact-size heap copy, so ASan sees any read past the end */
    {
        char *exact = malloc(n ? n : 1);
        doanra_form_status st;
        memcpy(exact, body, n);
        st = doanra_form_parse_urlencoded(p, exact, n, 0, &again);
        free(exact);
        FZ_CHECK(st == DOANRA_FORM_OK, "re-encoded body refused (%d): %.*s", st,
                 (int)n, body);
    }
    FZ_CHECK(same_fields(f, again), "re-encoded body parses differently: %.*s",
             (int)n, body);
}

static void put(struct iovec *v, int *k, const char *s, size_t n)
{
    v[*k].iov_base = (void *)s;
    v[*k].iov_len = n;
    (*k)++;
}

static void roundtrip_multipart(apr_pool_t *p, const apr_array_header_t *f)
{
    static const char head[] =
        "--" FZ_BOUNDARY "\r\nContent-Disposition: form-data; name=\"";
    static const char tail[] = "--" FZ_BOUNDARY "--\r\n";
    apr_array_header_t *again;
    struct iovec *v;
    int i, k = 0;
    apr_size_t n;
    char *body, *exact;
    doanra_form_status st;

    v = apr_palloc(p, sizeof(*v) * (size_t)(f->nelts * 5 + 1));
    for (i = 0; i < f->nelts; i++) {
        const doanra_field *x = &APR_ARRAY_IDX(f, i, doanra_field);
        /* Names a browser would have to escape, file parts and values that
         * hold the delimiter cannot be written back as they came. */
        if (x->is_file || strpbrk(x->name, "\"\r\n\\") ||
            memmem(x->value, x->len, "--" FZ_BOUNDARY, 5))
            return;
        put(v, &k, head, sizeof(head) - 1);
        put(v, &k, x->name, strlen(x->name));
        put(v, &k, "\"\r\n\r\n", 5);
        put(v, &k, x->value, x->len);
        put(v, &k, "\r\n", 2);
    }
    put(v, &k, tail, sizeof(tail) - 1);
    body = apr_pstrcatv(p, v, (apr_size_t)k, &n);
    exact = malloc(n ? n : 1);
    memcpy(exact, body, n);
    st = doanra_form_parse_multipart(p, "multipart/form-data; boundary=" FZ_BOUNDARY,
                                     exact, n, 0, &again);
    free(exact);
    FZ_CHECK(st == DOANRA_FORM_OK, "rewritten multipart refused (%d): %.*s", st,
             (int)n, body);
    FZ_CHECK(same_fields(f, again), "rewritten multipart parses differently: %.*s",
             (int)n, body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    apr_pool_t *p = fz_pool;
    unsigned mode = fz_byte(&in), mf = fz_byte(&in);
    int max_fields = mf < 200 ? (int)mf : 0;
    const char *ct;
    const char *body;
    size_t len;
    apr_array_header_t *fields = NULL;
    doanra_form_status st;
    char *copy;

    /* doanra_utf8_valid against an independent decoder */
    FZ_CHECK(doanra_utf8_valid((const char *)in.p, in.n) ==
                 fz_utf8_ok((const char *)in.p, in.n, 0),
             "doanra_utf8_valid disagrees on %zu bytes", in.n);

    switch (mode % 3) {
    case 0:
        ct = "application/x-www-form-urlencoded";
        break;
    case 1:
        ct = "multipart/form-data; boundary=" FZ_BOUNDARY;
        break;
    default: {
        const uint8_t *nl = memchr(in.p, '\n', in.n);
        size_t l = nl ? (size_t)(nl - in.p) : in.n;
        ct = apr_pstrmemdup(p, (const char *)in.p, l);
        in.p += l + (nl ? 1 : 0);
        in.n -= l + (nl ? 1 : 0);
    }
    }
    body = (const char *)in.p;
    len = in.n;
    /* The body is not NUL-terminated in the module either: an exact-size
     * copy lets ASan catch a read one past its end. */
    copy = malloc(len ? len : 1);
    memcpy(copy, body, len);

    st = doanra_form_parse(p, ct, copy, len, max_fields, &fields);
    FZ_CHECK(st >= DOANRA_FORM_OK && st <= DOANRA_FORM_MALFORMED, "status %d", st);
    check_fields(fields, max_fields);
    if (!doanra_form_type_handled(ct))
        FZ_CHECK(st == DOANRA_FORM_MALFORMED && fields->nelts == 0,
                 "unhandled type %s parsed", ct);

    {
        const char *js = doanra_render_fields_json(p, fields);
        if (!fz_json_valid(js))
            fz_json_die("doanra_render_fields_json", js);
    }

    if (st == DOANRA_FORM_OK && max_fields == 0) {
        if (mode % 3 == 0)
            roundtrip_urlencoded(p, fields);
        else if (mode % 3 == 1)
            roundtrip_multipart(p, fields);
    }

    /* The explicit parsers on the same bytes must agree with the dispatch. */
    if (mode % 3 == 0) {
        apr_array_header_t *f2;
        FZ_CHECK(doanra_form_parse_urlencoded(p, copy, len, max_fields, &f2) == st,
                 "dispatch and urlencoded parser disagree");
    }

    free(copy);
    apr_pool_clear(p);
    return 0;
}
