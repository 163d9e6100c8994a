/*
 * fuzz_refill.c - libFuzzer target for the page-walking code: doanra_refill
 * over arbitrary markup and submissions, and the incremental scanner
 * (scan.c) fed in two arbitrary pieces, which must find the same injection
 * point as when fed the whole page at once.
 *
 * Input: the page; when it holds a NUL byte, what follows the first NUL is
 * an urlencoded body whose fields are submitted besides a fixed set (a
 * value full of markup, row fields, a textarea value, a select and a
 * checkbox value), each with findings.  Byte 0 of the input also picks the
 * language and where the scanner's input is cut.
 *
 * Checked: the result is NUL-terminated at out_len; the block is placed
 * exactly once when the page does not already hold it; submitted markup
 * never appears unescaped (the fixed value's "<zq" and "\"zq" never occur
 * more often than in the page itself); the two-piece scan agrees with the
 * one-piece scan.
 */
#include "fuzz_common.h"
#include "scan.h"

#define BLOCK "<section class=\"fz-block\"></section>"
#define NASTY "<zq\"zq'&><script>x</script>"

static void add_field(apr_array_header_t *a, const char *n, const char *v)
{
    doanra_field *f = apr_array_push(a);
    f->name = n;
    f->value = v;
    f->len = strlen(v);
    f->is_file = 0;
}

static void add_finding(apr_array_header_t *a, const char *field, int row,
                        const char *msg)
{
    doanra_finding *f = apr_array_push(a);
    memset(f, 0, sizeof(*f));
    f->rule = row % DOANRA_R_COUNT;
    f->severity = DOANRA_SEV_ERROR;
    f->field = field;
    f->row = row;
    f->message = msg;
}

static size_t count(const char *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle), c = 0, i;
    if (n < k)
        return 0;
    for (i = 0; i + k <= n; i++)
        if (hay[i] == needle[0] && !memcmp(hay + i, needle, k))
            c++;
    return c;
}

static int memfind(const char *hay, size_t n, const char *needle)
{
    return count(hay, n, needle) > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fz_pool;
    apr_array_header_t *fields, *findings, *extra = NULL;
    doanra_config c = fz_defaults;
    doanra_scan s;
    apr_size_t out_len = 0, cut, used, hlen;
    apr_off_t whole, split;
    const char *html = (const char *)data, *out;
    const uint8_t *nul = memchr(data, 0, size);
    int i, sentinel_safe = 1;
    unsigned flags = size ? data[0] : 0;

    hlen = nul ? (apr_size_t)(nul - data) : size;
    c.lang = (flags & 1) ? DOANRA_LANG_EN : DOANRA_LANG_VI;

    fields = apr_array_make(p, 16, sizeof(doanra_field));
    findings = apr_array_make(p, 16, sizeof(doanra_finding));
    add_field(fields, "don_vi", NASTY);
    add_field(fields, "a", "<\"'&>");
    add_field(fields, "a[]", "x");
    add_field(fields, "t", "\nline");
    add_field(fields, "tv_ho_ten[]", "Nguyễn Văn A");
    add_field(fields, "tv_ho_ten[]", "Trần Thị B");
    add_field(fields, "s", "b");
    add_field(fields, "c", "on");
    add_finding(findings, "don_vi", 0, "m<1>");
    add_finding(findings, "a", 2, "m\"2'");
    add_finding(findings, "tv_ho_ten", 2, "Trùng thành viên");
    add_finding(findings, "t", 0, "m3");
    if (nul) {
        apr_size_t n = size - hlen - 1;
        char *body = malloc(n ? n : 1);
        memcpy(body, nul + 1, n);
        doanra_form_parse_urlencoded(p, body, n, 64, &extra);
        free(body);
        for (i = 0; i < extra->nelts; i++) {
            const doanra_field *f = &APR_ARRAY_IDX(extra, i, doanra_field);
            *(doanra_field *)apr_array_push(fields) = *f;
            if (i % 3 == 0)
                add_finding(findings, f->name, i % 4, f->value);
            if (strstr(f->name, "zq") || memfind(f->value, f->len, "zq"))
                sentinel_safe = 0;
        }
    }

    out = doanra_refill(p, (flags & 2) ? NULL : &c, html, hlen, fields,
                        findings, BLOCK, &out_len);
    FZ_CHECK(out != NULL && out[out_len] == '\0', "result not terminated");
    if (!memfind(html, hlen, "fz-block"))
        FZ_CHECK(count(out, out_len, BLOCK) == 1, "block placed %zu times",
                 count(out, out_len, BLOCK));
    if (sentinel_safe) {
        FZ_CHECK(count(out, out_len, "<zq") <= count(html, hlen, "<zq"),
                 "submitted markup copied unescaped");
        FZ_CHECK(count(out, out_len, "\"zq") <= count(html, hlen, "\"zq"),
                 "submitted quote copied unescaped");
        FZ_CHECK(count(out, out_len, "<script>x") <= count(html, hlen, "<script>x"),
                 "submitted script copied unescaped");
    }

    whole = doanra_scan_point(html, hlen);
    FZ_CHECK(whole >= 0 && (apr_size_t)whole <= hlen, "scan point %ld",
             (long)whole);
    cut = hlen ? (apr_size_t)(flags >> 2) * 977 % (hlen + 1) : 0;
    doanra_scan_init(&s);
    used = doanra_scan_feed(&s, html, cut);
    if (used == cut)
        doanra_scan_feed(&s, html + cut, hlen - cut);
    split = s.marker_end >= 0 ? s.marker_end : s.body_end >= 0 ? s.body_end : 0;
    FZ_CHECK(split == whole, "scan in two pieces (cut %zu) gives %ld, whole %ld",
             cut, (long)split, (long)whole);

    apr_pool_clear(p);
    return 0;
}
