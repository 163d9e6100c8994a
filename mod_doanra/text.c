/*
 * text.c - UTF-8 validation and the normal form used to compare names.
 *
 * The same person's name typed on a Mac (NFD, decomposed diacritics) and on
 * Windows (NFC), in upper or lower case, with a stray non-breaking space from
 * a word processor, must compare equal.  doanra_text_norm gives the one form
 * everything is compared in: NFC, full case folding, NFC again (folding can
 * un-normalise), Unicode white space trimmed and each run collapsed to one
 * ASCII space.  ICU does the Unicode work; pure ASCII takes a short cut that
 * gives the same result.
 */
#include "doanra.h"

#include <string.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

int doanra_utf8_valid(const char *s, apr_size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *e;

    if (!s)
        return len == 0;
    e = p + len;
    while (p < e) {
        unsigned c = *p;
        if (c < 0x80) {
            if (c == 0)
                return 0;
            p++;
            continue;
        }
        /* C0/C1 would be overlong two-byte forms; above F4 is past U+10FFFF */
        if (c < 0xC2 || c > 0xF4)
            return 0;
        if (c < 0xE0) {
            if (e - p < 2 || (p[1] & 0xC0) != 0x80)
                return 0;
            p += 2;
            continue;
        }
        if (c < 0xF0) {
            if (e - p < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
                return 0;
            if (c == 0xE0 && p[1] < 0xA0) /* overlong */
                return 0;
            if (c == 0xED && p[1] > 0x9F) /* UTF-16 surrogates */
                return 0;
            p += 3;
            continue;
        }
        if (e - p < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
            (p[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && p[1] < 0x90) /* overlong */
            return 0;
        if (c == 0xF4 && p[1] > 0x8F) /* past U+10FFFF */
            return 0;
        p += 4;
    }
    return 1;
}

/* The ASCII characters with the Unicode White_Space property. */
static int ascii_space(unsigned char c)
{
    return c == ' ' || (c >= 0x09 && c <= 0x0D);
}

/* ASCII is already NFC, and its full case folding is plain lower-casing. */
static const char *norm_ascii(apr_pool_t *p, const char *s, apr_size_t len)
{
    char *out = apr_palloc(p, len + 1);
    apr_size_t i, o = 0;
    int pending = 0;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (ascii_space(c)) {
            pending = o > 0;
            continue;
        }
        if (pending)
            out[o++] = ' ';
        pending = 0;
        out[o++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : (char)c;
    }
    out[o] = '\0';
    return out;
}

/* NFC of src into a new buffer; skips the copy when src is already NFC. */
static const UChar *nfc(apr_pool_t *p, const UNormalizer2 *n, const UChar *src,
                        int32_t len, int32_t *out_len)
{
    UErrorCode err = U_ZERO_ERROR;
    int32_t cap, r;
    UChar *dst;

    if (unorm2_spanQuickCheckYes(n, src, len, &err) == len && U_SUCCESS(err)) {
        *out_len = len;
        return src;
    }
    err = U_ZERO_ERROR;
    cap = len + 16;
    dst = apr_palloc(p, sizeof(UChar) * cap);
    r = unorm2_normalize(n, src, len, dst, cap, &err);
    if (err == U_BUFFER_OVERFLOW_ERROR) {
        err = U_ZERO_ERROR;
        cap = r + 1;
        dst = apr_palloc(p, sizeof(UChar) * cap);
        r = unorm2_normalize(n, src, len, dst, cap, &err);
    }
    if (U_FAILURE(err))
        return NULL;
    *out_len = r;
    return dst;
}

static UChar *fold(apr_pool_t *p, const UChar *src, int32_t len,
                   int32_t *out_len)
{
    UErrorCode err = U_ZERO_ERROR;
    int32_t cap = len + 16, r;
    UChar *dst = apr_palloc(p, sizeof(UChar) * cap);

    r = u_strFoldCase(dst, cap, src, len, U_FOLD_CASE_DEFAULT, &err);
    if (err == U_BUFFER_OVERFLOW_ERROR) {
        err = U_ZERO_ERROR;
        cap = r + 1;
        dst = apr_palloc(p, sizeof(UChar) * cap);
        r = u_strFoldCase(dst, cap, src, len, U_FOLD_CASE_DEFAULT, &err);
    }
    if (U_FAILURE(err))
        return NULL;
    *out_len = r;
    return dst;
}

static const char *norm_icu(apr_pool_t *p, const char *s, apr_size_t len)
{
    UErrorCode err = U_ZERO_ERROR;
    const UNormalizer2 *n = unorm2_getNFCInstance(&err);
    const UChar *a;
    UChar *u16, *w;
    int32_t n16 = 0, na = 0, nw = 0, i = 0, o = 0, n8 = 0;
    int pending = 0;
    char *out;

    if (U_FAILURE(err) || len > (apr_size_t)(INT32_MAX / 4))
        return "";
    /* UTF-16 never needs more units than UTF-8 has bytes. */
    u16 = apr_palloc(p, sizeof(UChar) * (len + 1));
    u_strFromUTF8(u16, (int32_t)len + 1, &n16, s, (int32_t)len, &err);
    if (U_FAILURE(err))
        return "";
    a = nfc(p, n, u16, n16, &na);
    if (!a)
        return "";
    /* Folding can leave a string that is not NFC (e.g. a folded base letter
     * followed by a combining mark that now composes), hence NFC again. */
    w = fold(p, a, na, &nw);
    if (!w)
        return "";
    a = nfc(p, n, w, nw, &na);
    if (!a)
        return "";
    if (a != w) {
        w = (UChar *)a; /* a fresh pool buffer: safe to edit in place */
        nw = na;
    }
    /* Collapse white space in place: the write index never passes the
     * read index. */
    while (i < nw) {
        UChar32 c;
        U16_NEXT(w, i, nw, c);
        if (u_isUWhiteSpace(c)) {
            pending = o > 0;
            continue;
        }
        if (pending)
            w[o++] = ' ';
        pending = 0;
        U16_APPEND_UNSAFE(w, o, c);
    }
    err = U_ZERO_ERROR;
    u_strToUTF8(NULL, 0, &n8, w, o, &err);
    if (err != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(err))
        return "";
    out = apr_palloc(p, (apr_size_t)n8 + 1);
    err = U_ZERO_ERROR;
    u_strToUTF8(out, n8 + 1, NULL, w, o, &err);
    if (U_FAILURE(err))
        return "";
    out[n8] = '\0';
    return out;
}

const char *doanra_text_norm(apr_pool_t *p, const char *s)
{
    apr_size_t len, i;

    if (!s)
        return "";
    len = strlen(s);
    if (!doanra_utf8_valid(s, len))
        return "";
    for (i = 0; i < len; i++)
        if ((unsigned char)s[i] >= 0x80)
            return norm_icu(p, s, len);
    return norm_ascii(p, s, len);
}

int doanra_text_starts_with_title(const char *norm_s, const char *norm_title)
{
    size_t tl;
    int32_t i = 0, rest;
    UChar32 c;
    int8_t type;

    if (!norm_s || !norm_title || !*norm_title)
        return 0;
    tl = strlen(norm_title);
    if (strncmp(norm_s, norm_title, tl) != 0)
        return 0;
    if (norm_s[tl] == '\0')
        return 1;
    /* Whole words: the title must not run on into a letter, digit or a
     * combining mark that belongs to its last letter. */
    rest = (int32_t)strnlen(norm_s + tl, 8);
    U8_NEXT(norm_s + tl, i, rest, c);
    if (c < 0)
        return 0;
    if (u_isalnum(c))
        return 0;
    type = u_charType(c);
    if (type == U_NON_SPACING_MARK || type == U_ENCLOSING_MARK ||
        type == U_COMBINING_SPACING_MARK || type == U_CONNECTOR_PUNCTUATION)
        return 0;
    return 1;
}
