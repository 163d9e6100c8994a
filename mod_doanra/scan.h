/*
 * scan.h - an incremental scanner that finds where the result block goes in
 * an HTML page that arrives in pieces: the first <!--doanra--> comment, and
 * the end of the first <body ...> start tag.
 *
 * It is pure (no httpd, no allocation): the DOANRA_INJECT output filter
 * feeds it the bytes of each bucket as they stream past and holds back only
 * what it has not yet released; the unit tests and the fuzzer feed it in
 * arbitrary splits.  Its state is a few counters and a tag-name buffer, so a
 * marker or tag split across buckets is found without keeping any tail.
 */
#ifndef DOANRA_SCAN_H
#define DOANRA_SCAN_H

#include <apr.h>

typedef struct {
    /* Public results, offsets counted from the first byte fed. */
    apr_off_t pos;          /* bytes consumed so far */
    apr_off_t body_end;     /* just after the first <body ...> tag, or -1 */
    apr_off_t marker_start; /* the '<' of the first <!--doanra-->, or -1 */
    apr_off_t marker_end;   /* just after its "-->", or -1 */
    /* Private state. */
    int state;
    apr_off_t lt;      /* offset of the '<' that opened the current construct */
    int is_end;        /* current tag is an end tag */
    char quote;        /* closing quote of the attribute value being read */
    apr_size_t dashes; /* consecutive '-' seen inside a comment */
    apr_size_t nlen;   /* tag name / comment text length seen */
    char name[16];     /* tag name (lower case) or comment text, truncated */
    const char *raw;   /* raw-text element whose end tag we look for */
    apr_size_t rawmatch; /* chars of "</" + raw matched so far */
} doanra_scan;

void doanra_scan_init(doanra_scan *s);

/* Consume buf[0..len).  Returns the number of bytes consumed: len, or less
 * when the marker was completed inside buf (scanning stops right after it;
 * s->marker_end is then set and further calls consume nothing). */
apr_size_t doanra_scan_feed(doanra_scan *s, const char *buf, apr_size_t len);

/* Where the block goes in a whole page of len bytes: after the first
 * marker, else after <body ...>, else 0. */
apr_off_t doanra_scan_point(const char *html, apr_size_t len);

#endif /* DOANRA_SCAN_H */
