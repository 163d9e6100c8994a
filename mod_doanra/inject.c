/*
 * inject.c - the DOANRA_INJECT output filter: places the result block into
 * the HTML page the backend answers with, as the page streams past.
 *
 * Injection point (SPEC section 4): after the first <!--doanra--> comment,
 * else right after the <body ...> start tag, else the start of the page.
 * The marker wins even when it comes after <body>, so the filter holds back
 * what it has not yet released while it looks for it - but never more than
 * INJECT_WINDOW bytes: once the window is full, or the page ends, the block
 * goes after <body> (or at the start).  Bytes before the end of <body ...>
 * can never receive the block except through the marker, which is searched
 * in the held bytes only, so they are released as soon as <body> is seen.
 * Once the block is placed the filter removes itself: the rest of the page
 * is passed on untouched, without scanning or copying.
 *
 * The scanner (scan.c) is incremental, so markers and tags split across
 * buckets and flushes are found without keeping any tail; FLUSH buckets met
 * while holding are held with the data they follow and passed in order.
 *
 * Compression: doanra_inject_prepare_request removes Accept-Encoding from
 * the request so that compliant backends answer plain text (what ModSecurity
 * does); the saved value is put back on the first brigade so that a DEFLATE
 * filter configured by the admin still sees what the client accepts.  A
 * backend that gzips anyway is inflated with mod_deflate's INFLATE filter
 * placed right before this one, and compressed again with DEFLATE after it
 * when the client accepts gzip; without mod_deflate the page is passed on
 * untouched (never a block inside compressed bytes).
 */
#include "shell.h"
#include "scan.h"

#include <apr_strings.h>
#include <http_protocol.h>
#include <http_request.h>

#include <string.h>
#include <strings.h>

APLOG_USE_MODULE(doanra);

#define INJECT_FILTER "DOANRA_INJECT"
#define INJECT_WINDOW (64 * 1024)

/* Request notes: the block (so an internal redirect can re-insert the
 * filter, which it drops with the other resource filters) and the client's
 * Accept-Encoding while it is hidden from the backend. */
#define NOTE_BLOCK "doanra-inject-block"
#define NOTE_ACCEPT_ENCODING "doanra-accept-encoding"

typedef enum {
    ST_FRESH = 0, /* first brigade not seen yet */
    ST_INFLATING, /* INFLATE inserted before us; waiting for its output */
    ST_SCANNING,  /* holding data while looking for the injection point */
} inject_state;

typedef struct {
    const char *block; /* NULL: only restore Accept-Encoding */
    apr_size_t block_len;
    inject_state state;
    doanra_scan scan;
    apr_bucket_brigade *held; /* data not yet passed on */
    apr_bucket_brigade *tmp;
    apr_off_t held_off; /* page offset of the first held byte */
} inject_ctx;

static ap_filter_rec_t *inject_frec;

/* ------------------------------------------------------------------ */
/* Headers and decisions                                                */
/* ------------------------------------------------------------------ */

/* The saved Accept-Encoding of r or of the request it was redirected
 * from. */
static const char *saved_accept_encoding(request_rec *r)
{
    for (; r; r = r->prev) {
        const char *v = apr_table_get(r->notes, NOTE_ACCEPT_ENCODING);
        if (v)
            return v;
    }
    return NULL;
}

static void restore_accept_encoding(request_rec *r)
{
    const char *ae = saved_accept_encoding(r);
    if (ae && !apr_table_get(r->headers_in, "Accept-Encoding"))
        apr_table_setn(r->headers_in, "Accept-Encoding", ae);
}

/* text/html, any letter case, parameters ignored. */
static int is_html(const char *ct)
{
    apr_size_t n;

    if (!ct)
        return 0;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    n = strcspn(ct, "; \t");
    return n == 9 && strncasecmp(ct, "text/html", 9) == 0;
}

/* Statuses whose body is the page the official asked for.  206 is a byte
 * range of it, 204/205 have no body. */
static int status_ok(int status)
{
    return status >= 200 && status < 300 && status != HTTP_NO_CONTENT &&
           status != HTTP_RESET_CONTENT && status != HTTP_PARTIAL_CONTENT;
}

/* The response's Content-Encoding, or NULL when identity. */
static const char *content_encoding(request_rec *r)
{
    const char *enc = apr_table_get(r->headers_out, "Content-Encoding");
    if (!enc)
        enc = apr_table_get(r->err_headers_out, "Content-Encoding");
    if (!enc)
        enc = r->content_encoding;
    if (!enc || !*enc || !strcasecmp(enc, "identity"))
        return NULL;
    return enc;
}

/* Is the outermost encoding gzip (what INFLATE undoes)? */
static int outer_gzip(const char *enc)
{
    const char *last = strrchr(enc, ',');
    last = last ? last + 1 : enc;
    while (*last == ' ' || *last == '\t')
        last++;
    return !strncasecmp(last, "gzip", 4) || !strncasecmp(last, "x-gzip", 6);
}

/* Does a comma-separated Accept-Encoding list accept gzip (q not 0)? */
static int accepts_gzip(apr_pool_t *p, const char *ae)
{
    char *list, *tok, *last;

    if (!ae)
        return 0;
    list = apr_pstrdup(p, ae);
    for (tok = apr_strtok(list, ",", &last); tok;
         tok = apr_strtok(NULL, ",", &last)) {
        char *semi;
        while (*tok == ' ' || *tok == '\t')
            tok++;
        semi = strchr(tok, ';');
        if (strncasecmp(tok, "gzip", 4) != 0 &&
            strncasecmp(tok, "x-gzip", 6) != 0)
            continue;
        if (semi) {
            const char *q = strstr(semi, "q=");
            if (q && strtod(q + 2, NULL) <= 0.0)
                return 0;
        }
        return 1;
    }
    return 0;
}

static ap_filter_t *find_filter(ap_filter_t *from, ap_filter_rec_t *frec)
{
    for (; from; from = from->next)
        if (from->frec == frec)
            return from;
    return NULL;
}

/* Move filter nf (already in r's chain) to sit right before f, so that a
 * brigade passed to nf reaches f next and no other filter twice. */
static int place_before(request_rec *r, ap_filter_t *nf, ap_filter_t *f)
{
    ap_filter_t **pp;

    if (nf->next == f)
        return 1;
    for (pp = &r->output_filters; *pp && *pp != nf; pp = &(*pp)->next)
        ;
    if (!*pp)
        return 0;
    *pp = nf->next;
    for (pp = &r->output_filters; *pp && *pp != f; pp = &(*pp)->next)
        ;
    if (!*pp)
        return 0;
    nf->next = f;
    *pp = nf;
    return 1;
}

/* The body is about to change: headers that described the old one go. */
static void drop_body_headers(request_rec *r)
{
    apr_table_unset(r->headers_out, "Content-Length");
    apr_table_unset(r->headers_out, "Content-MD5");
    apr_table_unset(r->headers_out, "ETag");
    apr_table_unset(r->headers_out, "Last-Modified");
}

/* ------------------------------------------------------------------ */
/* Placing the block                                                    */
/* ------------------------------------------------------------------ */

/* Put the block at page offset at (inside the held data), pass the held
 * data and the rest of bb on, and get out of the way. */
static apr_status_t place_and_pass(ap_filter_t *f, inject_ctx *ctx,
                                   apr_off_t at, apr_bucket_brigade *bb)
{
    apr_bucket *after = NULL, *blk;
    apr_status_t rv;

    rv = apr_brigade_partition(ctx->held, at - ctx->held_off, &after);
    blk = apr_bucket_heap_create(ctx->block, ctx->block_len, NULL,
                                 f->c->bucket_alloc);
    if (rv != APR_SUCCESS || !after || after == APR_BRIGADE_SENTINEL(ctx->held))
        APR_BRIGADE_INSERT_TAIL(ctx->held, blk);
    else
        APR_BUCKET_INSERT_BEFORE(after, blk);
    if (bb)
        APR_BRIGADE_CONCAT(ctx->held, bb);
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, f->r,
                  "doanra: result block placed at offset %" APR_OFF_T_FMT, at);
    ap_remove_output_filter(f);
    rv = ap_pass_brigade(f->next, ctx->held);
    apr_brigade_cleanup(ctx->held);
    return rv;
}

/* Where the block goes when no marker came: after <body>, else start. */
static apr_off_t fallback(const inject_ctx *ctx)
{
    return ctx->scan.body_end >= 0 ? ctx->scan.body_end : 0;
}

/* Pass on the held bytes before page offset upto (which cannot receive
 * the block any more). */
static apr_status_t release(ap_filter_t *f, inject_ctx *ctx, apr_off_t upto)
{
    apr_bucket *after;
    apr_status_t rv;

    if (upto <= ctx->held_off)
        return APR_SUCCESS;
    rv = apr_brigade_partition(ctx->held, upto - ctx->held_off, &after);
    if (rv != APR_SUCCESS)
        return APR_SUCCESS; /* keep holding; the window bounds it */
    ctx->tmp = apr_brigade_split_ex(ctx->held, after, ctx->tmp);
    rv = ap_pass_brigade(f->next, ctx->held);
    apr_brigade_cleanup(ctx->held);
    APR_BRIGADE_CONCAT(ctx->held, ctx->tmp);
    ctx->held_off = upto;
    return rv;
}

static apr_status_t scan_brigade(ap_filter_t *f, inject_ctx *ctx,
                                 apr_bucket_brigade *bb)
{
    request_rec *r = f->r;

    while (!APR_BRIGADE_EMPTY(bb)) {
        apr_bucket *e = APR_BRIGADE_FIRST(bb);
        const char *data;
        apr_size_t n, room;
        apr_status_t rv;

        if (APR_BUCKET_IS_EOS(e))
            return place_and_pass(f, ctx, fallback(ctx), bb);
        if (APR_BUCKET_IS_METADATA(e)) {
            /* FLUSH and the like stay in order with the data they follow */
            APR_BUCKET_REMOVE(e);
            APR_BRIGADE_INSERT_TAIL(ctx->held, e);
            continue;
        }
        rv = apr_bucket_read(e, &data, &n, APR_BLOCK_READ);
        if (rv != APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                          "doanra: reading the backend's page failed");
            return rv;
        }
        room = (apr_size_t)(INJECT_WINDOW - (ctx->scan.pos - ctx->held_off));
        if (n > room) {
            apr_bucket_split(e, room);
            n = room;
        }
        doanra_scan_feed(&ctx->scan, data, n);
        APR_BUCKET_REMOVE(e);
        rv = apr_bucket_setaside(e, r->pool);
        if (rv != APR_SUCCESS && rv != APR_ENOTIMPL) {
            apr_bucket_destroy(e);
            return rv;
        }
        APR_BRIGADE_INSERT_TAIL(ctx->held, e);
        if (ctx->scan.marker_end >= 0)
            return place_and_pass(f, ctx, ctx->scan.marker_end, bb);
        if (ctx->scan.pos - ctx->held_off >= INJECT_WINDOW)
            return place_and_pass(f, ctx, fallback(ctx), bb);
    }
    /* Undecided: everything up to the end of <body ...> can go now. */
    if (ctx->scan.body_end > ctx->held_off)
        return release(f, ctx, ctx->scan.body_end);
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* The filter                                                           */
/* ------------------------------------------------------------------ */

static apr_status_t pass_untouched(ap_filter_t *f, apr_bucket_brigade *bb)
{
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

/* Insert INFLATE right before f (and DEFLATE after, when the client takes
 * gzip); NULL when that cannot be done. */
static ap_filter_t *add_inflate(ap_filter_t *f)
{
    request_rec *r = f->r;
    ap_filter_rec_t *inflate = ap_get_output_filter_handle("INFLATE");
    ap_filter_rec_t *deflate;
    ap_filter_t *nf;

    if (!inflate || !ap_is_initial_req(r) ||
        apr_table_get(r->headers_out, "Content-Range"))
        return NULL;
    nf = ap_add_output_filter_handle(inflate, NULL, r, r->connection);
    if (!nf)
        return NULL;
    if (!place_before(r, nf, f)) {
        ap_remove_output_filter(nf);
        return NULL;
    }
    deflate = ap_get_output_filter_handle("DEFLATE");
    if (deflate && accepts_gzip(r->pool, saved_accept_encoding(r)) &&
        !find_filter(f->next, deflate))
        ap_add_output_filter_handle(deflate, NULL, r, r->connection);
    return nf;
}

static apr_status_t inject_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *r = f->r;
    inject_ctx *ctx = f->ctx;

    if (APR_BRIGADE_EMPTY(bb))
        return APR_SUCCESS;

    if (ctx->state == ST_FRESH) {
        const char *enc;

        /* The backend has been asked by now: the client's own
         * Accept-Encoding is what any later compression must honour. */
        restore_accept_encoding(r);
        if (!ctx->block || !ctx->block_len || r->main || r->header_only ||
            !status_ok(r->status) || !is_html(r->content_type)) {
            return pass_untouched(f, bb);
        }
        enc = content_encoding(r);
        if (enc) {
            ap_filter_t *inflate = outer_gzip(enc) ? add_inflate(f) : NULL;
            if (!inflate) {
                ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                              "doanra: page has Content-Encoding %s and "
                              "cannot be inflated; result block not shown",
                              enc);
                return pass_untouched(f, bb);
            }
            ctx->state = ST_INFLATING;
            return ap_pass_brigade(inflate, bb);
        }
        drop_body_headers(r);
        ctx->state = ST_SCANNING;
    } else if (ctx->state == ST_INFLATING) {
        /* INFLATE clears Content-Encoding when it takes the page on; if it
         * declined, the bytes are still compressed. */
        if (content_encoding(r))
            return pass_untouched(f, bb);
        drop_body_headers(r);
        ctx->state = ST_SCANNING;
    }
    return scan_brigade(f, ctx, bb);
}

/* ------------------------------------------------------------------ */
/* Public                                                               */
/* ------------------------------------------------------------------ */

static inject_ctx *find_ctx(request_rec *r)
{
    ap_filter_t *f = find_filter(r->output_filters, inject_frec);
    return f && f->r == r ? f->ctx : NULL;
}

static inject_ctx *add_filter(request_rec *r)
{
    inject_ctx *ctx = find_ctx(r);

    if (ctx)
        return ctx;
    ctx = apr_pcalloc(r->pool, sizeof(*ctx));
    ctx->state = ST_FRESH;
    ctx->held = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    ctx->tmp = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    doanra_scan_init(&ctx->scan);
    ap_add_output_filter_handle(inject_frec, ctx, r, r->connection);
    return ctx;
}

void doanra_inject_add(request_rec *r, const char *block)
{
    inject_ctx *ctx = add_filter(r);

    ctx->block = block ? block : "";
    ctx->block_len = strlen(ctx->block);
    apr_table_setn(r->notes, NOTE_BLOCK, ctx->block);
}

void doanra_inject_prepare_request(request_rec *r)
{
    const char *ae = apr_table_get(r->headers_in, "Accept-Encoding");

    if (ae) {
        apr_table_setn(r->notes, NOTE_ACCEPT_ENCODING, ae);
        apr_table_unset(r->headers_in, "Accept-Encoding");
    }
    /* The filter puts the header back once the backend has answered. */
    add_filter(r);
}

/* An internal redirect (a front controller behind mod_rewrite, an
 * ErrorDocument) starts a new request without our resource filter: put it
 * back with the block of the request it came from. */
static void inject_insert_filter(request_rec *r)
{
    request_rec *p;

    if (r->main || !r->prev || find_ctx(r))
        return;
    for (p = r->prev; p; p = p->prev) {
        const char *block = apr_table_get(p->notes, NOTE_BLOCK);
        if (block) {
            doanra_inject_add(r, block);
            return;
        }
        if (apr_table_get(p->notes, NOTE_ACCEPT_ENCODING)) {
            add_filter(r); /* only to restore Accept-Encoding */
            return;
        }
    }
}

void doanra_inject_register(void)
{
    inject_frec = ap_register_output_filter(INJECT_FILTER, inject_filter, NULL,
                                            AP_FTYPE_RESOURCE);
    ap_hook_insert_filter(inject_insert_filter, NULL, NULL, APR_HOOK_MIDDLE);
}
