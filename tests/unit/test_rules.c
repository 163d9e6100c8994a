/*
 * test_rules.c - unit tests of the rules (rules.c): every rule at, just
 * below and just above its limit, custom limits, severity overrides, both
 * languages, and the skipping of values the trip builder already reported.
 *
 * Trips are built by hand here so the rules are tested on their own,
 * independently of the form parser and the trip builder.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <strings.h>

#include "doanra.h"

static apr_pool_t *pool;
static doanra_config cfg;

/* Countries as the store would load them (M49 codes). */
static const doanra_country JP = {"JP", "Nhật Bản", "Japan", "142", "030"};
static const doanra_country KR = {"KR", "Hàn Quốc", "South Korea", "142",
                                  "030"};
static const doanra_country CN = {"CN", "Trung Quốc", "China", "142", "030"};
static const doanra_country MN = {"MN", "Mông Cổ", "Mongolia", "142", "030"};
static const doanra_country TH = {"TH", "Thái Lan", "Thailand", "142", "035"};
static const doanra_country FR = {"FR", "Pháp", "France", "150", "155"};
static const doanra_country DE = {"DE", "Đức", "Germany", "150", "155"};
static const doanra_country AQ = {"AQ", "Nam Cực", "Antarctica", NULL, NULL};

static long D(int y, int m, int d)
{
    return doanra_date_from_ymd(y, m, d);
}

#define TODAY D(2027, 1, 1)

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

static doanra_leg *add_leg(doanra_trip *t, const doanra_country *k, long from,
                           long to)
{
    doanra_leg *g = apr_array_push(t->legs);
    memset(g, 0, sizeof(*g));
    g->row = t->legs->nelts;
    g->country = k;
    g->country_raw = k ? k->code : "??";
    g->from = from;
    g->to = to;
    g->from_raw = g->to_raw = "x";
    return g;
}

static doanra_member *add_member(doanra_trip *t, const char *name,
                                 const char *position, const char *unit)
{
    doanra_member *m = apr_array_push(t->members);
    memset(m, 0, sizeof(*m));
    m->row = t->members->nelts;
    m->name = name;
    m->position = position;
    m->name_norm = name ? doanra_text_norm(pool, name) : "";
    m->position_norm = position ? doanra_text_norm(pool, position) : "";
    m->unit_norm = "";
    m->identity =
        apr_pstrcat(pool, "n:", m->name_norm, "|", unit ? unit : "snv", NULL);
    m->unit_key = unit ? unit : "snv";
    return m;
}

/* A trip that breaks no rule: leaves 1 March 2027, Japan 2-4 March, back
 * 5 March, one member, paid by the host. */
static doanra_trip *base_trip(void)
{
    doanra_trip *t = apr_pcalloc(pool, sizeof(*t));
    t->don_vi = "Sở Ngoại vụ";
    t->unit_norm = "sở ngoại vụ";
    t->unit_code = "SNV";
    t->muc_dich = "Xúc tiến đầu tư";
    t->doi_tac = "Tỉnh Hiroshima";
    t->nguon_kinh_phi_raw = "doi_tac";
    t->funding = DOANRA_FUND_DOI_TAC;
    t->du_toan = -1;
    t->du_toan_raw = NULL;
    t->ngay_di = D(2027, 3, 1);
    t->ngay_ve = D(2027, 3, 5);
    t->ngay_di_raw = "2027-03-01";
    t->ngay_ve_raw = "2027-03-05";
    t->legs = apr_array_make(pool, 4, sizeof(doanra_leg));
    t->members = apr_array_make(pool, 4, sizeof(doanra_member));
    add_leg(t, &JP, D(2027, 3, 2), D(2027, 3, 4));
    add_member(t, "Nguyễn Văn A", "Chuyên viên", NULL);
    return t;
}

static apr_array_header_t *check(const doanra_trip *t, const doanra_history *h)
{
    apr_array_header_t *f = apr_array_make(pool, 8, sizeof(doanra_finding));
    doanra_rules_check(pool, &cfg, t, h, TODAY, f);
    return f;
}

static int count_rule(const apr_array_header_t *f, int rule)
{
    int i, n = 0;
    for (i = 0; i < f->nelts; i++)
        if (APR_ARRAY_IDX(f, i, doanra_finding).rule == rule)
            n++;
    return n;
}

static const doanra_finding *get_rule(const apr_array_header_t *f, int rule)
{
    int i;
    for (i = 0; i < f->nelts; i++)
        if (APR_ARRAY_IDX(f, i, doanra_finding).rule == rule)
            return &APR_ARRAY_IDX(f, i, doanra_finding);
    fail_msg("no finding of rule %s", doanra_rule_name(rule));
    return NULL;
}

static void dump(const apr_array_header_t *f)
{
    int i;
    for (i = 0; i < f->nelts; i++) {
        const doanra_finding *x = &APR_ARRAY_IDX(f, i, doanra_finding);
        print_message("  %s/%s %s#%d: %s\n", doanra_rule_name(x->rule),
                      doanra_severity_name(x->severity), x->field, x->row,
                      x->message);
    }
}

#define assert_contains(hay, needle)                                           \
    do {                                                                       \
        if (!strstr((hay), (needle)))                                          \
            fail_msg("\"%s\" does not contain \"%s\"", (hay), (needle));       \
    } while (0)

#define assert_no_findings(f)                                                  \
    do {                                                                       \
        if ((f)->nelts) {                                                      \
            dump(f);                                                           \
            fail_msg("expected no findings, got %d", (f)->nelts);              \
        }                                                                      \
    } while (0)

/* ------------------------------------------------------------------ */

static void test_base_trip_clean(void **state)
{
    (void)state;
    doanra_trip *t = base_trip();
    assert_no_findings(check(t, NULL));
}

/* ---- size ---- */

static void members(doanra_trip *t, int n)
{
    int i;
    apr_array_clear(t->members);
    for (i = 0; i < n; i++)
        add_member(t, apr_psprintf(pool, "Người %d", i + 1), "Chuyên viên",
                   NULL);
}

static void test_size_limits(void **state)
{
    (void)state;
    doanra_trip *t = base_trip();
    const doanra_finding *f;
    apr_array_header_t *r;

    members(t, 9);
    assert_int_equal(count_rule(check(t, NULL), DOANRA_R_SIZE), 0);
    members(t, 10);
    assert_int_equal(count_rule(check(t, NULL), DOANRA_R_SIZE), 0);
    members(t, 11);
    r = check(t, NULL);
    assert_int_equal(count_rule(r, DOANRA_R_SIZE), 1);
    f = get_rule(r, DOANRA_R_SIZE);
    assert_int_equal(f->severity, DOANRA_SEV_ERROR);
    assert_string_equal(f->field, "tv_ho_ten");
    assert_int_equal(f->row, 0);
    assert_string_equal(f->message,
                        "Đoàn có 11 thành viên, vượt quá giới hạn 10 "
                        "người/đoàn.");
    assert_int_equal(doanra_decision(r), DOANRA_DECISION_FAIL);

    members(t, 12);
    cfg.lang = DOANRA_LANG_EN;
    f = get_rule(check(t, NULL), DOANRA_R_SIZE);
    assert_string_equal(f->message, "The delegation has 12 members, over the "
                                    "limit of 10 per delegation.");

    /* 0 members is the trip builder's `required`, not `size`. */
    members(t, 0);
    assert_int_equal(count_rule(check(t, NULL), DOANRA_R_SIZE), 0);
}

static void test_size_custom_and_severity(void **state)
{
    (void)state;
    doanra_trip *t = base_trip();
    cfg.max_members = 5;
    members(t, 4);
    assert_int_equal(count_rule(check(t, NULL), DOANRA_R_SIZE), 0);
    members(t, 5);
    assert_int_equal(count_rule(check(t, NULL), DOANRA_R_SIZE), 0);
    members(t, 6);
    assert_contains(get_rule(check(t, NULL), DOANRA_R_SIZE)->message,
                    "giới hạn 5 người");

    cfg.severity[DOANRA_R_SIZE] = DOANRA_SEV_WARNING;
    assert_int_equal(get_rule(check(t, NULL), DOANRA_R_SIZE)->severity,
                     DOANRA_SEV_WARNING);
    assert_int_equal(doanra_decision(check(t, NULL)), DOANRA_DECISION_WARN);
    cfg.severity[DOANRA_R_SIZE] = DOANRA_SEV_OFF;
    assert_no_findings(check(t, NULL));
    cfg.severity[DOANRA_R_SIZE] = DOANRA_SEV_ERROR;
    assert_int_equal(get_rule(check(t, NULL), DOANRA_R_SIZE)->severity,
                     DOANRA_SEV_ERROR);
}

/* ---- dates ---- */

static void test_dates_return_before_departure(void **state)
{
    (void)state;
    doanra_trip *t = base_trip();
    apr_array_header_t *r;

    apr_array_clear(t->legs);
    add_leg(t, &JP, D(2027, 3, 1), D(2027, 3, 1));
    t->ngay_ve = D(2027, 3, 1); /* same day: fine */
    assert_int_equal(count_rule(check(t, NULL), DOANRA_R_DATES), 0);
    t->ngay_ve = D(2027, 3, 2);
    assert_int_equal(count_rule(check(t, NULL), DOANRA_R_DATES), 0);

    apr_array_clear(t->legs);
    t->ngay_ve = D(2027, 2, 28); /* one day before */
    r = check(t, NULL);
    assert_int_equal(count_rule(r, DOANRA_R_DATES), 1);
    assert_string_equal(get_rule(r, DOANRA_R_DATES)->field, "ngay_ve");
    assert_string_equal(get_rule(r, DOANRA_R_DATES)->message,
                        "Ngày về 28/02/2027 trước ngày đi 01/03/2027.");
    cfg.lang = DOANRA_LANG_EN;
    assert_string_equal(
        get_rule(check(t, NULL), DOANRA_R_DATES)->message,
        "The return date 2027-02-28 is before the departure date "
        "2027-03-01.");
}

static void test_dates_departure_past(void **state)
{
    (void)state;
    doanra_trip *t = base_trip();
    apr_array_header_t *r;
    apr_array_clear(t->legs);

    t->ngay_di = TODAY;
    assert_int_equal(count_rule(check(t, NULL), DOANRA_R_DATES), 0);
    t->ngay_di = TODAY + 1;
    assert_int_equal(count_rule(check(t, NULL), DOANRA_R_DATES), 0);
    t->ngay_di = TODAY - 1;
    r = check(t, NULL);
    assert_int_equal(count_rule(r, DOANRA_R_DATES), 1);
    assert_string_equal(get_rule(r, DOANRA_R_DATES)->field, "ngay_di");
    assert_string_equal(get_rule(r, DOANRA_R_DATES)->message,
                        "Ngày đi 31/12/2026 đã qua (hôm nay là 01/01/2027).");
}

static void test_dates_leg_reversed(void **state)
{
    (void)state;
    doanra_trip *t = base_trip();
    apr_array_header_t *r;
    doanra_leg *g = &APR_ARRAY_IDX(t->legs, 0, doanra_leg);

    g->from = g->to = D(2027, 3, 3); /* one-day leg */
    assert_int_equal(count_rule(check(t, NULL), DOANRA_R_DATES), 0);
    g->to = D(2027, 3, 2);
    r = check(t, NULL);
    assert_int_equal(count_rule(r, DOANRA_R_DATES), 1);
    assert_string_equal(get_rule(r, DOANRA_R_DATES)->field, "den_ngay");
    assert_int_equal(get_rule(r, DOANRA_R_DATES)->row, 1);
    assert_string_equal(get_rule(r, DOANRA_R_DATES)->message,
                        "Chặng 1 (Nhật Bản): ngày kết thúc 02/03/2027 trước "
                        "ngày bắt đầu 03/03/2027.");
    /* An inconsistent calendar: no travel-days or days-per-country noise. */
    assert_int_equal(count_rule(r, DOANRA_R_TRAVEL_DAYS), 0);
    assert_int_equal(count_rule(r, DOANRA_R_DAYS_PER_COUNTRY), 0);
}

static void test_dates_leg_inside_trip(void **state)
{
    (void)state;
    doanra_trip *t = base_trip();
    apr_array_header_t *r;
    doanra_leg *g = &APR_ARRAY_IDX(t->legs, 0, doanra_leg);

    g->from = t->ngay_di; /* at the edges: fine */
    g->to = D(2027, 3, 3);
    t->ngay_ve = D(2027, 3, 3);
    assert_no_findings(check(t, NULL));

    g->from = t->ngay_di - 1; /* starts before departure */
    r = check(t, NULL);
    assert_int_equal(count_rule(r, DOANRA_R_DATES), 1);
    assert_string_equal(get_rule(r, DOANRA_R_DATES)->field, "tu_ngay");
    assert_string_equal(get_rule(r, DOANRA_R_DATES)->message,
                        "Chặng 1 (Nhật Bản) bắt đầu ngày 28/02/2027, trước "
                        "ngày đi 01/03/2027.");

    g->from = t->ngay_di;
    g->to = t->ngay_ve + 1; /* ends after return */
    r = check(t, NULL);
    assert_int_equal(count_rule(r, DOANRA_R_DATES), 1);
    assert_string_equal(get_rule(r, DOANRA_R_DATES)->field, "den_ngay");
    cfg.lang = DOANRA_LANG_EN;
    assert_string_equal(get_rule(check(t, NULL), DOANRA_R_DATES)->message,
                        "Leg 1 (Japan) ends on 2027-03-04, after the return "
                        "date 2027-03-03.");
}

static void test_dates_leg_order(void **state)
{
    (void)state;
    doanra_trip *t = base_trip();
    apr_array_header_t *r;

    apr_array_clear(t->legs);
    t->ngay_ve = D(2027, 3, 8);
    add_leg(t, &JP, D(2027, 3, 2), D(2027, 3, 4));
    add_leg(t, &KR, D(2027, 3, 5), D(2027, 3, 7)); /* next day: fine */
    assert_no_findings(check(t, NULL));

    APR_ARRAY_IDX(t->legs, 1, doanra_leg).from = D(2027, 3, 4); /* overlap */
    r = check(t, NULL);
    assert_int_equal(count_rule(r, DOANRA_R_DATES), 1);
    assert_string_equal(get_rule(r, DOANRA_R_DATES)->field, "tu_ngay");
    assert_int_equal(get_rule(r, DOANRA_R_DATES)->row, 2);
    assert_contains(get_rule(r, DOANRA_R_DATES)->message,
                    "Chặng 2 (Hàn Quốc) bắt đầu ngày 04/03/2027");
    assert_contains(get_rule(r, DOANRA_R_DATES)->message, "chặng 1");

    APR_ARRAY_IDX(t->legs, 1, doanra_leg).from = D(2027, 3, 2); /* before */
    APR_ARRAY_IDX(t->legs, 1, doanra_leg).to = D(2027, 3, 3);
    r = check(t, NULL);
    assert_int_equal(count_rule(r, DOANRA_R_DATES), 1);
    assert_int_equal(count_rule(r, DOANRA_R_TRAVEL_DAYS), 0);
}

static void test_dates_skip_unusable(void **state)
{
    (void)state;
    doanra_trip *t = base_trip();
    apr_array_header_t *r;

    /* Missing dates were reported by the trip builder: nothing more. */
    APR_ARRAY_IDX(t->legs, 0, doanra_leg).to = DOANRA_NODATE;
    t->ngay_ve = DOANRA_NODATE;
    r = check(t, NULL);
    assert_no_findings(r);
    t->ngay_di = DOANRA_NODATE;
    assert_no_findings(check(t, NULL));
    /* An unknown country: no country rules for that leg. */
    t = base_trip();
    APR_ARRAY_IDX(t->legs, 0, doanra_leg).country = NULL;
    APR_ARRAY_IDX(t->legs, 0, doanra_leg).to = D(2027, 3, 5);
    assert_no_findings(check(t, NULL));
}

static void test_dates_severity(void **state)
{
    (void)state;
    doanra_trip *t = base_trip();
    t->ngay_ve = D(2027, 2, 1);
    cfg.severity[DOANRA_R_DATES] = DOANRA_SEV_OFF;
    assert_int_equal(count_rule(check(t, NULL), DOANRA_R_DATES), 0);
    cfg.severity[DOANRA_R_DATES] = DOANRA_SEV_WARNING;
    assert_int_equal(get_rule(check(t, NULL), DOANRA_R_DATES)->severity,
                     DOANRA_SEV_WARNING);
}

/* ---- days-per-country ---- */

static void test_days_per_country(void **state)
{
    (void)state;
    doanra_trip *t = base_trip();
    doanra_leg *g = &APR_ARRAY_IDX(t->legs, 0, doanra_leg);
    apr_array_header_t *r;

    t->ngay_ve = D(2027, 3, 10);
    g->to = D(2027, 3, 3); /* 2 days */
    assert_int_equal(count_rule(check(t, NULL), DOANRA_R_DAYS_PER_COUNTRY), 0);
    g->to = D(2027, 3, 4); /* 3 days */
    assert_int_equal(count_rule(check(t, NULL), DOANRA_R_DAYS_PER_COUNTRY), 0);
    g->to = D(2027, 3, 5); /* 4 days */
    r = check(t, NULL);
    assert_int_equal(count_rule(r, DOANRA_R_DAYS_PER_COUNTRY), 1);
    assert_string_equal(get_rule(r, DOANRA_R_DAYS_PER_COUNTRY)->field,
                        "quoc_gia");
    assert_int_equal(get_rule(r, DOANRA_R_DAYS_PER_COUNTRY)->row, 1);
    assert_string_equal(get_rule(r, DOANRA_R_DAYS_PER_COUNTRY)->message,
                        "Thời gian làm việc tại Nhật Bản là 4 ngày, vượt quá "
                        "giới hạn 3 ngày/nước (không tính ngày đi đường).");
    cfg.lang = DOANRA_LANG_EN;
    assert_string_equal(
        get_rule(check(t, NULL), DOANRA_R_DAYS_PER_COUNTRY)->message,
        "The programme in Japan lasts 4 days, over the limit of 3 days per "
        "country (travel days not counted).");

    cfg.max_days_per_country = 4;
    assert_int_equal(count_rule(check(t, NULL), DOANRA_R_DAYS_PER_COUNTRY), 0);
    cfg.max_days_per_country = 1;
    g->to = D(2027, 3, 2);
    assert_int_equal(count_rule(check(t, NULL), DOANRA_R_DAYS_PER_COUNTRY), 0);
    g->to = D(2027, 3, 3);
    assert_int_equal(count_rule(check(t, NULL), DOANRA_R_DAYS_PER_COUNTRY), 1);
}

static void test_days_per_country_legs_add_up(void **state)
{
    (void)state;
    doanra_trip *t = base_trip();
    apr_array_header_t *r;
    apr_array_clear(t->legs);
    t->ngay_ve = D(2027, 3, 10);
    add_leg(t, &JP, D(2027, 3, 2), D(2027, 3, 3)); /* 2 */
    add_leg(t, &KR, D(2027, 3, 4), D(2027, 3, 4)); /* 1 */
    add_leg(t, &JP, D(2027, 3, 5), D(2027, 3, 5)); /* 1: JP = 3 */
    assert_int_equal(count_rule(check(t, NULL), DOANRA_R_DAYS_PER_COUNTRY), 0);
    APR_ARRAY_IDX(t->legs, 2, doanra_leg).to = D(2027, 3, 6); /* JP = 4 */
    r = check(t, NULL);
    assert_int_equal(count_rule(r, DOANRA_R_DAYS_PER_COUNTRY), 1);
    /* Marked on the last leg in that country. */
    assert_int_equal(get_rule(r, DOANRA_R_DAYS_PER_COUNTRY)->row, 3);
    assert_contains(get_rule(r, DOANRA_R_DAYS_PER_COUNTRY)->message,
                    "Nhật Bản là 4 ngày");
    cfg.severity[DOANRA_R_DAYS_PER_COUNTRY] = DOANRA_SEV_OFF;
    assert_int_equal(count_rule(check(t, NULL), DOANRA_R_DAYS_PER_COUNTRY), 0);
}

/* ---- countries ---- */

static void legs_in(doanra_trip *t, const doanra_country *const *k, int n)
{
    int i;
    apr_array_clear(t->legs);
    for (i = 0; i < n; i++)
        add_leg(t, k[i], D(2027, 3, 2 + i), D(2027, 3, 2 + i));
    t->ngay_ve = D(2027, 3, 2 + n);
}

static void test_countries(void **state)
{
    (void)state;
    static const doanra_country *const five[] = {&JP, &KR, &CN, &MN, &JP};
    doanra_trip *t = base_trip();
    apr_array_header_t *r;

    legs_in(t, five, 2);
    assert_int_equal(count_rule(check(t, NULL), DOANRA_R_COUNTRIES), 0);
    legs_in(t, five, 3);
    assert_no_findings(check(t, NULL));
    legs_in(t, five, 4);
    r = check(t, NULL);
    assert_int_equal(count_rule(r, DOANRA_R_COUNTRIES), 1);
    assert_string_equal(get_rule(r, DOANRA_R_COUNTRIES)->field, "quoc_gia");
    assert_int_equal(get_rule(r, DOANRA_R_COUNTRIES)->row, 4);
    assert_string_equal(get_rule(r, DOANRA_R_COUNTRIES)->message,
                        "Chuyến đi qua 4 nước (Nhật Bản, Hàn Quốc, Trung "
                        "Quốc, Mông Cổ), vượt quá giới hạn 3 nước/chuyến.");
    /* A country visited twice counts once. */
    legs_in(t, five + 1, 4); /* KR CN MN JP */
    assert_int_equal(count_rule(check(t, NULL), DOANRA_R_COUNTRIES), 1);
    {
        static const doanra_country *const rep[] = {&JP, &KR, &JP, &CN};
        legs_in(t, rep, 4);
        assert_int_equal(count_rule(check(t, NULL), DOANRA_R_COUNTRIES), 0);
    }
    cfg.lang = DOANRA_LANG_EN;
    cfg.max_countries = 1;
    legs_in(t, five, 2);
    r = check(t, NULL);
    assert_string_equal(get_rule(r, DOANRA_R_COUNTRIES)->message,
                        "The trip visits 2 countries (Japan, South Korea), "
                        "over the limit of 1 per trip.");
    assert_int_equal(get_rule(r, DOANRA_R_COUNTRIES)->row, 2);
    legs_in(t, five, 1);
    assert_int_equal(count_rule(check(t, NULL), DOANRA_R_COUNTRIES), 0);
}

/* ---- travel-days ---- */

static void test_travel_days_first_and_last(void **state)
{
    (void)state;
    doanra_trip *t = base_trip();
    doanra_leg *g = &APR_ARRAY_IDX(t->legs, 0, doanra_leg);
    apr_array_header_t *r;

    /* Leg 5-7 March; departure 3 March = 2 travel days: fine. */
    g->from = D(2027, 3, 5);
    g->to = D(2027, 3, 7);
    t->ngay_di = D(2027, 3, 3);
    t->ngay_ve = D(2027, 3, 9);
    assert_no_findings(check(t, NULL));
    t->ngay_di = D(2027, 3, 4); /* 1 */
    t->ngay_ve = D(2027, 3, 8);
    assert_no_findings(check(t, NULL));
    t->ngay_di = D(2027, 3, 2); /* 3 */
    r = check(t, NULL);
    assert_int_equal(count_rule(r, DOANRA_R_TRAVEL_DAYS), 1);
    assert_string_equal(get_rule(r, DOANRA_R_TRAVEL_DAYS)->field, "tu_ngay");
    assert_int_equal(get_rule(r, DOANRA_R_TRAVEL_DAYS)->row, 1);
    assert_string_equal(get_rule(r, DOANRA_R_TRAVEL_DAYS)->message,
                        "Từ ngày đi 02/03/2027 đến ngày bắt đầu chặng 1 là "
                        "05/03/2027 có 3 ngày đi đường, vượt quá giới hạn 2 "
                        "ngày.");

    t->ngay_di = D(2027, 3, 3);
    t->ngay_ve = D(2027, 3, 10); /* 3 after the last leg */
    r = check(t, NULL);
    assert_int_equal(count_rule(r, DOANRA_R_TRAVEL_DAYS), 1);
    assert_string_equal(get_rule(r, DOANRA_R_TRAVEL_DAYS)->field, "ngay_ve");
    cfg.lang = DOANRA_LANG_EN;
    assert_string_equal(get_rule(check(t, NULL), DOANRA_R_TRAVEL_DAYS)->message,
                        "There are 3 travel days between the last day "
                        "2027-03-07 of leg 1 and the return date 2027-03-10, "
                        "over the limit of 2 days.");

    cfg.travel_days = 3;
    assert_int_equal(count_rule(check(t, NULL), DOANRA_R_TRAVEL_DAYS), 0);
    cfg.travel_days = 0;
    t->ngay_di = g->from;
    t->ngay_ve = g->to;
    assert_int_equal(count_rule(check(t, NULL), DOANRA_R_TRAVEL_DAYS), 0);
    t->ngay_ve = g->to + 1;
    assert_int_equal(count_rule(check(t, NULL), DOANRA_R_TRAVEL_DAYS), 1);
}

static void test_travel_days_between_legs(void **state)
{
    (void)state;
    doanra_trip *t = base_trip();
    apr_array_header_t *r;
    apr_array_clear(t->legs);
    t->ngay_ve = D(2027, 3, 20);
    add_leg(t, &JP, D(2027, 3, 2), D(2027, 3, 3));
    add_leg(t, &KR, D(2027, 3, 6), D(2027, 3, 7)); /* 4, 5 between: 2 */
    t->ngay_ve = D(2027, 3, 8);
    assert_no_findings(check(t, NULL));
    APR_ARRAY_IDX(t->legs, 1, doanra_leg).from = D(2027, 3, 5); /* 1 */
    assert_no_findings(check(t, NULL));
    APR_ARRAY_IDX(t->legs, 1, doanra_leg).from = D(2027, 3, 7); /* 3 */
    r = check(t, NULL);
    assert_int_equal(count_rule(r, DOANRA_R_TRAVEL_DAYS), 1);
    assert_int_equal(get_rule(r, DOANRA_R_TRAVEL_DAYS)->row, 2);
    assert_string_equal(get_rule(r, DOANRA_R_TRAVEL_DAYS)->message,
                        "Giữa chặng 1 (kết thúc 03/03/2027) và chặng 2 (bắt "
                        "đầu 07/03/2027) có 3 ngày đi đường, vượt quá giới "
                        "hạn 2 ngày.");
    cfg.severity[DOANRA_R_TRAVEL_DAYS] = DOANRA_SEV_WARNING;
    assert_int_equal(get_rule(check(t, NULL), DOANRA_R_TRAVEL_DAYS)->severity,
                     DOANRA_SEV_WARNING);
}

/* ---- region ---- */

static void test_region(void **state)
{
    (void)state;
    doanra_trip *t = base_trip();
    apr_array_header_t *r;
    const doanra_finding *f;
    static const doanra_country *const east[] = {&JP, &KR, &CN};
    static const doanra_country *const mixed[] = {&JP, &TH};
    static const doanra_country *const far[] = {&JP, &FR};
    static const doanra_country *const eu[] = {&FR, &DE, &AQ};

    legs_in(t, east, 3);
    assert_no_findings(check(t, NULL));
    legs_in(t, mixed, 2);
    r = check(t, NULL);
    assert_int_equal(count_rule(r, DOANRA_R_REGION), 1);
    f = get_rule(r, DOANRA_R_REGION);
    assert_int_equal(f->severity, DOANRA_SEV_WARNING);
    assert_string_equal(f->field, "quoc_gia");
    assert_int_equal(f->row, 2);
    assert_string_equal(f->message,
                        "Các nước trong chuyến đi không cùng một tiểu vùng: "
                        "Nhật Bản (Đông Á), Thái Lan (Đông Nam Á); nên chọn "
                        "các nước gần nhau, cùng khu vực.");
    assert_int_equal(doanra_decision(r), DOANRA_DECISION_WARN);

    /* Countries without M49 data are left out. */
    legs_in(t, eu, 3);
    assert_no_findings(check(t, NULL));

    cfg.region_level = DOANRA_LEVEL_REGION;
    legs_in(t, mixed, 2);
    assert_no_findings(check(t, NULL));
    legs_in(t, far, 2);
    cfg.lang = DOANRA_LANG_EN;
    assert_string_equal(get_rule(check(t, NULL), DOANRA_R_REGION)->message,
                        "The countries of the trip are not on one continent: "
                        "Japan (Asia), France (Europe); countries should be "
                        "close together, in one region.");

    cfg.severity[DOANRA_R_REGION] = DOANRA_SEV_ERROR;
    assert_int_equal(get_rule(check(t, NULL), DOANRA_R_REGION)->severity,
                     DOANRA_SEV_ERROR);
    cfg.severity[DOANRA_R_REGION] = DOANRA_SEV_OFF;
    assert_no_findings(check(t, NULL));
}

static void test_region_names_as_text(void **state)
{
    (void)state;
    /* A country table holding English sub-region names instead of codes. */
    static const doanra_country vn = {"VN", "Việt Nam", "Vietnam", "Asia",
                                      "South-eastern Asia"};
    static const doanra_country cn = {"CN", "Trung Quốc", "China", "Asia",
                                      "Eastern Asia"};
    static const doanra_country *const two[] = {&vn, &cn};
    doanra_trip *t = base_trip();
    legs_in(t, two, 2);
    assert_contains(get_rule(check(t, NULL), DOANRA_R_REGION)->message,
                    "Việt Nam (Đông Nam Á), Trung Quốc (Đông Á)");
}

/* ---- duplicate-member ---- */

static void test_duplicate_member(void **state)
{
    (void)state;
    doanra_trip *t = base_trip();
    apr_array_header_t *r;

    add_member(t, "Trần Thị B", "Chuyên viên", NULL);
    assert_no_findings(check(t, NULL));
    /* Same name in another unit: another person. */
    add_member(t, "Nguyễn Văn A", "Chuyên viên", "stc");
    assert_no_findings(check(t, NULL));
    add_member(t, "Nguyễn Văn A", "Chuyên viên", NULL); /* row 4 */
    r = check(t, NULL);
    assert_int_equal(count_rule(r, DOANRA_R_DUPLICATE_MEMBER), 1);
    assert_string_equal(get_rule(r, DOANRA_R_DUPLICATE_MEMBER)->field,
                        "tv_ho_ten");
    assert_int_equal(get_rule(r, DOANRA_R_DUPLICATE_MEMBER)->row, 4);
    assert_string_equal(get_rule(r, DOANRA_R_DUPLICATE_MEMBER)->message,
                        "Nguyễn Văn A được ghi hai lần trong danh sách đoàn "
                        "(dòng 1 và dòng 4); mỗi người chỉ được ghi một lần.");
    add_member(t, "Nguyễn Văn A", "Chuyên viên", NULL); /* row 5 */
    assert_int_equal(count_rule(check(t, NULL), DOANRA_R_DUPLICATE_MEMBER), 2);

    /* By official code. */
    t = base_trip();
    APR_ARRAY_IDX(t->members, 0, doanra_member).identity = "c:CB001";
    APR_ARRAY_IDX(t->members, 0, doanra_member).code = "CB001";
    add_member(t, "Nguyen Van A", "Chuyên viên", NULL)->identity = "c:CB001";
    cfg.lang = DOANRA_LANG_EN;
    assert_string_equal(
        get_rule(check(t, NULL), DOANRA_R_DUPLICATE_MEMBER)->message,
        "Nguyen Van A is listed twice in the delegation (rows 1 and 2); "
        "each person may be listed only once.");

    /* Rows without a name and code are skipped (already `required`). */
    t = base_trip();
    add_member(t, NULL, "Chuyên viên", NULL);
    add_member(t, NULL, "Chuyên viên", NULL);
    assert_no_findings(check(t, NULL));
}

/* ---- funding ---- */

static void test_funding(void **state)
{
    (void)state;
    doanra_trip *t = base_trip();
    apr_array_header_t *r;
    doanra_finding *pre;

    t->funding = DOANRA_FUND_NGAN_SACH;
    t->du_toan_raw = "1";
    t->du_toan = 1;
    assert_no_findings(check(t, NULL));
    t->du_toan_raw = "0";
    t->du_toan = 0;
    r = check(t, NULL);
    assert_int_equal(count_rule(r, DOANRA_R_FUNDING), 1);
    assert_string_equal(get_rule(r, DOANRA_R_FUNDING)->field, "du_toan");
    assert_string_equal(get_rule(r, DOANRA_R_FUNDING)->message,
                        "Dự toán kinh phí là 0 đồng; chuyến đi dùng ngân sách "
                        "nhà nước phải có dự toán lớn hơn 0.");
    t->du_toan_raw = NULL;
    t->du_toan = -1;
    cfg.lang = DOANRA_LANG_EN;
    assert_string_equal(get_rule(check(t, NULL), DOANRA_R_FUNDING)->message,
                        "The trip is funded by the state budget but has no "
                        "estimated cost; enter an estimate in VND greater "
                        "than 0.");
    /* Not a number: the trip builder gave `format`. */
    t->du_toan_raw = "abc";
    assert_no_findings(check(t, NULL));
    /* Missing and already `required`: not twice. */
    t->du_toan_raw = "";
    r = apr_array_make(pool, 4, sizeof(doanra_finding));
    pre = apr_array_push(r);
    pre->rule = DOANRA_R_REQUIRED;
    pre->severity = DOANRA_SEV_ERROR;
    pre->field = "du_toan";
    pre->message = "x";
    doanra_rules_check(pool, &cfg, t, NULL, TODAY, r);
    assert_int_equal(r->nelts, 1);
    /* Other funding needs no estimate. */
    t->funding = DOANRA_FUND_TU_TUC;
    assert_no_findings(check(t, NULL));
    t->funding = DOANRA_FUND_NGAN_SACH;
    cfg.severity[DOANRA_R_FUNDING] = DOANRA_SEV_OFF;
    assert_no_findings(check(t, NULL));
}

/* ---- lead-time ---- */

static void test_lead_time(void **state)
{
    (void)state;
    doanra_trip *t = base_trip();
    apr_array_header_t *r;
    long di = t->ngay_di;
    long today;

    /* Off by default (0 days). */
    assert_no_findings(check(t, NULL));
    cfg.min_lead_days = 10;
    today = di - 10;
    r = apr_array_make(pool, 4, sizeof(doanra_finding));
    doanra_rules_check(pool, &cfg, t, NULL, today, r);
    assert_no_findings(r);
    today = di - 11;
    apr_array_clear(r);
    doanra_rules_check(pool, &cfg, t, NULL, today, r);
    assert_no_findings(r);
    today = di - 9;
    apr_array_clear(r);
    doanra_rules_check(pool, &cfg, t, NULL, today, r);
    assert_int_equal(count_rule(r, DOANRA_R_LEAD_TIME), 1);
    assert_string_equal(get_rule(r, DOANRA_R_LEAD_TIME)->field, "ngay_di");
    assert_int_equal(get_rule(r, DOANRA_R_LEAD_TIME)->severity,
                     DOANRA_SEV_ERROR);
    assert_string_equal(get_rule(r, DOANRA_R_LEAD_TIME)->message,
                        "Hồ sơ nộp ngày 20/02/2027, chỉ 9 ngày trước ngày đi "
                        "01/03/2027; hồ sơ phải nộp trước ngày đi ít nhất 10 "
                        "ngày.");
    cfg.lang = DOANRA_LANG_EN;
    cfg.severity[DOANRA_R_LEAD_TIME] = DOANRA_SEV_WARNING;
    apr_array_clear(r);
    doanra_rules_check(pool, &cfg, t, NULL, today, r);
    assert_int_equal(get_rule(r, DOANRA_R_LEAD_TIME)->severity,
                     DOANRA_SEV_WARNING);
    assert_string_equal(get_rule(r, DOANRA_R_LEAD_TIME)->message,
                        "The request is submitted on 2027-02-20, 9 days "
                        "before the departure date 2027-03-01; it must be "
                        "submitted at least 10 days before.");
    /* Departure in the past is `dates`, not lead-time as well. */
    apr_array_clear(r);
    doanra_rules_check(pool, &cfg, t, NULL, di + 1, r);
    assert_int_equal(count_rule(r, DOANRA_R_LEAD_TIME), 0);
    assert_int_equal(count_rule(r, DOANRA_R_DATES), 1);
}

/* ---- leaders-same-unit ---- */

static void test_leaders_same_unit(void **state)
{
    (void)state;
    doanra_trip *t = base_trip();
    doanra_member *a, *b;
    apr_array_header_t *r;

    a = &APR_ARRAY_IDX(t->members, 0, doanra_member);
    a->position = "Giám đốc";
    a->is_key_leader = 1;
    a->unit_key = "SNV";
    b = add_member(t, "Trần Văn B", "Bí thư Đảng ủy", NULL);
    b->is_key_leader = 0;
    b->unit_key = "SNV";
    assert_no_findings(check(t, NULL));
    b->is_key_leader = 1;
    b->unit_key = "STC";
    assert_no_findings(check(t, NULL));
    b->unit_key = "SNV";
    r = check(t, NULL);
    assert_int_equal(count_rule(r, DOANRA_R_LEADERS_SAME_UNIT), 1);
    assert_int_equal(get_rule(r, DOANRA_R_LEADERS_SAME_UNIT)->severity,
                     DOANRA_SEV_WARNING);
    assert_int_equal(get_rule(r, DOANRA_R_LEADERS_SAME_UNIT)->row, 2);
    assert_string_equal(get_rule(r, DOANRA_R_LEADERS_SAME_UNIT)->message,
                        "Nguyễn Văn A (Giám đốc) và Trần Văn B (Bí thư Đảng "
                        "ủy) là lãnh đạo chủ chốt của cùng một đơn vị; không "
                        "bố trí hai lãnh đạo chủ chốt của một đơn vị đi cùng "
                        "một đoàn (Chỉ thị 38-CT/TW).");
    cfg.severity[DOANRA_R_LEADERS_SAME_UNIT] = DOANRA_SEV_ERROR;
    assert_int_equal(doanra_decision(check(t, NULL)), DOANRA_DECISION_FAIL);
    cfg.severity[DOANRA_R_LEADERS_SAME_UNIT] = DOANRA_SEV_OFF;
    assert_no_findings(check(t, NULL));
}

/* ---- leader-quota and member-overlap (history) ---- */

static void test_leader_quota(void **state)
{
    (void)state;
    doanra_trip *t = base_trip();
    doanra_member *a = &APR_ARRAY_IDX(t->members, 0, doanra_member);
    doanra_history *h;
    apr_array_header_t *r;

    a->position = "Giám đốc";
    a->is_key_leader = 1;
    h = doanra_history_make(pool, t);
    h->plan_code_given = 0;
    /* Plan matched so that only the quota speaks. */
    {
        doanra_plan_entry *e = apr_array_push(h->plan_candidates);
        e->code = "KH-1";
        e->year = 2027;
        e->unit_code = "SNV";
        e->countries = apr_array_make(pool, 1, sizeof(const char *));
        APR_ARRAY_PUSH(e->countries, const char *) = "JP";
        e->period_from = D(2027, 1, 1);
        e->period_to = D(2027, 12, 31);
    }
    h->trips_this_year[0] = 0;
    assert_no_findings(check(t, h));
    h->trips_this_year[0] = 1; /* this one is the 2nd: fine */
    assert_no_findings(check(t, h));
    h->trips_this_year[0] = 2; /* the 3rd */
    r = check(t, h);
    assert_int_equal(count_rule(r, DOANRA_R_LEADER_QUOTA), 1);
    assert_string_equal(get_rule(r, DOANRA_R_LEADER_QUOTA)->field, "tv_ho_ten");
    assert_int_equal(get_rule(r, DOANRA_R_LEADER_QUOTA)->row, 1);
    assert_string_equal(get_rule(r, DOANRA_R_LEADER_QUOTA)->message,
                        "Nguyễn Văn A (Giám đốc) đã có 2 chuyến đi nước ngoài "
                        "trong năm 2027; chuyến này vượt quá giới hạn 2 "
                        "lần/năm đối với lãnh đạo chủ chốt.");
    cfg.lang = DOANRA_LANG_EN;
    h->trips_this_year[0] = 3;
    assert_string_equal(get_rule(check(t, h), DOANRA_R_LEADER_QUOTA)->message,
                        "Nguyễn Văn A (Giám đốc) already has 3 trips abroad "
                        "in 2027; this trip would exceed the limit of 2 per "
                        "year for key leaders.");
    /* Not a key leader: no quota. */
    a->is_key_leader = 0;
    assert_no_findings(check(t, h));
    a->is_key_leader = 1;
    /* Custom limit. */
    cfg.max_trips_per_year = 4;
    assert_no_findings(check(t, h));
    cfg.max_trips_per_year = 3;
    assert_int_equal(count_rule(check(t, h), DOANRA_R_LEADER_QUOTA), 1);
    /* Without history the rule is skipped. */
    assert_no_findings(check(t, NULL));
    cfg.severity[DOANRA_R_LEADER_QUOTA] = DOANRA_SEV_WARNING;
    assert_int_equal(get_rule(check(t, h), DOANRA_R_LEADER_QUOTA)->severity,
                     DOANRA_SEV_WARNING);
    cfg.severity[DOANRA_R_LEADER_QUOTA] = DOANRA_SEV_OFF;
    assert_no_findings(check(t, h));
}

static void test_member_overlap(void **state)
{
    (void)state;
    doanra_trip *t = base_trip();
    doanra_history *h;
    apr_array_header_t *r;
    add_member(t, "Trần Văn B", "Chuyên viên", NULL);
    h = doanra_history_make(pool, t);
    cfg.severity[DOANRA_R_PLAN] = DOANRA_SEV_OFF;
    assert_no_findings(check(t, h));
    h->overlap_trip_id[1] = 17;
    h->overlap_from[1] = D(2027, 3, 4);
    h->overlap_to[1] = D(2027, 3, 9);
    r = check(t, h);
    assert_int_equal(count_rule(r, DOANRA_R_MEMBER_OVERLAP), 1);
    assert_int_equal(get_rule(r, DOANRA_R_MEMBER_OVERLAP)->row, 2);
    assert_string_equal(get_rule(r, DOANRA_R_MEMBER_OVERLAP)->message,
                        "Trần Văn B đã có trong chuyến đi số 17 (từ "
                        "04/03/2027 đến 09/03/2027), trùng thời gian với "
                        "chuyến này.");
    cfg.lang = DOANRA_LANG_EN;
    assert_string_equal(
        get_rule(check(t, h), DOANRA_R_MEMBER_OVERLAP)->message,
        "Trần Văn B is already on trip no. 17 (2027-03-04 to 2027-03-09), "
        "whose dates overlap this trip.");
    /* With its dossier code, the delegation is named by it. */
    h->overlap_code[1] = "DR-2027-000042";
    assert_string_equal(
        get_rule(check(t, h), DOANRA_R_MEMBER_OVERLAP)->message,
        "Trần Văn B is already on delegation DR-2027-000042 (2027-03-04 to "
        "2027-03-09), whose dates overlap this trip.");
    cfg.lang = DOANRA_LANG_VI;
    assert_string_equal(get_rule(check(t, h), DOANRA_R_MEMBER_OVERLAP)->message,
                        "Trần Văn B đã có trong đoàn DR-2027-000042 (từ "
                        "04/03/2027 đến 09/03/2027), trùng thời gian với "
                        "chuyến này.");
    cfg.severity[DOANRA_R_MEMBER_OVERLAP] = DOANRA_SEV_OFF;
    assert_no_findings(check(t, h));
}

/* ---- plan ---- */

static doanra_plan_entry *entry(apr_array_header_t *list, int year,
                                const char *unit, const char *countries,
                                long from, long to)
{
    doanra_plan_entry *e =
        list ? apr_array_push(list) : apr_pcalloc(pool, sizeof(*e));
    char *dup = apr_pstrdup(pool, countries), *last, *tok;
    e->code = "KH-2027-05";
    e->year = year;
    e->unit_code = unit;
    e->countries = apr_array_make(pool, 2, sizeof(const char *));
    for (tok = apr_strtok(dup, ",", &last); tok;
         tok = apr_strtok(NULL, ",", &last))
        APR_ARRAY_PUSH(e->countries, const char *) = tok;
    e->period_from = from;
    e->period_to = to;
    return e;
}

static void test_plan_without_code(void **state)
{
    (void)state;
    doanra_trip *t = base_trip();
    doanra_history *h = doanra_history_make(pool, t);
    apr_array_header_t *r;
    doanra_plan_entry *e;

    /* No candidates, no reason: an error although plan is a warning. */
    r = check(t, h);
    assert_int_equal(count_rule(r, DOANRA_R_PLAN), 1);
    assert_int_equal(get_rule(r, DOANRA_R_PLAN)->severity, DOANRA_SEV_ERROR);
    assert_string_equal(get_rule(r, DOANRA_R_PLAN)->field, "ly_do_phat_sinh");
    assert_string_equal(get_rule(r, DOANRA_R_PLAN)->message,
                        "Chuyến đi không có trong kế hoạch đã được phê duyệt "
                        "(đoàn phát sinh) nhưng chưa nêu lý do; cần ghi rõ lý "
                        "do phát sinh.");
    /* With a reason: a warning quoting it. */
    t->ly_do_phat_sinh = "Đối tác mời gấp";
    r = check(t, h);
    assert_int_equal(get_rule(r, DOANRA_R_PLAN)->severity, DOANRA_SEV_WARNING);
    assert_string_equal(get_rule(r, DOANRA_R_PLAN)->message,
                        "Chuyến đi không có trong kế hoạch đã được phê duyệt "
                        "(đoàn phát sinh); lý do: Đối tác mời gấp");
    assert_int_equal(doanra_decision(r), DOANRA_DECISION_WARN);

    /* A candidate whose period starts the day after departure. */
    e = entry(h->plan_candidates, 2027, "SNV", "JP,KR", t->ngay_di + 1,
              D(2027, 6, 30));
    assert_int_equal(count_rule(check(t, h), DOANRA_R_PLAN), 1);
    e->period_from = t->ngay_di; /* on the first day: matched */
    assert_no_findings(check(t, h));
    e->period_to = t->ngay_di - 1;
    e->period_from = D(2027, 1, 1);
    assert_int_equal(count_rule(check(t, h), DOANRA_R_PLAN), 1);
    e->period_to = t->ngay_di;
    assert_no_findings(check(t, h));
    /* A visited country missing from the entry. */
    add_leg(t, &CN, D(2027, 3, 5), D(2027, 3, 5));
    t->ngay_ve = D(2027, 3, 6);
    assert_int_equal(count_rule(check(t, h), DOANRA_R_PLAN), 1);
    APR_ARRAY_PUSH(e->countries, const char *) = "CN";
    assert_no_findings(check(t, h));
    /* Another unit's entry does not count. */
    e->unit_code = "STC";
    assert_int_equal(count_rule(check(t, h), DOANRA_R_PLAN), 1);
}

static void test_plan_severity(void **state)
{
    (void)state;
    doanra_trip *t = base_trip();
    doanra_history *h = doanra_history_make(pool, t);

    cfg.severity[DOANRA_R_PLAN] = DOANRA_SEV_ERROR;
    t->ly_do_phat_sinh = "Lý do";
    assert_int_equal(get_rule(check(t, h), DOANRA_R_PLAN)->severity,
                     DOANRA_SEV_ERROR);
    t->ly_do_phat_sinh = NULL;
    assert_int_equal(get_rule(check(t, h), DOANRA_R_PLAN)->severity,
                     DOANRA_SEV_ERROR);
    cfg.severity[DOANRA_R_PLAN] = DOANRA_SEV_OFF;
    assert_no_findings(check(t, h));
    cfg.severity[DOANRA_R_PLAN] = DOANRA_SEV_WARNING;
    cfg.lang = DOANRA_LANG_EN;
    assert_string_equal(get_rule(check(t, h), DOANRA_R_PLAN)->message,
                        "The trip is not in the approved plan (an unplanned "
                        "trip) and no reason is given; state why the trip is "
                        "needed.");
    /* Without history: skipped. */
    assert_no_findings(check(t, NULL));
}

static void test_plan_with_code(void **state)
{
    (void)state;
    doanra_trip *t = base_trip();
    doanra_history *h = doanra_history_make(pool, t);
    doanra_plan_entry *e;
    apr_array_header_t *r;

    t->ma_ke_hoach = "KH-9";
    h->plan_code_given = 1;
    h->plan_by_code = NULL; /* not in the plan */
    r = check(t, h);
    assert_int_equal(get_rule(r, DOANRA_R_PLAN)->severity, DOANRA_SEV_ERROR);
    assert_string_equal(get_rule(r, DOANRA_R_PLAN)->message,
                        "Mã kế hoạch \"KH-9\" không có trong kế hoạch đã được "
                        "phê duyệt. Chuyến đi không có trong kế hoạch đã được "
                        "phê duyệt (đoàn phát sinh) nhưng chưa nêu lý do; cần "
                        "ghi rõ lý do phát sinh.");
    t->ly_do_phat_sinh = "Mời gấp";
    assert_int_equal(get_rule(check(t, h), DOANRA_R_PLAN)->severity,
                     DOANRA_SEV_WARNING);
    t->ly_do_phat_sinh = NULL;

    e = entry(NULL, 2027, "SNV", "JP", D(2027, 1, 1), D(2027, 1, 31));
    h->plan_by_code = e;
    /* The period is not compared when the code is given. */
    assert_no_findings(check(t, h));
    e->year = 2026;
    r = check(t, h);
    assert_int_equal(count_rule(r, DOANRA_R_PLAN), 1);
    assert_int_equal(get_rule(r, DOANRA_R_PLAN)->severity, DOANRA_SEV_WARNING);
    assert_string_equal(get_rule(r, DOANRA_R_PLAN)->field, "ma_ke_hoach");
    assert_string_equal(get_rule(r, DOANRA_R_PLAN)->message,
                        "Chuyến đi không khớp với mục kế hoạch KH-2027-05: "
                        "năm 2026 (chuyến đi năm 2027).");
    e->unit_code = "STC";
    add_leg(t, &FR, D(2027, 3, 5), D(2027, 3, 5));
    t->ngay_ve = D(2027, 3, 6);
    cfg.lang = DOANRA_LANG_EN;
    assert_string_equal(get_rule(check(t, h), DOANRA_R_PLAN)->message,
                        "The trip does not match plan entry KH-2027-05: year "
                        "2026 (the trip is in 2027); unit STC (the sending "
                        "unit is SNV); countries not in the plan entry: "
                        "France.");
    /* Unknown sending unit code: the unit is not compared. */
    e->year = 2027;
    APR_ARRAY_PUSH(e->countries, const char *) = "fr";
    t->unit_code = NULL;
    assert_int_equal(count_rule(check(t, h), DOANRA_R_PLAN), 0);
    /* A mismatch stays a warning, off switches it off. */
    t->unit_code = "SNV";
    assert_int_equal(get_rule(check(t, h), DOANRA_R_PLAN)->severity,
                     DOANRA_SEV_WARNING);
    cfg.severity[DOANRA_R_PLAN] = DOANRA_SEV_OFF;
    assert_int_equal(count_rule(check(t, h), DOANRA_R_PLAN), 0);
}

/* ---- configured field names, clean decision ---- */

static void test_configured_field_names(void **state)
{
    (void)state;
    doanra_trip *t = base_trip();
    cfg.field_names[DOANRA_F_TV_HO_TEN] = "members[name]";
    members(t, 11);
    assert_string_equal(get_rule(check(t, NULL), DOANRA_R_SIZE)->field,
                        "members[name]");
}

static void test_null_safety(void **state)
{
    (void)state;
    doanra_trip *t = apr_pcalloc(pool, sizeof(*t));
    apr_array_header_t *r = apr_array_make(pool, 1, sizeof(doanra_finding));
    t->ngay_di = t->ngay_ve = DOANRA_NODATE;
    t->du_toan = -1;
    /* No leg and no member arrays at all. */
    doanra_rules_check(pool, &cfg, t, NULL, TODAY, r);
    doanra_rules_check(pool, &cfg, t, doanra_history_make(pool, t), TODAY, r);
    assert_int_equal(r->nelts, 0);
    doanra_rules_check(pool, &cfg, NULL, NULL, TODAY, r);
}

/* ---- doanra_plan_match: the entry the store records ---- */

static void test_plan_match(void **state)
{
    (void)state;
    doanra_trip *t = base_trip(); /* SNV, leaves 2027-03-01, Japan */
    doanra_history *h = doanra_history_make(pool, t);
    doanra_plan_entry *a, *b, *byc;

    assert_null(doanra_plan_match(t, NULL));
    assert_null(doanra_plan_match(NULL, h));
    assert_null(doanra_plan_match(t, h)); /* no candidates */

    a = entry(h->plan_candidates, 2026, "SNV", "JP", D(2027, 1, 1),
              D(2027, 12, 31));
    b = entry(h->plan_candidates, 2027, "snv", "kr,jp", D(2027, 3, 1),
              D(2027, 3, 1));
    /* a is of another year; b's unit differs only in case, its period is
     * the departure day alone, its countries are in lower case. */
    assert_ptr_equal(doanra_plan_match(t, h), b);
    a->year = 2027; /* now a comes first */
    assert_ptr_equal(doanra_plan_match(t, h), a);
    a->unit_code = "STC";
    assert_ptr_equal(doanra_plan_match(t, h), b);
    t->unit_code = NULL; /* the unit is not compared when unknown... */
    assert_ptr_equal(doanra_plan_match(t, h), a);
    t->unit_code = "";
    assert_ptr_equal(doanra_plan_match(t, h), a);
    t->unit_code = "SNV";
    a->unit_code = NULL; /* ...on either side */
    assert_ptr_equal(doanra_plan_match(t, h), a);

    /* The period: inclusive at both ends, none when a bound is unknown. */
    a->period_from = t->ngay_di + 1;
    assert_ptr_equal(doanra_plan_match(t, h), b);
    b->period_to = t->ngay_di - 1;
    assert_null(doanra_plan_match(t, h));
    b->period_to = DOANRA_NODATE;
    assert_null(doanra_plan_match(t, h));
    b->period_to = t->ngay_di;
    assert_ptr_equal(doanra_plan_match(t, h), b);

    /* Countries: every known country of the legs, any case; a leg whose
     * country is unknown is not held against the entry. */
    add_leg(t, &KR, D(2027, 3, 5), D(2027, 3, 5));
    assert_ptr_equal(doanra_plan_match(t, h), b);
    add_leg(t, &FR, D(2027, 3, 6), D(2027, 3, 6));
    assert_null(doanra_plan_match(t, h));
    APR_ARRAY_PUSH(b->countries, const char *) = "Fr";
    assert_ptr_equal(doanra_plan_match(t, h), b);
    add_leg(t, NULL, D(2027, 3, 7), D(2027, 3, 7));
    assert_ptr_equal(doanra_plan_match(t, h), b);
    b->countries = NULL; /* an entry without countries covers no leg */
    assert_null(doanra_plan_match(t, h));
    apr_array_clear(t->legs);
    assert_ptr_equal(doanra_plan_match(t, h), b); /* ...and a trip without */

    /* No departure date: nothing to match. */
    t->ngay_di = DOANRA_NODATE;
    assert_null(doanra_plan_match(t, h));
    t->ngay_di = D(2027, 3, 1);

    /* ma_ke_hoach given: the entry it names, matching or not, else none. */
    h->plan_code_given = 1;
    assert_null(doanra_plan_match(t, h));
    byc = entry(NULL, 2020, "XYZ", "US", D(2020, 1, 1), D(2020, 1, 2));
    h->plan_by_code = byc;
    assert_ptr_equal(doanra_plan_match(t, h), byc);
}

/* The same answers as the store's own copy had (store.c plan_match, kept
 * here as it was written), on many generated trips and plans. */
static int ref_has_country(const doanra_plan_entry *e, const char *code)
{
    int i;
    for (i = 0; e->countries && i < e->countries->nelts; i++) {
        const char *k = APR_ARRAY_IDX(e->countries, i, const char *);
        if (k && strcasecmp(k, code) == 0)
            return 1;
    }
    return 0;
}

static const doanra_plan_entry *ref_plan_match(const doanra_trip *t,
                                               const doanra_history *h)
{
    int i, j, y, mo, d;

    if (!h || t->ngay_di == DOANRA_NODATE)
        return NULL;
    if (h->plan_code_given)
        return h->plan_by_code;
    doanra_date_to_ymd(t->ngay_di, &y, &mo, &d);
    for (i = 0; h->plan_candidates && i < h->plan_candidates->nelts; i++) {
        const doanra_plan_entry *e =
            &APR_ARRAY_IDX(h->plan_candidates, i, doanra_plan_entry);
        int ok = e->year == y;
        if (ok && t->unit_code && *t->unit_code && e->unit_code &&
            strcasecmp(t->unit_code, e->unit_code) != 0)
            ok = 0;
        if (ok &&
            (e->period_from == DOANRA_NODATE || e->period_to == DOANRA_NODATE ||
             t->ngay_di < e->period_from || t->ngay_di > e->period_to))
            ok = 0;
        for (j = 0; ok && t->legs && j < t->legs->nelts; j++) {
            const doanra_leg *l = &APR_ARRAY_IDX(t->legs, j, doanra_leg);
            if (l->country && !ref_has_country(e, l->country->code))
                ok = 0;
        }
        if (ok)
            return e;
    }
    return NULL;
}

static unsigned rnd(unsigned *seed, unsigned n)
{
    *seed = *seed * 1103515245u + 12345u;
    return (*seed >> 16) % n;
}

static void test_plan_match_as_store(void **state)
{
    (void)state;
    static const doanra_country *const ks[] = {&JP, &KR, &FR, NULL};
    static const char *const units[] = {"SNV", "snv", "STC", "", NULL};
    static const char *const lists[] = {"JP", "jp,KR", "FR,JP,KR", "", "DE"};
    unsigned seed = 2027;
    int round, i, n, matched = 0, unmatched = 0;

    for (round = 0; round < 3000; round++) {
        apr_pool_t *sub;
        doanra_trip *t;
        doanra_history *h;
        const doanra_plan_entry *want;

        apr_pool_create(&sub, pool);
        t = base_trip();
        apr_array_clear(t->legs);
        t->ngay_di = rnd(&seed, 8) ? D(2027, 3, 1) + (long)rnd(&seed, 5) - 2
                                   : DOANRA_NODATE;
        t->unit_code = units[rnd(&seed, 5)];
        n = (int)rnd(&seed, 4);
        for (i = 0; i < n; i++)
            add_leg(t, ks[rnd(&seed, 4)], D(2027, 3, 2), D(2027, 3, 2));
        h = rnd(&seed, 10) ? doanra_history_make(sub, t) : NULL;
        if (h) {
            n = (int)rnd(&seed, 4);
            for (i = 0; i < n; i++) {
                long from = D(2027, 3, 1) + (long)rnd(&seed, 5) - 2;
                doanra_plan_entry *e = entry(
                    h->plan_candidates, 2026 + (int)rnd(&seed, 2),
                    units[rnd(&seed, 5)], lists[rnd(&seed, 5)],
                    rnd(&seed, 6) ? from : DOANRA_NODATE,
                    rnd(&seed, 6) ? from + (long)rnd(&seed, 3) : DOANRA_NODATE);
                if (!rnd(&seed, 8))
                    e->countries = NULL;
            }
            h->plan_code_given = !rnd(&seed, 4);
            if (h->plan_code_given && rnd(&seed, 2))
                h->plan_by_code = entry(NULL, 2027, "SNV", "JP", D(2027, 1, 1),
                                        D(2027, 1, 1));
        }
        want = ref_plan_match(t, h);
        if (doanra_plan_match(t, h) != want)
            fail_msg("round %d: the match differs from the store's", round);
        if (want && h && !h->plan_code_given)
            matched++;
        else if (h && !h->plan_code_given && h->plan_candidates->nelts)
            unmatched++;
        apr_pool_destroy(sub);
    }
    /* Both answers were asked for, many times. */
    assert_true(matched > 100);
    assert_true(unmatched > 100);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_base_trip_clean),
        T(test_size_limits),
        T(test_size_custom_and_severity),
        T(test_dates_return_before_departure),
        T(test_dates_departure_past),
        T(test_dates_leg_reversed),
        T(test_dates_leg_inside_trip),
        T(test_dates_leg_order),
        T(test_dates_skip_unusable),
        T(test_dates_severity),
        T(test_days_per_country),
        T(test_days_per_country_legs_add_up),
        T(test_countries),
        T(test_travel_days_first_and_last),
        T(test_travel_days_between_legs),
        T(test_region),
        T(test_region_names_as_text),
        T(test_duplicate_member),
        T(test_funding),
        T(test_lead_time),
        T(test_leaders_same_unit),
        T(test_leader_quota),
        T(test_member_overlap),
        T(test_plan_without_code),
        T(test_plan_severity),
        T(test_plan_with_code),
        T(test_plan_match),
        T(test_plan_match_as_store),
        T(test_configured_field_names),
        T(test_null_safety),
    };
    int rc;
    apr_initialize();
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    apr_terminate();
    return rc;
}
