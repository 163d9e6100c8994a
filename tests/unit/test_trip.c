/* test_trip.c - fields to trip: scalars, rows, required and format
 * findings, identities and key leaders. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "doanra.h"

static apr_pool_t *pool;
static doanra_countries *countries;
static doanra_config cfg;

static int setup(void **state)
{
    apr_pool_create(&pool, NULL);
    countries = doanra_countries_make(pool);
    doanra_countries_load_icu(countries);
    return 0;
}

static int teardown(void **state)
{
    apr_pool_destroy(pool);
    return 0;
}

static int reset(void **state)
{
    doanra_config_defaults(pool, &cfg);
    return 0;
}

/* Fields from "name", "value" pairs ending with NULL. */
static apr_array_header_t *fields(const char *first, ...)
{
    apr_array_header_t *a = apr_array_make(pool, 16, sizeof(doanra_field));
    va_list ap;
    const char *n = first;
    va_start(ap, first);
    while (n) {
        doanra_field *f = apr_array_push(a);
        const char *v = va_arg(ap, const char *);
        f->name = n;
        f->value = v;
        f->len = strlen(v);
        f->is_file = 0;
        n = va_arg(ap, const char *);
    }
    va_end(ap);
    return a;
}

static void add(apr_array_header_t *a, const char *n, const char *v,
                apr_size_t len)
{
    doanra_field *f = apr_array_push(a);
    f->name = n;
    f->value = v;
    f->len = len;
    f->is_file = 0;
}

/* A complete, clean submission. */
static apr_array_header_t *good(void)
{
    return fields("don_vi", "Sở Ngoại vụ", "muc_dich", "Xúc tiến đầu tư",
                  "doi_tac", "JETRO", "ngay_di", "2026-05-01", "ngay_ve",
                  "05/05/2026", "nguon_kinh_phi", "ngan_sach", "du_toan",
                  "150.000.000", "quoc_gia[]", "JP", "tu_ngay[]", "2026-05-02",
                  "den_ngay[]", "2026-05-04", "tv_ho_ten[]", "Nguyễn Văn A",
                  "tv_chuc_vu[]", "Giám đốc", NULL);
}

static int count_rule(const apr_array_header_t *f, int rule)
{
    int i, n = 0;
    for (i = 0; i < f->nelts; i++)
        n += APR_ARRAY_IDX(f, i, doanra_finding).rule == rule;
    return n;
}

/* The finding of rule about field, row; NULL if none. */
static const doanra_finding *find(const apr_array_header_t *f, int rule,
                                  const char *field, int row)
{
    int i;
    for (i = 0; i < f->nelts; i++) {
        const doanra_finding *x = &APR_ARRAY_IDX(f, i, doanra_finding);
        if (x->rule == rule && strcmp(x->field, field) == 0 && x->row == row)
            return x;
    }
    return NULL;
}

/* Lists the findings when DOANRA_TEST_VERBOSE is set (reading messages). */
static void dump(const apr_array_header_t *f)
{
    int i;
    if (!getenv("DOANRA_TEST_VERBOSE"))
        return;
    for (i = 0; i < f->nelts; i++) {
        const doanra_finding *x = &APR_ARRAY_IDX(f, i, doanra_finding);
        print_message("  %s %s[%d]: %s\n", doanra_rule_name(x->rule), x->field,
                      x->row, x->message);
    }
}

static doanra_trip *build(const apr_array_header_t *in,
                          apr_array_header_t **findings)
{
    *findings = apr_array_make(pool, 8, sizeof(doanra_finding));
    return doanra_trip_build(pool, &cfg, countries, in, *findings);
}

static void clean_trip(void **state)
{
    apr_array_header_t *f;
    doanra_trip *t = build(good(), &f);
    const doanra_member *m;
    const doanra_leg *l;
    dump(f);
    assert_int_equal(f->nelts, 0);
    assert_string_equal(t->don_vi, "Sở Ngoại vụ");
    assert_string_equal(t->unit_norm, "sở ngoại vụ");
    assert_null(t->unit_code);
    assert_int_equal(t->ngay_di, doanra_date_from_ymd(2026, 5, 1));
    assert_int_equal(t->ngay_ve, doanra_date_from_ymd(2026, 5, 5));
    assert_string_equal(t->ngay_ve_raw, "05/05/2026");
    assert_int_equal(t->funding, DOANRA_FUND_NGAN_SACH);
    assert_true(t->du_toan == 150000000);
    assert_int_equal(t->legs->nelts, 1);
    l = &APR_ARRAY_IDX(t->legs, 0, doanra_leg);
    assert_int_equal(l->row, 1);
    assert_string_equal(l->country->code, "JP");
    assert_int_equal(l->to - l->from, 2);
    assert_int_equal(t->members->nelts, 1);
    m = &APR_ARRAY_IDX(t->members, 0, doanra_member);
    assert_string_equal(m->name, "Nguyễn Văn A");
    assert_string_equal(m->name_norm, "nguyễn văn a");
    assert_string_equal(m->position_norm, "giám đốc");
    assert_string_equal(m->unit_norm, "");
    assert_null(m->code);
    assert_string_equal(m->identity, "n:nguyễn văn a|sở ngoại vụ");
    assert_int_equal(t->rows_truncated, 0);
    assert_int_equal(doanra_decision(f), DOANRA_DECISION_PASS);
}

static void required_all(void **state)
{
    apr_array_header_t *f;
    doanra_trip *t = build(fields("other", "x", NULL), &f);
    dump(f);
    assert_int_equal(count_rule(f, DOANRA_R_REQUIRED), 8);
    assert_int_equal(count_rule(f, DOANRA_R_FORMAT), 0);
    assert_non_null(find(f, DOANRA_R_REQUIRED, "don_vi", 0));
    assert_non_null(find(f, DOANRA_R_REQUIRED, "muc_dich", 0));
    assert_non_null(find(f, DOANRA_R_REQUIRED, "doi_tac", 0));
    assert_non_null(find(f, DOANRA_R_REQUIRED, "ngay_di", 0));
    assert_non_null(find(f, DOANRA_R_REQUIRED, "ngay_ve", 0));
    assert_non_null(find(f, DOANRA_R_REQUIRED, "nguon_kinh_phi", 0));
    assert_non_null(find(f, DOANRA_R_REQUIRED, "quoc_gia", 0));
    assert_string_equal(find(f, DOANRA_R_REQUIRED, "tv_ho_ten", 0)->message,
                        "Đoàn chưa có thành viên nào.");
    /* du_toan with ngan_sach is the funding rule's, not required's */
    assert_null(find(f, DOANRA_R_REQUIRED, "du_toan", 0));
    assert_int_equal(t->ngay_di, DOANRA_NODATE);
    assert_true(t->du_toan == -1);
    assert_int_equal(t->funding, DOANRA_FUND_NONE);
    assert_int_equal(t->legs->nelts, 0);
    assert_int_equal(t->members->nelts, 0);
    assert_null(t->don_vi);
    assert_string_equal(t->unit_norm, "");
    assert_int_equal(doanra_decision(f), DOANRA_DECISION_FAIL);
}

static void unit_by_code(void **state)
{
    apr_array_header_t *in = good(), *f;
    doanra_trip *t;
    APR_ARRAY_IDX(in, 0, doanra_field).name = "ma_don_vi";
    APR_ARRAY_IDX(in, 0, doanra_field).value = "SNGV";
    APR_ARRAY_IDX(in, 0, doanra_field).len = 4;
    t = build(in, &f);
    assert_int_equal(f->nelts, 0);
    assert_string_equal(t->unit_code, "SNGV");
    assert_string_equal(t->ma_don_vi, "SNGV");
    assert_null(t->don_vi);
    assert_string_equal(APR_ARRAY_IDX(t->members, 0, doanra_member).identity,
                        "n:nguyễn văn a|sngv"); /* the code's normal form */
}

static void english(void **state)
{
    apr_array_header_t *f;
    cfg.lang = DOANRA_LANG_EN;
    build(fields("ngay_di", "31/02/2026", "quoc_gia", "Atlantis", NULL), &f);
    dump(f);
    assert_string_equal(find(f, DOANRA_R_FORMAT, "ngay_di", 0)->message,
                        "Departure date \"31/02/2026\" is not a valid date "
                        "(use YYYY-MM-DD or DD/MM/YYYY).");
    assert_string_equal(find(f, DOANRA_R_FORMAT, "quoc_gia", 1)->message,
                        "Unknown country \"Atlantis\" (use the ISO two-letter "
                        "code or the Vietnamese or English name).");
    assert_string_equal(find(f, DOANRA_R_REQUIRED, "tv_ho_ten", 0)->message,
                        "The delegation has no members.");
}

static void formats_vi(void **state)
{
    apr_array_header_t *f;
    doanra_trip *t =
        build(fields("ngay_di", " 31/02/2026 ", "ngay_ve", "2026-13-01",
                     "nguon_kinh_phi", "ngan sach", "du_toan", "1,5",
                     "quoc_gia", "Atlantis", "tu_ngay", "31/04/2026",
                     "den_ngay", "2026-05-03", NULL),
              &f);
    dump(f);
    assert_string_equal(find(f, DOANRA_R_FORMAT, "ngay_di", 0)->message,
                        "Ngày đi \"31/02/2026\" không phải là ngày hợp lệ "
                        "(định dạng YYYY-MM-DD hoặc DD/MM/YYYY).");
    assert_non_null(find(f, DOANRA_R_FORMAT, "ngay_ve", 0));
    assert_string_equal(find(f, DOANRA_R_FORMAT, "quoc_gia", 1)->message,
                        "Không nhận ra quốc gia \"Atlantis\" (dùng mã ISO hai "
                        "chữ cái hoặc tên tiếng Việt/tiếng Anh).");
    assert_string_equal(find(f, DOANRA_R_FORMAT, "tu_ngay", 1)->message,
                        "Từ ngày (dòng 1) \"31/04/2026\" không phải là ngày "
                        "hợp lệ (định dạng YYYY-MM-DD hoặc DD/MM/YYYY).");
    assert_null(find(f, DOANRA_R_FORMAT, "den_ngay", 1));
    assert_non_null(
        strstr(find(f, DOANRA_R_FORMAT, "nguon_kinh_phi", 0)->message,
               "\"ngan sach\""));
    assert_non_null(
        strstr(find(f, DOANRA_R_FORMAT, "du_toan", 0)->message, "\"1,5\""));
    assert_int_equal(t->legs->nelts, 1);
    assert_null(APR_ARRAY_IDX(t->legs, 0, doanra_leg).country);
    assert_string_equal(APR_ARRAY_IDX(t->legs, 0, doanra_leg).country_raw,
                        "Atlantis");
    assert_int_equal(APR_ARRAY_IDX(t->legs, 0, doanra_leg).from, DOANRA_NODATE);
    assert_int_equal(t->ngay_di, DOANRA_NODATE);
    assert_string_equal(t->ngay_di_raw, "31/02/2026");
    assert_int_equal(t->funding, DOANRA_FUND_NONE);
    assert_true(t->du_toan == -1);
}

static apr_int64_t amount(const char *s, int *nfmt)
{
    apr_array_header_t *f;
    doanra_trip *t = build(fields("du_toan", s, NULL), &f);
    *nfmt = count_rule(f, DOANRA_R_FORMAT);
    return t->du_toan;
}

static void du_toan(void **state)
{
    static const char *const ok[] = {
        "150.000.000",
        "150,000,000",
        "150 000 000",
        "150000000",
        " 150.000.000 ",
        "150\xC2\xA0"
        "000\xC2\xA0"
        "000",
        "150\xE2\x80\xAF"
        "000\xE2\x80\xAF"
        "000",
    };
    static const char *const bad[] = {
        "-150000",
        "150.000,00",
        "1.5",
        "150000.50",
        "1,50",
        "150.000,000",
        "150..000",
        ".150",
        "150.",
        "1.0000",
        "1234.567",
        "abc",
        "150 VND",
        "150.000.000đ",
        "+5",
        "99999999999999999999",
        "9.223.372.036.854.775.808",
        "1e6",
        "150  000",
    };
    size_t i;
    int n;
    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        apr_int64_t v = amount(ok[i], &n);
        if (v != 150000000 || n != 0)
            fail_msg("\"%s\" gave %" APR_INT64_T_FMT, ok[i], v);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        apr_int64_t v = amount(bad[i], &n);
        if (v != -1 || n != 1)
            fail_msg("\"%s\" gave %" APR_INT64_T_FMT, bad[i], v);
    }
    assert_true(amount("0", &n) == 0);
    assert_true(amount("1.000", &n) == 1000);
    assert_true(amount("9223372036854775807", &n) == APR_INT64_MAX);
    assert_true(amount("", &n) == -1);
    assert_int_equal(n, 0); /* missing is not a format error */
}

static void funding_codes(void **state)
{
    apr_array_header_t *f;
    assert_int_equal(
        build(fields("nguon_kinh_phi", "doi_tac", NULL), &f)->funding,
        DOANRA_FUND_DOI_TAC);
    assert_int_equal(
        build(fields("nguon_kinh_phi", " TU_TUC ", NULL), &f)->funding,
        DOANRA_FUND_TU_TUC);
    assert_int_equal(build(fields("nguon_kinh_phi", "khac", NULL), &f)->funding,
                     DOANRA_FUND_KHAC);
    assert_int_equal(build(fields("nguon_kinh_phi", "xyz", NULL), &f)->funding,
                     DOANRA_FUND_NONE);
    assert_non_null(find(f, DOANRA_R_FORMAT, "nguon_kinh_phi", 0));
}

/* doanra_funding_code: the code of a known source, in the form's own
 * spelling; an unknown one as sent; nothing when nothing was sent. */
static void funding_code_back(void **state)
{
    static const char *const codes[] = {"ngan_sach", "doi_tac", "tu_tuc",
                                        "khac"};
    apr_array_header_t *f;
    doanra_trip *t;
    size_t i;

    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        t = build(fields("nguon_kinh_phi", codes[i], NULL), &f);
        assert_int_not_equal(t->funding, DOANRA_FUND_NONE);
        assert_string_equal(doanra_funding_code(t), codes[i]);
    }
    t = build(fields("nguon_kinh_phi", " Doi_Tac ", NULL), &f);
    assert_int_equal(t->funding, DOANRA_FUND_DOI_TAC);
    assert_string_equal(doanra_funding_code(t), "doi_tac");
    t = build(fields("nguon_kinh_phi", " xyz ", NULL), &f);
    assert_int_equal(t->funding, DOANRA_FUND_NONE);
    assert_string_equal(doanra_funding_code(t), "xyz");
    t = build(fields("nguon_kinh_phi", "  ", NULL), &f);
    assert_null(doanra_funding_code(t));
    t = build(fields("don_vi", "x", NULL), &f);
    assert_null(doanra_funding_code(t));
    assert_null(doanra_funding_code(NULL));
    /* Set by hand, without a raw value. */
    t->funding = DOANRA_FUND_TU_TUC;
    assert_string_equal(doanra_funding_code(t), "tu_tuc");
}

static void rows_name_and_brackets(void **state)
{
    apr_array_header_t *f;
    /* quoc_gia and quoc_gia[] both feed the rows, in arrival order */
    doanra_trip *t = build(
        fields("quoc_gia", "JP", "tu_ngay[]", "02/05/2026", "den_ngay",
               "2026-05-03", "quoc_gia[]", "Hàn Quốc", "tu_ngay", "2026-05-04",
               "den_ngay[]", "2026-05-05", "tv_ho_ten[]", "A", "tv_ho_ten", "B",
               "tv_chuc_vu", "x", "tv_chuc_vu[]", "y", NULL),
        &f);
    dump(f);
    assert_int_equal(count_rule(f, DOANRA_R_FORMAT), 0);
    assert_int_equal(t->legs->nelts, 2);
    assert_string_equal(APR_ARRAY_IDX(t->legs, 1, doanra_leg).country->code,
                        "KR");
    assert_int_equal(APR_ARRAY_IDX(t->legs, 1, doanra_leg).row, 2);
    assert_int_equal(APR_ARRAY_IDX(t->legs, 1, doanra_leg).from,
                     doanra_date_from_ymd(2026, 5, 4));
    assert_int_equal(t->members->nelts, 2);
    assert_string_equal(APR_ARRAY_IDX(t->members, 1, doanra_member).name, "B");
    assert_string_equal(APR_ARRAY_IDX(t->members, 1, doanra_member).position,
                        "y");
    /* other names ("quoc_gia[0]", "xquoc_gia") are not rows */
    t = build(fields("quoc_gia[0]", "JP", "xquoc_gia", "JP", "quoc_gia[]x",
                     "JP", NULL),
              &f);
    assert_int_equal(t->legs->nelts, 0);
}

static void blank_rows(void **state)
{
    apr_array_header_t *f;
    /* forms ship blank rows: they are skipped, numbers stay as submitted */
    doanra_trip *t =
        build(fields("quoc_gia[]", "", "quoc_gia[]", "JP", "quoc_gia[]", " ",
                     "quoc_gia[]", "Atlantis", "tu_ngay[]", "", "tu_ngay[]",
                     "2026-05-02", "tu_ngay[]", "", "tu_ngay[]", "2026-05-05",
                     "den_ngay[]", "", "den_ngay[]", "2026-05-03", "den_ngay[]",
                     "\xC2\xA0", "den_ngay[]", "", "tv_ho_ten[]", "",
                     "tv_ho_ten[]", "", "tv_ho_ten[]", "C", "tv_chuc_vu[]", "",
                     "tv_chuc_vu[]", "", "tv_chuc_vu[]", "", "tv_ma[]", "",
                     "tv_ma[]", "", "tv_don_vi[]", "", NULL),
              &f);
    dump(f);
    assert_int_equal(t->legs->nelts, 2);
    assert_int_equal(APR_ARRAY_IDX(t->legs, 0, doanra_leg).row, 2);
    assert_int_equal(APR_ARRAY_IDX(t->legs, 1, doanra_leg).row, 4);
    assert_non_null(find(f, DOANRA_R_FORMAT, "quoc_gia", 4));
    assert_string_equal(find(f, DOANRA_R_REQUIRED, "den_ngay", 4)->message,
                        "Lịch trình dòng 4: chưa nhập ngày kết thúc ở nước "
                        "đến (đến ngày).");
    assert_int_equal(t->members->nelts, 1);
    assert_int_equal(APR_ARRAY_IDX(t->members, 0, doanra_member).row, 3);
    assert_string_equal(find(f, DOANRA_R_REQUIRED, "tv_chuc_vu", 3)->message,
                        "Thành viên dòng 3 (\"C\"): chưa nhập chức vụ.");
    assert_null(find(f, DOANRA_R_REQUIRED, "tv_ho_ten", 0));
    assert_null(find(f, DOANRA_R_REQUIRED, "quoc_gia", 0));
}

static void incomplete_rows(void **state)
{
    apr_array_header_t *f;
    doanra_trip *t = build(fields("tu_ngay", "2026-05-02", "tv_ma", "CB01",
                                  "tv_chuc_vu", "Phó Giám đốc", NULL),
                           &f);
    dump(f);
    assert_string_equal(find(f, DOANRA_R_REQUIRED, "quoc_gia", 1)->message,
                        "Lịch trình dòng 1: chưa nhập quốc gia.");
    assert_non_null(find(f, DOANRA_R_REQUIRED, "den_ngay", 1));
    assert_null(find(f, DOANRA_R_REQUIRED, "tu_ngay", 1));
    assert_string_equal(find(f, DOANRA_R_REQUIRED, "tv_ho_ten", 1)->message,
                        "Thành viên dòng 1: chưa nhập họ tên.");
    assert_null(find(f, DOANRA_R_REQUIRED, "tv_chuc_vu", 1));
    assert_int_equal(t->members->nelts, 1);
    assert_string_equal(APR_ARRAY_IDX(t->members, 0, doanra_member).identity,
                        "c:cb01");
}

static void identities(void **state)
{
    apr_array_header_t *f;
    doanra_trip *t =
        build(fields("don_vi", "UBND  Tỉnh", "tv_ho_ten", "NGUYỄN Văn A",
                     "tv_chuc_vu", "x", "tv_don_vi", "", "tv_ho_ten",
                     "Nguye\xCC\x82\xCC\x83n  van a", "tv_chuc_vu", "x",
                     "tv_don_vi", "Sở Y  Tế", "tv_ho_ten", "B", "tv_chuc_vu",
                     "x", "tv_ma", "", "tv_ma", "", "tv_ma", " cb-9 ", NULL),
              &f);
    assert_int_equal(t->members->nelts, 3);
    assert_string_equal(APR_ARRAY_IDX(t->members, 0, doanra_member).identity,
                        "n:nguyễn văn a|ubnd tỉnh");
    assert_string_equal(APR_ARRAY_IDX(t->members, 1, doanra_member).identity,
                        "n:nguyễn van a|sở y tế");
    assert_string_equal(APR_ARRAY_IDX(t->members, 1, doanra_member).unit_norm,
                        "sở y tế");
    assert_string_equal(APR_ARRAY_IDX(t->members, 2, doanra_member).identity,
                        "c:cb-9");
}

static void leaders(void **state)
{
    apr_array_header_t *f;
    doanra_trip *t = build(
        fields("ma_don_vi", "SNGV", "tv_ho_ten", "A", "tv_chuc_vu",
               "Giám đốc Sở Ngoại vụ", "tv_ho_ten", "B", "tv_chuc_vu",
               "Phó Giám đốc", "tv_ho_ten", "C", "tv_chuc_vu", "CHỦ TỊCH UBND",
               "tv_don_vi", "", "tv_don_vi", "", "tv_don_vi", "UBND Huyện",
               "tv_ho_ten", "D", "tv_chuc_vu", "Chuyên viên", NULL),
        &f);
    doanra_member *m = (doanra_member *)t->members->elts;
    assert_int_equal(t->members->nelts, 4);
    m[3].registry_found = 1; /* the registry says D is a key leader */
    m[3].registry_key_leader = 1;
    m[3].registry_unit_code = "UBND";
    doanra_trip_resolve_leaders(pool, &cfg, t);
    assert_int_equal(m[0].is_key_leader, 1);
    assert_int_equal(m[1].is_key_leader, 0);
    assert_int_equal(m[2].is_key_leader, 1);
    assert_int_equal(m[3].is_key_leader, 1);
    assert_string_equal(m[0].unit_key, "SNGV");
    assert_string_equal(m[2].unit_key, "ubnd huyện");
    assert_string_equal(m[3].unit_key, "UBND");
    /* registry facts win over the title */
    m[0].registry_found = 1;
    m[0].registry_key_leader = 0;
    doanra_trip_resolve_leaders(pool, &cfg, t);
    assert_int_equal(m[0].is_key_leader, 0);
    /* a configured deputy title */
    APR_ARRAY_PUSH((apr_array_header_t *)cfg.key_leader_titles, const char *) =
        doanra_text_norm(pool, "Phó Giám đốc");
    doanra_trip_resolve_leaders(pool, &cfg, t);
    assert_int_equal(m[1].is_key_leader, 1);
    /* without a unit code the unit name is the key */
    t = build(fields("don_vi", "Sở  Tài chính", "tv_ho_ten", "A", "tv_chuc_vu",
                     "Giám đốc", NULL),
              &f);
    doanra_trip_resolve_leaders(pool, &cfg, t);
    assert_string_equal(APR_ARRAY_IDX(t->members, 0, doanra_member).unit_key,
                        "sở tài chính");
}

/* doanra_title_is_key_leader: the configured titles as whole words at the
 * start of the normalised position. */
static void title_key_leader(void **state)
{
    const char *gd = doanra_text_norm(pool, "Giám đốc Sở Ngoại vụ");
    assert_true(doanra_title_is_key_leader(&cfg, gd));
    assert_true(
        doanra_title_is_key_leader(&cfg, doanra_text_norm(pool, "BÍ THƯ")));
    assert_false(doanra_title_is_key_leader(
        &cfg, doanra_text_norm(pool, "Phó Giám đốc Sở")));
    assert_false(
        doanra_title_is_key_leader(&cfg, doanra_text_norm(pool, "Giám đốcx")));
    assert_false(doanra_title_is_key_leader(&cfg, ""));
    assert_false(doanra_title_is_key_leader(&cfg, NULL));
    assert_false(doanra_title_is_key_leader(NULL, gd));
    cfg.key_leader_titles = NULL;
    assert_false(doanra_title_is_key_leader(&cfg, gd));
}

static void scalars_first_nonempty(void **state)
{
    apr_array_header_t *f;
    doanra_trip *t = build(fields("muc_dich", "  ", "muc_dich", " Hội thảo ",
                                  "muc_dich", "ignored", "don_vi[]", "X", NULL),
                           &f);
    assert_string_equal(t->muc_dich, "Hội thảo");
    assert_string_equal(t->don_vi, "X");
    assert_null(find(f, DOANRA_R_REQUIRED, "muc_dich", 0));
}

static void control_chars(void **state)
{
    apr_array_header_t *in = good(), *f;
    doanra_trip *t;
    add(in, "doi_tac", "x", 1); /* ignored: first non-empty wins */
    APR_ARRAY_IDX(in, 1, doanra_field).value = "Hội\0thảo";
    APR_ARRAY_IDX(in, 1, doanra_field).len = strlen("Hội") + 1 + strlen("thảo");
    add(in, "tv_ho_ten[]", "B\x07", 2);
    add(in, "tv_chuc_vu[]", "Chuyên viên\tphòng\r\n",
        strlen("Chuyên viên\tphòng\r\n"));
    t = build(in, &f);
    dump(f);
    assert_int_equal(count_rule(f, DOANRA_R_FORMAT), 2);
    assert_string_equal(find(f, DOANRA_R_FORMAT, "muc_dich", 0)->message,
                        "Mục đích \"Hội\xEF\xBF\xBDthảo\" có ký tự điều khiển "
                        "U+0000 không được phép (chỉ cho phép chữ, số, dấu "
                        "câu, tab và xuống dòng).");
    assert_non_null(
        strstr(find(f, DOANRA_R_FORMAT, "tv_ho_ten", 2)->message, "U+0007"));
    assert_null(t->muc_dich);
    assert_null(find(f, DOANRA_R_REQUIRED, "muc_dich", 0));
    assert_string_equal(APR_ARRAY_IDX(t->members, 1, doanra_member).position,
                        "Chuyên viên\tphòng");
}

static void too_many_rows(void **state)
{
    apr_array_header_t *in = good(), *f;
    doanra_trip *t;
    int i;
    cfg.max_rows = 5;
    for (i = 0; i < 20; i++)
        add(in, "quoc_gia[]", "", 0);
    t = build(in, &f);
    dump(f);
    assert_int_equal(t->rows_truncated, 1);
    assert_string_equal(find(f, DOANRA_R_FORMAT, "quoc_gia", 0)->message,
                        "Trường Quốc gia được gửi 21 lần, vượt quá giới hạn 5 "
                        "dòng; chỉ 5 dòng đầu được xét.");
    assert_int_equal(t->legs->nelts, 1);
    assert_int_equal(count_rule(f, DOANRA_R_FORMAT), 1);
}

static void renamed_fields(void **state)
{
    apr_array_header_t *f;
    doanra_trip *t;
    cfg.field_names[DOANRA_F_QUOC_GIA] = "country";
    cfg.field_names[DOANRA_F_MUC_DICH] = "purpose";
    t = build(fields("country[]", "vn", "quoc_gia", "JP", "purpose", "p", NULL),
              &f);
    assert_int_equal(t->legs->nelts, 1);
    assert_string_equal(APR_ARRAY_IDX(t->legs, 0, doanra_leg).country->code,
                        "VN");
    assert_string_equal(t->muc_dich, "p");
    /* findings carry the configured name */
    assert_non_null(find(f, DOANRA_R_REQUIRED, "tu_ngay", 1));
    t = build(fields("x", "y", NULL), &f);
    assert_non_null(find(f, DOANRA_R_REQUIRED, "country", 0));
    assert_non_null(find(f, DOANRA_R_REQUIRED, "purpose", 0));
}

static void severity_off(void **state)
{
    apr_array_header_t *f;
    cfg.severity[DOANRA_R_REQUIRED] = DOANRA_SEV_OFF;
    build(fields("ngay_di", "x", NULL), &f);
    assert_int_equal(count_rule(f, DOANRA_R_REQUIRED), 0);
    assert_int_equal(count_rule(f, DOANRA_R_FORMAT), 1);
}

static void no_countries_table(void **state)
{
    apr_array_header_t *f = apr_array_make(pool, 4, sizeof(doanra_finding));
    doanra_trip *t = doanra_trip_build(pool, &cfg, NULL, good(), f);
    assert_null(APR_ARRAY_IDX(t->legs, 0, doanra_leg).country);
    assert_non_null(find(f, DOANRA_R_FORMAT, "quoc_gia", 1));
    /* and no fields at all */
    t = doanra_trip_build(pool, &cfg, countries, NULL, f);
    assert_non_null(t);
}

static void long_value_quoted_short(void **state)
{
    apr_array_header_t *f;
    char *big = apr_palloc(pool, 3 * 1000 + 1);
    int i;
    const char *msg;
    for (i = 0; i < 1000; i++)
        memcpy(big + 3 * i, "ạ", 3);
    big[3000] = '\0';
    build(fields("quoc_gia", big, NULL), &f);
    msg = find(f, DOANRA_R_FORMAT, "quoc_gia", 1)->message;
    assert_true(strlen(msg) < 400);
    assert_true(doanra_utf8_valid(msg, strlen(msg)));
    assert_non_null(strstr(msg, "…"));
}

#define T(f) cmocka_unit_test_setup(f, reset)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(clean_trip),    T(required_all),       T(unit_by_code),
        T(english),       T(formats_vi),         T(du_toan),
        T(funding_codes), T(funding_code_back),  T(rows_name_and_brackets),
        T(blank_rows),    T(incomplete_rows),    T(identities),
        T(leaders),       T(title_key_leader),   T(scalars_first_nonempty),
        T(control_chars), T(too_many_rows),      T(renamed_fields),
        T(severity_off),  T(no_countries_table), T(long_value_quoted_short),
    };
    int r;
    apr_initialize();
    r = cmocka_run_group_tests(tests, setup, teardown);
    apr_terminate();
    return r;
}
