"""test_shell_request.py - the Apache shell seen from the outside
(locations in conf.d/shell.conf): client-sent X-Doanra-* headers never reach
the backend, unreadable bodies become a recorded `format` finding (400 in
enforce, passed with the verdict in report), bodies over DoanraMaxBody get a
413 page in the configured language, the JSON check's own errors, the
built-in page when the form page cannot be fetched, the Referer link back,
and DoanraKeyLeaderTitle / nested locations inheriting and overriding."""
import json
import re

from harness import encode_urlencoded, valid_trip

FORM = "application/x-www-form-urlencoded"


def test_client_verdict_headers_stripped_on_get(env):
    r = env.client.get("/shell/submit", headers={"X-Doanra-Decision": "pass",
                                                 "x-doanra-submission": "1"})
    assert r.status == 200 and r.reached_backend()
    echo = r.echo()
    assert "x-doanra-decision" not in echo
    assert "x-doanra-submission" not in echo


def test_client_verdict_headers_stripped_on_other_types(env):
    r = env.client.post("/shell/api", b"{}", "application/json",
                        headers={"X-Doanra-Decision": "pass"})
    assert r.status == 200 and r.reached_backend()
    assert "x-doanra-decision" not in r.echo()
    assert r.header("X-Doanra-Decision") is None


def test_bad_percent_blocked_with_400_and_recorded(env):
    body = encode_urlencoded(valid_trip().pairs()) + b"&muc_dich=%zz"
    r = env.client.post("/shell/submit", body, FORM)
    assert r.status == 400, r.body[:500]
    assert not r.reached_backend()
    assert r.header("Content-Type").startswith("text/html")
    assert r.header("X-Doanra-Decision") == "fail"
    f = r.finding("format")
    assert f is not None and f["severity"] == "error"
    sid = int(r.header("X-Doanra-Submission"))
    s = env.submission(sid)
    assert s["decision"] == "fail" and "format" in s["rules"]
    assert env.trip_of(sid) is None


def test_bad_utf8_in_report_mode_passes_with_fail(env):
    body = encode_urlencoded(valid_trip().pairs()) + b"&doi_tac=%C3%28"
    r = env.client.post("/shell/report", body, FORM)
    assert r.status == 200 and r.reached_backend()
    assert r.header("X-Echo-Length") == str(len(body))
    echo = r.echo()
    assert echo["x-doanra-decision"] == "fail"
    assert "format" in echo["x-doanra-rules"].split(",")


def test_body_over_limit_english_page(env):
    body = encode_urlencoded(valid_trip().pairs() + [("x", "a" * 4000)])
    for chunked in (False, True):
        r = env.client.post("/shell/en/small", body, FORM, chunked=chunked)
        assert r.status == 413, r.body[:300]
        assert not r.reached_backend()
        assert r.header("Content-Type").startswith("text/html")
        assert 'lang="en"' in r.body


def test_body_under_limit_passes(env):
    t = valid_trip()
    body = encode_urlencoded(t.pairs(pad=False))
    assert len(body) < 2048
    r = env.client.post("/shell/en/small", body, FORM, chunked=True)
    assert r.status == 200 and r.reached_backend(), r.body[:300]
    assert r.header("X-Echo-Length") == str(len(body))


def test_check_method_not_allowed(env):
    r = env.client.get("/doanra/check")
    assert r.status == 405
    assert "POST" in r.header("Allow", "")
    assert r.header("Content-Type").startswith("application/json")
    assert "error" in r.json()


def test_check_wrong_type(env):
    r = env.client.post("/shell/en/check", b"hello", "text/plain")
    assert r.status == 400
    assert "error" in r.json()


def test_check_too_large(env):
    body = encode_urlencoded([("x", "a" * 5000)])
    r = env.client.post("/shell/en/check", body, FORM)
    assert r.status == 413
    assert "error" in r.json()


def test_check_records_nothing(env):
    before = env.psql("SELECT count(*) FROM doanra.submissions")[0][0]
    status, data, r = env.client.check(valid_trip())
    assert status == 200 and data["decision"] == "pass"
    assert r.header("Cache-Control") == "no-store"
    assert env.psql("SELECT count(*) FROM doanra.submissions")[0][0] == before


def test_missing_form_page_falls_back_to_builtin_page(env):
    t = valid_trip(members=0)
    r = env.post_form("/shell/missingform", t)
    assert r.status == 422, r.body[:300]
    assert not r.reached_backend()
    assert r.decision == "fail"
    assert r.header("Cache-Control") == "no-store"


def test_builtin_page_links_back_to_same_site_referer(env):
    t = valid_trip(members=0)
    ref = env.client.base_url + "/intranet/form?x=1"
    r = env.post_form("/shell/submit", t, headers={"Referer": ref})
    assert r.status == 422
    assert 'href="/intranet/form?x=1"' in r.body
    r = env.post_form("/shell/submit", t,
                      headers={"Referer": "http://evil.example/phish"})
    assert r.status == 422
    assert "evil.example" not in r.body


def test_builtin_page_back_link_never_leaves_the_site(env):
    """Browsers read '\\' as '/' and drop tabs and newlines in a URL, so a
    same-site Referer path "/\\evil.example/..." is "//evil.example/...":
    another site.  The back link must not be built from it."""
    t = valid_trip(members=0)
    base = env.client.base_url
    for ref in (base + "/\\evil.example/phish", "/\\evil.example/phish",
                base + "/\\/evil.example/phish", base + "/\t/evil.example/phish"):
        r = env.post_form("/shell/submit", t, headers={"Referer": ref})
        assert r.status == 422, r
        hrefs = re.findall(r'class="doanra-back" href="([^"]*)"', r.body)
        assert hrefs, r.body[:800]
        for h in hrefs:
            assert "evil.example" not in h and "\\" not in h, (ref, h)
            assert h == "javascript:history.back()" or \
                (h.startswith("/") and not h.startswith("//")), (ref, h)


def _leaders(position_a, position_b):
    t = valid_trip(members=0)
    t.add_member(position=position_a).add_member(position=position_b)
    return t


def test_key_leader_titles_replace_then_add(env):
    status, data, _ = env.client.check(_leaders("Phó Giám đốc Sở",
                                                "Trưởng phòng Tổng hợp"),
                                       path="/shell/titles/check")
    assert status == 200
    assert "leaders-same-unit" in [v["rule"] for v in data["violations"]], data
    # "Giám đốc" is no longer a key leader title there.
    status, data, _ = env.client.check(_leaders("Giám đốc Sở", "Giám đốc"),
                                       path="/shell/titles/check")
    assert "leaders-same-unit" not in [v["rule"] for v in data["violations"]]
    # ...while the defaults still hold elsewhere.
    status, data, _ = env.client.check(_leaders("Giám đốc Sở", "Giám đốc"))
    assert "leaders-same-unit" in [v["rule"] for v in data["violations"]]


def test_nested_location_inherits_and_overrides(env):
    t = valid_trip(members=3)
    status, data, _ = env.client.check(t, path="/shell/parent/check")
    size = [v for v in data["violations"] if v["rule"] == "size"]
    assert size and "members" in size[0]["message"], data
    status, data, _ = env.client.check(t, path="/shell/parent/child/check")
    size = [v for v in data["violations"] if v["rule"] == "size"]
    assert size and "thành viên" in size[0]["message"], data


def test_block_answer_headers(env):
    r = env.post_form("/shell/submit", valid_trip(members=0))
    assert r.status == 422
    assert r.header("Cache-Control") == "no-store"
    assert r.header("Content-Type") == "text/html; charset=utf-8"
    assert r.header("X-Doanra-Submission", "").isdigit()
    json.dumps(r.findings())
