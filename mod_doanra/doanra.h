/*
 * doanra.h - the pure core of mod_doanra: form fields, the trip model, the
 * rules and their findings, a trip's later steps, the rendering of results
 * and the refilled form page.
 *
 * Nothing declared here knows about httpd or PostgreSQL.  The core depends on
 * APR (pools, arrays) and ICU (Unicode normalisation, country data) only, so
 * it can be unit-tested and fuzzed on its own.  It is form.c, ctype.c,
 * ambiguity.c, text.c, date.c, countries.c, core.c, trip.c, identity.c,
 * rules.c, lifecycle.c, render.c, refill.c and scan.c (scan.h); `make test`
 * checks that none of them calls into httpd or libpq (mk/layering.mk).  The
 * Apache glue (mod_doanra.c, config.c, capture.c, inject.c, decide.c,
 * settle.c, journal.c) and the store (store.c) call into it.  What the
 * store needs decided about a trip (the plan entry it is in, its funding
 * code, each member's identity and code, a key leader by title) has its one
 * definition here.
 *
 * A submission's way through the core:
 *   body --doanra_form_parse_*--> fields --doanra_trip_build--> trip + findings
 *   trip + history --doanra_rules_check--> findings --doanra_decision--> verdict
 *   findings --doanra_render_*--> HTML block / JSON
 */
#ifndef DOANRA_H
#define DOANRA_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_strings.h>

/* ------------------------------------------------------------------ */
/* Form fields                                                          */
/* ------------------------------------------------------------------ */

/* Logical fields (SPEC section 2).  The order is the order of the table. */
typedef enum {
    DOANRA_F_DON_VI = 0,
    DOANRA_F_MA_DON_VI,
    DOANRA_F_MUC_DICH,
    DOANRA_F_DOI_TAC,
    DOANRA_F_NGAY_DI,
    DOANRA_F_NGAY_VE,
    DOANRA_F_NGUON_KINH_PHI,
    DOANRA_F_DU_TOAN,
    DOANRA_F_MA_KE_HOACH,
    DOANRA_F_LY_DO_PHAT_SINH,
    DOANRA_F_QUOC_GIA,   /* row */
    DOANRA_F_TU_NGAY,    /* row */
    DOANRA_F_DEN_NGAY,   /* row */
    DOANRA_F_TV_HO_TEN,  /* row */
    DOANRA_F_TV_MA,      /* row */
    DOANRA_F_TV_CHUC_VU, /* row */
    DOANRA_F_TV_DON_VI,  /* row */
    /* Later steps of a trip (SPEC section 8). */
    DOANRA_F_MA_HO_SO,        /* dossier code or backend reference */
    DOANRA_F_LY_DO,           /* reason: cancel, reject */
    DOANRA_F_SO_QUYET_DINH,   /* decision number: approve */
    DOANRA_F_NGAY_QUYET_DINH, /* decision date: approve */
    DOANRA_F_NGAY_BAO_CAO,    /* report filed on: report */
    DOANRA_F_COUNT
} doanra_field_key;

/* Default name of a logical field ("don_vi", ...); NULL when out of range. */
const char *doanra_field_default_name(int key);
/* Key of a default name, or -1. */
int doanra_field_key_lookup(const char *default_name);
/* 1 for the repeated fields that form rows (quoc_gia ... tv_don_vi). */
int doanra_field_is_row(int key);

/* One submitted name=value pair, in the order it arrived.  Values are
 * NUL-terminated copies in the pool; len excludes the terminator (values may
 * contain NUL bytes, which the trip builder reports as a format finding).
 * For multipart file parts, is_file is set and value is the file name only:
 * file contents are never inspected. */
typedef struct {
    const char *name;
    const char *value;
    apr_size_t len;
    int is_file;
    unsigned flags; /* DOANRA_FIELD_* / DOANRA_PART_*: how it was sent */
} doanra_field;

/* How a pair was sent, as far as the backends behind the module could read
 * it differently (set by the parsers in form.c, judged by
 * doanra_form_check_fields in ambiguity.c). */
#define DOANRA_FIELD_NO_EQUALS 0x0001     /* urlencoded `name` without '=' */
#define DOANRA_FIELD_RAW_SEMICOLON 0x0002 /* a raw ';' in the pair */
#define DOANRA_PART_TWO_NAMES 0x0010      /* two name= parameters */
#define DOANRA_PART_EXT_PARAM 0x0020      /* name*= / filename*= (RFC 2231) */
#define DOANRA_PART_AFTER_CLOSE 0x0040    /* after the closing delimiter */
#define DOANRA_PART_HEADER_FOLD 0x0080    /* folded or colon-less header line */
#define DOANRA_PART_DUP_DISPOSITION 0x0100 /* two Content-Disposition */
#define DOANRA_PART_PARAM_SYNTAX 0x0200    /* irregular Content-Disposition */
/* Content-Transfer-Encoding, or a value part that is not UTF-8 text */
#define DOANRA_PART_ENCODING 0x0400
/* a padded delimiter, or a line inside the part that starts like one */
#define DOANRA_PART_DELIMITER 0x0800
#define DOANRA_PART_FLAGS 0x0ff0

typedef enum {
    DOANRA_FORM_OK = 0,
    DOANRA_FORM_BAD_PERCENT,   /* malformed %xx escape */
    DOANRA_FORM_BAD_UTF8,      /* a name or value is not UTF-8 */
    DOANRA_FORM_TOO_MANY,      /* more fields than max_fields */
    DOANRA_FORM_MALFORMED      /* multipart structure broken, no boundary... */
} doanra_form_status;

/* Parse an application/x-www-form-urlencoded body into *fields
 * (apr_array of doanra_field).  max_fields bounds the number of pairs
 * (0 = no bound).  On error returns the status, *fields holds what was parsed
 * so far (possibly empty, never NULL). */
doanra_form_status doanra_form_parse_urlencoded(apr_pool_t *p, const char *body,
                                                apr_size_t len, int max_fields,
                                                apr_array_header_t **fields);

/* Parse a multipart/form-data body; content_type is the full header value
 * (the boundary parameter is read from it). */
doanra_form_status doanra_form_parse_multipart(apr_pool_t *p,
                                               const char *content_type,
                                               const char *body, apr_size_t len,
                                               int max_fields,
                                               apr_array_header_t **fields);

/* Pick the parser from the Content-Type (case-insensitive, parameters
 * ignored).  Returns DOANRA_FORM_MALFORMED for any other type. */
doanra_form_status doanra_form_parse(apr_pool_t *p, const char *content_type,
                                     const char *body, apr_size_t len,
                                     int max_fields,
                                     apr_array_header_t **fields);

/* Is this Content-Type one the module handles (urlencoded or multipart)? */
int doanra_form_type_handled(const char *content_type);

/* What a request's Content-Type header says (ctype.c). */
typedef enum {
    DOANRA_CT_NONE = 0,   /* no header, or an empty one */
    DOANRA_CT_URLENCODED, /* application/x-www-form-urlencoded */
    DOANRA_CT_MULTIPART,  /* multipart/form-data with one good boundary */
    DOANRA_CT_OTHER,      /* one well-formed media type of another kind */
    DOANRA_CT_INVALID     /* not one media type by RFC 9110's grammar, or
                             readable two ways (see ctype.c) */
} doanra_ctype;

/* Read a Content-Type header value.  For DOANRA_CT_MULTIPART *boundary is
 * the boundary (unquoted, in p); otherwise NULL. */
doanra_ctype doanra_ctype_parse(apr_pool_t *p, const char *value,
                                const char **boundary);

/* ------------------------------------------------------------------ */
/* ASCII character classes (inline: they sit in the parsers' and the    */
/* scanners' inner loops)                                               */
/* ------------------------------------------------------------------ */

/* HTML's ASCII white space: space, tab, LF, CR and FF (not VT). */
static inline int doanra_html_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* HTTP's optional white space (RFC 9110 OWS, RFC 2046 LWSP): space, tab. */
static inline int doanra_http_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* White space as C's isspace reads it in the "C" locale, which are also
 * the ASCII characters with Unicode's White_Space property: space, tab,
 * LF, VT, FF, CR. */
static inline int doanra_ascii_space(char c)
{
    return c == ' ' || (c >= 0x09 && c <= 0x0D);
}

/* An ASCII upper-case letter lowered; any other byte as it is. */
static inline char doanra_ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static inline int doanra_ascii_alpha(char c)
{
    c = doanra_ascii_lower(c);
    return c >= 'a' && c <= 'z';
}

/* The value of a hexadecimal digit (either case), -1 for any other byte. */
static inline int doanra_hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* ------------------------------------------------------------------ */
/* Text                                                                 */
/* ------------------------------------------------------------------ */

/* Length (1 to 4) of the well-formed UTF-8 sequence at s[0..left), or 0
 * when there is none: left is 0, or the bytes are a stray continuation
 * byte, an overlong form, a UTF-16 surrogate, a value past U+10FFFF or a
 * sequence cut short.  A NUL byte is the one-byte sequence U+0000; callers
 * that refuse NUL check for it themselves. */
apr_size_t doanra_utf8_seq(const unsigned char *s, apr_size_t left);

/* 1 if s[0..len) is well-formed UTF-8 without NUL bytes. */
int doanra_utf8_valid(const char *s, apr_size_t len);

/* How many bytes of s[0..len) to keep to cut it at max bytes or less
 * without splitting a UTF-8 sequence: len when len <= max, else max moved
 * back over continuation bytes (so a quoted value stays readable). */
apr_size_t doanra_utf8_cut(const char *s, apr_size_t len, apr_size_t max);

/* Normalise a name for comparison (SPEC sections 2 and 3): Unicode NFKC
 * with full case folding, default-ignorable and format characters removed
 * (zero-width space, soft hyphen, ZWJ/ZWNJ, BOM, bidi marks...), dashes
 * (general category Pd) and minus signs read as '-', white space trimmed
 * and each run collapsed to one ASCII space (ICU).  The result is NFC and a
 * fixed point.  Returns "" for NULL or invalid input; never NULL. */
const char *doanra_text_norm(apr_pool_t *p, const char *s);

/* Normalise a code (tv_ma, ma_don_vi, ma_ke_hoach, ma_ho_so) for
 * comparison: the clean-up of doanra_text_norm, with every white space
 * character removed instead of collapsed (a space is never part of a code).
 * "qn-mc-01", full-width "QN-MC-01", "QN\u2010MC\u201001" and "QN-MC-01"
 * with a zero-width space all give "qn-mc-01".  "" for NULL or invalid
 * input; never NULL. */
const char *doanra_text_code_norm(apr_pool_t *p, const char *s);

/* Normalised s starts with normalised title as whole words ("giám đốc sở"
 * starts with "giám đốc"; "phó giám đốc" does not; "giám đốcx" does not). */
int doanra_text_starts_with_title(const char *norm_s, const char *norm_title);

/* ------------------------------------------------------------------ */
/* Dates: day numbers                                                   */
/* ------------------------------------------------------------------ */

/* Dates are counted in days since 1970-01-01 (proleptic Gregorian). */
#define DOANRA_NODATE ((long)-2147483647L)

/* 1 when day is a day number, 0 for DOANRA_NODATE (missing or invalid). */
int doanra_date_ok(long day);

/* Parse "YYYY-MM-DD" or "DD/MM/YYYY" (also D/M/YYYY), surrounding white
 * space allowed.  Returns DOANRA_NODATE when not a real date (2026-02-30). */
long doanra_date_parse(const char *s);
long doanra_date_from_ymd(int y, int m, int d);
void doanra_date_to_ymd(long day, int *y, int *m, int *d);
/* "YYYY-MM-DD" in p. */
const char *doanra_date_iso(apr_pool_t *p, long day);
/* "DD/MM/YYYY" in p (how Vietnamese messages show dates). */
const char *doanra_date_vn(apr_pool_t *p, long day);
/* A date as messages in lang (doanra_lang) show it: doanra_date_vn, or
 * doanra_date_iso in English; "" for DOANRA_NODATE. */
const char *doanra_date_show(apr_pool_t *p, int lang, long day);

/* ------------------------------------------------------------------ */
/* Countries (reference data, loaded once per process)                  */
/* ------------------------------------------------------------------ */

typedef struct {
    char code[3];          /* ISO 3166-1 alpha-2, upper case */
    const char *name_vi;
    const char *name_en;
    const char *region;    /* UN M49 region (continent), e.g. "142" or "Asia" */
    const char *subregion; /* UN M49 sub-region, e.g. "035" or "South-eastern Asia" */
} doanra_country;

typedef struct doanra_countries doanra_countries;

/* An empty table in p; add rows, then look up. */
doanra_countries *doanra_countries_make(apr_pool_t *p);
void doanra_countries_add(doanra_countries *t, const char *code,
                          const char *name_vi, const char *name_en,
                          const char *region, const char *subregion);
/* Fill from ICU (every ISO 3166-1 country ICU knows, Vietnamese and English
 * display names, M49 containing region and sub-region).  Used by tests and
 * as a fallback; the module loads doanra.countries from the database. */
void doanra_countries_load_icu(doanra_countries *t);
int doanra_countries_count(const doanra_countries *t);
/* Look up by alpha-2 code (any case) or by Vietnamese or English name
 * (compared normalised).  NULL if unknown. */
const doanra_country *doanra_countries_find(const doanra_countries *t,
                                            const char *text);

/* ------------------------------------------------------------------ */
/* Rules, severities, configuration of the core                         */
/* ------------------------------------------------------------------ */

typedef enum {
    DOANRA_R_REQUIRED = 0,
    DOANRA_R_FORMAT,
    DOANRA_R_DATES,
    DOANRA_R_SIZE,
    DOANRA_R_DAYS_PER_COUNTRY,
    DOANRA_R_COUNTRIES,
    DOANRA_R_TRAVEL_DAYS,
    DOANRA_R_REGION,
    DOANRA_R_LEADER_QUOTA,
    DOANRA_R_MEMBER_OVERLAP,
    DOANRA_R_DUPLICATE_MEMBER,
    DOANRA_R_PLAN,
    DOANRA_R_FUNDING,
    DOANRA_R_LEADERS_SAME_UNIT,
    DOANRA_R_LEAD_TIME,
    DOANRA_R_IDENTITY,
    DOANRA_R_REPORT_OVERDUE,
    DOANRA_R_LIFECYCLE,
    DOANRA_R_COUNT
} doanra_rule;

typedef enum {
    DOANRA_SEV_UNSET = -1, /* in a location config: inherit / default */
    DOANRA_SEV_OFF = 0,
    DOANRA_SEV_WARNING = 1,
    DOANRA_SEV_ERROR = 2
} doanra_severity;

/* "required", "days-per-country", ... ; NULL when out of range. */
const char *doanra_rule_name(int rule);
/* -1 when unknown. */
int doanra_rule_lookup(const char *name);
/* "error" / "warning" / "off". */
const char *doanra_severity_name(int sev);
/* The other way, as DoanraRuleSeverity reads it: "error", "warning" or
 * "off" in any case -> DOANRA_SEV_*; DOANRA_SEV_UNSET for anything else
 * (and NULL). */
int doanra_severity_lookup(const char *name);
/* The SPEC default severity of a rule (plan: warning; lead-time: off...). */
int doanra_rule_default_severity(int rule);

typedef enum { DOANRA_LANG_VI = 0, DOANRA_LANG_EN = 1 } doanra_lang;
typedef enum { DOANRA_LEVEL_SUBREGION = 0, DOANRA_LEVEL_REGION = 1 } doanra_region_level;

/* Funding codes. */
typedef enum {
    DOANRA_FUND_NONE = 0, /* missing or unknown */
    DOANRA_FUND_NGAN_SACH,
    DOANRA_FUND_DOI_TAC,
    DOANRA_FUND_TU_TUC,
    DOANRA_FUND_KHAC
} doanra_funding;

/* Everything the core needs from a location's configuration, with every
 * value resolved (the shell merges and applies defaults before calling). */
typedef struct {
    int max_members;          /* DoanraMaxMembers, 10 */
    int max_trips_per_year;   /* DoanraMaxTripsPerYear, 2 */
    int max_days_per_country; /* DoanraMaxDaysPerCountry, 3 */
    int max_countries;        /* DoanraMaxCountries, 3 */
    int travel_days;          /* DoanraTravelDays, 2 */
    int min_lead_days;        /* DoanraMinLeadDays, 0 */
    int region_level;         /* doanra_region_level */
    int lang;                 /* doanra_lang */
    int max_rows;             /* bound on rows per repeated field, 1000 */
    int report_days;          /* DoanraReportDays, 10 */
    /* Normalised key leader titles (const char *), DoanraKeyLeaderTitle. */
    const apr_array_header_t *key_leader_titles;
    /* Effective severity per rule (never DOANRA_SEV_UNSET here). */
    int severity[DOANRA_R_COUNT];
    /* Submitted name of each logical field (DoanraField), never NULL. */
    const char *field_names[DOANRA_F_COUNT];
} doanra_config;

/* Is name the location's name of field key?  1 when it is exactly, 2 when
 * it is that name with "[]" after it, 0 otherwise. */
int doanra_field_name_is(const doanra_config *c, int key, const char *name);

/* The key of the location's field a submitted name stands for: its
 * configured name, or that name with "[]"; -1 for any other name. */
int doanra_field_key_of(const doanra_config *c, const char *name);

/* Fill c with every SPEC default (titles normalised into p). */
void doanra_config_defaults(apr_pool_t *p, doanra_config *c);

/* The severity rule has in c: as configured, or the rule's default when
 * DOANRA_SEV_UNSET (or c is NULL); DOANRA_SEV_OFF for an unknown rule. */
int doanra_rule_severity(const doanra_config *c, int rule);

/* ------------------------------------------------------------------ */
/* Findings                                                             */
/* ------------------------------------------------------------------ */

typedef struct {
    int rule;            /* doanra_rule */
    int severity;        /* DOANRA_SEV_WARNING or DOANRA_SEV_ERROR */
    const char *field;   /* submitted field name it is about (configured name) */
    int row;             /* 1-based row for repeated fields, 0 otherwise */
    const char *message; /* in the configured language, plain text (unescaped) */
} doanra_finding;

/* Append a finding if the rule's severity is not off.  fmt is printf-style;
 * the message is built in p.  Used by trip.c and rules.c. */
void doanra_add_finding(apr_pool_t *p, const doanra_config *c,
                        apr_array_header_t *findings, int rule,
                        int field_key, int row, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/* The same with the severity sev (DOANRA_SEV_WARNING or _ERROR) chosen by
 * the rule itself rather than configured: an unplanned trip without a
 * reason is an error although `plan` is a warning by default.  A rule set
 * to off still adds nothing. */
void doanra_add_finding_sev(apr_pool_t *p, const doanra_config *c,
                            apr_array_header_t *findings, int rule, int sev,
                            int field_key, int row, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

typedef enum {
    DOANRA_DECISION_PASS = 0,
    DOANRA_DECISION_WARN,
    DOANRA_DECISION_FAIL,
    DOANRA_DECISION_UNCHECKED
} doanra_decision_t;

const char *doanra_decision_name(int decision); /* "pass" ... */
int doanra_decision(const apr_array_header_t *findings);
/* "size,region" - distinct rule ids in order of first appearance; "" if none. */
const char *doanra_rules_list(apr_pool_t *p, const apr_array_header_t *findings);

/* ------------------------------------------------------------------ */
/* Ambiguity: what the application behind could read otherwise       */
/* ------------------------------------------------------------------ */

/* PHP's max_input_vars and ASP.NET's MaxHttpCollectionKeys: PHP silently
 * drops the pairs past it, so the module refuses a body with more. */
#define DOANRA_MAX_BACKEND_FIELDS 1000

/* Refuse what the application behind could read otherwise than the module
 * (ambiguity.c has the table of readers): append a `format` finding of
 * severity error, whatever the location set, naming the offending field,
 * for a name some backend reads as one of c's fields although it is not
 * the exact name (`tv_ho_ten[3]`, `tv.ho.ten[]`, `TV_HO_TEN`, `don_vi[]`),
 * a single-value field sent more than once, a row field sent both as `x`
 * and `x[]`, a field without '=', a field hidden after a ';', a field sent
 * as a file, a multipart part the parser marked (DOANRA_PART_*), and more
 * than DOANRA_MAX_BACKEND_FIELDS fields.  Returns the number added. */
int doanra_form_check_fields(apr_pool_t *p, const doanra_config *c,
                             const apr_array_header_t *fields,
                             apr_array_header_t *findings);
/* The same for a query string (r->args, may be NULL): a field of c, exact
 * or as some backend reads it, given there (PHP's $_REQUEST, a servlet's
 * getParameter, ASP.NET's Request["x"] merge it with the body). */
int doanra_form_check_query(apr_pool_t *p, const doanra_config *c,
                            const char *query, apr_array_header_t *findings);
/* Both: what the shell calls. */
int doanra_form_check_ambiguity(apr_pool_t *p, const doanra_config *c,
                                const apr_array_header_t *fields,
                                const char *query,
                                apr_array_header_t *findings);

/* ------------------------------------------------------------------ */
/* The trip                                                             */
/* ------------------------------------------------------------------ */

typedef struct {
    int row;                     /* 1-based row as submitted */
    const char *country_raw;
    const doanra_country *country; /* NULL if unknown or empty */
    const char *from_raw, *to_raw;
    long from, to;               /* DOANRA_NODATE when missing/invalid */
} doanra_leg;

/* What rule `identity` has to say about a member (doanra_trip_resolve_identity). */
typedef enum {
    DOANRA_ID_OK = 0,
    /* tv_ma is a registered official (code_owner) under another name. */
    DOANRA_ID_CODE_OTHER_NAME,
    /* Name and unit are exactly one official (official), who has another
     * code than tv_ma; code_owner is whoever tv_ma belongs to, or NULL
     * (a typo or an invented code). */
    DOANRA_ID_CODE_NOT_THEIRS,
    /* Name and unit are those of several officials (namesakes), and no
     * tv_ma names one of them: nobody can tell which one travels. */
    DOANRA_ID_NAMESAKES
} doanra_identity_issue;

typedef struct doanra_official doanra_official;

typedef struct {
    int row;                     /* 1-based row as submitted */
    const char *name, *code, *position, *unit;   /* as submitted, trimmed; NULL if empty */
    const char *name_norm, *position_norm, *unit_norm; /* normalised, "" if empty */
    /* Person identity (SPEC section 3): "c:" + the normalised code of the
     * registered official the member is (found by tv_ma, or by name and
     * unit), else "c:" + normalised tv_ma when given, else
     * "n:" + name_norm + "|" + unit key (the normalised code of the
     * member's unit when known, else its normalised name).  The trip
     * builder sets it without the registry; doanra_trip_resolve_identity
     * refines it. */
    const char *identity;
    /* Facts from the registry (doanra_trip_resolve_identity, or the store):
     * registry_found=1 when the member is a known official; rules fall back
     * to titles otherwise. */
    int registry_found;
    int registry_key_leader;
    const char *registry_unit_code;
    /* The registered official this member is (copied into the request's
     * pool), the official tv_ma names when that is someone else, and what
     * rule `identity` reports. */
    const doanra_official *official;
    const doanra_official *code_owner;
    int identity_issue;          /* doanra_identity_issue */
    int namesakes;               /* DOANRA_ID_NAMESAKES: how many */
    /* Resolved by doanra_trip_resolve_leaders. */
    int is_key_leader;
    const char *unit_key;        /* unit used for leaders-same-unit */
} doanra_member;

typedef struct {
    const char *don_vi, *ma_don_vi, *muc_dich, *doi_tac;
    const char *nguon_kinh_phi_raw, *ma_ke_hoach, *ly_do_phat_sinh;
    const char *ngay_di_raw, *ngay_ve_raw, *du_toan_raw;
    long ngay_di, ngay_ve;       /* DOANRA_NODATE when missing/invalid */
    int funding;                 /* doanra_funding */
    apr_int64_t du_toan;         /* -1 when missing or not a number */
    const char *unit_norm;       /* normalised don_vi */
    const char *unit_code;       /* ma_don_vi, or resolved by the store; may be NULL */
    apr_array_header_t *legs;    /* doanra_leg, non-empty rows only */
    apr_array_header_t *members; /* doanra_member, non-empty rows only */
    int rows_truncated;          /* more rows than max_rows were sent */
    /* Set by doanra_trip_resolve_identity: identities were resolved against
     * the registry (rule `identity` runs only then), the registry name of
     * the sending unit, and that name when ma_don_vi is registered under
     * another name than don_vi. */
    int registry_checked;
    const char *unit_registry_name;
    const char *unit_name_conflict;
} doanra_trip;

/* Build the trip from the fields, adding `required` and `format` findings
 * (and the row-count finding) to findings.  Never fails: every problem is a
 * finding.  countries may be NULL (then every country is unknown). */
doanra_trip *doanra_trip_build(apr_pool_t *p, const doanra_config *c,
                               const doanra_countries *countries,
                               const apr_array_header_t *fields,
                               apr_array_header_t *findings);

/* The trip's funding as its code, the way the form sends it: "ngan_sach",
 * "doi_tac", "tu_tuc" or "khac" (lower case, whatever case was sent); for
 * an unknown code the value as sent (nguon_kinh_phi_raw, trimmed); NULL
 * when none was sent (or t is NULL). */
const char *doanra_funding_code(const doanra_trip *t);

/* ------------------------------------------------------------------ */
/* The registry (doanra.units, doanra.officials), normalised once         */
/* ------------------------------------------------------------------ */

/* Rows as stored, with the normal forms every comparison uses. */
struct doanra_official {
    const char *code, *full_name, *unit_code, *position; /* as stored */
    int is_key_leader;
    const char *code_norm, *name_norm; /* doanra_text_code_norm / _norm */
    const char *unit_norm;             /* code norm of unit_code, "" if none */
    /* The rows of doanra.officials whose codes are this one's once
     * normalised (1; more when an admin loaded one code twice, e.g. with a
     * Unicode hyphen in one row), and whether any of them is a key leader.
     * Such rows are one person: the first stands for them all, and is a
     * key leader when any of them is, so neither spelling escapes the
     * quota. */
    int code_rows;
    int any_key_leader;
};

typedef struct {
    const char *code, *name;           /* as stored */
    const char *code_norm, *name_norm;
} doanra_unit;

typedef struct doanra_registry doanra_registry;

/* An empty registry in p; add every row, then only read it: lookups do not
 * change it, so one registry may be read by many threads at once. */
doanra_registry *doanra_registry_make(apr_pool_t *p);
void doanra_registry_add_unit(doanra_registry *reg, const char *code,
                              const char *name);
void doanra_registry_add_official(doanra_registry *reg, const char *code,
                                  const char *full_name, const char *unit_code,
                                  const char *position, int is_key_leader);
int doanra_registry_units(const doanra_registry *reg);
int doanra_registry_officials(const doanra_registry *reg);
/* How many normalised official codes more than one row of the registry
 * has (an admin's loading error, see doanra_official.code_rows), and the
 * stored code of the first such row (NULL when none). */
int doanra_registry_shared_codes(const doanra_registry *reg,
                                 const char **example);
/* Lookups take the raw text and normalise it themselves (p for that).
 * The first row added wins when two rows have the same normal form (for
 * an official's code it stands for them all: doanra_official.code_rows). */
const doanra_unit *doanra_registry_unit_by_code(apr_pool_t *p,
                                                const doanra_registry *reg,
                                                const char *code);
const doanra_unit *doanra_registry_unit_by_name(apr_pool_t *p,
                                                const doanra_registry *reg,
                                                const char *name);
const doanra_official *
doanra_registry_official_by_code(apr_pool_t *p, const doanra_registry *reg,
                                 const char *code);
/* How many officials have this normalised name (name_norm) in the unit
 * whose normalised code is unit_norm; *first gets one of them. */
int doanra_registry_officials_named(apr_pool_t *p,
                                    const doanra_registry *reg,
                                    const char *name_norm,
                                    const char *unit_norm,
                                    const doanra_official **first);

/* Resolve the sending unit and every member against the registry (SPEC
 * section 3, "Person identity"): sets identity, registry_found,
 * registry_key_leader, registry_unit_code, official, code_owner and
 * identity_issue of each member, and unit_code (the registered code when
 * ma_don_vi or don_vi names a registered unit), unit_registry_name,
 * unit_name_conflict and registry_checked of the trip.  With reg NULL
 * only the registry-free identities are set.  Returns how many codes
 * (tv_ma, ma_don_vi) and unit names were not found, so a caller with a
 * cache may refresh it and resolve again.  Everything kept is copied into
 * p: the registry may go once this returns. */
int doanra_trip_resolve_identity(apr_pool_t *p, doanra_trip *t,
                                 const doanra_registry *reg);

/* The code a member is recorded and reported under: the registered
 * official's code as stored when the member is one (m->official, found by
 * tv_ma in any spelling or by name and unit), else tv_ma as typed; NULL
 * when neither.  The identity (m->identity) is what comparisons use. */
const char *doanra_member_code(const doanra_member *m);

/* Decide is_key_leader and unit_key of every member: registry facts first,
 * else the position against c->key_leader_titles; unit_key is the registry
 * unit, else tv_don_vi normalised, else the trip's unit code or name. */
void doanra_trip_resolve_leaders(apr_pool_t *p, const doanra_config *c,
                                 doanra_trip *t);

/* The position alone makes a key leader: position_norm (normalised, as
 * doanra_member.position_norm) starts with one of c->key_leader_titles as
 * whole words.  What doanra_trip_resolve_leaders decides for a member the
 * registry does not know. */
int doanra_title_is_key_leader(const doanra_config *c,
                               const char *position_norm);

/* ------------------------------------------------------------------ */
/* History facts (read by the store, judged by the rules)               */
/* ------------------------------------------------------------------ */

typedef struct {
    const char *code;
    int year;
    const char *unit_code;
    apr_array_header_t *countries; /* char[3] codes as (const char *) */
    long period_from, period_to;
} doanra_plan_entry;

typedef struct {
    /* Per member (same index as trip->members): counted trips of that person
     * departing in the trip's year (used for key leaders). */
    int *trips_this_year;
    /* Per member: an overlapping counted trip, 0 if none, with its dates
     * and its dossier code (mã hồ sơ; NULL when unknown). */
    long *overlap_trip_id;
    long *overlap_from, *overlap_to;
    const char **overlap_code;
    /* Plan: the entry named by ma_ke_hoach (NULL if none given or not found),
     * or the candidates of the sending unit and year when none given. */
    const doanra_plan_entry *plan_by_code;
    int plan_code_given;         /* ma_ke_hoach was non-empty */
    apr_array_header_t *plan_candidates; /* doanra_plan_entry */
    /* Rule report-overdue: trips of the sending unit back for more than
     * report_days days without their report, the one back longest (its
     * dossier code) and its return date. */
    int overdue_reports;
    const char *overdue_code;
    long overdue_back;
} doanra_history;

/* Allocate a history for t with every counter zero and no plan entries. */
doanra_history *doanra_history_make(apr_pool_t *p, const doanra_trip *t);

/* The plan entry the trip is in, as the store records it (rule `plan`
 * judges by the same test): NULL without h or a departure date; when
 * ma_ke_hoach was given (h->plan_code_given), the entry it names
 * (h->plan_by_code, NULL when there is none) whether or not it matches -
 * rule `plan` reports the differences; otherwise the first of
 * h->plan_candidates whose year is the departure's, whose unit is the
 * trip's unit_code (compared case-insensitively, and only when both are
 * known), whose period contains the departure date and which lists every
 * country the legs visit (legs with an unknown country aside). */
const doanra_plan_entry *doanra_plan_match(const doanra_trip *t,
                                           const doanra_history *h);

/* Apply every rule to the trip.  today is the day number of "now" (local
 * date), for `dates` and `lead-time`.  h may be NULL: the rules that need
 * history (leader-quota, member-overlap, plan) are then skipped;
 * leaders-same-unit and duplicate-member need none.  Findings are appended
 * to those already produced by doanra_trip_build. */
void doanra_rules_check(apr_pool_t *p, const doanra_config *c,
                        const doanra_trip *t, const doanra_history *h,
                        long today, apr_array_header_t *findings);

/* ------------------------------------------------------------------ */
/* A trip's later steps (lifecycle.c, SPEC section 8)                   */
/* ------------------------------------------------------------------ */

/* What a location's form does (DoanraAction). */
typedef enum {
    DOANRA_ACT_REGISTER = 0,
    DOANRA_ACT_AMEND,
    DOANRA_ACT_CANCEL,
    DOANRA_ACT_REJECT,
    DOANRA_ACT_APPROVE,
    DOANRA_ACT_REPORT,
    DOANRA_ACT_COUNT
} doanra_action_t;

/* "register", "amend", ...; NULL when out of range. */
const char *doanra_action_name(int action);
/* -1 when unknown. */
int doanra_action_lookup(const char *name);
/* The step needs an authenticated user (approve, reject). */
int doanra_action_needs_user(int action);
/* The step carries a whole trip (register, amend): the rules of SPEC
 * section 3 run on the submitted form. */
int doanra_action_has_form(int action);

/* The status a step moves a trip (amend: its old version) to from status,
 * or NULL when the status does not allow the step (SPEC section 8's table;
 * sql/lifecycle.sql doanra.step_target keeps the same table). */
const char *doanra_step_target(int action, const char *status);

/* A later step as submitted: the dossier code and what the step needs. */
typedef struct {
    int action;                 /* doanra_action_t */
    const char *code;           /* ma_ho_so as typed, trimmed; NULL if empty */
    const char *code_norm;      /* doanra_text_code_norm(code), "" if none */
    const char *reason;         /* ly_do */
    const char *decision_no;    /* so_quyet_dinh */
    long decision_date;         /* ngay_quyet_dinh, default today */
    long report_date;           /* ngay_bao_cao, default today */
} doanra_step;

/* The trip a step names, as the store found it. */
typedef struct {
    int found;
    long long id;               /* the current version's row */
    const char *code;           /* dossier code, e.g. DR-2027-000042 */
    int version;
    const char *status;
    long ngay_ve;               /* DOANRA_NODATE when unknown */
    const char *reference;      /* the backend's reference, may be NULL */
    apr_array_header_t *fields; /* doanra_field: the version's submission */
} doanra_trip_state;

/* Read the step's own fields (ma_ho_so, ly_do, so_quyet_dinh,
 * ngay_quyet_dinh, ngay_bao_cao) and add a `lifecycle` finding for each
 * one missing or malformed: no ma_ho_so (a registration with one), no
 * reason for cancel/reject, no decision number for approve, a date that
 * is not a date.  today fills the default dates. */
doanra_step *doanra_step_read(apr_pool_t *p, const doanra_config *c,
                              int action, const apr_array_header_t *fields,
                              long today, apr_array_header_t *findings);

/* Judge the step against the trip it names (ts, NULL or !found: unknown
 * code): a `lifecycle` error for an unknown code, a status that does not
 * allow the step, a report before the return date has passed, a report
 * date before the return.  Returns 1 when the step may proceed. */
int doanra_step_judge(apr_pool_t *p, const doanra_config *c,
                      const doanra_step *s, const doanra_trip_state *ts,
                      long today, apr_array_header_t *findings);

/* The dossier code of a first version (sql/lifecycle.sql doanra.trip_code):
 * "DR-<year>-<id, six digits at least>". */
const char *doanra_trip_code(apr_pool_t *p, int year, long long id);

/* Rendering                                                            */
/* ------------------------------------------------------------------ */

/* HTML-escape for text and double- or single-quoted attributes
 * (& < > " ' escaped). */
const char *doanra_html_escape(apr_pool_t *p, const char *s);
/* JSON string body escape (no surrounding quotes); control chars as \uXXXX. */
const char *doanra_json_escape(apr_pool_t *p, const char *s);

/* The <section class="doanra-result" ...> block of SPEC section 4, with its
 * scoped <style>.  Empty findings with decision pass gives the pass block. */
const char *doanra_render_block(apr_pool_t *p, const doanra_config *c,
                                int decision,
                                const apr_array_header_t *findings);
/* The same block for a trip with a dossier code (may be NULL: then
 * exactly doanra_render_block): data-doanra-trip="CODE" on the section and
 * "Mã hồ sơ: CODE" / "Dossier code: CODE" under the heading. */
const char *doanra_render_block_trip(apr_pool_t *p, const doanra_config *c,
                                     int decision,
                                     const apr_array_header_t *findings,
                                     const char *trip_code);

/* {"decision":"...","violations":[{"rule":..,"severity":..,"field":..,"message":..}]} */
const char *doanra_render_json(apr_pool_t *p, int decision,
                               const apr_array_header_t *findings);

/* Findings as a JSON array (for doanra.submissions.findings). */
const char *doanra_render_findings_json(apr_pool_t *p,
                                        const apr_array_header_t *findings);
/* Fields as a JSON object {name: value or [values...]} in first-seen order
 * (for doanra.submissions.fields); file parts give their file name. */
const char *doanra_render_fields_json(apr_pool_t *p,
                                      const apr_array_header_t *fields);

/* The built-in page when no DoanraFormPage is set: a full HTML document
 * with the block, a table of the submitted values (escaped) and a link back
 * (back_url, may be NULL: then history.back() plus the Referer-less hint). */
const char *doanra_render_block_page(apr_pool_t *p, const doanra_config *c,
                                     int decision,
                                     const apr_array_header_t *findings,
                                     const apr_array_header_t *fields,
                                     const char *back_url);
/* The same page for a trip with a dossier code (may be NULL). */
const char *doanra_render_block_page_trip(apr_pool_t *p,
                                          const doanra_config *c, int decision,
                                          const apr_array_header_t *findings,
                                          const apr_array_header_t *fields,
                                          const char *back_url,
                                          const char *trip_code);

/* A full HTML error page (400, 413, 503...) in the configured language,
 * title + explanation, and the submitted fields when given (may be NULL). */
const char *doanra_render_error_page(apr_pool_t *p, int lang, int status,
                                     const char *title, const char *explanation,
                                     const apr_array_header_t *fields);

/* Message catalogue for the shell's own pages: key -> text in lang.
 * Keys: "db_down_title", "db_down_text", "bad_request_title",
 * "too_large_title", "too_large_text", "bad_utf8", "bad_percent",
 * "too_many_fields", "malformed", "back". */
const char *doanra_msg(int lang, const char *key);

/* ------------------------------------------------------------------ */
/* Refill (refill.c)                                                    */
/* ------------------------------------------------------------------ */

/* Return a copy of the form page html[0..len) with the submitted values
 * filled back into its controls (input text/date/number/hidden/email/tel...,
 * textarea, select, checkbox, radio; the n-th control named `x` or `x[]`
 * gets the n-th submitted value of that name), each control that has a
 * finding marked with aria-invalid="true" and the finding's message placed
 * beside it, and the result block (block, from doanra_render_block) placed
 * at the injection point (first <!--doanra-->, else after <body ...>, else
 * the start).  Every value is HTML-escaped.  Never fails: unparseable markup
 * is copied through. */
const char *doanra_refill(apr_pool_t *p, const doanra_config *c,
                          const char *html, apr_size_t len,
                          const apr_array_header_t *fields,
                          const apr_array_header_t *findings,
                          const char *block, apr_size_t *out_len);

#endif /* DOANRA_H */
