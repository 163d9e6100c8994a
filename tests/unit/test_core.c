/* test_core.c - names and defaults of the core (core.c): rule ids and
 * severities both ways, the effective severity of a rule, findings with
 * the configured and with a chosen severity, the decision and the rule
 * list. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "doanra.h"

static apr_pool_t *pool;
static doanra_config cfg;
static apr_array_header_t *found;

static int setup(void **state)
{
    (void)state;
    apr_pool_create(&pool, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    apr_pool_destroy(pool);
    return 0;
}

static int reset(void **state)
{
    (void)state;
    doanra_config_defaults(pool, &cfg);
    found = apr_array_make(pool, 4, sizeof(doanra_finding));
    return 0;
}

static const doanra_finding *nth(int i)
{
    assert_true(i < found->nelts);
    return &APR_ARRAY_IDX(found, i, doanra_finding);
}

static void severity_names_both_ways(void **state)
{
    static const int sevs[] = {DOANRA_SEV_OFF, DOANRA_SEV_WARNING,
                               DOANRA_SEV_ERROR};
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(sevs) / sizeof(sevs[0]); i++)
        assert_int_equal(doanra_severity_lookup(doanra_severity_name(sevs[i])),
                         sevs[i]);
    assert_int_equal(doanra_severity_lookup("ERROR"), DOANRA_SEV_ERROR);
    assert_int_equal(doanra_severity_lookup("Warning"), DOANRA_SEV_WARNING);
    assert_int_equal(doanra_severity_lookup("oFF"), DOANRA_SEV_OFF);
    assert_int_equal(doanra_severity_lookup("warn"), DOANRA_SEV_UNSET);
    assert_int_equal(doanra_severity_lookup("error "), DOANRA_SEV_UNSET);
    assert_int_equal(doanra_severity_lookup(""), DOANRA_SEV_UNSET);
    assert_int_equal(doanra_severity_lookup(NULL), DOANRA_SEV_UNSET);
    assert_string_equal(doanra_severity_name(DOANRA_SEV_UNSET), "off");
}

static void rule_names_both_ways(void **state)
{
    int r;
    (void)state;

    for (r = 0; r < DOANRA_R_COUNT; r++)
        assert_int_equal(doanra_rule_lookup(doanra_rule_name(r)), r);
    assert_null(doanra_rule_name(-1));
    assert_null(doanra_rule_name(DOANRA_R_COUNT));
    assert_int_equal(doanra_rule_lookup("Size"), -1);
    assert_int_equal(doanra_rule_lookup(NULL), -1);
}

static void rule_severity(void **state)
{
    (void)state;
    assert_int_equal(doanra_rule_severity(&cfg, DOANRA_R_SIZE),
                     DOANRA_SEV_ERROR);
    assert_int_equal(doanra_rule_severity(&cfg, DOANRA_R_PLAN),
                     DOANRA_SEV_WARNING);
    cfg.severity[DOANRA_R_PLAN] = DOANRA_SEV_UNSET;
    assert_int_equal(doanra_rule_severity(&cfg, DOANRA_R_PLAN),
                     doanra_rule_default_severity(DOANRA_R_PLAN));
    cfg.severity[DOANRA_R_SIZE] = DOANRA_SEV_OFF;
    assert_int_equal(doanra_rule_severity(&cfg, DOANRA_R_SIZE), DOANRA_SEV_OFF);
    assert_int_equal(doanra_rule_severity(NULL, DOANRA_R_REGION),
                     DOANRA_SEV_WARNING);
    assert_int_equal(doanra_rule_severity(&cfg, -1), DOANRA_SEV_OFF);
    assert_int_equal(doanra_rule_severity(&cfg, DOANRA_R_COUNT),
                     DOANRA_SEV_OFF);
}

static void add_finding_configured(void **state)
{
    (void)state;
    doanra_add_finding(pool, &cfg, found, DOANRA_R_SIZE, DOANRA_F_TV_HO_TEN, 0,
                       "%d > %d", 11, 10);
    assert_int_equal(found->nelts, 1);
    assert_int_equal(nth(0)->rule, DOANRA_R_SIZE);
    assert_int_equal(nth(0)->severity, DOANRA_SEV_ERROR);
    assert_string_equal(nth(0)->field, "tv_ho_ten");
    assert_int_equal(nth(0)->row, 0);
    assert_string_equal(nth(0)->message, "11 > 10");

    cfg.severity[DOANRA_R_SIZE] = DOANRA_SEV_WARNING;
    cfg.field_names[DOANRA_F_QUOC_GIA] = "country";
    doanra_add_finding(pool, &cfg, found, DOANRA_R_SIZE, DOANRA_F_QUOC_GIA, 3,
                       "x");
    assert_int_equal(nth(1)->severity, DOANRA_SEV_WARNING);
    assert_string_equal(nth(1)->field, "country");
    assert_int_equal(nth(1)->row, 3);
    /* UNSET reads as the default; off, an unknown rule: nothing. */
    cfg.severity[DOANRA_R_PLAN] = DOANRA_SEV_UNSET;
    doanra_add_finding(pool, &cfg, found, DOANRA_R_PLAN, -1, 0, "y");
    assert_int_equal(nth(2)->severity, DOANRA_SEV_WARNING);
    assert_string_equal(nth(2)->field, ""); /* no field */
    cfg.severity[DOANRA_R_SIZE] = DOANRA_SEV_OFF;
    doanra_add_finding(pool, &cfg, found, DOANRA_R_SIZE, 0, 0, "z");
    doanra_add_finding(pool, &cfg, found, DOANRA_R_COUNT, 0, 0, "z");
    doanra_add_finding(pool, &cfg, found, -1, 0, 0, "z");
    assert_int_equal(found->nelts, 3);
}

static void add_finding_chosen_severity(void **state)
{
    (void)state;
    /* plan is a warning by default; the rule may make it an error. */
    doanra_add_finding_sev(pool, &cfg, found, DOANRA_R_PLAN, DOANRA_SEV_ERROR,
                           DOANRA_F_LY_DO_PHAT_SINH, 0, "no reason (%s)", "x");
    assert_int_equal(found->nelts, 1);
    assert_int_equal(nth(0)->rule, DOANRA_R_PLAN);
    assert_int_equal(nth(0)->severity, DOANRA_SEV_ERROR);
    assert_string_equal(nth(0)->field, "ly_do_phat_sinh");
    assert_string_equal(nth(0)->message, "no reason (x)");
    /* ...or a warning when the location made it an error. */
    cfg.severity[DOANRA_R_PLAN] = DOANRA_SEV_ERROR;
    doanra_add_finding_sev(pool, &cfg, found, DOANRA_R_PLAN, DOANRA_SEV_WARNING,
                           DOANRA_F_MA_KE_HOACH, 2, "w");
    assert_int_equal(nth(1)->severity, DOANRA_SEV_WARNING);
    assert_int_equal(nth(1)->row, 2);
    /* off still wins, and an unknown rule adds nothing. */
    cfg.severity[DOANRA_R_PLAN] = DOANRA_SEV_OFF;
    doanra_add_finding_sev(pool, &cfg, found, DOANRA_R_PLAN, DOANRA_SEV_ERROR,
                           DOANRA_F_LY_DO_PHAT_SINH, 0, "off");
    doanra_add_finding_sev(pool, &cfg, found, DOANRA_R_COUNT, DOANRA_SEV_ERROR,
                           0, 0, "unknown");
    assert_int_equal(found->nelts, 2);
}

static void decision_and_rule_list(void **state)
{
    (void)state;
    assert_int_equal(doanra_decision(found), DOANRA_DECISION_PASS);
    assert_int_equal(doanra_decision(NULL), DOANRA_DECISION_PASS);
    assert_string_equal(doanra_rules_list(pool, found), "");
    doanra_add_finding(pool, &cfg, found, DOANRA_R_REGION, 0, 0, "r");
    assert_int_equal(doanra_decision(found), DOANRA_DECISION_WARN);
    doanra_add_finding(pool, &cfg, found, DOANRA_R_SIZE, 0, 0, "s");
    doanra_add_finding(pool, &cfg, found, DOANRA_R_REGION, 0, 1, "r2");
    assert_int_equal(doanra_decision(found), DOANRA_DECISION_FAIL);
    assert_string_equal(doanra_rules_list(pool, found), "region,size");
    assert_string_equal(doanra_decision_name(DOANRA_DECISION_PASS), "pass");
    assert_string_equal(doanra_decision_name(DOANRA_DECISION_WARN), "warn");
    assert_string_equal(doanra_decision_name(DOANRA_DECISION_FAIL), "fail");
    assert_string_equal(doanra_decision_name(DOANRA_DECISION_UNCHECKED),
                        "unchecked");
}

static void field_names(void **state)
{
    int k;
    (void)state;

    for (k = 0; k < DOANRA_F_COUNT; k++) {
        const char *n = doanra_field_default_name(k);
        assert_non_null(n);
        assert_int_equal(doanra_field_key_lookup(n), k);
        assert_int_equal(doanra_field_key_of(&cfg, n), k);
        assert_int_equal(
            doanra_field_key_of(&cfg, apr_pstrcat(pool, n, "[]", NULL)), k);
        assert_int_equal(doanra_field_is_row(k),
                         k >= DOANRA_F_QUOC_GIA && k <= DOANRA_F_TV_DON_VI);
    }
    assert_null(doanra_field_default_name(DOANRA_F_COUNT));
    assert_int_equal(doanra_field_key_lookup("tv_ho_ten[]"), -1);
    assert_int_equal(doanra_field_key_of(&cfg, "tv_ho_ten[0]"), -1);
    assert_int_equal(doanra_field_name_is(&cfg, DOANRA_F_MA_HO_SO, "ma_ho_so"),
                     1);
    assert_int_equal(
        doanra_field_name_is(&cfg, DOANRA_F_MA_HO_SO, "ma_ho_so[]"), 2);
    assert_int_equal(
        doanra_field_name_is(&cfg, DOANRA_F_MA_HO_SO, "ma_ho_so[ ]"), 0);
    assert_int_equal(doanra_field_name_is(&cfg, DOANRA_F_LY_DO, "ma_ho_so"), 0);
    assert_int_equal(doanra_field_name_is(&cfg, DOANRA_F_COUNT, "x"), 0);
    assert_int_equal(doanra_field_name_is(&cfg, 0, NULL), 0);
    cfg.field_names[DOANRA_F_TV_HO_TEN] = "ho_ten";
    assert_int_equal(doanra_field_key_of(&cfg, "ho_ten[]"), DOANRA_F_TV_HO_TEN);
    assert_int_equal(doanra_field_key_of(&cfg, "tv_ho_ten"), -1);
}

#define T(f) cmocka_unit_test_setup(f, reset)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(severity_names_both_ways),
        T(rule_names_both_ways),
        T(rule_severity),
        T(add_finding_configured),
        T(add_finding_chosen_severity),
        T(decision_and_rule_list),
        T(field_names),
    };
    int r;
    apr_initialize();
    r = cmocka_run_group_tests(tests, setup, teardown);
    apr_terminate();
    return r;
}
