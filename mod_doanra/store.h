/*
 * store.h - PostgreSQL side of mod_doanra: a per-process pool of libpq
 * connections, the history facts, and the atomic check-reserve-record step.
 *
 * One store per child process, created in child_init (never in the parent).
 * At most DoanraMaxConnections connections per store; every wait on the
 * database of one call (a free connection, connecting, each round trip) is
 * bounded by one DoanraDatabaseTimeout deadline, enforced on the client
 * with libpq's non-blocking API, so a hung server cannot hold a worker.  A
 * connection that is broken, late or not idle on release is closed, so the
 * store heals itself when the database comes back.  Prepared statements
 * are re-created on every new connection.
 */
#ifndef DOANRA_STORE_H
#define DOANRA_STORE_H

#include "doanra.h"
#include <httpd.h>

typedef struct doanra_store doanra_store;

/* Server-wide settings of a store (0 = the default). */
typedef struct {
    apr_interval_time_t timeout; /* DoanraDatabaseTimeout, 5 s */
    int max_connections;         /* DoanraMaxConnections, 4 */
} doanra_store_options;

/* Create the store for this process (no connection is opened yet).
 * conninfo is DoanraDatabase.  Returns APR_SUCCESS or an error. */
apr_status_t doanra_store_create(apr_pool_t *pchild, server_rec *s,
                                 const char *conninfo,
                                 const doanra_store_options *opt,
                                 doanra_store **out);

/* The country table, loaded from doanra.countries once per process on first
 * use (falls back to ICU's list if the table cannot be read yet, and retries
 * the database later).  Never NULL. */
const doanra_countries *doanra_store_countries(doanra_store *st,
                                               request_rec *r);

/* What the request is, for the record. */
typedef struct {
    const char *location;     /* r->uri */
    const char *remote_user;  /* may be NULL */
    const char *client_ip;
    const char *mode;         /* "enforce" / "report" */
    const char *fields_json;  /* doanra_render_fields_json */
    /* A later step (SPEC section 8), NULL for a registration: the step,
     * the trip it names (as doanra_store_trip_lookup found it), and
     * whether to record it as a pending step (it passed, or report mode). */
    const doanra_step *step;
    const doanra_trip_state *target;
    int record_step;
    /* A journalled submission written in late (journal.c): recorded with
     * this key and settled in the same transaction with the backend's
     * status (-1: unknown) and whether it accepted. NULL otherwise. */
    const char *journal_key;
    int journal_status;
    int journal_accepted;
    int journal_settle; /* 1: the drain writing in (settle, unchecked);
                           0: a live request: the key is only stored, so
                           a commit whose answer was lost can be found */
} doanra_store_request;

/* Outcome of doanra_store_evaluate. */
typedef struct {
    int decision;             /* doanra_decision_t */
    long long submission_id;  /* 0 when not recorded (check handler) */
    long long trip_id;        /* 0 when no trip was reserved */
    long long event_id;       /* a later step's pending event, 0 if none */
    /* Failed while recording: the commit may have happened (the answer was
     * lost or late), under req->journal_key. */
    int outcome_unknown;
} doanra_store_result;

/*
 * The whole decision in one transaction:
 *   resolve the sending unit (ma_don_vi or normalised don_vi), registry facts
 *   for members with tv_ma, key leaders (doanra_trip_resolve_leaders), one
 *   advisory lock per key leader and year in sorted order, the history facts
 *   (trips this year, overlaps, plan entries), doanra_rules_check with them,
 *   the decision; then, when record is set, insert the submission, and when
 *   let_through(decision) insert the trip as `pending` with members and legs;
 *   commit.
 * findings already holds the trip builder's findings and receives the rest.
 * let_through: 1 = a trip is reserved whatever the decision (report mode),
 *              0 = only when the decision is not fail (enforce mode).
 * Returns APR_SUCCESS, or an error when the database cannot be used (the
 * caller then applies DoanraOnDatabaseError; nothing was recorded).
 */
apr_status_t doanra_store_evaluate(doanra_store *st, request_rec *r,
                                   const doanra_config *c, doanra_trip *t,
                                   apr_array_header_t *findings, long today,
                                   int record, int let_through,
                                   const doanra_store_request *req,
                                   doanra_store_result *out);

/* After the backend answered: the submission gets backend_status, and its
 * trip (if any) becomes `submitted` when accepted (the location's
 * DoanraAcceptStatus holds the status) or `void` (anything else, or status
 * 0 when the backend could not be reached / the client went away).
 * Only a `pending` trip is moved, so settling twice changes nothing.
 * backend_status -1: unknown (the journal of a killed process), stored
 * as NULL. */
apr_status_t doanra_store_settle(doanra_store *st, request_rec *r,
                                 long long submission_id, long long trip_id,
                                 int backend_status, int accepted);

/* The trip a later step names by ma_ho_so (code_norm: its normal form,
 * doanra_text_code_norm), by dossier code or backend reference: its current
 * version and the fields of that version's submission, read in p.
 * ts->found is 0 when there is none.  APR_SUCCESS, or an error when the
 * database cannot be used. */
apr_status_t doanra_store_trip_lookup(doanra_store *st, request_rec *r,
                                      const char *code_norm,
                                      doanra_trip_state *ts);

/* Keep the backend's reference (X-Doanra-Reference) with a trip version. */
apr_status_t doanra_store_set_reference(doanra_store *st, request_rec *r,
                                        long long trip_id,
                                        const char *reference);
/* Is a submission with this journal key already recorded?  1 yes, 0 no,
 * -1 the database could not be asked. */
int doanra_store_journal_known(doanra_store *st, request_rec *r,
                               const char *key);

/* Settle the submission recorded under this journal key (status -1:
 * unknown): APR_SUCCESS, APR_NOTFOUND when there is none, or an error. */
apr_status_t doanra_store_settle_key(doanra_store *st, request_rec *r,
                                     const char *key, int backend_status,
                                     int accepted);

#endif /* DOANRA_STORE_H */
