/*
 * settle.h - settling accepted submissions off the request's path.
 *
 * A submission the backend accepted moves its trip from `pending` to
 * `submitted`; both count against the quotas, so nothing waits for that
 * move, and a thread per process writes the accepted settles of many
 * requests in one transaction (one durable commit for all, instead of one
 * per request).  Only registrations go this way: a refusal (`void`) frees
 * the people's quota, and a later step (SPEC section 8) is what the next
 * step of the same trip reads, so both are still written by the request
 * itself, before its connection takes another request.
 *
 * Nothing is lost: a request's journal entry (journal.h) is handed to the
 * thread with the settle and removed only once the batch is committed;
 * when the database cannot take it, the backend's answer is appended to
 * the entry for the journal's drain.  The queue is flushed when the
 * process stops (graceful or not); a process killed outright leaves its
 * entries to the drain, which settles them as accepted.
 */
#ifndef DOANRA_SETTLE_H
#define DOANRA_SETTLE_H

#include "store.h"
#include "journal.h"

typedef struct doanra_settler doanra_settler;

/* Start the settling thread of store st (journal may be NULL), stopped,
 * flushed and joined when pchild goes. */
apr_status_t doanra_settler_start(apr_pool_t *pchild, server_rec *s,
                                  doanra_store *st, doanra_journal *journal,
                                  doanra_settler **out);

/* Settle one accepted submission: queued for the thread, which takes
 * over entry (held, from the request; may be NULL); when the queue is
 * full or stopping, settled here at once, in p. */
void doanra_settler_add(doanra_settler *q, apr_pool_t *p,
                        const doanra_settle_item *item,
                        doanra_journal_entry *entry);

#endif /* DOANRA_SETTLE_H */
