/*
 * fuzz_trip.c - libFuzzer target for the way from fields to a verdict:
 * trip building (trip.c), leader resolution, every rule (rules.c) with a
 * synthetic history, the decision and the renderings of the result.
 *
 * Input: 16 choice bytes, then an urlencoded body (what the module parses
 * first).  The choices set the configuration (language, region level,
 * limits, each rule's severity, renamed fields, a small row bound), "today",
 * and the history the store would read: registry facts for members with a
 * code, trips this year, overlapping trips, and plan entries built from the
 * trip's own countries so that plan matching is really exercised.  History
 * is given only when ngay_di is a date, as the store does.
 *
 * Checked: the normal form of the first 16 field values (trimmed, a fixed
 * point, the same from NFD); the same findings (rule, severity, field, row) in both
 * languages; the trip respects the row bound and its dates are real or
 * DOANRA_NODATE; every finding names a known rule whose severity is not
 * off, has a field, a row >= 0 and a non-empty UTF-8 message; the decision
 * follows from the findings; the rule list names known rules; the block
 * and the JSON answers are well-formed.
 */
#include "fuzz_common.h"

#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#define HDR 16

static int date_ok(long d)
{
    int y, m, dd;
    if (d == DOANRA_NODATE)
        return 1;
    doanra_date_to_ymd(d, &y, &m, &dd);
    return y >= 1900 && y <= 2200 && doanra_date_from_ymd(y, m, dd) == d;
}

static unsigned mix(unsigned seed, int i)
{
    unsigned x = seed * 2654435761u + (unsigned)i * 40503u + 0x9e37u;
    x ^= x >> 13;
    return x * 0x5bd1e995u;
}

static apr_array_header_t *codes_of(apr_pool_t *p, const doanra_trip *t,
                                    unsigned drop)
{
    apr_array_header_t *a = apr_array_make(p, 4, sizeof(const char *));
    int i;
    for (i = 0; i < t->legs->nelts; i++) {
        const doanra_leg *g = &APR_ARRAY_IDX(t->legs, i, doanra_leg);
        if (g->country && !((drop >> (i & 7)) & 1))
            APR_ARRAY_PUSH(a, const char *) = g->country->code;
    }
    if (drop & 0x100)
        APR_ARRAY_PUSH(a, const char *) = "FR";
    return a;
}

static doanra_history *make_history(apr_pool_t *p, doanra_trip *t,
                                    const uint8_t *h)
{
    doanra_history *hist;
    unsigned seed = h[0] | (unsigned)h[1] << 8;
    int i, y = 0, m, d;

    /* Registry facts, as apply_facts in the store fills them in. */
    for (i = 0; i < t->members->nelts; i++) {
        doanra_member *mb = &APR_ARRAY_IDX(t->members, i, doanra_member);
        unsigned x = mix(seed, i);
        if (mb->code && (x & 1)) {
            mb->registry_found = 1;
            mb->registry_key_leader = (x >> 1) & 1;
            mb->registry_unit_code = (x & 4) ? "SNV" : NULL;
        }
    }
    if (t->ngay_di == DOANRA_NODATE)
        return NULL;
    hist = doanra_history_make(p, t);
    FZ_CHECK(hist != NULL, "doanra_history_make returned NULL");
    for (i = 0; i < t->members->nelts; i++) {
        unsigned x = mix(seed, i + 100);
        hist->trips_this_year[i] = (int)(x % 5);
        if ((x >> 8) % 4 == 0) {
            hist->overlap_trip_id[i] = (long)((x >> 10) % 1000) + 1;
            hist->overlap_from[i] = t->ngay_di - (long)((x >> 20) % 5);
            hist->overlap_to[i] = hist->overlap_from[i] + (long)((x >> 24) % 10);
        }
    }
    doanra_date_to_ymd(t->ngay_di, &y, &m, &d);
    hist->plan_code_given = t->ma_ke_hoach && *t->ma_ke_hoach;
    if (hist->plan_code_given) {
        if (h[2] & 1) {
            doanra_plan_entry *e = apr_pcalloc(p, sizeof(*e));
            e->code = t->ma_ke_hoach;
            e->year = (h[2] & 2) ? y : y + 1;
            e->unit_code = (h[2] & 4) ? (t->unit_code ? t->unit_code : "SNV") : "STC";
            e->countries = codes_of(p, t, (unsigned)h[3] | ((h[2] & 8u) << 5));
            e->period_from = t->ngay_di - (h[2] & 16 ? 30 : -1);
            e->period_to = t->ngay_di + 30;
            hist->plan_by_code = e;
        }
    } else {
        int k, n = h[2] % 3;
        for (k = 0; k < n; k++) {
            doanra_plan_entry *e = apr_array_push(hist->plan_candidates);
            unsigned x = mix(seed, k + 200);
            e->code = apr_psprintf(p, "KH-%d-%d", y, k);
            e->year = (x & 1) ? y : y - 1;
            e->unit_code = (x & 2) ? (t->unit_code ? t->unit_code : "SNV") : "STC";
            e->countries = codes_of(p, t, (x >> 2) & 0x1ff);
            e->period_from = t->ngay_di - (long)((x >> 12) % 40);
            e->period_to = t->ngay_di + (long)((x >> 18) % 40) - 3;
        }
    }
    return hist;
}

static void check_findings(const doanra_config *c,
                           const apr_array_header_t *findings)
{
    int i, err = 0, warn = 0;
    for (i = 0; i < findings->nelts; i++) {
        const doanra_finding *f = &APR_ARRAY_IDX(findings, i, doanra_finding);
        FZ_CHECK(f->rule >= 0 && f->rule < DOANRA_R_COUNT, "rule %d", f->rule);
        FZ_CHECK(f->severity == DOANRA_SEV_WARNING ||
                     f->severity == DOANRA_SEV_ERROR,
                 "severity %d of %s", f->severity, doanra_rule_name(f->rule));
        FZ_CHECK(c->severity[f->rule] != DOANRA_SEV_OFF, "finding of rule %s, which is off",
                 doanra_rule_name(f->rule));
        FZ_CHECK(f->field && *f->field, "finding of %s without a field",
                 doanra_rule_name(f->rule));
        FZ_CHECK(f->row >= 0, "row %d", f->row);
        FZ_CHECK(f->message && *f->message, "finding of %s without a message",
                 doanra_rule_name(f->rule));
        FZ_CHECK(fz_utf8_ok(f->message, strlen(f->message), 0),
                 "message of %s is not UTF-8: %s", doanra_rule_name(f->rule),
                 f->message);
        err += f->severity == DOANRA_SEV_ERROR;
        warn += f->severity == DOANRA_SEV_WARNING;
    }
    FZ_CHECK(doanra_decision(findings) ==
                 (err ? DOANRA_DECISION_FAIL
                      : warn ? DOANRA_DECISION_WARN : DOANRA_DECISION_PASS),
             "decision %d with %d errors, %d warnings", doanra_decision(findings),
             err, warn);
}

static void check_trip(const doanra_config *c, const doanra_trip *t)
{
    int i, max = c->max_rows > 0 ? c->max_rows : 1000;
    FZ_CHECK(t && t->legs && t->members, "trip incomplete");
    FZ_CHECK(t->legs->nelts <= max && t->members->nelts <= max,
             "%d legs, %d members over the row bound %d", t->legs->nelts,
             t->members->nelts, max);
    FZ_CHECK(date_ok(t->ngay_di) && date_ok(t->ngay_ve), "trip dates");
    for (i = 0; i < t->legs->nelts; i++) {
        const doanra_leg *g = &APR_ARRAY_IDX(t->legs, i, doanra_leg);
        FZ_CHECK(date_ok(g->from) && date_ok(g->to), "leg %d dates", i);
        FZ_CHECK(g->row >= 1 && g->row <= max, "leg row %d", g->row);
    }
    for (i = 0; i < t->members->nelts; i++) {
        const doanra_member *m = &APR_ARRAY_IDX(t->members, i, doanra_member);
        FZ_CHECK(m->identity && *m->identity, "member %d without identity", i);
        FZ_CHECK(m->name_norm && m->position_norm && m->unit_norm,
                 "member %d without normalised names", i);
        FZ_CHECK(m->row >= 1 && m->row <= max, "member row %d", m->row);
    }
}

/* s in NFD (how macOS sends accented letters), via ICU directly. */
static const char *nfd(apr_pool_t *p, const char *s)
{
    UErrorCode err = U_ZERO_ERROR;
    const UNormalizer2 *n = unorm2_getNFDInstance(&err);
    int32_t len = (int32_t)strlen(s), n16 = 0, nd, n8 = 0;
    UChar *u16 = apr_palloc(p, sizeof(UChar) * ((size_t)len + 1));
    UChar *d;
    char *out;
    u_strFromUTF8(u16, len + 1, &n16, s, len, &err);
    if (U_FAILURE(err))
        return NULL;
    /* a canonical decomposition is at most 4 code points per input unit */
    d = apr_palloc(p, sizeof(UChar) * ((size_t)n16 * 8 + 1));
    nd = unorm2_normalize(n, u16, n16, d, n16 * 8 + 1, &err);
    if (U_FAILURE(err))
        return NULL;
    u_strToUTF8(NULL, 0, &n8, d, nd, &err);
    err = U_ZERO_ERROR;
    out = apr_palloc(p, (size_t)n8 + 1);
    u_strToUTF8(out, n8 + 1, NULL, d, nd, &err);
    return U_FAILURE(err) ? NULL : out;
}

/* The normal form names are compared in: UTF-8, trimmed, single spaces,
 * a fixed point, the same for the NFD spelling of the same text, and a
 * title of itself. */
static void check_norm(apr_pool_t *p, const doanra_field *f)
{
    const char *n1, *n2, *d;
    size_t l;
    if (f->len > 512 || strlen(f->value) != f->len)
        return;
    n1 = doanra_text_norm(p, f->value);
    FZ_CHECK(n1 != NULL, "norm NULL");
    l = strlen(n1);
    FZ_CHECK(fz_utf8_ok(n1, l, 0), "norm of '%s' is not UTF-8", f->value);
    FZ_CHECK(!l || (n1[0] != ' ' && n1[l - 1] != ' ' && !strstr(n1, "  ")),
             "norm of '%s' is '%s': spaces", f->value, n1);
    n2 = doanra_text_norm(p, n1);
    FZ_CHECK(!strcmp(n1, n2), "norm is not a fixed point: '%s' -> '%s' -> '%s'",
             f->value, n1, n2);
    d = nfd(p, f->value);
    if (d)
        FZ_CHECK(!strcmp(doanra_text_norm(p, d), n1),
                 "NFD spelling normalises differently: '%s' / '%s'",
                 doanra_text_norm(p, d), n1);
    FZ_CHECK(doanra_text_starts_with_title(n1, n1) == (l > 0),
             "'%s' does not start with itself", n1);
}

/* Fields to findings: trip, history, leaders, rules. */
static apr_array_header_t *evaluate(apr_pool_t *p, const doanra_config *c,
                                    const apr_array_header_t *fields,
                                    const uint8_t *h, long today)
{
    apr_array_header_t *findings = apr_array_make(p, 8, sizeof(doanra_finding));
    doanra_trip *t;
    doanra_history *hist;
    int i;

    t = doanra_trip_build(p, c, (h[0] & 16) ? NULL : fz_countries, fields,
                          findings);
    check_trip(c, t);
    hist = make_history(p, t, h + 10);
    doanra_trip_resolve_leaders(p, c, t);
    for (i = 0; i < t->members->nelts; i++) {
        const doanra_member *m = &APR_ARRAY_IDX(t->members, i, doanra_member);
        FZ_CHECK(m->unit_key != NULL, "member %d without a unit key", i);
    }
    doanra_rules_check(p, c, t, (h[0] & 32) ? NULL : hist, today, findings);
    return findings;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fz_pool;
    uint8_t h[HDR];
    doanra_config c = fz_defaults;
    apr_array_header_t *fields = NULL, *findings;
    long today;
    int i, decision;
    char *body;
    size_t len;

    memset(h, 0, sizeof(h));
    memcpy(h, data, size < HDR ? size : HDR);
    len = size > HDR ? size - HDR : 0;
    body = malloc(len ? len : 1);
    memcpy(body, data + (size - len), len);

    /* Configuration: 0 keeps each default. */
    c.lang = h[0] & 1;
    c.region_level = (h[0] >> 1) & 1;
    if (h[0] & 4)
        c.max_rows = 1 + h[1] % 8;
    if (h[1] >> 4)
        c.max_members = h[1] >> 4;
    if (h[2] & 15)
        c.max_trips_per_year = h[2] & 15;
    if (h[2] >> 4)
        c.max_days_per_country = h[2] >> 4;
    if (h[3] & 15)
        c.max_countries = h[3] & 15;
    if (h[3] >> 4)
        c.travel_days = (h[3] >> 4) - 1;
    c.min_lead_days = h[4] % 8;
    for (i = 0; i < DOANRA_R_COUNT; i++) {
        unsigned s = (h[5 + i / 4] >> (2 * (i % 4))) & 3;
        if (s)
            c.severity[i] = (int)s - 1; /* off, warning, error */
    }
    if (h[0] & 8) { /* forms with their own field names */
        c.field_names[DOANRA_F_TV_HO_TEN] = "members[name]";
        c.field_names[DOANRA_F_QUOC_GIA] = "country";
        c.field_names[DOANRA_F_NGAY_DI] = "depart";
    }
    today = doanra_date_from_ymd(2027, 1, 1) + (int8_t)h[9] * 3;

    doanra_form_parse_urlencoded(p, body, len, 0, &fields);
    for (i = 0; i < fields->nelts && i < 16; i++)
        check_norm(p, &APR_ARRAY_IDX(fields, i, doanra_field));
    findings = evaluate(p, &c, fields, h, today);
    check_findings(&c, findings);
    decision = doanra_decision(findings);

    /* The language changes the words, never the verdict. */
    if (h[0] & 64) {
        doanra_config other = c;
        apr_array_header_t *f2;
        other.lang = !c.lang;
        f2 = evaluate(p, &other, fields, h, today);
        FZ_CHECK(f2->nelts == findings->nelts, "%d findings in one language, %d in the other",
                 findings->nelts, f2->nelts);
        for (i = 0; i < f2->nelts; i++) {
            const doanra_finding *a = &APR_ARRAY_IDX(findings, i, doanra_finding);
            const doanra_finding *b = &APR_ARRAY_IDX(f2, i, doanra_finding);
            FZ_CHECK(a->rule == b->rule && a->severity == b->severity &&
                         a->row == b->row && !strcmp(a->field, b->field),
                     "finding %d differs between languages: %s / %s", i,
                     a->message, b->message);
        }
    }

    {
        const char *list = doanra_rules_list(p, findings), *q = list;
        FZ_CHECK(list != NULL, "rules list NULL");
        while (*q) {
            const char *e = strchr(q, ',');
            size_t n = e ? (size_t)(e - q) : strlen(q);
            char *id = apr_pstrmemdup(p, q, n);
            FZ_CHECK(doanra_rule_lookup(id) >= 0, "unknown rule '%s' in %s", id,
                     list);
            q += n + (e ? 1 : 0);
        }
    }
    fz_check_html(p, doanra_render_block(p, &c, decision, findings));
    {
        const char *js = doanra_render_json(p, decision, findings);
        if (!fz_json_valid(js))
            fz_json_die("doanra_render_json", js);
        js = doanra_render_findings_json(p, findings);
        if (!fz_json_valid(js))
            fz_json_die("doanra_render_findings_json", js);
    }

    free(body);
    apr_pool_clear(p);
    return 0;
}
