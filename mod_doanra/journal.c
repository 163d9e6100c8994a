/*
 * journal.c - the on-disk journal of what the database could not take yet,
 * and the thread that drains it (see journal.h for the design).
 *
 * Entry files: "<key>.j" in the journal directory, written as ".<key>.tmp"
 * (locked before the first byte) and renamed into place, so a reader sees
 * only whole entries.  The content is a list of records
 *
 *     TAG SP LENGTH LF BYTES LF
 *
 * (byte-exact, any value), starting with record "doanra-journal" (the
 * format's version, 1) and ending with "end"; the backend's answer is appended later as a "status" record.
 * A record cut short by a crash is ignored with everything after it.
 */
#include "journal.h"
#include "shell.h"
#include "decide.h"

#include <http_config.h>
#include <http_log.h>
#include <http_main.h>
#include <unixd.h>

#include <apr_file_io.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>
#include <apr_uuid.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

APLOG_USE_MODULE(doanra);

/* How often the drain looks for free entries; how long after a failure it
 * waits before trying the database again. */
#define DRAIN_EVERY apr_time_from_msec(1000)
#define DRAIN_BACKOFF apr_time_from_sec(2)
/* A ".tmp" file older than this was left by a crash while writing (the
 * backend never saw that request): removed. */
#define TMP_STALE apr_time_from_sec(3600)
/* An orphan (a commit whose answer was lost) is looked for this long: a
 * server that was hung (SIGSTOP, a stalled network) may still run the
 * commit it had received when it resumes, after the module gave up. */
#define ORPHAN_GRACE apr_time_from_sec(120)
/* Entry files a process keeps for reuse (see "Spare files"). */
#define SPARES_MAX 32
/* ... and removes once it has not used one for this long: an idle server's
 * journal directory is empty. */
#define SPARES_IDLE apr_time_from_sec(1)

struct doanra_journal {
    server_rec *s;
    const char *dir;
    doanra_store *st;
    apr_thread_t *thread;
    apr_thread_mutex_t *mutex;
    apr_thread_cond_t *cond;
    int stop, kicked;
    /* Spare files, guarded by mutex: open and locked, named
     * ".spare-PID-NO"; a stack. */
    int nspare;
    int spare_fd[SPARES_MAX];
    unsigned spare_no[SPARES_MAX];
    unsigned spare_next;
    apr_time_t spare_used; /* the last take or give */
};

struct doanra_journal_entry {
    doanra_journal *j;
    apr_pool_t *p;
    const char *key;
    const char *path;
    int fd; /* open and flock'ed */
};

/* ------------------------------------------------------------------ */
/* Records                                                              */
/* ------------------------------------------------------------------ */

static void rec(apr_array_header_t *out, apr_pool_t *p, const char *tag,
                const char *v, apr_size_t n)
{
    APR_ARRAY_PUSH(out, const char *) =
        apr_psprintf(p, "%s %" APR_SIZE_T_FMT "\n", tag, n);
    APR_ARRAY_PUSH(out, const char *) = apr_pstrmemdup(p, v ? v : "", n);
    APR_ARRAY_PUSH(out, const char *) = "\n";
}

static void rec_s(apr_array_header_t *out, apr_pool_t *p, const char *tag,
                  const char *v)
{
    rec(out, p, tag, v ? v : "", v ? strlen(v) : 0);
}

typedef struct {
    const char *tag;
    const char *val;
    apr_size_t len;
} record;

/* Parse buf into records up to the first malformed one. */
static apr_array_header_t *parse_records(apr_pool_t *p, const char *buf,
                                         apr_size_t n)
{
    apr_array_header_t *out = apr_array_make(p, 64, sizeof(record));
    apr_size_t i = 0;

    while (i < n) {
        const char *sp = memchr(buf + i, ' ', n - i), *lf;
        char *end;
        unsigned long long len;
        record *r;
        if (!sp)
            break;
        lf = memchr(sp, '\n', n - (sp - buf));
        if (!lf)
            break;
        errno = 0;
        len = strtoull(sp + 1, &end, 10);
        if (errno || end != lf || len > n - (lf + 1 - buf) ||
            (apr_size_t)(lf + 1 - buf) + len + 1 > n ||
            lf[1 + len] != '\n')
            break;
        r = apr_array_push(out);
        r->tag = apr_pstrmemdup(p, buf + i, sp - (buf + i));
        r->val = apr_pstrmemdup(p, lf + 1, len);
        r->len = len;
        i = (lf + 1 - buf) + len + 1;
    }
    return out;
}

static const char *rec_get(const apr_array_header_t *rs, const char *tag)
{
    int i;
    for (i = 0; i < rs->nelts; i++) {
        const record *r = &APR_ARRAY_IDX(rs, i, record);
        if (!strcmp(r->tag, tag))
            return r->val;
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Writing entries                                                      */
/* ------------------------------------------------------------------ */

const char *doanra_journal_key(apr_pool_t *p)
{
    apr_uuid_t u;
    char buf[APR_UUID_FORMATTED_LENGTH + 1];
    apr_uuid_get(&u);
    apr_uuid_format(buf, &u);
    return apr_pstrdup(p, buf);
}

static int write_all(int fd, const char *b, apr_size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        b += w;
        n -= (apr_size_t)w;
    }
    return 0;
}

static void fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

static apr_status_t entry_cleanup(void *data)
{
    doanra_journal_entry *e = data;
    if (e->fd >= 0)
        close(e->fd); /* lets go of the lock */
    e->fd = -1;
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* Spare files                                                          */
/* ------------------------------------------------------------------ */

/* Every enforce decision writes an entry that its settle removes a moment
 * later.  Creating and unlinking a file each time is the costly part of
 * the journal (a new inode, on ext4 a search among the recently deleted
 * ones): a discarded entry is renamed aside as a spare instead, still open
 * and locked, and the next non-durable entry of the process is written
 * into a spare and renamed into place.  The lock never lapses, so no other
 * process ever takes a spare for an entry; a dot name is never read as
 * one, and the spares of a process that died (its locks gone) are removed
 * by the drain.  A process keeps at most SPARES_MAX, and only while it is
 * busy: its drain thread removes them after SPARES_IDLE without use. */

static void spare_name(const doanra_journal *j, unsigned no, char *buf,
                       apr_size_t n)
{
    apr_snprintf(buf, n, "%s/.spare-%" APR_PID_T_FMT "-%u", j->dir,
                 getpid(), no);
}

/* A spare file (open, locked) and its number, or -1. */
static int spare_take(doanra_journal *j, unsigned *no)
{
    int fd = -1;

    apr_thread_mutex_lock(j->mutex);
    if (j->nspare > 0) {
        j->nspare--;
        fd = j->spare_fd[j->nspare];
        *no = j->spare_no[j->nspare];
    }
    j->spare_used = apr_time_now();
    apr_thread_mutex_unlock(j->mutex);
    return fd;
}

/* Keep the entry file at path, open and locked on fd, as a spare: 1, or 0
 * when there is no room (the caller removes it). */
static int spare_give(doanra_journal *j, int fd, const char *path)
{
    char name[4096];
    unsigned no;

    apr_thread_mutex_lock(j->mutex);
    if (j->nspare >= SPARES_MAX || j->stop) {
        apr_thread_mutex_unlock(j->mutex);
        return 0;
    }
    no = j->spare_next++;
    j->spare_used = apr_time_now();
    apr_thread_mutex_unlock(j->mutex);
    spare_name(j, no, name, sizeof(name));
    if (rename(path, name) != 0)
        return 0;
    apr_thread_mutex_lock(j->mutex);
    if (j->nspare < SPARES_MAX && !j->stop) {
        j->spare_fd[j->nspare] = fd;
        j->spare_no[j->nspare] = no;
        j->nspare++;
        fd = -1;
    }
    apr_thread_mutex_unlock(j->mutex);
    if (fd >= 0) {
        unlink(name);
        close(fd);
    }
    return 1;
}

/* The spares go: all of them when the process is going, else when none
 * was used for SPARES_IDLE. */
static void spares_remove(doanra_journal *j, int idle_only)
{
    char name[4096];

    apr_thread_mutex_lock(j->mutex);
    if (idle_only && apr_time_now() - j->spare_used < SPARES_IDLE) {
        apr_thread_mutex_unlock(j->mutex);
        return;
    }
    while (j->nspare > 0) {
        j->nspare--;
        spare_name(j, j->spare_no[j->nspare], name, sizeof(name));
        unlink(name);
        close(j->spare_fd[j->nspare]);
    }
    apr_thread_mutex_unlock(j->mutex);
}

/* Write header and body into fd from its start, replacing what was there. */
static int write_whole(int fd, const char *body)
{
    return ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0 ||
                   write_all(fd, "doanra-journal 1\n1\n", 19) != 0 ||
                   write_all(fd, body, strlen(body)) != 0
               ? -1
               : 0;
}

/* Write the records as a new entry, locked, and keep it open in r's pool. */
static apr_status_t entry_write(doanra_journal *j, request_rec *r,
                                const char *key, apr_array_header_t *recs,
                                int durable, doanra_journal_entry **out)
{
    apr_pool_t *p = r->pool;
    doanra_journal_entry *e = apr_pcalloc(p, sizeof(*e));
    const char *tmp = apr_psprintf(p, "%s/.%s.tmp", j->dir, key);
    const char *body;
    apr_status_t rv;

    *out = NULL;
    rec_s(recs, p, "end", "");
    body = apr_array_pstrcat(p, recs, 0);
    e->j = j;
    e->p = p;
    e->key = key;
    e->path = apr_psprintf(p, "%s/%s.j", j->dir, key);
    if (!durable) {
        unsigned no;
        int fd = spare_take(j, &no);
        if (fd >= 0) {
            char name[4096];
            spare_name(j, no, name, sizeof(name));
            if (write_whole(fd, body) == 0 && rename(name, e->path) == 0) {
                e->fd = fd;
                apr_pool_cleanup_register(p, e, entry_cleanup,
                                          apr_pool_cleanup_null);
                *out = e;
                return APR_SUCCESS;
            }
            unlink(name);
            close(fd);
        }
    }
    e->fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (e->fd < 0)
        goto fail;
    apr_pool_cleanup_register(p, e, entry_cleanup, apr_pool_cleanup_null);
    if (flock(e->fd, LOCK_EX) != 0 ||
        write_all(e->fd, "doanra-journal 1\n1\n", 19) != 0 ||
        write_all(e->fd, body, strlen(body)) != 0 ||
        (durable && fsync(e->fd) != 0) || rename(tmp, e->path) != 0) {
        unlink(tmp);
        goto fail;
    }
    if (durable)
        fsync_dir(j->dir);
    *out = e;
    return APR_SUCCESS;

fail:
    rv = APR_FROM_OS_ERROR(errno);
    ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                  "doanra: cannot write the journal entry %s in %s", key,
                  j->dir);
    if (e->fd >= 0)
        entry_cleanup(e);
    return rv ? rv : APR_EGENERAL;
}

static const char *ll(apr_pool_t *p, long long v)
{
    return apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)v);
}

apr_status_t doanra_journal_unchecked(doanra_journal *j, request_rec *r,
                                      const char *key,
                                      const doanra_config *c,
                                      const apr_array_header_t *fields,
                                      const char *mode, long today,
                                      doanra_journal_entry **out)
{
    apr_pool_t *p = r->pool;
    apr_array_header_t *recs = apr_array_make(p, 128, sizeof(const char *));
    char *ints;
    int i;

    rec_s(recs, p, "kind", "unchecked");
    rec_s(recs, p, "key", key);
    rec_s(recs, p, "time", ll(p, apr_time_now()));
    rec_s(recs, p, "location", r->uri);
    rec_s(recs, p, "user", r->user);
    rec_s(recs, p, "ip", r->useragent_ip);
    rec_s(recs, p, "mode", mode);
    rec_s(recs, p, "today", ll(p, today));
    /* The location's settings, as the rules will need them later. */
    ints = apr_psprintf(p, "%d %d %d %d %d %d %d %d %d", c->max_members,
                        c->max_trips_per_year, c->max_days_per_country,
                        c->max_countries, c->travel_days, c->min_lead_days,
                        c->region_level, c->lang, c->max_rows);
    rec_s(recs, p, "limits", ints);
    for (i = 0; i < DOANRA_R_COUNT; i++)
        rec_s(recs, p, "severity", apr_itoa(p, c->severity[i]));
    for (i = 0; i < DOANRA_F_COUNT; i++)
        rec_s(recs, p, "fieldname", c->field_names[i]);
    for (i = 0; c->key_leader_titles && i < c->key_leader_titles->nelts; i++)
        rec_s(recs, p, "title",
              APR_ARRAY_IDX(c->key_leader_titles, i, const char *));
    for (i = 0; fields && i < fields->nelts; i++) {
        const doanra_field *f = &APR_ARRAY_IDX(fields, i, doanra_field);
        rec_s(recs, p, f->is_file ? "file" : "name", f->name);
        rec(recs, p, "value", f->value,
            f->value ? (f->is_file ? strlen(f->value) : f->len) : 0);
    }
    return entry_write(j, r, key, recs, 1, out);
}

apr_status_t doanra_journal_intent(doanra_journal *j, request_rec *r,
                                   long long submission_id, long long trip_id,
                                   doanra_journal_entry **out)
{
    apr_pool_t *p = r->pool;
    apr_array_header_t *recs = apr_array_make(p, 16, sizeof(const char *));
    const char *key = doanra_journal_key(p);

    rec_s(recs, p, "kind", "intent");
    rec_s(recs, p, "key", key);
    rec_s(recs, p, "time", ll(p, apr_time_now()));
    rec_s(recs, p, "submission", ll(p, submission_id));
    rec_s(recs, p, "trip", ll(p, trip_id));
    /* Not fsynced: it guards against a killed process, which leaves the
     * page cache behind; a machine crash in this second can leave the trip
     * pending (sql/reports/unchecked-trips.sql lists old pending trips). */
    return entry_write(j, r, key, recs, 0, out);
}

apr_status_t doanra_journal_orphan(doanra_journal *j, request_rec *r,
                                   const char *key, int status, int accepted)
{
    apr_pool_t *p = r->pool;
    apr_array_header_t *recs = apr_array_make(p, 16, sizeof(const char *));
    doanra_journal_entry *e;
    apr_status_t rv;

    rec_s(recs, p, "kind", "orphan");
    rec_s(recs, p, "key", key);
    rec_s(recs, p, "time", ll(p, apr_time_now()));
    rv = entry_write(j, r, apr_pstrcat(p, key, "-o", NULL), recs, 1, &e);
    if (rv == APR_SUCCESS)
        rv = doanra_journal_finish(e, status, accepted);
    return rv;
}

apr_status_t doanra_journal_decision(doanra_journal *j, request_rec *r,
                                     const char *key,
                                     doanra_journal_entry **out)
{
    apr_pool_t *p = r->pool;
    apr_array_header_t *recs = apr_array_make(p, 8, sizeof(const char *));

    /* An orphan held by its request ("-d": a decision, not yet known to be
     * lost): if the process dies, the drain finds
     * the decision by key (settled as accepted: the backend may have had
     * it), or finds nothing committed and lets it go after the grace.
     * Not fsynced, like an intent: it guards against a killed process. */
    rec_s(recs, p, "kind", "orphan");
    rec_s(recs, p, "key", key);
    rec_s(recs, p, "time", ll(p, apr_time_now()));
    /* Its process is gone when the drain sees it: a transaction it left
     * open is rolled back, so a short wait for a commit in flight will do
     * (an orphan of a lost answer waits for a resumed server). */
    rec_s(recs, p, "grace", "10");
    return entry_write(j, r, apr_pstrcat(p, key, "-d", NULL), recs, 0, out);
}

apr_status_t doanra_journal_finish(doanra_journal_entry *e, int status,
                                   int accepted)
{
    apr_array_header_t *recs;
    const char *body;
    apr_status_t rv = APR_SUCCESS;

    if (!e || e->fd < 0)
        return APR_EINVAL;
    recs = apr_array_make(e->p, 8, sizeof(const char *));
    rec_s(recs, e->p, "status", apr_itoa(e->p, status));
    rec_s(recs, e->p, "accepted", accepted ? "1" : "0");
    body = apr_array_pstrcat(e->p, recs, 0);
    if (lseek(e->fd, 0, SEEK_END) < 0 ||
        write_all(e->fd, body, strlen(body)) != 0 || fsync(e->fd) != 0) {
        rv = APR_FROM_OS_ERROR(errno);
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, e->j->s,
                     "doanra: cannot add the backend's status %d to journal "
                     "entry %s; it will be settled as accepted",
                     status, e->path);
    }
    entry_cleanup(e);
    doanra_journal_kick(e->j);
    return rv;
}

void doanra_journal_discard(doanra_journal_entry *e)
{
    if (!e || e->fd < 0)
        return;
    if (spare_give(e->j, e->fd, e->path)) {
        e->fd = -1; /* the spare's now */
        return;
    }
    unlink(e->path);
    entry_cleanup(e);
}

doanra_journal_entry *doanra_journal_detach(doanra_journal_entry *e)
{
    apr_pool_t *np;
    doanra_journal_entry *d;

    if (!e || e->fd < 0 || !(np = doanra_pool_own()))
        return NULL;
    d = apr_pcalloc(np, sizeof(*d));
    d->j = e->j;
    d->p = np;
    d->key = apr_pstrdup(np, e->key);
    d->path = apr_pstrdup(np, e->path);
    d->fd = e->fd;
    apr_pool_cleanup_kill(e->p, e, entry_cleanup);
    e->fd = -1;
    apr_pool_cleanup_register(np, d, entry_cleanup, apr_pool_cleanup_null);
    return d;
}

void doanra_journal_free(doanra_journal_entry *d)
{
    if (d)
        apr_pool_destroy(d->p);
}

/* ------------------------------------------------------------------ */
/* Draining                                                             */
/* ------------------------------------------------------------------ */

/* A request_rec good enough for the store and the log, outside any
 * request: the drain writes entries with the store's own functions. */
static request_rec *drain_request(apr_pool_t *p, server_rec *s,
                                  const char *uri, const char *ip)
{
    conn_rec *c = apr_pcalloc(p, sizeof(*c));
    request_rec *r = apr_pcalloc(p, sizeof(*r));

    c->pool = p;
    c->base_server = s;
    c->client_ip = (char *)(ip && *ip ? ip : "-");
    c->local_ip = "-";
    c->log = &s->log;
    c->notes = apr_table_make(p, 1);
    r->pool = p;
    r->connection = c;
    r->server = s;
    r->log = &s->log;
    r->uri = apr_pstrdup(p, uri && *uri ? uri : "/");
    r->unparsed_uri = r->uri;
    r->useragent_ip = c->client_ip;
    r->method = "POST";
    r->the_request = "doanra journal";
    r->headers_in = apr_table_make(p, 1);
    r->headers_out = apr_table_make(p, 1);
    r->err_headers_out = apr_table_make(p, 1);
    r->notes = apr_table_make(p, 1);
    r->subprocess_env = apr_table_make(p, 1);
    r->request_time = apr_time_now();
    return r;
}

/* The answer recorded in the entry: 1 with *status and *accepted, or 0 when
 * the process that held it died before it knew (unknown: accepted, status
 * NULL). */
static int entry_answer(const apr_array_header_t *rs, int *status,
                        int *accepted)
{
    const char *s = rec_get(rs, "status"), *a = rec_get(rs, "accepted");
    if (!s || !a) {
        *status = -1;
        *accepted = 1;
        return 0;
    }
    *status = atoi(s);
    *accepted = a[0] == '1';
    return 1;
}

/* Write one unchecked submission in: 0 done (or already in), -1 failed. */
static int drain_unchecked(doanra_journal *j, apr_pool_t *p,
                           const apr_array_header_t *rs)
{
    const char *key = rec_get(rs, "key");
    const char *limits = rec_get(rs, "limits");
    request_rec *r =
        drain_request(p, j->s, rec_get(rs, "location"), rec_get(rs, "ip"));
    doanra_config c;
    apr_array_header_t *titles = apr_array_make(p, 8, sizeof(const char *));
    apr_array_header_t *fields = apr_array_make(p, 32, sizeof(doanra_field));
    apr_array_header_t *findings =
        apr_array_make(p, 8, sizeof(doanra_finding));
    doanra_decide_request req;
    doanra_decide_result out;
    doanra_trip *trip;
    int i, nsev = 0, nf = 0, status, accepted, known;
    long today;

    if (!key || !limits)
        return 0; /* not ours to understand: dropped below */
    known = doanra_store_journal_known(j->st, r, key);
    if (known < 0)
        return -1;
    if (known) {
        /* Written in before a crash took the file's removal, or recorded
         * by the request itself, whose commit's answer was lost: settle it
         * (a no-op unless still pending). */
        entry_answer(rs, &status, &accepted);
        return doanra_store_settle_key(j->st, r, key, status, accepted) ==
                       APR_SUCCESS
                   ? 0
                   : -1; /* found just above: NOTFOUND cannot be */
    }

    memset(&c, 0, sizeof(c));
    doanra_config_defaults(p, &c);
    sscanf(limits, "%d %d %d %d %d %d %d %d %d", &c.max_members,
           &c.max_trips_per_year, &c.max_days_per_country, &c.max_countries,
           &c.travel_days, &c.min_lead_days, &c.region_level, &c.lang,
           &c.max_rows);
    for (i = 0; i < rs->nelts; i++) {
        const record *x = &APR_ARRAY_IDX(rs, i, record);
        if (!strcmp(x->tag, "severity") && nsev < DOANRA_R_COUNT)
            c.severity[nsev++] = atoi(x->val);
        else if (!strcmp(x->tag, "fieldname") && nf < DOANRA_F_COUNT)
            c.field_names[nf++] = x->val;
        else if (!strcmp(x->tag, "title"))
            APR_ARRAY_PUSH(titles, const char *) = x->val;
        else if ((!strcmp(x->tag, "name") || !strcmp(x->tag, "file")) &&
                 i + 1 < rs->nelts &&
                 !strcmp(APR_ARRAY_IDX(rs, i + 1, record).tag, "value")) {
            const record *v = &APR_ARRAY_IDX(rs, i + 1, record);
            doanra_field *f = apr_array_push(fields);
            f->name = x->val;
            f->value = v->val;
            f->len = v->len;
            f->is_file = x->tag[0] == 'f';
            i++;
        }
    }
    c.key_leader_titles = titles;
    today = atol(rec_get(rs, "today") ? rec_get(rs, "today") : "0");
    entry_answer(rs, &status, &accepted);

    trip = doanra_trip_build(p, &c, doanra_store_countries(j->st, r), fields,
                             findings);
    memset(&req, 0, sizeof(req));
    req.location = r->uri;
    req.remote_user = rec_get(rs, "user");
    if (req.remote_user && !*req.remote_user)
        req.remote_user = NULL;
    req.client_ip = rec_get(rs, "ip");
    req.mode = rec_get(rs, "mode");
    req.fields_json = doanra_render_fields_json(p, fields);
    req.journal_key = key;
    req.journal_settle = 1;
    req.journal_status = status;
    req.journal_accepted = accepted;
    if (doanra_decide(j->st, r, &c, trip, findings, today, 1, 1, &req,
                      &out) != APR_SUCCESS)
        return -1;
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, j->s,
                 "doanra: journalled submission %s written in as submission "
                 "%" APR_INT64_T_FMT " (checked late: %s, rules %s, backend "
                 "status %s)",
                 key, (apr_int64_t)out.submission_id,
                 doanra_decision_name(out.decision),
                 doanra_rules_list(p, findings),
                 status >= 0 ? apr_itoa(p, status) : "unknown");
    return 0;
}

static int drain_intent(doanra_journal *j, apr_pool_t *p,
                        const apr_array_header_t *rs)
{
    const char *sid = rec_get(rs, "submission"), *tid = rec_get(rs, "trip");
    request_rec *r = drain_request(p, j->s, "/", NULL);
    int status, accepted, known = entry_answer(rs, &status, &accepted);

    if (!sid || !tid)
        return 0;
    if (doanra_store_settle(j->st, r, atoll(sid), atoll(tid), status,
                            accepted) != APR_SUCCESS)
        return -1;
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, j->s,
                 "doanra: journalled settle of submission %s written in "
                 "(backend status %s)",
                 sid, known ? apr_itoa(p, status) : "unknown: its process "
                                                      "died; counted");
    return 0;
}

/* One entry: 1 done (removed), 0 not ours now (locked), -1 database down. */
static int drain_one(doanra_journal *j, apr_pool_t *p, const char *name)
{
    const char *path = apr_psprintf(p, "%s/%s", j->dir, name);
    struct stat sb, sp;
    int fd, rc = 0;
    char *buf;
    apr_array_header_t *rs;
    const char *kind;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd); /* its request is still at it */
        return 0;
    }
    /* Another drain may have finished it between our open and our lock. */
    if (fstat(fd, &sb) != 0 || sb.st_nlink == 0 || stat(path, &sp) != 0 ||
        sp.st_ino != sb.st_ino) {
        close(fd);
        return 0;
    }
    buf = apr_palloc(p, (apr_size_t)sb.st_size + 1);
    if (read(fd, buf, (size_t)sb.st_size) != (ssize_t)sb.st_size) {
        close(fd);
        return 0;
    }
    rs = parse_records(p, buf, (apr_size_t)sb.st_size);
    kind = rec_get(rs, "kind");
    if (!rec_get(rs, "end")) {
        /* Cannot happen (renamed only when whole); keep it for a human. */
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, j->s,
                     "doanra: journal entry %s is incomplete; left in place",
                     path);
        rename(path, apr_pstrcat(p, path, ".bad", NULL));
        close(fd);
        return 0;
    }
    if (kind && !strcmp(kind, "unchecked"))
        rc = drain_unchecked(j, p, rs);
    else if (kind && !strcmp(kind, "intent"))
        rc = drain_intent(j, p, rs);
    else if (kind && !strcmp(kind, "orphan") && rec_get(rs, "key")) {
        int status, accepted;
        request_rec *r = drain_request(p, j->s, "/", NULL);
        const char *t = rec_get(rs, "time");
        apr_status_t srv;
        entry_answer(rs, &status, &accepted);
        srv = doanra_store_settle_key(j->st, r, rec_get(rs, "key"), status,
                                      accepted);
        if (srv == APR_SUCCESS)
            rc = 0;
        else if (srv == APR_NOTFOUND)
            /* Not committed (yet): looked for again until the grace ends. */
            rc = t && apr_time_now() - (apr_time_t)apr_atoi64(t) <
                          (rec_get(rs, "grace")
                               ? apr_time_from_sec(atoi(rec_get(rs, "grace")))
                               : ORPHAN_GRACE)
                     ? 2
                     : 0;
        else
            rc = -1;
    }
    if (rc == 0) {
        unlink(path);
        rc = 1;
    } else if (rc == 2) {
        rc = 0; /* kept for a later pass */
    }
    close(fd);
    return rc;
}

/* One pass over the directory; -1 when the database failed. */
static int drain_pass(doanra_journal *j, apr_pool_t *p)
{
    DIR *d = opendir(j->dir);
    struct dirent *de;
    apr_array_header_t *names = apr_array_make(p, 16, sizeof(const char *));
    apr_pool_t *ep;
    int i, rc = 0;

    if (!d)
        return 0;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n > 2 && !strcmp(de->d_name + n - 2, ".j"))
            APR_ARRAY_PUSH(names, const char *) = apr_pstrdup(p, de->d_name);
        else if (!strncmp(de->d_name, ".spare-", 7)) {
            /* A spare whose lock is free: its process is gone. */
            const char *sp = apr_psprintf(p, "%s/%s", j->dir, de->d_name);
            int fd = open(sp, O_RDONLY | O_CLOEXEC);
            if (fd >= 0) {
                if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                    unlink(sp);
                close(fd);
            }
        }
        else if (n > 4 && de->d_name[0] == '.' &&
                 !strcmp(de->d_name + n - 4, ".tmp")) {
            const char *tp = apr_psprintf(p, "%s/%s", j->dir, de->d_name);
            struct stat sb;
            int fd;
            if (stat(tp, &sb) == 0 &&
                apr_time_now() - apr_time_from_sec(sb.st_mtime) > TMP_STALE &&
                (fd = open(tp, O_RDONLY | O_CLOEXEC)) >= 0) {
                if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                    unlink(tp);
                close(fd);
            }
        }
    }
    closedir(d);
    /* Oldest first is not needed for correctness (each entry is whole);
     * names are random keys. */
    apr_pool_create(&ep, p);
    for (i = 0; i < names->nelts && rc >= 0; i++) {
        apr_pool_clear(ep);
        if (drain_one(j, ep, APR_ARRAY_IDX(names, i, const char *)) < 0)
            rc = -1;
    }
    apr_pool_destroy(ep);
    return rc;
}

static void *APR_THREAD_FUNC drain_thread(apr_thread_t *t, void *data)
{
    doanra_journal *j = data;
    apr_pool_t *p;
    apr_interval_time_t wait = DRAIN_EVERY;

    /* This thread's alone. */
    if (!(p = doanra_pool_own()))
        return NULL;
    for (;;) {
        apr_thread_mutex_lock(j->mutex);
        if (!j->stop && !j->kicked)
            apr_thread_cond_timedwait(j->cond, j->mutex, wait);
        j->kicked = 0;
        if (j->stop) {
            apr_thread_mutex_unlock(j->mutex);
            break;
        }
        apr_thread_mutex_unlock(j->mutex);
        apr_pool_clear(p);
        wait = drain_pass(j, p) < 0 ? DRAIN_BACKOFF : DRAIN_EVERY;
        spares_remove(j, 1);
    }
    apr_pool_destroy(p);
    return NULL;
}

void doanra_journal_kick(doanra_journal *j)
{
    if (!j)
        return;
    apr_thread_mutex_lock(j->mutex);
    j->kicked = 1;
    apr_thread_cond_signal(j->cond);
    apr_thread_mutex_unlock(j->mutex);
}

static apr_status_t journal_stop(void *data)
{
    doanra_journal *j = data;
    apr_status_t trv;

    apr_thread_mutex_lock(j->mutex);
    j->stop = 1;
    apr_thread_cond_signal(j->cond);
    apr_thread_mutex_unlock(j->mutex);
    if (j->thread) {
        /* At most one database wait (DoanraDatabaseTimeout) away. */
        apr_thread_join(&trv, j->thread);
        j->thread = NULL;
    }
    spares_remove(j, 0);
    return APR_SUCCESS;
}

apr_status_t doanra_journal_open(apr_pool_t *pchild, server_rec *s,
                                 const char *path, doanra_store *st,
                                 doanra_journal **out)
{
    doanra_journal *j = apr_pcalloc(pchild, sizeof(*j));
    apr_threadattr_t *attr;
    apr_status_t rv;

    *out = NULL;
    j->s = s;
    j->dir = apr_pstrdup(pchild, path);
    j->st = st;
    if ((rv = apr_thread_mutex_create(&j->mutex, APR_THREAD_MUTEX_DEFAULT,
                                      pchild)) != APR_SUCCESS ||
        (rv = apr_thread_cond_create(&j->cond, pchild)) != APR_SUCCESS)
        return rv;
    /* The directory is made in post_config; a child whose user cannot write
     * it finds out here, once. */
    if (access(j->dir, W_OK | X_OK) != 0) {
        rv = APR_FROM_OS_ERROR(errno);
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     "doanra: the journal directory %s is not writable by "
                     "this process (DoanraJournal)",
                     j->dir);
    }
    apr_threadattr_create(&attr, pchild);
    rv = apr_thread_create(&j->thread, attr, drain_thread, j, pchild);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     "doanra: cannot start the journal thread");
        j->thread = NULL;
    }
    /* Registered after the store's cleanups: runs before them, so the
     * thread is gone before the connections close. */
    apr_pool_cleanup_register(pchild, j, journal_stop, apr_pool_cleanup_null);
    *out = j;
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* Set-up (post_config, as the user Apache starts as)                   */
/* ------------------------------------------------------------------ */

/* Create dir (mode 0700); own: give it to the children's user even when
 * it existed (a directory of an admin's choosing is left as it is). */
static apr_status_t make_dir(apr_pool_t *p, server_rec *s, const char *dir,
                             int own)
{
    struct stat sb;
    int existed = stat(dir, &sb) == 0;
    apr_status_t rv = apr_dir_make_recursive(
        dir, APR_UREAD | APR_UWRITE | APR_UEXECUTE, p);
    if (rv != APR_SUCCESS && !APR_STATUS_IS_EEXIST(rv)) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, rv, s,
                     "doanra: cannot create the journal directory %s "
                     "(DoanraJournal)",
                     dir);
        return rv;
    }
    /* The children write it: give it to their user. */
    if (geteuid() == 0 && (own || !existed) &&
        chown(dir, ap_unixd_config.user_id, ap_unixd_config.group_id) != 0) {
        rv = APR_FROM_OS_ERROR(errno);
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, rv, s,
                     "doanra: cannot give the journal directory %s to the "
                     "server's User",
                     dir);
        return rv;
    }
    return APR_SUCCESS;
}

apr_status_t doanra_journal_prepare(apr_pool_t *p, server_rec *s,
                                    const char *dir, const char *conninfo,
                                    const char **path)
{
    apr_ssize_t len = (apr_ssize_t)strlen(conninfo);
    unsigned int h = apr_hashfunc_default(conninfo, &len);
    apr_status_t rv;

    /* One sub-directory per database: a server may have several. */
    *path = apr_psprintf(p, "%s/db-%08x", dir, h);
    if ((rv = make_dir(p, s, dir, 0)) != APR_SUCCESS)
        return rv;
    return make_dir(p, s, *path, 1);
}
