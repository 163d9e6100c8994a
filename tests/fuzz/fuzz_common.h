/*
 * fuzz_common.h - shared set-up and checkers for the libFuzzer targets in
 * tests/fuzz.
 *
 * Each target is one .c file that includes this header once.  The process
 * set-up mirrors the module's per-process state: APR initialised once, one
 * root pool, the country table built from ICU once, the default
 * configuration.  Each input gets a subpool that is cleared after the run,
 * so memory stays flat however many inputs the fuzzer tries.
 *
 * The checkers are deliberately independent of the code under test (their
 * own UTF-8 decoder, their own JSON validator): a fuzz target that reuses
 * the code it checks finds nothing.
 */
#ifndef DOANRA_FUZZ_COMMON_H
#define DOANRA_FUZZ_COMMON_H

#include "doanra.h"

#include <apr_general.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static apr_pool_t *fz_root;    /* lives for the process */
static apr_pool_t *fz_pool;    /* cleared after every input */
static doanra_countries *fz_countries;
static doanra_config fz_defaults;

/* The checkers below are not the code under test: their branches would
 * only add noise to the coverage that guides the fuzzer, and cost time. */
#if defined(__clang__) && __clang_major__ >= 13
#define FZ_NOCOV __attribute__((no_sanitize("coverage")))
#else
#define FZ_NOCOV
#endif

/* A broken invariant: say which, then abort so libFuzzer keeps the input. */
#define FZ_CHECK(cond, ...)                                                  \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "invariant failed (%s:%d): %s\n", __FILE__,      \
                    __LINE__, #cond);                                        \
            fprintf(stderr, "  " __VA_ARGS__);                               \
            fputc('\n', stderr);                                             \
            abort();                                                         \
        }                                                                    \
    } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (apr_initialize() != APR_SUCCESS || apr_pool_create(&fz_root, NULL) ||
        apr_pool_create(&fz_pool, fz_root)) {
        fprintf(stderr, "fuzz: APR set-up failed\n");
        exit(1);
    }
    fz_countries = doanra_countries_make(fz_root);
    doanra_countries_load_icu(fz_countries);
    doanra_config_defaults(fz_root, &fz_defaults);
    return 0;
}

/* ---- reading the input as a stream of choices ------------------------ */

typedef struct {
    const uint8_t *p;
    size_t n;
} fz_in;

static inline unsigned fz_byte(fz_in *in)
{
    unsigned b;
    if (!in->n)
        return 0;
    b = in->p[0];
    in->p++;
    in->n--;
    return b;
}

/* The next string: bytes up to a NUL (or the end), copied into the pool. */
static inline const char *fz_str(apr_pool_t *p, fz_in *in)
{
    const uint8_t *z = memchr(in->p, 0, in->n);
    size_t len = z ? (size_t)(z - in->p) : in->n;
    char *s = apr_pstrmemdup(p, (const char *)in->p, len);
    in->p += len + (z ? 1 : 0);
    in->n -= len + (z ? 1 : 0);
    return s;
}

/* ---- UTF-8 (strict, RFC 3629: no overlongs, no surrogates) ----------- */

/* Decode one code point at s[0..n); returns its length, 0 if ill-formed. */
static inline FZ_NOCOV size_t fz_utf8_one(const unsigned char *s, size_t n, unsigned long *cp)
{
    unsigned long c;
    size_t len, i;
    if (!n)
        return 0;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xE0) == 0xC0) {
        len = 2;
        c = s[0] & 0x1F;
    } else if ((s[0] & 0xF0) == 0xE0) {
        len = 3;
        c = s[0] & 0x0F;
    } else if ((s[0] & 0xF8) == 0xF0) {
        len = 4;
        c = s[0] & 0x07;
    } else
        return 0;
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) ||
        (len == 4 && c < 0x10000) || c > 0x10FFFF ||
        (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return len;
}

/* Well-formed UTF-8; NUL bytes allowed only when allow_nul. */
static inline FZ_NOCOV int fz_utf8_ok(const char *s, size_t n, int allow_nul)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, k;
    unsigned long cp;
    while (i < n) {
        k = fz_utf8_one(u + i, n - i, &cp);
        if (!k || (cp == 0 && !allow_nul))
            return 0;
        i += k;
    }
    return 1;
}

/* ---- a small strict JSON validator (RFC 8259) ------------------------ */

typedef struct {
    const char *s, *e;
    int depth;
} fz_json;

static inline FZ_NOCOV void fz_json_ws(fz_json *j)
{
    while (j->s < j->e &&
           (*j->s == ' ' || *j->s == '\t' || *j->s == '\n' || *j->s == '\r'))
        j->s++;
}

static inline FZ_NOCOV int fz_json_value(fz_json *j);

static inline FZ_NOCOV int fz_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

static inline FZ_NOCOV unsigned fz_hexval(const char *h)
{
    unsigned v = 0;
    int i;
    for (i = 0; i < 4; i++)
        v = v * 16 + (unsigned)(h[i] <= '9'   ? h[i] - '0'
                                : h[i] <= 'F' ? h[i] - 'A' + 10
                                              : h[i] - 'a' + 10);
    return v;
}

/* A string; when out is given, the decoded bytes (UTF-8) are written there
 * (it must hold as many bytes as the source, which always suffices) and
 * *out_len set. */
static inline FZ_NOCOV int fz_json_string(fz_json *j, char *out, size_t *out_len)
{
    size_t o = 0, k;
    unsigned long cp;
    if (j->s >= j->e || *j->s != '"')
        return 0;
    j->s++;
    while (j->s < j->e && *j->s != '"') {
        unsigned char c = (unsigned char)*j->s;
        if (c < 0x20)
            return 0; /* raw control characters are not allowed */
        if (c == '\\') {
            if (j->e - j->s < 2)
                return 0;
            switch (j->s[1]) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n':
            case 'r': case 't': {
                static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
                if (out)
                    out[o++] = to[strchr(from, j->s[1]) - from];
                j->s += 2;
                break;
            }
            case 'u': {
                unsigned v;
                if (j->e - j->s < 6 || !fz_hex(j->s[2]) || !fz_hex(j->s[3]) ||
                    !fz_hex(j->s[4]) || !fz_hex(j->s[5]))
                    return 0;
                v = fz_hexval(j->s + 2);
                j->s += 6;
                cp = v;
                if (v >= 0xD800 && v <= 0xDBFF) {
                    /* a high surrogate must be followed by a low one */
                    unsigned w;
                    if (j->e - j->s < 6 || j->s[0] != '\\' || j->s[1] != 'u' ||
                        !fz_hex(j->s[2]) || !fz_hex(j->s[3]) ||
                        !fz_hex(j->s[4]) || !fz_hex(j->s[5]))
                        return 0;
                    w = fz_hexval(j->s + 2);
                    if (w < 0xDC00 || w > 0xDFFF)
                        return 0;
                    j->s += 6;
                    cp = 0x10000 + (((unsigned long)v - 0xD800) << 10) +
                         (w - 0xDC00);
                } else if (v >= 0xDC00 && v <= 0xDFFF)
                    return 0;
                if (out) {
                    if (cp < 0x80)
                        out[o++] = (char)cp;
                    else if (cp < 0x800) {
                        out[o++] = (char)(0xC0 | (cp >> 6));
                        out[o++] = (char)(0x80 | (cp & 0x3F));
                    } else if (cp < 0x10000) {
                        out[o++] = (char)(0xE0 | (cp >> 12));
                        out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                        out[o++] = (char)(0x80 | (cp & 0x3F));
                    } else {
                        out[o++] = (char)(0xF0 | (cp >> 18));
                        out[o++] = (char)(0x80 | ((cp >> 12) & 0x3F));
                        out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                        out[o++] = (char)(0x80 | (cp & 0x3F));
                    }
                }
                break;
            }
            default:
                return 0;
            }
            continue;
        }
        /* JSON text is UTF-8 (PostgreSQL's jsonb refuses anything else) */
        k = fz_utf8_one((const unsigned char *)j->s, (size_t)(j->e - j->s), &cp);
        if (!k)
            return 0;
        if (out)
            memcpy(out + o, j->s, k);
        o += k;
        j->s += k;
    }
    if (j->s >= j->e)
        return 0;
    j->s++;
    if (out_len)
        *out_len = o;
    return 1;
}

static inline FZ_NOCOV int fz_json_number(fz_json *j)
{
    const char *s = j->s;
    if (s < j->e && *s == '-')
        s++;
    if (s >= j->e)
        return 0;
    if (*s == '0')
        s++;
    else if (*s >= '1' && *s <= '9')
        while (s < j->e && *s >= '0' && *s <= '9')
            s++;
    else
        return 0;
    if (s < j->e && *s == '.') {
        s++;
        if (s >= j->e || *s < '0' || *s > '9')
            return 0;
        while (s < j->e && *s >= '0' && *s <= '9')
            s++;
    }
    if (s < j->e && (*s == 'e' || *s == 'E')) {
        s++;
        if (s < j->e && (*s == '+' || *s == '-'))
            s++;
        if (s >= j->e || *s < '0' || *s > '9')
            return 0;
        while (s < j->e && *s >= '0' && *s <= '9')
            s++;
    }
    j->s = s;
    return 1;
}

static inline FZ_NOCOV int fz_json_lit(fz_json *j, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(j->e - j->s) < n || memcmp(j->s, w, n))
        return 0;
    j->s += n;
    return 1;
}

static inline FZ_NOCOV int fz_json_value(fz_json *j)
{
    int ok = 0;
    fz_json_ws(j);
    if (j->s >= j->e || ++j->depth > 64)
        return 0;
    switch (*j->s) {
    case '{':
        j->s++;
        fz_json_ws(j);
        if (j->s < j->e && *j->s == '}') {
            j->s++;
            ok = 1;
            break;
        }
        for (;;) {
            fz_json_ws(j);
            if (!fz_json_string(j, NULL, NULL))
                return 0;
            fz_json_ws(j);
            if (j->s >= j->e || *j->s != ':')
                return 0;
            j->s++;
            if (!fz_json_value(j))
                return 0;
            fz_json_ws(j);
            if (j->s < j->e && *j->s == ',') {
                j->s++;
                continue;
            }
            if (j->s < j->e && *j->s == '}') {
                j->s++;
                ok = 1;
            }
            break;
        }
        break;
    case '[':
        j->s++;
        fz_json_ws(j);
        if (j->s < j->e && *j->s == ']') {
            j->s++;
            ok = 1;
            break;
        }
        for (;;) {
            if (!fz_json_value(j))
                return 0;
            fz_json_ws(j);
            if (j->s < j->e && *j->s == ',') {
                j->s++;
                continue;
            }
            if (j->s < j->e && *j->s == ']') {
                j->s++;
                ok = 1;
            }
            break;
        }
        break;
    case '"':
        ok = fz_json_string(j, NULL, NULL);
        break;
    case 't':
        ok = fz_json_lit(j, "true");
        break;
    case 'f':
        ok = fz_json_lit(j, "false");
        break;
    case 'n':
        ok = fz_json_lit(j, "null");
        break;
    default:
        ok = fz_json_number(j);
    }
    j->depth--;
    return ok;
}

/* 1 if s is exactly one JSON value (surrounding white space allowed). */
static inline FZ_NOCOV int fz_json_valid(const char *s)
{
    fz_json j;
    if (!s)
        return 0;
    j.s = s;
    j.e = s + strlen(s);
    j.depth = 0;
    if (!fz_json_value(&j))
        return 0;
    fz_json_ws(&j);
    return j.s == j.e;
}

/* Print where a JSON text stops being valid, for the crash report. */
static inline FZ_NOCOV void fz_json_die(const char *what, const char *s)
{
    fprintf(stderr, "invalid JSON from %s:\n%s\n", what, s ? s : "(null)");
    abort();
}

/* ---- HTML escaping --------------------------------------------------- */

/* Check that out is s escaped: no raw < > " ' and, decoding the five
 * entities, exactly s again. */
static inline FZ_NOCOV void fz_check_html_escape(const char *s, const char *out)
{
    size_t i = 0, o = 0, n = strlen(s);
    FZ_CHECK(out != NULL, "doanra_html_escape returned NULL");
    while (out[o]) {
        char c = out[o];
        FZ_CHECK(c != '<' && c != '>' && c != '"' && c != '\'',
                 "raw %c at %zu of escaped output", c, o);
        if (c == '&') {
            static const char *const ent[] = {"&amp;", "&lt;", "&gt;",
                                              "&quot;", "&#39;", "&#x27;",
                                              "&#34;", "&#x22;"};
            static const char dec[] = {'&', '<', '>', '"', '\'', '\'', '"',
                                       '"'};
            size_t k;
            for (k = 0; k < sizeof(dec); k++)
                if (!strncmp(out + o, ent[k], strlen(ent[k])))
                    break;
            FZ_CHECK(k < sizeof(dec), "bare & at %zu of escaped output", o);
            FZ_CHECK(i < n && s[i] == dec[k], "entity does not match input");
            i++;
            o += strlen(ent[k]);
            continue;
        }
        FZ_CHECK(i < n && s[i] == c, "escaped output differs from input at %zu",
                 i);
        i++;
        o++;
    }
    FZ_CHECK(i == n, "escaped output is shorter than its input");
}

/* Check that the JSON-escaped out, put between quotes, is a valid JSON
 * string with no raw < > & (render.c promises it can sit in a <script>),
 * and, when s is valid UTF-8, that it decodes to s. */
static inline FZ_NOCOV void fz_check_json_escape(apr_pool_t *p, const char *s, const char *out)
{
    const char *q;
    char *dec;
    size_t dlen = 0;
    fz_json j;
    FZ_CHECK(out != NULL, "doanra_json_escape returned NULL");
    q = apr_pstrcat(p, "\"", out, "\"", NULL);
    j.s = q;
    j.e = q + strlen(q);
    j.depth = 0;
    dec = apr_palloc(p, strlen(q) + 1);
    if (!fz_json_string(&j, dec, &dlen) || j.s != j.e)
        fz_json_die("doanra_json_escape", q);
    FZ_CHECK(!strpbrk(out, "<>&"), "raw < > or & in JSON escape: %s", out);
    if (fz_utf8_ok(s, strlen(s), 0))
        FZ_CHECK(dlen == strlen(s) && !memcmp(dec, s, dlen),
                 "JSON escape does not decode to its input");
}

/* ---- the structure of HTML the renderer writes ----------------------- */

/* Tags and attributes the renderer itself writes.  Request data can only
 * ever be text or an attribute value: if it escapes from there, a tag or
 * attribute name outside these lists shows up, or a quote goes missing. */
static const char *const fz_tags[] = {
    "a", "body", "h1", "h2", "head", "html", "li", "main", "meta", "p",
    "section", "span", "style", "table", "tbody", "td", "th", "thead",
    "title", "tr", "ul", NULL};
static const char *const fz_attrs[] = {
    "aria-describedby", "aria-invalid", "charset", "class", "colspan",
    "content", "data-doanra-decision", "data-doanra-field", "data-doanra-row",
    "data-doanra-rule", "data-doanra-severity", "href", "id", "lang", "name",
    "role", "scope", "tabindex", "value", NULL};

static inline FZ_NOCOV int fz_in_list(const char *const *l, const char *s, size_t n)
{
    for (; *l; l++)
        if (strlen(*l) == n && !strncasecmp(*l, s, n))
            return 1;
    return 0;
}

/* An href the way a browser reads it (tabs and newlines dropped, '\' as
 * '/') must not leave the site or run script, but for the one fixed
 * history.back() link. */
static inline FZ_NOCOV void fz_check_href(apr_pool_t *p, const char *v, size_t n)
{
    char *u = apr_palloc(p, n + 1), *o = u;
    size_t i;
    for (i = 0; i < n; i++) {
        if (v[i] == '\t' || v[i] == '\n' || v[i] == '\r')
            continue;
        if (v[i] == '&') { /* the five entities html_escape writes */
            static const char *const ent[] = {"&amp;", "&lt;", "&gt;",
                                              "&quot;", "&#39;"};
            static const char dec[] = "&<>\"'";
            int k;
            for (k = 0; k < 5; k++)
                if (!strncmp(v + i, ent[k], strlen(ent[k]))) {
                    *o++ = dec[k];
                    i += strlen(ent[k]) - 1;
                    break;
                }
            if (k < 5)
                continue;
        }
        *o++ = v[i] == '\\' ? '/' : v[i];
    }
    *o = '\0';
    FZ_CHECK(!strcmp(u, "javascript:history.back()") ||
                 (u[0] == '/' && u[1] != '/') ||
                 !strncasecmp(u, "http://", 7) || !strncasecmp(u, "https://", 8),
             "unsafe link href=\"%.*s\"", (int)n, v);
}

/* Walk html: every '<' opens a known tag, a comment or the doctype, every
 * attribute is known and double-quoted, and text holds no raw '>' (all
 * request text goes through doanra_html_escape). */
static inline FZ_NOCOV void fz_check_html(apr_pool_t *p, const char *html)
{
    const char *s = html;
    FZ_CHECK(html != NULL, "rendered NULL");
    while (*s) {
        const char *name;
        size_t nl;
        int end = 0;
        if (*s == '>') {
            FZ_CHECK(0, "raw '>' in text at %zu: %.60s", (size_t)(s - html), s);
        }
        if (*s != '<') {
            s++;
            continue;
        }
        if (!strncmp(s, "<!--", 4)) {
            const char *e = strstr(s + 4, "-->");
            FZ_CHECK(e != NULL, "unclosed comment");
            s = e + 3;
            continue;
        }
        if (!strncasecmp(s, "<!DOCTYPE html>", 15)) {
            s += 15;
            continue;
        }
        s++;
        if (*s == '/') {
            end = 1;
            s++;
        }
        name = s;
        while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
               (*s >= '0' && *s <= '9'))
            s++;
        nl = (size_t)(s - name);
        FZ_CHECK(nl && fz_in_list(fz_tags, name, nl),
                 "unexpected tag at %zu: %.60s", (size_t)(name - html), name - 1);
        for (;;) {
            const char *an;
            size_t al;
            while (*s == ' ' || *s == '\n' || *s == '\t')
                s++;
            if (*s == '>') {
                s++;
                break;
            }
            if (s[0] == '/' && s[1] == '>') {
                s += 2;
                break;
            }
            FZ_CHECK(!end, "attribute in an end tag: %.60s", name);
            an = s;
            while ((*s >= 'a' && *s <= 'z') || *s == '-')
                s++;
            al = (size_t)(s - an);
            FZ_CHECK(al && fz_in_list(fz_attrs, an, al),
                     "unexpected attribute at %zu: %.60s", (size_t)(an - html),
                     an);
            if (*s == '=') {
                const char *v, *ve;
                s++;
                FZ_CHECK(*s == '"', "unquoted attribute value: %.60s", an);
                v = ++s;
                ve = strchr(v, '"');
                FZ_CHECK(ve != NULL, "unterminated attribute value: %.60s", an);
                FZ_CHECK(!memchr(v, '<', (size_t)(ve - v)) &&
                             !memchr(v, '>', (size_t)(ve - v)),
                         "raw < or > in attribute value: %.60s", an);
                if (al == 4 && !strncmp(an, "href", 4))
                    fz_check_href(p, v, (size_t)(ve - v));
                s = ve + 1;
            }
        }
        /* raw text: the style sheet is the renderer's own */
        if (!end && nl == 5 && !strncasecmp(name, "style", 5)) {
            const char *e = strstr(s, "</style>");
            FZ_CHECK(e != NULL, "unclosed <style>");
            s = e + 8;
        }
    }
}

#endif /* DOANRA_FUZZ_COMMON_H */
