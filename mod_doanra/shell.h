/*
 * shell.h - what the Apache-facing files of mod_doanra share: the body
 * capture, the injection filter and a pool helper (the configuration is
 * config.h, the database store.h).  The core never includes it.
 */
#ifndef DOANRA_SHELL_H
#define DOANRA_SHELL_H

#include "doanra.h"

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <util_filter.h>

/* -------- store.c: shared helpers ------------------------------------ */

/* A pool with an allocator of its own, tied to no other pool: for one
 * thread at a time (a thread's scratch, an object handed from a request to
 * a thread).  Destroy it with apr_pool_destroy.  NULL when out of memory. */
apr_pool_t *doanra_pool_own(void);

/* -------- capture.c: read the request body once, replay it ---------- */

typedef enum {
    DOANRA_CAPTURE_OK = 0,
    DOANRA_CAPTURE_TOO_LARGE, /* over the limit: 413 */
    DOANRA_CAPTURE_ERROR      /* read error / client gone / bad chunking */
} doanra_capture_status;

/* Read the whole request body of r (Content-Length or chunked) into one
 * contiguous buffer in r->pool, at most limit bytes, and arrange for the
 * handler to receive exactly the same bytes: a DOANRA_REPLAY input filter
 * is inserted, Content-Length set to the body length and Transfer-Encoding
 * removed.  *http_status receives the status to answer with on error
 * (413, 400 or the mapped filter error). */
doanra_capture_status doanra_capture_body(request_rec *r, apr_off_t limit,
                                          const char **body, apr_size_t *len,
                                          int *http_status);
/* Serve body[0..len) again to the handler of r (an internal redirect drops
 * the request's input filters): inserts a fresh DOANRA_REPLAY filter. */
void doanra_capture_replay(request_rec *r, const char *body, apr_size_t len);
/* Register the DOANRA_REPLAY input filter (register_hooks). */
void doanra_capture_register(void);

/* -------- inject.c: place the result block into the backend's HTML -- */

/* Register the DOANRA_INJECT output filter (register_hooks). */
void doanra_inject_register(void);
/* Add the injection filter to r with the given block.  The filter decides
 * on its first brigade whether the response is HTML it may change
 * (text/html, status 200 or block_status, not HEAD, not a subrequest) and
 * otherwise removes itself.  A gzip-encoded backend page is inflated with
 * mod_deflate's INFLATE filter when it is loaded. */
void doanra_inject_add(request_rec *r, const char *block);
/* Ask the backend for an unencoded page (Accept-Encoding removed), so the
 * block can be placed without inflating. */
void doanra_inject_prepare_request(request_rec *r);

#endif /* DOANRA_SHELL_H */
