/*
 * journal.h - what the database could not take yet, kept on disk until it
 * can (SPEC section 5, "Nothing is lost, even under faults").
 *
 * A journal is a directory (DoanraJournal, one sub-directory per database)
 * with one file per entry, named by a unique key:
 *
 *   unchecked   a submission let through by DoanraOnDatabaseError allow
 *               while the database was unreachable: the location's
 *               settings, the submitted fields and the day, written and
 *               fsynced before the backend sees the request;
 *   intent      a trip recorded `pending` whose settle is still to come:
 *               written before the backend is called, removed once the
 *               settle is in the database.
 *
 * The request that writes an entry holds an flock(2) on it until it is
 * done with it; the kernel drops the lock when the process dies, however
 * it dies.  So an entry that can be locked belongs to nobody: either the
 * backend's answer was appended to it (the settle could not be written),
 * or its process was killed before it knew the answer.
 *
 * A thread per process drains the journal: it locks each free entry and
 * writes it into the database exactly once: an unchecked submission is
 * judged by every rule (the history rules it skipped included) and recorded
 * with its journal key, unique in doanra.submissions, in one transaction
 * with its settle; an intent is settled (settling is idempotent).  Only
 * then is the file removed, so a crash between the two leaves an entry
 * whose key is already in the database, which the next pass only removes.
 * An entry without the backend's answer is settled `submitted` with
 * backend_status NULL: the backend may have accepted it, and a trip it
 * accepted must count (SPEC: trips whose outcome is unknown).
 */
#ifndef DOANRA_JOURNAL_H
#define DOANRA_JOURNAL_H

#include "doanra.h"
#include "store.h"

#include <httpd.h>

typedef struct doanra_journal doanra_journal;
typedef struct doanra_journal_entry doanra_journal_entry;

/* The journal directory of the database with this conninfo under dir
 * (created, and given to the child processes' user when run as root).
 * Called in post_config; *path in p. */
apr_status_t doanra_journal_prepare(apr_pool_t *p, server_rec *s,
                                    const char *dir, const char *conninfo,
                                    const char **path);

/* The journal at path for store st, in a child process; starts the drain
 * thread, stopped and joined when pchild goes. */
apr_status_t doanra_journal_open(apr_pool_t *pchild, server_rec *s,
                                 const char *path, doanra_store *st,
                                 doanra_journal **out);

/* An unchecked submission, written and fsynced; *out is held (locked)
 * until doanra_journal_finish. */
apr_status_t doanra_journal_unchecked(doanra_journal *j, request_rec *r,
                                      const char *key,
                                      const doanra_config *c,
                                      const apr_array_header_t *fields,
                                      const char *mode, long today,
                                      doanra_journal_entry **out);

/* The settle still to come of a recorded trip; *out is held until
 * doanra_journal_finish or doanra_journal_discard. */
apr_status_t doanra_journal_intent(doanra_journal *j, request_rec *r,
                                   long long submission_id, long long trip_id,
                                   doanra_journal_entry **out);

/* A decision whose commit may have happened although the module saw it
 * fail (the answer was lost or late): recorded under key, it is settled
 * with status/accepted when the database answers again (written and let
 * go at once). */
apr_status_t doanra_journal_orphan(doanra_journal *j, request_rec *r,
                                   const char *key, int status, int accepted);

/* A decision about to be recorded under key: written before the
 * database is asked, so a process killed between the commit and the
 * settle leaves it behind; *out is held until doanra_journal_finish or
 * doanra_journal_discard.  Serves as the settle's intent when the
 * submission is let through (the drain settles by key). */
apr_status_t doanra_journal_decision(doanra_journal *j, request_rec *r,
                                     const char *key,
                                     doanra_journal_entry **out);

/* A new unique key (a UUID), for a decision and its journal entries. */
const char *doanra_journal_key(apr_pool_t *p);

/* The backend answered: its status is appended (fsynced) and the entry let
 * go, for the drain to write. */
apr_status_t doanra_journal_finish(doanra_journal_entry *e, int status,
                                   int accepted);

/* The entry's work is in the database: remove it. */
void doanra_journal_discard(doanra_journal_entry *e);

/* Take a held entry out of its request's pool, for a thread that settles
 * it after the request is gone (settle.c): the lock stays held.  NULL when
 * e is not held or memory runs out (e is then unchanged).  Free it with
 * doanra_journal_free after doanra_journal_finish or _discard (freeing a
 * held one lets it go for the drain). */
doanra_journal_entry *doanra_journal_detach(doanra_journal_entry *e);
void doanra_journal_free(doanra_journal_entry *d);

/* Wake the drain thread (the database answered again). */
void doanra_journal_kick(doanra_journal *j);

#endif /* DOANRA_JOURNAL_H */
