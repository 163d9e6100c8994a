/* test_core.c - the core's names: severities (DoanraRuleSeverity). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "doanra.h"

static void severity_lookup(void **state)
{
    assert_int_equal(doanra_severity_lookup("error"), DOANRA_SEV_ERROR);
    assert_int_equal(doanra_severity_lookup("warning"), DOANRA_SEV_WARNING);
    assert_int_equal(doanra_severity_lookup("off"), DOANRA_SEV_OFF);
    /* a directive's words: any case */
    assert_int_equal(doanra_severity_lookup("ERROR"), DOANRA_SEV_ERROR);
    assert_int_equal(doanra_severity_lookup("Warning"), DOANRA_SEV_WARNING);
    assert_int_equal(doanra_severity_lookup("oFF"), DOANRA_SEV_OFF);
    assert_int_equal(doanra_severity_lookup("fatal"), -1);
    assert_int_equal(doanra_severity_lookup("err"), -1);
    assert_int_equal(doanra_severity_lookup("errors"), -1);
    assert_int_equal(doanra_severity_lookup(""), -1);
    assert_int_equal(doanra_severity_lookup(NULL), -1);
}

static void severity_names_round_trip(void **state)
{
    int s;

    for (s = DOANRA_SEV_OFF; s <= DOANRA_SEV_ERROR; s++)
        assert_int_equal(doanra_severity_lookup(doanra_severity_name(s)), s);
    assert_string_equal(doanra_severity_name(DOANRA_SEV_ERROR), "error");
    assert_string_equal(doanra_severity_name(DOANRA_SEV_WARNING), "warning");
    assert_string_equal(doanra_severity_name(DOANRA_SEV_OFF), "off");
    /* anything else reads as off, as before */
    assert_string_equal(doanra_severity_name(DOANRA_SEV_UNSET), "off");
    assert_string_equal(doanra_severity_name(7), "off");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(severity_lookup),
        cmocka_unit_test(severity_names_round_trip),
    };
    int r;
    apr_initialize();
    r = cmocka_run_group_tests(tests, NULL, NULL);
    apr_terminate();
    return r;
}
