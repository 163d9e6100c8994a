/* test_text.c - UTF-8 validation, name normalisation and title prefixes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
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

static void utf8_valid(void **state)
{
    assert_true(doanra_utf8_valid("", 0));
    assert_true(doanra_utf8_valid("abc", 3));
    assert_true(doanra_utf8_valid("Nguyễn Văn A", strlen("Nguyễn Văn A")));
    assert_true(doanra_utf8_valid("\xF0\x9F\x98\x80", 4));  /* emoji */
    assert_true(doanra_utf8_valid("\xF4\x8F\xBF\xBF", 4));  /* U+10FFFF */
    assert_false(doanra_utf8_valid("a\0b", 3));             /* NUL */
    assert_false(doanra_utf8_valid("\xC3", 1));             /* truncated */
    assert_false(doanra_utf8_valid("\xC0\xAF", 2));         /* overlong */
    assert_false(doanra_utf8_valid("\xE0\x80\xAF", 3));     /* overlong */
    assert_false(doanra_utf8_valid("\xED\xA0\x80", 3));     /* surrogate */
    assert_false(doanra_utf8_valid("\xF4\x90\x80\x80", 4)); /* > 10FFFF */
    assert_false(doanra_utf8_valid("\xF8\x88\x80\x80\x80", 5));
    assert_false(doanra_utf8_valid("\x80", 1));
    assert_false(doanra_utf8_valid("\xE1\x80", 2));
    assert_false(doanra_utf8_valid("\xFF", 1));
    /* only len bytes are read */
    assert_true(doanra_utf8_valid("ab\xFF", 2));
}

static void norm_nfc_nfd(void **state)
{
    /* "Nguyễn Văn A": precomposed vs decomposed (e + circumflex + tilde,
     * a + breve). */
    const char *nfc = "Nguy\xE1\xBB\x85n V\xC4\x83n A";
    const char *nfd = "Nguye\xCC\x82\xCC\x83n Va\xCC\x86n A";
    assert_string_not_equal(nfc, nfd);
    assert_string_equal(doanra_text_norm(pool, nfc),
                        doanra_text_norm(pool, nfd));
    assert_string_equal(doanra_text_norm(pool, nfd), "nguyễn văn a");
}

static void norm_case(void **state)
{
    assert_string_equal(doanra_text_norm(pool, "NGUYỄN"),
                        doanra_text_norm(pool, "nguyễn"));
    assert_string_equal(doanra_text_norm(pool, "NGUYỄN"), "nguyễn");
    assert_string_equal(doanra_text_norm(pool, "ĐỨC"), "đức");
    assert_string_equal(doanra_text_norm(pool, "Straße"), "strasse");
    assert_string_equal(doanra_text_norm(pool, "GIÁM ĐỐC"), "giám đốc");
    assert_string_equal(doanra_text_norm(pool, "ABC def"), "abc def");
}

static void norm_space(void **state)
{
    assert_string_equal(doanra_text_norm(pool, "  Nguyễn   Văn\tA \r\n"),
                        "nguyễn văn a");
    /* non-breaking space, ideographic space, narrow NBSP, line separator */
    assert_string_equal(
        doanra_text_norm(pool, "\xC2\xA0Nguy\xE1\xBB\x85n\xC2\xA0\xC2\xA0V"
                               "\xC4\x83n\xE3\x80\x80"
                               "A\xE2\x80\xAF"),
        "nguyễn văn a");
    assert_string_equal(doanra_text_norm(pool, "Sở\xE2\x80\xA8Ngoại vụ"),
                        "sở ngoại vụ");
    assert_string_equal(doanra_text_norm(pool, "  a  b  "), "a b");
    assert_string_equal(doanra_text_norm(pool, "   "), "");
    assert_string_equal(doanra_text_norm(pool, "\xC2\xA0"), "");
    assert_string_equal(doanra_text_norm(pool, ""), "");
}

static void norm_bad(void **state)
{
    assert_string_equal(doanra_text_norm(pool, NULL), "");
    assert_string_equal(doanra_text_norm(pool, "abc\xFF"), "");
    assert_string_equal(doanra_text_norm(pool, "\xC3"), "");
}

static void norm_long(void **state)
{
    /* A long mixed string goes through the ICU path with its buffers. */
    char *big = apr_palloc(pool, 30001);
    const char *n;
    int i;
    for (i = 0; i < 10000; i++)
        memcpy(big + 3 * i, i % 2 ? "\xE1\xBA\xA0" : "A  ", 3);
    big[30000] = '\0';
    n = doanra_text_norm(pool, big);
    assert_true(strlen(n) > 0);
    assert_true(doanra_utf8_valid(n, strlen(n)));
    assert_memory_equal(n, "a ạa ạ", strlen("a ạa ạ"));
}

static void titles(void **state)
{
    const char *gd = doanra_text_norm(pool, "Giám đốc");
    assert_true(doanra_text_starts_with_title(
        doanra_text_norm(pool, "giám đốc sở x"), gd));
    assert_true(doanra_text_starts_with_title(
        doanra_text_norm(pool, "Giám đốc Sở Ngoại vụ"), gd));
    assert_true(
        doanra_text_starts_with_title(doanra_text_norm(pool, "GIÁM ĐỐC"), gd));
    assert_false(doanra_text_starts_with_title(
        doanra_text_norm(pool, "Phó Giám đốc"), gd));
    assert_false(doanra_text_starts_with_title(
        doanra_text_norm(pool, "Phó Giám đốc Sở"), gd));
    assert_false(
        doanra_text_starts_with_title(doanra_text_norm(pool, "giám đốcx"), gd));
    assert_false(
        doanra_text_starts_with_title(doanra_text_norm(pool, "giám đốc2"), gd));
    assert_true(doanra_text_starts_with_title(
        doanra_text_norm(pool, "giám đốc, sở y"), gd));
    assert_false(doanra_text_starts_with_title("giám", gd));
    assert_false(doanra_text_starts_with_title("", gd));
    assert_false(doanra_text_starts_with_title("giám đốc", ""));
    assert_false(doanra_text_starts_with_title(NULL, gd));
    assert_false(doanra_text_starts_with_title("giám đốc", NULL));
    /* a combining mark after the title belongs to its last letter */
    assert_false(doanra_text_starts_with_title("giám đốc\xCC\xA3", gd));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(utf8_valid), cmocka_unit_test(norm_nfc_nfd),
        cmocka_unit_test(norm_case),  cmocka_unit_test(norm_space),
        cmocka_unit_test(norm_bad),   cmocka_unit_test(norm_long),
        cmocka_unit_test(titles),
    };
    int r;
    apr_initialize();
    r = cmocka_run_group_tests(tests, setup, teardown);
    apr_terminate();
    return r;
}
