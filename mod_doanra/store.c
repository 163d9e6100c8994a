/*
 * store.c - PostgreSQL side of mod_doanra (see store.h): a per-process pool
 * of libpq connections, the per-process caches of reference data, and the
 * one-transaction check-reserve-record step that keeps the leader quota
 * exact when many servers share the database.
 *
 * Round trips of an enforce/report decision (libpq pipeline mode):
 *   1. BEGIN + doanra.trip_facts(...)       locks the people, then the facts
 *   2. doanra.record_submission(...) + COMMIT
 * The check handler (record = 0) needs one: trip_facts without locks.
 * Settling after the backend answered is one more: doanra.settle(...).
 *
 * Reconnection: a pooled connection that is broken, not idle, or has
 * unexpected input waiting (what a restarted server leaves behind) is
 * invalidated instead of reused, and the first round trip of a request is
 * retried once on a fresh connection when the connection turns out dead.
 * So after PostgreSQL restarts, the module heals without an Apache restart
 * and without failing the first request.
 *
 * Person identities: the registry (doanra.units and doanra.officials) is
 * cached per process, normalised in C once per load (identity.c), and the
 * core resolves every member against it before the locks are taken: the
 * lock keys and the history are those of the normalised identity, so two
 * spellings of one key leader wait for each other and count as one.
 * Why in C and not in SQL: codes and names are compared after ICU's NFKC
 * case folding and the removal of invisible characters, which PostgreSQL 15
 * cannot do exactly (no full case folding; its NFKC may be another Unicode
 * version than ICU's); one implementation of the normal form, used on both
 * sides, keeps the comparison exact.  The cache is immutable once loaded
 * (read by many threads without a lock), reloaded every REGISTRY_TTL, after
 * a new connection was opened (the database may have come back with other
 * data), and on a miss (a code or unit not found) when older than
 * REGISTRY_MISS_REFRESH, so an official an admin has just added by SQL is
 * known at once; a request that uses a snapshot keeps it alive until it is
 * done with it (reference count).
 */
#include "store.h"

#include <http_config.h>
#include <http_log.h>
#include <ap_mpm.h>

#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_time.h>
#include <apr_strings.h>

#include <libpq-fe.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

APLOG_USE_MODULE(doanra);

/* Reference data caches. */
#define COUNTRIES_RETRY apr_time_from_sec(30)
#define REGISTRY_TTL apr_time_from_sec(60)
#define REGISTRY_MISS_REFRESH apr_time_from_sec(1)
/* Delegations up to this size lock every member (quota and overlaps
 * exact); larger ones lock key leaders only (the quota stays exact). */
#define LOCK_ALL_MAX "64"

#define S_FACTS "doanra_facts"
#define S_RECORD "doanra_record"
#define S_SETTLE "doanra_settle"
#define S_REGISTRY "doanra_registry"
#define S_COUNTRIES "doanra_countries"
#define S_STEP "doanra_step"
#define S_LOOKUP "doanra_lookup"
#define S_REFERENCE "doanra_reference"
#define S_JOURNAL_KNOWN "doanra_journal_known"
#define S_JOURNALLED "doanra_journalled"
#define S_JOURNAL_MARK "doanra_journal_mark"
#define S_SETTLE_KEY "doanra_settle_key"

static const struct {
    const char *name, *sql;
} statements[] = {
    {S_FACTS,
     "SELECT kind, idx, code, unit_code, flag, num, id, d1, d2, countries"
     " FROM doanra.trip_facts($1::text[], $2::text[], $3::boolean[],"
     " $4::int, $5::date, $6::date, $7::text, $8::text, "
     "$9::boolean, " LOCK_ALL_MAX ", $10::text, $11::boolean, $12::int)"},
    {S_RECORD,
     "SELECT submission_id, trip_id FROM doanra.record_submission("
     "$1::text, $2::text, $3::text, $4::text, $5::jsonb, $6::text,"
     " $7::jsonb, $8::text[], $9::boolean, $10::text, $11::text, $12::text,"
     " $13::text, $14::date, $15::date, $16::text, $17::bigint, $18::text,"
     " $19::boolean, $20::text, $21::text[], $22::text[], $23::text[],"
     " $24::text[], $25::text[], $26::text[], $27::boolean[], $28::text[],"
     " $29::date[], $30::date[])"},
    {S_SETTLE,
     "SELECT doanra.settle($1::bigint, $2::int, $3::bigint, $4::boolean)"},
    {S_REGISTRY,
     "SELECT 'u', code, name, NULL, NULL, NULL FROM doanra.units"
     " UNION ALL SELECT 'o', code, full_name, unit_code, position,"
     " is_key_leader::text FROM doanra.officials ORDER BY 1 DESC, 2"},
    {S_COUNTRIES, "SELECT code, name_vi, name_en, region, subregion"
                  " FROM doanra.countries ORDER BY code"},
    /* A later step: its seven fields, then record_submission's thirty. */
    {S_STEP,
     "SELECT submission_id, trip_id, event_id FROM doanra.record_step("
     "$1::text, $2::bigint, $3::text, $4::text, $5::text, $6::date,"
     " $7::date, $8::text, $9::text, $10::text, $11::text, $12::jsonb,"
     " $13::text, $14::jsonb, $15::text[], $16::boolean, $17::text,"
     " $18::text, $19::text, $20::text, $21::date, $22::date, $23::text,"
     " $24::bigint, $25::text, $26::boolean, $27::text, $28::text[],"
     " $29::text[], $30::text[], $31::text[], $32::text[], $33::text[],"
     " $34::boolean[], $35::text[], $36::date[], $37::date[])"},
    {S_LOOKUP, "SELECT kind, id, code, num, status, day, name, value"
               " FROM doanra.trip_lookup($1::text)"},
    {S_REFERENCE,
     "SELECT doanra.set_reference($1::bigint, $2::text, $3::text)"},
    /* The journal (journal.c, sql/journal.sql). */
    {S_JOURNAL_KNOWN,
     "SELECT 1 FROM doanra.submissions WHERE journal_key = $1::text"},
    {S_JOURNALLED,
     "SELECT doanra.journal_recorded($1::text, $2::int, $3::boolean)"},
    {S_JOURNAL_MARK, "SELECT doanra.journal_mark($1::text)"},
    {S_SETTLE_KEY,
     "SELECT doanra.settle_key($1::text, $2::int, $3::boolean)"},
};

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
    const char *tx_setup; /* the server-side timeouts, set per transaction */
    /* Guards everything below; st->pool is only touched under it. */
    apr_thread_mutex_t *mutex;
    apr_pool_t *pool;
    const doanra_countries *countries_db;  /* NULL until loaded */
    const doanra_countries *countries_icu; /* fallback, built once */
    apr_time_t countries_tried;
    registry_snap *registry; /* NULL until loaded */
    int registry_stale;      /* a connection was (re)opened since the load */
    int registry_loading;    /* a thread is loading; others use the old one */
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

/* Length of the well-formed UTF-8 sequence at s (shortest form, no
 * surrogates, <= U+10FFFF), or 0 if it is not one. */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return c ? 1 : 0;
    if (c >= 0xC2 && c <= 0xDF)
        return (left >= 2 && (s[1] & 0xC0) == 0x80) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned char lo = 0x80, hi = 0xBF;
        if (c == 0xE0)
            lo = 0xA0;
        if (c == 0xED)
            hi = 0x9F;
        return (left >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80)
                   ? 3
                   : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned char lo = 0x80, hi = 0xBF;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F;
        return (left >= 4 && s[1] >= lo && s[1] <= hi &&
                (s[2] & 0xC0) == 0x80 && (s[3] & 0xC0) == 0x80)
                   ? 4
                   : 0;
    }
    return 0;
}

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
    while (i < len && (n = utf8_seq(u + i, len - i)) != 0)
        i += n;
    if (i == len)
        return s;
    out = apr_palloc(p, len * 3 + 1);
    for (i = 0; i < len;) {
        n = utf8_seq(u + i, len - i);
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

static const char *nz(const char *s)
{
    return (s && *s) ? s : NULL;
}

static int date_ok(long d)
{
    return d != DOANRA_NODATE;
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
    /* No session state at all (no SET, no prepared statement): behind
     * PgBouncer in transaction pooling every transaction may get another
     * server connection.  Statements are sent unnamed with their text, and
     * the timeouts are set in each transaction (st->tx_setup). */
    /* A new connection may mean the database came back, perhaps from a
     * backup: read the registry again before trusting the cache. */
    apr_thread_mutex_lock(st->mutex);
    st->registry_stale = 1;
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

/* The text of a statement of the table above, by name. */
static const char *stmt_sql(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(statements) / sizeof(statements[0]); i++)
        if (!strcmp(statements[i].name, name))
            return statements[i].sql;
    return NULL;
}

/* Send every step, then one sync, and read every result: one network
 * round trip, within the thread's deadline.  results[i] receives step i's
 * result (caller clears them).  On failure returns -1 with e filled in and
 * no result kept. */
static int run_pipeline(apr_pool_t *p, PGconn *conn, const pq_step *steps,
                        int n, PGresult **results, const char *what,
                        db_error *e)
{
    int i, ok = 1, failed, timed_out = 0;
    const char *msg = NULL;
    PGresult *res;

    e->what = what;
    e->broken = 0;
    for (i = 0; i < n; i++)
        results[i] = NULL;

    if (!PQenterPipelineMode(conn))
        goto broken;
    for (i = 0; i < n; i++) {
        int sent =
            steps[i].stmt
                ? PQsendQueryParams(conn, stmt_sql(steps[i].stmt),
                                    steps[i].nparams, NULL, steps[i].params,
                                    NULL, NULL, 0)
                : PQsendQueryParams(conn, steps[i].sql, 0, NULL, NULL, NULL,
                                    NULL, 0);
        if (!sent)
            goto broken;
    }
    if (!PQpipelineSync(conn))
        goto broken;

    for (i = 0; i < n; i++) {
        ExecStatusType rs;
        res = get_result(conn, tl_deadline, &failed, &timed_out);
        if (!res)
            goto broken;
        rs = PQresultStatus(res);
        if (rs == PGRES_TUPLES_OK || rs == PGRES_COMMAND_OK) {
            results[i] = res;
        } else {
            if (ok && rs != PGRES_PIPELINE_ABORTED)
                msg = apr_pstrdup(p, PQresultErrorMessage(res));
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
        e->broken = PQstatus(conn) != CONNECTION_OK;
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
    PGresult *res, *last = NULL;
    int failed, timed_out = 0;

    e->what = what;
    e->broken = 0;
    if (!PQsendQueryParams(conn, stmt_sql(stmt), nparams, NULL, params, NULL,
                           NULL, 0)) {
        e->msg = chomp(p, PQerrorMessage(conn));
        e->broken = 1;
        return NULL;
    }
    for (;;) {
        res = get_result(conn, tl_deadline, &failed, &timed_out);
        if (failed) {
            PQclear(last);
            e->msg = timed_out ? TIMED_OUT_MSG : chomp(p, PQerrorMessage(conn));
            e->broken = 1;
            return NULL;
        }
        if (!res)
            break;
        PQclear(last);
        last = res;
    }
    if (last && (PQresultStatus(last) == PGRES_TUPLES_OK ||
                 PQresultStatus(last) == PGRES_COMMAND_OK))
        return last;
    e->msg = chomp(p, last ? PQresultErrorMessage(last) : PQerrorMessage(conn));
    e->broken = PQstatus(conn) != CONNECTION_OK;
    PQclear(last);
    return NULL;
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
         * error, a little before the client's deadline.  Set for each
         * transaction (set_config(..., true) is SET LOCAL), never for the
         * session: behind PgBouncer in transaction pooling a session
         * setting would stay on a server connection others then get. */
        long ms = (long)apr_time_as_msec(st->timeout) * 9 / 10;
        if (ms < 100)
            ms = 100;
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
    apr_time_t now = apr_time_now();
    int try_db = 0;
    PGconn *conn = NULL;
    PGresult *res = NULL;
    apr_pool_t *tp = NULL;
    db_error e;

    apr_thread_mutex_lock(st->mutex);
    if (st->countries_db) {
        out = st->countries_db;
        apr_thread_mutex_unlock(st->mutex);
        return out;
    }
    /* One thread tries the database at a time, at most every 30 s; the
     * others use ICU's list meanwhile. */
    if (st->countries_tried == 0 ||
        now - st->countries_tried >= COUNTRIES_RETRY) {
        st->countries_tried = now;
        try_db = 1;
    }
    apr_thread_mutex_unlock(st->mutex);

    /* Without a request (never in the module) a pool of our own. */
    if (try_db && !r &&
        apr_pool_create_unmanaged_ex(&tp, NULL, NULL) != APR_SUCCESS)
        try_db = 0;
    if (try_db && conn_acquire(st, r, &conn, 0) == APR_SUCCESS) {
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

/* Read the registry and make it the current snapshot; returns it with a
 * reference held, or NULL with e filled in. */
static registry_snap *registry_load(doanra_store *st, apr_pool_t *p,
                                    PGconn *conn, db_error *e)
{
    PGresult *res = run_one(p, conn, S_REGISTRY, 0, NULL,
                            "reading doanra.units and doanra.officials", e);
    apr_allocator_t *alloc = NULL;
    apr_pool_t *np = NULL;
    registry_snap *snap, *old;
    int i, n;

    if (!res)
        return NULL;
    if (apr_allocator_create(&alloc) != APR_SUCCESS ||
        apr_pool_create_unmanaged_ex(&np, NULL, alloc) != APR_SUCCESS) {
        if (alloc)
            apr_allocator_destroy(alloc);
        PQclear(res);
        e->what = "caching the registry";
        e->msg = "out of memory";
        e->broken = 0;
        return NULL;
    }
    apr_allocator_owner_set(alloc, np);
    snap = apr_pcalloc(np, sizeof(*snap));
    snap->pool = np;
    snap->reg = doanra_registry_make(np);
    n = PQntuples(res);
    for (i = 0; i < n; i++) {
#define COL(c) (PQgetisnull(res, i, c) ? NULL : PQgetvalue(res, i, c))
        if (PQgetvalue(res, i, 0)[0] == 'u')
            doanra_registry_add_unit(snap->reg, COL(1), COL(2));
        else
            doanra_registry_add_official(snap->reg, COL(1), COL(2), COL(3),
                                         COL(4), COL(5) && COL(5)[0] == 't');
#undef COL
    }
    PQclear(res);
    snap->loaded = apr_time_now();
    snap->refs = 1;

    apr_thread_mutex_lock(st->mutex);
    old = st->registry;
    st->registry = snap;
    if (old && old->refs > 0)
        old = NULL; /* its last user frees it */
    apr_thread_mutex_unlock(st->mutex);
    if (old)
        registry_snap_free(old);
    return snap;
}

/* The registry for one request, with a reference held (release it with
 * registry_release): the cached one while fresh, else a new load.  When
 * another thread is loading already, the old snapshot is good enough. */
static registry_snap *registry_get(doanra_store *st, apr_pool_t *p,
                                   PGconn *conn, int force, db_error *e)
{
    registry_snap *snap;
    apr_time_t now = apr_time_now();
    int fresh;

    apr_thread_mutex_lock(st->mutex);
    snap = st->registry;
    fresh = snap && !st->registry_stale && !force &&
            now - snap->loaded < REGISTRY_TTL;
    if (snap && !fresh && st->registry_loading && !force)
        fresh = 1;
    if (fresh) {
        snap->refs++;
        apr_thread_mutex_unlock(st->mutex);
        return snap;
    }
    st->registry_loading = 1;
    st->registry_stale = 0;
    apr_thread_mutex_unlock(st->mutex);

    snap = registry_load(st, p, conn, e);

    apr_thread_mutex_lock(st->mutex);
    st->registry_loading = 0;
    if (!snap)
        st->registry_stale = 1;
    apr_thread_mutex_unlock(st->mutex);
    return snap;
}

/* Resolve the trip's unit and members against the registry (identity.c).
 * A code or unit the cache does not know makes it reload once, when it is
 * more than REGISTRY_MISS_REFRESH old.  *unit_name gets the sending unit's
 * registry name when found. */
static int resolve_registry(doanra_store *st, apr_pool_t *p, PGconn *conn,
                            doanra_trip *t, const char **unit_name, db_error *e)
{
    registry_snap *snap = registry_get(st, p, conn, 0, e);
    int misses;

    *unit_name = NULL;
    if (!snap)
        return -1;
    misses = doanra_trip_resolve_identity(p, t, snap->reg);
    if (misses > 0 && apr_time_now() - snap->loaded >= REGISTRY_MISS_REFRESH) {
        registry_release(st, snap);
        snap = registry_get(st, p, conn, 1, e);
        if (!snap)
            return -1;
        doanra_trip_resolve_identity(p, t, snap->reg);
    }
    registry_release(st, snap);
    *unit_name = t->unit_registry_name;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Plan match (mirrors rules.c: the trip is planned when it names an      */
/* existing entry, or an entry of its unit and year covers its countries */
/* and departure date)                                                  */
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

static const doanra_plan_entry *plan_match(const doanra_trip *t,
                                           const doanra_history *h)
{
    int i, j, y, mo, d;

    if (!h || !date_ok(t->ngay_di))
        return NULL;
    if (h->plan_code_given)
        return h->plan_by_code;
    doanra_date_to_ymd(t->ngay_di, &y, &mo, &d);
    for (i = 0; h->plan_candidates && i < h->plan_candidates->nelts; i++) {
        const doanra_plan_entry *e =
            &APR_ARRAY_IDX(h->plan_candidates, i, doanra_plan_entry);
        int ok = e->year == y;
        if (ok && nz(t->unit_code) && e->unit_code &&
            strcasecmp(t->unit_code, e->unit_code) != 0)
            ok = 0;
        if (ok && (!date_ok(e->period_from) || !date_ok(e->period_to) ||
                   t->ngay_di < e->period_from || t->ngay_di > e->period_to))
            ok = 0;
        for (j = 0; ok && t->legs && j < t->legs->nelts; j++) {
            const doanra_leg *l = &APR_ARRAY_IDX(t->legs, j, doanra_leg);
            if (l->country && !entry_has_country(e, l->country->code))
                ok = 0;
        }
        if (ok)
            return e;
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* The journal's side of the store                                      */
/* ------------------------------------------------------------------ */

/* The extra step that marks a journalled submission (key unique in
 * doanra.submissions) and settles its trip, in the transaction that
 * records it: 1 when added. */
static int journal_step(apr_pool_t *p, const doanra_store_request *req,
                        pq_step *step)
{
    const char **v;

    if (!req || !req->journal_key)
        return 0;
    v = apr_palloc(p, 3 * sizeof(*v));
    v[0] = req->journal_key;
    if (!req->journal_settle) {
        *step = (pq_step){S_JOURNAL_MARK, NULL, 1, v};
        return 1;
    }
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
/* Evaluate                                                             */
/* ------------------------------------------------------------------ */

static const char *funding_code(const doanra_trip *t)
{
    switch (t->funding) {
    case DOANRA_FUND_NGAN_SACH:
        return "ngan_sach";
    case DOANRA_FUND_DOI_TAC:
        return "doi_tac";
    case DOANRA_FUND_TU_TUC:
        return "tu_tuc";
    case DOANRA_FUND_KHAC:
        return "khac";
    default:
        return nz(t->nguon_kinh_phi_raw);
    }
}

static long day_of(PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? DOANRA_NODATE
                                      : atol(PQgetvalue(res, row, col));
}

/* Fill registry facts into the members and the history from the rows of
 * doanra.trip_facts. */
static void apply_facts(apr_pool_t *p, doanra_trip *t, PGresult *res,
                        doanra_history *h)
{
    int i, n = PQntuples(res);
    int nm = t->members ? t->members->nelts : 0;

    for (i = 0; i < n; i++) {
        const char *kind = PQgetvalue(res, i, 0);
        int idx = PQgetisnull(res, i, 1) ? 0 : atoi(PQgetvalue(res, i, 1));
        if (kind[0] == 'r' && idx >= 1 && idx <= nm) {
            doanra_member *m =
                &APR_ARRAY_IDX(t->members, idx - 1, doanra_member);
            m->registry_found = 1;
            m->registry_key_leader = PQgetvalue(res, i, 4)[0] == 't';
            m->registry_unit_code = PQgetisnull(res, i, 3)
                                        ? NULL
                                        : apr_pstrdup(p, PQgetvalue(res, i, 3));
        } else if (kind[0] == 'm' && idx >= 1 && idx <= nm && h) {
            h->trips_this_year[idx - 1] =
                PQgetisnull(res, i, 5) ? 0 : atoi(PQgetvalue(res, i, 5));
            if (!PQgetisnull(res, i, 6)) {
                h->overlap_trip_id[idx - 1] = atol(PQgetvalue(res, i, 6));
                h->overlap_from[idx - 1] = day_of(res, i, 7);
                h->overlap_to[idx - 1] = day_of(res, i, 8);
            }
        } else if (kind[0] == 'o' && h) {
            h->overdue_reports =
                PQgetisnull(res, i, 5) ? 0 : atoi(PQgetvalue(res, i, 5));
            h->overdue_code = PQgetisnull(res, i, 2)
                                  ? NULL
                                  : apr_pstrdup(p, PQgetvalue(res, i, 2));
            h->overdue_back = day_of(res, i, 7);
        } else if (kind[0] == 'p' && h) {
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
    }
}

apr_status_t doanra_store_evaluate(doanra_store *st, request_rec *r,
                                   const doanra_config *c, doanra_trip *t,
                                   apr_array_header_t *findings, long today,
                                   int record, int let_through,
                                   const doanra_store_request *req,
                                   doanra_store_result *out)
{
    apr_pool_t *p = r->pool;
    int nm = t->members ? t->members->nelts : 0;
    int dates_ok = date_ok(t->ngay_di);
    int span_ok = dates_ok && date_ok(t->ngay_ve) && t->ngay_ve >= t->ngay_di;
    int year = 0, attempt, i, decision, want_trip;
    int *title_leader;
    const char *unit_name = NULL, *year_s = NULL, *from_s = NULL, *to_s = NULL;
    const char *facts_params[12];
    const doanra_step *step = req ? req->step : NULL;
    const doanra_trip_state *target = req ? req->target : NULL;
    doanra_history *h = NULL;
    PGconn *conn = NULL;
    PGresult *facts = NULL, *results[3];
    db_error e = {0};
    arrlit keys, codes, tl;

    memset(out, 0, sizeof(*out));
    out->decision = DOANRA_DECISION_UNCHECKED;

    if (dates_ok) {
        int mo, d;
        doanra_date_to_ymd(t->ngay_di, &year, &mo, &d);
        year_s = apr_itoa(p, year);
        if (span_ok) {
            from_s = doanra_date_iso(p, t->ngay_di);
            to_s = doanra_date_iso(p, t->ngay_ve);
        }
    }

    /* Key leaders by position title alone: the database decides with the
     * registry flag first, for the same answer doanra_trip_resolve_leaders
     * gives once the registry facts are in. */
    title_leader = apr_pcalloc(p, sizeof(int) * (nm ? nm : 1));
    for (i = 0; i < nm; i++) {
        doanra_member *m = &APR_ARRAY_IDX(t->members, i, doanra_member);
        m->registry_found = 0;
        m->registry_key_leader = 0;
        m->registry_unit_code = NULL;
    }
    doanra_trip_resolve_leaders(p, c, t);
    for (i = 0; i < nm; i++)
        title_leader[i] =
            APR_ARRAY_IDX(t->members, i, doanra_member).is_key_leader;

    /* The first round trip is retried once on a fresh connection when the
     * pooled one turns out dead (the database restarted meanwhile).  It
     * has written nothing, so repeating it is safe. */
    for (attempt = 0;; attempt++) {
        apr_status_t rv = conn_acquire(st, r, &conn, attempt > 0);
        if (rv != APR_SUCCESS)
            return rv == APR_TIMEUP ? rv : APR_EGENERAL;

        if (resolve_registry(st, p, conn, t, &unit_name, &e) == 0) {
            arr_init(&keys, p);
            arr_init(&codes, p);
            arr_init(&tl, p);
            for (i = 0; i < nm; i++) {
                doanra_member *m = &APR_ARRAY_IDX(t->members, i, doanra_member);
                arr_add(&keys, m->identity ? m->identity : "");
                /* The registered code: the database's key-leader flag and
                 * lock choice for big delegations read it as stored. */
                arr_add(&codes, m->official ? m->official->code : nz(m->code));
                arr_add(&tl, title_leader[i] ? "t" : "f");
            }
            facts_params[0] = arr_end(&keys);
            facts_params[1] = arr_end(&codes);
            facts_params[2] = arr_end(&tl);
            facts_params[3] = year_s;
            facts_params[4] = from_s;
            facts_params[5] = to_s;
            facts_params[6] = clean_text(p, nz(t->ma_ke_hoach));
            facts_params[7] = clean_text(p, nz(t->unit_code));
            facts_params[8] = record ? "t" : "f";
            /* A later step leaves its own dossier out of the history; an
             * approval counts only approved trips (SPEC section 8). */
            facts_params[9] = step && target && target->found &&
                                      (step->action == DOANRA_ACT_AMEND ||
                                       step->action == DOANRA_ACT_APPROVE)
                                  ? target->code
                                  : NULL;
            facts_params[10] =
                step && step->action == DOANRA_ACT_APPROVE ? "t" : "f";
            facts_params[11] =
                c->severity[DOANRA_R_REPORT_OVERDUE] != DOANRA_SEV_OFF
                    ? apr_itoa(p, c->report_days)
                    : NULL;
            if (record) {
                pq_step steps[3] = {{NULL, "BEGIN", 0, NULL},
                                    {NULL, st->tx_setup, 0, NULL},
                                    {S_FACTS, NULL, 12, facts_params}};
                if (run_pipeline(p, conn, steps, 3, results,
                                 "reading the history facts", &e) == 0) {
                    PQclear(results[0]);
                    PQclear(results[1]);
                    facts = results[2];
                    break;
                }
            } else {
                facts = run_one(p, conn, S_FACTS, 12, facts_params,
                                "reading the history facts", &e);
                if (facts)
                    break;
            }
        }
        if (e.broken && attempt == 0) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                          "doanra: database connection lost (%s); retrying "
                          "on a new connection",
                          e.msg);
            conn_release(st, conn, 1);
            conn = NULL;
            continue;
        }
        log_db_error(st, r, APLOG_ERR, &e);
        conn_release(st, conn, e.broken);
        return APR_EGENERAL;
    }

    /* The rules, with the facts read under the locks. */
    if (dates_ok)
        h = doanra_history_make(p, t);
    if (h)
        h->plan_code_given = nz(t->ma_ke_hoach) != NULL;
    apply_facts(p, t, facts, h);
    PQclear(facts);
    doanra_trip_resolve_leaders(p, c, t);
    /* Cancel, reject and report carry no trip: only their own fields are
     * judged (lifecycle.c), by the caller. */
    if (!step || doanra_action_has_form(step->action) ||
        step->action == DOANRA_ACT_APPROVE)
        doanra_rules_check(p, c, t, h, today, findings);
    decision = doanra_decision(findings);
    out->decision = decision;

    if (!record) {
        conn_release(st, conn, 0);
        return APR_SUCCESS;
    }

    /* Record the submission and reserve the trip, then commit: the locks
     * are held until this commit, so no concurrent submission for the same
     * people can count before this trip is visible. */
    want_trip =
        (let_through || decision != DOANRA_DECISION_FAIL) && span_ok && nm > 0;
    /* Of the later steps only an amendment carries a new version. */
    if (step && step->action != DOANRA_ACT_AMEND &&
        step->action != DOANRA_ACT_REGISTER)
        want_trip = 0;
    {
        const doanra_plan_entry *pe = want_trip ? plan_match(t, h) : NULL;
        const char *rules = doanra_rules_list(p, findings);
        const char *v[37];
        int with_step = step && step->action != DOANRA_ACT_REGISTER &&
                        req->record_step && target && target->found &&
                        (let_through || decision != DOANRA_DECISION_FAIL);
        arrlit rl, mk, mc, mn, mp, muc, mun, ml, lc, lf, lt;
        pq_step steps[3];
        int nsteps;

        arr_init(&rl, p);
        if (*rules) {
            char *list = apr_pstrdup(p, rules), *tok, *save = NULL;
            for (tok = apr_strtok(list, ",", &save); tok;
                 tok = apr_strtok(NULL, ",", &save))
                arr_add(&rl, tok);
        }
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
        if (want_trip) {
            for (i = 0; i < nm; i++) {
                doanra_member *m = &APR_ARRAY_IDX(t->members, i, doanra_member);
                const char *ucode =
                    nz(m->registry_unit_code)
                        ? m->registry_unit_code
                        : (nz(m->unit) ? NULL : nz(t->unit_code));
                const char *uname =
                    nz(m->unit)
                        ? m->unit
                        : (nz(m->registry_unit_code)
                               ? NULL
                               : (nz(t->don_vi) ? t->don_vi : unit_name));
                arr_add(&mk, m->identity ? m->identity : "");
                /* The registered official's code when the member is one
                 * (found by tv_ma in any spelling, or by name and unit), so
                 * reports name them; what was typed is in the submission. */
                arr_add(&mc, m->official ? m->official->code : nz(m->code));
                arr_add(&mn, m->name ? m->name : "");
                arr_add(&mp, nz(m->position));
                arr_add(&muc, ucode);
                arr_add(&mun, uname);
                arr_add(&ml, m->is_key_leader ? "t" : "f");
            }
            for (i = 0; t->legs && i < t->legs->nelts; i++) {
                doanra_leg *l = &APR_ARRAY_IDX(t->legs, i, doanra_leg);
                if (!l->country || !date_ok(l->from) || !date_ok(l->to) ||
                    l->to < l->from)
                    continue;
                arr_add(&lc, l->country->code);
                arr_add(&lf, doanra_date_iso(p, l->from));
                arr_add(&lt, doanra_date_iso(p, l->to));
            }
        }
        v[0] = clean_text(p, req && req->location ? req->location : r->uri);
        v[1] = clean_text(p, req ? nz(req->remote_user) : NULL);
        v[2] = clean_text(p, req ? nz(req->client_ip) : NULL);
        v[3] = req && req->mode ? req->mode : "enforce";
        v[4] = clean_json(p, req && req->fields_json ? req->fields_json : "{}");
        v[5] = doanra_decision_name(decision);
        v[6] = clean_json(p, doanra_render_findings_json(p, findings));
        v[7] = arr_end(&rl);
        v[8] = want_trip ? "t" : "f";
        v[9] = clean_text(p, nz(t->unit_code));
        v[10] = clean_text(p, nz(t->don_vi) ? t->don_vi : unit_name);
        v[11] = clean_text(p, nz(t->muc_dich));
        v[12] = clean_text(p, nz(t->doi_tac));
        v[13] = from_s;
        v[14] = to_s;
        v[15] = clean_text(p, funding_code(t));
        v[16] = t->du_toan >= 0
                    ? apr_psprintf(p, "%" APR_INT64_T_FMT, t->du_toan)
                    : NULL;
        v[17] = pe ? clean_text(p, pe->code) : NULL;
        v[18] = pe ? "t" : "f";
        v[19] = clean_text(p, nz(t->ly_do_phat_sinh));
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

        if (with_step) {
            /* record_step(action, trip, from status, reason, decision
             * number and date, report date, then record_submission's). */
            memmove(v + 7, v, sizeof(v[0]) * 30);
            v[0] = doanra_action_name(step->action);
            v[1] = apr_psprintf(p, "%" APR_INT64_T_FMT,
                                (apr_int64_t)target->id);
            v[2] = target->status;
            v[3] = clean_text(p, step->reason);
            v[4] = clean_text(p, step->decision_no);
            v[5] = date_ok(step->decision_date)
                       ? doanra_date_iso(p, step->decision_date)
                       : NULL;
            v[6] = date_ok(step->report_date)
                       ? doanra_date_iso(p, step->report_date)
                       : NULL;
            steps[0] = (pq_step){S_STEP, NULL, 37, v};
        } else {
            steps[0] = (pq_step){S_RECORD, NULL, 30, v};
        }
        /* A journalled submission: marked and settled in this transaction. */
        nsteps = 1 + journal_step(p, req, &steps[1]);
        steps[nsteps++] = (pq_step){NULL, "COMMIT", 0, NULL};
        if (run_pipeline(p, conn, steps, nsteps, results,
                         "recording the submission", &e) != 0) {
            /* Not retried: after a lost connection the commit may or may
             * not have happened, and a second record must not appear. */
            log_db_error(st, r, APLOG_ERR, &e);
            conn_release(st, conn, e.broken);
            out->decision = DOANRA_DECISION_UNCHECKED;
            out->outcome_unknown = e.broken;
            return APR_EGENERAL;
        }
        if (PQntuples(results[0]) == 1) {
            out->submission_id = atoll(PQgetvalue(results[0], 0, 0));
            if (!PQgetisnull(results[0], 0, 1))
                out->trip_id = atoll(PQgetvalue(results[0], 0, 1));
            if (with_step && !PQgetisnull(results[0], 0, 2))
                out->event_id = atoll(PQgetvalue(results[0], 0, 2));
        }
        for (i = 0; i < nsteps; i++)
            PQclear(results[i]);
    }
    conn_release(st, conn, 0);
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

apr_status_t doanra_store_settle(doanra_store *st, request_rec *r,
                                 long long submission_id, long long trip_id,
                                 int backend_status, int accepted)
{
    apr_pool_t *p = r->pool;
    const char *v[4];
    PGresult *res;
    apr_status_t rv;

    if (submission_id <= 0 && trip_id <= 0)
        return APR_SUCCESS;
    /* APR's formatter knows APR_INT64_T_FMT, not %lld. */
    v[0] = submission_id > 0 ? apr_psprintf(p, "%" APR_INT64_T_FMT,
                                            (apr_int64_t)submission_id)
                             : NULL;
    v[1] = backend_status >= 0 ? apr_itoa(p, backend_status) : NULL;
    v[2] = trip_id > 0
               ? apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)trip_id)
               : NULL;
    v[3] = accepted ? "true" : "false";

    /* Settling is idempotent (only a pending trip moves), so a lost
     * connection is simply retried once on a fresh one. */
    rv = run_simple(st, r, S_SETTLE, 4, v, "settling the submission", &res);
    if (rv == APR_SUCCESS)
        PQclear(res);
    return rv;
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
    const char *v[3];
    PGresult *res;
    apr_status_t rv;

    if (trip_id <= 0 || !reference || !*reference)
        return APR_SUCCESS;
    v[0] = apr_psprintf(r->pool, "%" APR_INT64_T_FMT, (apr_int64_t)trip_id);
    v[1] = clean_text(r->pool, reference);
    v[2] = doanra_text_code_norm(r->pool, reference);
    rv = run_simple(st, r, S_REFERENCE, 3, v, "storing the backend's reference",
                    &res);
    if (rv == APR_SUCCESS)
        PQclear(res);
    return rv;
}
