/*
 * capture.c - read a request body once, within a limit, and hand the very
 * same bytes to the handler afterwards.
 *
 * The module must judge a submission before the backend sees it, so the
 * body is read just before the handler runs (insert_filter), through the
 * request's input filters (HTTP_IN de-chunks it and answers Expect:
 * 100-continue; mod_deflate's DEFLATE, when the admin set it, inflates it),
 * into one buffer in r->pool.  The DOANRA_REPLAY input filter, a resource
 * filter above those, then serves that buffer to whoever reads the body
 * next (mod_proxy, mod_cgi, a handler), honouring the amount asked for, and
 * ends it with EOS: the backend gets what it would have got without the
 * module.  The buffer is the only copy: replayed buckets point into it.
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
    const char *body; /* NULL while the body is being captured */
    apr_size_t len;
    apr_size_t off;     /* next byte to serve */
    apr_status_t error; /* the read failed: served after the bytes read */
} replay_ctx;

static ap_filter_rec_t *replay_frec;

static apr_status_t replay_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                                  ap_input_mode_t mode,
                                  apr_read_type_e block, apr_off_t readbytes)
{
    replay_ctx *ctx = f->ctx;
    apr_bucket_alloc_t *ba = f->c->bucket_alloc;
    apr_size_t left, n;

    if (!ctx->body) /* still capturing: not ours yet */
        return ap_get_brigade(f->next, bb, mode, block, readbytes);
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
    if (left == 0 && ctx->error != APR_SUCCESS)
        return ctx->error; /* as the handler would have seen it */
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
        if (ctx->off == ctx->len && ctx->error == APR_SUCCESS)
            APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(ba));
    }
    return APR_SUCCESS;
}

/* Put a (still empty) replay filter into r's input chain; returns it. */
static ap_filter_t *add_replay(request_rec *r)
{
    replay_ctx *ctx = apr_pcalloc(r->pool, sizeof(*ctx));
    ap_filter_t *f;

    /* One replay per request: a second one would serve the body twice. */
    for (f = r->input_filters; f; f = f->next)
        if (f->frec == replay_frec && f->r == r)
            ap_remove_input_filter(f);
    return ap_add_input_filter_handle(replay_frec, ctx, r, r->connection);
}

void doanra_capture_replay(request_rec *r, const char *body, apr_size_t len)
{
    replay_ctx *ctx = add_replay(r)->ctx;

    ctx->body = body;
    ctx->len = len;
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

/* Headers the input filters may change while reading (mod_deflate
 * removes Content-Length and Content-Encoding once it inflates): restored
 * when the read fails, so a handler that still runs sets up its read as it
 * would have without the module. */
static const char *const framing[] = {"Content-Length", "Content-Encoding",
                                      "Content-MD5", "Transfer-Encoding"};
#define NFRAMING (sizeof(framing) / sizeof(framing[0]))

/* One body being captured. */
typedef struct {
    request_rec *r;
    apr_off_t limit;
    apr_off_t declared; /* Content-Length, or -1 */
    apr_off_t total;    /* bytes read so far */
    ap_filter_t *replay;
    replay_ctx *ctx;
    const char *framing_was[NFRAMING];
    /* With a declared length the bytes go straight into their final
     * buffer (buf); otherwise the buckets are kept as read (kept). */
    char *buf;
    apr_bucket_brigade *bb, *kept;
    apr_status_t rv; /* of the last read: what the replay fails with */
    int *http_status;
} capture;

/* Take one data bucket e of cp->bb: copied into the buffer or kept.
 * DOANRA_CAPTURE_OK to go on, TOO_LARGE (given up, nothing to undo) or
 * ERROR (*cp->http_status set; the caller undoes the capture). */
static doanra_capture_status take_bucket(capture *cp, apr_bucket *e)
{
    const char *data;
    apr_size_t n;

    cp->rv = apr_bucket_read(e, &data, &n, APR_BLOCK_READ);
    if (cp->rv != APR_SUCCESS) {
        *cp->http_status = ap_map_http_request_error(cp->rv, HTTP_BAD_REQUEST);
        return DOANRA_CAPTURE_ERROR;
    }
    if (cp->total + (apr_off_t)n > cp->limit) {
        *cp->http_status = HTTP_REQUEST_ENTITY_TOO_LARGE;
        apr_brigade_cleanup(cp->bb);
        if (cp->kept)
            apr_brigade_destroy(cp->kept);
        return DOANRA_CAPTURE_TOO_LARGE;
    }
    if (cp->buf) {
        if (cp->total + (apr_off_t)n > cp->declared) {
            /* More than announced: HTTP_IN should never allow it. */
            *cp->http_status = HTTP_BAD_REQUEST;
            return DOANRA_CAPTURE_ERROR;
        }
        memcpy(cp->buf + cp->total, data, n);
        apr_bucket_delete(e);
    } else {
        cp->rv = apr_bucket_setaside(e, cp->r->pool);
        if (cp->rv != APR_SUCCESS && cp->rv != APR_ENOTIMPL) {
            *cp->http_status = HTTP_INTERNAL_SERVER_ERROR;
            return DOANRA_CAPTURE_ERROR;
        }
        APR_BUCKET_REMOVE(e);
        APR_BRIGADE_INSERT_TAIL(cp->kept, e);
    }
    cp->total += n;
    return DOANRA_CAPTURE_OK;
}

/* Read the body from the filter below the replay up to EOS.  Returns as
 * take_bucket does, DOANRA_CAPTURE_OK once the whole body is in. */
static doanra_capture_status read_body(capture *cp)
{
    doanra_capture_status cs;
    int eos = 0;

    while (!eos) {
        cp->rv = ap_get_brigade(cp->replay->next, cp->bb, AP_MODE_READBYTES,
                                APR_BLOCK_READ, HUGE_STRING_LEN);
        if (cp->rv != APR_SUCCESS) {
            *cp->http_status =
                ap_map_http_request_error(cp->rv, HTTP_BAD_REQUEST);
            ap_log_rerror(APLOG_MARK, APLOG_INFO, cp->rv, cp->r,
                          "doanra: reading the request body failed after %"
                          APR_OFF_T_FMT " bytes",
                          cp->total);
            return DOANRA_CAPTURE_ERROR;
        }
        if (APR_BRIGADE_EMPTY(cp->bb)) {
            /* Not expected on a blocking read; do not spin on it. */
            *cp->http_status = HTTP_BAD_REQUEST;
            return DOANRA_CAPTURE_ERROR;
        }
        while (!APR_BRIGADE_EMPTY(cp->bb)) {
            apr_bucket *e = APR_BRIGADE_FIRST(cp->bb);

            if (APR_BUCKET_IS_EOS(e)) {
                eos = 1;
                apr_bucket_delete(e);
                continue;
            }
            if (APR_BUCKET_IS_METADATA(e)) {
                apr_bucket_delete(e);
                continue;
            }
            cs = take_bucket(cp, e);
            if (cs != DOANRA_CAPTURE_OK)
                return cs;
        }
    }
    return DOANRA_CAPTURE_OK;
}

/* The whole body is in: one contiguous, NUL-terminated buffer, handed to
 * the caller and to the replay, and the framing headers made to match. */
static doanra_capture_status finish_body(capture *cp, const char **body,
                                         apr_size_t *len)
{
    request_rec *r = cp->r;
    apr_status_t rv;

    apr_brigade_destroy(cp->bb);
    if (cp->kept) {
        apr_size_t got = (apr_size_t)cp->total;
        cp->buf = apr_palloc(r->pool, got + 1);
        rv = apr_brigade_flatten(cp->kept, cp->buf, &got);
        apr_brigade_destroy(cp->kept);
        if (rv != APR_SUCCESS || got != (apr_size_t)cp->total) {
            *cp->http_status = HTTP_INTERNAL_SERVER_ERROR;
            return DOANRA_CAPTURE_ERROR;
        }
    } else if (cp->total != cp->declared) {
        /* HTTP_IN ends a short body with an error, not EOS; be safe. */
        *cp->http_status = HTTP_BAD_REQUEST;
        return DOANRA_CAPTURE_ERROR;
    }
    cp->buf[cp->total] = '\0';

    *body = cp->buf;
    *len = (apr_size_t)cp->total;
    apr_table_setn(r->headers_in, "Content-Length",
                   apr_off_t_toa(r->pool, cp->total));
    apr_table_unset(r->headers_in, "Transfer-Encoding");
    cp->ctx->body = cp->buf;
    cp->ctx->len = (apr_size_t)cp->total;
    return DOANRA_CAPTURE_OK;
}

/* The read failed.  The handler, if it still runs (report mode), reads
 * what was read and then the same error, as it would have without the
 * module. */
static doanra_capture_status fail_body(capture *cp)
{
    request_rec *r = cp->r;
    replay_ctx *ctx = cp->ctx;
    apr_size_t fi;

    ctx->error = cp->rv != APR_SUCCESS ? cp->rv : APR_EGENERAL;
    for (fi = 0; fi < NFRAMING; fi++) {
        if (cp->framing_was[fi])
            apr_table_setn(r->headers_in, framing[fi], cp->framing_was[fi]);
        else
            apr_table_unset(r->headers_in, framing[fi]);
    }
    apr_brigade_cleanup(cp->bb);
    if (cp->kept) {
        apr_size_t got = (apr_size_t)cp->total;
        char *part = apr_palloc(r->pool, got + 1);
        if (apr_brigade_flatten(cp->kept, part, &got) == APR_SUCCESS) {
            ctx->body = part;
            ctx->len = got;
        } else {
            ctx->body = "";
        }
        apr_brigade_destroy(cp->kept);
    } else {
        ctx->body = cp->buf;
        ctx->len = (apr_size_t)cp->total;
    }
    return DOANRA_CAPTURE_ERROR;
}

doanra_capture_status doanra_capture_body(request_rec *r, apr_off_t limit,
                                          const char **body, apr_size_t *len,
                                          int *http_status)
{
    apr_bucket_alloc_t *ba = r->connection->bucket_alloc;
    capture cp;
    apr_size_t fi;

    *body = "";
    *len = 0;
    *http_status = HTTP_OK;

    memset(&cp, 0, sizeof(cp));
    cp.r = r;
    cp.limit = limit;
    cp.declared = declared_length(r);
    cp.http_status = http_status;
    /* Known to be too large: refuse before reading a byte (no 100-continue
     * is sent, the client need not upload it). */
    if (cp.declared > limit) {
        *http_status = HTTP_REQUEST_ENTITY_TOO_LARGE;
        return DOANRA_CAPTURE_TOO_LARGE;
    }
    /* The replay goes in first, and the body is read from the filter below
     * it: what sits above (a resource filter of the admin's) will see the
     * replayed body exactly as it would have seen the original. */
    cp.replay = add_replay(r);
    cp.ctx = cp.replay->ctx;
    for (fi = 0; fi < NFRAMING; fi++)
        cp.framing_was[fi] = apr_table_get(r->headers_in, framing[fi]);
    /* A chunked body is kept as the buckets HTTP_IN made (no copy) and
     * flattened once at the end.  So is an encoded body: an input filter
     * (mod_deflate's) may hand over more bytes than were sent. */
    if (cp.declared >= 0 && !apr_table_get(r->headers_in, "Content-Encoding"))
        cp.buf = apr_palloc(r->pool, (apr_size_t)cp.declared + 1);
    else
        cp.kept = apr_brigade_create(r->pool, ba);
    cp.bb = apr_brigade_create(r->pool, ba);

    switch (read_body(&cp)) {
    case DOANRA_CAPTURE_OK:
        return finish_body(&cp, body, len);
    case DOANRA_CAPTURE_TOO_LARGE:
        return DOANRA_CAPTURE_TOO_LARGE;
    default:
        return fail_body(&cp);
    }
}

void doanra_capture_register(void)
{
    /* A resource filter: above mod_deflate's DEFLATE input filter
     * (AP_FTYPE_CONTENT_SET), which has inflated the body the module
     * judged, and above HTTP_IN; both are spent once it is captured. */
    replay_frec = ap_register_input_filter(REPLAY_FILTER, replay_filter, NULL,
                                           AP_FTYPE_RESOURCE);
}
