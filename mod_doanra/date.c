/*
 * date.c - calendar dates as day numbers: parsing both formats a form
 * sends, the two ways messages show a date, and DOANRA_NODATE for a date
 * that is missing or not a date (doanra_date_ok).
 *
 * Every date in the core is a count of days since 1970-01-01 in the
 * proleptic Gregorian calendar, so that "days in a country" and "gap between
 * legs" are plain subtraction.  Conversion uses the era arithmetic below
 * (400-year eras of 146097 days, years counted from 1 March so the leap day
 * is the last day of the year); no libc time functions, no time zones.
 */
#include "doanra.h"

#include <stdio.h>
#include <string.h>

/* Days between 0000-03-01 and 1970-01-01. */
#define EPOCH_SHIFT 719468L
#define DAYS_PER_ERA 146097L

static int is_leap(long y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(long y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
    if (m == 2 && is_leap(y))
        return 29;
    return days[m - 1];
}

int doanra_date_ok(long day)
{
    return day != DOANRA_NODATE;
}

long doanra_date_from_ymd(int y, int m, int d)
{
    long yy, era, yoe, mp, doy, doe;

    /* The year bound keeps every product well inside a long. */
    if (y < -1000000 || y > 1000000 || m < 1 || m > 12 || d < 1 ||
        d > month_days(y, m))
        return DOANRA_NODATE;
    /* Count years from March: January and February belong to the year
     * before, so the leap day, when there is one, ends the year. */
    yy = (long)y - (m <= 2);
    era = (yy >= 0 ? yy : yy - 399) / 400;
    yoe = yy - era * 400;             /* year of era, 0..399 */
    mp = (m + 9) % 12;                /* March = 0 ... February = 11 */
    doy = (153 * mp + 2) / 5 + d - 1; /* day of the March-based year */
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* day of era */
    return era * DAYS_PER_ERA + doe - EPOCH_SHIFT;
}

void doanra_date_to_ymd(long day, int *y, int *m, int *d)
{
    long z, era, doe, yoe, yr, doy, mp, dd, mm;

    /* Outside about +-1 million years (and DOANRA_NODATE) there is no
     * date to give. */
    if (day < -400000000L || day > 400000000L) {
        if (y)
            *y = 0;
        if (m)
            *m = 0;
        if (d)
            *d = 0;
        return;
    }
    z = day + EPOCH_SHIFT;
    era = (z >= 0 ? z : z - (DAYS_PER_ERA - 1)) / DAYS_PER_ERA;
    doe = z - era * DAYS_PER_ERA; /* 0..146096 */
    /* Remove the leap days of the era so far, then divide by 365. */
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    yr = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    dd = doy - (153 * mp + 2) / 5 + 1;
    mm = mp < 10 ? mp + 3 : mp - 9;
    yr += (mm <= 2);
    if (y)
        *y = (int)yr;
    if (m)
        *m = (int)mm;
    if (d)
        *d = (int)dd;
}

/* Reads at most 5 digits (so a long run cannot overflow); returns how many
 * were read, 0 if none. */
static int read_num(const char **s, const char *end, int *v)
{
    int n = 0;
    *v = 0;
    while (*s < end && **s >= '0' && **s <= '9' && n < 5) {
        *v = *v * 10 + (**s - '0');
        (*s)++;
        n++;
    }
    return n;
}

long doanra_date_parse(const char *s)
{
    const char *end;
    int a, b, c, na, nb, nc, y, m, d;
    char sep;

    if (!s)
        return DOANRA_NODATE;
    while (doanra_ascii_space(*s))
        s++;
    end = s + strlen(s);
    while (end > s && doanra_ascii_space(end[-1]))
        end--;

    na = read_num(&s, end, &a);
    if (s >= end || (*s != '-' && *s != '/'))
        return DOANRA_NODATE;
    sep = *s++;
    nb = read_num(&s, end, &b);
    if (s >= end || *s != sep)
        return DOANRA_NODATE;
    s++;
    nc = read_num(&s, end, &c);
    if (s != end)
        return DOANRA_NODATE;

    if (sep == '-' && na == 4 && nb >= 1 && nb <= 2 && nc >= 1 && nc <= 2) {
        y = a; /* YYYY-MM-DD, what <input type="date"> sends */
        m = b;
        d = c;
    } else if (sep == '/' && na >= 1 && na <= 2 && nb >= 1 && nb <= 2 &&
               nc == 4) {
        d = a; /* DD/MM/YYYY, how dates are written in Viet Nam */
        m = b;
        y = c;
    } else
        return DOANRA_NODATE;
    if (y < 1900 || y > 2200)
        return DOANRA_NODATE;
    return doanra_date_from_ymd(y, m, d);
}

const char *doanra_date_iso(apr_pool_t *p, long day)
{
    int y, m, d;
    if (!doanra_date_ok(day))
        return "";
    doanra_date_to_ymd(day, &y, &m, &d);
    return apr_psprintf(p, "%04d-%02d-%02d", y, m, d);
}

const char *doanra_date_vn(apr_pool_t *p, long day)
{
    int y, m, d;
    if (!doanra_date_ok(day))
        return "";
    doanra_date_to_ymd(day, &y, &m, &d);
    return apr_psprintf(p, "%02d/%02d/%04d", d, m, y);
}

const char *doanra_date_show(apr_pool_t *p, int lang, long day)
{
    return lang == DOANRA_LANG_EN ? doanra_date_iso(p, day)
                                  : doanra_date_vn(p, day);
}
