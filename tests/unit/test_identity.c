/*
 * test_identity.c - the registry and person identity (identity.c) and rule
 * `identity` (rules.c): every spelling of a key leader's code, no code, an
 * invented code, a deputy's code, name and unit only, unit codes, people
 * who are not in the registry.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "doanra.h"

static apr_pool_t *pool;
static doanra_config cfg;
static doanra_registry *reg;

#define CHAIRMAN "Hoàng Văn Định"
#define DEPUTY "Vi Thị Hạnh"
#define CITY "UBND thành phố Móng Cái"

static int setup(void **state)
{
    (void)state;
    apr_pool_create(&pool, NULL);
    doanra_config_defaults(pool, &cfg);
    reg = doanra_registry_make(pool);
    /* As admins typed them: the codes' case and spacing vary. */
    doanra_registry_add_unit(reg, "UBND-MC", CITY);
    doanra_registry_add_unit(reg, "SNGV ", "Sở Ngoại vụ");
    doanra_registry_add_official(reg, "QN-MC-01", CHAIRMAN, "UBND-MC",
                                 "Chủ tịch UBND thành phố Móng Cái", 1);
    doanra_registry_add_official(reg, "qn-mc-02", DEPUTY, "ubnd-mc",
                                 "Phó Chủ tịch UBND thành phố Móng Cái", 0);
    doanra_registry_add_official(reg, "QN-SNGV-01", "Nguyễn Thị Thu Hà",
                                 "SNGV ", "Giám đốc Sở Ngoại vụ", 1);
    /* Two namesakes in one unit: neither is found by name alone. */
    doanra_registry_add_official(reg, "QN-SNGV-07", "Trần Văn Hùng", "SNGV",
                                 "Chuyên viên", 0);
    doanra_registry_add_official(reg, "QN-SNGV-08", "Trần Văn Hùng", "SNGV",
                                 "Chuyên viên", 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    apr_pool_destroy(pool);
    return 0;
}

/* A registry the size of a province's (its indexes grow many times): every
 * official is found by code and by name and unit, namesakes in one unit
 * are counted, and the first row under a key stays its official. */
static void registry_large(void **state)
{
    doanra_registry *big = doanra_registry_make(pool);
    const doanra_official *o;
    const char *ex = NULL;
    char code[32], name[64], unit[16];
    int i, k;
    (void)state;
    for (i = 0; i < 5000; i++) {
        /* Officials 4000-4999 are namesakes of 3000-3999, in their unit. */
        k = i < 4000 ? i : i - 1000;
        snprintf(code, sizeof(code), "QN%04d", i);
        snprintf(name, sizeof(name), "Nguyễn Văn Ân %d", k);
        snprintf(unit, sizeof(unit), "BU%03d", i % 500);
        doanra_registry_add_official(big, code, name, unit, "Chuyên viên",
                                     i % 7 == 0);
    }
    /* A later row under a code already taken, in other spelling. */
    doanra_registry_add_official(big, "qn0001", "Người Khác", "BU999", NULL, 0);
    assert_int_equal(doanra_registry_officials(big), 5001);
    for (i = 0; i < 5000; i++) {
        k = i < 4000 ? i : i - 1000;
        snprintf(code, sizeof(code), "qn%04d", i);
        o = doanra_registry_official_by_code(pool, big, code);
        assert_non_null(o);
        assert_string_equal(o->code_norm, code);
        assert_int_equal(o->is_key_leader, i % 7 == 0);
        snprintf(name, sizeof(name), "NGUYỄN VĂN ÂN %d", k);
        snprintf(unit, sizeof(unit), "bu%03d", i % 500);
        assert_int_equal(doanra_registry_officials_named(
                             pool, big, doanra_text_norm(pool, name), unit, &o),
                         k >= 3000 ? 2 : 1);
        snprintf(code, sizeof(code), "QN%04d", k);
        assert_string_equal(o->code, code);
    }
    o = doanra_registry_official_by_code(pool, big, "QN0001");
    assert_string_equal(o->full_name, "Nguyễn Văn Ân 1");
    assert_null(doanra_registry_official_by_code(pool, big, "QN5000"));
    assert_int_equal(
        doanra_registry_officials_named(
            pool, big, doanra_text_norm(pool, "Người Khác"), "bu999", &o),
        1);
    assert_string_equal(o->code, "qn0001");
    /* that row's code is QN0001's: one person, counted once as shared */
    assert_int_equal(doanra_registry_shared_codes(big, &ex), 1);
    assert_string_equal(ex, "QN0001");
    assert_int_equal(o->code_rows, 1);
    assert_int_equal(doanra_registry_official_by_code(pool, big, "qn0001")->code_rows,
                     2);
    assert_int_equal(doanra_registry_shared_codes(reg, &ex), 0);
    assert_null(ex);
}

/* A trip of one member sent by ma_don_vi / don_vi (either may be NULL). */
static doanra_trip *trip(const char *ma_don_vi, const char *don_vi)
{
    doanra_trip *t = apr_pcalloc(pool, sizeof(*t));
    t->ma_don_vi = ma_don_vi;
    t->unit_code = ma_don_vi;
    t->don_vi = don_vi;
    t->unit_norm = don_vi ? doanra_text_norm(pool, don_vi) : "";
    t->ngay_di = t->ngay_ve = DOANRA_NODATE;
    t->du_toan = -1;
    t->legs = apr_array_make(pool, 1, sizeof(doanra_leg));
    t->members = apr_array_make(pool, 2, sizeof(doanra_member));
    return t;
}

static doanra_member *member(doanra_trip *t, const char *name, const char *code,
                             const char *unit)
{
    doanra_member *m = apr_array_push(t->members);
    memset(m, 0, sizeof(*m));
    m->row = t->members->nelts;
    m->name = name;
    m->code = code;
    m->unit = unit;
    m->position = "Chuyên viên";
    m->name_norm = name ? doanra_text_norm(pool, name) : "";
    m->position_norm = doanra_text_norm(pool, m->position);
    m->unit_norm = unit ? doanra_text_norm(pool, unit) : "";
    return m;
}

static apr_array_header_t *rules(doanra_trip *t)
{
    apr_array_header_t *f = apr_array_make(pool, 4, sizeof(doanra_finding));
    doanra_trip_resolve_leaders(pool, &cfg, t);
    doanra_rules_check(pool, &cfg, t, NULL, DOANRA_NODATE, f);
    return f;
}

static const doanra_finding *finding(const apr_array_header_t *f, int rule)
{
    int i;
    for (i = 0; i < f->nelts; i++)
        if (APR_ARRAY_IDX(f, i, doanra_finding).rule == rule)
            return &APR_ARRAY_IDX(f, i, doanra_finding);
    return NULL;
}

/* One official loaded twice, the code spelled two ways (an ASCII hyphen in
 * one row, U+2010 in the other), the key-leader flag in one row only:
 * whichever row comes first, every way of naming them - either spelling
 * of the code, or name and unit alone - is one person and a key leader.
 * (Taking the first row alone let a leader whose non-leader row sorts
 * first travel without the quota.) */
static void code_loaded_twice(void **state)
{
    static const char *const spellings[] = {"QN-X-01", "qn\xE2\x80\x90x\xE2\x80\x90"
                                                       "01", ""};
    int leader_first, i;
    const char *ex = NULL;
    (void)state;

    for (leader_first = 0; leader_first < 2; leader_first++) {
        doanra_registry *r2 = doanra_registry_make(pool);
        const doanra_official *o;
        doanra_registry_add_unit(r2, "UB-X", "Sở Xây dựng");
        doanra_registry_add_official(r2, leader_first ? "QN\xE2\x80\x90X\xE2\x80\x90"
                                                        "01"
                                                      : "QN-X-01",
                                     "Lê Văn Tám", "UB-X",
                                     leader_first ? "Giám đốc" : "Chuyên viên",
                                     leader_first);
        doanra_registry_add_official(r2, leader_first ? "QN-X-01"
                                                      : "QN\xE2\x80\x90X\xE2\x80\x90"
                                                        "01",
                                     "LÊ VĂN  TÁM", "ub-x",
                                     leader_first ? "Chuyên viên" : "Giám đốc",
                                     !leader_first);
        /* A third row of that code under another name. */
        doanra_registry_add_official(r2, "qn-x-01", "Người Khác", "UB-X", NULL, 0);
        assert_int_equal(doanra_registry_officials(r2), 3);
        assert_int_equal(doanra_registry_shared_codes(r2, &ex), 1);
        assert_non_null(ex);
        o = doanra_registry_official_by_code(pool, r2, "qn-x-01");
        assert_int_equal(o->code_rows, 3);
        assert_true(o->any_key_leader);
        /* the same person twice is no pair of namesakes */
        assert_int_equal(doanra_registry_officials_named(
                             pool, r2, doanra_text_norm(pool, "Lê Văn Tám"),
                             "ub-x", &o),
                         1);

        for (i = 0; i < 3; i++) {
            doanra_trip *t = trip("UB-X", "Sở Xây dựng");
            apr_array_header_t *f;
            doanra_member *m = member(t, "Lê Văn Tám", *spellings[i] ? spellings[i] : NULL,
                                      NULL);
            doanra_trip_resolve_identity(pool, t, r2);
            assert_string_equal(m->identity, "c:qn-x-01");
            assert_true(m->registry_found);
            assert_true(m->registry_key_leader);
            assert_int_equal(m->official->code_rows, 3);
            f = rules(t);
            assert_true(m->is_key_leader); /* whatever the position says */
            assert_null(finding(f, DOANRA_R_IDENTITY));
        }
        /* the row under another name: found by its name, the same code,
         * so the same person and a key leader */
        {
            doanra_trip *t = trip("UB-X", NULL);
            doanra_member *m = member(t, "Người Khác", NULL, NULL);
            doanra_trip_resolve_identity(pool, t, r2);
            assert_string_equal(m->identity, "c:qn-x-01");
            assert_string_equal(m->official->code, "qn-x-01");
            assert_true(m->registry_key_leader);
        }
    }
}

static void registry_lookups(void **state)
{
    const doanra_official *o;
    (void)state;
    assert_int_equal(doanra_registry_units(reg), 2);
    assert_int_equal(doanra_registry_officials(reg), 5);
    o = doanra_registry_official_by_code(pool, reg, "ＱＮ‐mc‐0\u200b1");
    assert_non_null(o);
    assert_string_equal(o->code, "QN-MC-01");
    assert_string_equal(o->code_norm, "qn-mc-01");
    assert_string_equal(o->unit_norm, "ubnd-mc");
    assert_non_null(doanra_registry_official_by_code(pool, reg, "QN-MC-02"));
    assert_null(doanra_registry_official_by_code(pool, reg, "QN-MC-03"));
    assert_null(doanra_registry_official_by_code(pool, reg, ""));
    assert_string_equal(doanra_registry_unit_by_code(pool, reg, "sngv")->code,
                        "SNGV ");
    assert_string_equal(
        doanra_registry_unit_by_name(pool, reg, "ubnd  THÀNH PHỐ móng cái")
            ->code,
        "UBND-MC");
    assert_int_equal(
        doanra_registry_officials_named(
            pool, reg, doanra_text_norm(pool, CHAIRMAN), "ubnd-mc", &o),
        1);
    assert_string_equal(o->code, "QN-MC-01");
    assert_int_equal(
        doanra_registry_officials_named(
            pool, reg, doanra_text_norm(pool, "Trần Văn Hùng"), "sngv", &o),
        2);
    assert_int_equal(
        doanra_registry_officials_named(
            pool, reg, doanra_text_norm(pool, CHAIRMAN), "sngv", &o),
        0);
}

/* Every spelling of the chairman's code is the chairman. */
static void code_spellings_are_the_official(void **state)
{
    static const char *const codes[] = {
        "QN-MC-01",
        "qn-mc-01",
        "\xEF\xBC\xB1\xEF\xBC\xAE-MC-01", /* full-width QN */
        "QN\xE2\x80\x90MC\xE2\x80\x90"
        "01",                   /* U+2010 */
        "QN-MC\xE2\x80\x8B-01", /* zero-width space */
        "QN-MC-\xC2\xAD"
        "01", /* soft hyphen */
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        doanra_trip *t = trip("UBND-MC", CITY);
        doanra_member *m = member(t, CHAIRMAN, codes[i], NULL);
        apr_array_header_t *f;
        doanra_trip_resolve_identity(pool, t, reg);
        assert_string_equal(m->identity, "c:qn-mc-01");
        assert_true(m->registry_found);
        assert_true(m->registry_key_leader);
        assert_string_equal(m->registry_unit_code, "UBND-MC");
        assert_int_equal(m->identity_issue, DOANRA_ID_OK);
        f = rules(t);
        assert_true(m->is_key_leader);
        assert_null(finding(f, DOANRA_R_IDENTITY));
    }
}

/* No code: name and unit (the sending unit, by code or by name in any
 * spelling, or tv_don_vi) make him the chairman. */
static void name_and_unit_only(void **state)
{
    doanra_trip *t;
    doanra_member *m;
    (void)state;

    t = trip("ubnd-mc", NULL);
    m = member(t, "HOÀNG  VĂN ĐỊNH", NULL, NULL);
    doanra_trip_resolve_identity(pool, t, reg);
    assert_string_equal(m->identity, "c:qn-mc-01");
    assert_true(m->registry_key_leader);
    assert_string_equal(t->unit_code, "UBND-MC");

    /* NFD as typed on a Mac, the unit by its name, a zero-width space */
    t = trip(NULL, "ubnd thành phố  MÓNG CÁI");
    m = member(t, "Hoa\xCC\x80ng Va\xCC\x86n \xC4\x90i\xCC\xA3\xE2\x80\x8Bnh",
               NULL, NULL);
    doanra_trip_resolve_identity(pool, t, reg);
    assert_string_equal(m->identity, "c:qn-mc-01");
    assert_string_equal(t->unit_code, "UBND-MC");
    assert_null(finding(rules(t), DOANRA_R_IDENTITY));
    assert_true(m->is_key_leader); /* whatever the position says */

    /* sent by another unit, his own unit in tv_don_vi (name or code) */
    t = trip("SNGV", "Sở Ngoại vụ");
    m = member(t, CHAIRMAN, NULL, CITY);
    doanra_trip_resolve_identity(pool, t, reg);
    assert_string_equal(m->identity, "c:qn-mc-01");
    t = trip("SNGV", "Sở Ngoại vụ");
    m = member(t, CHAIRMAN, NULL, "ubnd‐mc");
    doanra_trip_resolve_identity(pool, t, reg);
    assert_string_equal(m->identity, "c:qn-mc-01");

    /* another unit: another person */
    t = trip("SNGV", "Sở Ngoại vụ");
    m = member(t, CHAIRMAN, NULL, NULL);
    assert_int_equal(doanra_trip_resolve_identity(pool, t, reg), 0);
    assert_false(m->registry_found);
    assert_string_equal(m->identity, "n:hoàng văn định|sngv");

    /* two namesakes: not resolved by name, and the code is asked for */
    t = trip("SNGV", NULL);
    m = member(t, "Trần Văn Hùng", NULL, NULL);
    doanra_trip_resolve_identity(pool, t, reg);
    assert_false(m->registry_found);
    assert_string_equal(m->identity, "n:trần văn hùng|sngv");
    assert_int_equal(m->identity_issue, DOANRA_ID_NAMESAKES);
    assert_int_equal(m->namesakes, 2);
}

/* Namesakes in one unit (a key leader and a clerk of the same name, say):
 * without a code that names one of them, nobody can tell who travels, and
 * a leader could travel as the clerk by leaving the code out or inventing
 * one: rule `identity` asks for the code.  Either one's code settles it. */
static void namesakes_need_the_code(void **state)
{
    doanra_trip *t;
    doanra_member *m;
    const doanra_finding *x;
    (void)state;

    t = trip("SNGV", "Sở Ngoại vụ");
    m = member(t, "TRẦN  VĂN HÙNG", NULL, NULL);
    doanra_trip_resolve_identity(pool, t, reg);
    x = finding(rules(t), DOANRA_R_IDENTITY);
    assert_non_null(x);
    assert_int_equal(x->severity, DOANRA_SEV_ERROR);
    assert_string_equal(x->field, "tv_ma");
    assert_int_equal(x->row, 1);
    assert_string_equal(x->message,
                        "Danh bạ có 2 cán bộ tên “TRẦN  VĂN HÙNG” ở đơn vị "
                        "này; cần ghi mã cán bộ (tv_ma) để biết là ai.");
    cfg.lang = DOANRA_LANG_EN;
    x = finding(rules(t), DOANRA_R_IDENTITY);
    cfg.lang = DOANRA_LANG_VI;
    assert_string_equal(x->message,
                        "The registry has 2 officials named “TRẦN  VĂN HÙNG” "
                        "in this unit; the official code (tv_ma) is needed "
                        "to tell which one.");

    /* an invented code tells nothing either */
    t = trip("SNGV", "Sở Ngoại vụ");
    m = member(t, "Trần Văn Hùng", "QN-SNGV-99", NULL);
    doanra_trip_resolve_identity(pool, t, reg);
    assert_int_equal(m->identity_issue, DOANRA_ID_NAMESAKES);
    x = finding(rules(t), DOANRA_R_IDENTITY);
    assert_non_null(x);
    assert_non_null(
        strstr(x->message, "(mã “QN-SNGV-99” không phải của ai trong số đó)"));

    /* either one's code, in any spelling: that official, no finding */
    t = trip("SNGV", "Sở Ngoại vụ");
    m = member(t, "Trần Văn Hùng", "qn‐sngv‐08", NULL);
    doanra_trip_resolve_identity(pool, t, reg);
    assert_int_equal(m->identity_issue, DOANRA_ID_OK);
    assert_string_equal(m->identity, "c:qn-sngv-08");
    assert_null(finding(rules(t), DOANRA_R_IDENTITY));

    /* the name in another unit is one person there: no namesakes */
    t = trip("UBND-MC", CITY);
    m = member(t, "Trần Văn Hùng", NULL, NULL);
    doanra_trip_resolve_identity(pool, t, reg);
    assert_int_equal(m->identity_issue, DOANRA_ID_OK);
    assert_null(finding(rules(t), DOANRA_R_IDENTITY));
}

/* An invented code or a typo: still the chairman, and an identity error
 * naming both codes. */
static void invented_code(void **state)
{
    doanra_trip *t = trip("UBND-MC", CITY);
    doanra_member *m = member(t, CHAIRMAN, "QN-MC-99", NULL);
    apr_array_header_t *f;
    const doanra_finding *x;
    (void)state;

    assert_int_equal(doanra_trip_resolve_identity(pool, t, reg), 1);
    assert_string_equal(m->identity, "c:qn-mc-01");
    assert_int_equal(m->identity_issue, DOANRA_ID_CODE_NOT_THEIRS);
    assert_null(m->code_owner);
    f = rules(t);
    assert_true(m->is_key_leader);
    x = finding(f, DOANRA_R_IDENTITY);
    assert_non_null(x);
    assert_int_equal(x->severity, DOANRA_SEV_ERROR);
    assert_string_equal(x->field, "tv_ma");
    assert_int_equal(x->row, 1);
    assert_string_equal(x->message,
                        "Theo danh bạ, “Hoàng Văn Định” có mã cán bộ "
                        "“QN-MC-01”, không phải “QN-MC-99”; thành viên này "
                        "được tính là cán bộ “QN-MC-01”.");
}

/* The deputy's code with the chairman's name: the chairman, and the code's
 * owner named in the message. */
static void deputy_code_chairman_name(void **state)
{
    doanra_trip *t = trip("UBND-MC", CITY);
    doanra_member *m = member(t, CHAIRMAN, "QN-MC-02", NULL);
    const doanra_finding *x;
    (void)state;

    doanra_trip_resolve_identity(pool, t, reg);
    assert_string_equal(m->identity, "c:qn-mc-01");
    assert_true(m->registry_key_leader);
    assert_int_equal(m->identity_issue, DOANRA_ID_CODE_NOT_THEIRS);
    assert_non_null(m->code_owner);
    assert_string_equal(m->code_owner->full_name, DEPUTY);
    x = finding(rules(t), DOANRA_R_IDENTITY);
    assert_non_null(x);
    assert_non_null(strstr(x->message, "“QN-MC-02”"));
    assert_non_null(strstr(x->message, "(mã đó là của “Vi Thị Hạnh”)"));
}

/* The chairman's code with a name that is not in the registry. */
static void code_under_another_name(void **state)
{
    doanra_trip *t = trip("UBND-MC", CITY);
    doanra_member *m = member(t, "Nguyễn Văn A", "qn-mc-01", NULL);
    const doanra_finding *x;
    (void)state;

    doanra_trip_resolve_identity(pool, t, reg);
    assert_string_equal(m->identity, "c:qn-mc-01");
    assert_true(m->registry_key_leader); /* SPEC: the code's official */
    assert_int_equal(m->identity_issue, DOANRA_ID_CODE_OTHER_NAME);
    x = finding(rules(t), DOANRA_R_IDENTITY);
    assert_non_null(x);
    assert_string_equal(x->message, "Mã cán bộ “qn-mc-01” trong danh bạ là "
                                    "của “Hoàng Văn Định”, không phải "
                                    "“Nguyễn Văn A”.");
    cfg.lang = DOANRA_LANG_EN;
    x = finding(rules(t), DOANRA_R_IDENTITY);
    cfg.lang = DOANRA_LANG_VI;
    assert_string_equal(x->message,
                        "Official code “qn-mc-01” belongs to “Hoàng Văn Định” "
                        "in the registry, not to “Nguyễn Văn A”.");

    /* The same name in another spelling is no conflict. */
    t = trip("UBND-MC", CITY);
    m = member(t, "VI THỊ  HẠNH", "QN-MC-02", NULL);
    doanra_trip_resolve_identity(pool, t, reg);
    assert_int_equal(m->identity_issue, DOANRA_ID_OK);
    assert_null(finding(rules(t), DOANRA_R_IDENTITY));
}

/* Someone not in the registry with a code of their own: their code, no
 * finding; spellings of it are one person. */
static void unregistered_person(void **state)
{
    doanra_trip *t = trip("UBND-MC", CITY);
    doanra_member *a = member(t, "Nguyễn Văn Khách", "NV-0042", NULL);
    doanra_member *b = member(t, "Nguyễn Văn Khách",
                              "nv\xE2\x80\x91"
                              "0042",
                              NULL);
    apr_array_header_t *f;
    (void)state;

    assert_int_equal(doanra_trip_resolve_identity(pool, t, reg), 2);
    assert_string_equal(a->identity, "c:nv-0042");
    assert_string_equal(b->identity, "c:nv-0042");
    assert_false(a->registry_found);
    f = rules(t);
    assert_null(finding(f, DOANRA_R_IDENTITY));
    assert_non_null(finding(f, DOANRA_R_DUPLICATE_MEMBER));
}

/* ma_don_vi registered under another name than don_vi. */
static void unit_code_other_name(void **state)
{
    doanra_trip *t = trip("ubnd-mc", "Sở Ngoại vụ");
    const doanra_finding *x;
    (void)state;

    doanra_trip_resolve_identity(pool, t, reg);
    assert_string_equal(t->unit_code, "UBND-MC");
    x = finding(rules(t), DOANRA_R_IDENTITY);
    assert_non_null(x);
    assert_string_equal(x->field, "ma_don_vi");
    assert_string_equal(x->message, "Mã đơn vị “ubnd-mc” trong danh bạ là của "
                                    "“UBND thành phố Móng Cái”, không phải "
                                    "“Sở Ngoại vụ”.");
    /* the same name spelled otherwise, or no name: nothing */
    t = trip("UBND-MC", "ubnd THÀNH PHỐ Móng Cái");
    doanra_trip_resolve_identity(pool, t, reg);
    assert_null(finding(rules(t), DOANRA_R_IDENTITY));
    t = trip("UBND-MC", NULL);
    doanra_trip_resolve_identity(pool, t, reg);
    assert_null(finding(rules(t), DOANRA_R_IDENTITY));
}

/* Severity is the admin's; without the registry the rule says nothing. */
static void severity_and_no_registry(void **state)
{
    doanra_trip *t = trip("UBND-MC", CITY);
    doanra_member *m = member(t, CHAIRMAN, "QN-MC-99", NULL);
    const doanra_finding *x;
    (void)state;

    doanra_trip_resolve_identity(pool, t, reg);
    cfg.severity[DOANRA_R_IDENTITY] = DOANRA_SEV_WARNING;
    x = finding(rules(t), DOANRA_R_IDENTITY);
    assert_int_equal(x->severity, DOANRA_SEV_WARNING);
    cfg.severity[DOANRA_R_IDENTITY] = DOANRA_SEV_OFF;
    assert_null(finding(rules(t), DOANRA_R_IDENTITY));
    cfg.severity[DOANRA_R_IDENTITY] = DOANRA_SEV_ERROR;

    assert_int_equal(doanra_trip_resolve_identity(pool, t, NULL), 0);
    assert_string_equal(m->identity, "c:qn-mc-99");
    assert_false(m->registry_found);
    assert_null(finding(rules(t), DOANRA_R_IDENTITY));
}

/* The rule's id, default and place in the table. */
static void rule_table(void **state)
{
    (void)state;
    assert_int_equal(doanra_rule_lookup("identity"), DOANRA_R_IDENTITY);
    assert_string_equal(doanra_rule_name(DOANRA_R_IDENTITY), "identity");
    assert_int_equal(doanra_rule_default_severity(DOANRA_R_IDENTITY),
                     DOANRA_SEV_ERROR);
    assert_string_equal(doanra_rule_name(DOANRA_R_LEAD_TIME), "lead-time");
}

/* From the form: the trip builder's identities need no registry and use the
 * normal forms already. */
static void trip_builder_identities(void **state)
{
    static const char body[] =
        "ma_don_vi=ubnd%E2%80%90mc&tv_ho_ten=A&tv_ma=%EF%BC%B1N-MC-01"
        "&tv_chuc_vu=x&tv_ho_ten=B+%C2%A0B&tv_ma=&tv_chuc_vu=y";
    apr_array_header_t *fields,
        *f = apr_array_make(pool, 4, sizeof(doanra_finding));
    doanra_trip *t;
    (void)state;

    assert_int_equal(
        doanra_form_parse_urlencoded(pool, body, strlen(body), 0, &fields),
        DOANRA_FORM_OK);
    t = doanra_trip_build(pool, &cfg, NULL, fields, f);
    assert_int_equal(t->members->nelts, 2);
    assert_string_equal(APR_ARRAY_IDX(t->members, 0, doanra_member).identity,
                        "c:qn-mc-01");
    assert_string_equal(APR_ARRAY_IDX(t->members, 1, doanra_member).identity,
                        "n:b b|ubnd-mc");
    assert_false(t->registry_checked);
}

/* doanra_member_code: the registered code as stored when the member is
 * an official, whatever tv_ma said; tv_ma otherwise; NULL without either. */
static void member_code(void **state)
{
    doanra_trip *t = trip("UBND-MC", NULL);
    doanra_member *by_name, *by_code, *stranger, *nobody;
    (void)state;

    member(t, CHAIRMAN, NULL, NULL);
    member(t, NULL, "ＱＮ‐mc‐0\u200b2", NULL);
    member(t, "Lê Văn Tư", "  QN-X-9", NULL);
    member(t, "Lê Văn Năm", NULL, NULL);
    /* (pushing may move the array: take the members once all are in) */
    by_name = &APR_ARRAY_IDX(t->members, 0, doanra_member);
    by_code = &APR_ARRAY_IDX(t->members, 1, doanra_member);
    stranger = &APR_ARRAY_IDX(t->members, 2, doanra_member);
    nobody = &APR_ARRAY_IDX(t->members, 3, doanra_member);
    /* the one code not found; names are not counted */
    assert_int_equal(doanra_trip_resolve_identity(pool, t, reg), 1);
    assert_string_equal(doanra_member_code(by_name), "QN-MC-01");
    assert_string_equal(doanra_member_code(by_code), "qn-mc-02");
    assert_string_equal(doanra_member_code(stranger), "  QN-X-9");
    assert_null(doanra_member_code(nobody));
    assert_null(doanra_member_code(NULL));
    /* Without the registry: tv_ma as typed. */
    doanra_trip_resolve_identity(pool, t, NULL);
    assert_null(doanra_member_code(by_name));
    assert_string_equal(doanra_member_code(by_code), "ＱＮ‐mc‐0\u200b2");
    by_code->code = "";
    assert_null(doanra_member_code(by_code));
}

/* The identity string of each kind, and the unit key of "n:". */
static void identity_strings(void **state)
{
    doanra_trip *t = trip(NULL, "Sở  NGOẠI vụ");
    doanra_member *a, *b, *c, *d;
    (void)state;

    member(t, "Nguyễn Thị Thu Hà", NULL, NULL); /* by name and unit */
    member(t, "X", "Qn-Mc-01", NULL);           /* by code */
    member(t, "Y", " Zz-1 ", NULL);             /* an unknown code */
    member(t, "Lê  Văn Tư", NULL, CITY);        /* an unknown name */
    a = &APR_ARRAY_IDX(t->members, 0, doanra_member);
    b = &APR_ARRAY_IDX(t->members, 1, doanra_member);
    c = &APR_ARRAY_IDX(t->members, 2, doanra_member);
    d = &APR_ARRAY_IDX(t->members, 3, doanra_member);
    doanra_trip_resolve_identity(pool, t, reg);
    assert_string_equal(a->identity, "c:qn-sngv-01");
    assert_string_equal(b->identity, "c:qn-mc-01");
    assert_string_equal(c->identity, "c:zz-1");
    assert_string_equal(d->identity, "n:lê văn tư|ubnd-mc");
    assert_string_equal(t->unit_code, "SNGV ");
    /* A code resolved earlier stays the unit key... */
    doanra_trip_resolve_identity(pool, t, NULL);
    assert_string_equal(a->identity, "n:nguyễn thị thu hà|sngv");
    /* ...without one, units are keyed by their own normal form. */
    t->unit_code = NULL;
    doanra_trip_resolve_identity(pool, t, NULL);
    assert_string_equal(a->identity, "n:nguyễn thị thu hà|sở ngoại vụ");
    assert_string_equal(d->identity, "n:lê văn tư|ubnd thành phố móng cái");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(registry_lookups),
        cmocka_unit_test(registry_large),
        cmocka_unit_test(code_loaded_twice),
        cmocka_unit_test(code_spellings_are_the_official),
        cmocka_unit_test(name_and_unit_only),
        cmocka_unit_test(namesakes_need_the_code),
        cmocka_unit_test(invented_code),
        cmocka_unit_test(deputy_code_chairman_name),
        cmocka_unit_test(code_under_another_name),
        cmocka_unit_test(unregistered_person),
        cmocka_unit_test(unit_code_other_name),
        cmocka_unit_test(severity_and_no_registry),
        cmocka_unit_test(rule_table),
        cmocka_unit_test(trip_builder_identities),
        cmocka_unit_test(member_code),
        cmocka_unit_test(identity_strings),
    };
    apr_initialize();
    return cmocka_run_group_tests(tests, setup, teardown);
}
