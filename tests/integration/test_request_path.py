"""test_request_path.py - what happens to a request (SPEC section 4 and the
records of section 5), seen from the browser, the backend and psql:
blocking and the 422 page, the form page refilled, the body reaching the
backend byte for byte (urlencoded, multipart, Content-Length, chunked; echo
handler, CGI, proxy, front controller), the X-Doanra-* headers, report and
off modes, GET and other types untouched, body limits, the database down,
and the rows written."""
import hashlib
import re
import time

from harness import (encode_multipart, encode_urlencoded, expect_blocked,
                     expect_passed, valid_trip)


def digest(b):
    return hashlib.sha256(b).hexdigest()


def count_submissions(env):
    return int(env.psql("SELECT count(*) FROM doanra.submissions")[0][0])


def post_raw(env, path, body, ctype, chunked=False, headers=None, client=None):
    return (client or env.client).post(path, body, ctype, headers=headers,
                                       chunked=chunked)


# ---- the body reaches the backend unchanged ---------------------------------------

def _assert_same_body(r, body):
    assert r.status == 200, r.body[:500]
    assert r.reached_backend(), r.body[:500]
    assert r.header("X-Echo-Sha256") == digest(body)
    assert r.header("X-Echo-Length") == str(len(body))


def test_urlencoded_content_length(env, trip):
    body = encode_urlencoded(trip.pairs())
    r = post_raw(env, "/doanra/submit", body, "application/x-www-form-urlencoded")
    _assert_same_body(r, body)
    assert r.header("X-Echo-Content-Length") == str(len(body))


def test_urlencoded_chunked(env, trip):
    body = encode_urlencoded(trip.pairs())
    r = post_raw(env, "/doanra/submit", body, "application/x-www-form-urlencoded",
                 chunked=True)
    _assert_same_body(r, body)
    # The replayed body is de-chunked: the backend sees its length.
    assert r.header("X-Echo-Content-Length") == str(len(body))


def test_multipart_content_length(env, trip):
    body, ctype = encode_multipart(trip.pairs())
    r = post_raw(env, "/doanra/submit", body, ctype)
    _assert_same_body(r, body)
    assert r.header("X-Echo-Content-Type") == ctype


def test_multipart_chunked_with_file(env, trip):
    data = bytes(range(256)) * 40   # binary attachment, not inspected
    body, ctype = encode_multipart(trip.pairs(),
                                   files=[("cong_van", "cong-van-moi.pdf",
                                           "application/pdf", data)])
    r = post_raw(env, "/doanra/submit", body, ctype, chunked=True)
    _assert_same_body(r, body)


def test_expect_100_continue(env, trip):
    body = encode_urlencoded(trip.pairs())
    r = post_raw(env, "/doanra/submit", body, "application/x-www-form-urlencoded",
                 headers={"Expect": "100-continue"})
    _assert_same_body(r, body)


def test_cgi_backend_gets_content_length(env):
    for chunked in (False, True):
        # a fresh delegation each time: the same people twice would be
        # refused by member-overlap the second time
        body = encode_urlencoded(valid_trip().pairs())
        r = post_raw(env, "/cgi/submit", body, "application/x-www-form-urlencoded",
                     chunked=chunked)
        _assert_same_body(r, body)
        assert r.header("X-Echo-Content-Length") == str(len(body))
        assert r.echo()["x-doanra-decision"] == "pass"


def test_cgi_backend_blocked(env):
    expect_blocked(env, valid_trip(members=11), "size", path="/cgi/submit")


def test_proxy_backend(env, trip):
    body = encode_urlencoded(trip.pairs())
    r = post_raw(env, "/proxy/submit", body, "application/x-www-form-urlencoded",
                 chunked=True)
    _assert_same_body(r, body)
    assert r.echo()["x-doanra-decision"] == "pass"


def test_proxy_backend_warn_injected(env):
    t = valid_trip()
    t.set_dates(t.ngay_di, [2, 2], ["JP", "TH"])
    r = expect_passed(env, t, path="/proxy/submit", decision="warn")
    assert r.decision == "warn"


def test_front_controller_internal_redirect(env, trip):
    body = encode_urlencoded(trip.pairs())
    r = post_raw(env, "/fc/submit", body, "application/x-www-form-urlencoded")
    _assert_same_body(r, body)
    assert r.echo()["x-doanra-decision"] == "pass"
    expect_blocked(env, valid_trip(members=11), "size", path="/fc/submit")


# ---- headers ---------------------------------------------------------------------

def test_headers_to_backend_and_client(env, trip):
    r = expect_passed(env, trip)
    sid = r.header("X-Doanra-Submission")
    assert sid and sid.isdigit()
    echo = r.echo()
    assert echo["x-doanra-decision"] == "pass"
    assert echo["x-doanra-submission"] == sid
    assert echo.get("x-doanra-rules", "") == ""


def test_client_sent_doanra_headers_are_removed(env):
    t = valid_trip()
    t.set_dates(t.ngay_di, [2, 2], ["JP", "TH"])   # a warning
    r = env.post_form("/doanra/submit", t, headers={
        "X-Doanra-Decision": "pass", "X-Doanra-Submission": "1",
        "X-Doanra-Rules": "", "X-Doanra-Approved-By": "giam-doc"})
    assert r.status == 200 and r.reached_backend()
    echo = r.echo()
    assert echo["x-doanra-decision"] == "warn"
    assert echo["x-doanra-submission"] == r.header("X-Doanra-Submission") != "1"
    assert echo["x-doanra-rules"] == "region"
    assert "x-doanra-approved-by" not in echo
    assert not any("approved" in v.lower() for v in r.header_all("X-Echo-Doanra"))


def test_rules_header_lists_ids(env):
    t = valid_trip(members=11)
    t.set_dates(t.ngay_di, [2, 2], ["JP", "TH"])
    r = env.post_form("/report/submit", t)
    assert r.status == 200
    rules = r.echo()["x-doanra-rules"].split(",")
    assert "size" in rules and "region" in rules


# ---- enforce + fail ---------------------------------------------------------------

def test_block_builtin_page(env):
    t = valid_trip(members=11)
    t.muc_dich = "Khảo sát <script>alert('xss')</script> & học tập"
    r = expect_blocked(env, t, "size", path="/plain/submit")
    assert r.header("Content-Type", "").startswith("text/html")
    assert "<script>alert" not in r.body
    assert "&lt;script&gt;" in r.body
    # The submitted values are shown so nothing typed is lost.
    assert t.members[0]["name"] in r.body
    assert r.header("X-Doanra-Submission", "").isdigit()


def test_block_form_page_refilled(env):
    t = valid_trip(members=11)
    t.doi_tac = "Tỉnh Kanagawa \"Nhật Bản\" <đối tác>"
    t.don_vi = "Sở Ngoại vụ"
    r = expect_blocked(env, t, "size", path="/formpage/submit")
    # It is the demo form page, with the block where <!--doanra--> was.
    assert "Đăng ký đoàn ra" in r.body
    assert 'action="/doanra/submit"' in r.body
    assert r.body.index('class="doanra-result"') < r.body.index('name="muc_dich"')
    assert r.input_value("doi_tac") == t.doi_tac
    assert r.input_value("muc_dich") == t.muc_dich
    assert r.input_value("tv_ho_ten[]", 0) == t.members[0]["name"]
    assert r.input_value("tv_ho_ten[]", 9) == t.members[9]["name"]
    assert r.input_value("quoc_gia[]", 0) == "JP"
    assert r.input_value("ngay_di") == t.ngay_di.isoformat()
    assert r.input_value("don_vi") == "Sở Ngoại vụ"
    assert r.input_value("nguon_kinh_phi") == "ngan_sach"


def test_demo_location_uses_form_page(env):
    r = expect_blocked(env, valid_trip(members=11), "size")
    assert 'action="/doanra/submit"' in r.body


def test_block_status_configurable(env):
    expect_blocked(env, valid_trip(members=11), "size", path="/status/submit",
                   status=409)


def test_block_english(env):
    r = expect_blocked(env, valid_trip(members=11), "size", path="/en/submit")
    assert r.blocks()[0].get("lang") == "en"
    assert "members" in r.finding("size")["message"]


def test_block_records_submission_without_trip(env):
    r = expect_blocked(env, valid_trip(members=11), "size")
    sid = int(r.header("X-Doanra-Submission"))
    s = env.submission(sid)
    assert s["decision"] == "fail" and s["mode"] == "enforce"
    assert "size" in s["rules"]
    assert any(f["rule"] == "size" for f in s["findings"])
    assert s["backend_status"] is None
    assert env.trip_of(sid) is None


# ---- pass and warn ------------------------------------------------------------------

def test_pass_records_submission_and_trip(env, trip):
    trip.datefmt = "vn"
    r = expect_passed(env, trip)
    sid = int(r.header("X-Doanra-Submission"))
    s = env.submission(sid)
    assert s["decision"] == "pass" and s["mode"] == "enforce"
    assert s["location"].startswith("/doanra/submit")
    assert s["fields"]["muc_dich"] == trip.muc_dich
    assert s["client_ip"] in ("127.0.0.1", "::1", "127.0.0.1/32")
    t = env.wait_trip_status(sid, "submitted")
    assert t and t["status"] == "submitted", t
    assert t["ngay_di"] == trip.ngay_di.isoformat()
    assert t["ngay_ve"] == trip.ngay_ve.isoformat()
    assert t["member_count"] == 2
    assert t["unit_code"] == "TST"
    assert t["planned"] is True
    s = env.wait_for(lambda: (env.submission(sid) or {}).get("backend_status"))
    assert s == 200
    members = env.psql_json("SELECT full_name, position FROM doanra.trip_members "
                            "WHERE trip_id = %d ORDER BY seq" % t["id"])
    assert [m["full_name"] for m in members] == [m["name"] for m in trip.members]
    legs = env.psql_json("SELECT country, from_date, to_date FROM doanra.trip_legs "
                         "WHERE trip_id = %d ORDER BY seq" % t["id"])
    assert legs == [{"country": "JP", "from_date": trip.legs[0][1].isoformat(),
                     "to_date": trip.legs[0][2].isoformat()}]


def test_backend_error_voids_trip(env, trip):
    r = env.post_form("/doanra/submit?status=500", trip)
    assert r.status == 500 and r.reached_backend()
    sid = int(r.header("X-Doanra-Submission"))
    t = env.wait_trip_status(sid, "void")
    assert t["status"] == "void"
    assert env.wait_for(lambda: (env.submission(sid) or {}).get("backend_status")) == 500


def test_backend_redirect_is_submitted(env, trip):
    r = env.post_form("/doanra/submit?location=/doanra/", trip)
    assert r.status == 303
    sid = int(r.header("X-Doanra-Submission"))
    assert env.wait_trip_status(sid, "submitted")["status"] == "submitted"


def test_pass_shows_no_block_by_default(env, trip):
    r = expect_passed(env, trip)
    assert r.blocks() == []
    assert "<!--doanra-->" in r.body


def test_pass_block_with_show_pass(env, trip):
    r = expect_passed(env, trip, path="/showpass/submit")
    assert r.decision == "pass"


def _warn_trip():
    t = valid_trip()
    t.set_dates(t.ngay_di, [2, 2], ["JP", "TH"])
    return t


def test_warn_block_at_marker(env):
    r = expect_passed(env, _warn_trip(), decision="warn")
    assert len(r.blocks()) == 1 and r.decision == "warn"
    body = r.body
    at = body.index('<section class="doanra-result"')
    assert body.index("<main>") < at < body.index("<h1>Đã nhận hồ sơ đoàn ra")
    sid = int(r.header("X-Doanra-Submission"))
    assert env.submission(sid)["decision"] == "warn"
    assert env.wait_trip_status(sid, "submitted")["status"] == "submitted"


def test_warn_block_after_body_tag(env):
    r = expect_passed(env, _warn_trip(), path="/doanra/submit?marker=0",
                      decision="warn")
    body = r.body
    at = body.index('<section class="doanra-result"')
    assert body.index('<body class="echo">') < at < body.index("<header")


def test_warn_block_at_document_start(env):
    r = expect_passed(env, _warn_trip(), path="/doanra/submit?marker=0&bodytag=0",
                      decision="warn")
    assert r.body.lstrip().startswith("<section") or \
        r.body.index('<section class="doanra-result"') < r.body.index("<!DOCTYPE")


def test_injection_drops_content_length(env):
    r = expect_passed(env, _warn_trip(), path="/doanra/submit?length=1",
                      decision="warn")
    cl = r.header("Content-Length")
    assert cl is None or int(cl) == len(r.raw)
    assert r.body.rstrip().endswith("</html>")


def test_non_html_answer_untouched(env):
    r = expect_passed(env, _warn_trip(), path="/doanra/submit?type=text/plain",
                      decision="warn")
    assert r.blocks() == [] and "doanra-result" not in r.body


# ---- report and off -------------------------------------------------------------------

def test_report_mode_passes_failing_trip_with_block(env):
    t = valid_trip(members=11)
    r = env.post_form("/report/submit", t)
    assert r.status == 200 and r.reached_backend()
    assert r.header("X-Doanra-Decision") == "fail"
    assert r.decision == "fail" and r.finding("size")
    assert r.echo()["x-doanra-decision"] == "fail"
    s = env.submission(int(r.header("X-Doanra-Submission")))
    assert s["mode"] == "report" and s["decision"] == "fail"


def test_report_mode_pass(env, trip):
    r = expect_passed(env, trip, path="/report/submit")
    assert env.submission(int(r.header("X-Doanra-Submission")))["mode"] == "report"


def test_off_mode_changes_nothing(env):
    t = valid_trip(members=11)
    before = count_submissions(env)
    body = encode_urlencoded(t.pairs())
    r = post_raw(env, "/off/submit", body, "application/x-www-form-urlencoded")
    _assert_same_body(r, body)
    assert r.header("X-Doanra-Decision") is None
    assert r.header("X-Doanra-Submission") is None
    assert "doanra-result" not in r.body
    assert not r.header_all("X-Echo-Doanra")
    assert count_submissions(env) == before


# ---- untouched requests ----------------------------------------------------------------

def test_get_untouched(env):
    before = count_submissions(env)
    r = env.get("/doanra/submit?trang=2")
    assert r.status == 200 and r.reached_backend()
    assert r.header("X-Doanra-Decision") is None
    assert r.echo()["method"] == "GET"
    assert count_submissions(env) == before


def test_get_carrying_form_fields_is_judged(env):
    """The query string is read by $_REQUEST and servlets: a GET that
    carries the form's fields is judged, and a field alone is refused."""
    r = env.get("/doanra/submit?muc_dich=x")
    assert r.status == 422 and not r.reached_backend()
    assert "format" in r.rules()


def test_other_content_types_refused(env):
    before = count_submissions(env)
    for body, ctype in ((b'{"don_vi": "x"}', "application/json"),
                        (b"don_vi=x", "text/plain")):
        r = post_raw(env, "/doanra/submit", body, ctype)
        assert r.status == 415 and not r.reached_backend()
        assert r.header("X-Doanra-Decision") is None
    assert count_submissions(env) == before


def test_form_page_is_served(env):
    r = env.get("/doanra/")
    assert r.status == 200
    assert "<!--doanra-->" in r.body and "Đăng ký đoàn ra" in r.body
    assert r.header("X-Doanra-Decision") is None


# ---- limits and bad input ----------------------------------------------------------------

def test_body_over_limit_gets_413(env, trip):
    trip.muc_dich = "x" * 5000
    r = env.post_form("/smallbody/submit", trip)
    assert r.status == 413
    assert not r.reached_backend()


def test_body_over_limit_chunked_gets_413(env, trip):
    trip.muc_dich = "x" * 5000
    r = env.post_form("/smallbody/submit", trip, chunked=True)
    assert r.status == 413
    assert not r.reached_backend()


def test_body_under_limit_passes(env, trip):
    expect_passed(env, trip, path="/smallbody/submit")


def test_check_unreadable_body_is_400(env):
    r = post_raw(env, "/doanra/check", b"--x\r\nbroken", "multipart/form-data")
    assert r.status == 400, r.body[:300]
    assert "error" in r.json()


def test_check_answers_json(env, trip):
    status, data, r = env.check(trip)
    assert status == 200
    assert r.header("Content-Type").startswith("application/json")
    assert data == {"decision": "pass", "violations": []}


# ---- the database down ---------------------------------------------------------------------

def test_database_down_refuses_with_503(env, trip):
    trip.muc_dich = "Hội nghị <b>quan trọng</b> về logistics"
    r = env.dead.post_form("/refuse/submit", trip)
    assert r.status == 503
    assert not r.reached_backend()
    # What they typed is shown, escaped.
    assert "Hội nghị &lt;b&gt;quan trọng&lt;/b&gt; về logistics" in r.body
    assert trip.members[0]["name"] in r.body


def test_database_down_allow_passes_unchecked(env, trip):
    body = encode_urlencoded(trip.pairs())
    r = post_raw(env, "/allow/submit", body, "application/x-www-form-urlencoded",
                 client=env.dead)
    _assert_same_body(r, body)
    assert r.header("X-Doanra-Decision") == "unchecked"
    assert r.echo()["x-doanra-decision"] == "unchecked"


def test_database_down_report_mode_refuses_with_503(env, trip):
    """report mode records every submission: with nothing to record it,
    the default (refuse) holds the submission back as enforce does."""
    r = env.dead.post_form("/report/submit", trip)
    assert r.status == 503, "%r %s" % (r, r.body[:300])
    assert not r.reached_backend()
    assert r.header("Content-Type", "").startswith("text/html")
    assert trip.members[0]["name"] in r.body


def test_database_down_check_answers_503_json(env, trip):
    """The JSON check under the default refuse: 503 with {"error": ...},
    not a verdict reached without the history."""
    status, data, r = env.dead.check(trip, "/doanra/check")
    assert status == 503, "%r %s" % (r, r.body[:300])
    assert r.header("Content-Type", "").startswith("application/json"), r.headers
    assert isinstance(data, dict) and set(data) == {"error"}, data
    assert isinstance(data["error"], str) and data["error"].strip(), data
    # A failing trip is no different: nothing is judged without the database.
    status, data, r = env.dead.check(valid_trip(members=12), "/doanra/check")
    assert status == 503 and set(data) == {"error"}, (status, data)


def test_database_down_check_allow_runs_static_rules(env, trip):
    """DoanraOnDatabaseError allow: the check answers with the rules that
    need no history."""
    status, data, r = env.dead.check(trip, "/allow/check")
    assert status == 200, "%r %s" % (r, r.body[:300])
    assert r.header("Content-Type", "").startswith("application/json")
    assert data["decision"] in ("pass", "warn"), data
    assert not [v for v in data["violations"] if v["severity"] == "error"], data
    status, data, r = env.dead.check(valid_trip(members=12), "/allow/check")
    assert status == 200, "%r %s" % (r, r.body[:300])
    assert data["decision"] == "fail", data
    assert "size" in [v["rule"] for v in data["violations"]], data


# ---- inheritance ------------------------------------------------------------------------------

def test_location_inheritance(env):
    expect_blocked(env, valid_trip(members=4), "size", path="/nested/submit")
    expect_passed(env, valid_trip(members=4), path="/nested/inner/submit")


# ---- last: nothing crashed ---------------------------------------------------------------------

def test_zz_no_child_crashed(env):
    time.sleep(0.2)
    assert env.apache.crashes() == []
    assert not re.search(r"AH00052|AH00051", env.apache.error_log_text())
