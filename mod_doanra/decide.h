/*
 * decide.h - the one path from a built trip to a recorded verdict, for
 * every caller: the JSON check, a submission, a later step of a trip and
 * the journal's late write-in.
 *
 *   registry -> identities -> facts (under the locks) -> key leaders ->
 *   rules -> decision -> record + COMMIT
 *
 * The store (store.h) fetches and records; the core (doanra.h) judges;
 * this file runs one after the other and owns nothing else.
 */
#ifndef DOANRA_DECIDE_H
#define DOANRA_DECIDE_H

#include "doanra.h"
#include "store.h"

/* What the request is, for the record. */
typedef struct {
    const char *location;    /* r->uri */
    const char *remote_user; /* may be NULL */
    const char *client_ip;
    const char *mode;        /* "enforce" / "report" / "check" */
    const char *fields_json; /* doanra_render_fields_json */
    /* A later step (SPEC section 8), NULL for a registration: the step,
     * the trip it names (as doanra_store_trip_lookup found it), and
     * whether to record it as a pending step (it passed, or report mode). */
    const doanra_step *step;
    const doanra_trip_state *target;
    int record_step;
    /* A journalled submission (journal.c): recorded with this key; with
     * journal_settle (the drain writing it in) settled in the same
     * transaction with journal_status (-1: unknown) and journal_accepted;
     * without (a live request) the key is only stored, so a commit whose
     * answer was lost can be found. */
    const char *journal_key;
    int journal_status;
    int journal_accepted;
    int journal_settle;
} doanra_decide_request;

/* The verdict and what was recorded. */
typedef struct {
    int decision;            /* doanra_decision_t */
    long long submission_id; /* 0 when not recorded (the check) */
    long long trip_id;       /* 0 when no trip version was reserved */
    long long event_id;      /* a later step's pending event, 0 if none */
    int outcome_unknown;     /* the commit's answer was lost */
} doanra_decide_result;

/*
 * Judge trip t with its history and, when record is set, record the
 * submission and reserve the trip in the same transaction (the people's
 * locks are held from the facts to the commit).  findings holds the trip
 * builder's findings and receives the rules'.
 * let_through: 1 = a trip is reserved whatever the decision (report mode,
 * the journal), 0 = only when the decision is not fail (enforce).
 * Returns APR_SUCCESS, or an error when the database cannot be used (the
 * caller applies DoanraOnDatabaseError; nothing was recorded unless
 * out->outcome_unknown).
 */
apr_status_t doanra_decide(doanra_store *st, request_rec *r,
                           const doanra_config *c, doanra_trip *t,
                           apr_array_header_t *findings, long today,
                           int record, int let_through,
                           const doanra_decide_request *req,
                           doanra_decide_result *out);

/* Without the database (DoanraOnDatabaseError allow): the rules that need
 * no history, on the builder's first nbuilt findings (what the store path
 * may have added is dropped).  Returns the decision. */
int doanra_decide_offline(apr_pool_t *p, const doanra_config *c,
                          doanra_trip *t, apr_array_header_t *findings,
                          int nbuilt, long today);

#endif /* DOANRA_DECIDE_H */
