/*
 * mod_doanra_echo.c - the small backend that stands for the province's
 * existing intranet application in the demo, the tests and the benchmark.
 *
 *   LoadModule doanra_echo_module .../mod_doanra_echo.so
 *   <Location /doanra/submit> SetHandler doanra-echo </Location>
 *
 * It reads the request body and answers a Vietnamese confirmation page
 * ("Đã nhận hồ sơ đoàn ra") that shows what it received, for people and for
 * tests: the body's length and SHA-256, the Content-Type, Content-Length and
 * Transfer-Encoding it saw, and every X-Doanra-* request header.  The same
 * facts come as response headers (X-Echo-*) and as "key: value" lines in
 * <pre id="echo">.  It runs inside httpd (no fork per request), so the
 * benchmark measures mod_doanra and not process start-up.
 *
 * Query flags, for tests:
 *   status=NNN   answer with that status (the page is still sent)
 *   type=T       answer with Content-Type T instead of text/html
 *   marker=0     leave the <!--doanra--> marker out of the page
 *   bodytag=0    no <body> start tag either (injection at document start)
 *   showbody=1   also show the body itself, HTML-escaped, in <pre id="body">
 *   sleep=MS     wait MS milliseconds before answering (at most 10000)
 *   location=U   answer 303 with Location U (a form's usual redirect)
 *   length=1     send a Content-Length header (the page is built in memory)
 *   reference=R  answer with X-Doanra-Reference: R (the application's id)
 *
 * With an X-Doanra-Trip request header the page also links the demo's forms
 * for the trip's next steps (/doanra/dieu-chinh/?ma_ho_so=CODE, ...).
 */
#include <httpd.h>
#include <http_config.h>
#include <http_protocol.h>
#include <http_request.h>
#include <http_log.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <apr_time.h>

#include <stdint.h>
#include <string.h>

module AP_MODULE_DECLARE_DATA doanra_echo_module;

/* ---- SHA-256 (FIPS 180-4); APR ships only SHA-1 and MD5 -------------- */

typedef struct {
    uint32_t h[8];
    uint64_t len;
    unsigned char buf[64];
    size_t used;
} echo_sha256;

static const uint32_t echo_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ECHO_ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void echo_sha256_block(echo_sha256 *s, const unsigned char *p)
{
    uint32_t w[64], a, b, c, d, e, f, g, h;
    int i;

    for (i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    for (i = 16; i < 64; i++) {
        uint32_t s0 = ECHO_ROR(w[i - 15], 7) ^ ECHO_ROR(w[i - 15], 18) ^
                      (w[i - 15] >> 3);
        uint32_t s1 = ECHO_ROR(w[i - 2], 17) ^ ECHO_ROR(w[i - 2], 19) ^
                      (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
    e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
    for (i = 0; i < 64; i++) {
        uint32_t t1 = h + (ECHO_ROR(e, 6) ^ ECHO_ROR(e, 11) ^ ECHO_ROR(e, 25)) +
                      ((e & f) ^ (~e & g)) + echo_k[i] + w[i];
        uint32_t t2 = (ECHO_ROR(a, 2) ^ ECHO_ROR(a, 13) ^ ECHO_ROR(a, 22)) +
                      ((a & b) ^ (a & c) ^ (b & c));
        h = g, g = f, f = e, e = d + t1;
        d = c, c = b, b = a, a = t1 + t2;
    }
    s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
    s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void echo_sha256_init(echo_sha256 *s)
{
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372,
                                   0xa54ff53a, 0x510e527f, 0x9b05688c,
                                   0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, iv, sizeof iv);
    s->len = 0;
    s->used = 0;
}

static void echo_sha256_update(echo_sha256 *s, const char *data, size_t n)
{
    const unsigned char *p = (const unsigned char *)data;

    s->len += n;
    while (n > 0) {
        size_t take = 64 - s->used;
        if (take > n)
            take = n;
        memcpy(s->buf + s->used, p, take);
        s->used += take;
        p += take;
        n -= take;
        if (s->used == 64) {
            echo_sha256_block(s, s->buf);
            s->used = 0;
        }
    }
}

static void echo_sha256_hex(echo_sha256 *s, char out[65])
{
    uint64_t bits = s->len * 8;
    unsigned char pad = 0x80, zero = 0, lenbuf[8];
    int i;

    echo_sha256_update(s, (const char *)&pad, 1);
    while (s->used != 56)
        echo_sha256_update(s, (const char *)&zero, 1);
    for (i = 0; i < 8; i++)
        lenbuf[i] = (unsigned char)(bits >> (56 - 8 * i));
    echo_sha256_update(s, (const char *)lenbuf, 8);
    for (i = 0; i < 8; i++)
        apr_snprintf(out + 8 * i, 9, "%08x", s->h[i]);
    out[64] = '\0';
}

/* ---- the handler --------------------------------------------------- */

typedef struct {
    apr_pool_t *p;
    const char *prefix;
    apr_array_header_t *lines; /* "key: value" strings */
} echo_hdr_walk;

/* Collect X-Doanra-* request headers (case-insensitive prefix). */
static int echo_collect(void *data, const char *key, const char *value)
{
    echo_hdr_walk *w = data;
    if (strncasecmp(key, w->prefix, strlen(w->prefix)) == 0)
        *(const char **)apr_array_push(w->lines) =
            apr_pstrcat(w->p, apr_pstrdup(w->p, key), ": ", value, NULL);
    return 1;
}

static const char *echo_arg(request_rec *r, apr_table_t *args, const char *k)
{
    return args ? apr_table_get(args, k) : NULL;
}

static int echo_handler(request_rec *r)
{
    apr_table_t *args = NULL;
    echo_sha256 sha;
    char hex[65], buf[8192];
    apr_off_t total = 0;
    apr_size_t kept_len = 0, kept_cap = 0;
    char *kept = NULL;
    long n;
    int rc, status = HTTP_OK, i;
    const char *v, *ctype, *clen, *te;
    echo_hdr_walk walk;

    if (!r->handler || strcmp(r->handler, "doanra-echo") != 0)
        return DECLINED;

    if (r->args) {
        char *a, *tok, *last;
        args = apr_table_make(r->pool, 8);
        a = apr_pstrdup(r->pool, r->args);
        for (tok = apr_strtok(a, "&", &last); tok;
             tok = apr_strtok(NULL, "&", &last)) {
            char *eq = strchr(tok, '=');
            if (eq) {
                *eq = '\0';
                ap_unescape_url(eq + 1);
                apr_table_setn(args, tok, eq + 1);
            } else {
                apr_table_setn(args, tok, "1");
            }
        }
    }
    int showbody = (v = echo_arg(r, args, "showbody")) && strcmp(v, "1") == 0;

    /* What the backend was given, before reading consumes anything. */
    ctype = apr_table_get(r->headers_in, "Content-Type");
    clen = apr_table_get(r->headers_in, "Content-Length");
    te = apr_table_get(r->headers_in, "Transfer-Encoding");

    rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK);
    if (rc != OK)
        return rc;
    echo_sha256_init(&sha);
    if (ap_should_client_block(r)) {
        while ((n = ap_get_client_block(r, buf, sizeof buf)) > 0) {
            echo_sha256_update(&sha, buf, (size_t)n);
            total += n;
            if (showbody) {
                if (kept_len + (apr_size_t)n + 1 > kept_cap) {
                    char *grown;
                    kept_cap = (kept_len + (apr_size_t)n + 1) * 2;
                    grown = apr_palloc(r->pool, kept_cap);
                    if (kept_len)
                        memcpy(grown, kept, kept_len);
                    kept = grown;
                }
                memcpy(kept + kept_len, buf, (size_t)n);
                kept_len += (apr_size_t)n;
            }
        }
        if (n < 0)
            return HTTP_BAD_REQUEST;
    }
    echo_sha256_hex(&sha, hex);

    if ((v = echo_arg(r, args, "sleep")) != NULL) {
        long ms = atol(v);
        if (ms > 0 && ms <= 10000)
            apr_sleep(apr_time_from_msec(ms));
    }
    if ((v = echo_arg(r, args, "status")) != NULL) {
        int s = atoi(v);
        if (s >= 200 && s <= 599)
            status = s;
    }

    walk.p = r->pool;
    walk.prefix = "X-Doanra-";
    walk.lines = apr_array_make(r->pool, 4, sizeof(const char *));
    apr_table_do(echo_collect, &walk, r->headers_in, NULL);

    apr_table_setn(r->headers_out, "X-Echo-Method", r->method);
    apr_table_setn(r->headers_out, "X-Echo-Length",
                   apr_off_t_toa(r->pool, total));
    apr_table_setn(r->headers_out, "X-Echo-Sha256",
                   apr_pstrdup(r->pool, hex));
    apr_table_setn(r->headers_out, "X-Echo-Content-Type", ctype ? ctype : "");
    apr_table_setn(r->headers_out, "X-Echo-Content-Length", clen ? clen : "");
    apr_table_setn(r->headers_out, "X-Echo-Transfer-Encoding", te ? te : "");
    for (i = 0; i < walk.lines->nelts; i++) {
        const char *line = APR_ARRAY_IDX(walk.lines, i, const char *);
        apr_table_addn(r->headers_out, "X-Echo-Doanra", line);
    }

    /* reference=R: the application's own record id (SPEC section 8). */
    if ((v = echo_arg(r, args, "reference")) != NULL && *v)
        apr_table_setn(r->headers_out, "X-Doanra-Reference", v);
    if ((v = echo_arg(r, args, "location")) != NULL && *v) {
        apr_table_setn(r->headers_out, "Location", v);
        status = HTTP_SEE_OTHER;
    }
    r->status = status;
    v = echo_arg(r, args, "type");
    ap_set_content_type(r, v && *v ? v : "text/html; charset=utf-8");
    if (r->header_only)
        return OK;

    /* The page: a plain intranet confirmation, machine-readable inside. */
    int marker = !((v = echo_arg(r, args, "marker")) && strcmp(v, "0") == 0);
    int bodytag = !((v = echo_arg(r, args, "bodytag")) && strcmp(v, "0") == 0);
    apr_array_header_t *out = apr_array_make(r->pool, 32, sizeof(char *));
#define OUT(s) (*(const char **)apr_array_push(out) = (s))
    OUT("<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, "
        "initial-scale=1\">\n"
        "<title>Đã nhận hồ sơ đoàn ra</title>\n"
        "<link rel=\"stylesheet\" href=\"/doanra/doanra.css\">\n</head>\n");
    if (bodytag)
        OUT("<body class=\"echo\">\n");
    OUT("<header class=\"portal\"><p class=\"portal-name\">Cổng thông tin nội "
        "bộ - UBND tỉnh Quảng Ninh</p></header>\n<main>\n");
    if (marker)
        OUT("<!--doanra-->\n");
    OUT(apr_psprintf(r->pool,
                     "<h1>Đã nhận hồ sơ đoàn ra</h1>\n"
                     "<p>Hệ thống đã nhận hồ sơ (%" APR_OFF_T_FMT
                     " byte). Văn phòng sẽ xử lý và phản hồi cho đơn vị.</p>\n"
                     "<p><a href=\"/doanra/\">Đăng ký đoàn khác</a></p>\n",
                     total));
    /* The demo's forms for the trip's next steps (SPEC section 8), the
     * dossier code in the link (demo/ma-ho-so.js fills it in). */
    if ((v = apr_table_get(r->headers_in, "X-Doanra-Trip")) != NULL && *v) {
        const char *q = ap_escape_html(
            r->pool, apr_pstrcat(r->pool, "?ma_ho_so=",
                                 ap_escape_urlencoded(r->pool, v), NULL));
        OUT(apr_pstrcat(
            r->pool, "<nav class=\"steps\" data-doanra-trip=\"",
            ap_escape_html(r->pool, v), "\"><p>Các bước tiếp theo của hồ sơ ",
            ap_escape_html(r->pool, v), ":</p>\n<ul>\n",
            "<li><a href=\"/doanra/dieu-chinh/", q, "\">Điều chỉnh</a></li>\n",
            "<li><a href=\"/doanra/huy/", q, "\">Hủy đoàn</a></li>\n",
            "<li><a href=\"/doanra/bao-cao/", q,
            "\">Báo cáo kết quả</a></li>\n",
            "<li><a href=\"/doanra/phe-duyet/", q,
            "\">Phê duyệt</a> (lãnh đạo)</li>\n",
            "<li><a href=\"/doanra/tu-choi/", q,
            "\">Từ chối</a> (lãnh đạo)</li>\n</ul></nav>\n",
            NULL));
    }
    OUT("<pre id=\"echo\">\n");
    OUT(apr_pstrcat(r->pool, "method: ", ap_escape_html(r->pool, r->method),
                    "\n", NULL));
    OUT(apr_pstrcat(r->pool, "content-type: ",
                    ap_escape_html(r->pool, ctype ? ctype : ""), "\n", NULL));
    OUT(apr_pstrcat(r->pool, "content-length: ",
                    ap_escape_html(r->pool, clen ? clen : ""), "\n", NULL));
    OUT(apr_pstrcat(r->pool, "transfer-encoding: ",
                    ap_escape_html(r->pool, te ? te : ""), "\n", NULL));
    OUT(apr_psprintf(r->pool, "body-length: %" APR_OFF_T_FMT "\n", total));
    OUT(apr_pstrcat(r->pool, "body-sha256: ", hex, "\n", NULL));
    for (i = 0; i < walk.lines->nelts; i++) {
        const char *line = APR_ARRAY_IDX(walk.lines, i, const char *);
        OUT(apr_pstrcat(r->pool, ap_escape_html(r->pool, line), "\n", NULL));
    }
    OUT("</pre>\n");
    if (showbody && kept) {
        kept[kept_len] = '\0';
        OUT("<pre id=\"body\">");
        OUT(ap_escape_html(r->pool, kept));
        OUT("</pre>\n");
    }
    OUT("</main>\n");
    if (bodytag)
        OUT("</body>\n");
    OUT("</html>\n");
#undef OUT

    {
        const char *page = apr_array_pstrcat(r->pool, out, 0);
        apr_size_t plen = strlen(page);
        if ((v = echo_arg(r, args, "length")) && strcmp(v, "1") == 0)
            ap_set_content_length(r, (apr_off_t)plen);
        ap_rwrite(page, (int)plen, r);
    }
    return OK;
}

static void echo_register_hooks(apr_pool_t *p)
{
    ap_hook_handler(echo_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA doanra_echo_module = {
    STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL, echo_register_hooks,
    AP_MODULE_FLAG_NONE};
