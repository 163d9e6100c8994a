/*
 * core.c - names and defaults shared by the whole core: logical fields,
 * rule ids and severities (both ways), the default configuration, findings
 * and the decision they lead to, and the history a trip is judged with.
 */
#include "doanra.h"

#include <stdarg.h>
#include <string.h>
#include <strings.h>

static const char *const field_names[DOANRA_F_COUNT] = {
    "don_vi",         "ma_don_vi",   "muc_dich",        "doi_tac",
    "ngay_di",        "ngay_ve",     "nguon_kinh_phi",  "du_toan",
    "ma_ke_hoach",    "ly_do_phat_sinh", "quoc_gia",    "tu_ngay",
    "den_ngay",       "tv_ho_ten",   "tv_ma",           "tv_chuc_vu",
    "tv_don_vi",
    "ma_ho_so",       "ly_do",       "so_quyet_dinh",   "ngay_quyet_dinh",
    "ngay_bao_cao",
};

static const char *const rule_names[DOANRA_R_COUNT] = {
    "required",         "format",           "dates",
    "size",             "days-per-country", "countries",
    "travel-days",      "region",           "leader-quota",
    "member-overlap",   "duplicate-member", "plan",
    "funding",          "leaders-same-unit", "lead-time",
    "identity",         "report-overdue",   "lifecycle",
};

/* SPEC section 3.  plan is a warning by default; without ly_do_phat_sinh
 * the rules raise it to an error themselves.  lead-time is an error whose
 * limit defaults to 0 days, which switches it off (DoanraMinLeadDays). */
static const int rule_defaults[DOANRA_R_COUNT] = {
    DOANRA_SEV_ERROR,   DOANRA_SEV_ERROR,   DOANRA_SEV_ERROR,
    DOANRA_SEV_ERROR,   DOANRA_SEV_ERROR,   DOANRA_SEV_ERROR,
    DOANRA_SEV_ERROR,   DOANRA_SEV_WARNING, DOANRA_SEV_ERROR,
    DOANRA_SEV_ERROR,   DOANRA_SEV_ERROR,   DOANRA_SEV_WARNING,
    DOANRA_SEV_ERROR,   DOANRA_SEV_WARNING, DOANRA_SEV_ERROR,
    DOANRA_SEV_ERROR,   DOANRA_SEV_WARNING, DOANRA_SEV_ERROR,
};

static const char *const default_titles[] = {
    "Bí thư",    "Chủ tịch",   "Giám đốc",
    "Tổng Giám đốc", "Trưởng ban", "Chánh Văn phòng",
};

const char *doanra_field_default_name(int key)
{
    if (key < 0 || key >= DOANRA_F_COUNT)
        return NULL;
    return field_names[key];
}

int doanra_field_is_row(int key)
{
    return key >= DOANRA_F_QUOC_GIA && key <= DOANRA_F_TV_DON_VI;
}

int doanra_field_key_lookup(const char *name)
{
    int i;
    if (!name)
        return -1;
    for (i = 0; i < DOANRA_F_COUNT; i++)
        if (strcmp(field_names[i], name) == 0)
            return i;
    return -1;
}

const char *doanra_rule_name(int rule)
{
    if (rule < 0 || rule >= DOANRA_R_COUNT)
        return NULL;
    return rule_names[rule];
}

int doanra_rule_lookup(const char *name)
{
    int i;
    if (!name)
        return -1;
    for (i = 0; i < DOANRA_R_COUNT; i++)
        if (strcmp(rule_names[i], name) == 0)
            return i;
    return -1;
}

/* By doanra_severity, from DOANRA_SEV_OFF. */
static const char *const severity_names[] = {"off", "warning", "error"};

const char *doanra_severity_name(int sev)
{
    if (sev < DOANRA_SEV_OFF || sev > DOANRA_SEV_ERROR)
        return "off";
    return severity_names[sev];
}

int doanra_severity_lookup(const char *name)
{
    int i;
    if (!name)
        return DOANRA_SEV_UNSET;
    for (i = DOANRA_SEV_OFF; i <= DOANRA_SEV_ERROR; i++)
        if (strcasecmp(severity_names[i], name) == 0)
            return i;
    return DOANRA_SEV_UNSET;
}

int doanra_rule_default_severity(int rule)
{
    if (rule < 0 || rule >= DOANRA_R_COUNT)
        return DOANRA_SEV_OFF;
    return rule_defaults[rule];
}

void doanra_config_defaults(apr_pool_t *p, doanra_config *c)
{
    apr_array_header_t *titles;
    size_t i;

    memset(c, 0, sizeof(*c));
    c->max_members = 10;
    c->max_trips_per_year = 2;
    c->max_days_per_country = 3;
    c->max_countries = 3;
    c->travel_days = 2;
    c->min_lead_days = 0;
    c->region_level = DOANRA_LEVEL_SUBREGION;
    c->lang = DOANRA_LANG_VI;
    c->max_rows = 1000;
    c->report_days = 10;
    titles = apr_array_make(p, 8, sizeof(const char *));
    for (i = 0; i < sizeof(default_titles) / sizeof(default_titles[0]); i++)
        APR_ARRAY_PUSH(titles, const char *) =
            doanra_text_norm(p, default_titles[i]);
    c->key_leader_titles = titles;
    for (i = 0; i < DOANRA_R_COUNT; i++)
        c->severity[i] = rule_defaults[i];
    for (i = 0; i < DOANRA_F_COUNT; i++)
        c->field_names[i] = field_names[i];
}

int doanra_rule_severity(const doanra_config *c, int rule)
{
    int sev;

    if (rule < 0 || rule >= DOANRA_R_COUNT)
        return DOANRA_SEV_OFF;
    sev = c ? c->severity[rule] : DOANRA_SEV_UNSET;
    return sev == DOANRA_SEV_UNSET ? rule_defaults[rule] : sev;
}

static void push_finding(apr_pool_t *p, const doanra_config *c,
                         apr_array_header_t *findings, int rule, int sev,
                         int field_key, int row, const char *fmt, va_list ap)
{
    doanra_finding *f = apr_array_push(findings);

    f->rule = rule;
    f->severity = sev;
    f->field = (field_key >= 0 && field_key < DOANRA_F_COUNT)
                   ? c->field_names[field_key]
                   : "";
    f->row = row;
    f->message = apr_pvsprintf(p, fmt, ap);
}

void doanra_add_finding(apr_pool_t *p, const doanra_config *c,
                        apr_array_header_t *findings, int rule, int field_key,
                        int row, const char *fmt, ...)
{
    va_list ap;
    int sev = doanra_rule_severity(c, rule);

    if (sev == DOANRA_SEV_OFF)
        return;
    va_start(ap, fmt);
    push_finding(p, c, findings, rule, sev, field_key, row, fmt, ap);
    va_end(ap);
}

void doanra_add_finding_sev(apr_pool_t *p, const doanra_config *c,
                            apr_array_header_t *findings, int rule, int sev,
                            int field_key, int row, const char *fmt, ...)
{
    va_list ap;

    if (doanra_rule_severity(c, rule) == DOANRA_SEV_OFF)
        return;
    va_start(ap, fmt);
    push_finding(p, c, findings, rule, sev, field_key, row, fmt, ap);
    va_end(ap);
}

const char *doanra_decision_name(int decision)
{
    switch (decision) {
    case DOANRA_DECISION_PASS:
        return "pass";
    case DOANRA_DECISION_WARN:
        return "warn";
    case DOANRA_DECISION_FAIL:
        return "fail";
    default:
        return "unchecked";
    }
}

int doanra_decision(const apr_array_header_t *findings)
{
    int i, d = DOANRA_DECISION_PASS;
    for (i = 0; findings && i < findings->nelts; i++) {
        const doanra_finding *f = &APR_ARRAY_IDX(findings, i, doanra_finding);
        if (f->severity == DOANRA_SEV_ERROR)
            return DOANRA_DECISION_FAIL;
        if (f->severity == DOANRA_SEV_WARNING)
            d = DOANRA_DECISION_WARN;
    }
    return d;
}

const char *doanra_rules_list(apr_pool_t *p,
                              const apr_array_header_t *findings)
{
    char seen[DOANRA_R_COUNT];
    const char *out = "";
    int i;

    memset(seen, 0, sizeof(seen));
    for (i = 0; findings && i < findings->nelts; i++) {
        const doanra_finding *f = &APR_ARRAY_IDX(findings, i, doanra_finding);
        if (f->rule < 0 || f->rule >= DOANRA_R_COUNT || seen[f->rule])
            continue;
        seen[f->rule] = 1;
        out = *out ? apr_pstrcat(p, out, ",", rule_names[f->rule], NULL)
                   : rule_names[f->rule];
    }
    return out;
}

doanra_history *doanra_history_make(apr_pool_t *p, const doanra_trip *t)
{
    doanra_history *h = apr_pcalloc(p, sizeof(*h));
    int n = (t && t->members) ? t->members->nelts : 0;
    if (n < 1)
        n = 1;
    h->trips_this_year = apr_pcalloc(p, sizeof(int) * n);
    h->overlap_trip_id = apr_pcalloc(p, sizeof(long) * n);
    h->overlap_from = apr_pcalloc(p, sizeof(long) * n);
    h->overlap_to = apr_pcalloc(p, sizeof(long) * n);
    h->overlap_code = apr_pcalloc(p, sizeof(const char *) * n);
    h->plan_candidates = apr_array_make(p, 4, sizeof(doanra_plan_entry));
    return h;
}
