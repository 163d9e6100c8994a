/* test_countries.c - the country table: codes, Vietnamese and English names,
 * M49 regions from ICU. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "doanra.h"

static apr_pool_t *pool;
static doanra_countries *icu;

static int setup(void **state)
{
    apr_pool_create(&pool, NULL);
    icu = doanra_countries_make(pool);
    doanra_countries_load_icu(icu);
    return 0;
}

static int teardown(void **state)
{
    apr_pool_destroy(pool);
    return 0;
}

static const char *code_of(const char *text)
{
    const doanra_country *c = doanra_countries_find(icu, text);
    return c ? c->code : "--";
}

static void icu_table(void **state)
{
    /* ISO 3166-1 has 249 codes; ICU's extras (XK, EA, IC, DG) are left out */
    assert_int_equal(doanra_countries_count(icu), 249);
    assert_null(doanra_countries_find(icu, "XK"));
    assert_null(doanra_countries_find(icu, "EA"));
}

static void by_code(void **state)
{
    const doanra_country *vn = doanra_countries_find(icu, "VN");
    assert_non_null(vn);
    assert_string_equal(vn->code, "VN");
    assert_string_equal(vn->name_vi, "Việt Nam");
    assert_string_equal(vn->name_en, "Vietnam");
    assert_string_equal(vn->region, "142");
    assert_string_equal(vn->subregion, "035");
    assert_ptr_equal(doanra_countries_find(icu, "vn"), vn);
    assert_ptr_equal(doanra_countries_find(icu, " Vn \t"), vn);
    assert_string_equal(code_of("jp"), "JP");
    assert_null(doanra_countries_find(icu, "QQ"));
    assert_null(doanra_countries_find(icu, "V"));
    assert_null(doanra_countries_find(icu, "VNM"));
}

static void by_name(void **state)
{
    assert_string_equal(code_of("Việt Nam"), "VN");
    assert_string_equal(code_of("Vietnam"), "VN");
    assert_string_equal(code_of("VIỆT NAM"), "VN");
    assert_string_equal(code_of("Viet Nam"), "VN");
    assert_string_equal(code_of("viet  nam"), "VN");
    assert_string_equal(code_of("Nhật Bản"), "JP");
    assert_string_equal(code_of("Nha\xCC\xA3\xCC\x82t Ba\xCC\x89n"),
                        "JP"); /* NFD */
    assert_string_equal(code_of("Nhat Ban"), "JP");
    assert_string_equal(code_of("Japan"), "JP");
    assert_string_equal(code_of("japan "), "JP");
    assert_string_equal(code_of("Hàn Quốc"), "KR");
    assert_string_equal(code_of("Han Quoc"), "KR");
    assert_string_equal(code_of("South Korea"), "KR");
    assert_string_equal(code_of("Triều Tiên"), "KP");
    assert_string_equal(code_of("Lào"), "LA");
    assert_string_equal(code_of("Laos"), "LA");
    assert_string_equal(code_of("Campuchia"), "KH");
    assert_string_equal(code_of("Hoa Kỳ"), "US");
    assert_string_equal(code_of("Mỹ"), "US");
    assert_string_equal(code_of("United States"), "US");
    assert_string_equal(code_of("Trung Quốc"), "CN");
    assert_string_equal(code_of("Hong Kong"), "HK");
    assert_string_equal(code_of("Đức"), "DE");
    assert_string_equal(code_of("Duc"), "DE");
    assert_string_equal(code_of("Germany"), "DE");
    assert_string_equal(code_of("Singapore"), "SG");
}

static void unknown(void **state)
{
    assert_null(doanra_countries_find(icu, "Atlantis"));
    assert_null(doanra_countries_find(icu, ""));
    assert_null(doanra_countries_find(icu, "   "));
    assert_null(doanra_countries_find(icu, NULL));
    assert_null(doanra_countries_find(icu, "\xFF\xFE"));
    assert_null(doanra_countries_find(NULL, "VN"));
}

static void regions(void **state)
{
    const doanra_country *jp = doanra_countries_find(icu, "JP");
    const doanra_country *th = doanra_countries_find(icu, "TH");
    const doanra_country *fr = doanra_countries_find(icu, "FR");
    const doanra_country *us = doanra_countries_find(icu, "US");
    assert_string_equal(jp->region, "142");
    assert_string_equal(jp->subregion, "030");
    assert_string_equal(th->subregion, "035");
    assert_string_equal(fr->region, "150");
    assert_string_equal(fr->subregion, "155");
    assert_string_equal(us->region, "019");
    assert_string_equal(us->subregion, "021");
}

static void manual_table(void **state)
{
    doanra_countries *t = doanra_countries_make(pool);
    const doanra_country *c;
    assert_int_equal(doanra_countries_count(t), 0);
    assert_null(doanra_countries_find(t, "VN"));
    doanra_countries_add(t, "vn", "Việt Nam", "Viet Nam", "142", "035");
    doanra_countries_add(t, "la", "Lào", "Lao People's Democratic Republic",
                         "142", "035");
    doanra_countries_add(t, "XYZ", "bad", "bad", NULL, NULL); /* ignored */
    doanra_countries_add(t, "1A", "bad", "bad", NULL, NULL);  /* ignored */
    doanra_countries_add(t, NULL, "bad", "bad", NULL, NULL);  /* ignored */
    assert_int_equal(doanra_countries_count(t), 2);
    c = doanra_countries_find(t, "Lao People's Democratic Republic");
    assert_non_null(c);
    assert_string_equal(c->code, "LA");
    assert_string_equal(c->region, "142");
    /* built-in alternates apply to a table loaded from the database too */
    assert_ptr_equal(doanra_countries_find(t, "Lao PDR"), c);
    assert_ptr_equal(doanra_countries_find(t, "Vietnam"), NULL);
    assert_string_equal(doanra_countries_find(t, "viet nam")->code, "VN");
    /* adding a code again updates its row */
    doanra_countries_add(t, "VN", NULL, "Vietnam", NULL, NULL);
    assert_int_equal(doanra_countries_count(t), 2);
    assert_string_equal(doanra_countries_find(t, "Vietnam")->code, "VN");
    assert_string_equal(doanra_countries_find(t, "VN")->name_vi, "Việt Nam");
}

static void loose_ambiguous(void **state)
{
    /* two names that differ only in diacritics name no one loosely */
    doanra_countries *t = doanra_countries_make(pool);
    doanra_countries_add(t, "AA", "Bà", NULL, NULL, NULL);
    doanra_countries_add(t, "BB", "Bá", NULL, NULL, NULL);
    assert_string_equal(doanra_countries_find(t, "Bà")->code, "AA");
    assert_string_equal(doanra_countries_find(t, "BÁ")->code, "BB");
    assert_null(doanra_countries_find(t, "Ba"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(icu_table),       cmocka_unit_test(by_code),
        cmocka_unit_test(by_name),         cmocka_unit_test(unknown),
        cmocka_unit_test(regions),         cmocka_unit_test(manual_table),
        cmocka_unit_test(loose_ambiguous),
    };
    int r;
    apr_initialize();
    r = cmocka_run_group_tests(tests, setup, teardown);
    apr_terminate();
    return r;
}
