/* test_ctype.c - the Content-Type header read by RFC 9110's grammar: the
 * two form types, other types, and every spelling a backend could read
 * another way than the module. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

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

static doanra_ctype kind(const char *v)
{
    const char *b;
    return doanra_ctype_parse(pool, v, &b);
}

static const char *boundary_of(const char *v)
{
    const char *b = NULL;
    if (doanra_ctype_parse(pool, v, &b) != DOANRA_CT_MULTIPART)
        return "(not multipart)";
    return b;
}

static void form_types(void **state)
{
    assert_int_equal(kind("application/x-www-form-urlencoded"),
                     DOANRA_CT_URLENCODED);
    assert_int_equal(kind("Application/X-WWW-Form-URLEncoded"),
                     DOANRA_CT_URLENCODED);
    assert_int_equal(kind("application/x-www-form-urlencoded;charset=UTF-8"),
                     DOANRA_CT_URLENCODED);
    assert_int_equal(
        kind("application/x-www-form-urlencoded ; charset=\"utf-8\" "),
        DOANRA_CT_URLENCODED);
    /* The grammar allows empty parameters. */
    assert_int_equal(kind("application/x-www-form-urlencoded;"),
                     DOANRA_CT_URLENCODED);
    assert_string_equal(boundary_of("multipart/form-data; boundary=AaB03x"),
                        "AaB03x");
    assert_string_equal(
        boundary_of("multipart/form-data; boundary=\"--a b:c\""), "--a b:c");
    assert_string_equal(
        boundary_of("multipart/form-data; charset=utf-8; "
                    "boundary=----WebKitFormBoundaryx7bZ"),
        "----WebKitFormBoundaryx7bZ");
    /* "boundary" inside the value, after the name, reads the same. */
    assert_string_equal(boundary_of("multipart/form-data; boundary=xboundary"),
                        "xboundary");
}

static void other_and_none(void **state)
{
    assert_int_equal(kind(NULL), DOANRA_CT_NONE);
    assert_int_equal(kind(""), DOANRA_CT_NONE);
    assert_int_equal(kind("  "), DOANRA_CT_NONE);
    assert_int_equal(kind("application/json"), DOANRA_CT_OTHER);
    assert_int_equal(kind("text/plain; charset=utf-8"), DOANRA_CT_OTHER);
    assert_int_equal(kind("multipart/mixed; boundary=x"), DOANRA_CT_OTHER);
    assert_int_equal(kind("application/x-www-form-urlencodedx"),
                     DOANRA_CT_OTHER);
}

/* What PHP reads as a form and the module must not read as anything. */
static void ambiguous(void **state)
{
    static const char *bad[] = {
        "application/x-www-form-urlencoded, text/plain",
        "application/x-www-form-urlencoded,text/plain",
        "application/x-www-form-urlencoded text/plain",
        "application/x-www-form-urlencoded=",
        "application/x-www-form-urlencoded, application/x-www-form-urlencoded",
        "text/plain, application/x-www-form-urlencoded",
        "multipart/form-data, boundary=B",
        "multipart/form-data",
        "multipart/form-data;",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=\"\"",
        "multipart/form-data; boundary=a; boundary=b",
        "multipart/form-data; boundary=a; Boundary=a",
        "multipart/form-data; xboundary=a; boundary=b",
        "multipart/form-data; foo=\"boundary=a\"; boundary=b",
        "multipart/form-data; BOUNDARY=b; foo=boundary",
        "multipart/form-data; boundary=\"a\\\"b\"",
        "multipart/form-data; boundary=\"abc",
        "multipart/form-data; boundary=a b",
        "multipart/form-data; boundary=\"ab \"",
        "multipart/form-data; boundary="
        "12345678901234567890123456789012345678901234567890123456789012345678901",
        "multipart/form-data; boundary=\"a\xc3\xa1\"",
        "application/x-www-form-urlencoded; charset=iso-8859-1",
        "application/x-www-form-urlencoded; charset=utf-16",
        "application/x-www-form-urlencoded; charset=utf-8; charset=utf-8",
        "application/x-www-form-urlencoded; =utf-8",
        "application/x-www-form-urlencoded; charset",
        "application/x-www-form-urlencoded; charset=",
        "application/x-www-form-urlencoded;; a=\"x",
        "/x-www-form-urlencoded",
        "application/",
        "application",
        "application /x-www-form-urlencoded",
        "application/x-www-form-urlencoded\x01",
    };
    size_t i;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (kind(bad[i]) != DOANRA_CT_INVALID)
            fail_msg("accepted: %s", bad[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(form_types),
        cmocka_unit_test(other_and_none),
        cmocka_unit_test(ambiguous),
    };
    int r;
    apr_initialize();
    r = cmocka_run_group_tests(tests, setup, teardown);
    apr_terminate();
    return r;
}
