/* test_date.c - day numbers, both input formats, leap years, formatting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <time.h>

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

static void epoch(void **state)
{
    assert_int_equal(doanra_date_from_ymd(1970, 1, 1), 0);
    assert_int_equal(doanra_date_from_ymd(1970, 1, 2), 1);
    assert_int_equal(doanra_date_from_ymd(1969, 12, 31), -1);
    assert_int_equal(doanra_date_from_ymd(2000, 3, 1), 11017);
    assert_int_equal(doanra_date_from_ymd(2026, 1, 1), 20454);
    assert_int_equal(doanra_date_from_ymd(1900, 1, 1), -25567);
}

/* Every day from 1900 to 2200 against timegm and back. */
static void round_trip(void **state)
{
    long d, first = doanra_date_from_ymd(1600, 1, 1),
            last = doanra_date_from_ymd(2400, 12, 31);
    int y, m, dd, py = 0, pm = 0, pd = 0;
    for (d = first; d <= last; d++) {
        doanra_date_to_ymd(d, &y, &m, &dd);
        assert_int_equal(doanra_date_from_ymd(y, m, dd), d);
        if (d > first) /* consecutive: the next day of the previous one */
            assert_true((y == py && m == pm && dd == pd + 1) ||
                        (y == py && m == pm + 1 && dd == 1) ||
                        (y == py + 1 && m == 1 && dd == 1 && pm == 12));
        py = y;
        pm = m;
        pd = dd;
        if (y >= 1970 && y < 2100 && dd == 15) {
            struct tm tm = {0};
            tm.tm_year = y - 1900;
            tm.tm_mon = m - 1;
            tm.tm_mday = dd;
            assert_int_equal(timegm(&tm) / 86400, d);
        }
    }
}

static void leap(void **state)
{
    assert_int_not_equal(doanra_date_from_ymd(2024, 2, 29), DOANRA_NODATE);
    assert_int_not_equal(doanra_date_from_ymd(2000, 2, 29), DOANRA_NODATE);
    assert_int_equal(doanra_date_from_ymd(1900, 2, 29), DOANRA_NODATE);
    assert_int_equal(doanra_date_from_ymd(2100, 2, 29), DOANRA_NODATE);
    assert_int_equal(doanra_date_from_ymd(2026, 2, 29), DOANRA_NODATE);
    assert_int_equal(doanra_date_parse("29/02/2028"),
                     doanra_date_from_ymd(2028, 2, 29));
    assert_int_equal(doanra_date_parse("2028-02-29"),
                     doanra_date_from_ymd(2028, 2, 29));
    assert_int_equal(doanra_date_parse("2026-02-29"), DOANRA_NODATE);
    assert_int_equal(doanra_date_parse("29/02/2026"), DOANRA_NODATE);
    assert_int_equal(doanra_date_from_ymd(2024, 3, 1) -
                         doanra_date_from_ymd(2024, 2, 28),
                     2);
}

static void parse_formats(void **state)
{
    long want = doanra_date_from_ymd(2026, 5, 3);
    assert_int_equal(doanra_date_parse("2026-05-03"), want);
    assert_int_equal(doanra_date_parse("03/05/2026"), want);
    assert_int_equal(doanra_date_parse("3/5/2026"), want);
    assert_int_equal(doanra_date_parse("03/5/2026"), want);
    assert_int_equal(doanra_date_parse("2026-5-3"), want);
    assert_int_equal(doanra_date_parse("  2026-05-03 \t\r\n"), want);
    assert_int_equal(doanra_date_parse(" 03/05/2026 "), want);
    assert_int_equal(doanra_date_parse("31/12/2200"),
                     doanra_date_from_ymd(2200, 12, 31));
    assert_int_equal(doanra_date_parse("1900-01-01"),
                     doanra_date_from_ymd(1900, 1, 1));
}

static void parse_invalid(void **state)
{
    static const char *const bad[] = {
        "",
        "   ",
        "2026-02-30",
        "31/04/2026",
        "31/02/2026",
        "2026-13-01",
        "2026-00-10",
        "2026-01-00",
        "00/01/2026",
        "32/01/2026",
        "1899-12-31",
        "2201-01-01",
        "26-05-03",
        "03/05/26",
        "2026/05/03",
        "03-05-2026",
        "2026-05-03x",
        "x2026-05-03",
        "2026-05",
        "2026-05-03-",
        "2026 05 03",
        "03/05/2026/",
        "003/05/2026",
        "2026-005-03",
        "20260-05-03",
        "99999999999999999999-1-1",
        "2026-05-03 12:00",
        "٢٠٢٦-٠٥-٠٣",
        "+2026-05-03",
        "-2026-05-03",
        "2026--05-03",
        "2026-05/03",
    };
    size_t i;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (doanra_date_parse(bad[i]) != DOANRA_NODATE)
            fail_msg("accepted \"%s\"", bad[i]);
    }
    assert_int_equal(doanra_date_parse(NULL), DOANRA_NODATE);
}

static void format(void **state)
{
    long d = doanra_date_from_ymd(2026, 5, 3);
    assert_string_equal(doanra_date_iso(pool, d), "2026-05-03");
    assert_string_equal(doanra_date_vn(pool, d), "03/05/2026");
    assert_string_equal(doanra_date_iso(pool, 0), "1970-01-01");
    assert_string_equal(doanra_date_vn(pool, doanra_date_from_ymd(1900, 2, 28)),
                        "28/02/1900");
    assert_string_equal(doanra_date_iso(pool, DOANRA_NODATE), "");
    assert_string_equal(doanra_date_vn(pool, DOANRA_NODATE), "");
}

static void to_ymd_out_of_range(void **state)
{
    int y = 1, m = 1, d = 1;
    doanra_date_to_ymd(DOANRA_NODATE, &y, &m, &d);
    assert_int_equal(y, 0);
    assert_int_equal(m, 0);
    assert_int_equal(d, 0);
    doanra_date_to_ymd(-719468, &y, &m, &d); /* 0000-03-01 */
    assert_int_equal(y, 0);
    assert_int_equal(m, 3);
    assert_int_equal(d, 1);
    doanra_date_to_ymd(-719469, &y, &m, &d);
    assert_int_equal(y, 0);
    assert_int_equal(m, 2);
    assert_int_equal(d, 29);
}

static void date_ok(void **state)
{
    assert_false(doanra_date_ok(DOANRA_NODATE));
    assert_false(doanra_date_ok(doanra_date_parse("2026-02-30")));
    assert_false(doanra_date_ok(doanra_date_parse("")));
    assert_true(doanra_date_ok(0)); /* 1970-01-01 */
    assert_true(doanra_date_ok(-1));
    assert_true(doanra_date_ok(doanra_date_parse("29/02/2028")));
}

static void date_show(void **state)
{
    long d = doanra_date_from_ymd(2027, 3, 5);
    assert_string_equal(doanra_date_show(pool, DOANRA_LANG_VI, d),
                        "05/03/2027");
    assert_string_equal(doanra_date_show(pool, DOANRA_LANG_EN, d),
                        "2027-03-05");
    assert_string_equal(doanra_date_show(pool, DOANRA_LANG_EN, DOANRA_NODATE),
                        "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(epoch),
        cmocka_unit_test(round_trip),
        cmocka_unit_test(leap),
        cmocka_unit_test(parse_formats),
        cmocka_unit_test(parse_invalid),
        cmocka_unit_test(format),
        cmocka_unit_test(to_ymd_out_of_range),
        cmocka_unit_test(date_ok),
        cmocka_unit_test(date_show),
    };
    int r;
    apr_initialize();
    r = cmocka_run_group_tests(tests, setup, teardown);
    apr_terminate();
    return r;
}
