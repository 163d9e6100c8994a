/*
 * fuzz_render.c - libFuzzer target for rendering (render.c): the HTML
 * escape, the JSON escape, the result block, the built-in block and error
 * pages, and the JSON answers, over arbitrary findings and fields.
 *
 * Input: a few choice bytes (decision, language, counts), then NUL-separated
 * strings for each finding (field, message) and field (name, value), and
 * for the pages (title, explanation, back link).  Checked invariants:
 *   - doanra_html_escape output never holds a raw < > " ' and decodes back
 *     to its input; doanra_json_escape output is a valid JSON string body
 *     without raw < > & that decodes back to its input (when UTF-8);
 *   - every HTML output has only the renderer's own tags and attributes,
 *     all attribute values quoted, no raw '>' in text, and no link that
 *     leaves the site or runs script (but the fixed history.back() one);
 *   - every JSON output is one valid JSON value (strict RFC 8259, UTF-8),
 *     and the check answer starts with the decision's name.
 */
#include "fuzz_common.h"

static void make_findings(apr_pool_t *p, fz_in *in, int n,
                                     apr_array_header_t *a)
{
    int i;
    for (i = 0; i < n; i++) {
        doanra_finding *f = apr_array_push(a);
        unsigned b = fz_byte(in);
        f->rule = (int)(b % DOANRA_R_COUNT);
        f->severity = (b & 0x80) ? DOANRA_SEV_ERROR : DOANRA_SEV_WARNING;
        f->row = (int)fz_byte(in) % 40;
        f->field = (fz_byte(in) & 1) ? doanra_field_default_name(f->rule % DOANRA_F_COUNT)
                                     : fz_str(p, in);
        f->message = fz_str(p, in);
    }
}

static void make_fields(apr_pool_t *p, fz_in *in, int n, apr_array_header_t *a)
{
    int i;
    for (i = 0; i < n; i++) {
        doanra_field *f = apr_array_push(a);
        unsigned b = fz_byte(in);
        f->name = fz_str(p, in);
        f->value = fz_str(p, in);
        f->len = strlen(f->value);
        f->is_file = (int)(b & 1);
        if (b & 2) {
            /* a value holding a NUL, as urlencoded %00 gives */
            const char *rest = fz_str(p, in);
            size_t l1 = f->len, l2 = strlen(rest);
            char *v = apr_palloc(p, l1 + l2 + 2);
            memcpy(v, f->value, l1);
            v[l1] = '\0';
            memcpy(v + l1 + 1, rest, l2 + 1);
            f->value = v;
            f->len = l1 + 1 + l2;
        }
    }
}

static void check_json(const char *what, const char *js)
{
    if (!fz_json_valid(js))
        fz_json_die(what, js);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    apr_pool_t *p = fz_pool;
    unsigned b0 = fz_byte(&in);
    int decision = (int)(b0 & 3);
    int nfind = (int)fz_byte(&in) % 24, nfield = (int)fz_byte(&in) % 24;
    int status = (int)fz_byte(&in) * 3;
    doanra_config c = fz_defaults;
    apr_array_header_t *findings = apr_array_make(p, 4, sizeof(doanra_finding));
    apr_array_header_t *fields = apr_array_make(p, 4, sizeof(doanra_field));
    const char *title, *expl, *back, *out;
    int i;

    c.lang = (b0 & 4) ? DOANRA_LANG_EN : DOANRA_LANG_VI;
    make_findings(p, &in, nfind, findings);
    make_fields(p, &in, nfield, fields);
    title = fz_str(p, &in);
    expl = fz_str(p, &in);
    back = (b0 & 8) ? NULL : fz_str(p, &in);

    /* The escapes, on every string the input holds. */
    for (i = 0; i < findings->nelts; i++) {
        const doanra_finding *f = &APR_ARRAY_IDX(findings, i, doanra_finding);
        fz_check_html_escape(f->message, doanra_html_escape(p, f->message));
        fz_check_json_escape(p, f->message, doanra_json_escape(p, f->message));
        fz_check_html_escape(f->field, doanra_html_escape(p, f->field));
    }
    for (i = 0; i < fields->nelts; i++) {
        const doanra_field *f = &APR_ARRAY_IDX(fields, i, doanra_field);
        fz_check_html_escape(f->name, doanra_html_escape(p, f->name));
        fz_check_json_escape(p, f->name, doanra_json_escape(p, f->name));
        fz_check_html_escape(f->value, doanra_html_escape(p, f->value));
    }
    fz_check_html_escape(title, doanra_html_escape(p, title));
    FZ_CHECK(!strcmp(doanra_html_escape(p, NULL), ""), "escape of NULL");
    FZ_CHECK(!strcmp(doanra_json_escape(p, NULL), ""), "JSON escape of NULL");

    /* HTML. */
    fz_check_html(p, doanra_render_block(p, &c, decision, findings));
    fz_check_html(p, doanra_render_block(p, NULL, decision, findings));
    fz_check_html(p, doanra_render_block_page(p, &c, decision, findings,
                                              fields, back));
    fz_check_html(p, doanra_render_error_page(p, c.lang, status, title, expl,
                                              (b0 & 16) ? NULL : fields));

    /* JSON. */
    out = doanra_render_json(p, decision, findings);
    check_json("doanra_render_json", out);
    {
        const char *want = apr_psprintf(p, "{\"decision\":\"%s\"",
                                        doanra_decision_name(decision));
        FZ_CHECK(!strncmp(out, want, strlen(want)), "check answer %.80s", out);
    }
    check_json("doanra_render_findings_json",
               doanra_render_findings_json(p, findings));
    check_json("doanra_render_fields_json", doanra_render_fields_json(p, fields));

    apr_pool_clear(p);
    return 0;
}
