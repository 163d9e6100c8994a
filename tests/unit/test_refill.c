/*
 * test_refill.c - filling a blocked submission back into the form page
 * (refill.c): every kind of control, rows in order, [] names, markup the
 * tokenizer must not be fooled by, escaping, field messages and where the
 * block goes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "doanra.h"

static apr_pool_t *pool;

static int setup(void **st)
{
    (void)st;
    apr_pool_create(&pool, NULL);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    apr_pool_clear(pool);
    return 0;
}

/* fields from "name", "value", ..., NULL */
static apr_array_header_t *fields(const char *first, ...)
{
    apr_array_header_t *a = apr_array_make(pool, 8, sizeof(doanra_field));
    va_list ap;
    const char *n = first;

    va_start(ap, first);
    while (n) {
        doanra_field *f = apr_array_push(a);
        f->name = n;
        f->value = va_arg(ap, const char *);
        f->len = strlen(f->value);
        f->is_file = 0;
        n = va_arg(ap, const char *);
    }
    va_end(ap);
    return a;
}

static apr_array_header_t *no_findings(void)
{
    return apr_array_make(pool, 1, sizeof(doanra_finding));
}

static void add_finding(apr_array_header_t *a, const char *field, int row,
                        const char *msg)
{
    doanra_finding *f = apr_array_push(a);
    f->rule = DOANRA_R_REQUIRED;
    f->severity = DOANRA_SEV_ERROR;
    f->field = field;
    f->row = row;
    f->message = msg;
}

static const char *run(const char *html, apr_array_header_t *fl,
                       apr_array_header_t *fi, const char *block)
{
    apr_size_t n = 0;
    const char *out = doanra_refill(pool, NULL, html, strlen(html), fl,
                                    fi ? fi : no_findings(), block, &n);
    assert_non_null(out);
    assert_int_equal(n, strlen(out));
    return out;
}

#define assert_str(a, b) assert_string_equal((a), (b))

static void test_text_inputs(void **st)
{
    (void)st;
    assert_str(
        run("<input name=don_vi><input type=date name=ngay_di value=''>"
            "<input type=\"number\" name=\"du_toan\" value=\"0\"/>",
            fields("don_vi", "Sở Ngoại vụ", "ngay_di", "2026-05-01", "du_toan",
                   "12.000.000", NULL),
            NULL, ""),
        "<input value=\"Sở Ngoại vụ\" name=don_vi>"
        "<input value=\"2026-05-01\" type=date name=ngay_di>"
        "<input value=\"12.000.000\" type=\"number\" name=\"du_toan\"/>");
    /* hidden, email, tel, search: filled; password and file: never */
    assert_str(run("<input type=hidden name=h value=old>"
                   "<input type=password name=pw value=x>"
                   "<input type=file name=f>"
                   "<input type=EMAIL name=e>",
                   fields("h", "new", "pw", "secret", "f", "a.pdf", "e",
                          "a@b.vn", NULL),
                   NULL, ""),
               "<input value=\"new\" type=hidden name=h>"
               "<input type=password name=pw value=x>"
               "<input type=file name=f>"
               "<input value=\"a@b.vn\" type=EMAIL name=e>");
}

static void test_escaping(void **st)
{
    (void)st;
    assert_str(run("<input name=a value=\"x\"><textarea name=b>old</textarea>",
                   fields("a", "\"><script>alert('x')</script>", "b",
                          "</textarea><script>&", NULL),
                   NULL, ""),
               "<input value=\"&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)"
               "&lt;/script&gt;\" name=a>"
               "<textarea name=b>&lt;/textarea&gt;&lt;script&gt;&amp;"
               "</textarea>");
}

static void test_rows_in_order_and_brackets(void **st)
{
    (void)st;
    assert_str(run("<tr><td><input name='tv_ho_ten[]'><input name=tv_ma[]>"
                   "<tr><td><input name='tv_ho_ten[]'><input name=tv_ma[]>"
                   "<tr><td><input name='tv_ho_ten[]' value=keep>",
                   fields("tv_ho_ten", "An", "tv_ma[]", "M1", "tv_ho_ten[]",
                          "Bình", "tv_ma[]", "", NULL),
                   NULL, ""),
               "<tr><td><input value=\"An\" name='tv_ho_ten[]'>"
               "<input value=\"M1\" name=tv_ma[]>"
               "<tr><td><input value=\"Bình\" name='tv_ho_ten[]'>"
               "<input value=\"\" name=tv_ma[]>"
               "<tr><td><input name='tv_ho_ten[]' value=keep>");
}

static void test_checkbox_radio(void **st)
{
    (void)st;
    assert_str(
        run("<input type=checkbox name=ok checked>"
            "<input type=checkbox name=c[] value=a><input type=checkbox "
            "name=c[] value=b CHECKED=checked>"
            "<input type=radio name=nguon_kinh_phi value=ngan_sach checked>"
            "<input type=radio name=nguon_kinh_phi value=doi_tac>"
            "<input type=radio name=r value='x&amp;y'>",
            fields("c[]", "a", "nguon_kinh_phi", "doi_tac", "r", "x&y", NULL),
            NULL, ""),
        "<input type=checkbox name=ok>"
        "<input checked type=checkbox name=c[] value=a>"
        "<input type=checkbox name=c[] value=b>"
        "<input type=radio name=nguon_kinh_phi value=ngan_sach>"
        "<input checked type=radio name=nguon_kinh_phi value=doi_tac>"
        "<input checked type=radio name=r value='x&amp;y'>");
    /* a checkbox without value is "on" */
    assert_str(run("<input type=checkbox name=ok>", fields("ok", "on", NULL),
                   NULL, ""),
               "<input checked type=checkbox name=ok>");
}

static void test_textarea(void **st)
{
    (void)st;
    assert_str(run("<TEXTAREA NAME=muc_dich rows=3>\nmặc định</TEXTAREA>x",
                   fields("muc_dich", "Học tập <kinh nghiệm>", NULL), NULL, ""),
               "<TEXTAREA NAME=muc_dich rows=3>Học tập &lt;kinh nghiệm&gt;"
               "</TEXTAREA>x");
    /* a leading newline survives the parser's dropping of the first one */
    assert_str(
        run("<textarea name=t></textarea>", fields("t", "\nA", NULL), NULL, ""),
        "<textarea name=t>\n\nA</textarea>");
    /* markup inside a textarea is its text, not controls */
    assert_str(run("<textarea name=t><input name=x></textarea><input name=x>",
                   fields("x", "1", NULL), NULL, ""),
               "<textarea name=t><input name=x></textarea>"
               "<input value=\"1\" name=x>");
}

static void test_select(void **st)
{
    (void)st;
    assert_str(run("<select name=nguon_kinh_phi>"
                   "<option value=''>--</option>"
                   "<option value=ngan_sach selected>Ngân sách</option>"
                   "<option value=\"doi_tac\">Đối tác</option>"
                   "</select>",
                   fields("nguon_kinh_phi", "doi_tac", NULL), NULL, ""),
               "<select name=nguon_kinh_phi>"
               "<option value=''>--</option>"
               "<option value=ngan_sach>Ngân sách</option>"
               "<option selected value=\"doi_tac\">Đối tác</option>"
               "</select>");
    /* option text as value, collapsed white space, rows */
    assert_str(run("<select name=quoc_gia[]><option>  Nhật   Bản </option>"
                   "<option>Lào</select>"
                   "<select name=quoc_gia[]><option>Nhật Bản<option>Lào"
                   "</select>",
                   fields("quoc_gia[]", "Nhật Bản", "quoc_gia[]", "Lào", NULL),
                   NULL, ""),
               "<select name=quoc_gia[]><option selected>  Nhật   Bản </option>"
               "<option>Lào</select>"
               "<select name=quoc_gia[]><option>Nhật Bản<option selected>Lào"
               "</select>");
    /* multiple */
    assert_str(run("<select multiple name=m><option value=1><option value=2>"
                   "<option value=3 selected></select>",
                   fields("m", "1", "m", "2", NULL), NULL, ""),
               "<select multiple name=m><option selected value=1>"
               "<option selected value=2><option value=3></select>");
    /* not submitted: untouched */
    assert_str(
        run("<select name=z><option selected>a</select>", NULL, NULL, ""),
        "<select name=z><option selected>a</select>");
}

static void test_markup_not_fooled(void **st)
{
    const char *page = "<!-- <input name=a> -->"
                       "<script>document.write('<input name=a>');</script>"
                       "<style>p::after{content:\"<input name=a>\"}</style>"
                       "<p title=\"<input name=a>\">"
                       "<INPUT TYPE='text' data-x='a>b' NAME='a'>";
    (void)st;
    assert_str(run(page, fields("a", "1", NULL), NULL, ""),
               "<!-- <input name=a> -->"
               "<script>document.write('<input name=a>');</script>"
               "<style>p::after{content:\"<input name=a>\"}</style>"
               "<p title=\"<input name=a>\">"
               "<INPUT value=\"1\" TYPE='text' data-x='a>b' NAME='a'>");
}

static void test_block_placement(void **st)
{
    (void)st;
    assert_str(run("<html><BODY class=\"a>b\"><p><!--doanra--><form>", NULL,
                   NULL, "[B]"),
               "<html><BODY class=\"a>b\"><p><!--doanra-->[B]<form>");
    assert_str(run("<html><BODY class=\"a>b\"><p>", NULL, NULL, "[B]"),
               "<html><BODY class=\"a>b\">[B]<p>");
    assert_str(run("<p>no body", NULL, NULL, "[B]"), "[B]<p>no body");
    assert_str(run("", NULL, NULL, "[B]"), "[B]");
    assert_str(run("<!-- <body> --><script>'<body>'</script><body x>", NULL,
                   NULL, "[B]"),
               "<!-- <body> --><script>'<body>'</script><body x>[B]");
}

static void test_field_messages(void **st)
{
    apr_array_header_t *fi = no_findings();
    (void)st;
    add_finding(fi, "tv_ho_ten", 2, "Thiếu <tên>");
    add_finding(fi, "ngay_di", 0, "Ngày đi đã qua");
    add_finding(fi, "muc_dich", 0, "Thiếu mục đích");
    add_finding(fi, "nguon_kinh_phi", 0, "Nguồn?");
    add_finding(fi, "", 0, "general");
    assert_str(
        run("<input name=ngay_di aria-invalid=false>"
            "<input name=tv_ho_ten[]><input name=tv_ho_ten[]>"
            "<textarea name=muc_dich></textarea>"
            "<select name=nguon_kinh_phi><option>a</select>",
            fields("ngay_di", "01/01/2020", "tv_ho_ten[]", "A", "tv_ho_ten[]",
                   "", "muc_dich", "", NULL),
            fi, ""),
        "<input value=\"01/01/2020\" aria-invalid=\"true\" "
        "aria-describedby=\"doanra-msg-1\" name=ngay_di>"
        "<span class=\"doanra-field-msg\" id=\"doanra-msg-1\" "
        "role=\"alert\">Ngày đi đã qua</span>"
        "<input value=\"A\" name=tv_ho_ten[]>"
        "<input value=\"\" aria-invalid=\"true\" "
        "aria-describedby=\"doanra-msg-2\" name=tv_ho_ten[]>"
        "<span class=\"doanra-field-msg\" id=\"doanra-msg-2\" "
        "role=\"alert\">Thiếu &lt;tên&gt;</span>"
        "<textarea aria-invalid=\"true\" aria-describedby=\"doanra-msg-3\""
        " name=muc_dich></textarea>"
        "<span class=\"doanra-field-msg\" id=\"doanra-msg-3\" "
        "role=\"alert\">Thiếu mục đích</span>"
        "<select aria-invalid=\"true\" aria-describedby=\"doanra-msg-4\""
        " name=nguon_kinh_phi><option>a</select>"
        "<span class=\"doanra-field-msg\" id=\"doanra-msg-4\" "
        "role=\"alert\">Nguồn?</span>");
}

static void test_unterminated_copied(void **st)
{
    const char *cases[] = {"<input name=a value=\"x",
                           "<!-- <input name=a>",
                           "<script><input name=a>",
                           "<select name=a><option",
                           "<textarea name=a>abc",
                           "<",
                           "<a",
                           "a<",
                           NULL};
    (void)st;
    for (int i = 0; cases[i]; i++) {
        const char *out = run(cases[i], NULL, NULL, "");
        assert_str(out, cases[i]);
    }
    /* with values: the textarea without end takes the value */
    assert_str(run("<textarea name=a>abc", fields("a", "v", NULL), NULL, ""),
               "<textarea name=a>v");
}

static void test_entities_in_names(void **st)
{
    (void)st;
    assert_str(run("<input name=\"a&#91;&#93;\"><input name=&quot;b>",
                   fields("a", "1", NULL), NULL, ""),
               "<input value=\"1\" name=\"a&#91;&#93;\"><input name=&quot;b>");
}

/* A big page stays linear: many tags, an unclosed quote at the end. */
static void test_linear(void **st)
{
    apr_size_t n = 200000;
    char *big = apr_palloc(pool, n * 12 + 32);
    char *o = big;
    apr_size_t len = 0;
    (void)st;
    for (apr_size_t i = 0; i < n; i++) {
        memcpy(o, "<a href=x> ", 11);
        o += 11;
    }
    strcpy(o, "<a b=\"");
    doanra_refill(pool, NULL, big, strlen(big), fields("x", "1", NULL),
                  no_findings(), "B", &len);
    assert_int_equal(len, strlen(big) + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_text_inputs, teardown),
        cmocka_unit_test_teardown(test_escaping, teardown),
        cmocka_unit_test_teardown(test_rows_in_order_and_brackets, teardown),
        cmocka_unit_test_teardown(test_checkbox_radio, teardown),
        cmocka_unit_test_teardown(test_textarea, teardown),
        cmocka_unit_test_teardown(test_select, teardown),
        cmocka_unit_test_teardown(test_markup_not_fooled, teardown),
        cmocka_unit_test_teardown(test_block_placement, teardown),
        cmocka_unit_test_teardown(test_field_messages, teardown),
        cmocka_unit_test_teardown(test_unterminated_copied, teardown),
        cmocka_unit_test_teardown(test_entities_in_names, teardown),
        cmocka_unit_test_teardown(test_linear, teardown),
    };
    int rc;
    apr_initialize();
    setup(NULL);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    apr_terminate();
    return rc;
}
