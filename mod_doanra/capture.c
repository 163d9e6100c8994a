/*
 * capture.c - read a request body once, within a limit, and hand the very
 * same bytes to the handler afterwards.
 *
 * The module must judge a submission before the backend sees it, so the
 * body is read in fixups, through the request's input filters (HTTP_IN
 * de-chunks it and answers Expect: 100-continue), into one buffer in
 * r->pool.  The DOANRA_REPLAY input filter then serves that buffer to
 * whoever reads the body next (mod_proxy, mod_cgi, a handler), honouring
 * the amount asked for, and ends it with EOS.  The buffer is the only copy:
 * replayed buckets point into it.
 *
 * The replayed body is no longer chunked: Content-Length is set to its
 * length and Transfer-Encoding removed, because CGI and FastCGI backends
 * need the length.
 */
#include "shell.h"

#include <apr_strings.h>
#include <http_protocol.h>
#include <http_request.h>

#include <string.h>

APLOG_USE_MODULE(doanra);

#define REPLAY_FILTER "DOANRA_REPLAY"

typedef struct {
    const char *body;
    apr_size_t len;
    apr_size_t off; /* next byte to serve */
} replay_ctx;

static ap_filter_rec_t *replay_frec;

static apr_status_t replay_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                                  ap_input_mode_t mode,
                                  apr_read_type_e block, apr_off_t readbytes)
{
    replay_ctx *ctx = f->ctx;
    apr_bucket_alloc_t *ba = f->c->bucket_alloc;
    apr_size_t left, n;

    switch (mode) {
    case AP_MODE_READBYTES:
    case AP_MODE_SPECULATIVE:
    case AP_MODE_GETLINE:
    case AP_MODE_EXHAUSTIVE:
        break;
    default:
        /* EATCRLF, INIT: nothing of ours; the connection decides. */
        return ap_get_brigade(f->next, bb, mode, block, readbytes);
    }

    left = ctx->len - ctx->off;
    if (left == 0) {
        /* Spent: the body is over, say so on every read rather than hand
         * back an empty brigade (a blocking reader would spin on it). */
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(ba));
        return APR_SUCCESS;
    }

    n = left;
    if (mode == AP_MODE_GETLINE) {
        const char *nl = memchr(ctx->body + ctx->off, '\n', left);
        if (nl)
            n = (apr_size_t)(nl - (ctx->body + ctx->off)) + 1;
    }
    if (mode != AP_MODE_EXHAUSTIVE && readbytes > 0 &&
        (apr_off_t)n > readbytes)
        n = (apr_size_t)readbytes;

    /* A pool bucket on the buffer: no copy, and should a consumer keep it
     * past r->pool, APR moves it to the heap first. */
    APR_BRIGADE_INSERT_TAIL(
        bb, apr_bucket_pool_create(ctx->body + ctx->off, n, f->r->pool, ba));
    if (mode != AP_MODE_SPECULATIVE) {
        ctx->off += n;
        if (ctx->off == ctx->len)
            APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(ba));
    }
    return APR_SUCCESS;
}

void doanra_capture_replay(request_rec *r, const char *body, apr_size_t len)
{
    replay_ctx *ctx = apr_pcalloc(r->pool, sizeof(*ctx));
    ap_filter_t *f;

    /* One replay per request: a second one would serve the body twice. */
    for (f = r->input_filters; f; f = f->next)
        if (f->frec == replay_frec && f->r == r)
            ap_remove_input_filter(f);
    ctx->body = body;
    ctx->len = len;
    ap_add_input_filter_handle(replay_frec, ctx, r, r->connection);
}

/* Content-Length as sent, or -1 when absent or not a plain number. */
static apr_off_t declared_length(request_rec *r)
{
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    apr_off_t v;
    char *end;

    if (!cl || apr_table_get(r->headers_in, "Transfer-Encoding"))
        return -1;
    if (apr_strtoff(&v, cl, &end, 10) != APR_SUCCESS || end == cl ||
        *end || v < 0)
        return -1;
    return v;
}

doanra_capture_status doanra_capture_body(request_rec *r, apr_off_t limit,
                                          const char **body, apr_size_t *len,
                                          int *http_status)
{
    apr_bucket_alloc_t *ba = r->connection->bucket_alloc;
    apr_bucket_brigade *bb, *kept = NULL;
    apr_off_t declared = declared_length(r), total = 0;
    char *buf = NULL;
    int eos = 0;
    apr_status_t rv;

    *body = "";
    *len = 0;
    *http_status = HTTP_OK;

    /* Known to be too large: refuse before reading a byte (no 100-continue
     * is sent, the client need not upload it). */
    if (declared > limit) {
        *http_status = HTTP_REQUEST_ENTITY_TOO_LARGE;
        return DOANRA_CAPTURE_TOO_LARGE;
    }
    /* With a declared length the bytes go straight into their final
     * buffer; a chunked body is kept as the buckets HTTP_IN made (no copy)
     * and flattened once at the end. */
    if (declared >= 0)
        buf = apr_palloc(r->pool, (apr_size_t)declared + 1);
    else
        kept = apr_brigade_create(r->pool, ba);

    bb = apr_brigade_create(r->pool, ba);
    while (!eos) {
        apr_bucket *e;

        rv = ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES,
                            APR_BLOCK_READ, HUGE_STRING_LEN);
        if (rv != APR_SUCCESS) {
            *http_status = ap_map_http_request_error(rv, HTTP_BAD_REQUEST);
            ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r,
                          "doanra: reading the request body failed after %"
                          APR_OFF_T_FMT " bytes",
                          total);
            goto fail;
        }
        if (APR_BRIGADE_EMPTY(bb)) {
            /* Not expected on a blocking read; do not spin on it. */
            *http_status = HTTP_BAD_REQUEST;
            goto fail;
        }
        while (!APR_BRIGADE_EMPTY(bb)) {
            const char *data;
            apr_size_t n;

            e = APR_BRIGADE_FIRST(bb);
            if (APR_BUCKET_IS_EOS(e)) {
                eos = 1;
                apr_bucket_delete(e);
                continue;
            }
            if (APR_BUCKET_IS_METADATA(e)) {
                apr_bucket_delete(e);
                continue;
            }
            rv = apr_bucket_read(e, &data, &n, APR_BLOCK_READ);
            if (rv != APR_SUCCESS) {
                *http_status = ap_map_http_request_error(rv, HTTP_BAD_REQUEST);
                goto fail;
            }
            if (total + (apr_off_t)n > limit) {
                *http_status = HTTP_REQUEST_ENTITY_TOO_LARGE;
                apr_brigade_cleanup(bb);
                if (kept)
                    apr_brigade_destroy(kept);
                return DOANRA_CAPTURE_TOO_LARGE;
            }
            if (buf) {
                if (total + (apr_off_t)n > declared) {
                    /* More than announced: HTTP_IN should never allow it. */
                    *http_status = HTTP_BAD_REQUEST;
                    goto fail;
                }
                memcpy(buf + total, data, n);
                apr_bucket_delete(e);
            } else {
                rv = apr_bucket_setaside(e, r->pool);
                if (rv != APR_SUCCESS && rv != APR_ENOTIMPL) {
                    *http_status = HTTP_INTERNAL_SERVER_ERROR;
                    goto fail;
                }
                APR_BUCKET_REMOVE(e);
                APR_BRIGADE_INSERT_TAIL(kept, e);
            }
            total += n;
        }
    }
    apr_brigade_destroy(bb);

    if (kept) {
        apr_size_t got = (apr_size_t)total;
        buf = apr_palloc(r->pool, got + 1);
        rv = apr_brigade_flatten(kept, buf, &got);
        apr_brigade_destroy(kept);
        if (rv != APR_SUCCESS || got != (apr_size_t)total) {
            *http_status = HTTP_INTERNAL_SERVER_ERROR;
            return DOANRA_CAPTURE_ERROR;
        }
    } else if (total != declared) {
        /* HTTP_IN ends a short body with an error, not EOS; be safe. */
        *http_status = HTTP_BAD_REQUEST;
        return DOANRA_CAPTURE_ERROR;
    }
    buf[total] = '\0';

    *body = buf;
    *len = (apr_size_t)total;
    apr_table_setn(r->headers_in, "Content-Length",
                   apr_off_t_toa(r->pool, total));
    apr_table_unset(r->headers_in, "Transfer-Encoding");
    doanra_capture_replay(r, buf, (apr_size_t)total);
    return DOANRA_CAPTURE_OK;

fail:
    apr_brigade_cleanup(bb);
    if (kept)
        apr_brigade_destroy(kept);
    return DOANRA_CAPTURE_ERROR;
}

void doanra_capture_register(void)
{
    /* Below the resource filters (an INFLATE the admin sets on the input
     * still sees the raw body) and above HTTP_IN, which is spent. */
    replay_frec = ap_register_input_filter(REPLAY_FILTER, replay_filter, NULL,
                                           AP_FTYPE_CONTENT_SET);
}
