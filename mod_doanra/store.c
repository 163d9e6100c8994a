/*
 * store.c - PostgreSQL side of mod_doanra (see store.h): a per-process pool
 * of libpq connections, the per-process caches of reference data, and the
 * round trips of a decision.  It fetches and records; decide.c judges
 * between the two round trips, so the quota stays exact when many servers
 * share the database: the people are locked before their facts are read
 * and stay locked until the record is committed.
 *
 * Round trips of an enforce/report decision (libpq pipeline mode), on the
 * connection a doanra_store_tx holds for the request:
 *   1. BEGIN + doanra.lock_people(...) + doanra.history_facts(...)
 *      locks the people, then reads the facts (doanra.decision_facts,
 *      which does both, without prepared statements)
 *   2. doanra.record_submission(..., journal key) + COMMIT
 * The check handler needs one: the facts without locks.  Settling after
 * the backend answered is one more: accepted registrations many to one
 * transaction and one doanra.settle_many(...) (settle.c), the others
 * alone with doanra.settle(...).
 *
 * Reconnection: a pooled connection that is broken, not idle, or has
 * unexpected input waiting (what a restarted server leaves behind) is
 * invalidated instead of reused, and the first round trip of a request is
 * retried once on a fresh connection when the connection turns out dead.
 * So after PostgreSQL restarts, the module heals without an Apache restart
 * and without failing the first request.
 *
 * Person identities: the registry (doanra.units and doanra.officials) is
 * cached per process, normalised in C once per load (identity.c), and
 * decide.c has the core resolve every member against it before the locks
 * are taken: the
 * lock keys and the history are those of the normalised identity, so two
 * spellings of one key leader wait for each other and count as one.
 * Why in C and not in SQL: codes and names are compared after ICU's NFKC
 * case folding and the removal of invisible characters, which PostgreSQL 15
 * cannot do exactly (no full case folding; its NFKC may be another Unicode
 * version than ICU's); one implementation of the normal form, used on both
 * sides, keeps the comparison exact.  The cache is immutable once loaded
 * (read by many threads without a lock), reloaded every REGISTRY_TTL, after
 * a lost connection was replaced (the database may have come back with
 * other data), and on a miss (a code or unit not found) when older than
 * REGISTRY_MISS_REFRESH, so an official an admin has just added by SQL is
 * known at once; one load at a time (registry_get); a request that uses a
 * snapshot keeps it alive until it is done with it (reference count).
 */
#include "store.h"
#include "shell.h"

#include <http_config.h>
#include <http_log.h>
#include <ap_mpm.h>

#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_time.h>
#include <apr_strings.h>

#include <libpq-fe.h>
#include <libpq-events.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

APLOG_USE_MODULE(doanra);

/* Reference data caches. */
#define COUNTRIES_RETRY apr_time_from_sec(30)
#define COUNTRIES_WAIT apr_time_from_sec(1)
#define REGISTRY_TTL apr_time_from_sec(60)
#define REGISTRY_MISS_REFRESH apr_time_from_sec(1)
/* Delegations up to this size lock every member (quota and overlaps
 * exact); larger ones lock key leaders only (the quota stays exact). */
#define LOCK_ALL_MAX "64"

#define S_FACTS "doanra_facts"
#define S_LOCK "doanra_lock"
#define S_HISTORY "doanra_history"
#define S_RECORD "doanra_record"
#define S_SETTLE "doanra_settle"
#define S_SETTLE_MANY "doanra_settle_many"
#define S_REGISTRY "doanra_registry"
#define S_COUNTRIES "doanra_countries"
#define S_STEP "doanra_step"
#define S_LOOKUP "doanra_lookup"
#define S_REFERENCE "doanra_reference"
#define S_JOURNAL_KNOWN "doanra_journal_known"
#define S_JOURNALLED "doanra_journalled"
#define S_SETTLE_KEY "doanra_settle_key"

static const struct {
    const char *name, *sql;
} statements[] = {
    {S_FACTS,
     "SELECT kind, idx, code, unit_code, flag, num, id, d1, d2, countries"
     " FROM doanra.decision_facts($1::text[], $2::text[], $3::boolean[],"
     " $4::int, $5::date, $6::date, $7::text, $8::text, "
     "$9::boolean, " LOCK_ALL_MAX ", $10::text, $11::boolean, $12::int)"},
    /* With prepared statements, decision_facts' two statements sent as
     * the module's own, in one pipeline: the history query is planned
     * once per connection (the session's generic plans) like the
     * function's, without a PL/pgSQL call, the function's settings put in
     * place and taken back, and its rows stored once more on the way
     * out. */
    {S_LOCK, "SELECT doanra.lock_people($1::text[], $2::text[], $3::boolean[], "
             LOCK_ALL_MAX ")"},
    {S_HISTORY,
     "SELECT kind, idx, code, unit_code, flag, num, id, d1, d2, countries"
     " FROM doanra.history_facts($1::text[], $2::text[], $3::int, $4::date,"
     " $5::date, $6::text, $7::text, $8::text, $9::boolean, $10::int)"},
    {S_RECORD,
     "SELECT submission_id, trip_id FROM doanra.record_submission("
     "$1::text, $2::text, $3::text, $4::text, $5::jsonb, $6::text,"
     " $7::jsonb, $8::text[], $9::boolean, $10::text, $11::text, $12::text,"
     " $13::text, $14::date, $15::date, $16::text, $17::bigint, $18::text,"
     " $19::boolean, $20::text, $21::text[], $22::text[], $23::text[],"
     " $24::text[], $25::text[], $26::text[], $27::boolean[], $28::text[],"
     " $29::date[], $30::date[], $31::text)"},
    {S_SETTLE,
     "SELECT doanra.settle($1::bigint, $2::int, $3::bigint, $4::boolean)"},
    /* The settling thread's batch: settle's four as arrays, then the
     * references' trips, texts and normal forms. */
    {S_SETTLE_MANY,
     "SELECT doanra.settle_many($1::bigint[], $2::int[], $3::bigint[],"
     " $4::boolean[], $5::bigint[], $6::text[], $7::text[])"},
    {S_REGISTRY,
     "SELECT 'u', code, name, NULL, NULL, NULL FROM doanra.units"
     " UNION ALL SELECT 'o', code, full_name, unit_code, position,"
     " is_key_leader::text FROM doanra.officials ORDER BY 1 DESC, 2"},
    {S_COUNTRIES, "SELECT code, name_vi, name_en, region, subregion"
                  " FROM doanra.countries ORDER BY code"},
    /* A later step: its seven fields, then record_submission's
     * thirty-one. */
    {S_STEP,
     "SELECT submission_id, trip_id, event_id FROM doanra.record_step("
     "$1::text, $2::bigint, $3::text, $4::text, $5::text, $6::date,"
     " $7::date, $8::text, $9::text, $10::text, $11::text, $12::jsonb,"
     " $13::text, $14::jsonb, $15::text[], $16::boolean, $17::text,"
     " $18::text, $19::text, $20::text, $21::date, $22::date, $23::text,"
     " $24::bigint, $25::text, $26::boolean, $27::text, $28::text[],"
     " $29::text[], $30::text[], $31::text[], $32::text[], $33::text[],"
     " $34::boolean[], $35::text[], $36::date[], $37::date[], $38::text)"},
    {S_LOOKUP, "SELECT kind, id, code, num, status, day, name, value"
               " FROM doanra.trip_lookup($1::text)"},
    {S_REFERENCE,
     "SELECT doanra.set_reference($1::bigint, $2::text, $3::text)"},
    /* The journal (journal.c, sql/journal.sql). */
    {S_JOURNAL_KNOWN,
     "SELECT 1 FROM doanra.submissions WHERE journal_key = $1::text"},
    {S_JOURNALLED,
     "SELECT doanra.journal_recorded($1::text, $2::int, $3::boolean)"},
    {S_SETTLE_KEY,
     "SELECT doanra.settle_key($1::text, $2::int, $3::boolean)"},
};

/* conn_state keeps one bit per statement of the table. */
typedef char statements_fit_in_bits
    [sizeof(statements) / sizeof(statements[0]) <= 32 ? 1 : -1];

/* One load of the registry: immutable, in a pool of its own (with its own
 * allocator, so it is built without the store's lock), freed when it is
 * neither current nor in use. */
typedef struct {
    apr_pool_t *pool;
    doanra_registry *reg;
    apr_time_t loaded;
    int refs; /* requests using it; guarded by st->mutex */
} registry_snap;

struct doanra_store {
    server_rec *s;
    const char *conninfo;
    /* The pool of connections (see "Connections"): guarded by pool_mutex. */
    apr_thread_mutex_t *pool_mutex;
    apr_thread_cond_t *pool_cond;
    PGconn **idle;    /* max_conns slots, nidle used */
    int nidle, nopen; /* idle ones, open ones (idle + in use) */
    int max_conns;    /* DoanraMaxConnections */
    int closing;
    apr_interval_time_t timeout; /* DoanraDatabaseTimeout */
    const char *connect_timeout_s;
    /* DoanraPreparedStatements Off: nothing kept in a database session
     * (a pooler in transaction mode between us and PostgreSQL). */
    int stateless;
    /* The server-side timeouts: per session with prepared statements
     * (session_setup, sent once a connection is open), else per
     * transaction (tx_setup, a pipeline step; NULL in the other mode, and
     * run_pipeline skips a step without SQL). */
    const char *session_setup;
    const char *tx_setup;
    /* Guards everything below; st->pool is only touched under it. */
    apr_thread_mutex_t *mutex;
    apr_pool_t *pool;
    const doanra_countries *countries_db;  /* NULL until loaded */
    const doanra_countries *countries_icu; /* fallback, built once */
    apr_time_t countries_tried;
    registry_snap *registry; /* NULL until loaded */
    /* A connection was closed or could not be opened since the last one
     * was opened (conn_lost); when the next one opens (reopened), the
     * database may have come back with other data, perhaps from a backup:
     * a snapshot whose read began before then is not trusted. */
    int conn_lost;
    apr_time_t reopened;
    int registry_loading;    /* a thread is loading; see registry_get */
    /* Signalled (under mutex) when a load of the registry or of the
     * countries ends: the threads that need it wait for the one load in
     * flight instead of building a copy of their own. */
    apr_thread_cond_t *loaded_cond;
    int countries_loading;   /* a thread is reading doanra.countries */
};

static apr_status_t registry_cleanup(void *data);

/* An error of one database step, logged once by whoever gives up. */
typedef struct {
    const char *what; /* "reading the history facts", ... */
    const char *msg;  /* libpq's message */
    int broken;       /* the connection is unusable */
} db_error;

/* ------------------------------------------------------------------ */
/* Logging                                                              */
/* ------------------------------------------------------------------ */

static const char *chomp(apr_pool_t *p, const char *m)
{
    size_t n;
    char *c;
    if (!m)
        return "(no message)";
    n = strlen(m);
    while (n && (m[n - 1] == '\n' || m[n - 1] == '\r' || m[n - 1] == ' '))
        n--;
    c = apr_pstrmemdup(p, m, n);
    /* One log line per failure: libpq messages may span lines. */
    for (char *q = c; *q; q++)
        if (*q == '\n' || *q == '\r')
            *q = ' ';
    return c;
}

static void log_db_error(doanra_store *st, request_rec *r, int level,
                         const db_error *e)
{
    if (r)
        ap_log_rerror(APLOG_MARK, level, 0, r, "doanra: database error %s: %s",
                      e->what, e->msg);
    else
        ap_log_error(APLOG_MARK, level, 0, st->s,
                     "doanra: database error %s: %s", e->what, e->msg);
}

/* ------------------------------------------------------------------ */
/* Text for the database: valid UTF-8, no \u0000 in jsonb                */
/* ------------------------------------------------------------------ */

/* s unchanged when it is valid UTF-8, else a copy with every bad byte
 * replaced by U+FFFD: PostgreSQL rejects invalid UTF-8 outright, and the
 * record must be written whatever was submitted. */
static const char *clean_text(apr_pool_t *p, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len, i = 0, o = 0, n;
    char *out;

    if (!s)
        return NULL;
    len = strlen(s);
    while (i < len && (n = doanra_utf8_seq(u + i, len - i)) != 0)
        i += n;
    if (i == len)
        return s;
    out = apr_palloc(p, len * 3 + 1);
    for (i = 0; i < len;) {
        n = doanra_utf8_seq(u + i, len - i);
        if (n) {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    out[o] = '\0';
    return out;
}

/* JSON text for a jsonb parameter: valid UTF-8, and the escape \u0000
 * (which jsonb refuses) turned into \ufffd.  Escapes are consumed in pairs,
 * so an escaped backslash followed by "u0000" is left alone. */
static const char *clean_json(apr_pool_t *p, const char *s)
{
    const char *q;
    char *out, *o;

    s = clean_text(p, s);
    if (!s)
        return NULL;
    if (!strstr(s, "\\u0000"))
        return s;
    out = o = apr_palloc(p, strlen(s) + 1);
    for (q = s; *q;) {
        if (q[0] == '\\' && q[1] == 'u' && strncmp(q + 2, "0000", 4) == 0) {
            memcpy(o, "\\ufffd", 6);
            o += 6;
            q += 6;
        } else if (q[0] == '\\' && q[1]) {
            *o++ = *q++;
            *o++ = *q++;
        } else {
            *o++ = *q++;
        }
    }
    *o = '\0';
    return out;
}

/* A growable string for PostgreSQL array literals. */
typedef struct {
    apr_pool_t *p;
    char *buf;
    size_t len, cap;
} strbuf;

static void sb_add(strbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        char *nb;
        while (cap < b->len + n + 1)
            cap *= 2;
        nb = apr_palloc(b->p, cap);
        if (b->len)
            memcpy(nb, b->buf, b->len);
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

/* Builds "{...}" element by element; NULL elements stay SQL NULL. */
typedef struct {
    strbuf sb;
    int n;
} arrlit;

static void arr_init(arrlit *a, apr_pool_t *p)
{
    memset(a, 0, sizeof(*a));
    a->sb.p = p;
    sb_add(&a->sb, "{", 1);
}

static void arr_add(arrlit *a, const char *v)
{
    if (a->n++)
        sb_add(&a->sb, ",", 1);
    if (!v) {
        sb_add(&a->sb, "NULL", 4);
        return;
    }
    v = clean_text(a->sb.p, v);
    sb_add(&a->sb, "\"", 1);
    for (const char *q = v; *q; q++) {
        if (*q == '"' || *q == '\\')
            sb_add(&a->sb, "\\", 1);
        sb_add(&a->sb, q, 1);
    }
    sb_add(&a->sb, "\"", 1);
}

static const char *arr_end(arrlit *a)
{
    sb_add(&a->sb, "}", 1);
    return a->sb.buf;
}

/* ------------------------------------------------------------------ */
/* Connections: a capped pool, every wait bounded by one deadline       */
/* ------------------------------------------------------------------ */

/*
 * Why not apr_reslist: its acquire timeout is one value for the whole list,
 * and the wait for a free connection must come out of the same
 * DoanraDatabaseTimeout as the round trips that follow it.  The pool is a
 * stack of idle connections under a mutex, a count of open ones capped at
 * DoanraMaxConnections, and a condition variable waited on with the time
 * left.
 *
 * Why libpq's non-blocking API: a database that hangs without closing
 * anything (SIGSTOP, a partitioned network) keeps answering TCP: the
 * kernel acknowledges what is sent and answers keepalive probes, so
 * keepalives and tcp_user_timeout never fire, and the server-side
 * statement_timeout never runs.  Only the client's own clock ends that
 * wait, so every connect, send and receive polls the socket with the time
 * left until the deadline.  A connection that missed it is closed, not
 * cancelled: PQcancel (PostgreSQL 15) opens a blocking connection to the
 * postmaster and waits for it, which is the very hang being escaped.  The
 * session's lock_timeout and statement_timeout (9/10 of the deadline) end
 * the work on a server that is alive but slow or locked, so it answers
 * with an error before the client gives up and the connection is kept.
 *
 * The deadline of a request is per thread (tl_deadline): conn_acquire
 * starts it, a retry on a fresh connection keeps it, and every round trip
 * on that thread until the next acquire uses it.
 */
static _Thread_local apr_time_t tl_deadline;

/* libpq's message on one line, in a caller's buffer. */
static const char *msg_line(char *buf, size_t size, const char *m)
{
    size_t n;
    char *q;
    apr_cpystrn(buf, m ? m : "(no message)", size);
    n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    for (q = buf; *q; q++)
        if (*q == '\n' || *q == '\r')
            *q = ' ';
    return buf;
}

/* Wait until the socket is ready for events, at most until deadline.
 * 1 ready, 0 deadline passed, -1 error. */
static int wait_socket(PGconn *conn, short events, apr_time_t deadline)
{
    struct pollfd pfd;
    int rc;

    for (;;) {
        apr_time_t left = deadline - apr_time_now();
        if (left <= 0)
            return 0;
        pfd.fd = PQsocket(conn);
        if (pfd.fd < 0)
            return -1;
        pfd.events = events;
        pfd.revents = 0;
        rc = poll(&pfd, 1, (int)((left + 999) / 1000));
        if (rc > 0)
            return 1;
        if (rc < 0 && errno != EINTR)
            return -1;
    }
}

#define TIMED_OUT_MSG "no answer within DoanraDatabaseTimeout"

/* Everything sent is flushed and the next result is ready to read without
 * blocking: 0, or -1 with *timed_out set when the deadline passed. */
static int wait_result(PGconn *conn, apr_time_t deadline, int *timed_out)
{
    int w;

    *timed_out = 0;
    for (;;) {
        int f = PQflush(conn);
        if (f == 0)
            break;
        if (f < 0)
            return -1;
        w = wait_socket(conn, POLLOUT | POLLIN, deadline);
        if (w <= 0) {
            *timed_out = w == 0;
            return -1;
        }
        if (!PQconsumeInput(conn))
            return -1;
    }
    while (PQisBusy(conn)) {
        w = wait_socket(conn, POLLIN, deadline);
        if (w <= 0) {
            *timed_out = w == 0;
            return -1;
        }
        if (!PQconsumeInput(conn))
            return -1;
    }
    return 0;
}

/* PQgetResult within the deadline.  NULL is either the end of a query's
 * results (*failed 0) or a failure (*failed 1, *timed_out when late). */
static PGresult *get_result(PGconn *conn, apr_time_t deadline, int *failed,
                            int *timed_out)
{
    *failed = 0;
    *timed_out = 0;
    if (wait_result(conn, deadline, timed_out) != 0) {
        *failed = 1;
        return NULL;
    }
    return PQgetResult(conn);
}

/* Run one command (simple query protocol, or a prepare when name is set)
 * and read all its results; 0 when every result is OK. */
static int exec_until(PGconn *conn, const char *name, const char *sql,
                      apr_time_t deadline, int *timed_out)
{
    PGresult *res;
    int failed, ok = 1;

    *timed_out = 0;
    if (!(name ? PQsendPrepare(conn, name, sql, 0, NULL)
               : PQsendQuery(conn, sql)))
        return -1;
    for (;;) {
        res = get_result(conn, deadline, &failed, timed_out);
        if (failed)
            return -1;
        if (!res)
            break;
        if (PQresultStatus(res) != PGRES_COMMAND_OK &&
            PQresultStatus(res) != PGRES_TUPLES_OK &&
            PQresultStatus(res) != PGRES_EMPTY_QUERY)
            ok = 0;
        PQclear(res);
    }
    return ok ? 0 : -1;
}

/* What a pooled connection's session holds (with prepared statements):
 * which statements of the table are prepared on it, one bit each.  Kept
 * as libpq instance data, so it lives and dies with its PGconn. */
typedef struct {
    unsigned prepared;
} conn_state;

static int conn_event(PGEventId id, void *info, void *pass)
{
    if (id == PGEVT_CONNDESTROY) {
        PGEventConnDestroy *d = info;
        free(PQinstanceData(d->conn, conn_event));
    }
    return 1;
}

/* The connection's session state, NULL without prepared statements. */
static conn_state *conn_state_of(PGconn *conn)
{
    return PQinstanceData(conn, conn_event);
}

/* Open and set up one connection, within deadline.  Logs its failure. */
static apr_status_t conn_open(doanra_store *st, apr_time_t deadline,
                              PGconn **out)
{
    char buf[512];
    /* Defaults first: with expand_dbname, what the admin's conninfo says
     * overrides them.  Keepalives find a dead peer of an idle pooled
     * connection; they cannot find a hung one (see above). */
    const char *const keys[] = {"connect_timeout", "application_name",
                                "keepalives", "keepalives_idle",
                                "keepalives_interval", "keepalives_count",
                                "dbname", NULL};
    const char *vals[] = {NULL, "mod_doanra", "1", "30", "10", "3",
                          st->conninfo, NULL};
    PGconn *conn;
    PostgresPollingStatusType ps = PGRES_POLLING_WRITING;
    int timed_out = 0, w;
    const char *what = "connecting";

    /* libpq's own bound (whole seconds, at least 2) in case anything in
     * it still blocks; the poll loop below keeps the real deadline. */
    vals[0] = st->connect_timeout_s;
    conn = PQconnectStartParams(keys, vals, 1);
    if (!conn || PQstatus(conn) == CONNECTION_BAD)
        goto fail;
    while (ps != PGRES_POLLING_OK) {
        if (ps == PGRES_POLLING_FAILED)
            goto fail;
        w = wait_socket(conn,
                        ps == PGRES_POLLING_READING ? POLLIN : POLLOUT,
                        deadline);
        if (w <= 0) {
            timed_out = w == 0;
            goto fail;
        }
        ps = PQconnectPoll(conn);
    }
    if (PQsetnonblocking(conn, 1) != 0)
        goto fail;
    /* With prepared statements (the default), the session is ours: it
     * gets the timeouts and generic plans once, and run_pipeline prepares
     * each statement the first time the connection runs it.  Without
     * (DoanraPreparedStatements Off), no session state at all: behind
     * PgBouncer in transaction pooling every transaction may get another
     * server connection, so statements are sent unnamed with their text,
     * and the timeouts are set in each transaction (st->tx_setup). */
    if (!st->stateless) {
        conn_state *cs = calloc(1, sizeof(*cs));
        what = "setting up the session";
        if (!cs || !PQregisterEventProc(conn, conn_event, "doanra", NULL) ||
            !PQsetInstanceData(conn, conn_event, cs)) {
            free(cs);
            goto fail;
        }
        if (exec_until(conn, NULL, st->session_setup, deadline,
                       &timed_out) != 0)
            goto fail;
    }
    /* A connection that replaces a lost one may mean the database came
     * back: read the registry again before trusting the cache. */
    apr_thread_mutex_lock(st->mutex);
    if (st->conn_lost) {
        st->conn_lost = 0;
        st->reopened = apr_time_now();
    }
    apr_thread_mutex_unlock(st->mutex);
    *out = conn;
    return APR_SUCCESS;

fail:
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, st->s,
                 "doanra: cannot connect to the database (%s): %s", what,
                 timed_out ? TIMED_OUT_MSG
                 : conn    ? msg_line(buf, sizeof(buf), PQerrorMessage(conn))
                           : "out of memory");
    if (conn)
        PQfinish(conn);
    apr_thread_mutex_lock(st->mutex);
    st->conn_lost = 1;
    apr_thread_mutex_unlock(st->mutex);
    return timed_out ? APR_TIMEUP : APR_ECONNREFUSED;
}

/* Can an idle pooled connection be handed out?  An idle connection has
 * nothing to read; input waiting means the server said goodbye (shutdown,
 * restart, terminated backend), so it is not worth a failed query. */
static int conn_usable(PGconn *conn)
{
    struct pollfd pfd;
    int fd;

    if (PQstatus(conn) != CONNECTION_OK ||
        PQtransactionStatus(conn) != PQTRANS_IDLE)
        return 0;
    fd = PQsocket(conn);
    if (fd < 0)
        return 0;
    pfd.fd = fd;
    pfd.events = POLLIN;
    pfd.revents = 0;
    if (poll(&pfd, 1, 0) != 0)
        return 0;
    return 1;
}

static int conn_alive(PGconn *conn)
{
    int timed_out;
    return exec_until(conn, NULL, "", tl_deadline, &timed_out) == 0 &&
           PQtransactionStatus(conn) == PQTRANS_IDLE;
}

/* Close a connection the pool counted: outside the lock, then make room. */
static void conn_close(doanra_store *st, PGconn *conn)
{
    PQfinish(conn);
    apr_thread_mutex_lock(st->mutex);
    st->conn_lost = 1;
    apr_thread_mutex_unlock(st->mutex);
    apr_thread_mutex_lock(st->pool_mutex);
    st->nopen--;
    apr_thread_cond_signal(st->pool_cond);
    apr_thread_mutex_unlock(st->pool_mutex);
}

/* A connection for this thread, waiting for a free one when
 * DoanraMaxConnections are in use, all within the deadline that starts
 * here (verify: a retry after a dead connection, which keeps the deadline
 * of its first attempt and proves the candidate alive with an empty
 * query: the other idle ones are most likely dead too). */
static apr_status_t conn_acquire(doanra_store *st, request_rec *r, PGconn **out,
                                 int verify)
{
    PGconn *conn;
    apr_status_t rv;

    if (!verify)
        tl_deadline = apr_time_now() + st->timeout;
    apr_thread_mutex_lock(st->pool_mutex);
    for (;;) {
        apr_time_t left;
        if (st->nidle > 0) {
            conn = st->idle[--st->nidle];
            apr_thread_mutex_unlock(st->pool_mutex);
            if (conn_usable(conn) && (!verify || conn_alive(conn))) {
                *out = conn;
                return APR_SUCCESS;
            }
            conn_close(st, conn);
            apr_thread_mutex_lock(st->pool_mutex);
            continue;
        }
        if (st->nopen < st->max_conns) {
            st->nopen++;
            apr_thread_mutex_unlock(st->pool_mutex);
            rv = conn_open(st, tl_deadline, &conn);
            if (rv == APR_SUCCESS) {
                *out = conn;
                return APR_SUCCESS;
            }
            apr_thread_mutex_lock(st->pool_mutex);
            st->nopen--;
            apr_thread_cond_signal(st->pool_cond);
            apr_thread_mutex_unlock(st->pool_mutex);
            return rv; /* conn_open logged it */
        }
        left = tl_deadline - apr_time_now();
        if (left <= 0)
            break;
        apr_thread_cond_timedwait(st->pool_cond, st->pool_mutex, left);
    }
    apr_thread_mutex_unlock(st->pool_mutex);
    if (r)
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "doanra: no database connection free within "
                      "DoanraDatabaseTimeout (%d in use, "
                      "DoanraMaxConnections)",
                      st->max_conns);
    else
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, st->s,
                     "doanra: no database connection free within "
                     "DoanraDatabaseTimeout");
    return APR_TIMEUP;
}

/* Give a connection back: a broken one, or one still in a transaction
 * that a ROLLBACK cannot end, is closed rather than pooled. */
static void conn_release(doanra_store *st, PGconn *conn, int broken)
{
    PGTransactionStatusType ts;
    int timed_out;

    if (!conn)
        return;
    if (!broken && PQstatus(conn) == CONNECTION_OK &&
        PQpipelineStatus(conn) == PQ_PIPELINE_OFF && !PQisBusy(conn)) {
        ts = PQtransactionStatus(conn);
        if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
            /* Its own short deadline: the request's may be spent. */
            if (exec_until(conn, NULL, "ROLLBACK",
                           apr_time_now() + st->timeout, &timed_out) != 0)
                ts = PQTRANS_UNKNOWN;
            else
                ts = PQtransactionStatus(conn);
        }
        if (PQstatus(conn) == CONNECTION_OK && ts == PQTRANS_IDLE) {
            apr_thread_mutex_lock(st->pool_mutex);
            if (!st->closing && st->nidle < st->max_conns) {
                st->idle[st->nidle++] = conn;
                apr_thread_cond_signal(st->pool_cond);
                apr_thread_mutex_unlock(st->pool_mutex);
                return;
            }
            apr_thread_mutex_unlock(st->pool_mutex);
        }
    }
    conn_close(st, conn);
}

/* The process is going: close the idle connections. */
static apr_status_t pool_cleanup(void *data)
{
    doanra_store *st = data;
    apr_thread_mutex_lock(st->pool_mutex);
    st->closing = 1;
    while (st->nidle > 0) {
        PQfinish(st->idle[--st->nidle]);
        st->nopen--;
    }
    apr_thread_mutex_unlock(st->pool_mutex);
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* Running statements                                                   */
/* ------------------------------------------------------------------ */

/* One statement of a pipeline: a prepared statement with text params, or
 * a parameterless SQL command (BEGIN, COMMIT). */
typedef struct {
    const char *stmt;
    const char *sql;
    int nparams;
    const char *const *params;
} pq_step;

/* The index of a statement of the table above, by name. */
static int stmt_index(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(statements) / sizeof(statements[0]); i++)
        if (!strcmp(statements[i].name, name))
            return (int)i;
    return -1;
}

/* Errors that mean the session's prepared statements are not what this
 * connection believes (dropped, already there, or their result type
 * changed under them by an install): the connection is not reused. */
static int session_error(const PGresult *res)
{
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

    return state && (!strcmp(state, "26000") || !strcmp(state, "42P05") ||
                     !strcmp(state, "0A000"));
}

/* A failed result's message; its status when the server sent none. */
static const char *result_error(apr_pool_t *p, const PGresult *res)
{
    const char *m = PQresultErrorMessage(res);

    return (m && *m) ? apr_pstrdup(p, m)
                     : apr_psprintf(p, "unexpected result %s",
                                    PQresStatus(PQresultStatus(res)));
}

/* Send every step, then one sync, and read every result: one network
 * round trip, within the thread's deadline.  results[i] receives step i's
 * result (caller clears them); a step with neither a statement nor SQL
 * (a per-transaction setup the session already has) is not sent and its
 * result is NULL.  With prepared statements, a statement the connection
 * has not run yet is prepared in the same pipeline, just before it.  On
 * failure returns -1 with e filled in and no result kept. */
static int run_pipeline(apr_pool_t *p, PGconn *conn, const pq_step *steps,
                        int n, PGresult **results, const char *what,
                        db_error *e)
{
    conn_state *cs = conn_state_of(conn);
    /* What was sent, in order: a step's index, or -1 - j for the prepare
     * of statement j. */
    int *sent = apr_palloc(p, sizeof(int) * (2 * n + 1));
    int i, k, nsent = 0, ok = 1, stale = 0, failed, timed_out = 0;
    unsigned preparing = 0; /* prepares sent in this pipeline */
    const char *msg = NULL;
    PGresult *res;

    e->what = what;
    e->broken = 0;
    for (i = 0; i < n; i++)
        results[i] = NULL;

    if (!PQenterPipelineMode(conn))
        goto broken;
    for (i = 0; i < n; i++) {
        int ok_sent;
        if (steps[i].stmt) {
            int j = stmt_index(steps[i].stmt);
            if (j < 0)
                goto broken;
            if (cs) {
                if (!((cs->prepared | preparing) & (1u << j))) {
                    preparing |= 1u << j;
                    if (!PQsendPrepare(conn, statements[j].name,
                                       statements[j].sql, 0, NULL))
                        goto broken;
                    sent[nsent++] = -1 - j;
                }
                ok_sent = PQsendQueryPrepared(conn, statements[j].name,
                                              steps[i].nparams,
                                              steps[i].params, NULL, NULL, 0);
            } else {
                ok_sent = PQsendQueryParams(conn, statements[j].sql,
                                            steps[i].nparams, NULL,
                                            steps[i].params, NULL, NULL, 0);
            }
        } else if (steps[i].sql) {
            ok_sent = PQsendQueryParams(conn, steps[i].sql, 0, NULL, NULL,
                                        NULL, NULL, 0);
        } else {
            continue;
        }
        if (!ok_sent)
            goto broken;
        sent[nsent++] = i;
    }
    if (!PQpipelineSync(conn))
        goto broken;

    for (k = 0; k < nsent; k++) {
        ExecStatusType rs;
        res = get_result(conn, tl_deadline, &failed, &timed_out);
        if (!res)
            goto broken;
        rs = PQresultStatus(res);
        if (sent[k] < 0) {
            /* A prepare: the statement exists from now on, whatever
             * becomes of the transaction. */
            if (rs == PGRES_COMMAND_OK)
                cs->prepared |= 1u << (-1 - sent[k]);
            else {
                if (ok && rs != PGRES_PIPELINE_ABORTED) {
                    msg = result_error(p, res);
                    stale = session_error(res);
                }
                ok = 0;
            }
            PQclear(res);
        } else if (rs == PGRES_TUPLES_OK || rs == PGRES_COMMAND_OK) {
            results[sent[k]] = res;
        } else {
            if (ok && rs != PGRES_PIPELINE_ABORTED) {
                msg = result_error(p, res);
                stale = session_error(res);
            }
            ok = 0;
            PQclear(res);
        }
        /* Each query's results end with a NULL. */
        for (;;) {
            res = get_result(conn, tl_deadline, &failed, &timed_out);
            if (failed)
                goto broken;
            if (!res)
                break;
            if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
                PQclear(res);
                goto broken; /* out of step: do not trust the connection */
            }
            PQclear(res);
        }
    }
    res = get_result(conn, tl_deadline, &failed, &timed_out);
    if (!res || PQresultStatus(res) != PGRES_PIPELINE_SYNC) {
        PQclear(res);
        goto broken;
    }
    PQclear(res);
    if (!PQexitPipelineMode(conn))
        goto broken;
    if (!ok) {
        for (i = 0; i < n; i++) {
            PQclear(results[i]);
            results[i] = NULL;
        }
        e->msg = chomp(p, msg ? msg : PQerrorMessage(conn));
        e->broken = stale || PQstatus(conn) != CONNECTION_OK;
        return -1;
    }
    return 0;

broken:
    for (i = 0; i < n; i++) {
        PQclear(results[i]);
        results[i] = NULL;
    }
    e->msg = timed_out ? TIMED_OUT_MSG
                       : chomp(p, msg ? msg : PQerrorMessage(conn));
    /* A connection left in pipeline mode, out of step or late is never
     * reused. */
    e->broken = 1;
    return -1;
}

/* One statement of the table in its own implicit transaction. */
static PGresult *run_one(apr_pool_t *p, PGconn *conn, const char *stmt,
                         int nparams, const char *const *params,
                         const char *what, db_error *e)
{
    pq_step step = {stmt, NULL, nparams, params};
    PGresult *res;

    if (run_pipeline(p, conn, &step, 1, &res, what, e) != 0)
        return NULL;
    return res;
}

/* (shell.h) */
apr_pool_t *doanra_pool_own(void)
{
    apr_allocator_t *alloc = NULL;
    apr_pool_t *p = NULL;

    if (apr_allocator_create(&alloc) != APR_SUCCESS)
        return NULL;
    if (apr_pool_create_unmanaged_ex(&p, NULL, alloc) != APR_SUCCESS) {
        apr_allocator_destroy(alloc);
        return NULL;
    }
    apr_allocator_owner_set(alloc, p);
    return p;
}

/* ------------------------------------------------------------------ */
/* Store                                                                */
/* ------------------------------------------------------------------ */

apr_status_t doanra_store_create(apr_pool_t *pchild, server_rec *s,
                                 const char *conninfo,
                                 const doanra_store_options *opt,
                                 doanra_store **out)
{
    doanra_store *st;
    apr_allocator_t *alloc;
    apr_status_t rv;

    *out = NULL;
    st = apr_pcalloc(pchild, sizeof(*st));
    st->s = s;
    st->conninfo = apr_pstrdup(pchild, conninfo ? conninfo : "");
    st->timeout = opt && opt->timeout > 0 ? opt->timeout
                                          : apr_time_from_sec(5);
    st->max_conns = opt && opt->max_connections > 0 ? opt->max_connections : 4;
    st->idle = apr_pcalloc(pchild, sizeof(PGconn *) * st->max_conns);

    rv = apr_thread_mutex_create(&st->mutex, APR_THREAD_MUTEX_DEFAULT, pchild);
    if (rv == APR_SUCCESS)
        rv = apr_thread_mutex_create(&st->pool_mutex,
                                     APR_THREAD_MUTEX_DEFAULT, pchild);
    if (rv == APR_SUCCESS)
        rv = apr_thread_cond_create(&st->pool_cond, pchild);
    if (rv == APR_SUCCESS)
        rv = apr_thread_cond_create(&st->loaded_cond, pchild);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     "doanra: cannot create the store mutex");
        return rv;
    }
    st->connect_timeout_s = apr_psprintf(
        pchild, "%ld",
        apr_time_sec(st->timeout) < 2 ? 2L : (long)apr_time_sec(st->timeout));
    {
        /* A held lock or a runaway statement ends on the server, with an
         * error, a little before the client's deadline.  Without prepared
         * statements, set for each transaction (set_config(..., true) is
         * SET LOCAL), never for the session: behind PgBouncer in
         * transaction pooling a session setting would stay on a server
         * connection others then get. */
        long ms = (long)apr_time_as_msec(st->timeout) * 9 / 10;
        if (ms < 100)
            ms = 100;
        st->stateless = opt && opt->stateless;
        /* A session of our own: the same timeouts once, and generic plans
         * for the prepared statements (planned once per connection; every
         * statement of the table is written so that the generic plan is
         * the right one for any argument), never JIT-compiled (a generic
         * plan's estimated cost can pass jit_above_cost, and compiling
         * costs far more than these short statements run). */
        if (!st->stateless)
            st->session_setup = apr_psprintf(
                pchild,
                "SET plan_cache_mode = force_generic_plan; SET jit = off;"
                " SET lock_timeout = %ld; SET statement_timeout = %ld;"
                " SET idle_in_transaction_session_timeout = %ld",
                ms, ms, ms * 4);
        else
            st->tx_setup = apr_psprintf(
            pchild,
            "SELECT set_config('lock_timeout', '%ld', true),"
            " set_config('statement_timeout', '%ld', true),"
            " set_config('idle_in_transaction_session_timeout', '%ld', true)",
            ms, ms, ms * 4);
    }
    /* The caches get a pool with an allocator of its own: they are used
     * from many threads (under the store's lock), and must not share an
     * allocator with pchild, which others use unlocked. */
    rv = apr_allocator_create(&alloc);
    if (rv == APR_SUCCESS) {
        rv = apr_pool_create_ex(&st->pool, pchild, NULL, alloc);
        if (rv == APR_SUCCESS)
            apr_allocator_owner_set(alloc, st->pool);
        else
            apr_allocator_destroy(alloc);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     "doanra: cannot create the store pools");
        return rv;
    }
    /* Registered after the pools: cleanups run in reverse order, so the
     * connections close before anything they use goes. */
    apr_pool_cleanup_register(pchild, st, pool_cleanup, apr_pool_cleanup_null);
    apr_pool_cleanup_register(pchild, st, registry_cleanup,
                              apr_pool_cleanup_null);
    *out = st;
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* Countries                                                            */
/* ------------------------------------------------------------------ */

static const doanra_countries *countries_fallback(doanra_store *st)
{
    /* Called with st->mutex held. */
    if (!st->countries_icu) {
        doanra_countries *t = doanra_countries_make(st->pool);
        doanra_countries_load_icu(t);
        st->countries_icu = t;
    }
    return st->countries_icu;
}

const doanra_countries *doanra_store_countries(doanra_store *st, request_rec *r)
{
    const doanra_countries *out;
    apr_time_t now = apr_time_now(), until = now + COUNTRIES_WAIT;
    int try_db = 0;
    PGconn *conn = NULL;
    PGresult *res = NULL;
    apr_pool_t *tp = NULL;
    db_error e;

    apr_thread_mutex_lock(st->mutex);
    for (;;) {
        if (st->countries_db) {
            out = st->countries_db;
            apr_thread_mutex_unlock(st->mutex);
            return out;
        }
        /* One thread tries the database at a time, at most every 30 s. */
        if (!st->countries_loading &&
            (st->countries_tried == 0 ||
             now - st->countries_tried >= COUNTRIES_RETRY)) {
            st->countries_tried = now;
            st->countries_loading = 1;
            try_db = 1;
            break;
        }
        /* While the first load is in flight the others wait for it (up to
         * COUNTRIES_WAIT: a load slower than that is a database in
         * trouble) rather than build ICU's list besides, two tables in
         * every process that started under load; once the database has
         * failed, ICU's list serves until the next try. */
        if (!st->countries_loading || st->countries_icu ||
            now >= until)
            break;
        apr_thread_cond_timedwait(st->loaded_cond, st->mutex, until - now);
        now = apr_time_now();
    }
    apr_thread_mutex_unlock(st->mutex);

    /* Without a request (never in the module) a pool of our own. */
    if (try_db && !r &&
        apr_pool_create_unmanaged_ex(&tp, NULL, NULL) != APR_SUCCESS)
        tp = NULL;
    if (try_db && (r || tp) && conn_acquire(st, r, &conn, 0) == APR_SUCCESS) {
        res = run_one(r ? r->pool : tp, conn, S_COUNTRIES, 0, NULL,
                      "loading doanra.countries", &e);
        if (!res)
            log_db_error(st, r, APLOG_WARNING, &e);
        conn_release(st, conn, res ? 0 : e.broken);
    }

    apr_thread_mutex_lock(st->mutex);
    if (res && PQntuples(res) > 0 && !st->countries_db) {
        doanra_countries *t = doanra_countries_make(st->pool);
        int i, n = PQntuples(res);
        for (i = 0; i < n; i++) {
#define COL(c)                                                                 \
    (PQgetisnull(res, i, c) ? NULL                                             \
                            : apr_pstrdup(st->pool, PQgetvalue(res, i, c)))
            const char *code = COL(0);
            if (!code)
                continue;
            doanra_countries_add(t, code, COL(1), COL(2), COL(3), COL(4));
#undef COL
        }
        st->countries_db = t;
    } else if (res && PQntuples(res) == 0) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, st->s,
                     "doanra: doanra.countries is empty; using ICU's country "
                     "list (load sql/install.sql)");
    }
    out = st->countries_db ? st->countries_db : countries_fallback(st);
    if (try_db) {
        st->countries_loading = 0;
        apr_thread_cond_broadcast(st->loaded_cond);
    }
    apr_thread_mutex_unlock(st->mutex);
    PQclear(res);
    if (tp)
        apr_pool_destroy(tp);
    return out;
}

/* ------------------------------------------------------------------ */
/* Registry: doanra.units and doanra.officials, cached per process       */
/* ------------------------------------------------------------------ */

static apr_status_t registry_snap_free(void *data)
{
    registry_snap *snap = data;
    apr_pool_destroy(snap->pool);
    return APR_SUCCESS;
}

/* The current snapshot's pool is not a child of any pool (it has its own
 * allocator); free it with the store. */
static apr_status_t registry_cleanup(void *data)
{
    doanra_store *st = data;
    if (st->registry && st->registry->refs == 0)
        registry_snap_free(st->registry);
    st->registry = NULL;
    return APR_SUCCESS;
}

static void registry_release(doanra_store *st, registry_snap *snap)
{
    int free_it;
    if (!snap)
        return;
    apr_thread_mutex_lock(st->mutex);
    free_it = --snap->refs == 0 && snap != st->registry;
    apr_thread_mutex_unlock(st->mutex);
    if (free_it)
        registry_snap_free(snap);
}

/* One row of the registry's statement into reg. */
static void registry_add_row(doanra_registry *reg, const PGresult *res)
{
#define COL(c) (PQgetisnull(res, 0, c) ? NULL : PQgetvalue(res, 0, c))
    if (PQgetvalue(res, 0, 0)[0] == 'u')
        doanra_registry_add_unit(reg, COL(1), COL(2));
    else
        doanra_registry_add_official(reg, COL(1), COL(2), COL(3), COL(4),
                                     COL(5) && COL(5)[0] == 't');
#undef COL
}

/* Read the registry into reg a row at a time (libpq's single-row mode):
 * the whole result of 5 000 officials would be a megabyte of malloc in
 * the reading thread's arena, which glibc keeps after PQclear, in every
 * arena that ever loaded it.  0, or -1 with e filled in. */
static int registry_read(apr_pool_t *p, PGconn *conn, doanra_registry *reg,
                         db_error *e)
{
    PGresult *res;
    int failed, timed_out = 0, ok = 0;
    const char *msg = NULL;

    e->what = "reading doanra.units and doanra.officials";
    e->broken = 0;
    /* Unnamed: a load is rare, and single-row mode reads it as it comes. */
    if (!PQsendQueryParams(conn, statements[stmt_index(S_REGISTRY)].sql, 0,
                           NULL, NULL, NULL, NULL, 0) ||
        !PQsetSingleRowMode(conn)) {
        e->msg = chomp(p, PQerrorMessage(conn));
        e->broken = 1;
        return -1;
    }
    for (;;) {
        res = get_result(conn, tl_deadline, &failed, &timed_out);
        if (failed) {
            e->msg = timed_out ? TIMED_OUT_MSG : chomp(p, PQerrorMessage(conn));
            e->broken = 1;
            return -1;
        }
        if (!res)
            break;
        switch (PQresultStatus(res)) {
        case PGRES_SINGLE_TUPLE:
            registry_add_row(reg, res);
            break;
        case PGRES_TUPLES_OK: /* the end, no row of its own */
            ok = 1;
            break;
        default:
            if (!msg)
                msg = result_error(p, res);
            ok = 0;
        }
        PQclear(res);
    }
    /* libpq leaves single-row mode on until the connection's next query
     * outside a pipeline: a pipeline sent next would get its rows one by
     * one.  An empty query ends it. */
    if (PQstatus(conn) == CONNECTION_OK &&
        exec_until(conn, NULL, "", tl_deadline, &timed_out) != 0) {
        e->msg = timed_out ? TIMED_OUT_MSG : chomp(p, PQerrorMessage(conn));
        e->broken = 1;
        return -1;
    }
    if (ok)
        return 0;
    e->msg = chomp(p, msg ? msg : PQerrorMessage(conn));
    e->broken = PQstatus(conn) != CONNECTION_OK;
    return -1;
}

/* Read the registry and make it the current snapshot; returns it with a
 * reference held, or NULL with e filled in. */
static registry_snap *registry_load(doanra_store *st, apr_pool_t *p,
                                    PGconn *conn, db_error *e)
{
    apr_pool_t *np;
    registry_snap *snap, *old;
    const char *example = NULL;
    int shared;

    if (!(np = doanra_pool_own())) {
        e->what = "caching the registry";
        e->msg = "out of memory";
        e->broken = 0;
        return NULL;
    }
    snap = apr_pcalloc(np, sizeof(*snap));
    snap->pool = np;
    snap->reg = doanra_registry_make(np);
    /* When the read began: the snapshot holds everything committed
     * before then. */
    snap->loaded = apr_time_now();
    if (registry_read(p, conn, snap->reg, e) != 0) {
        apr_pool_destroy(np);
        return NULL;
    }
    snap->refs = 1;

    apr_thread_mutex_lock(st->mutex);
    old = st->registry;
    st->registry = snap;
    shared = doanra_registry_shared_codes(snap->reg, &example);
    /* Said once per process, and again when the number changes. */
    if (shared && shared != (old ? doanra_registry_shared_codes(old->reg, NULL)
                                 : 0))
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, st->s,
                     "doanra: doanra.officials has %d code(s) stored in "
                     "more than one row once normalised (case, dashes, "
                     "invisible characters), e.g. '%s': each counts as one "
                     "person, a key leader if any of its rows is; keep one "
                     "row per official",
                     shared, example ? example : "");
    if (old && old->refs > 0)
        old = NULL; /* its last user frees it */
    apr_thread_mutex_unlock(st->mutex);
    if (old)
        registry_snap_free(old);
    return snap;
}

/* The registry for one request, with a reference held (release it with
 * registry_release): the cached one while fresh, else a new load.  One
 * load at a time: while a thread loads, the others use the old snapshot
 * when a periodic reload is due, and wait for the load in flight when
 * they have none yet or need one newer than the miss they saw (force),
 * so a process that starts under load, or a burst of unknown codes,
 * builds one copy and not one per connection.  A waiter whose load
 * failed loads by itself; one that reaches its request's deadline tries
 * too and fails at once with the timeout, as its own load would have. */
static registry_snap *registry_get(doanra_store *st, apr_pool_t *p,
                                   PGconn *conn, int force, db_error *e)
{
    registry_snap *snap;
    apr_time_t now = apr_time_now(), until = tl_deadline; /* the request's */
    apr_time_t need = now; /* with force: a load begun at or after this */
    int fresh;

    apr_thread_mutex_lock(st->mutex);
    for (;;) {
        snap = st->registry;
        if (force)
            fresh = snap && snap->loaded >= need;
        else
            fresh = snap && ((snap->loaded >= st->reopened &&
                              now - snap->loaded < REGISTRY_TTL) ||
                             st->registry_loading);
        if (fresh) {
            snap->refs++;
            apr_thread_mutex_unlock(st->mutex);
            return snap;
        }
        if (!st->registry_loading || now >= until)
            break;
        apr_thread_cond_timedwait(st->loaded_cond, st->mutex, until - now);
        now = apr_time_now();
    }
    st->registry_loading++;
    apr_thread_mutex_unlock(st->mutex);

    snap = registry_load(st, p, conn, e);

    apr_thread_mutex_lock(st->mutex);
    st->registry_loading--;
    apr_thread_cond_broadcast(st->loaded_cond);
    apr_thread_mutex_unlock(st->mutex);
    return snap;
}

/* ------------------------------------------------------------------ */
/* The journal's side of the store                                      */
/* ------------------------------------------------------------------ */

/* The extra step that marks a submission written in from the journal
 * (unchecked) and settles its trip, in the transaction that records it: 1
 * when added.  Every other decision's key goes in with the record itself
 * (record_params). */
static int journal_step(apr_pool_t *p, const doanra_record *req,
                        pq_step *step)
{
    const char **v;

    if (!req || !req->journal_key || !req->journal_settle)
        return 0;
    v = apr_palloc(p, 3 * sizeof(*v));
    v[0] = req->journal_key;
    v[1] = req->journal_status >= 0 ? apr_itoa(p, req->journal_status) : NULL;
    v[2] = req->journal_accepted ? "true" : "false";
    *step = (pq_step){S_JOURNALLED, NULL, 3, v};
    return 1;
}

apr_status_t doanra_store_settle_key(doanra_store *st, request_rec *r,
                                     const char *key, int backend_status,
                                     int accepted)
{
    PGconn *conn;
    PGresult *res;
    db_error e = {0};
    const char *v[3];
    int found;

    v[0] = key;
    v[1] = backend_status >= 0 ? apr_itoa(r->pool, backend_status) : NULL;
    v[2] = accepted ? "true" : "false";
    if (conn_acquire(st, r, &conn, 0) != APR_SUCCESS)
        return APR_EGENERAL;
    res = run_one(r->pool, conn, S_SETTLE_KEY, 3, v,
                  "settling by journal key", &e);
    if (!res) {
        log_db_error(st, r, APLOG_WARNING, &e);
        conn_release(st, conn, e.broken);
        return APR_EGENERAL;
    }
    found = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    conn_release(st, conn, 0);
    return found ? APR_SUCCESS : APR_NOTFOUND;
}

int doanra_store_journal_known(doanra_store *st, request_rec *r,
                               const char *key)
{
    PGconn *conn;
    PGresult *res;
    db_error e = {0};
    const char *v[1];
    int known;

    v[0] = key;
    if (conn_acquire(st, r, &conn, 0) != APR_SUCCESS)
        return -1;
    res = run_one(r->pool, conn, S_JOURNAL_KNOWN, 1, v,
                  "looking up a journal key", &e);
    if (!res) {
        log_db_error(st, r, APLOG_WARNING, &e);
        conn_release(st, conn, e.broken);
        return -1;
    }
    known = PQntuples(res) > 0;
    PQclear(res);
    conn_release(st, conn, 0);
    return known;
}

/* ------------------------------------------------------------------ */
/* A request's hold on a connection                                     */
/* ------------------------------------------------------------------ */

struct doanra_store_tx {
    doanra_store *st;
    request_rec *r;
    PGconn *conn;       /* NULL once given back */
    registry_snap *snap; /* the registry this request uses, or NULL */
    int retried;        /* the one retry on a fresh connection is spent */
    int in_tx;          /* BEGIN sent by doanra_store_facts (lock) */
};

static apr_status_t tx_cleanup(void *data)
{
    doanra_store_tx *tx = data;

    conn_release(tx->st, tx->conn, 0);
    tx->conn = NULL;
    tx->in_tx = 0;
    registry_release(tx->st, tx->snap);
    tx->snap = NULL;
    return APR_SUCCESS;
}

apr_status_t doanra_store_begin(doanra_store *st, request_rec *r,
                                doanra_store_tx **out)
{
    doanra_store_tx *tx = apr_pcalloc(r->pool, sizeof(*tx));
    apr_status_t rv;

    *out = NULL;
    tx->st = st;
    tx->r = r;
    rv = conn_acquire(st, r, &tx->conn, 0);
    if (rv != APR_SUCCESS)
        return rv == APR_TIMEUP ? rv : APR_EGENERAL;
    apr_pool_cleanup_register(r->pool, tx, tx_cleanup,
                              apr_pool_cleanup_null);
    *out = tx;
    return APR_SUCCESS;
}

void doanra_store_release(doanra_store_tx *tx)
{
    if (tx)
        apr_pool_cleanup_run(tx->r->pool, tx, tx_cleanup);
}

/* A step failed with e: when the connection turned out dead and the
 * request has not retried yet, swap it for a fresh one (keeping the
 * deadline) and return 1 to run the step again; else log, give the
 * connection back and return 0. */
static int tx_retry(doanra_store_tx *tx, db_error *e)
{
    if (e->broken && !tx->retried && !tx->in_tx) {
        tx->retried = 1;
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, tx->r,
                      "doanra: database connection lost (%s); retrying "
                      "on a new connection",
                      e->msg);
        conn_release(tx->st, tx->conn, 1);
        tx->conn = NULL;
        if (conn_acquire(tx->st, tx->r, &tx->conn, 1) == APR_SUCCESS)
            return 1;
        return 0;
    }
    log_db_error(tx->st, tx->r, APLOG_ERR, e);
    conn_release(tx->st, tx->conn, e->broken);
    tx->conn = NULL;
    tx->in_tx = 0;
    return 0;
}

apr_status_t doanra_store_registry(doanra_store_tx *tx, int refresh,
                                   const doanra_registry **reg)
{
    db_error e = {0};
    registry_snap *snap;

    *reg = tx->snap ? tx->snap->reg : NULL;
    if (!tx->conn)
        return APR_EGENERAL;
    if (tx->snap && (!refresh || apr_time_now() - tx->snap->loaded <
                                     REGISTRY_MISS_REFRESH))
        return APR_SUCCESS;
    for (;;) {
        snap = registry_get(tx->st, tx->r->pool, tx->conn, refresh, &e);
        if (snap)
            break;
        if (!tx_retry(tx, &e))
            return APR_EGENERAL;
    }
    registry_release(tx->st, tx->snap);
    tx->snap = snap;
    *reg = snap->reg;
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* Round trip 1: the facts                                              */
/* ------------------------------------------------------------------ */

static long day_of(PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? DOANRA_NODATE
                                      : atol(PQgetvalue(res, row, col));
}

static const char *text_or_null(apr_pool_t *p, PGresult *res, int row,
                                int col)
{
    return PQgetisnull(res, row, col) ? NULL
                                      : apr_pstrdup(p, PQgetvalue(res, row, col));
}

/* A plan entry of the facts ('p' row) into h. */
static void add_plan_entry(apr_pool_t *p, PGresult *res, int i,
                           doanra_history *h)
{
    doanra_plan_entry *e;
    char *list, *tok, *save = NULL;

    if (PQgetvalue(res, i, 4)[0] == 't') {
        e = apr_pcalloc(p, sizeof(*e));
        h->plan_by_code = e;
    } else {
        e = apr_array_push(h->plan_candidates);
        memset(e, 0, sizeof(*e));
    }
    e->code = apr_pstrdup(p, PQgetvalue(res, i, 2));
    e->unit_code = apr_pstrdup(p, PQgetvalue(res, i, 3));
    e->year = atoi(PQgetvalue(res, i, 5));
    e->period_from = day_of(res, i, 7);
    e->period_to = day_of(res, i, 8);
    e->countries = apr_array_make(p, 4, sizeof(const char *));
    list = apr_pstrdup(p, PQgetvalue(res, i, 9));
    for (tok = apr_strtok(list, ",", &save); tok;
         tok = apr_strtok(NULL, ",", &save))
        APR_ARRAY_PUSH(e->countries, const char *) = tok;
}

/* The facts' rows (doanra.history_facts) into mf and h.  Registry rows
 * are matched to members by code, history rows by person key; a member's
 * history is counted here: its trips departing in the year, and of those
 * overlapping the trip's span the one that departs first (the least
 * ngay_di, id, ngay_ve, as doanra.trip_facts orders them); 'o' overdue
 * reports, 'p' plan entries. */
static void read_facts(apr_pool_t *p, PGresult *res,
                       const doanra_facts_query *q, doanra_member_facts *mf,
                       doanra_history *h)
{
    int i, k, n = PQntuples(res), nm = q->nmembers;
    int span = q->from && q->to;

    for (i = 0; i < n; i++) {
        const char *kind = PQgetvalue(res, i, 0);
        const char *code = PQgetisnull(res, i, 2) ? NULL : PQgetvalue(res, i, 2);
        int num = PQgetisnull(res, i, 5) ? 0 : atoi(PQgetvalue(res, i, 5));

        if (kind[0] == 'r' && code) {
            for (k = 0; k < nm; k++)
                if (q->code[k] && !strcmp(q->code[k], code)) {
                    mf[k].found = 1;
                    mf[k].key_leader = PQgetvalue(res, i, 4)[0] == 't';
                    mf[k].unit_code = text_or_null(p, res, i, 3);
                }
        } else if (kind[0] == 'h' && code && *code && h && q->year) {
            long id = atol(PQgetvalue(res, i, 6));
            long d1 = day_of(res, i, 7), d2 = day_of(res, i, 8);
            int overlaps = span && d1 <= q->to_day && d2 >= q->from_day;
            for (k = 0; k < nm; k++) {
                if (!q->identity[k] || strcmp(q->identity[k], code))
                    continue;
                if (num == q->year_num)
                    h->trips_this_year[k]++;
                if (overlaps &&
                    (!h->overlap_trip_id[k] || d1 < h->overlap_from[k] ||
                     (d1 == h->overlap_from[k] &&
                      (id < h->overlap_trip_id[k] ||
                       (id == h->overlap_trip_id[k] &&
                        d2 < h->overlap_to[k]))))) {
                    h->overlap_trip_id[k] = id;
                    h->overlap_code[k] = text_or_null(p, res, i, 3);
                    h->overlap_from[k] = d1;
                    h->overlap_to[k] = d2;
                }
            }
        } else if (kind[0] == 'o' && h) {
            h->overdue_reports = num;
            h->overdue_code = text_or_null(p, res, i, 2);
            h->overdue_back = day_of(res, i, 7);
        } else if (kind[0] == 'p' && h) {
            add_plan_entry(p, res, i, h);
        }
    }
}

apr_status_t doanra_store_facts(doanra_store_tx *tx,
                                const doanra_facts_query *q,
                                doanra_member_facts *mf, doanra_history *h)
{
    apr_pool_t *p = tx->r->pool;
    const char *v[12], *hv[10];
    PGresult *facts = NULL, *results[4];
    db_error e = {0};
    arrlit keys, codes, tl;
    int i;

    arr_init(&keys, p);
    arr_init(&codes, p);
    arr_init(&tl, p);
    for (i = 0; i < q->nmembers; i++) {
        arr_add(&keys, q->identity[i] ? q->identity[i] : "");
        arr_add(&codes, q->code[i]);
        arr_add(&tl, q->title_leader[i] ? "t" : "f");
        memset(&mf[i], 0, sizeof(mf[i]));
    }
    v[0] = arr_end(&keys);
    v[1] = arr_end(&codes);
    v[2] = arr_end(&tl);
    v[3] = q->year;
    v[4] = q->from;
    v[5] = q->to;
    v[6] = clean_text(p, q->plan_code);
    v[7] = clean_text(p, q->unit_code);
    v[8] = q->lock ? "t" : "f";
    v[9] = clean_text(p, q->exclude_code);
    v[10] = q->approved_only ? "t" : "f";
    v[11] = q->report_days;

    /* history_facts' ten: decision_facts' less the title leaders, the
     * lock and its bound. */
    hv[0] = v[0];
    hv[1] = v[1];
    for (i = 2; i < 7; i++)
        hv[i] = v[i + 1];
    hv[7] = v[9];
    hv[8] = v[10];
    hv[9] = v[11];

    while (tx->conn) {
        if (q->lock) {
            /* The lock statement returns before the history query
             * starts, and under READ COMMITTED that query's snapshot then
             * holds every trip committed by an earlier holder of the
             * locks: the quota stays exact. */
            pq_step steps[4] = {{NULL, "BEGIN", 0, NULL},
                                {NULL, tx->st->tx_setup, 0, NULL}};
            int n = 2;
            if (tx->st->stateless) {
                steps[n++] = (pq_step){S_FACTS, NULL, 12, v};
            } else {
                steps[n++] = (pq_step){S_LOCK, NULL, 3, v};
                steps[n++] = (pq_step){S_HISTORY, NULL, 10, hv};
            }
            if (run_pipeline(p, tx->conn, steps, n, results,
                             "reading the history facts", &e) == 0) {
                for (i = 0; i < n - 1; i++)
                    PQclear(results[i]);
                facts = results[n - 1];
                tx->in_tx = 1;
                break;
            }
        } else {
            /* Without prepared statements each statement is planned
             * again; decision_facts keeps its plans for the session. */
            facts = tx->st->stateless
                        ? run_one(p, tx->conn, S_FACTS, 12, v,
                                  "reading the history facts", &e)
                        : run_one(p, tx->conn, S_HISTORY, 10, hv,
                                  "reading the history facts", &e);
            if (facts)
                break;
        }
        if (!tx_retry(tx, &e))
            return APR_EGENERAL;
    }
    if (!facts)
        return APR_EGENERAL;
    read_facts(p, facts, q, mf, h);
    PQclear(facts);
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* Round trip 2: the record                                             */
/* ------------------------------------------------------------------ */

/* "{a,b}" from a comma-separated list. */
static const char *list_literal(apr_pool_t *p, const char *list)
{
    arrlit a;
    char *copy, *tok, *save = NULL;

    arr_init(&a, p);
    copy = apr_pstrdup(p, list ? list : "");
    for (tok = apr_strtok(copy, ",", &save); tok;
         tok = apr_strtok(NULL, ",", &save))
        arr_add(&a, tok);
    return arr_end(&a);
}

/* record_submission's thirty-one parameters into v: the last is the
 * journal key (unique), written with the row. */
static void record_params(apr_pool_t *p, const doanra_record *rec,
                          const char **v)
{
    arrlit mk, mc, mn, mp, muc, mun, ml, lc, lf, lt;
    int i;

    arr_init(&mk, p);
    arr_init(&mc, p);
    arr_init(&mn, p);
    arr_init(&mp, p);
    arr_init(&muc, p);
    arr_init(&mun, p);
    arr_init(&ml, p);
    arr_init(&lc, p);
    arr_init(&lf, p);
    arr_init(&lt, p);
    for (i = 0; rec->reserve && i < rec->nmembers; i++) {
        const doanra_record_member *m = &rec->members[i];
        arr_add(&mk, m->identity ? m->identity : "");
        arr_add(&mc, m->code);
        arr_add(&mn, m->name ? m->name : "");
        arr_add(&mp, m->position);
        arr_add(&muc, m->unit_code);
        arr_add(&mun, m->unit_name);
        arr_add(&ml, m->key_leader ? "t" : "f");
    }
    for (i = 0; rec->reserve && i < rec->nlegs; i++) {
        arr_add(&lc, rec->legs[i].country);
        arr_add(&lf, rec->legs[i].from);
        arr_add(&lt, rec->legs[i].to);
    }
    v[0] = clean_text(p, rec->location);
    v[1] = clean_text(p, rec->remote_user);
    v[2] = clean_text(p, rec->client_ip);
    v[3] = rec->mode ? rec->mode : "enforce";
    v[4] = clean_json(p, rec->fields_json ? rec->fields_json : "{}");
    v[5] = rec->decision;
    v[6] = clean_json(p, rec->findings_json ? rec->findings_json : "[]");
    v[7] = list_literal(p, rec->rules);
    v[8] = rec->reserve ? "t" : "f";
    v[9] = clean_text(p, rec->unit_code);
    v[10] = clean_text(p, rec->unit_name);
    v[11] = clean_text(p, rec->purpose);
    v[12] = clean_text(p, rec->partner);
    v[13] = rec->from;
    v[14] = rec->to;
    v[15] = clean_text(p, rec->funding);
    v[16] = rec->budget;
    v[17] = clean_text(p, rec->plan_code);
    v[18] = rec->planned ? "t" : "f";
    v[19] = clean_text(p, rec->reason_unplanned);
    v[20] = arr_end(&mk);
    v[21] = arr_end(&mc);
    v[22] = arr_end(&mn);
    v[23] = arr_end(&mp);
    v[24] = arr_end(&muc);
    v[25] = arr_end(&mun);
    v[26] = arr_end(&ml);
    v[27] = arr_end(&lc);
    v[28] = arr_end(&lf);
    v[29] = arr_end(&lt);
    v[30] = rec->journal_key;
}

apr_status_t doanra_store_record(doanra_store_tx *tx, const doanra_record *rec,
                                 doanra_record_ids *out)
{
    apr_pool_t *p = tx->r->pool;
    const char *v[38];
    pq_step steps[4];
    PGresult *results[4];
    db_error e = {0};
    int i, n = 0, first;

    memset(out, 0, sizeof(*out));
    if (!tx->conn)
        return APR_EGENERAL;
    if (!tx->in_tx)
        steps[n++] = (pq_step){NULL, "BEGIN", 0, NULL};
    first = n;
    if (rec->step_action) {
        /* record_step(action, trip, from status, reason, decision number
         * and date, report date, then record_submission's thirty-one). */
        v[0] = rec->step_action;
        v[1] = rec->step_trip_id;
        v[2] = rec->step_from_status;
        v[3] = clean_text(p, rec->step_reason);
        v[4] = clean_text(p, rec->step_decision_no);
        v[5] = rec->step_decision_date;
        v[6] = rec->step_report_date;
        record_params(p, rec, v + 7);
        steps[n++] = (pq_step){S_STEP, NULL, 38, v};
    } else {
        record_params(p, rec, v);
        steps[n++] = (pq_step){S_RECORD, NULL, 31, v};
    }
    /* Written in from the journal: marked and settled in this transaction. */
    n += journal_step(p, rec, &steps[n]);
    steps[n++] = (pq_step){NULL, "COMMIT", 0, NULL};
    if (run_pipeline(p, tx->conn, steps, n, results,
                     "recording the submission", &e) != 0) {
        log_db_error(tx->st, tx->r, APLOG_ERR, &e);
        conn_release(tx->st, tx->conn, e.broken);
        tx->conn = NULL;
        tx->in_tx = 0;
        out->outcome_unknown = e.broken;
        return APR_EGENERAL;
    }
    tx->in_tx = 0;
    if (PQntuples(results[first]) == 1) {
        PGresult *res = results[first];
        out->submission_id = atoll(PQgetvalue(res, 0, 0));
        if (!PQgetisnull(res, 0, 1))
            out->trip_id = atoll(PQgetvalue(res, 0, 1));
        if (rec->step_action && !PQgetisnull(res, 0, 2))
            out->event_id = atoll(PQgetvalue(res, 0, 2));
    }
    for (i = 0; i < n; i++)
        PQclear(results[i]);
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* Settle                                                               */
/* ------------------------------------------------------------------ */

/* One read-only (or idempotent) statement, retried once on a fresh
 * connection when the pooled one turns out dead. */
static apr_status_t run_simple(doanra_store *st, request_rec *r,
                               const char *stmt, int n,
                               const char *const *params, const char *what,
                               PGresult **out)
{
    PGconn *conn;
    db_error e = {0};
    int attempt;

    for (attempt = 0;; attempt++) {
        apr_status_t rv = conn_acquire(st, r, &conn, attempt > 0);
        if (rv != APR_SUCCESS)
            return rv == APR_TIMEUP ? rv : APR_EGENERAL;
        *out = run_one(r->pool, conn, stmt, n, params, what, &e);
        if (*out) {
            conn_release(st, conn, 0);
            return APR_SUCCESS;
        }
        conn_release(st, conn, e.broken);
        if (e.broken && attempt == 0)
            continue;
        log_db_error(st, r, APLOG_ERR, &e);
        return APR_EGENERAL;
    }
}

/* doanra.settle's four parameters (APR's formatter knows
 * APR_INT64_T_FMT, not %lld). */
static const char **settle_params(apr_pool_t *p, long long submission_id,
                                  long long trip_id, int backend_status,
                                  int accepted)
{
    const char **v = apr_palloc(p, 4 * sizeof(*v));

    v[0] = submission_id > 0 ? apr_psprintf(p, "%" APR_INT64_T_FMT,
                                            (apr_int64_t)submission_id)
                             : NULL;
    v[1] = backend_status >= 0 ? apr_itoa(p, backend_status) : NULL;
    v[2] = trip_id > 0
               ? apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)trip_id)
               : NULL;
    v[3] = accepted ? "true" : "false";
    return v;
}

/* doanra.set_reference's three parameters. */
static const char **reference_params(apr_pool_t *p, long long trip_id,
                                     const char *reference)
{
    const char **v = apr_palloc(p, 3 * sizeof(*v));

    v[0] = apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)trip_id);
    v[1] = clean_text(p, reference);
    v[2] = doanra_text_code_norm(p, reference);
    return v;
}

apr_status_t doanra_store_settle(doanra_store *st, request_rec *r,
                                 long long submission_id, long long trip_id,
                                 int backend_status, int accepted)
{
    PGresult *res;
    apr_status_t rv;

    if (submission_id <= 0 && trip_id <= 0)
        return APR_SUCCESS;
    /* Settling is idempotent (only a pending trip moves), so a lost
     * connection is simply retried once on a fresh one. */
    rv = run_simple(st, r, S_SETTLE, 4,
                    settle_params(r->pool, submission_id, trip_id,
                                  backend_status, accepted),
                    "settling the submission", &res);
    if (rv == APR_SUCCESS)
        PQclear(res);
    return rv;
}

apr_status_t doanra_store_settle_batch(doanra_store *st, apr_pool_t *p,
                                       const doanra_settle_item *items,
                                       int n)
{
    /* One doanra.settle_many for the whole batch: a fixed few statements
     * in the database whatever n, where a settle per item took three
     * statements and a loop each. */
    arrlit sid, status, tid, acc, rtrip, ref, rnorm;
    const char *v[7];
    pq_step steps[5];
    PGresult *results[5];
    db_error e = {0};
    PGconn *conn;
    int i, k = 0, attempt;

    steps[k++] = (pq_step){NULL, "BEGIN", 0, NULL};
    steps[k++] = (pq_step){NULL, st->tx_setup, 0, NULL};
    if (n == 1) {
        /* One item (a quiet server): doanra.settle does the same with
         * less to set up than the batch's statements. */
        const doanra_settle_item *it = &items[0];
        steps[k++] = (pq_step){S_SETTLE, NULL, 4,
                               settle_params(p, it->submission_id,
                                             it->trip_id, it->backend_status,
                                             it->accepted)};
        if (it->reference && *it->reference && it->reference_trip > 0)
            steps[k++] = (pq_step){
                S_REFERENCE, NULL, 3,
                reference_params(p, it->reference_trip, it->reference)};
    } else {
        arr_init(&sid, p);
        arr_init(&status, p);
        arr_init(&tid, p);
        arr_init(&acc, p);
        arr_init(&rtrip, p);
        arr_init(&ref, p);
        arr_init(&rnorm, p);
        for (i = 0; i < n; i++) {
            const doanra_settle_item *it = &items[i];
            const char **sv = settle_params(p, it->submission_id, it->trip_id,
                                            it->backend_status, it->accepted);
            arr_add(&sid, sv[0]);
            arr_add(&status, sv[1]);
            arr_add(&tid, sv[2]);
            arr_add(&acc, sv[3]);
            if (it->reference && *it->reference && it->reference_trip > 0) {
                const char **rv =
                    reference_params(p, it->reference_trip, it->reference);
                arr_add(&rtrip, rv[0]);
                arr_add(&ref, rv[1]);
                arr_add(&rnorm, rv[2]);
            }
        }
        v[0] = arr_end(&sid);
        v[1] = arr_end(&status);
        v[2] = arr_end(&tid);
        v[3] = arr_end(&acc);
        v[4] = arr_end(&rtrip);
        v[5] = arr_end(&ref);
        v[6] = arr_end(&rnorm);
        steps[k++] = (pq_step){S_SETTLE_MANY, NULL, 7, v};
    }
    steps[k++] = (pq_step){NULL, "COMMIT", 0, NULL};

    /* Settling is idempotent, so a lost connection is retried once. */
    for (attempt = 0;; attempt++) {
        apr_status_t rv = conn_acquire(st, NULL, &conn, attempt > 0);
        if (rv != APR_SUCCESS)
            return rv == APR_TIMEUP ? rv : APR_EGENERAL;
        if (run_pipeline(p, conn, steps, k, results,
                         "settling submissions", &e) == 0) {
            for (i = 0; i < k; i++)
                PQclear(results[i]);
            conn_release(st, conn, 0);
            return APR_SUCCESS;
        }
        conn_release(st, conn, e.broken);
        if (e.broken && attempt == 0)
            continue;
        log_db_error(st, NULL, APLOG_ERR, &e);
        /* A statement refused on a sound connection: an item is bad. */
        return e.broken ? APR_EGENERAL : APR_EINVAL;
    }
}

/* ------------------------------------------------------------------ */
/* Later steps: the trip a step names, the backend's reference           */
/* ------------------------------------------------------------------ */

apr_status_t doanra_store_trip_lookup(doanra_store *st, request_rec *r,
                                      const char *code_norm,
                                      doanra_trip_state *ts)
{
    apr_pool_t *p = r->pool;
    const char *v[1];
    PGresult *res;
    apr_status_t rv;
    int i, n;

    memset(ts, 0, sizeof(*ts));
    ts->ngay_ve = DOANRA_NODATE;
    ts->fields = apr_array_make(p, 32, sizeof(doanra_field));
    if (!code_norm || !*code_norm)
        return APR_SUCCESS;
    v[0] = clean_text(p, code_norm);
    rv = run_simple(st, r, S_LOOKUP, 1, v, "looking up a dossier", &res);
    if (rv != APR_SUCCESS)
        return rv;
    n = PQntuples(res);
    for (i = 0; i < n; i++) {
        const char *kind = PQgetvalue(res, i, 0);
        if (kind[0] == 't') {
            ts->found = 1;
            ts->id = atoll(PQgetvalue(res, i, 1));
            ts->code = apr_pstrdup(p, PQgetvalue(res, i, 2));
            ts->version = atoi(PQgetvalue(res, i, 3));
            ts->status = apr_pstrdup(p, PQgetvalue(res, i, 4));
            ts->ngay_ve = day_of(res, i, 5);
            ts->reference = PQgetisnull(res, i, 6)
                                ? NULL
                                : apr_pstrdup(p, PQgetvalue(res, i, 6));
        } else if (kind[0] == 'f') {
            doanra_field *f = apr_array_push(ts->fields);
            f->name = apr_pstrdup(p, PQgetvalue(res, i, 6));
            f->value = apr_pstrdup(p, PQgetvalue(res, i, 7));
            f->len = strlen(f->value);
            f->is_file = 0;
        }
    }
    PQclear(res);
    return APR_SUCCESS;
}

apr_status_t doanra_store_set_reference(doanra_store *st, request_rec *r,
                                        long long trip_id,
                                        const char *reference)
{
    PGresult *res;
    apr_status_t rv;

    if (trip_id <= 0 || !reference || !*reference)
        return APR_SUCCESS;
    rv = run_simple(st, r, S_REFERENCE, 3,
                    reference_params(r->pool, trip_id, reference),
                    "storing the backend's reference", &res);
    if (rv == APR_SUCCESS)
        PQclear(res);
    return rv;
}
