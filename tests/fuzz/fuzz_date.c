/*
 * fuzz_date.c - libFuzzer target for dates (date.c).
 *
 * The input is parsed as a date string ("YYYY-MM-DD", "DD/MM/YYYY" or
 * anything else).  A date it accepts must be a real calendar day in the
 * supported years, and both printed forms must parse back to the same day.
 * The first 12 bytes are also read as a (year, month, day) triple and as a
 * day number: doanra_date_from_ymd and doanra_date_to_ymd must be inverse
 * of each other and agree with a slow reference count of days written
 * here, and consecutive day numbers must be consecutive calendar days.
 */
#include "fuzz_common.h"

static int ref_leap(long y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int ref_mdays(long y, int m)
{
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && ref_leap(y) ? 29 : d[m - 1];
}

/* Days from 1970-01-01, by whole 400-year cycles, then years, then months:
 * a different road to the same number. */
static long ref_days(long y, int m, int d)
{
    long n = 0, cycles;
    int k;
    /* shift y into [1970, 2370) by whole 400-year cycles of 146097 days */
    cycles = (y - 1970) / 400;
    if ((y - 1970) % 400 < 0)
        cycles--;
    y -= cycles * 400;
    n += cycles * 146097L;
    for (k = 1970; k < y; k++)
        n += ref_leap(k) ? 366 : 365;
    for (k = 1; k < m; k++)
        n += ref_mdays(y, k);
    return n + d - 1;
}

static int32_t rd32(const uint8_t *p)
{
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 |
                     (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

static void check_parsed(apr_pool_t *p, const char *s)
{
    long day = doanra_date_parse(s);
    int y, m, d;
    if (day == DOANRA_NODATE)
        return;
    doanra_date_to_ymd(day, &y, &m, &d);
    FZ_CHECK(y >= 1900 && y <= 2200 && m >= 1 && m <= 12 && d >= 1 &&
                 d <= ref_mdays(y, m),
             "\"%s\" parsed to %d-%d-%d", s, y, m, d);
    FZ_CHECK(ref_days(y, m, d) == day, "\"%s\": day %ld, reference %ld", s, day,
             ref_days(y, m, d));
    FZ_CHECK(doanra_date_parse(doanra_date_iso(p, day)) == day,
             "ISO form of \"%s\" does not parse back", s);
    FZ_CHECK(doanra_date_parse(doanra_date_vn(p, day)) == day,
             "Vietnamese form of \"%s\" does not parse back", s);
    /* Only digits, one kind of separator and surrounding space were read. */
    {
        const char *q;
        int dash = 0, slash = 0;
        for (q = s; *q; q++) {
            if (*q == '-')
                dash++;
            else if (*q == '/')
                slash++;
            else
                FZ_CHECK((*q >= '0' && *q <= '9') || strchr(" \t\r\n\f\v", *q),
                         "\"%s\" accepted with a stray byte", s);
        }
        FZ_CHECK((dash == 2 && !slash) || (slash == 2 && !dash),
                 "\"%s\" accepted with mixed separators", s);
    }
}

static void check_ymd(int y, int m, int d)
{
    long day = doanra_date_from_ymd(y, m, d);
    int y2, m2, d2;
    int real = y >= -1000000 && y <= 1000000 && m >= 1 && m <= 12 && d >= 1 &&
               d <= ref_mdays(y, m);
    if (!real) {
        FZ_CHECK(day == DOANRA_NODATE, "%d-%d-%d is no date but gave %ld", y, m,
                 d, day);
        return;
    }
    FZ_CHECK(day != DOANRA_NODATE, "%d-%d-%d refused", y, m, d);
    FZ_CHECK(day == ref_days(y, m, d), "%d-%d-%d: %ld, reference %ld", y, m, d,
             day, ref_days(y, m, d));
    doanra_date_to_ymd(day, &y2, &m2, &d2);
    FZ_CHECK(y2 == y && m2 == m && d2 == d, "%d-%d-%d -> %ld -> %d-%d-%d", y, m,
             d, day, y2, m2, d2);
}

static void check_day(long day)
{
    int y, m, d, y1, m1, d1;
    /* from_ymd takes years up to +-1000000: about +-365 million days
     * around 1970 */
    if (day < -360000000L || day > 360000000L)
        return;
    doanra_date_to_ymd(day, &y, &m, &d);
    FZ_CHECK(doanra_date_from_ymd(y, m, d) == day, "day %ld -> %d-%d-%d", day, y,
             m, d);
    doanra_date_to_ymd(day + 1, &y1, &m1, &d1);
    if (d < ref_mdays(y, m))
        FZ_CHECK(y1 == y && m1 == m && d1 == d + 1, "day after %ld", day);
    else if (m < 12)
        FZ_CHECK(y1 == y && m1 == m + 1 && d1 == 1, "day after %ld", day);
    else
        FZ_CHECK(y1 == y + 1 && m1 == 1 && d1 == 1, "day after %ld", day);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fz_pool;
    char *s = apr_pstrmemdup(p, (const char *)data, size);

    check_parsed(p, s);
    FZ_CHECK(doanra_date_parse(NULL) == DOANRA_NODATE, "NULL parsed");
    if (size >= 12) {
        int32_t a = rd32(data), b = rd32(data + 4), c = rd32(data + 8);
        /* small values are the interesting ones: fold most inputs there */
        check_ymd(a % 2400, b % 14, c % 33);
        check_ymd(a, b, c);
        check_day((long)a);
        check_day((long)(a % 200000));
    }
    apr_pool_clear(p);
    return 0;
}
