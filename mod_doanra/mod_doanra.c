/*
 * mod_doanra.c - the Apache glue of mod_doanra: the hooks that read and
 * judge a submission, and the two handlers the module answers with itself
 * (the blocked answer and the JSON check).  The directives and the
 * per-location configuration with its merge are in config.c.
 *
 * A submission's way through this file:
 *   fixups         strip client-sent X-Doanra-* (the verdict's headers are
 *                  the module's alone);
 *   insert_filter (last)  with every input filter the configuration asks
 *                  for in place: capture the body (capture.c), parse it,
 *                  build the trip and, for a later step, read the trip it
 *                  names; then decide (decide.c: facts under the people's
 *                  locks, the rules, the record, one transaction), and
 *                  either let it through with X-Doanra-* request headers
 *                  and the injection filter (inject.c), or point
 *                  r->handler at "doanra-blocked";
 *   handler        "doanra-blocked": the form page refilled (refill.c) or
 *                  the built-in page, status DoanraBlockStatus;
 *                  "doanra-check": the same decision, nothing recorded,
 *                  answered as JSON;
 *   log_transaction  once the backend has answered, settle the reserved
 *                  trip (submitted or void) with the final status.
 *
 * What this file owns is the request: reading it and answering it.  The
 * rules live in the core (doanra.h), the one decision path in decide.c,
 * the database in store.c.
 */
#include "shell.h"
#include "config.h"
#include "decide.h"
#include "store.h"
#include "journal.h"
#include "settle.h"

#include <apr_strings.h>
#include <apr_time.h>
#include <apr_uri.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>

#include <string.h>
#include <strings.h>

module AP_MODULE_DECLARE_DATA doanra_module;

#define BLOCKED_HANDLER "doanra-blocked"
#define CHECK_HANDLER "doanra-check"
#define PAGE_CAPTURE_FILTER "DOANRA_PAGE_CAPTURE"
#define STATUS_FILTER "DOANRA_STATUS"

/* Bounds on what one request may make the module do. */
#define MAX_FIELDS 10000                 /* name=value pairs per body */
#define MAX_FORM_PAGE (2 * 1024 * 1024)  /* DoanraFormPage fetched internally */

/* ------------------------------------------------------------------ */
/* Per-request state                                                    */
/* ------------------------------------------------------------------ */

typedef enum {
    ACT_NONE = 0, /* let through (or untouched) */
    ACT_BLOCK,    /* enforce + fail: the blocked answer */
    ACT_PAGE,     /* a ready page (400, 403, 413, 415, 503) answered as is */
    ACT_STATUS    /* the body could not be read: httpd's own error answer */
} doanra_action;

typedef struct {
    doanra_config cfg;
    const doanra_dir_cfg *dc;
    doanra_store *store;
    int action;
    int status; /* for ACT_BLOCK and ACT_PAGE */
    const char *page;
    const char *body; /* the captured body, replayed after redirects */
    apr_size_t body_len;
    apr_array_header_t *fields;
    apr_array_header_t *findings;
    int decision;
    int parse_error;
    long long submission_id, trip_id;
    int let_through; /* passed on with a record to settle */
    int handler_status; /* r->status as the handler's first output had it */
    /* The verdict for logs and backends (request notes, environment),
     * kept to be set again on an internal redirect; NULL until decided. */
    const char *note_decision, *note_rules, *note_submission;
    int settled;
    const char *trip_code;     /* the dossier code, when known */
    long long reference_trip;  /* the version X-Doanra-Reference names */
    const char *reference;     /* the backend's X-Doanra-Reference */
    /* Faults: the journal entry of an unchecked submission or of a settle
     * still to come (journal.c); NULL when none. */
    doanra_journal_entry *journal_entry;
} doanra_req;

static ap_filter_rec_t *page_capture_frec, *status_frec;

static doanra_req *req_state(request_rec *r)
{
    return ap_get_module_config(r->request_config, &doanra_module);
}

/* The state of r or of a request it was internally redirected from. */
static doanra_req *req_state_chain(request_rec *r)
{
    for (; r; r = r->prev) {
        doanra_req *st = req_state(r);
        if (st)
            return st;
    }
    return NULL;
}

static doanra_server_cfg *server_cfg(request_rec *r)
{
    return ap_get_module_config(r->server->module_config, &doanra_module);
}

static const doanra_countries *countries_for(request_rec *r,
                                             doanra_store *store)
{
    doanra_server_cfg *sc = server_cfg(r);
    if (store)
        return doanra_store_countries(store, r);
    return sc->countries_fallback;
}

/* Remove every request header the client sent under X-Doanra-: only this
 * module may state a verdict to the backend. */
static int collect_doanra(void *rec, const char *key, const char *value)
{
    apr_array_header_t *keys = rec;
    if (!strncasecmp(key, "X-Doanra-", 9))
        APR_ARRAY_PUSH(keys, const char *) = key;
    return 1;
}

static void strip_client_headers(request_rec *r)
{
    apr_array_header_t *keys = apr_array_make(r->pool, 2, sizeof(char *));
    int i;

    apr_table_do(collect_doanra, keys, r->headers_in, NULL);
    for (i = 0; i < keys->nelts; i++) {
        const char *k = APR_ARRAY_IDX(keys, i, const char *);
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "doanra: removed client request header %s", k);
        apr_table_unset(r->headers_in, k);
    }
}

static long today_local(void)
{
    apr_time_exp_t tm;
    apr_time_exp_lt(&tm, apr_time_now());
    return doanra_date_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1,
                                tm.tm_mday);
}

static const char *form_status_key(doanra_form_status fs)
{
    switch (fs) {
    case DOANRA_FORM_BAD_PERCENT: return "bad_percent";
    case DOANRA_FORM_BAD_UTF8: return "bad_utf8";
    case DOANRA_FORM_TOO_MANY: return "too_many_fields";
    default: return "malformed";
    }
}

/* A body the parser refused is a `format` error whatever the location set
 * for that rule: it must never pass as if it had been read. */
static void add_parse_finding(apr_pool_t *p, apr_array_header_t *findings,
                              int lang, doanra_form_status fs)
{
    doanra_finding *f = apr_array_push(findings);
    f->rule = DOANRA_R_FORMAT;
    f->severity = DOANRA_SEV_ERROR;
    f->field = "";
    f->row = 0;
    f->message = doanra_msg(lang, form_status_key(fs));
}

/* Messages of the JSON check that the shared catalogue does not carry. */
static const char *msg_post_only(int lang)
{
    return lang == DOANRA_LANG_EN ? "Only POST is accepted here."
                                  : "Địa chỉ này chỉ nhận phương thức POST.";
}
static const char *msg_bad_type(int lang)
{
    return lang == DOANRA_LANG_EN
               ? "The body must be application/x-www-form-urlencoded or "
                 "multipart/form-data."
               : "Nội dung gửi lên phải ở dạng "
                 "application/x-www-form-urlencoded hoặc "
                 "multipart/form-data.";
}
static const char *msg_read_error(int lang)
{
    return lang == DOANRA_LANG_EN
               ? "The request body could not be read."
               : "Không đọc được nội dung gửi lên.";
}

/* ------------------------------------------------------------------ */
/* Sending answers                                                      */
/* ------------------------------------------------------------------ */

static int send_body(request_rec *r, int status, const char *ctype,
                     const char *body, apr_size_t len)
{
    apr_bucket_brigade *bb;
    apr_status_t rv;

    r->status = status;
    ap_set_content_type(r, ctype);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_set_content_length(r, (apr_off_t)len);
    if (r->header_only)
        return OK;
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    APR_BRIGADE_INSERT_TAIL(
        bb, apr_bucket_pool_create(body, len, r->pool,
                                   r->connection->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(bb,
                            apr_bucket_eos_create(r->connection->bucket_alloc));
    rv = ap_pass_brigade(r->output_filters, bb);
    if (rv != APR_SUCCESS && !r->connection->aborted)
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, rv, r,
                      "doanra: sending the answer failed");
    return OK;
}

static int send_html(request_rec *r, int status, const char *html,
                     apr_size_t len)
{
    return send_body(r, status, "text/html; charset=utf-8", html, len);
}

static int send_json(request_rec *r, int status, const char *json)
{
    return send_body(r, status, "application/json; charset=utf-8", json,
                     strlen(json));
}

static int send_json_error(request_rec *r, int status, const char *msg)
{
    return send_json(r, status,
                     apr_pstrcat(r->pool, "{\"error\":\"",
                                 doanra_json_escape(r->pool, msg), "\"}",
                                 NULL));
}

/* ------------------------------------------------------------------ */
/* The handler's own status                                             */
/* ------------------------------------------------------------------ */

/* Notes r->status when the handler's output first passes, then steps
 * aside.  An error the handler returns (ap_die) bypasses resource filters;
 * then the final status of the request is the handler's. */
static apr_status_t status_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    doanra_req *st = req_state_chain(f->r);

    if (st && !st->handler_status) {
        const char *ref;
        st->handler_status = f->r->status;
        /* The backend's own record id: kept with the trip, never shown to
         * the client (SPEC section 8). */
        ref = apr_table_get(f->r->headers_out, "X-Doanra-Reference");
        if (!ref)
            ref = apr_table_get(f->r->err_headers_out, "X-Doanra-Reference");
        if (ref && *ref && strlen(ref) <= 64)
            st->reference = apr_pstrdup(f->r->pool, ref);
        apr_table_unset(f->r->headers_out, "X-Doanra-Reference");
        apr_table_unset(f->r->err_headers_out, "X-Doanra-Reference");
    }
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

static void add_status_filter(request_rec *r)
{
    ap_add_output_filter_handle(status_frec, NULL, r, r->connection);
}

/* ------------------------------------------------------------------ */
/* The form page, fetched by an internal GET subrequest                 */
/* ------------------------------------------------------------------ */

typedef struct {
    apr_bucket_brigade *bb; /* copies, in the main request's pool */
    apr_off_t len;
    int overflow;
} page_capture;

/* Last filter of the subrequest: copies what it gets (the buckets may
 * belong to the subrequest's pool) and passes nothing on. */
static apr_status_t page_capture_filter(ap_filter_t *f,
                                        apr_bucket_brigade *bb)
{
    page_capture *pc = f->ctx;
    apr_bucket *e;

    for (e = APR_BRIGADE_FIRST(bb); e != APR_BRIGADE_SENTINEL(bb);
         e = APR_BUCKET_NEXT(e)) {
        const char *data;
        apr_size_t n;
        apr_status_t rv;

        if (APR_BUCKET_IS_METADATA(e) || pc->overflow)
            continue;
        rv = apr_bucket_read(e, &data, &n, APR_BLOCK_READ);
        if (rv != APR_SUCCESS)
            return rv;
        if (pc->len + (apr_off_t)n > MAX_FORM_PAGE) {
            pc->overflow = 1;
            continue;
        }
        apr_brigade_write(pc->bb, NULL, NULL, data, n);
        pc->len += n;
    }
    apr_brigade_cleanup(bb);
    return APR_SUCCESS;
}

static int fetch_form_page(request_rec *r, const char *uri, char **html,
                           apr_size_t *len)
{
    page_capture pc;
    ap_filter_t *f;
    request_rec *rr;
    int rc, ok;

    pc.bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    pc.len = 0;
    pc.overflow = 0;
    f = apr_pcalloc(r->pool, sizeof(*f));
    f->frec = page_capture_frec;
    f->ctx = &pc;
    /* No request: the subrequest inserts its own filters before this one,
     * and an EOS passed here must not mark r as finished. */
    f->r = NULL;
    f->c = r->connection;

    rr = ap_sub_req_lookup_uri(uri, r, f);
    if (rr->status != HTTP_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "doanra: DoanraFormPage %s cannot be served (status "
                      "%d); using the built-in page",
                      uri, rr->status);
        ap_destroy_sub_req(rr);
        return 0;
    }
    /* A plain, complete page: no compression, no conditional answer. */
    apr_table_unset(rr->headers_in, "Accept-Encoding");
    apr_table_unset(rr->headers_in, "Range");
    apr_table_unset(rr->headers_in, "If-Range");
    apr_table_unset(rr->headers_in, "If-Modified-Since");
    apr_table_unset(rr->headers_in, "If-None-Match");
    rc = ap_run_sub_req(rr);
    ok = rc == OK && (rr->status == HTTP_OK || rr->status == 0) &&
         !pc.overflow && pc.len > 0 &&
         (!rr->content_type ||
          !strncasecmp(rr->content_type, "text/html", 9));
    if (!ok)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "doanra: DoanraFormPage %s gave status %d, type %s, "
                      "%" APR_OFF_T_FMT " bytes%s; using the built-in page",
                      uri, rc != OK ? rc : rr->status,
                      rr->content_type ? rr->content_type : "-", pc.len,
                      pc.overflow ? " (too large)" : "");
    ap_destroy_sub_req(rr);
    if (!ok)
        return 0;
    return apr_brigade_pflatten(pc.bb, html, len, r->pool) == APR_SUCCESS;
}

/* Where the built-in page links back to: DoanraFormPage, else the Referer
 * when it is a page of this same site (never another site's address). */
static const char *back_url(request_rec *r, const doanra_dir_cfg *dc)
{
    const char *ref;
    apr_uri_t u;

    if (dc->form_page)
        return dc->form_page;
    ref = apr_table_get(r->headers_in, "Referer");
    if (!ref || apr_uri_parse(r->pool, ref, &u) != APR_SUCCESS || !u.path ||
        u.path[0] != '/' || u.path[1] == '/')
        return NULL;
    if (u.hostname) {
        if (!r->hostname || strcasecmp(u.hostname, r->hostname) ||
            !u.scheme ||
            (strcasecmp(u.scheme, "http") && strcasecmp(u.scheme, "https")))
            return NULL;
    } else if (u.scheme) {
        return NULL;
    }
    return u.query ? apr_pstrcat(r->pool, u.path, "?", u.query, NULL)
                   : u.path;
}

/* ------------------------------------------------------------------ */
/* Handlers                                                             */
/* ------------------------------------------------------------------ */

static int blocked_handler(request_rec *r)
{
    doanra_req *st;
    const char *page = NULL;
    apr_size_t len = 0;

    if (!r->handler || strcmp(r->handler, BLOCKED_HANDLER))
        return DECLINED;
    st = req_state(r);
    if (!st || st->action == ACT_NONE)
        return HTTP_NOT_FOUND; /* only the module itself sends here */
    if (st->action == ACT_STATUS)
        return st->status;

    if (st->action == ACT_PAGE) {
        page = st->page;
        len = strlen(page);
    } else {
        char *html;
        apr_size_t hlen;
        /* A body the parser refused cannot be put back into the form. */
        if (st->dc->form_page && !st->parse_error &&
            fetch_form_page(r, st->dc->form_page, &html, &hlen)) {
            const char *block = doanra_render_block_trip(
                r->pool, &st->cfg, st->decision, st->findings, st->trip_code);
            page = doanra_refill(r->pool, &st->cfg, html, hlen, st->fields,
                                 st->findings, block, &len);
        }
        if (!page) {
            page = doanra_render_block_page_trip(
                r->pool, &st->cfg, st->decision, st->findings, st->fields,
                back_url(r, st->dc), st->trip_code);
            len = strlen(page);
        }
    }
    return send_html(r, st->status, page, len);
}

/* The request's part of the record (decide.h). */
static void decide_request_init(request_rec *r, const char *mode,
                                doanra_decide_request *req)
{
    memset(req, 0, sizeof(*req));
    req->location = r->uri;
    req->remote_user = r->user;
    req->client_ip = r->useragent_ip;
    req->mode = mode;
}

static doanra_trip *read_step(request_rec *r, doanra_store *store,
                              const doanra_config *cfg,
                              const apr_array_header_t *fields,
                              apr_array_header_t *findings, int action,
                              long today, doanra_step **step,
                              doanra_trip_state *ts, int *step_ok);

/* Evaluate for the JSON check: history read, nothing written. */
static int check_handler(request_rec *r)
{
    const doanra_dir_cfg *dc;
    doanra_server_cfg *sc;
    doanra_config cfg;
    const char *ct, *body, *boundary;
    apr_size_t len;
    int http_status, lang;
    apr_array_header_t *fields, *findings;
    doanra_form_status fs;
    doanra_trip *trip;
    doanra_decide_result out;
    doanra_decide_request req;
    doanra_trip_state ts;
    doanra_step *step;
    apr_status_t rv = APR_EGENERAL;
    long today;
    int nbuilt, action, step_ok;

    if (!r->handler || strcmp(r->handler, CHECK_HANDLER))
        return DECLINED;
    dc = ap_get_module_config(r->per_dir_config, &doanra_module);
    sc = server_cfg(r);
    resolve_config(r, dc, &cfg);
    lang = cfg.lang;
    /* The location's step (DoanraAction), judged as a submission of it
     * would be: an amendment leaves its own dossier out of the history,
     * an approval judges the trip's current version against the approved
     * ones, the other steps their own fields. */
    action = dc->action == UNSET ? DOANRA_ACT_REGISTER : dc->action;

    if (r->method_number != M_POST) {
        r->allowed = AP_METHOD_BIT << M_POST;
        apr_table_setn(r->err_headers_out, "Allow", "POST");
        return send_json_error(r, HTTP_METHOD_NOT_ALLOWED,
                               msg_post_only(lang));
    }
    if (doanra_action_needs_user(action) && (!r->user || !*r->user))
        return send_json_error(r, HTTP_FORBIDDEN,
                               doanra_msg(lang, "no_user_text"));
    ct = apr_table_get(r->headers_in, "Content-Type");
    switch (doanra_ctype_parse(r->pool, ct, &boundary)) {
    case DOANRA_CT_URLENCODED:
    case DOANRA_CT_MULTIPART:
        break;
    case DOANRA_CT_INVALID:
        return send_json_error(r, HTTP_BAD_REQUEST,
                               doanra_msg(lang, "bad_ctype_text"));
    default:
        return send_json_error(r, HTTP_BAD_REQUEST, msg_bad_type(lang));
    }

    switch (doanra_capture_body(r, dir_max_body(dc), &body, &len,
                                &http_status)) {
    case DOANRA_CAPTURE_OK:
        break;
    case DOANRA_CAPTURE_TOO_LARGE:
        r->connection->keepalive = AP_CONN_CLOSE;
        return send_json_error(r, HTTP_REQUEST_ENTITY_TOO_LARGE,
                               doanra_msg(lang, "too_large_text"));
    default:
        if (http_status == AP_FILTER_ERROR)
            return AP_FILTER_ERROR;
        r->connection->keepalive = AP_CONN_CLOSE;
        return send_json_error(r, http_status, msg_read_error(lang));
    }

    fs = doanra_form_parse(r->pool, ct, body, len, MAX_FIELDS, &fields);
    if (fs != DOANRA_FORM_OK)
        return send_json_error(r, HTTP_BAD_REQUEST,
                               doanra_msg(lang, form_status_key(fs)));

    findings = apr_array_make(r->pool, 8, sizeof(doanra_finding));
    doanra_form_check_ambiguity(r->pool, &cfg, fields, r->args, findings);
    today = today_local();
    trip = read_step(r, sc->store, &cfg, fields, findings, action, today,
                     &step, &ts, &step_ok);
    nbuilt = findings->nelts;
    decide_request_init(r, "check", &req);
    req.step = step;
    req.target = &ts;
    if (sc->store && step_ok >= 0)
        rv = doanra_decide(sc->store, r, &cfg, trip, findings, today, 0, 0,
                           &req, &out);
    if (rv != APR_SUCCESS) {
        /* Only a new trip can be judged without the database (as
         * DoanraOnDatabaseError allow lets one through). */
        if (dc->on_db_error != DBERR_ALLOW || action != DOANRA_ACT_REGISTER)
            return send_json_error(r, HTTP_SERVICE_UNAVAILABLE,
                                   doanra_msg(lang, "db_down_text"));
        out.decision = doanra_decide_offline(r->pool, &cfg, trip, findings,
                                             nbuilt, today);
    }
    return send_json(r, HTTP_OK,
                     doanra_render_json(r->pool, out.decision, findings));
}

/* ------------------------------------------------------------------ */
/* The submission, judged just before the handler runs                  */
/* ------------------------------------------------------------------ */

/* The verdict as request notes, for LogFormat (%{doanra-decision}n ...),
 * and as environment variables, for CGI, FastCGI and PHP backends
 * (DOANRA_DECISION ...).  Empty values are left out. */
static void publish_verdict(request_rec *r, const doanra_req *st)
{
    static const struct {
        const char *note, *env;
        size_t off;
    } items[] = {
        {"doanra-decision", "DOANRA_DECISION",
         APR_OFFSETOF(doanra_req, note_decision)},
        {"doanra-rules", "DOANRA_RULES", APR_OFFSETOF(doanra_req, note_rules)},
        {"doanra-submission", "DOANRA_SUBMISSION",
         APR_OFFSETOF(doanra_req, note_submission)},
        {"doanra-trip", "DOANRA_TRIP", APR_OFFSETOF(doanra_req, trip_code)},
    };
    size_t i;

    for (i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
        const char *v = *(const char *const *)((const char *)st + items[i].off);
        if (v && *v) {
            apr_table_setn(r->notes, items[i].note, v);
            apr_table_setn(r->subprocess_env, items[i].env, v);
        }
    }
}

static void set_verdict(request_rec *r, doanra_req *st, const char *decision,
                        const char *rules, const char *sid)
{
    st->note_decision = decision;
    st->note_rules = rules;
    st->note_submission = sid;
    publish_verdict(r, st);
}

/* Point the request at the module's own answer (blocked_handler).  Called
 * from the insert_filter hook, after which httpd runs r->handler. */
static void answer_with(request_rec *r, doanra_req *st, int action,
                        int status)
{
    st->action = action;
    st->status = status;
    r->handler = BLOCKED_HANDLER;
}

/* One of the module's own error pages (400, 403, 413, 415, 503). */
static void answer_page(request_rec *r, doanra_req *st, int status,
                        const char *title_key, const char *text_key,
                        const apr_array_header_t *fields)
{
    int lang = st->cfg.lang;

    st->page = doanra_render_error_page(r->pool, lang, status,
                                        doanra_msg(lang, title_key),
                                        doanra_msg(lang, text_key), fields);
    answer_with(r, st, ACT_PAGE, status);
}

/* A fresh per-request state for r at location dc. */
static doanra_req *new_state(request_rec *r, const doanra_dir_cfg *dc)
{
    doanra_req *st = apr_pcalloc(r->pool, sizeof(*st));

    st->dc = dc;
    st->store = server_cfg(r)->store;
    resolve_config(r, dc, &st->cfg);
    ap_set_module_config(r->request_config, &doanra_module, st);
    return st;
}

/* Does any field of the list carry one of the location's field names? */
static int has_location_field(const doanra_config *c,
                              const apr_array_header_t *fields)
{
    int i;

    for (i = 0; i < fields->nelts; i++)
        if (doanra_field_key_of(c, APR_ARRAY_IDX(fields, i, doanra_field).name) >=
            0)
            return 1;
    return 0;
}

/* Any of the location's fields, exact or as some backend reads the name,
 * in the query string: PHP's $_REQUEST or a servlet's parameters would
 * take it. */
static int query_has_location_field(request_rec *r, const doanra_config *c)
{
    apr_array_header_t *scratch;

    if (!r->args || !*r->args)
        return 0;
    scratch = apr_array_make(r->pool, 1, sizeof(doanra_finding));
    return doanra_form_check_query(r->pool, c, r->args, scratch) > 0;
}

/* A form that carries one of the location's fields, under its exact name
 * or one a backend reads as it, or in the query string, is a delegation;
 * a login or a search form is not. */
static int is_delegation(request_rec *r, const doanra_config *c,
                         const apr_array_header_t *fields)
{
    apr_array_header_t *scratch;

    if (has_location_field(c, fields) || query_has_location_field(r, c))
        return 1;
    scratch = apr_array_make(r->pool, 1, sizeof(doanra_finding));
    return doanra_form_check_fields(r->pool, c, fields, scratch) > 0;
}

/* ---- DoanraOnDatabaseError allow: rules without history, the journal -- */

/* The database failed at an `allow` location: judge by the rules that need
 * no history (the findings the store may have added before it failed are
 * dropped: nbuilt is how many the trip builder made).  A static error
 * blocks as usual; what passes is journalled (fsync) before the backend
 * sees it, and goes on as `unchecked`, under key: the key the store
 * recorded it under if its commit happened unseen (unknown), so the drain
 * settles that one instead of writing a second.  Returns 0 when it cannot
 * be journalled (the caller refuses it: nothing may be lost). */
static int pass_unchecked(request_rec *r, doanra_req *st, int mode,
                          doanra_trip *trip, int nbuilt, const char *key,
                          int unknown)
{
    doanra_server_cfg *sc = server_cfg(r);
    int decision;

    decision = doanra_decide_offline(r->pool, &st->cfg, trip, st->findings,
                                     nbuilt, today_local());
    if (mode == MODE_ENFORCE && decision == DOANRA_DECISION_FAIL) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "doanra: database unavailable; blocked by rules %s "
                      "that need no history (not recorded)",
                      doanra_rules_list(r->pool, st->findings));
        st->decision = decision;
        apr_table_setn(r->err_headers_out, "X-Doanra-Decision", "fail");
        answer_with(r, st, ACT_BLOCK,
                    st->parse_error ? HTTP_BAD_REQUEST : dir_block_status(st->dc));
        /* Not passed on: a trip whose commit happened unseen goes void. */
        if (unknown && sc->journal)
            doanra_journal_orphan(sc->journal, r, key, 0, 0);
        return 1;
    }
    if (!sc->journal ||
        doanra_journal_unchecked(sc->journal, r, key, &st->cfg, st->fields,
                                 mode == MODE_ENFORCE ? "enforce" : "report",
                                 today_local(),
                                 &st->journal_entry) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "doanra: database unavailable and the journal cannot "
                      "be written; submission refused");
        return 0;
    }
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                  "doanra: database unavailable; passed on unchecked and "
                  "journalled (DoanraOnDatabaseError allow)");
    st->decision = DOANRA_DECISION_UNCHECKED;
    st->let_through = 1;
    set_verdict(r, st, "unchecked", doanra_rules_list(r->pool, st->findings),
                NULL);
    apr_table_setn(r->headers_in, "X-Doanra-Decision", "unchecked");
    apr_table_setn(r->err_headers_out, "X-Doanra-Decision", "unchecked");
    apr_table_setn(r->headers_in, "X-Doanra-Rules",
                   doanra_rules_list(r->pool, st->findings));
    add_status_filter(r);
    if (decision != DOANRA_DECISION_PASS) {
        doanra_inject_prepare_request(r);
        doanra_inject_add(r, doanra_render_block(r->pool, &st->cfg, decision,
                                                 st->findings));
    }
    return 1;
}


/* Read the body of r into st (DoanraMaxBody), or answer: 0 when the
 * request is answered (or, in report mode, left alone). */
static int capture_submission(request_rec *r, doanra_req *st, int mode)
{
    const doanra_dir_cfg *dc = st->dc;
    const char *encoding, *body;
    apr_size_t len;
    int http_status;

    switch (doanra_capture_body(r, dir_max_body(dc), &body, &len,
                                &http_status)) {
    case DOANRA_CAPTURE_OK:
        break;
    case DOANRA_CAPTURE_TOO_LARGE:
        /* The rest of the body is not read: the connection closes. */
        r->connection->keepalive = AP_CONN_CLOSE;
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "doanra: request body over DoanraMaxBody (%" APR_OFF_T_FMT
                      " bytes): 413",
                      dir_max_body(dc));
        answer_page(r, st, HTTP_REQUEST_ENTITY_TOO_LARGE, "too_large_title",
                    "too_large_text", NULL);
        return 0;
    default:
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "doanra: request body could not be read (status %d)",
                      http_status);
        /* report: the handler meets the same error itself (capture.c) */
        if (mode == MODE_REPORT)
            return 0;
        r->connection->keepalive = AP_CONN_CLOSE;
        answer_with(r, st, ACT_STATUS, http_status);
        return 0;
    }
    st->body = body;
    st->body_len = len;

    /* An encoding nobody in front of the module took off (mod_deflate's
     * input filter removes the header once it has inflated the body): the
     * module cannot read it, some backends would. */
    encoding = apr_table_get(r->headers_in, "Content-Encoding");
    if (encoding && *encoding && strcasecmp(encoding, "identity")) {
        if (mode == MODE_ENFORCE) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                          "doanra: request body in Content-Encoding %s "
                          "cannot be judged: 415",
                          encoding);
            answer_page(r, st, HTTP_UNSUPPORTED_MEDIA_TYPE,
                        "unsupported_title", "encoded_text", NULL);
        }
        return 0;
    }
    return 1;
}

/* Parse the captured body into st->fields (a parse error becomes a
 * finding): 0 when report mode leaves it alone (not a delegation). */
static int parse_submission(request_rec *r, doanra_req *st, int mode,
                            const char *ct)
{
    doanra_form_status fs;

    st->findings = apr_array_make(r->pool, 8, sizeof(doanra_finding));
    fs = ct ? doanra_form_parse(r->pool, ct, st->body, st->body_len,
                                MAX_FIELDS, &st->fields)
            : doanra_form_parse_urlencoded(r->pool, "", 0, MAX_FIELDS,
                                           &st->fields);
    if (fs != DOANRA_FORM_OK) {
        st->parse_error = 1;
        add_parse_finding(r->pool, st->findings, st->cfg.lang, fs);
    } else if (mode == MODE_REPORT && !is_delegation(r, &st->cfg, st->fields)) {
        /* Not a delegation (a login, a search): untouched, unrecorded. */
        return 0;
    }
    doanra_form_check_ambiguity(r->pool, &st->cfg, st->fields, r->args,
                                st->findings);
    return 1;
}

/* A later step names its trip (ts); an approval judges that trip's
 * current version as it was submitted, cancel/reject/report judge only
 * their own fields (lifecycle.c).  Returns the trip to decide on, with
 * *step_ok 1 (the step may be recorded), 0 (it may not) or -1 (the trip
 * could not be read: DoanraOnDatabaseError). */
static doanra_trip *read_step(request_rec *r, doanra_store *store,
                              const doanra_config *cfg,
                              const apr_array_header_t *fields,
                              apr_array_header_t *findings, int action,
                              long today, doanra_step **step,
                              doanra_trip_state *ts, int *step_ok)
{
    const doanra_countries *countries = countries_for(r, store);

    memset(ts, 0, sizeof(*ts));
    *step_ok = 1;
    *step = doanra_step_read(r->pool, cfg, action, fields, today, findings);
    if (action != DOANRA_ACT_REGISTER && *(*step)->code_norm && store &&
        doanra_store_trip_lookup(store, r, (*step)->code_norm, ts) !=
            APR_SUCCESS) {
        *step_ok = -1;
    } else if (action != DOANRA_ACT_REGISTER) {
        *step_ok =
            doanra_step_judge(r->pool, cfg, *step, ts, today, findings);
    }
    if (action == DOANRA_ACT_APPROVE && ts->found)
        return doanra_trip_build(r->pool, cfg, countries, ts->fields,
                                 findings);
    return doanra_trip_build(
        r->pool, cfg, countries, fields,
        doanra_action_has_form(action)
            ? findings
            : apr_array_make(r->pool, 8, sizeof(doanra_finding)));
}

/* The database could not be used: DoanraOnDatabaseError. */
static void database_failed(request_rec *r, doanra_req *st, int mode,
                            int action, doanra_trip *trip, int nbuilt,
                            const doanra_decide_request *req,
                            const doanra_decide_result *out,
                            doanra_journal_entry *decided)
{
    doanra_server_cfg *sc = server_cfg(r);

    doanra_journal_discard(decided); /* orphans are handled below */
    /* Only a new trip may go on unchecked: a later step names a trip the
     * module could not read, and an approval must never pass unjudged
     * (principle 6). */
    if (st->dc->on_db_error == DBERR_ALLOW && action == DOANRA_ACT_REGISTER &&
        pass_unchecked(r, st, mode, trip, nbuilt, req->journal_key,
                       out->outcome_unknown))
        return;
    /* Not passed on: a trip whose commit happened unseen goes void. */
    if (out->outcome_unknown && sc->journal)
        doanra_journal_orphan(sc->journal, r, req->journal_key, 0, 0);
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                  "doanra: database unavailable; submission refused "
                  "with 503");
    apr_table_setn(r->err_headers_out, "Retry-After", "60");
    answer_page(r, st, HTTP_SERVICE_UNAVAILABLE, "db_down_title",
                "db_down_text", st->fields);
}

/* The verdict is in st: publish it, then block or let through. */
static void apply_verdict(request_rec *r, doanra_req *st, int mode,
                          const doanra_decide_result *out,
                          doanra_journal_entry *decided)
{
    const char *decision = doanra_decision_name(st->decision);
    const char *rules = doanra_rules_list(r->pool, st->findings);
    const char *sid = apr_psprintf(r->pool, "%" APR_INT64_T_FMT,
                                   (apr_int64_t)out->submission_id);
    doanra_server_cfg *sc = server_cfg(r);

    if (st->trip_code)
        apr_table_setn(r->err_headers_out, "X-Doanra-Trip", st->trip_code);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "doanra: submission %s decision %s rules %s (%s)", sid,
                  decision, rules,
                  mode == MODE_ENFORCE ? "enforce" : "report");
    apr_table_setn(r->err_headers_out, "X-Doanra-Decision", decision);
    if (out->submission_id > 0)
        apr_table_setn(r->err_headers_out, "X-Doanra-Submission", sid);
    set_verdict(r, st, decision, rules, out->submission_id > 0 ? sid : NULL);

    if (mode == MODE_ENFORCE && st->decision == DOANRA_DECISION_FAIL) {
        doanra_journal_discard(decided);
        answer_with(r, st, ACT_BLOCK,
                    st->parse_error ? HTTP_BAD_REQUEST
                                    : dir_block_status(st->dc));
        return;
    }

    st->let_through = 1;
    /* The settle still to come is journalled first: the decision's own
     * entry, written before the commit, settles it by key. */
    if (decided)
        st->journal_entry = decided;
    else if (out->trip_id > 0 && sc->journal)
        doanra_journal_intent(sc->journal, r, out->submission_id,
                              out->trip_id, &st->journal_entry);
    apr_table_setn(r->headers_in, "X-Doanra-Decision", decision);
    if (out->submission_id > 0)
        apr_table_setn(r->headers_in, "X-Doanra-Submission", sid);
    apr_table_setn(r->headers_in, "X-Doanra-Rules", rules);
    if (st->trip_code)
        apr_table_setn(r->headers_in, "X-Doanra-Trip", st->trip_code);
    add_status_filter(r);
    if (st->decision != DOANRA_DECISION_PASS || st->dc->show_pass == 1) {
        doanra_inject_prepare_request(r);
        doanra_inject_add(r, doanra_render_block_trip(r->pool, &st->cfg,
                                                      st->decision,
                                                      st->findings,
                                                      st->trip_code));
    }
}

/* Judge the body of r (a form, or nothing at all): capture, parse, build
 * the trip, decide and record it (decide.c), then let it through or
 * answer it. */
static void evaluate_submission(request_rec *r, doanra_req *st, int mode,
                                const char *ct)
{
    doanra_server_cfg *sc = server_cfg(r);
    int action = st->dc->action == UNSET ? DOANRA_ACT_REGISTER : st->dc->action;
    long today = today_local();
    doanra_decide_request req;
    doanra_decide_result out;
    doanra_journal_entry *decided = NULL; /* journal.h */
    doanra_trip_state ts;
    doanra_step *step;
    doanra_trip *trip;
    apr_status_t rv = APR_EGENERAL;
    int step_ok, nbuilt;

    /* Approving or rejecting is for a signed-in user: without one nothing
     * is read, recorded or passed on (SPEC section 8). */
    if (doanra_action_needs_user(action) && (!r->user || !*r->user)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "doanra: %s without an authenticated user: 403",
                      doanra_action_name(action));
        answer_page(r, st, HTTP_FORBIDDEN, "no_user_title", "no_user_text",
                    NULL);
        return;
    }
    if (!capture_submission(r, st, mode) || !parse_submission(r, st, mode, ct))
        return;
    trip = read_step(r, st->store, &st->cfg, st->fields, st->findings, action,
                     today, &step, &ts, &step_ok);
    if (ts.found)
        st->trip_code = ts.code;

    memset(&out, 0, sizeof(out));
    decide_request_init(r, mode == MODE_ENFORCE ? "enforce" : "report", &req);
    req.fields_json = doanra_render_fields_json(r->pool, st->fields);
    req.step = step;
    req.target = &ts;
    req.record_step = step_ok == 1;
    nbuilt = st->findings->nelts;
    req.journal_key = doanra_journal_key(r->pool); /* see journal.h */
    if (st->store && step_ok >= 0 && sc->journal)
        doanra_journal_decision(sc->journal, r, req.journal_key, &decided);
    if (st->store && step_ok >= 0)
        rv = doanra_decide(st->store, r, &st->cfg, trip, st->findings, today,
                           1, mode == MODE_REPORT, &req, &out);
    else
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "doanra: no database store in this process "
                      "(DoanraDatabase)");

    /* What is judged is what the backend answers to in full: no part of
     * it, no conditional answer a later filter would turn into 416. */
    apr_table_unset(r->headers_in, "Range");
    apr_table_unset(r->headers_in, "If-Range");

    if (rv != APR_SUCCESS) {
        database_failed(r, st, mode, action, trip, nbuilt, &req, &out,
                        decided);
        return;
    }
    st->decision = out.decision;
    st->submission_id = out.submission_id;
    st->trip_id = out.trip_id;
    if (action == DOANRA_ACT_REGISTER && out.trip_id > 0 &&
        trip->ngay_di != DOANRA_NODATE) {
        int y, m, d;
        doanra_date_to_ymd(trip->ngay_di, &y, &m, &d);
        st->trip_code = doanra_trip_code(r->pool, y, out.trip_id);
    }
    /* The backend's reference belongs to a version it recorded. */
    if (doanra_action_has_form(action))
        st->reference_trip = out.trip_id;
    apply_verdict(r, st, mode, &out, decided);
}

/* Does the request carry a body (RFC 9112: a Transfer-Encoding, or a
 * Content-Length other than 0)? */
static int has_body(request_rec *r)
{
    const char *cl = apr_table_get(r->headers_in, "Content-Length");

    if (apr_table_get(r->headers_in, "Transfer-Encoding"))
        return 1;
    if (!cl)
        return 0;
    while (*cl == '0')
        cl++;
    return *cl != '\0';
}

/* A POST made by a page of another site (SPEC section 4): a browser says
 * so in Sec-Fetch-Site, or names the page's origin in Origin.  Only the
 * host is compared, so a TLS-terminating proxy in front of Apache (another
 * scheme and port) does not trip it. */
static int cross_site(request_rec *r)
{
    const char *sfs = apr_table_get(r->headers_in, "Sec-Fetch-Site");
    const char *origin = apr_table_get(r->headers_in, "Origin");
    const char *host = r->hostname;
    apr_uri_t u;
    apr_size_t n;

    if (sfs && !strcasecmp(sfs, "cross-site"))
        return 1;
    if (!origin)
        return 0;
    /* "null" is an opaque origin: a sandboxed frame, a data: page. */
    if (apr_uri_parse(r->pool, origin, &u) != APR_SUCCESS || !u.hostname ||
        !u.scheme || !host)
        return 1;
    n = strlen(host);
    if (n > 2 && host[0] == '[' && host[n - 1] == ']') /* IPv6 literal */
        host = apr_pstrmemdup(r->pool, host + 1, n - 2);
    return strcasecmp(u.hostname, host) != 0;
}


/* What to do with a request at a location where the module is on: judge
 * it, refuse it, or leave it alone. */
static void route_request(request_rec *r, const doanra_dir_cfg *dc,
                          int mode)
{
    const char *ct_raw = apr_table_get(r->headers_in, "Content-Type");
    const char *boundary;
    doanra_ctype ct = doanra_ctype_parse(r->pool, ct_raw, &boundary);
    int form = ct == DOANRA_CT_URLENCODED || ct == DOANRA_CT_MULTIPART;
    int post = r->method_number == M_POST, body = has_body(r);
    doanra_req *st;

    if (mode == MODE_REPORT) {
        if (post && form)
            evaluate_submission(r, new_state(r, dc), mode, ct_raw);
        return;
    }

    /* enforce: every body is judged or refused */
    if (!post && !body) {
        /* Nothing to read, unless the query string carries the form. */
        st = new_state(r, dc);
        if (query_has_location_field(r, &st->cfg))
            evaluate_submission(r, st, mode, NULL);
        return;
    }
    st = new_state(r, dc);
    if (dc->same_origin != 0 && cross_site(r)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "doanra: cross-site request refused (Origin %s, "
                      "Sec-Fetch-Site %s): 403",
                      apr_table_get(r->headers_in, "Origin")
                          ? apr_table_get(r->headers_in, "Origin")
                          : "-",
                      apr_table_get(r->headers_in, "Sec-Fetch-Site")
                          ? apr_table_get(r->headers_in, "Sec-Fetch-Site")
                          : "-");
        answer_page(r, st, HTTP_FORBIDDEN, "cross_site_title",
                    "cross_site_text", NULL);
        return;
    }
    if (ct == DOANRA_CT_INVALID) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "doanra: Content-Type \"%s\" is not one media type "
                      "with well-formed parameters: 400",
                      ct_raw);
        r->connection->keepalive = AP_CONN_CLOSE;
        answer_page(r, st, HTTP_BAD_REQUEST, "bad_request_title",
                    "bad_ctype_text", NULL);
        return;
    }
    if (!post || !form) {
        if (dc->other_requests == OTHER_PASS) {
            ap_set_module_config(r->request_config, &doanra_module, NULL);
            return;
        }
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "doanra: %s with a %s body is not a form submission: "
                      "415 (DoanraOtherRequests refuse)",
                      r->method, ct_raw ? ct_raw : "untyped");
        r->connection->keepalive = AP_CONN_CLOSE;
        answer_page(r, st, HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_title",
                    "unsupported_text", NULL);
        return;
    }
    evaluate_submission(r, st, mode, ct_raw);
}

/* Client-sent X-Doanra-* headers go first, before any other module's
 * fixups could read them. */
static int doanra_fixups(request_rec *r)
{
    const doanra_dir_cfg *dc;

    /* An internal redirect shares headers_in with the request it came
     * from, which already lost the client's and may carry the verdict. */
    if (r->main || r->prev)
        return DECLINED;
    dc = ap_get_module_config(r->per_dir_config, &doanra_module);
    if (dir_mode(dc) != MODE_OFF)
        strip_client_headers(r);
    return DECLINED;
}

/* The decision is taken in insert_filter, the last step before the
 * handler: by then the input filters the configuration asks for
 * (SetInputFilter DEFLATE) are in place, so the module reads the body the
 * way the handler would, and its replay sits above them (capture.c). */
static void doanra_insert_filter(request_rec *r)
{
    const doanra_dir_cfg *dc;
    int mode;

    if (r->main)
        return;
    /* An internal redirect (front controller, ErrorDocument) continues the
     * request already judged: replay its body, judge nothing twice.  The
     * injection filter puts itself back (inject.c). */
    if (r->prev) {
        doanra_req *prev = req_state_chain(r->prev);
        if (prev) {
            ap_set_module_config(r->request_config, &doanra_module, prev);
            publish_verdict(r, prev);
            if (prev->body)
                doanra_capture_replay(r, prev->body, prev->body_len);
            /* A redirect for an error page carries the error status: the
             * handler's answer is already known. */
            if (prev->let_through && ap_is_HTTP_SUCCESS(r->status))
                add_status_filter(r);
            return;
        }
    }
    dc = ap_get_module_config(r->per_dir_config, &doanra_module);
    mode = dir_mode(dc);
    if (mode == MODE_OFF)
        return;
    /* The JSON check reads the body itself and records nothing. */
    if (r->handler && !strcmp(r->handler, CHECK_HANDLER))
        return;
    route_request(r, dc, mode);
}

/* Is status one the location counts as "the application accepted it"? */
static int accepted_status(const doanra_dir_cfg *dc, int status)
{
    int i;

    if (status <= 0)
        return 0;
    if (!dc->accept)
        return status >= 200 && status <= 399;
    for (i = 0; i < dc->accept->nelts; i++) {
        const status_range *sr = &APR_ARRAY_IDX(dc->accept, i, status_range);
        if (status >= sr->lo && status <= sr->hi)
            return 1;
    }
    return 0;
}

/* Once the answer has gone out: the reserved trip becomes submitted or
 * void according to what the handler answered (after internal redirects),
 * not what a later output filter made of it. */
static int doanra_log_transaction(request_rec *r)
{
    request_rec *last = r;
    doanra_req *st = NULL;
    int status;

    for (; last; last = last->next) {
        if (!st)
            st = req_state(last);
        if (!last->next)
            break;
    }
    if (!st || !st->let_through || st->settled || !st->store)
        return DECLINED;
    st->settled = 1;
    status = st->handler_status ? st->handler_status : last->status;
    /* The client went away before any answer was sent: nothing reached the
     * user, the trip must not count. */
    if (r->connection->aborted && !last->sent_bodyct && !r->sent_bodyct)
        status = 0;
    /* Unchecked submissions are written in by the journal. */
    if (st->decision == DOANRA_DECISION_UNCHECKED) {
        doanra_journal_finish(st->journal_entry, status,
                              accepted_status(st->dc, status));
        return DECLINED;
    }
    /* An accepted registration: written with others by the settling
     * thread (settle.h). */
    if (server_cfg(r)->settler && status > 0 &&
        accepted_status(st->dc, status) &&
        (st->dc->action == UNSET || st->dc->action == DOANRA_ACT_REGISTER)) {
        doanra_settle_item it;
        memset(&it, 0, sizeof(it));
        it.submission_id = st->submission_id;
        it.trip_id = st->trip_id;
        it.backend_status = status;
        it.accepted = 1;
        it.reference_trip = st->reference ? st->reference_trip : 0;
        it.reference = st->reference;
        doanra_settler_add(server_cfg(r)->settler, r->pool, &it,
                           st->journal_entry);
        st->journal_entry = NULL;
        return DECLINED;
    }
    if (doanra_store_settle(st->store, r, st->submission_id, st->trip_id,
                            status, accepted_status(st->dc, status)) !=
        APR_SUCCESS) {
        /* The journal settles it when the database is back. */
        apr_status_t jrv = APR_EGENERAL;
        if (!st->journal_entry && server_cfg(r)->journal)
            doanra_journal_intent(server_cfg(r)->journal, r,
                                  st->submission_id, st->trip_id,
                                  &st->journal_entry);
        if (st->journal_entry)
            jrv = doanra_journal_finish(st->journal_entry, status,
                                        accepted_status(st->dc, status));
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "doanra: submission %" APR_INT64_T_FMT
                      " could not be settled with status %d; %s",
                      (apr_int64_t)st->submission_id, status,
                      jrv == APR_SUCCESS
                          ? "journalled, settled when the database is back"
                          : "and the journal failed: its trip stays pending");
    } else {
        doanra_journal_discard(st->journal_entry);
        if (st->reference && st->reference_trip > 0 &&
            accepted_status(st->dc, status) &&
            doanra_store_set_reference(st->store, r, st->reference_trip,
                                       st->reference) != APR_SUCCESS)
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          "doanra: the backend's reference of trip %s could "
                          "not be stored",
                          st->trip_code ? st->trip_code : "-");
    }
    return DECLINED;
}

/* ------------------------------------------------------------------ */
/* Start-up                                                             */
/* ------------------------------------------------------------------ */

/* configtest runs this (not post_config): a server where a location turns
 * the module on needs a database. */
static int doanra_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s)
{
    int rc = OK;

    for (; s; s = s->next) {
        doanra_server_cfg *sc =
            ap_get_module_config(s->module_config, &doanra_module);
        if (sc->enabled && !sc->conninfo) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, 0, s,
                         "doanra: DoanraMode enforce or report is set in "
                         "server %s (%s:%d) but DoanraDatabase is not: add "
                         "DoanraDatabase \"conninfo\" to the server or "
                         "virtual host",
                         s->server_hostname ? s->server_hostname : "-",
                         s->defn_name ? s->defn_name : "-",
                         s->defn_line_number);
            rc = HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return rc;
}

/* The journal directories, made as the user Apache starts as
 * and given to the children's user (journal.c). */
static int doanra_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    server_rec *v;
    int warmed = 0;

    for (v = s; v; v = v->next) {
        doanra_server_cfg *sc =
            ap_get_module_config(v->module_config, &doanra_module);
        const char *dir;
        if (!sc->conninfo)
            continue;
        /* ICU's normalisation data and code, touched here in the parent,
         * are mapped into every child at fork and shared by all of them,
         * instead of each child faulting in its own view of them with its
         * first request (about 150 KiB less Pss per child with two). */
        if (!warmed) {
            doanra_text_norm(ptemp, "Nguy\xE1\xBB\x85n V\xC4\x83n "
                                    "\xE2\x80\x8B" "A \xEF\xBC\xA1");
            warmed = 1;
        }
        dir = sc->journal_dir ? sc->journal_dir
                              : ap_runtime_dir_relative(pconf, "doanra");
        if (!dir || doanra_journal_prepare(pconf, v, dir, sc->conninfo,
                                           &sc->journal_path) != APR_SUCCESS)
            sc->journal_path = NULL; /* allow then refuses: logged */
    }
    return OK;
}

/* One store per process and conninfo, opened lazily by the store itself;
 * created here, never in the parent. */
static void doanra_child_init(apr_pool_t *pchild, server_rec *s)
{
    server_rec *v, *w;
    doanra_countries *fallback = NULL;

    for (v = s; v; v = v->next) {
        doanra_server_cfg *sc =
            ap_get_module_config(v->module_config, &doanra_module);
        if (sc->conninfo) {
            for (w = s; w != v; w = w->next) {
                doanra_server_cfg *o =
                    ap_get_module_config(w->module_config, &doanra_module);
                if (o->store && o->conninfo &&
                    !strcmp(o->conninfo, sc->conninfo)) {
                    sc->store = o->store;
                    sc->journal = o->journal;
                    sc->settler = o->settler;
                    break;
                }
            }
            if (!sc->store) {
                doanra_store_options opt;
                opt.timeout = sc->db_timeout;
                opt.max_connections = sc->max_connections;
                opt.stateless = sc->prepared < 0;
                if (doanra_store_create(pchild, v, sc->conninfo, &opt,
                                        &sc->store) != APR_SUCCESS)
                    sc->store = NULL;
                else {
                    if (sc->journal_path)
                        doanra_journal_open(pchild, v, sc->journal_path,
                                            sc->store, &sc->journal);
                    doanra_settler_start(pchild, v, sc->store, sc->journal,
                                         &sc->settler);
                }
            }
            if (!sc->store) {
                ap_log_error(APLOG_MARK, APLOG_ERR, 0, v,
                             "doanra: cannot create the database store; "
                             "submissions get DoanraOnDatabaseError");
                sc->store = NULL;
            }
        }
        if (!sc->store) {
            /* The JSON check still knows countries without a database. */
            if (!fallback) {
                fallback = doanra_countries_make(pchild);
                doanra_countries_load_icu(fallback);
            }
            sc->countries_fallback = fallback;
        }
    }
}

static void doanra_register_hooks(apr_pool_t *p)
{
    ap_hook_check_config(doanra_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(doanra_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(doanra_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_fixups(doanra_fixups, NULL, NULL, APR_HOOK_REALLY_FIRST);
    /* After every other module's input filters (SetInputFilter, a
     * module's own at APR_HOOK_LAST): the body is read through them. */
    ap_hook_insert_filter(doanra_insert_filter, NULL, NULL,
                          APR_HOOK_REALLY_LAST);
    ap_hook_handler(blocked_handler, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_handler(check_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_log_transaction(doanra_log_transaction, NULL, NULL,
                            APR_HOOK_MIDDLE);
    page_capture_frec = ap_register_output_filter(
        PAGE_CAPTURE_FILTER, page_capture_filter, NULL, AP_FTYPE_PROTOCOL);
    /* Ahead of every resource filter: the first to see the handler's
     * output, before byte ranges or anything else rewrites the status. */
    status_frec = ap_register_output_filter(
        STATUS_FILTER, status_filter, NULL,
        (ap_filter_type)(AP_FTYPE_RESOURCE - 1));
    doanra_capture_register();
    doanra_inject_register();
}

AP_DECLARE_MODULE(doanra) = {
    STANDARD20_MODULE_STUFF,
    doanra_create_dir_cfg,
    doanra_merge_dir_cfg,
    doanra_create_server_cfg,
    doanra_merge_server_cfg,
    doanra_cmds,
    doanra_register_hooks,
#if defined(AP_MODULE_FLAG_ALWAYS_MERGE)
    AP_MODULE_FLAG_ALWAYS_MERGE
#endif
};
