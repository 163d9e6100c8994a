/*
 * text.c - UTF-8 (the one decoder of the core: a sequence's length,
 * validation, a cut that keeps sequences whole) and the normal form used to
 * compare names.
 *
 * The same person's name typed on a Mac (NFD, decomposed diacritics) and on
 * Windows (NFC), in upper or lower case, with a stray non-breaking space from
 * a word processor, must compare equal; so must an official's code typed in
 * full-width letters, with a Unicode dash, or with a zero-width space or a
 * soft hyphen pasted into it - otherwise a key leader could shed the quota
 * by spelling the code differently.  doanra_text_norm (names) and
 * doanra_text_code_norm (codes) give the one form everything is compared
 * in; see norm_icu for the steps.  ICU does the Unicode work; pure ASCII
 * takes a short cut that gives the same result.
 */
#include "doanra.h"

#include <string.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

apr_size_t doanra_utf8_seq(const unsigned char *s, apr_size_t left)
{
    unsigned c;

    if (!s || left == 0)
        return 0;
    c = s[0];
    if (c < 0x80)
        return 1;
    /* C0/C1 would be overlong two-byte forms; above F4 is past U+10FFFF */
    if (c >= 0xC2 && c <= 0xDF)
        return (left >= 2 && (s[1] & 0xC0) == 0x80) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        /* E0: overlong below A0; ED: UTF-16 surrogates above 9F */
        unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        return (left >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80)
                   ? 3
                   : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        /* F0: overlong below 90; F4: past U+10FFFF above 8F */
        unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        return (left >= 4 && s[1] >= lo && s[1] <= hi &&
                (s[2] & 0xC0) == 0x80 && (s[3] & 0xC0) == 0x80)
                   ? 4
                   : 0;
    }
    return 0;
}

int doanra_utf8_valid(const char *s, apr_size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    apr_size_t i = 0, n;

    if (!s)
        return len == 0;
    while (i < len) {
        if (p[i] < 0x80) { /* the common case, without a call */
            if (p[i] == 0)
                return 0;
            i++;
            continue;
        }
        n = doanra_utf8_seq(p + i, len - i);
        if (n == 0)
            return 0;
        i += n;
    }
    return 1;
}

apr_size_t doanra_utf8_cut(const char *s, apr_size_t len, apr_size_t max)
{
    apr_size_t n;

    if (len <= max)
        return len;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* ASCII has no compatibility, default-ignorable, format or dash characters
 * other than '-' itself, and its full case folding is plain lower-casing. */
static const char *norm_ascii(apr_pool_t *p, const char *s, apr_size_t len,
                              int code)
{
    char *out = apr_palloc(p, len + 1);
    apr_size_t i, o = 0;
    int pending = 0;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (doanra_ascii_space((char)c)) {
            pending = o > 0 && !code;
            continue;
        }
        if (pending)
            out[o++] = ' ';
        pending = 0;
        out[o++] = doanra_ascii_lower((char)c);
    }
    out[o] = '\0';
    return out;
}

/* n-normalised src into a new buffer; skips the copy when src is already
 * normalised. */
static const UChar *normalize(apr_pool_t *p, const UNormalizer2 *n,
                              const UChar *src, int32_t len, int32_t *out_len)
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

/* toNFKC_Casefold as Unicode defines it, NFC(mapping(NFD(x))): ICU's
 * NFKC_Casefold normaliser alone is not invariant under canonical
 * reordering (a Greek ypogegrammeni, which folds to a base letter, before
 * or after an accent gives two results), so decompose first. */
static const UChar *nfkc_casefold(apr_pool_t *p, const UChar *src, int32_t len,
                                  int32_t *out_len)
{
    UErrorCode err = U_ZERO_ERROR;
    const UNormalizer2 *nfd = unorm2_getNFDInstance(&err);
    const UNormalizer2 *cf = unorm2_getNFKCCasefoldInstance(&err);
    const UChar *d;
    int32_t nd = 0;

    if (U_FAILURE(err))
        return NULL;
    d = normalize(p, nfd, src, len, &nd);
    if (!d)
        return NULL;
    return normalize(p, cf, d, nd, out_len);
}

/* Characters that are not there for comparison: default-ignorable code
 * points (zero-width space, ZWJ/ZWNJ, soft hyphen, word joiner, BOM,
 * variation selectors, bidi controls...) and every format character
 * (general category Cf, which also covers U+0600 and the like that are not
 * default-ignorable). */
static int invisible(UChar32 c)
{
    return u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT) ||
           u_charType(c) == U_FORMAT_CHAR;
}

/* Read as '-': every dash (general category Pd: U+2010-U+2015, U+FE58,
 * U+FE63, U+FF0D, U+301C...) and the minus signs, which are math symbols
 * but look the same in a code. */
static int dash(UChar32 c)
{
    switch (c) {
    case 0x02D7: /* modifier letter minus sign */
    case 0x2052: /* commercial minus sign */
    case 0x207B: /* superscript minus */
    case 0x208B: /* subscript minus */
    case 0x2212: /* minus sign */
    case 0x2796: /* heavy minus sign */
        return 1;
    default:
        return u_charType(c) == U_DASH_PUNCTUATION;
    }
}

/*
 * The Unicode path:
 *   1. NFKC_Casefold: compatibility forms (full-width letters, ligatures)
 *      to their plain letters, full case folding, default-ignorables
 *      dropped, composed (NFC) - one ICU normaliser does all of it;
 *   2. drop format characters, read dashes as '-', trim white space and
 *      collapse (names) or remove (codes) it;
 *   3. NFKC_Casefold again: a character dropped in step 2 may have stood
 *      between a letter and its combining mark, which now compose.
 * Step 3 only composes, so it brings back neither white space nor anything
 * step 2 removed: the result is a fixed point.
 */
static const char *norm_icu(apr_pool_t *p, const char *s, apr_size_t len,
                            int code)
{
    UErrorCode err = U_ZERO_ERROR;
    const UChar *a;
    UChar *u16, *w;
    int32_t n16 = 0, na = 0, i = 0, o = 0, n8 = 0;
    int pending = 0;
    char *out;

    if (len > (apr_size_t)(INT32_MAX / 4))
        return "";
    /* UTF-16 never needs more units than UTF-8 has bytes. */
    u16 = apr_palloc(p, sizeof(UChar) * (len + 1));
    u_strFromUTF8(u16, (int32_t)len + 1, &n16, s, (int32_t)len, &err);
    if (U_FAILURE(err))
        return "";
    a = nfkc_casefold(p, u16, n16, &na);
    if (!a)
        return "";
    /* Step 2 never lengthens the text (a dash becomes one unit). */
    w = apr_palloc(p, sizeof(UChar) * (na + 1));
    while (i < na) {
        UChar32 c;
        U16_NEXT(a, i, na, c);
        if (invisible(c))
            continue;
        if (u_isUWhiteSpace(c)) {
            pending = o > 0 && !code;
            continue;
        }
        if (pending)
            w[o++] = ' ';
        pending = 0;
        if (dash(c))
            w[o++] = '-';
        else
            U16_APPEND_UNSAFE(w, o, c);
    }
    a = nfkc_casefold(p, w, o, &na);
    if (!a)
        return "";
    err = U_ZERO_ERROR;
    u_strToUTF8(NULL, 0, &n8, a, na, &err);
    if (err != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(err))
        return "";
    out = apr_palloc(p, (apr_size_t)n8 + 1);
    err = U_ZERO_ERROR;
    u_strToUTF8(out, n8 + 1, NULL, a, na, &err);
    if (U_FAILURE(err))
        return "";
    out[n8] = '\0';
    return out;
}

static const char *norm(apr_pool_t *p, const char *s, int code)
{
    apr_size_t len, i;

    if (!s)
        return "";
    len = strlen(s);
    if (!doanra_utf8_valid(s, len))
        return "";
    for (i = 0; i < len; i++)
        if ((unsigned char)s[i] >= 0x80)
            return norm_icu(p, s, len, code);
    return norm_ascii(p, s, len, code);
}

const char *doanra_text_norm(apr_pool_t *p, const char *s)
{
    return norm(p, s, 0);
}

const char *doanra_text_code_norm(apr_pool_t *p, const char *s)
{
    return norm(p, s, 1);
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
