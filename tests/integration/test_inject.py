"""test_inject.py - the result block inside the backend's own page
(DOANRA_INJECT, SPEC section 4).

The backend is tests/integration/inject_page.cgi behind enforce locations
of conf.d/inject.conf; ?case= picks the page it answers with.  A passing
trip is shown with DoanraShowPass on (/inject/submit, /inject/split); a
warning trip is shown everywhere (/inject/noshow).
"""
import gzip
import re

import pytest

import harness

# The block begins with its scoped <style>, then the <section>.
BLOCK_START = re.compile(r'<style>\.doanra-result|<section class="doanra-result"')


def block_at(body):
    m = BLOCK_START.search(body)
    return m.start() if m else -1


def blocks(body):
    return len(re.findall(r'<section class="doanra-result"', body))


def length_ok(r):
    cl = r.header("Content-Length")
    return cl is None or int(cl) == len(r.raw)


def submit(env, case, trip, path="/inject/submit", headers=None, **q):
    query = "case=" + case + "".join("&%s=%s" % kv for kv in q.items())
    return env.post_form(path + "?" + query, trip, headers=headers)


def warn_trip():
    """A trip whose only finding is the `region` warning (Japan and France
    are in different sub-regions)."""
    t = harness.Trip()
    t.set_dates(harness.d(30), [2, 2], ["JP", "FR"])
    t.with_members(2)
    return t


# ---------------------------------------------------------------------------
# Where the block goes
# ---------------------------------------------------------------------------

def test_at_marker(env, trip):
    r = submit(env, "marker", trip)
    assert r.status == 200, r.body
    assert r.header("X-Doanra-Decision") == "pass"
    assert blocks(r.body) == 1
    assert block_at(r.body) == r.body.index("<!--doanra-->") + len("<!--doanra-->")
    assert r.decision == "pass"
    assert length_ok(r)
    # the rest of the page is intact
    assert r.body.endswith("<p>Nội dung</p>\n</body></html>\n")


def test_after_body_upper_case_with_attributes(env, trip):
    r = submit(env, "body", trip)
    assert r.status == 200
    tag = "<BODY CLASS=\"a>b\" onload='f(\"<body>\")'>"
    assert block_at(r.body) == r.body.index(tag) + len(tag)
    assert blocks(r.body) == 1
    assert length_ok(r)


def test_at_start_without_body(env, trip):
    r = submit(env, "nobody", trip)
    assert r.status == 200
    assert block_at(r.body) == 0
    assert r.body.rstrip().endswith("<p>Chỉ một đoạn</p>")
    assert length_ok(r)


def test_marker_and_body_in_comments_and_script_ignored(env, trip):
    r = submit(env, "comment", trip)
    tag = '<body id="real">'
    assert block_at(r.body) == r.body.index(tag) + len(tag)
    assert blocks(r.body) == 1


def test_warning_shown_without_showpass(env):
    r = submit(env, "marker", warn_trip(), path="/inject/noshow")
    assert r.status == 200
    assert r.header("X-Doanra-Decision") == "warn"
    assert r.decision == "warn"
    assert "region" in r.rules()
    assert block_at(r.body) == r.body.index("<!--doanra-->") + len("<!--doanra-->")


def test_pass_not_shown_without_showpass(env, trip):
    r = submit(env, "marker", trip, path="/inject/noshow")
    assert r.status == 200
    assert r.header("X-Doanra-Decision") == "pass"
    assert blocks(r.body) == 0
    assert "<!--doanra-->\n<p>" in r.body


# ---------------------------------------------------------------------------
# Streaming: pieces, flushes, chunked answers, long pages
# ---------------------------------------------------------------------------

def test_marker_split_across_buckets_and_flushes(env, trip):
    r = submit(env, "split", trip, path="/inject/split")
    assert r.status == 200
    assert "\x10" not in r.body and "\x02" not in r.body
    assert blocks(r.body) == 1
    assert block_at(r.body) == r.body.index("<!--doanra-->") + len("<!--doanra-->")
    assert r.body.index('<body data-x="1>2">') < block_at(r.body)
    assert length_ok(r)


def test_body_tag_split_across_brigades(env, trip):
    r = submit(env, "split-body", trip, path="/inject/split")
    tag = "<BODY\nclass='x'>"
    assert block_at(r.body) == r.body.index(tag) + len(tag)
    assert blocks(r.body) == 1


def test_slow_chunked_backend(env, trip):
    r = submit(env, "slow", trip)
    assert r.status == 200
    assert block_at(r.body) == r.body.index("<!--doanra-->") + len("<!--doanra-->")
    assert r.body.endswith("</body></html>\n")
    assert length_ok(r)


def test_marker_beyond_window_falls_back_to_body(env, trip):
    # the marker comes after 100 KB: the filter does not hold that much
    r = submit(env, "far", trip)
    assert r.status == 200
    assert blocks(r.body) == 1
    assert block_at(r.body) == r.body.index("<body>") + len("<body>")
    assert len(r.body) > 100000
    assert length_ok(r)


def test_long_page_passes_intact_after_the_block(env, trip):
    r = submit(env, "big", trip)
    assert r.status == 200
    assert blocks(r.body) == 1
    assert r.body.count("<p>") == 20000
    assert "<p>019999</p>\n</body></html>\n" in r.body
    assert length_ok(r)


# ---------------------------------------------------------------------------
# Headers and encodings
# ---------------------------------------------------------------------------

def test_content_length_and_etag_of_changed_page(env, trip):
    r = submit(env, "length", trip)
    assert blocks(r.body) == 1
    assert length_ok(r)
    assert r.header("ETag") is None


def test_backend_asked_for_plain_text(env, trip):
    r = submit(env, "body", trip, headers={"Accept-Encoding": "gzip, deflate"})
    assert r.header("X-Page-Accept-Encoding") == "-"
    assert blocks(r.body) == 1


def test_gzip_backend_client_accepts_gzip(env, trip):
    r = submit(env, "gzip", trip, headers={"Accept-Encoding": "gzip"})
    assert r.status == 200
    assert r.header("Content-Encoding") == "gzip"
    page = gzip.decompress(r.raw).decode("utf-8")
    assert blocks(page) == 1
    assert block_at(page) == page.index("<!--doanra-->") + len("<!--doanra-->")
    assert length_ok(r)


def test_gzip_backend_client_without_gzip(env, trip):
    r = submit(env, "gzip", trip)
    assert r.status == 200
    assert r.header("Content-Encoding") in (None, "identity")
    assert blocks(r.body) == 1
    assert block_at(r.body) == r.body.index("<!--doanra-->") + len("<!--doanra-->")
    assert length_ok(r)


@pytest.mark.parametrize("case,ctype", [("json", "application/json"),
                                        ("text", "text/plain")])
def test_non_html_untouched(env, trip, case, ctype):
    r = submit(env, case, trip)
    assert r.status == 200
    assert r.header("Content-Type").startswith(ctype)
    assert r.header("X-Doanra-Decision") == "pass"
    assert "doanra-result" not in r.body
    assert "<body><!--doanra-->" in r.body


def test_html_like_type_parameters_and_case(env, trip):
    r = submit(env, "marker", trip, type="TEXT/HTML;%20charset=UTF-8")
    assert blocks(r.body) == 1


def test_xhtml_type_untouched(env, trip):
    r = submit(env, "marker", trip, type="application/xhtml%2Bxml")
    assert blocks(r.body) == 0


def test_error_status_untouched(env, trip):
    r = submit(env, "error", trip)
    assert r.status == 500
    assert blocks(r.body) == 0


def test_head_and_get_untouched(env):
    r = env.client.request("HEAD", "/inject/submit?case=length")
    assert r.status == 200
    assert r.raw == b""
    r = env.get("/inject/submit?case=marker")
    assert r.status == 200
    assert blocks(r.body) == 0
    assert length_ok(r)
