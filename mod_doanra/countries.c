/*
 * countries.c - the country reference table and its look-up.
 *
 * Officials type a country as an ISO 3166-1 alpha-2 code ("JP", "jp"), its
 * Vietnamese name ("Nhật Bản") or its English name ("Japan").  The table maps
 * all of these to one row.  Names are keyed by their doanra_text_norm form,
 * so case, Unicode normal form and stray white space do not matter; a second
 * key with the diacritics stripped ("nhat ban", "viet nam") accepts names
 * typed on a keyboard without Vietnamese input, as long as it names one
 * country only.  A few common alternates ICU does not give ("Mỹ", "USA",
 * "Hàn Quốc" is ICU's already) are added with the country they name.
 *
 * The table is built once per process (from doanra.countries by the store,
 * or from ICU by doanra_countries_load_icu) and only read afterwards, so
 * threads may share it without locks.  Building it is not for per-request
 * use: doanra_countries_load_icu normalises about 750 names.
 */
#include "doanra.h"

#include <string.h>

#include <apr_hash.h>
#include <apr_lib.h>
#include <unicode/uchar.h>
#include <unicode/uldnames.h>
#include <unicode/uloc.h>
#include <unicode/unorm2.h>
#include <unicode/uregion.h>
#include <unicode/ustring.h>

struct doanra_countries {
    apr_pool_t *pool;
    apr_array_header_t *rows; /* doanra_country * in insertion order */
    apr_hash_t *by_code;      /* "JP" -> doanra_country * */
    apr_hash_t *by_name;      /* normalised name -> doanra_country * */
    apr_hash_t *by_loose; /* name without diacritics -> row, or &ambiguous */
};

/* Marks a diacritic-free key shared by two countries: it names neither. */
static const doanra_country ambiguous;

/* Names people use that are neither ICU's Vietnamese nor its English
 * display name. */
static const struct {
    const char *code;
    const char *name;
} aliases[] = {
    {"VN", "Viet Nam"},
    {"US", "Mỹ"},
    {"US", "USA"},
    {"US", "United States of America"},
    {"GB", "Anh"},
    {"GB", "UK"},
    {"GB", "Great Britain"},
    {"KR", "Korea"},
    {"KR", "Republic of Korea"},
    {"KR", "Đại Hàn"},
    {"KP", "Bắc Triều Tiên"},
    {"LA", "Lao PDR"},
    {"RU", "Liên bang Nga"},
    {"RU", "Russian Federation"},
    {"CZ", "Czech Republic"},
    {"CZ", "Cộng hòa Séc"},
    {"TR", "Türkiye"},
    {"HK", "Hồng Kông"},
    {"HK", "Hong Kong"},
    {"MO", "Ma Cao"},
    {"MO", "Macao"},
    {"MO", "Macau"},
    {"NL", "Hà Lan"},
    {"DE", "Đức"},
    {"FR", "Pháp"},
    {"AU", "Úc"},
    {"AU", "Australia"},
    {"MM", "Myanmar"},
    {"MM", "Burma"},
    {"KH", "Cam-pu-chia"},
    {"KH", "Campuchia"},
    {"PH", "Philippines"},
    {"NZ", "New Zealand"},
    {"AE", "UAE"},
};

doanra_countries *doanra_countries_make(apr_pool_t *p)
{
    doanra_countries *t = apr_pcalloc(p, sizeof(*t));
    t->pool = p;
    t->rows = apr_array_make(p, 256, sizeof(doanra_country *));
    t->by_code = apr_hash_make(p);
    t->by_name = apr_hash_make(p);
    t->by_loose = apr_hash_make(p);
    return t;
}

/* norm with the diacritics removed: NFD, drop non-spacing marks, đ -> d.
 * Returns NULL when nothing was removed (the key would equal norm). */
static const char *strip_marks(apr_pool_t *p, const char *norm)
{
    UErrorCode err = U_ZERO_ERROR;
    const UNormalizer2 *nfd = unorm2_getNFDInstance(&err);
    apr_size_t len = strlen(norm);
    UChar *u, *d;
    int32_t n16 = 0, nd, i = 0, o = 0, n8 = 0;
    int changed = 0;
    char *out;

    if (U_FAILURE(err) || len > 4096)
        return NULL;
    u = apr_palloc(p, sizeof(UChar) * (len + 1));
    u_strFromUTF8(u, (int32_t)len + 1, &n16, norm, (int32_t)len, &err);
    if (U_FAILURE(err))
        return NULL;
    /* NFD of Latin text stays within 3 units per unit. */
    d = apr_palloc(p, sizeof(UChar) * (n16 * 4 + 1));
    nd = unorm2_normalize(nfd, u, n16, d, n16 * 4 + 1, &err);
    if (U_FAILURE(err))
        return NULL;
    while (i < nd) {
        UChar32 c;
        U16_NEXT(d, i, nd, c);
        if (u_charType(c) == U_NON_SPACING_MARK) {
            changed = 1;
            continue;
        }
        if (c == 0x0111) { /* đ */
            c = 'd';
            changed = 1;
        }
        U16_APPEND_UNSAFE(d, o, c);
    }
    if (!changed)
        return NULL;
    err = U_ZERO_ERROR;
    u_strToUTF8(NULL, 0, &n8, d, o, &err);
    out = apr_palloc(p, (apr_size_t)n8 + 1);
    err = U_ZERO_ERROR;
    u_strToUTF8(out, n8 + 1, NULL, d, o, &err);
    if (U_FAILURE(err))
        return NULL;
    out[n8] = '\0';
    return out;
}

static void add_name(doanra_countries *t, const doanra_country *row,
                     const char *name)
{
    const char *norm, *loose;
    const doanra_country *had;

    if (!name || !*name)
        return;
    norm = doanra_text_norm(t->pool, name);
    if (!*norm)
        return;
    /* Exact names: the first country to claim one keeps it. */
    if (!apr_hash_get(t->by_name, norm, APR_HASH_KEY_STRING))
        apr_hash_set(t->by_name, norm, APR_HASH_KEY_STRING, row);
    loose = strip_marks(t->pool, norm);
    if (!loose)
        loose = norm;
    had = apr_hash_get(t->by_loose, loose, APR_HASH_KEY_STRING);
    if (!had)
        apr_hash_set(t->by_loose, loose, APR_HASH_KEY_STRING, row);
    else if (had != row)
        apr_hash_set(t->by_loose, loose, APR_HASH_KEY_STRING, &ambiguous);
}

static const char *dup_or_null(apr_pool_t *p, const char *s)
{
    return (s && *s) ? apr_pstrdup(p, s) : NULL;
}

void doanra_countries_add(doanra_countries *t, const char *code,
                          const char *name_vi, const char *name_en,
                          const char *region, const char *subregion)
{
    doanra_country *row;
    char key[3];
    size_t i;

    if (!t || !code || strlen(code) != 2 || !apr_isalpha(code[0]) ||
        !apr_isalpha(code[1]))
        return;
    key[0] = (char)apr_toupper(code[0]);
    key[1] = (char)apr_toupper(code[1]);
    key[2] = '\0';
    row = apr_hash_get(t->by_code, key, 2);
    if (!row) {
        row = apr_pcalloc(t->pool, sizeof(*row));
        memcpy(row->code, key, 3);
        apr_hash_set(t->by_code, row->code, 2, row);
        APR_ARRAY_PUSH(t->rows, doanra_country *) = row;
        for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
            if (strcmp(aliases[i].code, key) == 0)
                add_name(t, row, aliases[i].name);
    }
    /* Adding a code again updates its row (a later source wins). */
    if (name_vi && *name_vi)
        row->name_vi = apr_pstrdup(t->pool, name_vi);
    if (name_en && *name_en)
        row->name_en = apr_pstrdup(t->pool, name_en);
    if (region && *region)
        row->region = apr_pstrdup(t->pool, region);
    if (subregion && *subregion)
        row->subregion = dup_or_null(t->pool, subregion);
    add_name(t, row, name_vi);
    add_name(t, row, name_en);
}

/* UTF-16 display name to UTF-8 in p; NULL on failure. */
static const char *u16_to_utf8(apr_pool_t *p, const UChar *s, int32_t n)
{
    UErrorCode err = U_ZERO_ERROR;
    int32_t n8 = 0;
    char *out;

    if (n <= 0)
        return NULL;
    u_strToUTF8(NULL, 0, &n8, s, n, &err);
    out = apr_palloc(p, (apr_size_t)n8 + 1);
    err = U_ZERO_ERROR;
    u_strToUTF8(out, n8 + 1, NULL, s, n, &err);
    if (U_FAILURE(err))
        return NULL;
    out[n8] = '\0';
    return out;
}

static const char *display(apr_pool_t *p, const char *code, const char *lang)
{
    UErrorCode err = U_ZERO_ERROR;
    char loc[8];
    UChar buf[256];
    int32_t n;

    apr_snprintf(loc, sizeof(loc), "und_%s", code);
    n = uloc_getDisplayCountry(loc, lang, buf, 256, &err);
    if (U_FAILURE(err) || err == U_USING_DEFAULT_WARNING)
        return NULL;
    return u16_to_utf8(p, buf, n);
}

/* ICU's short form ("Hong Kong" for "Hong Kong SAR China"), if it has one. */
static const char *display_short(apr_pool_t *p, ULocaleDisplayNames *ldn,
                                 const char *code)
{
    UErrorCode err = U_ZERO_ERROR;
    UChar buf[256];
    int32_t n;

    if (!ldn)
        return NULL;
    n = uldn_regionDisplayName(ldn, code, buf, 256, &err);
    if (U_FAILURE(err))
        return NULL;
    return u16_to_utf8(p, buf, n);
}

static ULocaleDisplayNames *open_short(const char *lang)
{
    UErrorCode err = U_ZERO_ERROR;
    UDisplayContext ctx[] = {UDISPCTX_LENGTH_SHORT};
    ULocaleDisplayNames *ldn = uldn_openForContext(lang, ctx, 1, &err);
    return U_SUCCESS(err) ? ldn : NULL;
}

/* The UN M49 code of r's container of the given type ("142", "035"). */
static const char *container(const URegion *r, URegionType type)
{
    const URegion *c = uregion_getContainingRegionOfType(r, type);
    return c ? uregion_getRegionCode(c) : NULL;
}

void doanra_countries_load_icu(doanra_countries *t)
{
    /* ICU lists, besides ISO 3166-1, exceptional reservations (Diego Garcia,
     * Ceuta and Melilla, Canary Islands) and the user-assigned XK. */
    static const char *const not_iso[] = {"DG", "EA", "IC", "XK"};
    const char *const *codes = uloc_getISOCountries();
    ULocaleDisplayNames *short_vi, *short_en;

    if (!t || !codes)
        return;
    short_vi = open_short("vi");
    short_en = open_short("en");
    for (; *codes; codes++) {
        const char *code = *codes;
        const char *region = NULL, *subregion = NULL;
        UErrorCode err = U_ZERO_ERROR;
        const URegion *r;
        size_t i;
        int skip = 0;

        for (i = 0; i < sizeof(not_iso) / sizeof(not_iso[0]); i++)
            if (strcmp(code, not_iso[i]) == 0)
                skip = 1;
        if (skip || strlen(code) != 2)
            continue;
        r = uregion_getRegionFromCode(code, &err);
        if (U_SUCCESS(err) && r && uregion_getType(r) == URGN_TERRITORY) {
            region = container(r, URGN_CONTINENT);
            subregion = container(r, URGN_SUBCONTINENT);
        }
        doanra_countries_add(t, code, display(t->pool, code, "vi"),
                             display(t->pool, code, "en"), region, subregion);
        {
            doanra_country *row = apr_hash_get(t->by_code, code, 2);
            if (row) {
                add_name(t, row, display_short(t->pool, short_vi, code));
                add_name(t, row, display_short(t->pool, short_en, code));
            }
        }
    }
    if (short_vi)
        uldn_close(short_vi);
    if (short_en)
        uldn_close(short_en);
}

int doanra_countries_count(const doanra_countries *t)
{
    return t ? t->rows->nelts : 0;
}

const doanra_country *doanra_countries_find(const doanra_countries *t,
                                            const char *text)
{
    const char *s, *e, *norm, *loose;
    const doanra_country *row;
    apr_pool_t *scratch;

    if (!t || !text)
        return NULL;
    s = text;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    e = s + strlen(s);
    while (e > s &&
           (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
        e--;
    if (e - s == 2 && apr_isalpha(s[0]) && apr_isalpha(s[1])) {
        char key[3] = {(char)apr_toupper(s[0]), (char)apr_toupper(s[1]), 0};
        row = apr_hash_get(t->by_code, key, 2);
        if (row)
            return row;
    }
    /* Look-ups happen per request while the table lives for the process:
     * normalise in a short-lived pool, never in the table's.  An unmanaged
     * pool has its own allocator, so threads do not contend for a parent. */
    if (apr_pool_create_unmanaged_ex(&scratch, NULL, NULL) != APR_SUCCESS)
        return NULL;
    norm = doanra_text_norm(scratch, text);
    row = *norm ? apr_hash_get(t->by_name, norm, APR_HASH_KEY_STRING) : NULL;
    if (!row && *norm) {
        loose = strip_marks(scratch, norm);
        row = apr_hash_get(t->by_loose, loose ? loose : norm,
                           APR_HASH_KEY_STRING);
        if (row == &ambiguous)
            row = NULL;
    }
    apr_pool_destroy(scratch);
    return row;
}
