/*
 * gen-countries.c - writes sql/countries.sql, the shipped doanra.countries
 * data, from Debian's iso-codes list and ICU.
 *
 * iso-codes gives the authoritative list of ISO 3166-1 alpha-2 codes (and an
 * English name to fall back on); ICU gives the display names people actually
 * type ("Việt Nam", "South Korea") and the UN M49 containment used by the
 * `region` rule.  Region and sub-region are stored as three-digit M49 codes
 * ("142", "035"): the core compares these strings, and codes do not change
 * when a display name is reworded.
 *
 * Usage: gen-countries [ISO_3166-1.json] > sql/countries.sql
 * Built and run by tools/gen-countries (or `make countries`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uloc.h>
#include <unicode/uregion.h>
#include <unicode/ustring.h>
#include <unicode/uversion.h>

#define DEFAULT_JSON "/usr/share/iso-codes/json/iso_3166-1.json"
#define MAX_COUNTRIES 400

typedef struct {
    char code[3];
    char name[256];
} iso_entry;

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    fclose(f);
    if (buf)
        buf[len] = '\0';
    return buf;
}

/* Append code point cp as UTF-8. */
static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

/* Decode the JSON string starting just after its opening quote into out.
 * Returns a pointer past the closing quote, or NULL on malformed input.
 * Enough JSON for iso-codes: \" \\ \/ \n \t and \uXXXX in the BMP. */
static const char *json_string(const char *p, char *out, size_t outsz)
{
    size_t o = 0;
    while (*p && *p != '"') {
        char ch = *p++;
        if (ch == '\\') {
            char e = *p++;
            if (e == 'u') {
                unsigned cp = 0;
                for (int i = 0; i < 4; i++) {
                    char h = *p++;
                    cp <<= 4;
                    if (h >= '0' && h <= '9')
                        cp |= (unsigned)(h - '0');
                    else if (h >= 'a' && h <= 'f')
                        cp |= (unsigned)(h - 'a' + 10);
                    else if (h >= 'A' && h <= 'F')
                        cp |= (unsigned)(h - 'A' + 10);
                    else
                        return NULL;
                }
                if (o + 4 >= outsz)
                    return NULL;
                o += put_utf8(out + o, cp);
                continue;
            }
            ch = e == 'n' ? '\n' : e == 't' ? '\t' : e;
            if (!e)
                return NULL;
        }
        if (o + 1 >= outsz)
            return NULL;
        out[o++] = ch;
    }
    if (*p != '"')
        return NULL;
    out[o] = '\0';
    return p + 1;
}

/* Walk the file's objects: each "{ ... }" holds one country whose keys are
 * plain strings, so a flat scan for "alpha_2" and "name" is enough. */
static int parse_iso(const char *json, iso_entry *out, int max)
{
    int n = 0;
    const char *p = strchr(json, '[');
    while (p && (p = strchr(p, '{')) != NULL) {
        iso_entry e;
        memset(&e, 0, sizeof e);
        p++;
        while (*p && *p != '}') {
            if (*p != '"') {
                p++;
                continue;
            }
            char key[64], val[256];
            p = json_string(p + 1, key, sizeof key);
            if (!p)
                return -1;
            while (*p == ' ' || *p == ':' || *p == '\n' || *p == '\t' ||
                   *p == '\r')
                p++;
            if (*p != '"')
                continue; /* not a string value (none in this file) */
            p = json_string(p + 1, val, sizeof val);
            if (!p)
                return -1;
            if (strcmp(key, "alpha_2") == 0 && strlen(val) == 2)
                memcpy(e.code, val, 3);
            else if (strcmp(key, "name") == 0)
                snprintf(e.name, sizeof e.name, "%s", val);
        }
        if (e.code[0] && e.name[0]) {
            if (n >= max)
                return -1;
            out[n++] = e;
        }
    }
    return n;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const iso_entry *)a)->code, ((const iso_entry *)b)->code);
}

/* ICU's display name of the country in the given language, UTF-8; empty when
 * ICU has none (it then echoes the code back). */
static void display_name(const char *code, const char *lang, char *out,
                         size_t outsz)
{
    char locale[8];
    UChar buf[256];
    UErrorCode err = U_ZERO_ERROR;
    snprintf(locale, sizeof locale, "_%s", code);
    int32_t len = uloc_getDisplayCountry(locale, lang, buf, 256, &err);
    out[0] = '\0';
    if (U_FAILURE(err) || len <= 0)
        return;
    err = U_ZERO_ERROR;
    u_strToUTF8(out, (int32_t)outsz, NULL, buf, len, &err);
    if (U_FAILURE(err) || strcmp(out, code) == 0)
        out[0] = '\0';
}

/* Three-digit M49 code of the containing region of the given type, or ""
 * (some territories, e.g. Antarctica, sit in no continent). */
static void m49(const char *code, URegionType type, char *out, size_t outsz)
{
    UErrorCode err = U_ZERO_ERROR;
    out[0] = '\0';
    const URegion *r = uregion_getRegionFromCode(code, &err);
    if (U_FAILURE(err) || !r)
        return;
    const URegion *c = uregion_getContainingRegionOfType(r, type);
    if (!c)
        return;
    int32_t num = uregion_getNumericCode(c);
    if (num > 0)
        snprintf(out, outsz, "%03d", (int)num);
    else
        snprintf(out, outsz, "%s", uregion_getRegionCode(c));
}

/* SQL literal: 'text' with quotes doubled, or NULL for "". */
static void put_sql(const char *s)
{
    if (!*s) {
        fputs("NULL", stdout);
        return;
    }
    putchar('\'');
    for (; *s; s++) {
        if (*s == '\'')
            putchar('\'');
        putchar(*s);
    }
    putchar('\'');
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : DEFAULT_JSON;
    char *json = read_file(path);
    if (!json)
        return 1;
    static iso_entry list[MAX_COUNTRIES];
    int n = parse_iso(json, list, MAX_COUNTRIES);
    free(json);
    if (n < 200) {
        fprintf(stderr,
                "gen-countries: %s: expected ISO 3166-1 entries, got %d\n",
                path, n);
        return 1;
    }
    qsort(list, (size_t)n, sizeof list[0], cmp_entry);

    UVersionInfo v;
    char icu[U_MAX_VERSION_STRING_LENGTH];
    u_getVersion(v);
    u_versionToString(v, icu);

    printf("-- countries.sql - doanra.countries: every ISO 3166-1 country with "
           "its\n"
           "-- Vietnamese and English name and UN M49 region and sub-region "
           "codes.\n"
           "--\n"
           "-- GENERATED by tools/gen-countries from Debian iso-codes (%s)\n"
           "-- and ICU %s; do not edit by hand, run `make countries` instead.\n"
           "-- Re-running refreshes names and regions and keeps rows added by "
           "admins.\n\n",
           path, icu);
    printf("INSERT INTO doanra.countries (code, name_vi, name_en, region, "
           "subregion) VALUES\n");
    for (int i = 0; i < n; i++) {
        char vi[512], en[512], reg[16], sub[16];
        display_name(list[i].code, "vi", vi, sizeof vi);
        display_name(list[i].code, "en", en, sizeof en);
        if (!en[0])
            snprintf(en, sizeof en, "%s", list[i].name);
        if (!vi[0])
            snprintf(vi, sizeof vi, "%s", en);
        m49(list[i].code, URGN_CONTINENT, reg, sizeof reg);
        m49(list[i].code, URGN_SUBCONTINENT, sub, sizeof sub);
        printf("    ('%s', ", list[i].code);
        put_sql(vi);
        fputs(", ", stdout);
        put_sql(en);
        fputs(", ", stdout);
        put_sql(reg);
        fputs(", ", stdout);
        put_sql(sub);
        fputs(i + 1 < n ? "),\n" : ")\n", stdout);
    }
    printf("ON CONFLICT (code) DO UPDATE SET\n"
           "    name_vi = EXCLUDED.name_vi,\n"
           "    name_en = EXCLUDED.name_en,\n"
           "    region = EXCLUDED.region,\n"
           "    subregion = EXCLUDED.subregion;\n");
    return ferror(stdout) ? 1 : 0;
}
