/*
 * decide.c - the one decision path (see decide.h): the registry and the
 * facts from the store, the judging by the core, the record back to the
 * store.  The JSON check, a submission, a later step and the journal's
 * write-in all come through doanra_decide, so they judge alike.
 */
#include "decide.h"

#include <http_log.h>

#include <apr_strings.h>

#include <string.h>

APLOG_USE_MODULE(doanra);


static const char *nz(const char *s)
{
    return (s && *s) ? s : NULL;
}

static const char *iso_or_null(apr_pool_t *p, long day)
{
    return doanra_date_ok(day) ? doanra_date_iso(p, day) : NULL;
}

/* Forget what an earlier evaluation of t learnt from the registry. */
static void forget_registry(doanra_trip *t)
{
    int i;

    for (i = 0; t->members && i < t->members->nelts; i++) {
        doanra_member *m = &APR_ARRAY_IDX(t->members, i, doanra_member);
        m->registry_found = 0;
        m->registry_key_leader = 0;
        m->registry_unit_code = NULL;
    }
}

/* The members and unit of t resolved against the registry (identity.c).
 * A code or unit the cached registry does not know makes the store reload
 * it once, when it is more than a second old. */
static apr_status_t resolve_identities(doanra_store_tx *tx, apr_pool_t *p,
                                       doanra_trip *t)
{
    const doanra_registry *reg, *again;

    if (doanra_store_registry(tx, 0, &reg) != APR_SUCCESS)
        return APR_EGENERAL;
    if (doanra_trip_resolve_identity(p, t, reg) > 0) {
        if (doanra_store_registry(tx, 1, &again) != APR_SUCCESS)
            return APR_EGENERAL;
        if (again != reg)
            doanra_trip_resolve_identity(p, t, again);
    }
    return APR_SUCCESS;
}

/* The facts query for t: its people, dates, plan and unit. */
static void facts_query(apr_pool_t *p, const doanra_config *c,
                        const doanra_trip *t, int record,
                        const doanra_decide_request *req,
                        doanra_facts_query *q)
{
    const doanra_step *step = req ? req->step : NULL;
    const doanra_trip_state *target = req ? req->target : NULL;
    int nm = t->members ? t->members->nelts : 0;
    int *tl = apr_pcalloc(p, sizeof(int) * (nm ? nm : 1));
    int i;

    memset(q, 0, sizeof(*q));
    q->nmembers = nm;
    q->identity = apr_pcalloc(p, sizeof(char *) * (nm ? nm : 1));
    q->code = apr_pcalloc(p, sizeof(char *) * (nm ? nm : 1));
    for (i = 0; i < nm; i++) {
        const doanra_member *m = &APR_ARRAY_IDX(t->members, i, doanra_member);
        q->identity[i] = m->identity ? m->identity : "";
        /* The registered code: the database's key-leader flag and lock
         * choice for big delegations read it as stored. */
        q->code[i] = doanra_member_code(m);
        /* A key leader by position title alone: the database decides with
         * the registry flag first, for the same answer
         * doanra_trip_resolve_leaders gives once the registry facts are in. */
        tl[i] = doanra_title_is_key_leader(c, m->position_norm);
    }
    q->title_leader = tl;
    if (doanra_date_ok(t->ngay_di)) {
        int y, mo, d;
        doanra_date_to_ymd(t->ngay_di, &y, &mo, &d);
        q->year = apr_itoa(p, y);
        q->year_num = y;
        if (doanra_date_ok(t->ngay_ve) && t->ngay_ve >= t->ngay_di) {
            q->from = doanra_date_iso(p, t->ngay_di);
            q->to = doanra_date_iso(p, t->ngay_ve);
            q->from_day = t->ngay_di;
            q->to_day = t->ngay_ve;
        }
    }
    q->plan_code = nz(t->ma_ke_hoach);
    q->unit_code = nz(t->unit_code);
    q->lock = record;
    /* A later step leaves its own dossier out of the history; an approval
     * counts only approved trips (SPEC section 8). */
    if (step && target && target->found &&
        (step->action == DOANRA_ACT_AMEND || step->action == DOANRA_ACT_APPROVE))
        q->exclude_code = target->code;
    q->approved_only = step && step->action == DOANRA_ACT_APPROVE;
    if (c->severity[DOANRA_R_REPORT_OVERDUE] != DOANRA_SEV_OFF)
        q->report_days = apr_itoa(p, c->report_days);
}

/* The registry facts the store read, into the members. */
static void apply_member_facts(apr_pool_t *p, doanra_trip *t,
                               const doanra_member_facts *mf)
{
    int i;

    for (i = 0; t->members && i < t->members->nelts; i++) {
        doanra_member *m = &APR_ARRAY_IDX(t->members, i, doanra_member);
        m->registry_found = mf[i].found;
        /* The database's flag of the row by its exact code; an official
         * whose code has other rows in other spellings is a key leader
         * when any of them is (identity.c: the cached registry's view). */
        m->registry_key_leader =
            mf[i].key_leader || (m->official && m->official->code_rows > 1 &&
                                 m->official->any_key_leader);
        m->registry_unit_code = mf[i].unit_code;
    }
}

/* The trip version's members and legs for the record. */
static void record_people(apr_pool_t *p, const doanra_trip *t,
                          doanra_record *rec)
{
    int i, nm = t->members ? t->members->nelts : 0;
    int nl = t->legs ? t->legs->nelts : 0;
    doanra_record_member *rm = apr_pcalloc(p, sizeof(*rm) * (nm ? nm : 1));
    doanra_record_leg *rl = apr_pcalloc(p, sizeof(*rl) * (nl ? nl : 1));
    const char *unit_name = t->unit_registry_name;

    for (i = 0; i < nm; i++) {
        const doanra_member *m = &APR_ARRAY_IDX(t->members, i, doanra_member);
        rm[i].identity = m->identity ? m->identity : "";
        /* The registered official's code when the member is one (found
         * by tv_ma in any spelling, or by name and unit), so reports name
         * them; what was typed is in the submission. */
        rm[i].code = doanra_member_code(m);
        rm[i].name = m->name ? m->name : "";
        rm[i].position = nz(m->position);
        rm[i].unit_code = nz(m->registry_unit_code)
                              ? m->registry_unit_code
                              : (nz(m->unit) ? NULL : nz(t->unit_code));
        rm[i].unit_name =
            nz(m->unit) ? m->unit
                        : (nz(m->registry_unit_code)
                               ? NULL
                               : (nz(t->don_vi) ? t->don_vi : unit_name));
        rm[i].key_leader = m->is_key_leader;
    }
    rec->members = rm;
    rec->nmembers = nm;
    rec->nlegs = 0;
    for (i = 0; i < nl; i++) {
        const doanra_leg *l = &APR_ARRAY_IDX(t->legs, i, doanra_leg);
        if (!l->country || !doanra_date_ok(l->from) ||
            !doanra_date_ok(l->to) || l->to < l->from)
            continue;
        rl[rec->nlegs].country = l->country->code;
        rl[rec->nlegs].from = doanra_date_iso(p, l->from);
        rl[rec->nlegs].to = doanra_date_iso(p, l->to);
        rec->nlegs++;
    }
    rec->legs = rl;
}

/* The later step's part of the record: recorded when it passed (or in
 * report mode) and it names a trip that exists. */
static void record_step_of(apr_pool_t *p, const doanra_decide_request *req,
                           int passes, doanra_record *rec)
{
    const doanra_step *step = req->step;
    const doanra_trip_state *target = req->target;

    if (!step || step->action == DOANRA_ACT_REGISTER || !req->record_step ||
        !target || !target->found || !passes)
        return;
    rec->step_action = doanra_action_name(step->action);
    rec->step_trip_id =
        apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)target->id);
    rec->step_from_status = target->status;
    rec->step_reason = step->reason;
    rec->step_decision_no = step->decision_no;
    rec->step_decision_date = iso_or_null(p, step->decision_date);
    rec->step_report_date = iso_or_null(p, step->report_date);
}

/* The whole record of a decided submission. */
static void build_record(apr_pool_t *p, request_rec *r, const doanra_trip *t,
                         const doanra_history *h,
                         const apr_array_header_t *findings, int decision,
                         int let_through, const doanra_decide_request *req,
                         doanra_record *rec)
{
    const doanra_step *step = req ? req->step : NULL;
    int nm = t->members ? t->members->nelts : 0;
    int passes = let_through || decision != DOANRA_DECISION_FAIL;
    int span_ok = doanra_date_ok(t->ngay_di) && doanra_date_ok(t->ngay_ve) &&
                  t->ngay_ve >= t->ngay_di;
    const doanra_plan_entry *pe;

    memset(rec, 0, sizeof(*rec));
    rec->location = req && req->location ? req->location : r->uri;
    rec->remote_user = req ? nz(req->remote_user) : NULL;
    rec->client_ip = req ? nz(req->client_ip) : NULL;
    rec->mode = req && req->mode ? req->mode : "enforce";
    rec->fields_json = req && req->fields_json ? req->fields_json : "{}";
    rec->decision = doanra_decision_name(decision);
    rec->findings_json = doanra_render_findings_json(p, findings);
    rec->rules = doanra_rules_list(p, findings);
    /* Of the later steps only an amendment carries a new version. */
    rec->reserve = passes && span_ok && nm > 0 &&
                   (!step || step->action == DOANRA_ACT_AMEND ||
                    step->action == DOANRA_ACT_REGISTER);
    rec->unit_code = nz(t->unit_code);
    rec->unit_name = nz(t->don_vi) ? t->don_vi : t->unit_registry_name;
    rec->purpose = nz(t->muc_dich);
    rec->partner = nz(t->doi_tac);
    if (span_ok) {
        rec->from = doanra_date_iso(p, t->ngay_di);
        rec->to = doanra_date_iso(p, t->ngay_ve);
    }
    rec->funding = doanra_funding_code(t);
    rec->budget = t->du_toan >= 0
                      ? apr_psprintf(p, "%" APR_INT64_T_FMT, t->du_toan)
                      : NULL;
    pe = rec->reserve ? doanra_plan_match(t, h) : NULL;
    rec->plan_code = pe ? pe->code : NULL;
    rec->planned = pe != NULL;
    rec->reason_unplanned = nz(t->ly_do_phat_sinh);
    if (rec->reserve)
        record_people(p, t, rec);
    if (req) {
        record_step_of(p, req, passes, rec);
        rec->journal_key = req->journal_key;
        rec->journal_settle = req->journal_settle;
        rec->journal_status = req->journal_status;
        rec->journal_accepted = req->journal_accepted;
    }
}

/* Apply the rules: cancel, reject and report carry no trip, so only their
 * own fields are judged (lifecycle.c, by the caller). */
static int judge(apr_pool_t *p, const doanra_config *c, doanra_trip *t,
                 const doanra_history *h, long today,
                 const doanra_decide_request *req,
                 apr_array_header_t *findings)
{
    const doanra_step *step = req ? req->step : NULL;

    doanra_trip_resolve_leaders(p, c, t);
    if (!step || doanra_action_has_form(step->action) ||
        step->action == DOANRA_ACT_APPROVE)
        doanra_rules_check(p, c, t, h, today, findings);
    return doanra_decision(findings);
}

apr_status_t doanra_decide(doanra_store *st, request_rec *r,
                           const doanra_config *c, doanra_trip *t,
                           apr_array_header_t *findings, long today,
                           int record, int let_through,
                           const doanra_decide_request *req,
                           doanra_decide_result *out)
{
    apr_pool_t *p = r->pool;
    int nm = t->members ? t->members->nelts : 0;
    doanra_store_tx *tx;
    doanra_facts_query q;
    doanra_member_facts *mf;
    doanra_history *h = NULL;
    doanra_record rec;
    doanra_record_ids ids;
    apr_status_t rv;

    memset(out, 0, sizeof(*out));
    out->decision = DOANRA_DECISION_UNCHECKED;

    forget_registry(t);
    rv = doanra_store_begin(st, r, &tx);
    if (rv != APR_SUCCESS)
        return rv;
    if (resolve_identities(tx, p, t) != APR_SUCCESS) {
        doanra_store_release(tx);
        return APR_EGENERAL;
    }
    facts_query(p, c, t, record, req, &q);
    mf = apr_pcalloc(p, sizeof(*mf) * (nm ? nm : 1));
    if (doanra_date_ok(t->ngay_di)) {
        h = doanra_history_make(p, t);
        h->plan_code_given = nz(t->ma_ke_hoach) != NULL;
    }
    if (doanra_store_facts(tx, &q, mf, h) != APR_SUCCESS) {
        doanra_store_release(tx);
        return APR_EGENERAL;
    }

    /* The rules, with the facts read under the locks. */
    apply_member_facts(p, t, mf);
    out->decision = judge(p, c, t, h, today, req, findings);
    if (!record) {
        doanra_store_release(tx);
        return APR_SUCCESS;
    }

    /* Record the submission and reserve the trip, then commit: the locks
     * are held until this commit, so no concurrent submission for the same
     * people can count before this trip is visible. */
    build_record(p, r, t, h, findings, out->decision, let_through, req, &rec);
    rv = doanra_store_record(tx, &rec, &ids);
    doanra_store_release(tx);
    if (rv != APR_SUCCESS) {
        out->decision = DOANRA_DECISION_UNCHECKED;
        out->outcome_unknown = ids.outcome_unknown;
        return APR_EGENERAL;
    }
    out->submission_id = ids.submission_id;
    out->trip_id = ids.trip_id;
    out->event_id = ids.event_id;
    return APR_SUCCESS;
}

int doanra_decide_offline(apr_pool_t *p, const doanra_config *c,
                          doanra_trip *t, apr_array_header_t *findings,
                          int nbuilt, long today)
{
    if (nbuilt >= 0 && nbuilt < findings->nelts)
        findings->nelts = nbuilt;
    forget_registry(t);
    doanra_trip_resolve_leaders(p, c, t);
    doanra_rules_check(p, c, t, NULL, today, findings);
    return doanra_decision(findings);
}

