/* test_form.c - urlencoded and multipart bodies to field lists. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "doanra.h"

static apr_pool_t *pool;

static int setup(void **state)
{
    apr_pool_create(&pool, NULL);
    return 0;
}

static int teardown(void **state)
{
    apr_pool_destroy(pool);
    return 0;
}

static const doanra_field *fld(const apr_array_header_t *a, int i)
{
    assert_true(i < a->nelts);
    return &APR_ARRAY_IDX(a, i, doanra_field);
}

/* Parse a body given as a C string; the parser gets an exact-size heap copy
 * so ASan catches any read past len. */
static int url(const char *s, int max, apr_array_header_t **f)
{
    size_t n = strlen(s);
    char *copy = malloc(n ? n : 1);
    int r;
    memcpy(copy, s, n);
    r = doanra_form_parse_urlencoded(pool, copy, n, max, f);
    free(copy);
    return r;
}

static int mp(const char *ct, const char *s, size_t n, int max,
              apr_array_header_t **f)
{
    char *copy = malloc(n ? n : 1);
    int r;
    memcpy(copy, s, n);
    r = doanra_form_parse_multipart(pool, ct, copy, n, max, f);
    free(copy);
    return r;
}

static void url_basic(void **state)
{
    apr_array_header_t *f;
    assert_int_equal(url("a=1&b=hello+world&c=%C4%90%E1%BB%A9c&a=2", 0, &f),
                     DOANRA_FORM_OK);
    assert_int_equal(f->nelts, 4);
    assert_string_equal(fld(f, 0)->name, "a");
    assert_string_equal(fld(f, 0)->value, "1");
    assert_int_equal(fld(f, 0)->len, 1);
    assert_string_equal(fld(f, 1)->value, "hello world");
    assert_string_equal(fld(f, 2)->value, "Đức");
    assert_string_equal(fld(f, 3)->name, "a");
    assert_string_equal(fld(f, 3)->value, "2");
    assert_int_equal(fld(f, 3)->is_file, 0);
}

static void url_edges(void **state)
{
    apr_array_header_t *f;
    /* empty pairs skipped, name without '=' has an empty value */
    assert_int_equal(url("a=1&&b=2&&&flag&c=&", 0, &f), DOANRA_FORM_OK);
    assert_int_equal(f->nelts, 4);
    assert_string_equal(fld(f, 2)->name, "flag");
    assert_string_equal(fld(f, 2)->value, "");
    assert_int_equal(fld(f, 2)->len, 0);
    assert_string_equal(fld(f, 3)->name, "c");
    assert_string_equal(fld(f, 3)->value, "");
    /* '=' in a value, '+' and %2B, names encoded, [] kept */
    assert_int_equal(
        url("x=a%3Db=c&y=1+1%2B1&quoc_gia%5B%5D=JP&z%20w=ok", 0, &f),
        DOANRA_FORM_OK);
    assert_string_equal(fld(f, 0)->value, "a=b=c");
    assert_string_equal(fld(f, 1)->value, "1 1+1");
    assert_string_equal(fld(f, 2)->name, "quoc_gia[]");
    assert_string_equal(fld(f, 3)->name, "z w");
    /* empty body */
    assert_int_equal(url("", 0, &f), DOANRA_FORM_OK);
    assert_int_equal(f->nelts, 0);
    assert_int_equal(doanra_form_parse_urlencoded(pool, NULL, 0, 0, &f),
                     DOANRA_FORM_OK);
    assert_non_null(f);
    /* lower-case hex */
    assert_int_equal(url("a=%c3%a9", 0, &f), DOANRA_FORM_OK);
    assert_string_equal(fld(f, 0)->value, "é");
}

static void url_bad_percent(void **state)
{
    apr_array_header_t *f;
    assert_int_equal(url("a=%", 0, &f), DOANRA_FORM_BAD_PERCENT);
    assert_non_null(f);
    assert_int_equal(url("a=%4", 0, &f), DOANRA_FORM_BAD_PERCENT);
    assert_int_equal(url("a=%zz", 0, &f), DOANRA_FORM_BAD_PERCENT);
    assert_int_equal(url("a=%4g&b=1", 0, &f), DOANRA_FORM_BAD_PERCENT);
    assert_int_equal(url("ok=1&%=1", 0, &f), DOANRA_FORM_BAD_PERCENT);
    assert_int_equal(f->nelts, 1); /* what was parsed so far */
    assert_int_equal(url("a=100%", 0, &f), DOANRA_FORM_BAD_PERCENT);
    /* "%" then '&': the escape may not borrow the next pair's bytes */
    assert_int_equal(url("a=%4&1=2", 0, &f), DOANRA_FORM_BAD_PERCENT);
}

static void url_nul(void **state)
{
    apr_array_header_t *f;
    /* %00 in a value is kept, with its length, for the trip builder */
    assert_int_equal(url("a=x%00y&b=1", 0, &f), DOANRA_FORM_OK);
    assert_int_equal(f->nelts, 2);
    assert_int_equal(fld(f, 0)->len, 3);
    assert_memory_equal(fld(f, 0)->value, "x\0y", 4);
    /* ...but not in a name */
    assert_int_equal(url("a%00b=1", 0, &f), DOANRA_FORM_BAD_UTF8);
}

static void url_bad_utf8(void **state)
{
    apr_array_header_t *f;
    assert_int_equal(url("a=%FF", 0, &f), DOANRA_FORM_BAD_UTF8);
    assert_int_equal(url("a=%C3", 0, &f), DOANRA_FORM_BAD_UTF8);
    assert_int_equal(url("a=%C0%AF", 0, &f), DOANRA_FORM_BAD_UTF8);
    assert_int_equal(url("%E9=1", 0, &f), DOANRA_FORM_BAD_UTF8);
    assert_int_equal(url("a=\xE9t\xE9", 0, &f), DOANRA_FORM_BAD_UTF8);
    /* raw UTF-8 (not percent-encoded) is fine */
    assert_int_equal(url("a=Vi\xE1\xBB\x87t", 0, &f), DOANRA_FORM_OK);
    assert_string_equal(fld(f, 0)->value, "Việt");
    /* split across a NUL the sequence is broken */
    assert_int_equal(url("a=%C3%00%A9", 0, &f), DOANRA_FORM_BAD_UTF8);
}

static void url_too_many(void **state)
{
    apr_array_header_t *f;
    assert_int_equal(url("a=1&b=2&c=3", 3, &f), DOANRA_FORM_OK);
    assert_int_equal(url("a=1&b=2&c=3&d=4", 3, &f), DOANRA_FORM_TOO_MANY);
    assert_int_equal(f->nelts, 3);
    /* empty pairs do not count */
    assert_int_equal(url("a=1&&&&b=2&&&c=3&&", 3, &f), DOANRA_FORM_OK);
    /* 0 = no bound */
    {
        char *big = apr_palloc(pool, 4 * 5000 + 1);
        int i;
        for (i = 0; i < 5000; i++)
            memcpy(big + 4 * i, "a=1&", 4);
        big[4 * 5000] = '\0';
        assert_int_equal(url(big, 0, &f), DOANRA_FORM_OK);
        assert_int_equal(f->nelts, 5000);
        assert_int_equal(url(big, 1000, &f), DOANRA_FORM_TOO_MANY);
        assert_int_equal(f->nelts, 1000);
    }
}

#define CT "multipart/form-data; boundary=XyZ"

static void mp_basic(void **state)
{
    static const char body[] =
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"don_vi\"\r\n"
        "\r\n"
        "S\xE1\xBB\x9F Ngo\xE1\xBA\xA1i v\xE1\xBB\xA5\r\n"
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"muc_dich\"\r\n"
        "Content-Type: text/plain; charset=UTF-8\r\n"
        "\r\n"
        "line 1\r\nline 2\r\n"
        "--XyZ\r\n"
        "content-disposition: FORM-DATA; name=\"empty\"\r\n"
        "\r\n"
        "\r\n"
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"tep\"; "
        "filename=\"C:\\Users\\a\\b\xE1\xBA\xA3n.pdf\"\r\n"
        "Content-Type: application/pdf\r\n"
        "\r\n"
        "%PDF-1.4 \x00\xFF\xFE binary --XyZ-not-a-delimiter\r\n"
        "--XyZ--\r\n"
        "epilogue ignored";
    apr_array_header_t *f;
    assert_int_equal(mp(CT, body, sizeof(body) - 1, 0, &f), DOANRA_FORM_OK);
    assert_int_equal(f->nelts, 4);
    assert_string_equal(fld(f, 0)->name, "don_vi");
    assert_string_equal(fld(f, 0)->value, "Sở Ngoại vụ");
    assert_string_equal(fld(f, 1)->value, "line 1\r\nline 2");
    assert_string_equal(fld(f, 2)->name, "empty");
    assert_string_equal(fld(f, 2)->value, "");
    assert_int_equal(fld(f, 2)->len, 0);
    assert_string_equal(fld(f, 3)->name, "tep");
    assert_int_equal(fld(f, 3)->is_file, 1);
    /* backslashes of an old browser's full path survive */
    assert_string_equal(fld(f, 3)->value, "C:\\Users\\a\\bản.pdf");
}

static void mp_quoted_boundary_preamble(void **state)
{
    static const char body[] = "This is the preamble.\r\n"
                               "--a'b(c)=d e\r\n"
                               "Content-Disposition: form-data; name=x\r\n"
                               "\r\n"
                               "1\r\n"
                               "--a'b(c)=d e--";
    apr_array_header_t *f;
    assert_int_equal(mp("Multipart/Form-Data; charset=utf-8; "
                        "BOUNDARY=\"a'b(c)=d e\"",
                        body, sizeof(body) - 1, 0, &f),
                     DOANRA_FORM_OK);
    assert_int_equal(f->nelts, 1);
    assert_string_equal(fld(f, 0)->name, "x");
    assert_string_equal(fld(f, 0)->value, "1");
    /* through the dispatcher too */
    assert_int_equal(
        doanra_form_parse(pool, "multipart/form-data; boundary=\"a'b(c)=d e\"",
                          body, sizeof(body) - 1, 0, &f),
        DOANRA_FORM_OK);
    assert_int_equal(f->nelts, 1);
}

static void mp_lf_only(void **state)
{
    static const char body[] = "--XyZ\n"
                               "Content-Disposition: form-data; name=\"a\"\n"
                               "\n"
                               "one\n"
                               "--XyZ\n"
                               "Content-Disposition: form-data; name=\"b\"\n"
                               "\n"
                               "two\n"
                               "--XyZ--\n";
    apr_array_header_t *f;
    assert_int_equal(mp(CT, body, sizeof(body) - 1, 0, &f), DOANRA_FORM_OK);
    assert_int_equal(f->nelts, 2);
    assert_string_equal(fld(f, 0)->value, "one");
    assert_string_equal(fld(f, 1)->value, "two");
}

static void mp_file_empty_name(void **state)
{
    /* no file chosen: browsers send filename="" and no content */
    static const char body[] =
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"tep\"; filename=\"\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "\r\n"
        "--XyZ--\r\n";
    apr_array_header_t *f;
    assert_int_equal(mp(CT, body, sizeof(body) - 1, 0, &f), DOANRA_FORM_OK);
    assert_int_equal(f->nelts, 1);
    assert_int_equal(fld(f, 0)->is_file, 1);
    assert_string_equal(fld(f, 0)->value, "");
}

static void mp_nul_and_utf8(void **state)
{
    static const char nul[] = "--XyZ\r\n"
                              "Content-Disposition: form-data; name=\"a\"\r\n"
                              "\r\n"
                              "x\0y\r\n"
                              "--XyZ--\r\n";
    static const char bad[] = "--XyZ\r\n"
                              "Content-Disposition: form-data; name=\"a\"\r\n"
                              "\r\n"
                              "caf\xE9\r\n"
                              "--XyZ--\r\n";
    static const char badname[] =
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"caf\xE9\"\r\n"
        "\r\n"
        "x\r\n"
        "--XyZ--\r\n";
    apr_array_header_t *f;
    assert_int_equal(mp(CT, nul, sizeof(nul) - 1, 0, &f), DOANRA_FORM_OK);
    assert_int_equal(fld(f, 0)->len, 3);
    assert_memory_equal(fld(f, 0)->value, "x\0y", 4);
    assert_int_equal(mp(CT, bad, sizeof(bad) - 1, 0, &f), DOANRA_FORM_BAD_UTF8);
    assert_int_equal(f->nelts, 0);
    assert_int_equal(mp(CT, badname, sizeof(badname) - 1, 0, &f),
                     DOANRA_FORM_BAD_UTF8);
}

static void mp_malformed(void **state)
{
    static const char noend[] = "--XyZ\r\n"
                                "Content-Disposition: form-data; name=\"a\"\r\n"
                                "\r\n"
                                "1\r\n";
    static const char cut[] = "--XyZ\r\n"
                              "Content-Disposition: form-data; name=\"a\"\r\n"
                              "\r\n"
                              "1\r\n"
                              "--XyZ";
    static const char nohead[] =
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"a\"\r\n"
        "--XyZ--\r\n";
    static const char noname[] = "--XyZ\r\n"
                                 "Content-Disposition: form-data\r\n"
                                 "\r\n"
                                 "1\r\n"
                                 "--XyZ--\r\n";
    static const char nodisp[] = "--XyZ\r\n"
                                 "Content-Type: text/plain\r\n"
                                 "\r\n"
                                 "1\r\n"
                                 "--XyZ--\r\n";
    static const char attach[] =
        "--XyZ\r\n"
        "Content-Disposition: attachment; name=\"a\"\r\n"
        "\r\n"
        "1\r\n"
        "--XyZ--\r\n";
    static const char openq[] = "--XyZ\r\n"
                                "Content-Disposition: form-data; name=\"a\r\n"
                                "\r\n"
                                "1\r\n"
                                "--XyZ--\r\n";
    static const char other[] = "--Other\r\n"
                                "Content-Disposition: form-data; name=\"a\"\r\n"
                                "\r\n"
                                "1\r\n"
                                "--Other--\r\n";
    static const char longer[] =
        "--XyZW\r\n"
        "Content-Disposition: form-data; name=\"a\"\r\n"
        "\r\n"
        "1\r\n"
        "--XyZW--\r\n";
    apr_array_header_t *f;
    assert_int_equal(mp(CT, noend, sizeof(noend) - 1, 0, &f),
                     DOANRA_FORM_MALFORMED);
    assert_non_null(f);
    assert_int_equal(mp(CT, cut, sizeof(cut) - 1, 0, &f),
                     DOANRA_FORM_MALFORMED);
    assert_int_equal(mp(CT, nohead, sizeof(nohead) - 1, 0, &f),
                     DOANRA_FORM_MALFORMED);
    assert_int_equal(mp(CT, noname, sizeof(noname) - 1, 0, &f),
                     DOANRA_FORM_MALFORMED);
    assert_int_equal(mp(CT, nodisp, sizeof(nodisp) - 1, 0, &f),
                     DOANRA_FORM_MALFORMED);
    assert_int_equal(mp(CT, attach, sizeof(attach) - 1, 0, &f),
                     DOANRA_FORM_MALFORMED);
    assert_int_equal(mp(CT, openq, sizeof(openq) - 1, 0, &f),
                     DOANRA_FORM_MALFORMED);
    assert_int_equal(mp(CT, other, sizeof(other) - 1, 0, &f),
                     DOANRA_FORM_MALFORMED);
    assert_int_equal(mp(CT, longer, sizeof(longer) - 1, 0, &f),
                     DOANRA_FORM_MALFORMED);
    assert_int_equal(mp(CT, "", 0, 0, &f), DOANRA_FORM_MALFORMED);
    /* no boundary parameter, empty boundary, open quote */
    assert_int_equal(mp("multipart/form-data", cut, sizeof(cut) - 1, 0, &f),
                     DOANRA_FORM_MALFORMED);
    assert_int_equal(
        mp("multipart/form-data; boundary=", cut, sizeof(cut) - 1, 0, &f),
        DOANRA_FORM_MALFORMED);
    assert_int_equal(
        mp("multipart/form-data; boundary=\"\"", cut, sizeof(cut) - 1, 0, &f),
        DOANRA_FORM_MALFORMED);
    assert_int_equal(
        mp("multipart/form-data; boundary=\"XyZ", cut, sizeof(cut) - 1, 0, &f),
        DOANRA_FORM_MALFORMED);
    assert_int_equal(
        doanra_form_parse_multipart(pool, NULL, cut, sizeof(cut) - 1, 0, &f),
        DOANRA_FORM_MALFORMED);
    assert_non_null(f);
}

static void mp_too_many(void **state)
{
    static const char body[] = "--XyZ\r\n"
                               "Content-Disposition: form-data; name=\"a\"\r\n"
                               "\r\n"
                               "1\r\n"
                               "--XyZ\r\n"
                               "Content-Disposition: form-data; name=\"b\"\r\n"
                               "\r\n"
                               "2\r\n"
                               "--XyZ--\r\n";
    apr_array_header_t *f;
    assert_int_equal(mp(CT, body, sizeof(body) - 1, 2, &f), DOANRA_FORM_OK);
    assert_int_equal(mp(CT, body, sizeof(body) - 1, 1, &f),
                     DOANRA_FORM_TOO_MANY);
    assert_int_equal(f->nelts, 1);
}

/* Every prefix of a valid body: never crashes, never reads past len, and
 * only the whole body is accepted with both fields. */
static void mp_prefixes(void **state)
{
    static const char body[] =
        "pre\r\n--XyZ\r\n"
        "Content-Disposition: form-data; name=\"a\"; filename=\"f\"\r\n"
        "\r\n"
        "data\r\n"
        "--XyZ \t\r\n"
        "Content-Disposition: form-data; name=\"b\"\r\n"
        "\r\n"
        "2\r\n"
        "--XyZ--";
    size_t n;
    apr_array_header_t *f;
    for (n = 0; n < sizeof(body) - 1; n++)
        assert_int_not_equal(mp(CT, body, n, 0, &f), DOANRA_FORM_OK);
    assert_int_equal(mp(CT, body, sizeof(body) - 1, 0, &f), DOANRA_FORM_OK);
    assert_int_equal(f->nelts, 2);
    assert_string_equal(fld(f, 0)->value, "f");
    assert_string_equal(fld(f, 1)->value, "2");
    for (n = 0; n < 40; n++)
        url(body + n, 0, &f);
}

static void dispatch(void **state)
{
    apr_array_header_t *f;
    assert_true(doanra_form_type_handled("application/x-www-form-urlencoded"));
    assert_true(doanra_form_type_handled(
        " Application/X-WWW-Form-URLEncoded ; charset=UTF-8"));
    assert_true(doanra_form_type_handled("multipart/form-data; boundary=x"));
    assert_true(doanra_form_type_handled("MULTIPART/FORM-DATA"));
    assert_false(doanra_form_type_handled("application/json"));
    assert_false(doanra_form_type_handled("text/plain"));
    assert_false(doanra_form_type_handled("multipart/mixed; boundary=x"));
    assert_false(
        doanra_form_type_handled("application/x-www-form-urlencodedx"));
    assert_false(doanra_form_type_handled(""));
    assert_false(doanra_form_type_handled(NULL));
    assert_int_equal(doanra_form_parse(pool,
                                       "application/x-www-form-urlencoded; "
                                       "charset=utf-8",
                                       "a=1", 3, 0, &f),
                     DOANRA_FORM_OK);
    assert_int_equal(f->nelts, 1);
    assert_int_equal(
        doanra_form_parse(pool, "application/json", "{}", 2, 0, &f),
        DOANRA_FORM_MALFORMED);
    assert_non_null(f);
    assert_int_equal(f->nelts, 0);
    assert_int_equal(doanra_form_parse(pool, NULL, "a=1", 3, 0, &f),
                     DOANRA_FORM_MALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(url_basic),
        cmocka_unit_test(url_edges),
        cmocka_unit_test(url_bad_percent),
        cmocka_unit_test(url_nul),
        cmocka_unit_test(url_bad_utf8),
        cmocka_unit_test(url_too_many),
        cmocka_unit_test(mp_basic),
        cmocka_unit_test(mp_quoted_boundary_preamble),
        cmocka_unit_test(mp_lf_only),
        cmocka_unit_test(mp_file_empty_name),
        cmocka_unit_test(mp_nul_and_utf8),
        cmocka_unit_test(mp_malformed),
        cmocka_unit_test(mp_too_many),
        cmocka_unit_test(mp_prefixes),
        cmocka_unit_test(dispatch),
    };
    int r;
    apr_initialize();
    r = cmocka_run_group_tests(tests, setup, teardown);
    apr_terminate();
    return r;
}
