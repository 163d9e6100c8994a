/*
 * test_inject_scan.c - the incremental injection-point scanner (scan.c):
 * the marker and <body> found whole and split at every byte, and the places
 * that only look like them (comments, quoted attributes, script) ignored.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "scan.h"

/* Feed s in pieces of size step (1 = byte by byte); return the scanner. */
static doanra_scan feed(const char *s, apr_size_t step)
{
    doanra_scan sc;
    apr_size_t len = strlen(s), i = 0;

    doanra_scan_init(&sc);
    while (i < len) {
        apr_size_t n = len - i < step ? len - i : step;
        apr_size_t used = doanra_scan_feed(&sc, s + i, n);
        if (used < n) {
            assert_true(sc.marker_end >= 0);
            break;
        }
        i += n;
    }
    return sc;
}

/* The point (marker end, else body end, else 0) is the same for every
 * split of the page. */
static apr_off_t point_all_splits(const char *s)
{
    apr_off_t whole = doanra_scan_point(s, strlen(s));
    for (apr_size_t step = 1; step <= strlen(s) + 1; step++) {
        doanra_scan sc = feed(s, step);
        apr_off_t p = sc.marker_end >= 0 ? sc.marker_end
                      : sc.body_end >= 0 ? sc.body_end
                                         : 0;
        assert_int_equal(p, whole);
    }
    /* two arbitrary cuts */
    for (apr_size_t a = 0; a <= strlen(s); a++) {
        doanra_scan sc;
        apr_size_t used;
        doanra_scan_init(&sc);
        used = doanra_scan_feed(&sc, s, a);
        if (used == a)
            doanra_scan_feed(&sc, s + a, strlen(s) - a);
        assert_int_equal(sc.marker_end >= 0 ? sc.marker_end
                         : sc.body_end >= 0 ? sc.body_end
                                            : 0,
                         whole);
    }
    return whole;
}

static apr_off_t offset_after(const char *s, const char *needle)
{
    const char *p = strstr(s, needle);
    assert_non_null(p);
    return (apr_off_t)(p - s + strlen(needle));
}

static void test_marker(void **st)
{
    const char *s = "<html><body class=x><p>hi</p><!--doanra--><form>";
    (void)st;
    assert_int_equal(point_all_splits(s), offset_after(s, "<!--doanra-->"));
    doanra_scan sc = feed(s, 3);
    assert_int_equal(sc.marker_start, strstr(s, "<!--") - s);
    assert_int_equal(sc.body_end, offset_after(s, "<body class=x>"));
}

static void test_marker_before_body_and_spaces(void **st)
{
    const char *s = "<head><!-- DOANRA --></head><body>";
    (void)st;
    assert_int_equal(point_all_splits(s), offset_after(s, "<!-- DOANRA -->"));
}

static void test_body_variants(void **st)
{
    const char *a = "<!DOCTYPE html><HTML><HEAD><TITLE>x</TITLE></HEAD>"
                    "<BODY ONLOAD=\"if(a>b)f()\" class='c>d'>text";
    const char *b = "<html><body>";
    const char *c = "<body\n  data-x=1\n>";
    (void)st;
    assert_int_equal(point_all_splits(a), offset_after(a, "class='c>d'>"));
    assert_int_equal(point_all_splits(b), (apr_off_t)strlen(b));
    assert_int_equal(point_all_splits(c), (apr_off_t)strlen(c));
}

static void test_no_body_no_marker(void **st)
{
    (void)st;
    assert_int_equal(point_all_splits("just text < not a tag > <p>x</p>"), 0);
    assert_int_equal(point_all_splits(""), 0);
    assert_int_equal(point_all_splits("<bodyx><tbody><a body>"), 0);
}

static void test_false_hits_ignored(void **st)
{
    const char *a = "<!-- <body> <!--doanra--> --><body id=real>";
    const char *b = "<script>var s = '<body><!--doanra-->';</script>"
                    "<body id=real>";
    const char *c = "<p title=\"<body>\" alt='<!--doanra-->'><body id=real>";
    const char *d = "<textarea><body><!--doanra--></TEXTAREA ><body id=real>";
    const char *e = "<!--doanra is here--><!--doanra2--><body id=real>";
    (void)st;
    /* a's comment holds "<!--doanra" but the comment text is not the
     * marker word alone */
    assert_int_equal(point_all_splits(a), offset_after(a, "<body id=real>"));
    assert_int_equal(point_all_splits(b), offset_after(b, "<body id=real>"));
    assert_int_equal(point_all_splits(c), offset_after(c, "<body id=real>"));
    assert_int_equal(point_all_splits(d), offset_after(d, "<body id=real>"));
    assert_int_equal(point_all_splits(e), offset_after(e, "<body id=real>"));
}

static void test_script_end_split(void **st)
{
    const char *s = "<SCRIPT>if (a</b) x='</scr'+'ipt>';</sCrIpT><body>";
    (void)st;
    /* '</scr'+'ipt>' really ends the script in HTML: the rest is markup */
    assert_int_equal(point_all_splits(s), (apr_off_t)strlen(s));
}

static void test_degenerate_comments(void **st)
{
    const char *s = "<!--><!---><body><!---->x<!--doanra-->";
    (void)st;
    assert_int_equal(point_all_splits(s), (apr_off_t)strlen(s));
}

static void test_stops_after_marker(void **st)
{
    doanra_scan sc;
    const char *s = "<!--doanra--><body>";
    (void)st;
    doanra_scan_init(&sc);
    assert_int_equal(doanra_scan_feed(&sc, s, strlen(s)), 13);
    assert_int_equal(sc.marker_end, 13);
    assert_int_equal(sc.body_end, -1);
    assert_int_equal(doanra_scan_feed(&sc, "x", 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_marker),
        cmocka_unit_test(test_marker_before_body_and_spaces),
        cmocka_unit_test(test_body_variants),
        cmocka_unit_test(test_no_body_no_marker),
        cmocka_unit_test(test_false_hits_ignored),
        cmocka_unit_test(test_script_end_split),
        cmocka_unit_test(test_degenerate_comments),
        cmocka_unit_test(test_stops_after_marker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
