/*
 * trip.c - submitted fields to the trip model: which field a submitted
 * name is, the trip built from the fields, the funding codes both ways,
 * and the key leaders of a trip (doanra_trip_resolve_leaders; who each
 * member is, is identity.c's).
 *
 * The form sends flat name=value pairs; the rules want a trip: scalars,
 * itinerary legs and members with dates parsed, countries looked up and
 * names normalised.  Everything wrong with the input itself (missing
 * required fields, incomplete rows, dates that are not dates, unknown
 * countries or funding codes, amounts that are not amounts, control
 * characters) becomes a `required` or `format` finding here, so the rules
 * only judge facts.  Building never fails.
 *
 * Rows: the n-th value of every row field forms row n, whether the form
 * names them `quoc_gia` or `quoc_gia[]`.  Rows are numbered 1-based as
 * submitted, blank rows included, so the row in a finding is the row the
 * official sees, even though blank rows are then dropped.
 */
#include "doanra.h"

#include <string.h>
#include <strings.h>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

/* A quoted value in a message is cut after this many bytes. */
#define QUOTE_MAX 120

/* ---- messages ------------------------------------------------------------ */

/* Human labels of the fields, as the form shows them. */
static const char *const label_vi[DOANRA_F_COUNT] = {
    "Đơn vị cử đoàn",
    "Mã đơn vị",
    "Mục đích",
    "Đối tác",
    "Ngày đi",
    "Ngày về",
    "Nguồn kinh phí",
    "Dự toán",
    "Mã kế hoạch",
    "Lý do phát sinh",
    "Quốc gia",
    "Từ ngày",
    "Đến ngày",
    "Họ tên thành viên",
    "Mã cán bộ",
    "Chức vụ",
    "Đơn vị của thành viên",
    "Mã hồ sơ",
    "Lý do",
    "Số quyết định",
    "Ngày quyết định",
    "Ngày nộp báo cáo",
};
static const char *const label_en[DOANRA_F_COUNT] = {
    "Sending unit",   "Unit code",
    "Purpose",        "Partner",
    "Departure date", "Return date",
    "Funding source", "Estimated cost",
    "Plan code",      "Reason for an unplanned trip",
    "Country",        "First day",
    "Last day",       "Member name",
    "Official code",  "Position",
    "Member's unit",  "Dossier code",
    "Reason",         "Decision number",
    "Decision date",  "Report filed on",
};

static const char *label(const doanra_config *c, int key)
{
    return c->lang == DOANRA_LANG_EN ? label_en[key] : label_vi[key];
}

/* " (dòng 3)" / " (row 3)" for row fields, "" for scalars. */
static const char *row_suffix(apr_pool_t *p, const doanra_config *c, int row)
{
    if (row <= 0)
        return "";
    return apr_psprintf(
        p, c->lang == DOANRA_LANG_EN ? " (row %d)" : " (dòng %d)", row);
}

/* The value as typed, for quoting in a message: control characters shown as
 * U+FFFD (they would break the page or the log), long values cut. */
static const char *quote(apr_pool_t *p, const char *s, apr_size_t len)
{
    apr_size_t i, o = 0, cut = doanra_utf8_cut(s, len, QUOTE_MAX);
    char *out;

    out = apr_palloc(p, cut * 3 + 4);
    for (i = 0; i < cut; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7F) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
        } else
            out[o++] = (char)ch;
    }
    if (cut < len) {
        memcpy(out + o, "\xE2\x80\xA6", 3); /* … */
        o += 3;
    }
    out[o] = '\0';
    return out;
}

/* ---- values -------------------------------------------------------------- */

/* One submitted value of a logical field. */
typedef struct {
    const char *s; /* trimmed, NUL-terminated; "" when blank */
    apr_size_t len;
    int bad_char; /* first forbidden code point, -1 for broken UTF-8, 0 ok */
} value;

/* Code point of the first control character other than tab, CR and LF
 * (C0, DEL, C1), -1 if the bytes are not UTF-8, 0 if the text is clean. */
static int first_control(const char *s, apr_size_t len)
{
    int32_t i = 0, n;
    UChar32 c;

    if (len > INT32_MAX)
        return -1;
    n = (int32_t)len;
    while (i < n) {
        U8_NEXT(s, i, n, c);
        if (c < 0)
            return -1;
        if (c == 0)
            return 0x10FFFF + 1; /* NUL, told apart from "clean" */
        if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') ||
            (c >= 0x7F && c <= 0x9F))
            return c;
    }
    return 0;
}

/* Trim Unicode white space from both ends of s[0..len). */
static value make_value(apr_pool_t *p, const char *s, apr_size_t len)
{
    value v;
    int32_t b = 0, e, n;
    UChar32 c;

    v.bad_char = first_control(s, len);
    if (v.bad_char != 0 || len > INT32_MAX) {
        /* Keep the raw bytes so the message can quote them. */
        v.s = apr_pstrmemdup(p, s, len);
        v.len = len;
        return v;
    }
    n = (int32_t)len;
    while (b < n) {
        int32_t at = b;
        U8_NEXT(s, b, n, c);
        if (!u_isUWhiteSpace(c)) {
            b = at;
            break;
        }
    }
    e = n;
    while (e > b) {
        int32_t at = e;
        U8_PREV(s, b, e, c);
        if (!u_isUWhiteSpace(c)) {
            e = at;
            break;
        }
    }
    v.len = (apr_size_t)(e - b);
    v.s = (b == 0 && e == n) ? s : apr_pstrmemdup(p, s + b, v.len);
    return v;
}

static int blank(const value *v)
{
    return v->len == 0;
}

/* The values of each logical field in arrival order. */
typedef struct {
    apr_array_header_t *vals[DOANRA_F_COUNT]; /* of const doanra_field * */
    int sent[DOANRA_F_COUNT];                 /* values sent, stored or not */
} collected;

int doanra_field_name_is(const doanra_config *c, int key, const char *name)
{
    const char *want;
    size_t nl, wl;

    if (!name || key < 0 || key >= DOANRA_F_COUNT ||
        !(want = c->field_names[key]))
        return 0;
    nl = strlen(name);
    wl = strlen(want);
    if (nl == wl && memcmp(name, want, wl) == 0)
        return 1;
    if (nl == wl + 2 && memcmp(name, want, wl) == 0 && name[wl] == '[' &&
        name[wl + 1] == ']')
        return 2;
    return 0;
}

int doanra_field_key_of(const doanra_config *c, const char *name)
{
    int k;

    for (k = 0; k < DOANRA_F_COUNT; k++)
        if (doanra_field_name_is(c, k, name))
            return k;
    return -1;
}

/* Report a value holding control characters; 1 if it did. */
static int check_chars(apr_pool_t *p, const doanra_config *c,
                       apr_array_header_t *findings, int key, int row,
                       const value *v)
{
    const char *q;

    if (v->bad_char == 0)
        return 0;
    q = quote(p, v->s, v->len);
    if (v->bad_char < 0) {
        if (c->lang == DOANRA_LANG_EN)
            doanra_add_finding(p, c, findings, DOANRA_R_FORMAT, key, row,
                               "%s%s \"%s\" is not valid UTF-8 text.",
                               label(c, key), row_suffix(p, c, row), q);
        else
            doanra_add_finding(
                p, c, findings, DOANRA_R_FORMAT, key, row,
                "%s%s \"%s\" không phải là văn bản UTF-8 hợp lệ.",
                label(c, key), row_suffix(p, c, row), q);
        return 1;
    }
    {
        int cp = v->bad_char > 0x10FFFF ? 0 : v->bad_char;
        if (c->lang == DOANRA_LANG_EN)
            doanra_add_finding(
                p, c, findings, DOANRA_R_FORMAT, key, row,
                "%s%s \"%s\" contains the control character U+%04X; only "
                "letters, digits, punctuation, tabs and line breaks are "
                "allowed.",
                label(c, key), row_suffix(p, c, row), q, (unsigned)cp);
        else
            doanra_add_finding(
                p, c, findings, DOANRA_R_FORMAT, key, row,
                "%s%s \"%s\" có ký tự điều khiển U+%04X không được phép "
                "(chỉ cho phép chữ, số, dấu câu, tab và xuống dòng).",
                label(c, key), row_suffix(p, c, row), q, (unsigned)cp);
    }
    return 1;
}

/* The first non-blank value of a scalar field, "" if none. */
static value scalar(apr_pool_t *p, const collected *col, int key)
{
    value v = {"", 0, 0};
    int i;
    for (i = 0; i < col->vals[key]->nelts; i++) {
        const doanra_field *f =
            APR_ARRAY_IDX(col->vals[key], i, const doanra_field *);
        v = make_value(p, f->value ? f->value : "", f->value ? f->len : 0);
        if (!blank(&v))
            return v;
    }
    v.s = "";
    v.len = 0;
    v.bad_char = 0;
    return v;
}

/* Value n (0-based) of a row field, "" beyond the last one sent. */
static value row_value(apr_pool_t *p, const collected *col, int key, int n)
{
    value v = {"", 0, 0};
    if (n < col->vals[key]->nelts) {
        const doanra_field *f =
            APR_ARRAY_IDX(col->vals[key], n, const doanra_field *);
        v = make_value(p, f->value ? f->value : "", f->value ? f->len : 0);
    }
    return v;
}

/* ---- checks of single values --------------------------------------------- */

static long check_date(apr_pool_t *p, const doanra_config *c,
                       apr_array_header_t *findings, int key, int row,
                       const value *v)
{
    long d;
    if (blank(v) || check_chars(p, c, findings, key, row, v))
        return DOANRA_NODATE;
    d = doanra_date_parse(v->s);
    if (doanra_date_ok(d))
        return d;
    if (c->lang == DOANRA_LANG_EN)
        doanra_add_finding(p, c, findings, DOANRA_R_FORMAT, key, row,
                           "%s%s \"%s\" is not a valid date (use YYYY-MM-DD "
                           "or DD/MM/YYYY).",
                           label(c, key), row_suffix(p, c, row),
                           quote(p, v->s, v->len));
    else
        doanra_add_finding(p, c, findings, DOANRA_R_FORMAT, key, row,
                           "%s%s \"%s\" không phải là ngày hợp lệ (định dạng "
                           "YYYY-MM-DD hoặc DD/MM/YYYY).",
                           label(c, key), row_suffix(p, c, row),
                           quote(p, v->s, v->len));
    return DOANRA_NODATE;
}

/* The funding codes of SPEC section 2, read (any case) and written back
 * (as listed) from this one table. */
static const struct {
    int funding; /* doanra_funding */
    const char *code;
} funding_codes[] = {
    {DOANRA_FUND_NGAN_SACH, "ngan_sach"},
    {DOANRA_FUND_DOI_TAC, "doi_tac"},
    {DOANRA_FUND_TU_TUC, "tu_tuc"},
    {DOANRA_FUND_KHAC, "khac"},
};

#define N_FUNDING_CODES (sizeof(funding_codes) / sizeof(funding_codes[0]))

static int parse_funding(const char *s)
{
    size_t i;
    for (i = 0; i < N_FUNDING_CODES; i++)
        if (strcasecmp(s, funding_codes[i].code) == 0)
            return funding_codes[i].funding;
    return DOANRA_FUND_NONE;
}

const char *doanra_funding_code(const doanra_trip *t)
{
    size_t i;

    if (!t)
        return NULL;
    for (i = 0; i < N_FUNDING_CODES; i++)
        if (t->funding == funding_codes[i].funding)
            return funding_codes[i].code;
    return (t->nguon_kinh_phi_raw && *t->nguon_kinh_phi_raw)
               ? t->nguon_kinh_phi_raw
               : NULL;
}

/* Width in bytes of a thousands separator at s (".", ",", " ", U+00A0 or
 * U+202F), 0 if none. */
static int separator_at(const char *s, const char *end)
{
    if (s >= end)
        return 0;
    if (*s == '.' || *s == ',' || *s == ' ')
        return 1;
    if (end - s >= 2 && (unsigned char)s[0] == 0xC2 &&
        (unsigned char)s[1] == 0xA0)
        return 2;
    if (end - s >= 3 && (unsigned char)s[0] == 0xE2 &&
        (unsigned char)s[1] == 0x80 && (unsigned char)s[2] == 0xAF)
        return 3;
    return 0;
}

/* An amount in VND: digits, optionally grouped by threes with one kind of
 * separator ("150.000.000", "150,000,000", "150 000 000").  Groups must be
 * exactly three digits so "1.5" or "150000,50" (a decimal) is not read as a
 * whole number.  -1 when not an amount or past INT64_MAX. */
static apr_int64_t parse_amount(const char *s, apr_size_t len)
{
    const char *end = s + len, *sep = NULL;
    apr_size_t seplen = 0;
    apr_int64_t v = 0;
    int digits = 0, groups = 0;

    if (len == 0)
        return -1;
    while (s < end) {
        if (*s >= '0' && *s <= '9') {
            int d = *s - '0';
            if (v > (APR_INT64_MAX - d) / 10)
                return -1;
            v = v * 10 + d;
            digits++;
            s++;
            continue;
        }
        {
            int w = separator_at(s, end);
            if (!w)
                return -1;
            /* the group before a separator: 1-3 digits first, then 3 */
            if (digits == 0 || digits > 3 || (groups > 0 && digits != 3))
                return -1;
            if (sep && ((apr_size_t)w != seplen || memcmp(s, sep, w) != 0))
                return -1;
            sep = s;
            seplen = (apr_size_t)w;
            groups++;
            digits = 0;
            s += w;
        }
    }
    if (digits == 0 || (groups > 0 && digits != 3))
        return -1;
    return v;
}

/* ---- building --------------------------------------------------------------
 */

static void required(apr_pool_t *p, const doanra_config *c,
                     apr_array_header_t *findings, int key, int row,
                     const char *vi, const char *en)
{
    doanra_add_finding(p, c, findings, DOANRA_R_REQUIRED, key, row, "%s",
                       c->lang == DOANRA_LANG_EN ? en : vi);
}

static const char *nonblank(const value *v)
{
    return blank(v) ? NULL : v->s;
}

/* Number of rows sent for a group of row fields, bounded by max_rows. */
static int row_count(apr_pool_t *p, const doanra_config *c,
                     const collected *col, const int *keys, int nkeys,
                     doanra_trip *t, apr_array_header_t *findings)
{
    int i, n = 0, max = c->max_rows > 0 ? c->max_rows : 1000;
    for (i = 0; i < nkeys; i++) {
        int k = keys[i], sent = col->sent[k];
        if (sent > max) {
            t->rows_truncated = 1;
            if (c->lang == DOANRA_LANG_EN)
                doanra_add_finding(
                    p, c, findings, DOANRA_R_FORMAT, k, 0,
                    "%s was sent %d times, more than the %d rows a form may "
                    "have; only the first %d were read.",
                    label(c, k), sent, max, max);
            else
                doanra_add_finding(
                    p, c, findings, DOANRA_R_FORMAT, k, 0,
                    "Trường %s được gửi %d lần, vượt quá giới hạn %d dòng; "
                    "chỉ %d dòng đầu được xét.",
                    label(c, k), sent, max, max);
            sent = max;
        }
        if (sent > n)
            n = sent;
    }
    return n;
}

static void build_legs(apr_pool_t *p, const doanra_config *c,
                       const doanra_countries *countries, const collected *col,
                       doanra_trip *t, apr_array_header_t *findings)
{
    static const int keys[] = {DOANRA_F_QUOC_GIA, DOANRA_F_TU_NGAY,
                               DOANRA_F_DEN_NGAY};
    int n = row_count(p, c, col, keys, 3, t, findings), i;
    int en = c->lang == DOANRA_LANG_EN;

    for (i = 0; i < n; i++) {
        value q = row_value(p, col, DOANRA_F_QUOC_GIA, i);
        value f = row_value(p, col, DOANRA_F_TU_NGAY, i);
        value to = row_value(p, col, DOANRA_F_DEN_NGAY, i);
        doanra_leg *leg;
        int row = i + 1;

        if (blank(&q) && blank(&f) && blank(&to))
            continue; /* forms ship blank rows */
        leg = apr_array_push(t->legs);
        memset(leg, 0, sizeof(*leg));
        leg->row = row;
        leg->country_raw = nonblank(&q);
        leg->from_raw = nonblank(&f);
        leg->to_raw = nonblank(&to);
        leg->from = leg->to = DOANRA_NODATE;

        if (blank(&q))
            doanra_add_finding(p, c, findings, DOANRA_R_REQUIRED,
                               DOANRA_F_QUOC_GIA, row,
                               en ? "Itinerary row %d: the country is missing."
                                  : "Lịch trình dòng %d: chưa nhập quốc gia.",
                               row);
        else if (!check_chars(p, c, findings, DOANRA_F_QUOC_GIA, row, &q)) {
            leg->country = doanra_countries_find(countries, q.s);
            if (!leg->country) {
                const char *qq = quote(p, q.s, q.len);
                if (en)
                    doanra_add_finding(
                        p, c, findings, DOANRA_R_FORMAT, DOANRA_F_QUOC_GIA, row,
                        "Unknown country \"%s\" (use the ISO two-letter code "
                        "or the Vietnamese or English name).",
                        qq);
                else
                    doanra_add_finding(
                        p, c, findings, DOANRA_R_FORMAT, DOANRA_F_QUOC_GIA, row,
                        "Không nhận ra quốc gia \"%s\" (dùng mã ISO hai chữ "
                        "cái hoặc tên tiếng Việt/tiếng Anh).",
                        qq);
            }
        }
        if (blank(&f))
            doanra_add_finding(
                p, c, findings, DOANRA_R_REQUIRED, DOANRA_F_TU_NGAY, row,
                en ? "Itinerary row %d: the first day in the country is "
                     "missing."
                   : "Lịch trình dòng %d: chưa nhập ngày bắt đầu ở nước đến "
                     "(từ ngày).",
                row);
        else
            leg->from = check_date(p, c, findings, DOANRA_F_TU_NGAY, row, &f);
        if (blank(&to))
            doanra_add_finding(
                p, c, findings, DOANRA_R_REQUIRED, DOANRA_F_DEN_NGAY, row,
                en ? "Itinerary row %d: the last day in the country is "
                     "missing."
                   : "Lịch trình dòng %d: chưa nhập ngày kết thúc ở nước đến "
                     "(đến ngày).",
                row);
        else
            leg->to = check_date(p, c, findings, DOANRA_F_DEN_NGAY, row, &to);
    }
    if (t->legs->nelts == 0)
        required(p, c, findings, DOANRA_F_QUOC_GIA, 0,
                 "Lịch trình chưa có quốc gia nào; cần ít nhất một nước đến.",
                 "The itinerary has no country; at least one is needed.");
}

/* Normalised text of a value that passed check_chars, "" otherwise. */
static const char *norm_of(apr_pool_t *p, const value *v)
{
    if (blank(v) || v->bad_char != 0)
        return "";
    return doanra_text_norm(p, v->s);
}

static void build_members(apr_pool_t *p, const doanra_config *c,
                          const collected *col, doanra_trip *t,
                          apr_array_header_t *findings)
{
    static const int keys[] = {DOANRA_F_TV_HO_TEN, DOANRA_F_TV_MA,
                               DOANRA_F_TV_CHUC_VU, DOANRA_F_TV_DON_VI};
    int n = row_count(p, c, col, keys, 4, t, findings), i;
    int en = c->lang == DOANRA_LANG_EN;

    for (i = 0; i < n; i++) {
        value name = row_value(p, col, DOANRA_F_TV_HO_TEN, i);
        value code = row_value(p, col, DOANRA_F_TV_MA, i);
        value pos = row_value(p, col, DOANRA_F_TV_CHUC_VU, i);
        value unit = row_value(p, col, DOANRA_F_TV_DON_VI, i);
        doanra_member *m;
        int row = i + 1;

        if (blank(&name) && blank(&code) && blank(&pos) && blank(&unit))
            continue;
        m = apr_array_push(t->members);
        memset(m, 0, sizeof(*m));
        m->row = row;
        m->name = nonblank(&name);
        m->code = nonblank(&code);
        m->position = nonblank(&pos);
        m->unit = nonblank(&unit);

        if (blank(&name))
            doanra_add_finding(p, c, findings, DOANRA_R_REQUIRED,
                               DOANRA_F_TV_HO_TEN, row,
                               en ? "Member row %d: the full name is missing."
                                  : "Thành viên dòng %d: chưa nhập họ tên.",
                               row);
        else
            check_chars(p, c, findings, DOANRA_F_TV_HO_TEN, row, &name);
        if (!blank(&code) &&
            check_chars(p, c, findings, DOANRA_F_TV_MA, row, &code))
            m->code = NULL;
        if (blank(&pos)) {
            if (en)
                doanra_add_finding(
                    p, c, findings, DOANRA_R_REQUIRED, DOANRA_F_TV_CHUC_VU, row,
                    "Member row %d%s%s%s: the position is missing.", row,
                    m->name ? " (\"" : "",
                    m->name ? quote(p, name.s, name.len) : "",
                    m->name ? "\")" : "");
            else
                doanra_add_finding(
                    p, c, findings, DOANRA_R_REQUIRED, DOANRA_F_TV_CHUC_VU, row,
                    "Thành viên dòng %d%s%s%s: chưa nhập chức vụ.", row,
                    m->name ? " (\"" : "",
                    m->name ? quote(p, name.s, name.len) : "",
                    m->name ? "\")" : "");
        } else
            check_chars(p, c, findings, DOANRA_F_TV_CHUC_VU, row, &pos);
        if (!blank(&unit))
            check_chars(p, c, findings, DOANRA_F_TV_DON_VI, row, &unit);

        m->name_norm = norm_of(p, &name);
        m->position_norm = norm_of(p, &pos);
        m->unit_norm = norm_of(p, &unit);
    }
    if (t->members->nelts == 0)
        required(p, c, findings, DOANRA_F_TV_HO_TEN, 0,
                 "Đoàn chưa có thành viên nào.",
                 "The delegation has no members.");
}

/* A scalar's value after the character check: NULL when blank or bad. */
static const char *checked(apr_pool_t *p, const doanra_config *c,
                           apr_array_header_t *findings, int key,
                           const value *v)
{
    if (blank(v))
        return NULL;
    if (check_chars(p, c, findings, key, 0, v))
        return NULL;
    return v->s;
}

/* The values of each of c's fields in arrival order; file parts and other
 * names are left out. */
static void collect(apr_pool_t *p, const doanra_config *c,
                    const apr_array_header_t *fields, collected *col)
{
    int i, k, max_rows = c->max_rows > 0 ? c->max_rows : 1000;

    for (k = 0; k < DOANRA_F_COUNT; k++) {
        col->vals[k] = apr_array_make(p, 4, sizeof(const doanra_field *));
        col->sent[k] = 0;
    }
    for (i = 0; fields && i < fields->nelts; i++) {
        const doanra_field *f = &APR_ARRAY_IDX(fields, i, doanra_field);
        if (!f->name || f->is_file)
            continue;
        k = doanra_field_key_of(c, f->name);
        if (k < 0)
            continue;
        col->sent[k]++;
        /* Rows past the bound are only counted (see row_count): an absurd
         * row count costs no memory. */
        if (doanra_field_is_row(k) && col->vals[k]->nelts >= max_rows)
            continue;
        APR_ARRAY_PUSH(col->vals[k], const doanra_field *) = f;
    }
}

/* The sending unit, purpose and partner. */
static void build_text(apr_pool_t *p, const doanra_config *c, const value *v,
                       doanra_trip *t, apr_array_header_t *findings)
{
    t->don_vi = checked(p, c, findings, DOANRA_F_DON_VI, &v[DOANRA_F_DON_VI]);
    t->ma_don_vi =
        checked(p, c, findings, DOANRA_F_MA_DON_VI, &v[DOANRA_F_MA_DON_VI]);
    if (blank(&v[DOANRA_F_DON_VI]) && blank(&v[DOANRA_F_MA_DON_VI]))
        required(p, c, findings, DOANRA_F_DON_VI, 0,
                 "Chưa nhập đơn vị cử đoàn (tên đơn vị hoặc mã đơn vị).",
                 "The sending unit is missing (its name or its code).");
    t->muc_dich =
        checked(p, c, findings, DOANRA_F_MUC_DICH, &v[DOANRA_F_MUC_DICH]);
    if (blank(&v[DOANRA_F_MUC_DICH]))
        required(p, c, findings, DOANRA_F_MUC_DICH, 0,
                 "Chưa nhập mục đích chuyến đi.",
                 "The purpose of the trip is missing.");
    t->doi_tac =
        checked(p, c, findings, DOANRA_F_DOI_TAC, &v[DOANRA_F_DOI_TAC]);
    if (blank(&v[DOANRA_F_DOI_TAC]))
        required(p, c, findings, DOANRA_F_DOI_TAC, 0,
                 "Chưa nhập đối tác mời hoặc đón tiếp đoàn.",
                 "The inviting or host partner is missing.");
}

/* Departure and return. */
static void build_dates(apr_pool_t *p, const doanra_config *c, const value *v,
                        doanra_trip *t, apr_array_header_t *findings)
{
    t->ngay_di_raw = nonblank(&v[DOANRA_F_NGAY_DI]);
    if (blank(&v[DOANRA_F_NGAY_DI]))
        required(p, c, findings, DOANRA_F_NGAY_DI, 0,
                 "Chưa nhập ngày đi (YYYY-MM-DD hoặc DD/MM/YYYY).",
                 "The departure date is missing (YYYY-MM-DD or DD/MM/YYYY).");
    else
        t->ngay_di = check_date(p, c, findings, DOANRA_F_NGAY_DI, 0,
                                &v[DOANRA_F_NGAY_DI]);
    t->ngay_ve_raw = nonblank(&v[DOANRA_F_NGAY_VE]);
    if (blank(&v[DOANRA_F_NGAY_VE]))
        required(p, c, findings, DOANRA_F_NGAY_VE, 0,
                 "Chưa nhập ngày về (YYYY-MM-DD hoặc DD/MM/YYYY).",
                 "The return date is missing (YYYY-MM-DD or DD/MM/YYYY).");
    else
        t->ngay_ve = check_date(p, c, findings, DOANRA_F_NGAY_VE, 0,
                                &v[DOANRA_F_NGAY_VE]);
}

/* The funding source and the estimated cost. */
static void build_funding(apr_pool_t *p, const doanra_config *c, const value *v,
                          doanra_trip *t, apr_array_header_t *findings)
{
    int en = c->lang == DOANRA_LANG_EN;
    const value *src = &v[DOANRA_F_NGUON_KINH_PHI],
                *cost = &v[DOANRA_F_DU_TOAN];

    t->nguon_kinh_phi_raw = nonblank(src);
    if (blank(src))
        required(p, c, findings, DOANRA_F_NGUON_KINH_PHI, 0,
                 "Chưa chọn nguồn kinh phí (ngan_sach, doi_tac, tu_tuc hoặc "
                 "khac).",
                 "The funding source is missing (ngan_sach, doi_tac, tu_tuc "
                 "or khac).");
    else if (!check_chars(p, c, findings, DOANRA_F_NGUON_KINH_PHI, 0, src)) {
        t->funding = parse_funding(src->s);
        if (t->funding == DOANRA_FUND_NONE)
            doanra_add_finding(
                p, c, findings, DOANRA_R_FORMAT, DOANRA_F_NGUON_KINH_PHI, 0,
                en ? "Unknown funding source \"%s\" (expected one of "
                     "ngan_sach, doi_tac, tu_tuc, khac)."
                   : "Nguồn kinh phí \"%s\" không hợp lệ (chọn một trong "
                     "ngan_sach, doi_tac, tu_tuc, khac).",
                quote(p, src->s, src->len));
    }
    /* A missing du_toan with ngan_sach is the funding rule's finding. */
    t->du_toan_raw = nonblank(cost);
    if (blank(cost) || check_chars(p, c, findings, DOANRA_F_DU_TOAN, 0, cost))
        return;
    t->du_toan = parse_amount(cost->s, cost->len);
    if (t->du_toan < 0)
        doanra_add_finding(
            p, c, findings, DOANRA_R_FORMAT, DOANRA_F_DU_TOAN, 0,
            en ? "Estimated cost \"%s\" is not an amount in VND (digits, "
                 "optionally grouped by thousands with '.', ',' or a "
                 "space, e.g. 150.000.000; no decimals, no minus sign)."
               : "Dự toán \"%s\" không phải là số tiền hợp lệ (chỉ gồm "
                 "chữ số, có thể tách hàng nghìn bằng dấu chấm, dấu phẩy "
                 "hoặc khoảng trắng, ví dụ 150.000.000; không có số thập "
                 "phân, không có dấu âm).",
            quote(p, cost->s, cost->len));
}

doanra_trip *doanra_trip_build(apr_pool_t *p, const doanra_config *c,
                               const doanra_countries *countries,
                               const apr_array_header_t *fields,
                               apr_array_header_t *findings)
{
    doanra_trip *t = apr_pcalloc(p, sizeof(*t));
    collected col;
    value v[DOANRA_F_LY_DO_PHAT_SINH + 1];
    int k;

    collect(p, c, fields, &col);
    t->legs = apr_array_make(p, 4, sizeof(doanra_leg));
    t->members = apr_array_make(p, 8, sizeof(doanra_member));
    t->ngay_di = t->ngay_ve = DOANRA_NODATE;
    t->du_toan = -1;
    t->funding = DOANRA_FUND_NONE;

    for (k = 0; k <= DOANRA_F_LY_DO_PHAT_SINH; k++)
        v[k] = scalar(p, &col, k);
    build_text(p, c, v, t, findings);
    build_dates(p, c, v, t, findings);
    build_funding(p, c, v, t, findings);
    t->ma_ke_hoach =
        checked(p, c, findings, DOANRA_F_MA_KE_HOACH, &v[DOANRA_F_MA_KE_HOACH]);
    t->ly_do_phat_sinh = checked(p, c, findings, DOANRA_F_LY_DO_PHAT_SINH,
                                 &v[DOANRA_F_LY_DO_PHAT_SINH]);

    t->unit_norm = t->don_vi ? doanra_text_norm(p, t->don_vi) : "";
    t->unit_code = t->ma_don_vi;

    build_legs(p, c, countries, &col, t, findings);
    build_members(p, c, &col, t, findings);
    /* Identities without the registry; the store resolves them again
     * against it. */
    doanra_trip_resolve_identity(p, t, NULL);
    return t;
}

int doanra_title_is_key_leader(const doanra_config *c,
                               const char *position_norm)
{
    int j;

    if (!c || !c->key_leader_titles || !position_norm || !*position_norm)
        return 0;
    for (j = 0; j < c->key_leader_titles->nelts; j++) {
        const char *title =
            APR_ARRAY_IDX(c->key_leader_titles, j, const char *);
        if (doanra_text_starts_with_title(position_norm, title))
            return 1;
    }
    return 0;
}

void doanra_trip_resolve_leaders(apr_pool_t *p, const doanra_config *c,
                                 doanra_trip *t)
{
    int i;

    if (!t || !t->members)
        return;
    for (i = 0; i < t->members->nelts; i++) {
        doanra_member *m = &APR_ARRAY_IDX(t->members, i, doanra_member);
        const char *pos = m->position_norm ? m->position_norm : "";

        if (m->registry_found)
            m->is_key_leader = m->registry_key_leader ? 1 : 0;
        else
            m->is_key_leader = doanra_title_is_key_leader(c, pos);
        if (m->registry_unit_code && *m->registry_unit_code)
            m->unit_key = m->registry_unit_code;
        else if (m->unit_norm && *m->unit_norm)
            m->unit_key = m->unit_norm;
        else if (t->unit_code && *t->unit_code)
            m->unit_key = t->unit_code;
        else
            m->unit_key = t->unit_norm ? t->unit_norm : "";
    }
}
