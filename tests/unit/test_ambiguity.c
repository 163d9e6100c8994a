/* test_ambiguity.c - what the application behind could read otherwise
 * (ambiguity.c): one test per row of the table at the top of ambiguity.c,
 * at and around each edge, and the exact names that must keep working. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doanra.h"

static apr_pool_t *pool;
static doanra_config cfg;

static int setup(void **state)
{
    apr_pool_create(&pool, NULL);
    doanra_config_defaults(pool, &cfg);
    return 0;
}

static int teardown(void **state)
{
    apr_pool_destroy(pool);
    return 0;
}

static apr_array_header_t *last;

/* Findings for an urlencoded body (exact-size heap copy for ASan). */
static int url_findings(const char *body)
{
    size_t n = strlen(body);
    char *copy = malloc(n ? n : 1);
    apr_array_header_t *fields;
    memcpy(copy, body, n);
    assert_int_equal(doanra_form_parse_urlencoded(pool, copy, n, 0, &fields),
                     DOANRA_FORM_OK);
    free(copy);
    last = apr_array_make(pool, 4, sizeof(doanra_finding));
    return doanra_form_check_fields(pool, &cfg, fields, last);
}

#define CT "multipart/form-data; boundary=XyZ"

static int mp_findings(const char *body)
{
    size_t n = strlen(body);
    char *copy = malloc(n ? n : 1);
    apr_array_header_t *fields;
    memcpy(copy, body, n);
    assert_int_equal(doanra_form_parse_multipart(pool, CT, copy, n, 0, &fields),
                     DOANRA_FORM_OK);
    free(copy);
    last = apr_array_make(pool, 4, sizeof(doanra_finding));
    return doanra_form_check_fields(pool, &cfg, fields, last);
}

static int query_findings(const char *q)
{
    last = apr_array_make(pool, 4, sizeof(doanra_finding));
    return doanra_form_check_query(pool, &cfg, q, last);
}

static const doanra_finding *fnd(int i)
{
    assert_true(i < last->nelts);
    return &APR_ARRAY_IDX(last, i, doanra_finding);
}

/* A name alone (value "x") is refused, the finding about that name. */
static void refused(const char *name)
{
    char *body = apr_pstrcat(pool, name, "=x", NULL);
    if (url_findings(body) != 1)
        fail_msg("\"%s\" was not refused once", name);
    assert_int_equal(fnd(0)->rule, DOANRA_R_FORMAT);
    assert_int_equal(fnd(0)->severity, DOANRA_SEV_ERROR);
}

static void accepted(const char *body)
{
    if (url_findings(body) != 0)
        fail_msg("\"%s\" was refused: %s", body, fnd(0)->message);
}

/* N9: exact names, repeated rows in both spellings, others untouched. */
static void exact_names_accepted(void **state)
{
    accepted("don_vi=S&muc_dich=M&doi_tac=D&ngay_di=2030-01-01"
             "&ngay_ve=2030-01-05&nguon_kinh_phi=tu_tuc&du_toan=&ma_ke_hoach="
             "&ly_do_phat_sinh=&ma_don_vi=");
    accepted("tv_ho_ten[]=A&tv_ho_ten[]=B&tv_ma[]=&tv_ma[]=X"
             "&quoc_gia[]=JP&tu_ngay[]=2030-01-01&den_ngay[]=2030-01-02");
    accepted("tv_ho_ten=A&tv_ho_ten=B&tv_chuc_vu=C&tv_chuc_vu=D");
    accepted("ghi_chu=1&csrf=2&tv_ho_ten_phu=3&=5&x.y=6"
             "&files[]=7&a[tv]=8&tv_ho_ten_=9");
    /* a field name inside an index is another array's key */
    accepted("a[tv_ho_ten]=1&meta[don_vi][]=2");
    /* muc_dich with a ';' but nothing that reads as a field after it */
    accepted("muc_dich=H%E1%BB%A3p+t%C3%A1c;+trao+%C4%91%E1%BB%95i");
    accepted("");
}

/* N1: PHP's ' ' and '.' to '_', leading spaces, '+' as a space. */
static void php_mangling(void **state)
{
    refused("tv.ho.ten[]");
    refused("tv+ho+ten[]");
    refused("tv%20ho%20ten");
    refused("+tv_ho_ten[]");
    refused("%20%20don_vi");
    refused("don.vi");
    refused("muc_dich.");
    assert_string_equal(fnd(0)->field, "muc_dich.");
    /* a leading tab is not dropped by PHP: \ttv_ho_ten is its own key */
    accepted("%09tv_ho_ten=x");
}

/* N2, N3: indexes, nesting, white space index, tail after ']'. */
static void php_indexes(void **state)
{
    refused("tv_ho_ten[3]");
    refused("tv_ho_ten[0]");
    refused("tv_ho_ten[a][b]");
    refused("tv_ho_ten[][]");
    refused("tv_ho_ten[]x");
    refused("tv_ho_ten[+]");
    refused("tv_ho_ten[%09]");
    refused("tv_ho_ten[%20%20]");
    refused("quoc_gia[x");
    refused("tv_ho_ten[");
    assert_string_equal(fnd(0)->field, "tv_ho_ten[");
}

/* N4: an unclosed '[' becomes '_' and so do the rest's ' ' '.' '['. */
static void php_unclosed_bracket(void **state)
{
    refused("tv[ho.ten");
    refused("tv_ho[ten");
    refused("tv.ho[ten");
    refused("ngay[di");
    /* tvx_ho_ten is no field for any reader */
    accepted("tvx[ho.ten=1");
}

/* N5: `x[]` of a single field; a row field in both spellings. */
static void single_as_array(void **state)
{
    refused("don_vi[]");
    refused("ngay_di[]");
    refused("ma_ke_hoach[]");
    assert_int_equal(url_findings("tv_ho_ten=A&tv_ho_ten[]=B"), 1);
    assert_string_equal(fnd(0)->field, "tv_ho_ten");
    assert_int_equal(url_findings("quoc_gia[]=JP&quoc_gia=KR"), 1);
    assert_string_equal(fnd(0)->field, "quoc_gia");
}

/* N6: ASP.NET compares case-insensitively. */
static void case_variants(void **state)
{
    refused("TV_HO_TEN");
    refused("Tv_Ho_Ten[]");
    refused("DON_VI");
    refused("Muc_Dich");
    accepted("tv_ho_ten=x&TV_HO_TEN_X=y");
}

/* N7, N8: binders' property paths, Spring's prefixes, Rack's brackets. */
static void binder_paths(void **state)
{
    refused("model.tv_ho_ten");
    refused("dto.tv_ho_ten[0]");
    refused("tv_ho_ten.0");
    refused("a.b.DON_VI");
    refused("_tv_ma");
    refused("!tv_ma");
    refused("!muc_dich");
    refused("[tv_ho_ten]");
    refused("]]tv_ho_ten[x]");
    refused("tv_ho_ten%5D");
    accepted("__tv_ma=1&!!muc_dich=2&x_tv_ma=3");
}

/* N10: a field without '='. */
static void no_equals(void **state)
{
    assert_int_equal(url_findings("tv_ho_ten&tv_ho_ten=A"), 1);
    assert_string_equal(fnd(0)->field, "tv_ho_ten");
    assert_int_equal(url_findings("muc_dich"), 1);
    accepted("tv_ho_ten=&tv_ho_ten=A&submit");
}

/* N11: a raw ';' before a field. */
static void semicolon(void **state)
{
    assert_int_equal(url_findings("x=1;tv_ho_ten[]=A"), 1);
    assert_string_equal(fnd(0)->field, "x");
    assert_int_equal(url_findings("x;tv_ho_ten=A"), 1);
    assert_int_equal(url_findings("muc_dich=a;+b;don.vi=c"), 1);
    assert_string_equal(fnd(0)->field, "muc_dich");
    /* %3B is not split by anyone, but the decoded value cannot tell: only a
     * raw ';' counts */
    accepted("x=1%3Btv_ho_ten[]=A");
    accepted("x=1;y=2");
}

/* N12, R4: blank row values and plain repeated rows are accepted. */
static void rows_accepted(void **state)
{
    accepted("tv_ho_ten[]=A&tv_ho_ten[]=&tv_ho_ten[]=B");
    accepted("tv_ho_ten=A&tv_ho_ten=B&tv_ho_ten=C");
}

/* R1-R3: a single-value field more than once. */
static void repeated_single(void **state)
{
    accepted("don_vi=A");
    assert_int_equal(url_findings("don_vi=A&don_vi=B"), 1);
    assert_string_equal(fnd(0)->field, "don_vi");
    assert_non_null(strstr(fnd(0)->message, "2 lần"));
    assert_int_equal(url_findings("ngay_di=1&ngay_di=&ngay_di=3"), 1);
    assert_non_null(strstr(fnd(0)->message, "3 lần"));
    /* repeated with the same value: still two readings of one field */
    assert_int_equal(url_findings("muc_dich=A&muc_dich=A"), 1);
    /* every single field */
    {
        int k;
        for (k = 0; k < DOANRA_F_QUOC_GIA; k++) {
            const char *n = doanra_field_default_name(k);
            assert_int_equal(
                url_findings(apr_pstrcat(pool, n, "=1&", n, "=2", NULL)), 1);
            assert_string_equal(fnd(0)->field, n);
        }
    }
}

/* Q1: the query string. */
static void query_string(void **state)
{
    assert_int_equal(query_findings(NULL), 0);
    assert_int_equal(query_findings(""), 0);
    assert_int_equal(query_findings("page=2&sort=name&lang=vi"), 0);
    assert_int_equal(query_findings("tv_ho_ten[]=A"), 1);
    assert_string_equal(fnd(0)->field, "tv_ho_ten[]");
    assert_int_equal(query_findings("don_vi=X"), 1);
    assert_int_equal(query_findings("x=1&ngay_di"), 1);
    assert_int_equal(query_findings("x=1;ngay_ve=2030-01-01"), 1);
    assert_int_equal(query_findings("tv.ho.ten%5B%5D=A&TV_HO_TEN=B"), 2);
    /* a bad escape does not hide the rest (PHP keeps it as it is) */
    assert_int_equal(query_findings("a=%zz&b%=1&don_vi=x%"), 1);
    assert_string_equal(fnd(0)->field, "don_vi");
    assert_int_equal(query_findings("tv_ho_ten=A&tv_ho_ten=B"), 1);
    assert_int_equal(query_findings("&&&;;="), 0);
}

/* L1, L2: more than 1000 fields. */
static void too_many(void **state)
{
    char *body = malloc(8 * 1002);
    int i;
    size_t o = 0;
    for (i = 0; i < 1000; i++)
        o += (size_t)sprintf(body + o, "%sa=1", i ? "&" : "");
    accepted(body);
    strcpy(body + o, "&a=1");
    assert_int_equal(url_findings(body), 1);
    assert_string_equal(fnd(0)->field, "");
    assert_non_null(strstr(fnd(0)->message, "1001"));
    free(body);
}

/* DoanraField: the configured names are the exact ones. */
static void remapped_names(void **state)
{
    doanra_config saved = cfg;
    cfg.field_names[DOANRA_F_TV_HO_TEN] = "members[name]";
    cfg.field_names[DOANRA_F_DON_VI] = "unit";
    accepted("members[name][]=A&members[name][]=B&unit=S");
    accepted("members[name]=A&members[name]=B");
    /* the default name is no field any more */
    accepted("tv_ho_ten[3]=A&don_vi=1&don_vi=2");
    refused("members[name][0]");
    refused("members[x]");
    refused("unit[]");
    refused("UNIT");
    refused("members.name");
    assert_int_equal(url_findings("unit=1&unit=2"), 1);
    assert_string_equal(fnd(0)->field, "unit");
    cfg = saved;
}

/* Messages in both languages name the offending field. */
static void messages(void **state)
{
    doanra_config saved = cfg;
    refused("tv_ho_ten[3]");
    assert_string_equal(fnd(0)->message,
                        "Trường “tv_ho_ten[3]” có thể bị ứng dụng phía sau "
                        "đọc thành “tv_ho_ten”; hãy dùng đúng tên trường.");
    cfg.lang = DOANRA_LANG_EN;
    refused("tv_ho_ten[3]");
    assert_string_equal(fnd(0)->message,
                        "The field \"tv_ho_ten[3]\" may be read by the "
                        "application behind as \"tv_ho_ten\"; use the exact "
                        "field name.");
    /* a location that turned `format` off still gets the error */
    cfg = saved;
    cfg.severity[DOANRA_R_FORMAT] = DOANRA_SEV_OFF;
    refused("don_vi[]");
    assert_int_equal(fnd(0)->severity, DOANRA_SEV_ERROR);
    /* a huge name is cut in the message, whole in the field */
    {
        char *name = apr_pcalloc(pool, 5003);
        memset(name, 'x', 5000);
        memcpy(name, "don_vi.", 7);
        refused(name);
        assert_string_equal(fnd(0)->field, name);
        assert_true(strlen(fnd(0)->message) < 400);
    }
    cfg = saved;
}

/* ---- multipart: M1-M10 -------------------------------------------------- */

#define PART(disp, val)                                                        \
    "--XyZ\r\nContent-Disposition: " disp "\r\n\r\n" val "\r\n"
#define GOOD PART("form-data; name=\"muc_dich\"", "M")
#define END "--XyZ--\r\n"

static void mp_refused(const char *body, unsigned flag)
{
    size_t n = strlen(body);
    char *copy = malloc(n);
    apr_array_header_t *fields;
    int i, seen = 0;
    memcpy(copy, body, n);
    assert_int_equal(doanra_form_parse_multipart(pool, CT, copy, n, 0, &fields),
                     DOANRA_FORM_OK);
    free(copy);
    for (i = 0; i < fields->nelts; i++)
        seen |= APR_ARRAY_IDX(fields, i, doanra_field).flags;
    if (!(seen & flag))
        fail_msg("flag %#x not set (%#x) in %s", flag, seen, body);
    last = apr_array_make(pool, 4, sizeof(doanra_finding));
    assert_true(doanra_form_check_fields(pool, &cfg, fields, last) >= 1);
    assert_int_equal(fnd(0)->rule, DOANRA_R_FORMAT);
    assert_int_equal(fnd(0)->severity, DOANRA_SEV_ERROR);
}

static void mp_exact_accepted(void **state)
{
    assert_int_equal(
        mp_findings(GOOD PART("form-data; name=\"tv_ho_ten[]\"", "A")
                        PART("form-data; name=\"tv_ho_ten[]\"", "B")
                            PART("form-data; name=tv_ma[]", "")
                                PART("FORM-DATA;name=\"tv_ma[]\"", "X")
                                    PART("form-data; name=\"tep\"; "
                                         "filename=\"C:\\a\\b.pdf\"",
                                         "%PDF") END "epilogue\r\n"),
        0);
    /* a value part declared as UTF-8 text, 8bit */
    assert_int_equal(
        mp_findings("--XyZ\r\nContent-Disposition: form-data; "
                    "name=\"doi_tac\"\r\nContent-Type: text/plain; "
                    "charset=UTF-8\r\nContent-Transfer-Encoding: "
                    "8bit\r\n\r\nD\r\n" END),
        0);
    /* a trailing ';' and white space around ';' */
    assert_int_equal(mp_findings(PART("form-data ; name=\"a\" ;", "1") END), 0);
    /* file parts may have any type and encoding */
    assert_int_equal(
        mp_findings("--XyZ\r\nContent-Disposition: form-data; name=\"tep\"; "
                    "filename=\"a.png\"\r\nContent-Type: image/png\r\n"
                    "Content-Transfer-Encoding: base64\r\n\r\nAAAA\r\n" END),
        0);
}

static void mp_names(void **state)
{
    /* the names rules apply to parts too */
    assert_int_equal(
        mp_findings(GOOD PART("form-data; name=\"tv.ho.ten[]\"", "A") END), 1);
    assert_string_equal(fnd(0)->field, "tv.ho.ten[]");
    assert_int_equal(mp_findings(GOOD GOOD END), 1);
    assert_string_equal(fnd(0)->field, "muc_dich");
}

static void mp_two_names(void **state)
{
    mp_refused(PART("form-data; name=\"x\"; name=\"tv_ho_ten[]\"", "A") END,
               DOANRA_PART_TWO_NAMES);
    mp_refused(PART("form-data; name=\"x\"; NAME=\"muc_dich\"", "A") END,
               DOANRA_PART_TWO_NAMES);
    mp_refused(PART("form-data; name; name=\"muc_dich\"", "A") END,
               DOANRA_PART_TWO_NAMES);
}

static void mp_ext_param(void **state)
{
    mp_refused(PART("form-data; name=\"muc_dich\"; filename*=UTF-8''a.txt", "M")
                   END,
               DOANRA_PART_EXT_PARAM);
    mp_refused(PART("form-data; name=\"x\"; name*=UTF-8''muc_dich", "M") END,
               DOANRA_PART_EXT_PARAM);
}

static void mp_after_close(void **state)
{
    mp_refused(GOOD END PART("form-data; name=\"tv_ho_ten[]\"", "A") END,
               DOANRA_PART_AFTER_CLOSE);
    /* a close delimiter first, then the parts: PHP reads them */
    mp_refused(END GOOD END, DOANRA_PART_AFTER_CLOSE);
    /* no final close after the extra part: PHP reads it too */
    mp_refused(GOOD END "junk\r\n" PART("form-data; name=\"x\"", "A") END,
               DOANRA_PART_AFTER_CLOSE);
    /* an epilogue line that starts like the delimiter */
    mp_refused(GOOD END "--XyZx\r\n", DOANRA_PART_DELIMITER);
    /* the same with no part before: unreadable */
    {
        static const char b1[] = END "--XyZ\0\r\n";
        static const char b2[] = "pre\r\n--XyZ\0\r\n" GOOD END;
        static const char b3[] = END "--XyZ\0\r\n" END GOOD END;
        apr_array_header_t *f;
        assert_int_equal(
            doanra_form_parse_multipart(pool, CT, b1, sizeof(b1) - 1, 0, &f),
            DOANRA_FORM_MALFORMED);
        assert_int_equal(
            doanra_form_parse_multipart(pool, CT, b2, sizeof(b2) - 1, 0, &f),
            DOANRA_FORM_MALFORMED);
        assert_int_equal(
            doanra_form_parse_multipart(pool, CT, b3, sizeof(b3) - 1, 0, &f),
            DOANRA_FORM_MALFORMED);
    }
    /* plain epilogue text: accepted */
    assert_int_equal(mp_findings(GOOD END "\r\nthe end\r\n--Xy\r\n"), 0);
}

static void mp_folding(void **state)
{
    mp_refused("--XyZ\r\nContent-Disposition: form-data; name=\"x\"\r\n"
               " ; name=\"muc_dich\"\r\n\r\nM\r\n" END,
               DOANRA_PART_HEADER_FOLD);
    mp_refused("--XyZ\r\nContent-Disposition: form-data; name=\"x\"\r\n"
               "; name=\"muc_dich\"\r\n\r\nM\r\n" END,
               DOANRA_PART_HEADER_FOLD);
    mp_refused("--XyZ\r\nContent-Disposition: form-data; name=\"x\"\r\n"
               "\tx\r\n\r\nM\r\n" END,
               DOANRA_PART_HEADER_FOLD);
    /* PHP ends a header line at a NUL, and the headers at a NUL first */
    {
        static const char nul[] =
            "--XyZ\r\n\0X: y\r\nContent-Disposition: "
            "form-data; name=\"muc_dich\"\r\n\r\nM\r\n" END;
        apr_array_header_t *f;
        assert_int_equal(
            doanra_form_parse_multipart(pool, CT, nul, sizeof(nul) - 1, 0, &f),
            DOANRA_FORM_OK);
        assert_true(APR_ARRAY_IDX(f, 0, doanra_field).flags &
                    DOANRA_PART_HEADER_FOLD);
    }
}

static void mp_dup_disposition(void **state)
{
    mp_refused(
        "--XyZ\r\nContent-Disposition: form-data; name=\"x\"\r\n"
        "Content-Disposition: form-data; name=\"muc_dich\"\r\n\r\nM\r\n" END,
        DOANRA_PART_DUP_DISPOSITION);
}

static void mp_param_syntax(void **state)
{
    static const char *const bad[] = {
        "form-data; name='muc_dich'",
        "form-data; name=\"muc_dich\\\"; x=\\\"y\"",
        "form-data; name=\"a\\\\\"",
        "form-data; name =\"muc_dich\"",
        "form-data; name= \"muc_dich\"",
        "form-data name=\"muc_dich\"",
        "form-data; name=muc\"dich",
        "form-data; name=\"a\\b\"",
        "form-data; name=\"a\x01\"",
        "form-data; name=\"a\"; filename=\"C:\\\\x\\\"",
        "form-data; name=\"a\"; filename=\"a\"; filename=\"b\"",
        "form-data; =x; name=\"a\"",
    };
    size_t i;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *body = apr_pstrcat(pool, "--XyZ\r\nContent-Disposition: ", bad[i],
                                 "\r\n\r\nM\r\n" END, NULL);
        mp_refused(body, DOANRA_PART_PARAM_SYNTAX);
    }
}

static void mp_encoding(void **state)
{
    static const char *const bad[] = {
        "Content-Transfer-Encoding: base64",
        "Content-Transfer-Encoding: quoted-printable",
        "Content-Type: text/plain; charset=UTF-16",
        "Content-Type: text/plain; charset=windows-1258",
        "Content-Type: multipart/mixed; boundary=QQ",
        "Content-Type: application/octet-stream",
        "Content-Type: text/plain; charset=\"utf-8",
    };
    size_t i;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *body = apr_pstrcat(pool,
                                 "--XyZ\r\nContent-Disposition: form-data; "
                                 "name=\"muc_dich\"\r\n",
                                 bad[i], "\r\n\r\nTQ==\r\n" END, NULL);
        mp_refused(body, DOANRA_PART_ENCODING);
    }
    assert_int_equal(
        mp_findings("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n"
                    "Content-Type: TEXT/PLAIN; charset=us-ascii\r\n"
                    "Content-Transfer-Encoding: 7BIT\r\n\r\nx\r\n" END),
        0);
}

static void mp_delimiters(void **state)
{
    /* padding after a delimiter (RFC 2046 allows it; PHP skips the part) */
    mp_refused("--XyZ \r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
               "1\r\n" END,
               DOANRA_PART_DELIMITER);
    mp_refused(GOOD "--XyZ\t\r\nContent-Disposition: form-data; "
                    "name=\"a\"\r\n\r\n1\r\n" END,
               DOANRA_PART_DELIMITER);
    /* a content line that starts like the delimiter: PHP ends the value */
    mp_refused(PART("form-data; name=\"tv_ho_ten[]\"", "A\r\n--XyZx\r\nB") END,
               DOANRA_PART_DELIMITER);
    mp_refused(PART("form-data; name=\"tv_ho_ten[]\"", "--XyZ-x") END,
               DOANRA_PART_DELIMITER);
    /* the boundary in the middle of a line is content for everyone */
    assert_int_equal(mp_findings(PART("form-data; name=\"a\"", "x--XyZ") END),
                     0);
}

static void mp_file_named_as_field(void **state)
{
    assert_int_equal(mp_findings(PART("form-data; name=\"tv_ho_ten[]\"; "
                                      "filename=\"Nguyen Van A\"",
                                      "Nguyen Van A") END),
                     1);
    assert_string_equal(fnd(0)->field, "tv_ho_ten[]");
    assert_non_null(strstr(fnd(0)->message, "tệp"));
}

static void mp_no_form_data_is_malformed(void **state)
{
    /* M8: refused as unreadable, as before */
    static const char att[] = "--XyZ\r\nContent-Disposition: attachment; "
                              "name=\"muc_dich\"\r\n\r\nM\r\n" END;
    static const char none[] =
        "--XyZ\r\nContent-Type: text/plain\r\n\r\nM\r\n" END;
    apr_array_header_t *f;
    assert_int_equal(
        doanra_form_parse_multipart(pool, CT, att, sizeof(att) - 1, 0, &f),
        DOANRA_FORM_MALFORMED);
    assert_int_equal(
        doanra_form_parse_multipart(pool, CT, none, sizeof(none) - 1, 0, &f),
        DOANRA_FORM_MALFORMED);
}

/* Every row of the multipart table in English too. */
static void mp_messages(void **state)
{
    doanra_config saved = cfg;
    mp_refused(PART("form-data; name=\"a\"; name=\"b\"", "1") END,
               DOANRA_PART_TWO_NAMES);
    assert_string_equal(fnd(0)->message,
                        "Phần “a” của biểu mẫu multipart có hai tham số name; "
                        "các ứng dụng phía sau đọc phần này khác nhau.");
    cfg.lang = DOANRA_LANG_EN;
    mp_refused(GOOD END PART("form-data; name=\"b\"", "1") END,
               DOANRA_PART_AFTER_CLOSE);
    assert_string_equal(fnd(0)->field, "b");
    assert_string_equal(fnd(0)->message,
                        "The multipart part \"b\" comes after the closing "
                        "delimiter; the applications behind read such a part "
                        "differently.");
    cfg = saved;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exact_names_accepted),
        cmocka_unit_test(php_mangling),
        cmocka_unit_test(php_indexes),
        cmocka_unit_test(php_unclosed_bracket),
        cmocka_unit_test(single_as_array),
        cmocka_unit_test(case_variants),
        cmocka_unit_test(binder_paths),
        cmocka_unit_test(no_equals),
        cmocka_unit_test(semicolon),
        cmocka_unit_test(rows_accepted),
        cmocka_unit_test(repeated_single),
        cmocka_unit_test(query_string),
        cmocka_unit_test(too_many),
        cmocka_unit_test(remapped_names),
        cmocka_unit_test(messages),
        cmocka_unit_test(mp_exact_accepted),
        cmocka_unit_test(mp_names),
        cmocka_unit_test(mp_two_names),
        cmocka_unit_test(mp_ext_param),
        cmocka_unit_test(mp_after_close),
        cmocka_unit_test(mp_folding),
        cmocka_unit_test(mp_dup_disposition),
        cmocka_unit_test(mp_param_syntax),
        cmocka_unit_test(mp_encoding),
        cmocka_unit_test(mp_delimiters),
        cmocka_unit_test(mp_file_named_as_field),
        cmocka_unit_test(mp_no_form_data_is_malformed),
        cmocka_unit_test(mp_messages),
    };
    apr_initialize();
    return cmocka_run_group_tests(tests, setup, teardown);
}
