/*
 * test_render.c - unit tests of render.c: HTML and JSON escaping in every
 * place a request value can appear, the exact SPEC markup of the result
 * block, valid JSON (checked by a small strict parser below), the built-in
 * pages and the message catalogue.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "doanra.h"

static apr_pool_t *pool;
static doanra_config cfg;

static int setup(void **state)
{
    (void)state;
    apr_pool_create(&pool, NULL);
    doanra_config_defaults(pool, &cfg);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    apr_pool_destroy(pool);
    return 0;
}

#define assert_contains(hay, needle)                                           \
    do {                                                                       \
        if (!strstr((hay), (needle)))                                          \
            fail_msg("output does not contain \"%s\":\n%s", (needle), (hay));  \
    } while (0)
#define assert_not_contains(hay, needle)                                       \
    do {                                                                       \
        if (strstr((hay), (needle)))                                           \
            fail_msg("output contains \"%s\":\n%s", (needle), (hay));          \
    } while (0)

/* ---- a strict JSON checker (RFC 8259), enough to prove validity ---- */

static const char *js_ws(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    return s;
}

static const char *js_value(const char *s, int depth);

static const char *js_string(const char *s)
{
    if (*s++ != '"')
        return NULL;
    for (;;) {
        unsigned char c = (unsigned char)*s;
        if (c == '"')
            return s + 1;
        if (c < 0x20)
            return NULL; /* raw control char or end of input */
        if (c == '\\') {
            s++;
            if (*s == 'u') {
                int i;
                for (i = 1; i <= 4; i++)
                    if (!strchr("0123456789abcdefABCDEF", s[i]) || !s[i])
                        return NULL;
                s += 5;
            } else if (*s && strchr("\"\\/bfnrt", *s)) {
                s++;
            } else {
                return NULL;
            }
        } else {
            s++;
        }
    }
}

static const char *js_number(const char *s)
{
    const char *b;
    if (*s == '-')
        s++;
    b = s;
    while (*s >= '0' && *s <= '9')
        s++;
    return s == b ? NULL : s;
}

static const char *js_value(const char *s, int depth)
{
    if (depth > 32)
        return NULL;
    s = js_ws(s);
    if (*s == '{') {
        s = js_ws(s + 1);
        if (*s == '}')
            return s + 1;
        for (;;) {
            s = js_string(js_ws(s));
            if (!s)
                return NULL;
            s = js_ws(s);
            if (*s++ != ':')
                return NULL;
            s = js_value(s, depth + 1);
            if (!s)
                return NULL;
            s = js_ws(s);
            if (*s == '}')
                return s + 1;
            if (*s++ != ',')
                return NULL;
        }
    }
    if (*s == '[') {
        s = js_ws(s + 1);
        if (*s == ']')
            return s + 1;
        for (;;) {
            s = js_value(s, depth + 1);
            if (!s)
                return NULL;
            s = js_ws(s);
            if (*s == ']')
                return s + 1;
            if (*s++ != ',')
                return NULL;
        }
    }
    if (*s == '"')
        return js_string(s);
    if (!strncmp(s, "true", 4) || !strncmp(s, "null", 4))
        return s + 4;
    if (!strncmp(s, "false", 5))
        return s + 5;
    return js_number(s);
}

static void assert_json(const char *s)
{
    const char *end = js_value(s, 0);
    if (!end || *js_ws(end) != '\0')
        fail_msg("invalid JSON: %s", s);
    if (!doanra_utf8_valid(s, strlen(s)))
        fail_msg("JSON is not UTF-8: %s", s);
}

/* ---- helpers ---- */

static apr_array_header_t *findings_of(int n, ...)
{
    apr_array_header_t *a = apr_array_make(pool, 4, sizeof(doanra_finding));
    va_list ap;
    int i;
    va_start(ap, n);
    for (i = 0; i < n; i++) {
        doanra_finding *f = apr_array_push(a);
        f->rule = va_arg(ap, int);
        f->severity = va_arg(ap, int);
        f->field = va_arg(ap, const char *);
        f->row = va_arg(ap, int);
        f->message = va_arg(ap, const char *);
    }
    va_end(ap);
    return a;
}

static void add_field(apr_array_header_t *a, const char *name,
                      const char *value, int is_file)
{
    doanra_field *f = apr_array_push(a);
    f->name = name;
    f->value = value;
    f->len = value ? strlen(value) : 0;
    f->is_file = is_file;
}

/* The block without its <style>. */
static const char *section_of(const char *block)
{
    const char *s = strstr(block, "<section");
    assert_non_null(s);
    return s;
}

#define EVIL "<script>alert('x')</script>\"&"

/* ---- escaping ---- */

static void test_html_escape(void **state)
{
    (void)state;
    assert_string_equal(doanra_html_escape(pool, "a&b<c>d\"e'f"),
                        "a&amp;b&lt;c&gt;d&quot;e&#39;f");
    assert_string_equal(doanra_html_escape(pool, "Nguyễn Văn A"),
                        "Nguyễn Văn A");
    assert_string_equal(doanra_html_escape(pool, ""), "");
    assert_string_equal(doanra_html_escape(pool, NULL), "");
    assert_string_equal(doanra_html_escape(pool, "&amp;"), "&amp;amp;");
}

static void test_json_escape(void **state)
{
    (void)state;
    assert_string_equal(doanra_json_escape(pool, "a\"b\\c/d"), "a\\\"b\\\\c/d");
    assert_string_equal(doanra_json_escape(pool, "x\ny\r\tz\x01\x1f\x7f"),
                        "x\\ny\\r\\tz\\u0001\\u001f\\u007f");
    assert_string_equal(doanra_json_escape(pool, "</script>&"),
                        "\\u003c/script\\u003e\\u0026");
    assert_string_equal(doanra_json_escape(pool, "Hà Nội – 日本"),
                        "Hà Nội – 日本");
    assert_string_equal(doanra_json_escape(pool, "a\xe2\x80\xa8"
                                                 "b\xe2\x80\xa9"),
                        "a\\u2028b\\u2029");
    /* Ill-formed UTF-8 never reaches a jsonb column. */
    assert_string_equal(doanra_json_escape(pool, "a\xff\xc3("),
                        "a\\ufffd\\ufffd(");
    assert_string_equal(doanra_json_escape(pool, "\xed\xa0\x80"),
                        "\\ufffd\\ufffd\\ufffd"); /* a surrogate */
    assert_string_equal(doanra_json_escape(pool, "\xf0\x9f\x98\x80"),
                        "\xf0\x9f\x98\x80");
    assert_string_equal(doanra_json_escape(pool, NULL), "");
}

/* ---- the block ---- */

static void test_block_exact_markup(void **state)
{
    (void)state;
    apr_array_header_t *f =
        findings_of(1, DOANRA_R_SIZE, DOANRA_SEV_ERROR, "tv_ho_ten", 0,
                    "Đoàn có 12 thành viên, vượt quá giới hạn 10 người/đoàn.");
    const char *b = doanra_render_block(pool, &cfg, DOANRA_DECISION_FAIL, f);

    assert_true(strncmp(b, "<style>", 7) == 0);
    assert_string_equal(
        section_of(b),
        "<section class=\"doanra-result\" data-doanra-decision=\"fail\" "
        "role=\"alert\" lang=\"vi\" tabindex=\"-1\">\n"
        "  <h2>Hồ sơ đoàn ra chưa đạt yêu cầu</h2>\n"
        "  <ul>\n"
        "    <li data-doanra-rule=\"size\" data-doanra-severity=\"error\" "
        "data-doanra-field=\"tv_ho_ten\">Đoàn có 12 thành viên, vượt quá giới "
        "hạn 10 người/đoàn.</li>\n"
        "  </ul>\n"
        "</section>\n");
}

static void test_block_style_scoped(void **state)
{
    (void)state;
    const char *b = doanra_render_block(pool, &cfg, DOANRA_DECISION_PASS, NULL);
    const char *css = b + 7, *end = strstr(b, "</style>");
    const char *q;
    assert_non_null(end);
    /* Every rule's selector is in the module's own namespace: the block
     * (.doanra-result) or the field messages refill adds (.doanra-field-msg). */
    for (q = css; q < end;) {
        const char *brace = strchr(q, '{');
        const char *sel = q;
        if (!brace || brace > end)
            break;
        while (sel < brace) {
            assert_true(strncmp(sel, ".doanra-result", 14) == 0 ||
                        strncmp(sel, ".doanra-field-msg", 17) == 0);
            sel = memchr(sel, ',', brace - sel);
            if (!sel)
                break;
            sel++;
        }
        q = strchr(brace, '}') + 1;
    }
    assert_not_contains(b, "var(");
    assert_not_contains(b, "grid");
}

static void test_block_decisions_and_lang(void **state)
{
    (void)state;
    apr_array_header_t *w = findings_of(1, DOANRA_R_REGION, DOANRA_SEV_WARNING,
                                        "quoc_gia", 2, "Khác vùng.");
    const char *b = doanra_render_block(pool, &cfg, DOANRA_DECISION_WARN, w);

    assert_contains(b, "data-doanra-decision=\"warn\" role=\"alert\" "
                       "lang=\"vi\"");
    assert_contains(b, "<h2>Hồ sơ đoàn ra cần lưu ý</h2>");
    assert_contains(b, "<li data-doanra-rule=\"region\" "
                       "data-doanra-severity=\"warning\" "
                       "data-doanra-field=\"quoc_gia\" "
                       "data-doanra-row=\"2\">Khác vùng.</li>");

    b = doanra_render_block(pool, &cfg, DOANRA_DECISION_PASS, NULL);
    assert_contains(b, "data-doanra-decision=\"pass\" role=\"status\" "
                       "lang=\"vi\"");
    assert_contains(b, "<h2>Hồ sơ đoàn ra đạt yêu cầu</h2>");
    assert_not_contains(b, "<li");

    cfg.lang = DOANRA_LANG_EN;
    b = doanra_render_block(pool, &cfg, DOANRA_DECISION_FAIL, w);
    assert_contains(b, "role=\"alert\" lang=\"en\"");
    assert_contains(
        b, "<h2>The delegation request does not meet the requirements</h2>");
    b = doanra_render_block(pool, &cfg, DOANRA_DECISION_WARN, w);
    assert_contains(b, "<h2>The delegation request needs attention</h2>");
    b = doanra_render_block(pool, &cfg, DOANRA_DECISION_PASS, NULL);
    assert_contains(b,
                    "<h2>The delegation request meets the requirements</h2>");
}

static void test_block_escapes(void **state)
{
    (void)state;
    apr_array_header_t *f =
        findings_of(1, DOANRA_R_FORMAT, DOANRA_SEV_ERROR,
                    "x\" onmouseover=\"alert(1)", 3, "Giá trị " EVIL);
    const char *b = doanra_render_block(pool, &cfg, DOANRA_DECISION_FAIL, f);
    assert_not_contains(b, "<script>");
    assert_not_contains(b, "\" onmouseover=\"");
    assert_contains(b, "data-doanra-field=\"x&quot; "
                       "onmouseover=&quot;alert(1)\"");
    assert_contains(b, ">Giá trị &lt;script&gt;alert(&#39;x&#39;)&lt;/script"
                       "&gt;&quot;&amp;</li>");
}

/* ---- JSON ---- */

static void test_render_json(void **state)
{
    (void)state;
    apr_array_header_t *f = findings_of(
        2, DOANRA_R_SIZE, DOANRA_SEV_ERROR, "tv_ho_ten", 0,
        "Đoàn có 12 thành viên, vượt quá giới hạn 10 người/đoàn.",
        DOANRA_R_REGION, DOANRA_SEV_WARNING, "quoc_gia", 2, EVIL "\n");
    const char *j = doanra_render_json(pool, DOANRA_DECISION_FAIL, f);
    assert_json(j);
    assert_string_equal(
        j, "{\"decision\":\"fail\",\"violations\":["
           "{\"rule\":\"size\",\"severity\":\"error\",\"field\":\"tv_ho_ten\","
           "\"message\":\"Đoàn có 12 thành viên, vượt quá giới hạn 10 "
           "người/đoàn.\"},"
           "{\"rule\":\"region\",\"severity\":\"warning\",\"field\":"
           "\"quoc_gia\",\"row\":2,\"message\":\"\\u003cscript\\u003ealert("
           "'x')\\u003c/script\\u003e\\\"\\u0026\\n\"}]}");
    j = doanra_render_json(pool, DOANRA_DECISION_PASS, NULL);
    assert_string_equal(j, "{\"decision\":\"pass\",\"violations\":[]}");
    assert_json(j);
}

static void test_findings_json(void **state)
{
    (void)state;
    apr_array_header_t *f = findings_of(
        2, DOANRA_R_DATES, DOANRA_SEV_ERROR, "tu_ngay", 4, "a\"b",
        DOANRA_R_PLAN, DOANRA_SEV_WARNING, "ly_do_phat_sinh", 0, "c\\d");
    const char *j = doanra_render_findings_json(pool, f);
    assert_json(j);
    assert_string_equal(
        j, "[{\"rule\":\"dates\",\"severity\":\"error\",\"field\":"
           "\"tu_ngay\",\"row\":4,\"message\":\"a\\\"b\"},"
           "{\"rule\":\"plan\",\"severity\":\"warning\",\"field\":"
           "\"ly_do_phat_sinh\",\"row\":0,\"message\":\"c\\\\d\"}]");
    assert_string_equal(doanra_render_findings_json(pool, NULL), "[]");
}

static void test_fields_json(void **state)
{
    (void)state;
    apr_array_header_t *a = apr_array_make(pool, 8, sizeof(doanra_field));
    doanra_field *nul;
    const char *j;

    add_field(a, "don_vi", "Sở Ngoại vụ", 0);
    add_field(a, "tv_ho_ten[]", "Nguyễn Văn A", 0);
    add_field(a, "quoc_gia", "JP", 0);
    add_field(a, "tv_ho_ten[]", "Trần \"B\"", 0);
    add_field(a, "tv_ho_ten[]", "", 0);
    add_field(a, "tep", "ke hoach.pdf", 1);
    add_field(a, "x\"<y>", EVIL, 0);
    nul = apr_array_push(a);
    nul->name = "nul";
    nul->value = apr_pmemdup(pool, "a\0b", 4);
    nul->len = 3;
    nul->is_file = 0;

    j = doanra_render_fields_json(pool, a);
    assert_json(j);
    assert_string_equal(
        j, "{\"don_vi\":\"Sở Ngoại vụ\","
           "\"tv_ho_ten[]\":[\"Nguyễn Văn A\",\"Trần \\\"B\\\"\",\"\"],"
           "\"quoc_gia\":\"JP\",\"tep\":\"ke hoach.pdf\","
           "\"x\\\"\\u003cy\\u003e\":\"\\u003cscript\\u003ealert('x')"
           "\\u003c/script\\u003e\\\"\\u0026\","
           "\"nul\":\"a\\ufffdb\"}");
    assert_string_equal(doanra_render_fields_json(pool, NULL), "{}");
}

/* ---- pages ---- */

static void test_block_page(void **state)
{
    (void)state;
    apr_array_header_t *f = findings_of(1, DOANRA_R_SIZE, DOANRA_SEV_ERROR,
                                        "tv_ho_ten", 0, "Quá đông " EVIL);
    apr_array_header_t *a = apr_array_make(pool, 4, sizeof(doanra_field));
    const char *pg;

    add_field(a, "muc_dich", "Dòng 1\nDòng 2 " EVIL, 0);
    add_field(a, "<b>ten", "x", 0);
    pg = doanra_render_block_page(pool, &cfg, DOANRA_DECISION_FAIL, f, a,
                                  "/doanra/?a=1&b=\"2\"");
    assert_true(strncmp(pg, "<!DOCTYPE html>\n<html lang=\"vi\">", 31) == 0);
    assert_contains(pg, "<meta charset=\"utf-8\">");
    assert_contains(pg, "<meta name=\"viewport\"");
    assert_contains(pg, "<title>Hồ sơ đoàn ra chưa đạt yêu cầu</title>");
    assert_contains(pg, "<section class=\"doanra-result\" "
                        "data-doanra-decision=\"fail\" role=\"alert\"");
    assert_contains(pg, "<th scope=\"row\">muc_dich</th>"
                        "<td class=\"doanra-value\">Dòng 1\nDòng 2 "
                        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
                        "&quot;&amp;</td>");
    assert_contains(pg, "<th scope=\"row\">&lt;b&gt;ten</th>");
    assert_contains(pg, "href=\"/doanra/?a=1&amp;b=&quot;2&quot;\"");
    assert_contains(pg, "Quay lại biểu mẫu");
    assert_not_contains(pg, "<script>");
    assert_not_contains(pg, "<b>");
    assert_not_contains(pg, "javascript:");
    assert_contains(pg, "</html>\n");

    /* No address, or one that could run script: history.back() plus a
     * hint that works without JavaScript. */
    pg = doanra_render_block_page(pool, &cfg, DOANRA_DECISION_FAIL, f, a, NULL);
    assert_contains(pg, "href=\"javascript:history.back()\"");
    assert_contains(pg, "nút Quay lại (Back)");
    pg = doanra_render_block_page(pool, &cfg, DOANRA_DECISION_FAIL, f, a,
                                  "javascript:alert(1)");
    assert_not_contains(pg, "alert(1)");
    assert_contains(pg, "href=\"javascript:history.back()\"");

    cfg.lang = DOANRA_LANG_EN;
    pg = doanra_render_block_page(pool, &cfg, DOANRA_DECISION_WARN, f, NULL,
                                  "https://intranet/form");
    assert_contains(pg, "<html lang=\"en\">");
    assert_contains(pg, "Back to the form");
    assert_contains(pg, "Nothing was submitted.");
}

static void test_block_page_file_part(void **state)
{
    (void)state;
    apr_array_header_t *a = apr_array_make(pool, 4, sizeof(doanra_field));
    const char *pg;
    add_field(a, "tep", "<img src=x>.pdf", 1);
    add_field(a, "tep2", "", 1);
    pg = doanra_render_block_page(pool, &cfg, DOANRA_DECISION_PASS, NULL, a,
                                  "/f");
    assert_contains(pg, "&lt;img src=x&gt;.pdf (tệp đính kèm)");
    assert_not_contains(pg, ">tep2<");
}

static void test_error_page(void **state)
{
    (void)state;
    apr_array_header_t *a = apr_array_make(pool, 4, sizeof(doanra_field));
    const char *pg;

    add_field(a, "doi_tac", EVIL, 0);
    pg = doanra_render_error_page(
        pool, DOANRA_LANG_VI, 503, doanra_msg(DOANRA_LANG_VI, "db_down_title"),
        doanra_msg(DOANRA_LANG_VI, "db_down_text"), a);
    assert_true(strncmp(pg, "<!DOCTYPE html>\n<html lang=\"vi\">", 31) == 0);
    assert_contains(pg, "<title>Hệ thống kiểm tra hồ sơ đoàn ra tạm thời "
                        "không hoạt động</title>");
    assert_contains(pg, "<h1>Hệ thống kiểm tra hồ sơ đoàn ra tạm thời không "
                        "hoạt động</h1>");
    assert_contains(pg, "CHƯA được gửi đi");
    assert_contains(pg, "503");
    assert_contains(pg, "&lt;script&gt;alert(&#39;x&#39;)");
    assert_not_contains(pg, "<script>");

    pg = doanra_render_error_page(pool, DOANRA_LANG_EN, 413, EVIL,
                                  doanra_msg(DOANRA_LANG_EN, "too_large_text"),
                                  NULL);
    assert_contains(pg, "<html lang=\"en\">");
    assert_not_contains(pg, "<script>");
    assert_not_contains(pg, "<table");
    assert_contains(pg, "has NOT been sent");
    pg = doanra_render_error_page(pool, DOANRA_LANG_EN, 400, NULL, NULL, NULL);
    assert_contains(pg, "</html>");
}

static void test_messages(void **state)
{
    (void)state;
    static const char *const keys[] = {"db_down_title",     "db_down_text",
                                       "bad_request_title", "too_large_title",
                                       "too_large_text",    "bad_utf8",
                                       "bad_percent",       "too_many_fields",
                                       "malformed",         "back"};
    size_t i;
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const char *vi = doanra_msg(DOANRA_LANG_VI, keys[i]);
        const char *en = doanra_msg(DOANRA_LANG_EN, keys[i]);
        assert_true(*vi && *en);
        assert_string_not_equal(vi, keys[i]);
        assert_string_not_equal(vi, en);
        assert_true(doanra_utf8_valid(vi, strlen(vi)));
    }
    assert_string_equal(doanra_msg(DOANRA_LANG_VI, "db_down_title"),
                        "Hệ thống kiểm tra hồ sơ đoàn ra tạm thời không hoạt "
                        "động");
    assert_string_equal(doanra_msg(DOANRA_LANG_VI, "no_such_key"),
                        "no_such_key");
    assert_string_equal(doanra_msg(DOANRA_LANG_VI, NULL), "");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_html_escape),
        T(test_json_escape),
        T(test_block_exact_markup),
        T(test_block_style_scoped),
        T(test_block_decisions_and_lang),
        T(test_block_escapes),
        T(test_render_json),
        T(test_findings_json),
        T(test_fields_json),
        T(test_block_page),
        T(test_block_page_file_part),
        T(test_error_page),
        T(test_messages),
    };
    int rc;
    apr_initialize();
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    apr_terminate();
    return rc;
}
