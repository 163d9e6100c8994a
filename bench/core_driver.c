/*
 * core_driver.c - the pure core of mod_doanra on the benchmark's body, N
 * times, for callgrind: what one submission costs in the module apart from
 * Apache and PostgreSQL.
 *
 *   core_driver BODY_FILE [N]      (N = 10000)
 *
 * One request is one call of one_request(): parse the urlencoded body, build
 * the trip, resolve key leaders, apply the rules with history facts shaped
 * like those the store reads (registry rows for members with tv_ma, one trip
 * already this year for each key leader, no overlap, the plan entry named by
 * ma_ke_hoach), the decision, and the JSON the store records (fields and
 * findings) and the check handler answers.  Everything lives in a pool
 * cleared after each request, as r->pool is.
 *
 * bench/profile-core runs it under callgrind with collection switched on
 * only inside one_request(), so set-up (ICU's country list, the default
 * configuration) is not counted, and divides by N.
 */
#include "doanra.h"

#include <apr_file_io.h>
#include <apr_general.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const doanra_config *cfg;
    const doanra_countries *countries;
    const char *body;
    apr_size_t len;
    long today;
    int verbose;
} driver;

/* The history the store would read for the benchmark's bodies. */
static doanra_history *bench_history(apr_pool_t *p, doanra_trip *t)
{
    doanra_history *h = doanra_history_make(p, t);
    doanra_plan_entry *e;
    int i, y, m, d;

    for (i = 0; i < t->members->nelts; i++) {
        doanra_member *mb = &APR_ARRAY_IDX(t->members, i, doanra_member);
        if (mb->code) {
            mb->registry_found = 1;
            mb->registry_key_leader = i < 2;
            /* The second leader heads another unit (bench/bodies.py). */
            mb->registry_unit_code = i == 1 ? "BU-OTHER" : t->unit_code;
        }
        h->trips_this_year[i] = i < 2 ? 1 : 0;
    }
    doanra_date_to_ymd(t->ngay_di, &y, &m, &d);
    e = apr_pcalloc(p, sizeof(*e));
    e->code = t->ma_ke_hoach;
    e->year = y;
    e->unit_code = t->ma_don_vi;
    e->countries = apr_array_make(p, 3, sizeof(const char *));
    APR_ARRAY_PUSH(e->countries, const char *) = "JP";
    APR_ARRAY_PUSH(e->countries, const char *) = "KR";
    APR_ARRAY_PUSH(e->countries, const char *) = "CN";
    e->period_from = doanra_date_from_ymd(y, 1, 1);
    e->period_to = doanra_date_from_ymd(y, 12, 31);
    h->plan_code_given = 1;
    h->plan_by_code = e;
    return h;
}

/* Not inlined: callgrind counts exactly the calls of this function. */
__attribute__((noinline)) int one_request(apr_pool_t *p, const driver *dr)
{
    apr_array_header_t *fields, *findings;
    doanra_trip *t;
    doanra_history *h;
    const char *json;
    int decision;

    if (doanra_form_parse(p, "application/x-www-form-urlencoded", dr->body,
                          dr->len, 10000, &fields) != DOANRA_FORM_OK)
        return -1;
    findings = apr_array_make(p, 8, sizeof(doanra_finding));
    t = doanra_trip_build(p, dr->cfg, dr->countries, fields, findings);
    /* What the store records: the fields as JSON, before the decision. */
    json = doanra_render_fields_json(p, fields);
    doanra_trip_resolve_leaders(p, dr->cfg, t);
    h = bench_history(p, t);
    doanra_trip_resolve_leaders(p, dr->cfg, t);
    doanra_rules_check(p, dr->cfg, t, h, dr->today, findings);
    decision = doanra_decision(findings);
    json = doanra_render_findings_json(p, findings);
    json = doanra_render_json(p, decision, findings);
    if (decision != DOANRA_DECISION_PASS && dr->verbose)
        fprintf(stderr, "core_driver: %s\n", json);
    return json ? decision : -1;
}

int main(int argc, char **argv)
{
    apr_pool_t *pool, *rp;
    apr_file_t *f;
    apr_finfo_t fi;
    doanra_config cfg;
    doanra_countries *countries;
    driver dr;
    char *buf;
    apr_size_t n;
    long i, iterations = argc > 2 ? atol(argv[2]) : 10000;
    int decision = -1, y, m, d;

    if (argc < 2) {
        fprintf(stderr, "usage: core_driver BODY_FILE [N]\n");
        return 2;
    }
    apr_initialize();
    atexit(apr_terminate);
    apr_pool_create(&pool, NULL);
    if (apr_file_open(&f, argv[1], APR_FOPEN_READ, 0, pool) != APR_SUCCESS ||
        apr_file_info_get(&fi, APR_FINFO_SIZE, f) != APR_SUCCESS) {
        fprintf(stderr, "core_driver: cannot read %s\n", argv[1]);
        return 1;
    }
    n = (apr_size_t)fi.size;
    buf = apr_palloc(pool, n + 1);
    if (apr_file_read_full(f, buf, n, &n) != APR_SUCCESS) {
        fprintf(stderr, "core_driver: cannot read %s\n", argv[1]);
        return 1;
    }
    buf[n] = '\0';

    doanra_config_defaults(pool, &cfg);
    countries = doanra_countries_make(pool);
    doanra_countries_load_icu(countries);
    /* "Today" is fixed well before the benchmark's departures, so every
     * run judges the same way whatever the date. */
    doanra_date_to_ymd(doanra_date_parse("2026-06-01"), &y, &m, &d);
    dr.cfg = &cfg;
    dr.countries = countries;
    dr.body = buf;
    dr.len = n;
    dr.today = doanra_date_from_ymd(y, m, d);
    dr.verbose = 0;

    apr_pool_create(&rp, pool);
    for (i = 0; i < iterations; i++) {
        dr.verbose = i == iterations - 1;
        decision = one_request(rp, &dr);
        apr_pool_clear(rp);
    }
    printf("requests %ld decision %s body_bytes %lu\n", iterations,
           decision >= 0 ? doanra_decision_name(decision) : "parse-error",
           (unsigned long)n);
    return decision == DOANRA_DECISION_PASS ? 0 : 1;
}
