/*
 * fuzz_refill.c - libFuzzer target for the page-walking code: doanra_refill
 * over arbitrary markup with a fixed submission and findings, and the
 * incremental scanner fed in two arbitrary pieces, which must find the
 * same injection point as when fed the whole page at once.
 */
#include "doanra.h"
#include "scan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static apr_pool_t *root;

static void add_field(apr_array_header_t *a, const char *n, const char *v)
{
    doanra_field *f = apr_array_push(a);
    f->name = n;
    f->value = v;
    f->len = strlen(v);
    f->is_file = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    apr_array_header_t *fields, *findings;
    doanra_finding *f;
    doanra_scan s;
    apr_size_t out_len = 0, cut, used;
    apr_off_t whole, split;
    const char *html = (const char *)data;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    apr_pool_create(&p, root);

    fields = apr_array_make(p, 8, sizeof(doanra_field));
    add_field(fields, "a", "<\"'&>");
    add_field(fields, "a[]", "x");
    add_field(fields, "t", "\nline");
    add_field(fields, "s", "b");
    add_field(fields, "c", "on");
    findings = apr_array_make(p, 2, sizeof(doanra_finding));
    f = apr_array_push(findings);
    memset(f, 0, sizeof(*f));
    f->field = "a";
    f->row = 2;
    f->message = "m<1>";
    f = apr_array_push(findings);
    memset(f, 0, sizeof(*f));
    f->field = "t";
    f->message = "m2";

    {
        const char *out = doanra_refill(p, NULL, html, size, fields, findings,
                                        "<B>", &out_len);
        /* the block is always placed, and the result is a C string too */
        if (out_len < 3 || out[out_len] != '\0')
            abort();
    }

    whole = doanra_scan_point(html, size);
    cut = size ? (apr_size_t)data[0] % (size + 1) : 0;
    doanra_scan_init(&s);
    used = doanra_scan_feed(&s, html, cut);
    if (used == cut)
        doanra_scan_feed(&s, html + cut, size - cut);
    split = s.marker_end >= 0 ? s.marker_end : s.body_end >= 0 ? s.body_end : 0;
    if (split != whole)
        abort();

    apr_pool_destroy(p);
    return 0;
}
