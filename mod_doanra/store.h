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
    int stateless;               /* DoanraPreparedStatements Off */
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

/* ------------------------------------------------------------------ */
/* A decision's round trips (decide.c judges between them)              */
/* ------------------------------------------------------------------ */

/* One request's hold on a connection, the way mod_dbd ties one to a
 * request: doanra_store_begin acquires it (starting the request's one
 * DoanraDatabaseTimeout deadline), doanra_store_release gives it back
 * (ROLLBACK if a transaction is still open) and is also registered on
 * r->pool, so a handle that is forgotten cannot keep locks past the
 * request.  Every transaction also sets idle_in_transaction_session_timeout
 * on the server, for a process that dies holding one. */
typedef struct doanra_store_tx doanra_store_tx;

/* APR_SUCCESS, APR_TIMEUP (no connection free in time) or an error. */
apr_status_t doanra_store_begin(doanra_store *st, request_rec *r,
                                doanra_store_tx **tx);

/* The registry (doanra.units, doanra.officials) for this request, from the
 * process's cache; kept alive until the handle is released.  refresh: the
 * caller missed a code or unit in the one it has; reload it when it is
 * older than a second (an official added a moment ago is then known).
 * A dead pooled connection is replaced once (as doanra_store_facts). */
apr_status_t doanra_store_registry(doanra_store_tx *tx, int refresh,
                                   const doanra_registry **reg);

/* What round trip 1 asks (doanra.decision_facts).  Per-member arrays have
 * nmembers entries; NULL strings are SQL NULL. */
typedef struct {
    int nmembers;
    const char **identity;   /* the person key (identity.c) */
    const char **code;       /* the registered code, else the typed one */
    const int *title_leader; /* a key leader by position title */
    const char *year;        /* the departure year; NULL: no dates */
    const char *from, *to;   /* the trip's span (ISO); NULL: none */
    long from_day, to_day;   /* the same as day numbers (with from, to) */
    int year_num;            /* the departure year (with year) */
    const char *plan_code;   /* ma_ke_hoach */
    const char *unit_code;   /* the sending unit's code */
    /* 1: BEGIN, lock the people (key leaders always; everyone in a
     * delegation up to 64), read the facts under the locks, and keep the
     * transaction open for doanra_store_record.  0: read only. */
    int lock;
    const char *exclude_code; /* a later step leaves its own dossier out */
    int approved_only;        /* an approval counts approved trips only */
    const char *report_days;  /* DoanraReportDays; NULL: the rule is off */
} doanra_facts_query;

/* A member as the registry knows them. */
typedef struct {
    int found;             /* a registered official */
    int key_leader;        /* the registry's key-leader flag */
    const char *unit_code; /* their unit, NULL if none */
} doanra_member_facts;

/* Round trip 1: the registry facts of every member into mf (nmembers
 * entries) and, when h is not NULL, the history into h (allocated by
 * doanra_history_make).  Retried once on a fresh connection when the
 * pooled one turns out dead: it has written nothing.  On an error the
 * connection is given back (nothing was recorded). */
apr_status_t doanra_store_facts(doanra_store_tx *tx,
                                const doanra_facts_query *q,
                                doanra_member_facts *mf, doanra_history *h);

/* A member and a leg of the trip version to reserve. */
typedef struct {
    const char *identity, *code, *name, *position, *unit_code, *unit_name;
    int key_leader;
} doanra_record_member;

typedef struct {
    const char *country, *from, *to; /* ISO 3166 alpha-2, ISO dates */
} doanra_record_leg;

/* What round trip 2 writes: the submission, with the verdict as decided,
 * and, when reserve is set, a `pending` trip version with its members and
 * legs; for a later step (step_action) a pending event of that trip. */
typedef struct {
    const char *location, *remote_user, *client_ip, *mode;
    const char *fields_json;   /* the form as submitted */
    const char *decision;      /* doanra_decision_name */
    const char *findings_json; /* doanra_render_findings_json */
    const char *rules;         /* comma-separated rule ids, "" none */
    int reserve;
    const char *unit_code, *unit_name, *purpose, *partner;
    const char *from, *to;     /* ISO dates or NULL */
    const char *funding;       /* funding code, or as typed */
    const char *budget;        /* du_toan in VND, NULL if none */
    const char *plan_code;     /* the plan entry matched, NULL if none */
    int planned;
    const char *reason_unplanned;
    int nmembers;
    const doanra_record_member *members;
    int nlegs;
    const doanra_record_leg *legs;
    /* A later step (SPEC section 8): NULL action for a registration. */
    const char *step_action, *step_trip_id, *step_from_status;
    const char *step_reason, *step_decision_no, *step_decision_date;
    const char *step_report_date;
    /* A journalled submission (journal.c): recorded with this key; when
     * journal_settle is set (the drain writing it in) it is settled in the
     * same transaction with journal_status (-1: unknown) and
     * journal_accepted. */
    const char *journal_key;
    int journal_settle, journal_status, journal_accepted;
} doanra_record;

/* What round trip 2 created. */
typedef struct {
    long long submission_id, trip_id, event_id; /* 0: none */
    /* Failed while recording: the commit may have happened (the answer
     * was lost or late), under rec->journal_key. */
    int outcome_unknown;
} doanra_record_ids;

/* Round trip 2 after doanra_store_facts with lock set: record and COMMIT
 * (which releases the locks).  Never retried: after a lost connection the
 * commit may or may not have happened, and a second record must not
 * appear.  Without an open transaction (lock 0) it records in a
 * transaction of its own. */
apr_status_t doanra_store_record(doanra_store_tx *tx, const doanra_record *rec,
                                 doanra_record_ids *out);

/* Give the connection back (ROLLBACK if needed) and the registry snapshot;
 * safe to call twice and on NULL. */
void doanra_store_release(doanra_store_tx *tx);

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

/* One settle of a batch: as doanra_store_settle, and the backend's
 * reference (X-Doanra-Reference) of reference_trip when not NULL. */
typedef struct {
    long long submission_id, trip_id;
    int backend_status, accepted;
    long long reference_trip;
    const char *reference;
} doanra_settle_item;

/* Settle n submissions in one transaction (one commit for all) and one
 * statement (doanra.settle_many: as doanra_store_settle for each item, in
 * order), in p;
 * retried once on a fresh connection.  APR_SUCCESS; APR_EINVAL when the
 * database refused a statement (one item is bad: settle them one by one);
 * another error when the database cannot be used.  Nothing of a failed
 * batch was written. */
apr_status_t doanra_store_settle_batch(doanra_store *st, apr_pool_t *p,
                                       const doanra_settle_item *items,
                                       int n);

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
