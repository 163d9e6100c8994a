/*
 * settle.c - the settling thread (see settle.h).
 *
 * A queue under a mutex; the thread takes whatever is waiting and writes
 * it with doanra_store_settle_batch, while the next ones queue up: a
 * group commit.  Nothing waits on purpose, so one request alone is
 * settled as soon as it would have been by itself, and under load each
 * commit carries the settles that arrived during the previous one.  A batch that fails
 * as a whole is settled one by one, so one bad item (a reference the
 * database refuses) cannot hold back the others; what still fails goes to
 * the journal.  The queue is bounded: past SETTLE_QUEUE_MAX a request
 * settles by itself, as before the thread existed.
 */
#include "settle.h"
#include "shell.h"

#include <http_log.h>

#include <apr_strings.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>

#include <stdlib.h>
#include <string.h>

APLOG_USE_MODULE(doanra);

#define SETTLE_QUEUE_MAX 4096

typedef struct item {
    struct item *next;
    doanra_settle_item s;
    doanra_journal_entry *entry; /* detached, or NULL */
} item;

struct doanra_settler {
    server_rec *s;
    doanra_store *st;
    doanra_journal *journal;
    apr_thread_mutex_t *mutex;
    apr_thread_cond_t *cond;
    apr_thread_t *thread;
    item *head, *tail; /* guarded by mutex */
    int n;
    int stopping;
};

static void item_free(item *it)
{
    doanra_journal_free(it->entry);
    free((char *)it->s.reference);
    free(it);
}

/* The batch is in the database: the journal entries go. */
static void batch_done(item *list)
{
    while (list) {
        item *next = list->next;
        doanra_journal_discard(list->entry);
        item_free(list);
        list = next;
    }
}

/* One item by itself; when the database cannot take it, its answer goes
 * to the journal entry for the drain. */
static void settle_one(doanra_settler *q, apr_pool_t *p, item *it, int write)
{
    if (write &&
        doanra_store_settle_batch(q->st, p, &it->s, 1) == APR_SUCCESS) {
        doanra_journal_discard(it->entry);
        return;
    }
    if (it->entry &&
        doanra_journal_finish(it->entry, it->s.backend_status,
                              it->s.accepted) == APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, q->s,
                     "doanra: submission %" APR_INT64_T_FMT
                     " could not be settled with status %d; journalled, "
                     "settled when the database is back",
                     (apr_int64_t)it->s.submission_id, it->s.backend_status);
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, q->s,
                 "doanra: submission %" APR_INT64_T_FMT
                 " could not be settled with status %d; and the journal "
                 "failed: its trip stays pending",
                 (apr_int64_t)it->s.submission_id, it->s.backend_status);
}

static void write_batch(doanra_settler *q, apr_pool_t *p, item *list, int n)
{
    doanra_settle_item *v = apr_palloc(p, sizeof(*v) * n);
    item *it;
    apr_status_t rv;
    int i = 0;

    for (it = list; it; it = it->next)
        v[i++] = it->s;
    rv = doanra_store_settle_batch(q->st, p, v, n);
    if (rv == APR_SUCCESS) {
        batch_done(list);
        return;
    }
    /* One bad item: the others one by one.  The database down: all to
     * the journal at once, no wait per item. */
    while (list) {
        item *next = list->next;
        settle_one(q, p, list, rv == APR_EINVAL && n > 1);
        item_free(list);
        list = next;
    }
}

static void *APR_THREAD_FUNC settler_main(apr_thread_t *thd, void *data)
{
    doanra_settler *q = data;
    apr_pool_t *p;

    /* This thread's alone. */
    if (!(p = doanra_pool_own()))
        return NULL;
    for (;;) {
        item *list;
        int n, stop;

        apr_thread_mutex_lock(q->mutex);
        while (!q->head && !q->stopping)
            apr_thread_cond_wait(q->cond, q->mutex);
        list = q->head;
        n = q->n;
        q->head = q->tail = NULL;
        q->n = 0;
        stop = q->stopping;
        apr_thread_mutex_unlock(q->mutex);

        if (list)
            write_batch(q, p, list, n);
        apr_pool_clear(p);
        if (stop && !list)
            break;
    }
    apr_pool_destroy(p);
    return NULL;
}

static apr_status_t settler_stop(void *data)
{
    doanra_settler *q = data;
    apr_status_t rv;

    apr_thread_mutex_lock(q->mutex);
    q->stopping = 1;
    apr_thread_cond_signal(q->cond);
    apr_thread_mutex_unlock(q->mutex);
    apr_thread_join(&rv, q->thread);
    return APR_SUCCESS;
}

apr_status_t doanra_settler_start(apr_pool_t *pchild, server_rec *s,
                                  doanra_store *st, doanra_journal *journal,
                                  doanra_settler **out)
{
    doanra_settler *q = apr_pcalloc(pchild, sizeof(*q));
    apr_status_t rv;

    *out = NULL;
    q->s = s;
    q->st = st;
    q->journal = journal;
    if ((rv = apr_thread_mutex_create(&q->mutex, APR_THREAD_MUTEX_DEFAULT,
                                      pchild)) != APR_SUCCESS ||
        (rv = apr_thread_cond_create(&q->cond, pchild)) != APR_SUCCESS ||
        (rv = apr_thread_create(&q->thread, NULL, settler_main, q,
                                pchild)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     "doanra: cannot start the settling thread; requests "
                     "settle by themselves");
        return rv;
    }
    /* A pre-cleanup: the queue is flushed and the thread joined before
     * anything of pchild goes, the store's connections included. */
    apr_pool_pre_cleanup_register(pchild, q, settler_stop);
    *out = q;
    return APR_SUCCESS;
}

void doanra_settler_add(doanra_settler *q, apr_pool_t *p,
                        const doanra_settle_item *s,
                        doanra_journal_entry *entry)
{
    item *it = calloc(1, sizeof(*it));
    int queued = 0;

    if (!it) {
        item tmp;
        memset(&tmp, 0, sizeof(tmp));
        tmp.s = *s;
        tmp.entry = entry;
        settle_one(q, p, &tmp, 1);
        return;
    }
    it->s = *s;
    it->s.reference = s->reference ? strdup(s->reference) : NULL;
    /* Out of memory: the request keeps its entry, let go with its pool
     * for the drain (settling twice changes nothing). */
    it->entry = entry ? doanra_journal_detach(entry) : NULL;
    apr_thread_mutex_lock(q->mutex);
    if (!q->stopping && q->n < SETTLE_QUEUE_MAX) {
        if (q->tail)
            q->tail->next = it;
        else
            q->head = it;
        q->tail = it;
        if (++q->n == 1)
            apr_thread_cond_signal(q->cond);
        queued = 1;
    }
    apr_thread_mutex_unlock(q->mutex);
    if (!queued) {
        /* Stopping, or the database is far behind: settle here. */
        settle_one(q, p, it, 1);
        item_free(it);
    }
}
