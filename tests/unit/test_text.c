/* test_text.c - UTF-8 validation, name normalisation and title prefixes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "doanra.h"

#include <unicode/utf8.h>

static apr_pool_t *pool;

static int setup(void **state)
{
    apr_pool_create(&pool, NULL);
    return 0;
}

static int teardown(void **state)
{
    apr_pool_destroy(pool);
    return 0;
}

static void utf8_valid(void **state)
{
    assert_true(doanra_utf8_valid("", 0));
    assert_true(doanra_utf8_valid("abc", 3));
    assert_true(doanra_utf8_valid("Nguyễn Văn A", strlen("Nguyễn Văn A")));
    assert_true(doanra_utf8_valid("\xF0\x9F\x98\x80", 4));  /* emoji */
    assert_true(doanra_utf8_valid("\xF4\x8F\xBF\xBF", 4));  /* U+10FFFF */
    assert_false(doanra_utf8_valid("a\0b", 3));             /* NUL */
    assert_false(doanra_utf8_valid("\xC3", 1));             /* truncated */
    assert_false(doanra_utf8_valid("\xC0\xAF", 2));         /* overlong */
    assert_false(doanra_utf8_valid("\xE0\x80\xAF", 3));     /* overlong */
    assert_false(doanra_utf8_valid("\xED\xA0\x80", 3));     /* surrogate */
    assert_false(doanra_utf8_valid("\xF4\x90\x80\x80", 4)); /* > 10FFFF */
    assert_false(doanra_utf8_valid("\xF8\x88\x80\x80\x80", 5));
    assert_false(doanra_utf8_valid("\x80", 1));
    assert_false(doanra_utf8_valid("\xE1\x80", 2));
    assert_false(doanra_utf8_valid("\xFF", 1));
    /* only len bytes are read */
    assert_true(doanra_utf8_valid("ab\xFF", 2));
}

static void norm_nfc_nfd(void **state)
{
    /* "Nguyễn Văn A": precomposed vs decomposed (e + circumflex + tilde,
     * a + breve). */
    const char *nfc = "Nguy\xE1\xBB\x85n V\xC4\x83n A";
    const char *nfd = "Nguye\xCC\x82\xCC\x83n Va\xCC\x86n A";
    assert_string_not_equal(nfc, nfd);
    assert_string_equal(doanra_text_norm(pool, nfc),
                        doanra_text_norm(pool, nfd));
    assert_string_equal(doanra_text_norm(pool, nfd), "nguyễn văn a");
}

static void norm_case(void **state)
{
    assert_string_equal(doanra_text_norm(pool, "NGUYỄN"),
                        doanra_text_norm(pool, "nguyễn"));
    assert_string_equal(doanra_text_norm(pool, "NGUYỄN"), "nguyễn");
    assert_string_equal(doanra_text_norm(pool, "ĐỨC"), "đức");
    assert_string_equal(doanra_text_norm(pool, "Straße"), "strasse");
    assert_string_equal(doanra_text_norm(pool, "GIÁM ĐỐC"), "giám đốc");
    assert_string_equal(doanra_text_norm(pool, "ABC def"), "abc def");
}

static void norm_space(void **state)
{
    assert_string_equal(doanra_text_norm(pool, "  Nguyễn   Văn\tA \r\n"),
                        "nguyễn văn a");
    /* non-breaking space, ideographic space, narrow NBSP, line separator */
    assert_string_equal(
        doanra_text_norm(pool, "\xC2\xA0Nguy\xE1\xBB\x85n\xC2\xA0\xC2\xA0V"
                               "\xC4\x83n\xE3\x80\x80"
                               "A\xE2\x80\xAF"),
        "nguyễn văn a");
    assert_string_equal(doanra_text_norm(pool, "Sở\xE2\x80\xA8Ngoại vụ"),
                        "sở ngoại vụ");
    assert_string_equal(doanra_text_norm(pool, "  a  b  "), "a b");
    assert_string_equal(doanra_text_norm(pool, "   "), "");
    assert_string_equal(doanra_text_norm(pool, "\xC2\xA0"), "");
    assert_string_equal(doanra_text_norm(pool, ""), "");
}

static void norm_bad(void **state)
{
    assert_string_equal(doanra_text_norm(pool, NULL), "");
    assert_string_equal(doanra_text_norm(pool, "abc\xFF"), "");
    assert_string_equal(doanra_text_norm(pool, "\xC3"), "");
}

static void norm_long(void **state)
{
    /* A long mixed string goes through the ICU path with its buffers. */
    char *big = apr_palloc(pool, 30001);
    const char *n;
    int i;
    for (i = 0; i < 10000; i++)
        memcpy(big + 3 * i, i % 2 ? "\xE1\xBA\xA0" : "A  ", 3);
    big[30000] = '\0';
    n = doanra_text_norm(pool, big);
    assert_true(strlen(n) > 0);
    assert_true(doanra_utf8_valid(n, strlen(n)));
    assert_memory_equal(n, "a ạa ạ", strlen("a ạa ạ"));
}

/* Codes (tv_ma, ma_don_vi, ma_ke_hoach): every spelling of QN-MC-01 an
 * official's keyboard, a word processor or a hostile form can produce is
 * the official QN-MC-01 (SPEC section 3, "Person identity"). */
static void code_norm_spellings(void **state)
{
    static const char *const spellings[] = {
        "QN-MC-01",
        "qn-mc-01",
        "Qn-Mc-01",
        "\xEF\xBC\xB1\xEF\xBC\xAE-MC-01",            /* full-width QN */
        "\xEF\xBC\xB1\xEF\xBC\xAE\xEF\xBC\x8DMC-01", /* + U+FF0D */
        "QN\xE2\x80\x90MC\xE2\x80\x90"
        "01",                  /* U+2010 hyphen */
        "QN\xE2\x80\x91MC-01", /* U+2011 nb hyphen */
        "QN\xE2\x80\x93MC\xE2\x80\x94"
        "01",                  /* en, em dash */
        "QN\xE2\x80\x95MC-01", /* U+2015 bar */
        "QN\xE2\x88\x92MC-01", /* U+2212 minus */
        "QN\xEF\xB9\x98MC\xEF\xB9\xA3"
        "01",                   /* U+FE58, U+FE63 */
        "QN\xE2\x81\xBBMC-01",  /* superscript minus */
        "QN-MC\xE2\x80\x8B-01", /* zero-width space */
        "Q\xE2\x80\x8BN-MC-01\xE2\x80\x8B",
        "QN-MC-\xC2\xAD"
        "01",                               /* soft hyphen */
        "QN\xE2\x80\x8C-MC\xE2\x80\x8D-01", /* ZWNJ, ZWJ */
        "\xEF\xBB\xBFQN-MC-01",             /* BOM */
        "QN-\xE2\x80\x8EMC-\xE2\x80\x8F"
        "01",                               /* LRM, RLM */
        "\xE2\x80\xAAQN-MC-01\xE2\x80\xAC", /* LRE ... PDF */
        "\xE2\x81\xA6QN-MC-01\xE2\x81\xA9", /* LRI ... PDI */
        "QN\xE2\x81\xA0-MC-01",             /* word joiner */
        "QN-MC-0\xEF\xB8\x8F"
        "1",                              /* variation sel. */
        "QN-MC-\xEF\xBC\x90\xEF\xBC\x91", /* full-width digits */
        " QN-MC-01\xC2\xA0",              /* spaces at the ends */
        "QN - MC - 01",                   /* spaces inside */
        "QN\xE2\x80\x83-MC-01",           /* em space */
        "QN-MC-0\xD8\x80"
        "1", /* U+0600: Cf, not DI */
    };
    size_t i;
    for (i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
        const char *n = doanra_text_code_norm(pool, spellings[i]);
        if (strcmp(n, "qn-mc-01") != 0)
            fail_msg("spelling %zu \"%s\" -> \"%s\"", i, spellings[i], n);
        /* a fixed point */
        assert_string_equal(doanra_text_code_norm(pool, n), n);
    }
    /* other codes stay other codes */
    assert_string_equal(doanra_text_code_norm(pool, "QN-MC-02"), "qn-mc-02");
    assert_string_not_equal(doanra_text_code_norm(pool, "QNMC-01"), "qn-mc-01");
    assert_string_not_equal(doanra_text_code_norm(pool, "QN_MC_01"),
                            "qn-mc-01");
    assert_string_equal(doanra_text_code_norm(pool, "KH-TST-2027"),
                        "kh-tst-2027");
    assert_string_equal(doanra_text_code_norm(pool, NULL), "");
    assert_string_equal(doanra_text_code_norm(pool, "\xE2\x80\x8B"), "");
    assert_string_equal(doanra_text_code_norm(pool, "abc\xFF"), "");
    /* case folding, not lower-casing */
    assert_string_equal(doanra_text_code_norm(pool, "STRASSE-1"),
                        doanra_text_code_norm(pool, "Stra\xC3\x9F"
                                                    "e-1"));
}

/* Names get the same clean-up, with white space collapsed instead of
 * removed. */
static void name_norm_cleanup(void **state)
{
    const char *want = "hoàng văn định";
    /* zero-width space, soft hyphen, ZWJ, BOM, bidi marks inside */
    assert_string_equal(doanra_text_norm(pool,
                                         "Ho\xE2\x80\x8B\xC3\xA0ng V\xC4\x83n "
                                         "\xC4\x90\xE1\xBB\x8B\xC2\xADnh"),
                        want);
    assert_string_equal(
        doanra_text_norm(pool, "\xEF\xBB\xBFHo\xC3\xA0ng\xE2\x80\x8D V"
                               "\xC4\x83n\xE2\x80\x8E \xC4\x90\xE1\xBB\x8Bnh"),
        want);
    /* full-width capitals */
    assert_string_equal(doanra_text_norm(pool, "\xEF\xBC\xA8o\xC3\xA0ng V"
                                               "\xC4\x83n \xC4\x90\xE1\xBB"
                                               "\x8Bnh"),
                        want);
    /* NFD as typed on a Mac, upper case, doubled spaces */
    assert_string_equal(doanra_text_norm(pool, "HOA\xCC\x80NG  VA\xCC\x86N "
                                               "\xC4\x90I\xCC\xA3NH"),
                        want);
    /* a removed mark between a letter and its accent still composes */
    assert_string_equal(doanra_text_norm(pool, "Ho\xC3\xA0ng Va\xD8\x80"
                                               "\xCC\x86n \xC4\x90\xE1\xBB"
                                               "\x8Bnh"),
                        want);
    /* dashes in double-barrelled names read as '-' */
    assert_string_equal(doanra_text_norm(pool, "L\xC3\xAA\xE2\x80\x93Tr"
                                               "\xE1\xBA\xA7n"),
                        "lê-trần");
    /* white space stays a word break */
    assert_string_equal(doanra_text_norm(pool, "Văn\xE2\x80\x83Định"),
                        "văn định");
}

/* The normal forms are fixed points and ignore how the text was composed. */
static void norm_fixed_points(void **state)
{
    static const char *const samples[] = {
        "Nguy\xE1\xBB\x85n V\xC4\x83n A",
        "Nguye\xCC\x82\xCC\x83n Va\xCC\x86n A",
        "a\xC2\xA8", /* NFKC gives a space + combining mark */
        "\xC2\xA8 x",
        "\xEF\xBC\xA1\xE2\x80\x8B\xCC\x81",
        "x\xD8\x80\xCC\x81",
        "\xE1\x8F\xB8\xEA\xAD\xB0", /* Cherokee: folds to upper case */
        "\xE2\x84\xAB",             /* Angstrom sign */
        "a\xCD\x85\xCC\x81",        /* ypogegrammeni before an accent */
    };
    size_t i;
    for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        const char *n = doanra_text_norm(pool, samples[i]);
        const char *c = doanra_text_code_norm(pool, samples[i]);
        assert_string_equal(doanra_text_norm(pool, n), n);
        assert_string_equal(doanra_text_code_norm(pool, c), c);
    }
    /* canonically equivalent spellings (the accent and the Greek
     * ypogegrammeni in either order) normalise alike */
    assert_string_equal(doanra_text_norm(pool, "\xCE\xB1\xCD\x85\xCC\x81"),
                        doanra_text_norm(pool, "\xCE\xB1\xCC\x81\xCD\x85"));
}

static void titles(void **state)
{
    const char *gd = doanra_text_norm(pool, "Giám đốc");
    assert_true(doanra_text_starts_with_title(
        doanra_text_norm(pool, "giám đốc sở x"), gd));
    assert_true(doanra_text_starts_with_title(
        doanra_text_norm(pool, "Giám đốc Sở Ngoại vụ"), gd));
    assert_true(
        doanra_text_starts_with_title(doanra_text_norm(pool, "GIÁM ĐỐC"), gd));
    assert_false(doanra_text_starts_with_title(
        doanra_text_norm(pool, "Phó Giám đốc"), gd));
    assert_false(doanra_text_starts_with_title(
        doanra_text_norm(pool, "Phó Giám đốc Sở"), gd));
    assert_false(
        doanra_text_starts_with_title(doanra_text_norm(pool, "giám đốcx"), gd));
    assert_false(
        doanra_text_starts_with_title(doanra_text_norm(pool, "giám đốc2"), gd));
    assert_true(doanra_text_starts_with_title(
        doanra_text_norm(pool, "giám đốc, sở y"), gd));
    assert_false(doanra_text_starts_with_title("giám", gd));
    assert_false(doanra_text_starts_with_title("", gd));
    assert_false(doanra_text_starts_with_title("giám đốc", ""));
    assert_false(doanra_text_starts_with_title(NULL, gd));
    assert_false(doanra_text_starts_with_title("giám đốc", NULL));
    /* a combining mark after the title belongs to its last letter */
    assert_false(doanra_text_starts_with_title("giám đốc\xCC\xA3", gd));
}

/* doanra_utf8_seq against ICU's strict U8_NEXT: every one- and two-byte
 * input, every three-byte lead with every second byte, every four-byte
 * lead with every second byte, and the edges of the continuation range. */
static void check_seq(const unsigned char *b, apr_size_t n)
{
    int32_t i = 0;
    UChar32 c;
    apr_size_t k = doanra_utf8_seq(b, n);

    U8_NEXT(b, i, (int32_t)n, c);
    if (c < 0)
        assert_int_equal(k, 0);
    else
        assert_int_equal(k, (apr_size_t)i);
}

static void utf8_seq_vs_icu(void **state)
{
    static const unsigned char tails[] = {0x00, 0x41, 0x7F, 0x80,
                                          0x9F, 0xA0, 0xBF, 0xC0};
    unsigned a, b, x, y;

    for (a = 0; a < 256; a++) {
        unsigned char s1[1] = {(unsigned char)a};
        check_seq(s1, 1);
        for (b = 0; b < 256; b++) {
            unsigned char s2[2] = {(unsigned char)a, (unsigned char)b};
            check_seq(s2, 2);
            for (x = 0; a >= 0xE0 && x < sizeof(tails); x++) {
                unsigned char s3[3] = {(unsigned char)a, (unsigned char)b,
                                       tails[x]};
                check_seq(s3, 3);
                for (y = 0; a >= 0xF0 && y < sizeof(tails); y++) {
                    unsigned char s4[4] = {(unsigned char)a, (unsigned char)b,
                                           tails[x], tails[y]};
                    check_seq(s4, 4);
                }
            }
        }
    }
}

static void utf8_seq_edges(void **state)
{
    const unsigned char *e = (const unsigned char *)"\xE1\xBB\x85";
    assert_int_equal(doanra_utf8_seq((const unsigned char *)"a", 1), 1);
    /* NUL is the one-byte sequence U+0000 */
    assert_int_equal(doanra_utf8_seq((const unsigned char *)"", 1), 1);
    assert_int_equal(doanra_utf8_seq(e, 3), 3);
    assert_int_equal(doanra_utf8_seq(e, 2), 0); /* cut short */
    assert_int_equal(doanra_utf8_seq(e, 0), 0);
    assert_int_equal(doanra_utf8_seq(NULL, 3), 0);
    assert_int_equal(doanra_utf8_seq(e + 1, 2), 0); /* continuation byte */
    assert_int_equal(
        doanra_utf8_seq((const unsigned char *)"\xF4\x8F\xBF\xBF", 4), 4);
    assert_int_equal(
        doanra_utf8_seq((const unsigned char *)"\xF4\x90\x80\x80", 4), 0);
}

static void utf8_cut(void **state)
{
    /* "ễ" is three bytes at 4..6 of "Nguyễn" */
    const char *s = "Nguy\xE1\xBB\x85n";
    assert_int_equal(doanra_utf8_cut(s, 8, 8), 8);
    assert_int_equal(doanra_utf8_cut(s, 8, 20), 8);
    assert_int_equal(doanra_utf8_cut(s, 8, 7), 7);
    assert_int_equal(doanra_utf8_cut(s, 8, 6), 4);
    assert_int_equal(doanra_utf8_cut(s, 8, 5), 4);
    assert_int_equal(doanra_utf8_cut(s, 8, 4), 4);
    assert_int_equal(doanra_utf8_cut(s, 8, 0), 0);
    /* nothing but continuation bytes: nothing kept */
    assert_int_equal(doanra_utf8_cut("\x80\x80\x80", 3, 2), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(utf8_valid),
        cmocka_unit_test(utf8_seq_vs_icu),
        cmocka_unit_test(utf8_seq_edges),
        cmocka_unit_test(utf8_cut),
        cmocka_unit_test(norm_nfc_nfd),
        cmocka_unit_test(norm_case),
        cmocka_unit_test(norm_space),
        cmocka_unit_test(norm_bad),
        cmocka_unit_test(norm_long),
        cmocka_unit_test(titles),
        cmocka_unit_test(code_norm_spellings),
        cmocka_unit_test(name_norm_cleanup),
        cmocka_unit_test(norm_fixed_points),
    };
    int r;
    apr_initialize();
    r = cmocka_run_group_tests(tests, setup, teardown);
    apr_terminate();
    return r;
}
