/*
 * rules.c - the judging half of the core: a parsed trip plus the history
 * facts read by the store -> findings (SPEC section 3).  It also says which
 * plan entry a trip is in (doanra_plan_match), by the test rule `plan`
 * judges with, for the store to record.
 *
 * Pure: no I/O, no clock (the caller passes `today`), memory from the pool.
 * The trip builder has already reported every missing or malformed value
 * (`required`, `format`); the rules here skip legs and members whose values
 * are not usable instead of reporting them a second time.
 *
 * Every message names the offending value and the limit, in Vietnamese with
 * diacritics (DoanraLanguage vi, the default) or in English.  Dates in
 * messages are DD/MM/YYYY in Vietnamese and YYYY-MM-DD in English.
 */
#include "doanra.h"

#include <string.h>
#include <strings.h>

/* Pick the message in the configured language. */
#define L(c, vi, en) ((c)->lang == DOANRA_LANG_EN ? (en) : (vi))

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */
/* ------------------------------------------------------------------ */

static const char *fmt_date(apr_pool_t *p, const doanra_config *c, long d)
{
    return doanra_date_show(p, c->lang, d);
}

static int year_of(long d)
{
    int y, m, dd;
    doanra_date_to_ymd(d, &y, &m, &dd);
    return y;
}

/* Country name as shown in messages: the language's name, else the other
 * one, else the code. */
static const char *country_label(const doanra_config *c,
                                 const doanra_country *k)
{
    const char *first = L(c, k->name_vi, k->name_en);
    const char *second = L(c, k->name_en, k->name_vi);
    if (first && *first)
        return first;
    if (second && *second)
        return second;
    return k->code;
}

/* User text quoted in a message is cut at a character boundary so that one
 * long textarea cannot make the result block unreadable. */
static const char *clip(apr_pool_t *p, const char *s, apr_size_t max)
{
    apr_size_t len, n;
    if (!s)
        return "";
    len = strlen(s);
    n = doanra_utf8_cut(s, len, max);
    if (n == len)
        return s;
    return apr_pstrcat(p, apr_pstrndup(p, s, n), "…", NULL);
}

/* How a member is named in messages: name, else official code, else row. */
static const char *member_label(apr_pool_t *p, const doanra_config *c,
                                const doanra_member *m)
{
    if (m->name && *m->name)
        return clip(p, m->name, 120);
    if (m->code && *m->code)
        return clip(p, m->code, 60);
    return apr_psprintf(p, L(c, "thành viên dòng %d", "the member on row %d"),
                        m->row);
}

/* "Name (Position)" when the position is known. */
static const char *member_label_pos(apr_pool_t *p, const doanra_config *c,
                                    const doanra_member *m)
{
    const char *n = member_label(p, c, m);
    if (m->position && *m->position)
        return apr_psprintf(p, "%s (%s)", n, clip(p, m->position, 80));
    return n;
}

/* Has an earlier member the same identity?  Later occurrences are reported
 * once by duplicate-member and skipped by the per-person rules. */
static int is_repeat(const apr_array_header_t *members, int i)
{
    const doanra_member *m = &APR_ARRAY_IDX(members, i, doanra_member);
    int j;
    if (!m->identity || !*m->identity)
        return 0;
    for (j = 0; j < i; j++) {
        const doanra_member *o = &APR_ARRAY_IDX(members, j, doanra_member);
        if (o->identity && strcmp(o->identity, m->identity) == 0)
            return 1;
    }
    return 0;
}

/* Did the trip builder already report this field (any row when row < 0)? */
static int already_reported(const doanra_config *c,
                            const apr_array_header_t *findings, int field_key,
                            int row)
{
    const char *name = c->field_names[field_key];
    int i;
    for (i = 0; i < findings->nelts; i++) {
        const doanra_finding *f = &APR_ARRAY_IDX(findings, i, doanra_finding);
        if ((f->rule == DOANRA_R_REQUIRED || f->rule == DOANRA_R_FORMAT) &&
            f->field && strcmp(f->field, name) == 0 &&
            (row < 0 || f->row == row))
            return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* UN M49 names, for the region rule's message                          */
/* ------------------------------------------------------------------ */

/* The country table may carry M49 codes ("035") or English names
 * ("South-eastern Asia"); either is shown by its name in the language. */
static const struct {
    const char *code, *en, *vi;
} m49[] = {
    {"002", "Africa", "Châu Phi"},
    {"019", "Americas", "Châu Mỹ"},
    {"142", "Asia", "Châu Á"},
    {"150", "Europe", "Châu Âu"},
    {"009", "Oceania", "Châu Đại Dương"},
    {"011", "Western Africa", "Tây Phi"},
    {"014", "Eastern Africa", "Đông Phi"},
    {"015", "Northern Africa", "Bắc Phi"},
    {"017", "Middle Africa", "Trung Phi"},
    {"018", "Southern Africa", "Miền Nam châu Phi"},
    {"202", "Sub-Saharan Africa", "Châu Phi hạ Sahara"},
    {"005", "South America", "Nam Mỹ"},
    {"013", "Central America", "Trung Mỹ"},
    {"021", "Northern America", "Bắc Mỹ"},
    {"029", "Caribbean", "Vùng Caribe"},
    {"419", "Latin America and the Caribbean", "Mỹ Latinh và Caribe"},
    {"030", "Eastern Asia", "Đông Á"},
    {"034", "Southern Asia", "Nam Á"},
    {"035", "South-eastern Asia", "Đông Nam Á"},
    {"143", "Central Asia", "Trung Á"},
    {"145", "Western Asia", "Tây Á"},
    {"039", "Southern Europe", "Nam Âu"},
    {"151", "Eastern Europe", "Đông Âu"},
    {"154", "Northern Europe", "Bắc Âu"},
    {"155", "Western Europe", "Tây Âu"},
    {"053", "Australia and New Zealand", "Úc và New Zealand"},
    {"054", "Melanesia", "Melanesia"},
    {"057", "Micronesia", "Micronesia"},
    {"061", "Polynesia", "Polynesia"},
};

static const char *region_label(const doanra_config *c, const char *key)
{
    size_t i;
    for (i = 0; i < sizeof(m49) / sizeof(m49[0]); i++)
        if (strcmp(key, m49[i].code) == 0 || strcasecmp(key, m49[i].en) == 0 ||
            strcmp(key, m49[i].vi) == 0)
            return L(c, m49[i].vi, m49[i].en);
    return key;
}

/* ------------------------------------------------------------------ */
/* dates                                                                */
/* ------------------------------------------------------------------ */

/* One leg's dates against the trip's and against prev, the last leg
 * before it with a usable span.  -1 when its own span is not usable (so it
 * is no leg's prev), else 1 when they agree and 0 when not. */
static int check_leg_dates(apr_pool_t *p, const doanra_config *c,
                           const doanra_trip *t, const doanra_leg *g,
                           const doanra_leg *prev, apr_array_header_t *findings)
{
    const char *where;
    int ok = 1;

    if (!doanra_date_ok(g->from) || !doanra_date_ok(g->to))
        return -1; /* already reported by the trip builder */
    where = g->country ? apr_psprintf(p, " (%s)", country_label(c, g->country))
                       : "";
    if (g->to < g->from) {
        doanra_add_finding(
            p, c, findings, DOANRA_R_DATES, DOANRA_F_DEN_NGAY, g->row, "%s",
            apr_psprintf(p,
                         L(c,
                           "Chặng %d%s: ngày kết thúc %s trước ngày bắt "
                           "đầu %s.",
                           "Leg %d%s: the last day %s is before the first "
                           "day %s."),
                         g->row, where, fmt_date(p, c, g->to),
                         fmt_date(p, c, g->from)));
        return -1; /* its span means nothing for the checks below */
    }
    if (doanra_date_ok(t->ngay_di) && g->from < t->ngay_di) {
        ok = 0;
        doanra_add_finding(
            p, c, findings, DOANRA_R_DATES, DOANRA_F_TU_NGAY, g->row, "%s",
            apr_psprintf(p,
                         L(c,
                           "Chặng %d%s bắt đầu ngày %s, trước ngày đi "
                           "%s.",
                           "Leg %d%s starts on %s, before the departure "
                           "date %s."),
                         g->row, where, fmt_date(p, c, g->from),
                         fmt_date(p, c, t->ngay_di)));
    }
    if (doanra_date_ok(t->ngay_ve) && g->to > t->ngay_ve) {
        ok = 0;
        doanra_add_finding(
            p, c, findings, DOANRA_R_DATES, DOANRA_F_DEN_NGAY, g->row, "%s",
            apr_psprintf(p,
                         L(c, "Chặng %d%s kết thúc ngày %s, sau ngày về %s.",
                           "Leg %d%s ends on %s, after the return date "
                           "%s."),
                         g->row, where, fmt_date(p, c, g->to),
                         fmt_date(p, c, t->ngay_ve)));
    }
    if (prev && g->from <= prev->to) {
        ok = 0;
        doanra_add_finding(
            p, c, findings, DOANRA_R_DATES, DOANRA_F_TU_NGAY, g->row, "%s",
            apr_psprintf(p,
                         L(c,
                           "Chặng %d%s bắt đầu ngày %s, không sau ngày "
                           "kết thúc %s của chặng %d; các chặng phải theo "
                           "thứ tự thời gian và không chồng lên nhau.",
                           "Leg %d%s starts on %s, not after %s, the last "
                           "day of leg %d; legs must be in date order and "
                           "must not overlap."),
                         g->row, where, fmt_date(p, c, g->from),
                         fmt_date(p, c, prev->to), prev->row));
    }
    return ok;
}

/* Returns 1 when every date is usable and consistent, so that the
 * travel-days arithmetic means something. */
static int check_dates(apr_pool_t *p, const doanra_config *c,
                       const doanra_trip *t, long today,
                       apr_array_header_t *findings)
{
    const apr_array_header_t *legs = t->legs;
    int have_span = doanra_date_ok(t->ngay_di) && doanra_date_ok(t->ngay_ve);
    int ok = have_span;
    const doanra_leg *prev = NULL;
    int i;

    if (have_span && t->ngay_ve < t->ngay_di) {
        ok = 0;
        doanra_add_finding(
            p, c, findings, DOANRA_R_DATES, DOANRA_F_NGAY_VE, 0, "%s",
            apr_psprintf(
                p,
                L(c, "Ngày về %s trước ngày đi %s.",
                  "The return date %s is before the departure date %s."),
                fmt_date(p, c, t->ngay_ve), fmt_date(p, c, t->ngay_di)));
    }
    /* A departure in the past does not make the travel gaps meaningless,
     * so it leaves `ok` alone. */
    if (doanra_date_ok(t->ngay_di) && doanra_date_ok(today) &&
        t->ngay_di < today) {
        doanra_add_finding(
            p, c, findings, DOANRA_R_DATES, DOANRA_F_NGAY_DI, 0, "%s",
            apr_psprintf(p,
                         L(c, "Ngày đi %s đã qua (hôm nay là %s).",
                           "The departure date %s is in the past (today is "
                           "%s)."),
                         fmt_date(p, c, t->ngay_di), fmt_date(p, c, today)));
    }

    for (i = 0; legs && i < legs->nelts; i++) {
        const doanra_leg *g = &APR_ARRAY_IDX(legs, i, doanra_leg);
        int r = check_leg_dates(p, c, t, g, prev, findings);
        if (r <= 0)
            ok = 0;
        if (r >= 0)
            prev = g;
    }
    return ok;
}

/* ------------------------------------------------------------------ */
/* size, countries, days-per-country, region                            */
/* ------------------------------------------------------------------ */

static void check_size(apr_pool_t *p, const doanra_config *c,
                       const doanra_trip *t, apr_array_header_t *findings)
{
    int n = t->members ? t->members->nelts : 0;
    /* 0 members is a `required` finding of the trip builder. */
    if (n > c->max_members)
        doanra_add_finding(
            p, c, findings, DOANRA_R_SIZE, DOANRA_F_TV_HO_TEN, 0,
            L(c, "Đoàn có %d thành viên, vượt quá giới hạn %d người/đoàn.",
              "The delegation has %d members, over the limit of %d per "
              "delegation."),
            n, c->max_members);
}

/* One visited country with what the rules need to know about it. */
typedef struct {
    const doanra_country *country;
    long days;    /* programme days, legs with usable dates only */
    int last_row; /* row of its last leg */
    int first_row;
} visit;

/* Distinct countries in the order of their first leg. */
static apr_array_header_t *visits_of(apr_pool_t *p, const doanra_trip *t)
{
    apr_array_header_t *v = apr_array_make(p, 4, sizeof(visit));
    int i, j;
    for (i = 0; t->legs && i < t->legs->nelts; i++) {
        const doanra_leg *g = &APR_ARRAY_IDX(t->legs, i, doanra_leg);
        visit *x = NULL;
        if (!g->country)
            continue;
        for (j = 0; j < v->nelts; j++) {
            visit *y = &APR_ARRAY_IDX(v, j, visit);
            if (strcmp(y->country->code, g->country->code) == 0) {
                x = y;
                break;
            }
        }
        if (!x) {
            x = apr_array_push(v);
            x->country = g->country;
            x->days = 0;
            x->first_row = g->row;
        }
        x->last_row = g->row;
        if (doanra_date_ok(g->from) && doanra_date_ok(g->to) &&
            g->to >= g->from)
            x->days += g->to - g->from + 1;
    }
    return v;
}

static void check_countries(apr_pool_t *p, const doanra_config *c,
                            const apr_array_header_t *v,
                            apr_array_header_t *findings)
{
    const char *list = "";
    int i;

    if (v->nelts <= c->max_countries)
        return;
    for (i = 0; i < v->nelts; i++) {
        const visit *x = &APR_ARRAY_IDX(v, i, visit);
        list = apr_pstrcat(p, list, i ? ", " : "", country_label(c, x->country),
                           NULL);
    }
    /* Marked on the first leg that goes over the limit. */
    doanra_add_finding(
        p, c, findings, DOANRA_R_COUNTRIES, DOANRA_F_QUOC_GIA,
        APR_ARRAY_IDX(v, c->max_countries < 0 ? 0 : c->max_countries, visit)
            .first_row,
        L(c, "Chuyến đi qua %d nước (%s), vượt quá giới hạn %d nước/chuyến.",
          "The trip visits %d countries (%s), over the limit of %d per trip."),
        v->nelts, list, c->max_countries);
}

static void check_days_per_country(apr_pool_t *p, const doanra_config *c,
                                   const apr_array_header_t *v,
                                   apr_array_header_t *findings)
{
    int i;
    for (i = 0; i < v->nelts; i++) {
        const visit *x = &APR_ARRAY_IDX(v, i, visit);
        if (x->days > c->max_days_per_country)
            doanra_add_finding(
                p, c, findings, DOANRA_R_DAYS_PER_COUNTRY, DOANRA_F_QUOC_GIA,
                x->last_row,
                L(c,
                  "Thời gian làm việc tại %s là %ld ngày, vượt quá giới hạn "
                  "%d ngày/nước (không tính ngày đi đường).",
                  "The programme in %s lasts %ld days, over the limit of %d "
                  "days per country (travel days not counted)."),
                country_label(c, x->country), x->days, c->max_days_per_country);
    }
}

static void check_region(apr_pool_t *p, const doanra_config *c,
                         const apr_array_header_t *v,
                         apr_array_header_t *findings)
{
    const char *first = NULL, *list = "";
    int i, differ = 0, row = 0, shown = 0;

    for (i = 0; i < v->nelts; i++) {
        const visit *x = &APR_ARRAY_IDX(v, i, visit);
        const char *key = c->region_level == DOANRA_LEVEL_REGION
                              ? x->country->region
                              : x->country->subregion;
        if (!key || !*key)
            continue; /* no M49 data for it (e.g. Antarctica) */
        if (!first)
            first = key;
        else if (strcmp(first, key) != 0 && !differ) {
            differ = 1;
            row = x->first_row;
        }
        list = apr_pstrcat(p, list, shown++ ? ", " : "",
                           country_label(c, x->country), " (",
                           region_label(c, key), ")", NULL);
    }
    if (!differ)
        return;
    if (c->region_level == DOANRA_LEVEL_REGION)
        doanra_add_finding(
            p, c, findings, DOANRA_R_REGION, DOANRA_F_QUOC_GIA, row,
            L(c,
              "Các nước trong chuyến đi không cùng một châu lục: %s; nên "
              "chọn các nước gần nhau, cùng khu vực.",
              "The countries of the trip are not on one continent: %s; "
              "countries should be close together, in one region."),
            list);
    else
        doanra_add_finding(
            p, c, findings, DOANRA_R_REGION, DOANRA_F_QUOC_GIA, row,
            L(c,
              "Các nước trong chuyến đi không cùng một tiểu vùng: %s; nên "
              "chọn các nước gần nhau, cùng khu vực.",
              "The countries of the trip are not in one sub-region: %s; "
              "countries should be close together, in one region."),
            list);
}

/* ------------------------------------------------------------------ */
/* travel-days                                                          */
/* ------------------------------------------------------------------ */

/* Only called when every date is usable, legs are in order and inside the
 * trip: then every gap below is >= 0. */
static void check_travel_days(apr_pool_t *p, const doanra_config *c,
                              const doanra_trip *t,
                              apr_array_header_t *findings)
{
    const apr_array_header_t *legs = t->legs;
    const doanra_leg *first, *last;
    long gap;
    int i;

    if (!legs || legs->nelts == 0)
        return;
    first = &APR_ARRAY_IDX(legs, 0, doanra_leg);
    last = &APR_ARRAY_IDX(legs, legs->nelts - 1, doanra_leg);

    /* The argument order differs between the two languages, so each
     * message is formatted on its own branch. */
    gap = first->from - t->ngay_di;
    if (gap > c->travel_days) {
        if (c->lang == DOANRA_LANG_EN)
            doanra_add_finding(
                p, c, findings, DOANRA_R_TRAVEL_DAYS, DOANRA_F_TU_NGAY,
                first->row,
                "There are %ld travel days between the departure date %s and "
                "the first day %s of leg %d, over the limit of %d days.",
                gap, fmt_date(p, c, t->ngay_di), fmt_date(p, c, first->from),
                first->row, c->travel_days);
        else
            doanra_add_finding(
                p, c, findings, DOANRA_R_TRAVEL_DAYS, DOANRA_F_TU_NGAY,
                first->row,
                "Từ ngày đi %s đến ngày bắt đầu chặng %d là %s có %ld ngày "
                "đi đường, vượt quá giới hạn %d ngày.",
                fmt_date(p, c, t->ngay_di), first->row,
                fmt_date(p, c, first->from), gap, c->travel_days);
    }

    for (i = 1; i < legs->nelts; i++) {
        const doanra_leg *a = &APR_ARRAY_IDX(legs, i - 1, doanra_leg);
        const doanra_leg *b = &APR_ARRAY_IDX(legs, i, doanra_leg);
        gap = b->from - a->to - 1;
        if (gap <= c->travel_days)
            continue;
        if (c->lang == DOANRA_LANG_EN)
            doanra_add_finding(
                p, c, findings, DOANRA_R_TRAVEL_DAYS, DOANRA_F_TU_NGAY, b->row,
                "There are %ld travel days between leg %d (ends %s) and leg "
                "%d (starts %s), over the limit of %d days.",
                gap, a->row, fmt_date(p, c, a->to), b->row,
                fmt_date(p, c, b->from), c->travel_days);
        else
            doanra_add_finding(
                p, c, findings, DOANRA_R_TRAVEL_DAYS, DOANRA_F_TU_NGAY, b->row,
                "Giữa chặng %d (kết thúc %s) và chặng %d (bắt đầu %s) có %ld "
                "ngày đi đường, vượt quá giới hạn %d ngày.",
                a->row, fmt_date(p, c, a->to), b->row, fmt_date(p, c, b->from),
                gap, c->travel_days);
    }

    gap = t->ngay_ve - last->to;
    if (gap > c->travel_days) {
        if (c->lang == DOANRA_LANG_EN)
            doanra_add_finding(
                p, c, findings, DOANRA_R_TRAVEL_DAYS, DOANRA_F_NGAY_VE, 0,
                "There are %ld travel days between the last day %s of leg %d "
                "and the return date %s, over the limit of %d days.",
                gap, fmt_date(p, c, last->to), last->row,
                fmt_date(p, c, t->ngay_ve), c->travel_days);
        else
            doanra_add_finding(
                p, c, findings, DOANRA_R_TRAVEL_DAYS, DOANRA_F_NGAY_VE, 0,
                "Từ ngày kết thúc chặng %d là %s đến ngày về %s có %ld ngày "
                "đi đường, vượt quá giới hạn %d ngày.",
                last->row, fmt_date(p, c, last->to), fmt_date(p, c, t->ngay_ve),
                gap, c->travel_days);
    }
}

/* ------------------------------------------------------------------ */
/* members: duplicate-member, leaders-same-unit                         */
/* ------------------------------------------------------------------ */

static void check_duplicates(apr_pool_t *p, const doanra_config *c,
                             const doanra_trip *t, apr_array_header_t *findings)
{
    const apr_array_header_t *ms = t->members;
    int i, j;
    for (i = 0; ms && i < ms->nelts; i++) {
        const doanra_member *m = &APR_ARRAY_IDX(ms, i, doanra_member);
        /* A row without name or code has no identity worth comparing; it
         * already has its `required` finding. */
        if (!m->identity || !*m->identity || (!m->name && !m->code))
            continue;
        for (j = 0; j < i; j++) {
            const doanra_member *o = &APR_ARRAY_IDX(ms, j, doanra_member);
            if (!o->identity || strcmp(o->identity, m->identity) != 0 ||
                (!o->name && !o->code))
                continue;
            doanra_add_finding(
                p, c, findings, DOANRA_R_DUPLICATE_MEMBER, DOANRA_F_TV_HO_TEN,
                m->row,
                L(c,
                  "%s được ghi hai lần trong danh sách đoàn (dòng %d và dòng "
                  "%d); mỗi người chỉ được ghi một lần.",
                  "%s is listed twice in the delegation (rows %d and %d); "
                  "each person may be listed only once."),
                member_label(p, c, m), o->row, m->row);
            break; /* one finding per repeated row */
        }
    }
}

static void check_leaders_same_unit(apr_pool_t *p, const doanra_config *c,
                                    const doanra_trip *t,
                                    apr_array_header_t *findings)
{
    const apr_array_header_t *ms = t->members;
    int i, j;
    for (i = 0; ms && i < ms->nelts; i++) {
        const doanra_member *m = &APR_ARRAY_IDX(ms, i, doanra_member);
        if (!m->is_key_leader || !m->unit_key || !*m->unit_key ||
            is_repeat(ms, i))
            continue;
        for (j = 0; j < i; j++) {
            const doanra_member *o = &APR_ARRAY_IDX(ms, j, doanra_member);
            if (!o->is_key_leader || !o->unit_key ||
                strcmp(o->unit_key, m->unit_key) != 0 || is_repeat(ms, j))
                continue;
            doanra_add_finding(
                p, c, findings, DOANRA_R_LEADERS_SAME_UNIT, DOANRA_F_TV_HO_TEN,
                m->row,
                L(c,
                  "%s và %s là lãnh đạo chủ chốt của cùng một đơn vị; không "
                  "bố trí hai lãnh đạo chủ chốt của một đơn vị đi cùng một "
                  "đoàn (Chỉ thị 38-CT/TW).",
                  "%s and %s are key leaders of the same unit; two key "
                  "leaders of one unit should not travel in the same "
                  "delegation (Directive 38-CT/TW)."),
                member_label_pos(p, c, o), member_label_pos(p, c, m));
            break;
        }
    }
}

/* ------------------------------------------------------------------ */
/* funding, lead-time                                                   */
/* ------------------------------------------------------------------ */

static void check_funding(apr_pool_t *p, const doanra_config *c,
                          const doanra_trip *t, apr_array_header_t *findings)
{
    int given = t->du_toan_raw && *t->du_toan_raw;

    if (t->funding != DOANRA_FUND_NGAN_SACH || t->du_toan > 0)
        return;
    /* Not a number, or missing and already flagged as required. */
    if ((given && t->du_toan < 0) ||
        already_reported(c, findings, DOANRA_F_DU_TOAN, -1))
        return;
    if (given)
        doanra_add_finding(
            p, c, findings, DOANRA_R_FUNDING, DOANRA_F_DU_TOAN, 0,
            L(c,
              "Dự toán kinh phí là %s đồng; chuyến đi dùng ngân sách nhà "
              "nước phải có dự toán lớn hơn 0.",
              "The estimated cost is %s VND; a trip funded by the state "
              "budget needs an estimate greater than 0."),
            clip(p, t->du_toan_raw, 40));
    else
        doanra_add_finding(
            p, c, findings, DOANRA_R_FUNDING, DOANRA_F_DU_TOAN, 0, "%s",
            L(c,
              "Chuyến đi dùng ngân sách nhà nước nhưng chưa có dự toán kinh "
              "phí; cần ghi dự toán (đồng) lớn hơn 0.",
              "The trip is funded by the state budget but has no estimated "
              "cost; enter an estimate in VND greater than 0."));
}

static void check_lead_time(apr_pool_t *p, const doanra_config *c,
                            const doanra_trip *t, long today,
                            apr_array_header_t *findings)
{
    long lead;
    if (c->min_lead_days <= 0 || !doanra_date_ok(t->ngay_di) ||
        !doanra_date_ok(today))
        return;
    lead = t->ngay_di - today;
    /* A departure in the past is a `dates` finding already. */
    if (lead < 0 || lead >= c->min_lead_days)
        return;
    if (c->lang == DOANRA_LANG_EN)
        doanra_add_finding(
            p, c, findings, DOANRA_R_LEAD_TIME, DOANRA_F_NGAY_DI, 0,
            "The request is submitted on %s, %ld days before the departure "
            "date %s; it must be submitted at least %d days before.",
            fmt_date(p, c, today), lead, fmt_date(p, c, t->ngay_di),
            c->min_lead_days);
    else
        doanra_add_finding(
            p, c, findings, DOANRA_R_LEAD_TIME, DOANRA_F_NGAY_DI, 0,
            "Hồ sơ nộp ngày %s, chỉ %ld ngày trước ngày đi %s; hồ sơ phải "
            "nộp trước ngày đi ít nhất %d ngày.",
            fmt_date(p, c, today), lead, fmt_date(p, c, t->ngay_di),
            c->min_lead_days);
}

/* ------------------------------------------------------------------ */
/* history: leader-quota, member-overlap                                */
/* ------------------------------------------------------------------ */

static void check_history_members(apr_pool_t *p, const doanra_config *c,
                                  const doanra_trip *t, const doanra_history *h,
                                  long today, apr_array_header_t *findings)
{
    const apr_array_header_t *ms = t->members;
    int year = year_of(doanra_date_ok(t->ngay_di) ? t->ngay_di : today);
    int i;

    for (i = 0; ms && i < ms->nelts; i++) {
        const doanra_member *m = &APR_ARRAY_IDX(ms, i, doanra_member);
        if (is_repeat(ms, i))
            continue; /* the same person: one finding is enough */
        if (m->is_key_leader && h->trips_this_year &&
            h->trips_this_year[i] + 1 > c->max_trips_per_year) {
            if (c->lang == DOANRA_LANG_EN)
                doanra_add_finding(
                    p, c, findings, DOANRA_R_LEADER_QUOTA, DOANRA_F_TV_HO_TEN,
                    m->row,
                    "%s already has %d trip%s abroad in %d; this trip would "
                    "exceed the limit of %d per year for key leaders.",
                    member_label_pos(p, c, m), h->trips_this_year[i],
                    h->trips_this_year[i] == 1 ? "" : "s", year,
                    c->max_trips_per_year);
            else
                doanra_add_finding(
                    p, c, findings, DOANRA_R_LEADER_QUOTA, DOANRA_F_TV_HO_TEN,
                    m->row,
                    "%s đã có %d chuyến đi nước ngoài trong năm %d; chuyến "
                    "này vượt quá giới hạn %d lần/năm đối với lãnh đạo chủ "
                    "chốt.",
                    member_label_pos(p, c, m), h->trips_this_year[i], year,
                    c->max_trips_per_year);
        }
        if (h->overlap_trip_id && h->overlap_trip_id[i] != 0) {
            long from = h->overlap_from ? h->overlap_from[i] : DOANRA_NODATE;
            long to = h->overlap_to ? h->overlap_to[i] : DOANRA_NODATE;
            const char *span =
                (doanra_date_ok(from) && doanra_date_ok(to))
                    ? apr_psprintf(p, L(c, " (từ %s đến %s)", " (%s to %s)"),
                                   fmt_date(p, c, from), fmt_date(p, c, to))
                    : "";
            const char *code =
                h->overlap_code ? h->overlap_code[i] : NULL;
            /* The delegation by its dossier code, the name officials know
             * it by; by its record number when it has none (a trip loaded
             * by hand without one). */
            const char *which =
                (code && *code)
                    ? apr_psprintf(p, L(c, "đoàn %s", "delegation %s"),
                                   clip(p, code, 64))
                    : apr_psprintf(p, L(c, "chuyến đi số %ld", "trip no. %ld"),
                                   h->overlap_trip_id[i]);
            doanra_add_finding(
                p, c, findings, DOANRA_R_MEMBER_OVERLAP, DOANRA_F_TV_HO_TEN,
                m->row,
                L(c,
                  "%s đã có trong %s%s, trùng thời gian với chuyến này.",
                  "%s is already on %s%s, whose dates overlap this trip."),
                member_label(p, c, m), which, span);
        }
    }
}

/* ------------------------------------------------------------------ */
/* plan                                                                 */
/* ------------------------------------------------------------------ */

static int entry_has_country(const doanra_plan_entry *e, const char *code)
{
    int i;
    for (i = 0; e->countries && i < e->countries->nelts; i++) {
        const char *k = APR_ARRAY_IDX(e->countries, i, const char *);
        if (k && strcasecmp(k, code) == 0)
            return 1;
    }
    return 0;
}

/* A candidate entry covers the trip: the departure year, the unit when
 * both name one, the period around the departure date, and every country
 * the legs visit. */
static int entry_covers(const doanra_plan_entry *e, const doanra_trip *t,
                        int year)
{
    int j;

    if (e->year != year)
        return 0;
    if (t->unit_code && *t->unit_code && e->unit_code &&
        strcasecmp(t->unit_code, e->unit_code) != 0)
        return 0;
    if (!doanra_date_ok(e->period_from) || !doanra_date_ok(e->period_to) ||
        t->ngay_di < e->period_from || t->ngay_di > e->period_to)
        return 0;
    for (j = 0; t->legs && j < t->legs->nelts; j++) {
        const doanra_leg *l = &APR_ARRAY_IDX(t->legs, j, doanra_leg);
        if (l->country && !entry_has_country(e, l->country->code))
            return 0;
    }
    return 1;
}

const doanra_plan_entry *doanra_plan_match(const doanra_trip *t,
                                           const doanra_history *h)
{
    int i, year;

    if (!t || !h || !doanra_date_ok(t->ngay_di))
        return NULL;
    if (h->plan_code_given)
        return h->plan_by_code;
    year = year_of(t->ngay_di);
    for (i = 0; h->plan_candidates && i < h->plan_candidates->nelts; i++) {
        const doanra_plan_entry *e =
            &APR_ARRAY_IDX(h->plan_candidates, i, doanra_plan_entry);
        if (entry_covers(e, t, year))
            return e;
    }
    return NULL;
}

/* Visited countries the entry does not list, as a name list ("" if none). */
static const char *missing_countries(apr_pool_t *p, const doanra_config *c,
                                     const doanra_plan_entry *e,
                                     const apr_array_header_t *v)
{
    const char *out = "";
    int i;
    for (i = 0; i < v->nelts; i++) {
        const visit *x = &APR_ARRAY_IDX(v, i, visit);
        if (!entry_has_country(e, x->country->code))
            out = apr_pstrcat(p, out, *out ? ", " : "",
                              country_label(c, x->country), NULL);
    }
    return out;
}

static void report_unplanned(apr_pool_t *p, const doanra_config *c,
                             const doanra_trip *t, const char *why,
                             apr_array_header_t *findings)
{
    int conf = doanra_rule_severity(c, DOANRA_R_PLAN);
    const char *reason = t->ly_do_phat_sinh;

    if (reason && *reason)
        /* Justified: the configured severity (warning by default). */
        doanra_add_finding_sev(
            p, c, findings, DOANRA_R_PLAN, conf, DOANRA_F_LY_DO_PHAT_SINH, 0,
            L(c,
              "%sChuyến đi không có trong kế hoạch đã được phê duyệt (đoàn "
              "phát sinh); lý do: %s",
              "%sThe trip is not in the approved plan (an unplanned trip); "
              "reason given: %s"),
            why, clip(p, reason, 300));
    else
        /* Unjustified: always an error unless the rule is off. */
        doanra_add_finding_sev(
            p, c, findings, DOANRA_R_PLAN, DOANRA_SEV_ERROR,
            DOANRA_F_LY_DO_PHAT_SINH, 0,
            L(c,
              "%sChuyến đi không có trong kế hoạch đã được phê duyệt (đoàn "
              "phát sinh) nhưng chưa nêu lý do; cần ghi rõ lý do phát sinh.",
              "%sThe trip is not in the approved plan (an unplanned trip) "
              "and no reason is given; state why the trip is needed."),
            why);
}

/* ma_ke_hoach names entry e (NULL: no such entry): say how the trip
 * differs from it.  Its period is not compared: the code says which entry
 * is meant. */
static void check_plan_code(apr_pool_t *p, const doanra_config *c,
                            const doanra_trip *t, const doanra_plan_entry *e,
                            const apr_array_header_t *v,
                            apr_array_header_t *findings)
{
    int year = year_of(t->ngay_di);
    const char *diff = "", *miss;

    if (!e) {
        report_unplanned(
            p, c, t,
            apr_psprintf(p,
                         L(c,
                           "Mã kế hoạch \"%s\" không có trong kế hoạch "
                           "đã được phê duyệt. ",
                           "The plan code \"%s\" is not in the approved "
                           "plan. "),
                         clip(p, t->ma_ke_hoach, 60)),
            findings);
        return;
    }
    if (e->year != year)
        diff = apr_psprintf(
            p, L(c, "năm %d (chuyến đi năm %d)", "year %d (the trip is in %d)"),
            e->year, year);
    if (t->unit_code && *t->unit_code && e->unit_code &&
        strcasecmp(t->unit_code, e->unit_code) != 0)
        diff =
            apr_pstrcat(p, diff, *diff ? "; " : "",
                        apr_psprintf(p,
                                     L(c, "đơn vị %s (đơn vị gửi hồ sơ là %s)",
                                       "unit %s (the sending unit is %s)"),
                                     e->unit_code, t->unit_code),
                        NULL);
    miss = missing_countries(p, c, e, v);
    if (*miss)
        diff = apr_pstrcat(p, diff, *diff ? "; " : "",
                           apr_psprintf(p,
                                        L(c, "kế hoạch không có nước: %s",
                                          "countries not in the plan entry: "
                                          "%s"),
                                        miss),
                           NULL);
    if (*diff)
        doanra_add_finding(
            p, c, findings, DOANRA_R_PLAN, DOANRA_F_MA_KE_HOACH, 0,
            L(c, "Chuyến đi không khớp với mục kế hoạch %s: %s.",
              "The trip does not match plan entry %s: %s."),
            clip(p, e->code ? e->code : t->ma_ke_hoach, 60), diff);
}

static void check_plan(apr_pool_t *p, const doanra_config *c,
                       const doanra_trip *t, const doanra_history *h,
                       const apr_array_header_t *v,
                       apr_array_header_t *findings)
{
    const doanra_plan_entry *e;

    if (doanra_rule_severity(c, DOANRA_R_PLAN) == DOANRA_SEV_OFF)
        return;
    /* Without a departure date neither the year nor the period can be
     * compared; `required` / `format` already asks for it. */
    if (!doanra_date_ok(t->ngay_di))
        return;
    e = doanra_plan_match(t, h);
    if (h->plan_code_given)
        check_plan_code(p, c, t, e, v, findings);
    else if (!e)
        report_unplanned(p, c, t, "", findings);
}

/* ------------------------------------------------------------------ */
/* identity                                                             */
/* ------------------------------------------------------------------ */

/* What doanra_trip_resolve_identity found against the registry: a code
 * that belongs to someone else, a registered official who gives another
 * code (still counted as that official by the other rules, since the
 * identity is theirs), a unit code registered under another name. */
static void check_identity(apr_pool_t *p, const doanra_config *c,
                           const doanra_trip *t, apr_array_header_t *findings)
{
    const apr_array_header_t *ms = t->members;
    int i;

    if (!t->registry_checked)
        return;
    if (t->unit_name_conflict && t->ma_don_vi && t->don_vi)
        doanra_add_finding(
            p, c, findings, DOANRA_R_IDENTITY, DOANRA_F_MA_DON_VI, 0,
            L(c, "Mã đơn vị “%s” trong danh bạ là của “%s”, không phải “%s”.",
              "Unit code “%s” belongs to “%s” in the registry, not to "
              "“%s”."),
            clip(p, t->ma_don_vi, 60), clip(p, t->unit_name_conflict, 120),
            clip(p, t->don_vi, 120));
    for (i = 0; ms && i < ms->nelts; i++) {
        const doanra_member *m = &APR_ARRAY_IDX(ms, i, doanra_member);
        const doanra_official *o = m->official, *x = m->code_owner;

        if (m->identity_issue == DOANRA_ID_NAMESAKES && m->name) {
            doanra_add_finding(
                p, c, findings, DOANRA_R_IDENTITY, DOANRA_F_TV_MA, m->row,
                L(c,
                  "Danh bạ có %d cán bộ tên “%s” ở đơn vị này; cần ghi mã "
                  "cán bộ (tv_ma) để biết là ai%s.",
                  "The registry has %d officials named “%s” in this unit; "
                  "the official code (tv_ma) is needed to tell which one%s."),
                m->namesakes, clip(p, m->name, 120),
                m->code ? apr_psprintf(p,
                                       L(c, " (mã “%s” không phải của ai "
                                            "trong số đó)",
                                         " (“%s” is none of theirs)"),
                                       clip(p, m->code, 60))
                        : "");
            continue;
        }
        if (!m->code || !m->name)
            continue; /* `required` already asks for the name */
        if (m->identity_issue == DOANRA_ID_CODE_OTHER_NAME && x)
            doanra_add_finding(
                p, c, findings, DOANRA_R_IDENTITY, DOANRA_F_TV_MA, m->row,
                L(c,
                  "Mã cán bộ “%s” trong danh bạ là của “%s”, không phải "
                  "“%s”.",
                  "Official code “%s” belongs to “%s” in the registry, not "
                  "to “%s”."),
                clip(p, m->code, 60), clip(p, x->full_name, 120),
                clip(p, m->name, 120));
        else if (m->identity_issue == DOANRA_ID_CODE_NOT_THEIRS && o)
            doanra_add_finding(
                p, c, findings, DOANRA_R_IDENTITY, DOANRA_F_TV_MA, m->row,
                L(c,
                  "Theo danh bạ, “%s” có mã cán bộ “%s”, không phải “%s”%s; "
                  "thành viên này được tính là cán bộ “%s”.",
                  "In the registry, “%s” has official code “%s”, not “%s”%s; "
                  "this member counts as official “%s”."),
                clip(p, m->name, 120), o->code, clip(p, m->code, 60),
                x ? apr_psprintf(p,
                                 L(c, " (mã đó là của “%s”)",
                                   " (that code belongs to “%s”)"),
                                 clip(p, x->full_name, 120))
                  : "",
                o->code);
    }
}

/* ------------------------------------------------------------------ */
/* report-overdue                                                       */
/* ------------------------------------------------------------------ */

/* The unit still owes a report on the results of an earlier trip (Chỉ thị
 * 38-CT/TW): a warning by default, so the trip goes on and the unit is
 * reminded where it is most likely to act. */
static void check_report_overdue(apr_pool_t *p, const doanra_config *c,
                                 const doanra_history *h,
                                 apr_array_header_t *findings)
{
    const char *code, *back;

    if (h->overdue_reports <= 0)
        return;
    code = h->overdue_code ? h->overdue_code : "?";
    back =
        doanra_date_ok(h->overdue_back) ? fmt_date(p, c, h->overdue_back) : "?";
    if (c->lang == DOANRA_LANG_EN)
        doanra_add_finding(
            p, c, findings, DOANRA_R_REPORT_OVERDUE, DOANRA_F_DON_VI, 0,
            "The sending unit has %d trip%s back for more than %d days "
            "without the report on %s results (the earliest: %s, back on "
            "%s).",
            h->overdue_reports, h->overdue_reports == 1 ? "" : "s",
            c->report_days, h->overdue_reports == 1 ? "its" : "their", code,
            back);
    else
        doanra_add_finding(
            p, c, findings, DOANRA_R_REPORT_OVERDUE, DOANRA_F_DON_VI, 0,
            "Đơn vị cử đoàn còn %d chuyến đi đã về nước quá %d ngày mà chưa "
            "nộp báo cáo kết quả (sớm nhất: hồ sơ %s, về ngày %s).",
            h->overdue_reports, c->report_days, code, back);
}

/* ------------------------------------------------------------------ */
/* Entry point                                                          */
/* ------------------------------------------------------------------ */

void doanra_rules_check(apr_pool_t *p, const doanra_config *c,
                        const doanra_trip *t, const doanra_history *h,
                        long today, apr_array_header_t *findings)
{
    apr_array_header_t *v;
    int dates_sound;

    if (!p || !c || !t || !findings)
        return;

    dates_sound = check_dates(p, c, t, today, findings);
    check_size(p, c, t, findings);

    v = visits_of(p, t);
    check_days_per_country(p, c, v, findings);
    check_countries(p, c, v, findings);
    /* Travel gaps only mean something when the calendar is consistent;
     * otherwise `dates` (or the trip builder) already said what is wrong. */
    if (dates_sound)
        check_travel_days(p, c, t, findings);
    check_region(p, c, v, findings);

    check_duplicates(p, c, t, findings);
    check_funding(p, c, t, findings);
    check_lead_time(p, c, t, today, findings);
    check_leaders_same_unit(p, c, t, findings);
    check_identity(p, c, t, findings);

    if (h) {
        check_history_members(p, c, t, h, today, findings);
        check_plan(p, c, t, h, v, findings);
        check_report_overdue(p, c, h, findings);
    }
}
