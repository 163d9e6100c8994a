"""test_verdict.py - what the module judges is what the backend reads (SPEC
section 4): every body at an enforce location is judged or refused, with a
real Apache, the in-process echo backend and PostgreSQL.  Locations are in
conf.d/verdict.conf.

Each bypass is sent the way an attacker would and must end judged (a
verdict the backend saw) or refused (the backend never reached, nothing
recorded where the SPEC says so):

  Content-Type spellings PHP reads as a form      400, not recorded
  other methods, other body types, lower-case     415 (DoanraOtherRequests
  `post`, a JSON body                             pass lets them through)
  the location's fields in the query string       422, a `format` finding
  Range / If-Range on a judged POST               removed: the handler's 200
                                                  settles the trip
  cross-site POSTs (Origin, Sec-Fetch-Site)       403, not recorded
  DoanraAcceptStatus                              which statuses settle
                                                  `submitted`
  gzip bodies with SetInputFilter DEFLATE         judged inflated; without
                                                  the filter: 415
  forms that are not delegations (report mode)    untouched, unrecorded
"""
import gzip
import hashlib
import socket

import pytest

from harness import encode_multipart, encode_urlencoded, valid_trip

FORM = "application/x-www-form-urlencoded"


def digest(b):
    return hashlib.sha256(b).hexdigest()


def recorded(env, marker):
    """Submissions whose fields mention marker (a test's unique name)."""
    return int(env.psql("SELECT count(*) FROM doanra.submissions "
                        "WHERE fields::text LIKE '%%%s%%'"
                        % marker.replace("'", "''"))[0][0])


def marked_trip(members=2):
    t = valid_trip(members=members)
    return t, t.members[0]["name"]


def raw(env, method, target, headers, body=b""):
    """One request with headers sent verbatim (repeated names allowed);
    returns (status, head text, body bytes)."""
    lines = ["%s %s HTTP/1.1" % (method, target),
             "Host: 127.0.0.1:%d" % env.apache.port, "Connection: close"]
    lines += ["%s: %s" % kv for kv in headers]
    if body:
        lines.append("Content-Length: %d" % len(body))
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body
    with socket.create_connection(("127.0.0.1", env.apache.port),
                                  timeout=20) as s:
        s.sendall(data)
        got = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    head, _, rest = got.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, head.decode("iso-8859-1"), rest


# ---- Content-Type by RFC 9110's grammar -------------------------------------

AMBIGUOUS_TYPES = [
    "application/x-www-form-urlencoded, text/plain",
    "application/x-www-form-urlencoded text/plain",
    "application/x-www-form-urlencoded=",
    "application/x-www-form-urlencoded; charset=iso-8859-1",
    "text/plain, application/x-www-form-urlencoded",
    "multipart/form-data, boundary=B",
    "multipart/form-data; xboundary=A; boundary=B",
    "multipart/form-data",
]


@pytest.mark.parametrize("ctype", AMBIGUOUS_TYPES)
def test_ambiguous_content_type_refused(env, ctype):
    t, marker = marked_trip(members=11)
    body = encode_urlencoded(t.pairs())
    r = env.client.post("/verdict/submit", body, ctype)
    assert r.status == 400, (ctype, r.status, r.body[:300])
    assert not r.reached_backend()
    assert "Content-Type" in r.body and "CHƯA được gửi đi" in r.body
    assert recorded(env, marker) == 0


def test_content_type_sent_twice_refused(env):
    t, marker = marked_trip(members=11)
    body = encode_urlencoded(t.pairs())
    status, head, rest = raw(env, "POST", "/verdict/submit",
                             [("Content-Type", FORM), ("Content-Type", FORM)],
                             body)
    assert status == 400, head
    assert "X-Echo-Sha256" not in head
    assert recorded(env, marker) == 0


def test_form_type_with_utf8_charset_is_judged(env):
    t, marker = marked_trip(members=11)
    r = env.client.post("/verdict/submit", encode_urlencoded(t.pairs()),
                        FORM + "; charset=UTF-8")
    assert r.status == 422 and "size" in r.rules()
    assert recorded(env, marker) == 1


# ---- other methods and types ------------------------------------------------

@pytest.mark.parametrize("method", ["PUT", "PATCH", "post", "DELETE", "GET"])
def test_form_body_under_other_method_refused(env, method):
    t, marker = marked_trip(members=11)
    body = encode_urlencoded(t.pairs())
    status, head, rest = raw(env, method, "/verdict/submit",
                             [("Content-Type", FORM)], body)
    assert status == 415, head
    assert "X-Echo-Sha256" not in head
    assert "chỉ nhận hồ sơ gửi từ biểu mẫu" in rest.decode("utf-8")
    assert recorded(env, marker) == 0


@pytest.mark.parametrize("ctype", ["application/json", "text/plain", None,
                                   "multipart/mixed; boundary=x"])
def test_post_body_of_other_type_refused(env, ctype):
    t, marker = marked_trip(members=11)
    body = ('{"don_vi": "Sở Ngoại vụ", "tv_ho_ten": ["%s"]}' % marker).encode()
    headers = [("Content-Type", ctype)] if ctype else []
    status, head, rest = raw(env, "POST", "/verdict/submit", headers, body)
    assert status == 415, head
    assert "X-Echo-Sha256" not in head


def test_chunked_json_put_refused(env):
    r = env.client.request("PUT", "/verdict/submit", body=b'{"a": 1}',
                           headers={"Content-Type": "application/json"},
                           chunked=True)
    assert r.status == 415
    assert not r.reached_backend()


def test_other_requests_pass_lets_api_through_untouched(env):
    body = b'{"tv_ho_ten": ["x"]}'
    r = env.client.request("PUT", "/verdict/api", body=body,
                           headers={"Content-Type": "application/json"})
    assert r.status == 200 and r.reached_backend()
    assert r.header("X-Echo-Sha256") == digest(body)
    assert r.header("X-Doanra-Decision") is None
    # A form POST there is still judged.
    t, _ = marked_trip(members=11)
    r = env.post_form("/verdict/api", t)
    assert r.status == 422 and "size" in r.rules()


def test_bodyless_requests_pass_untouched(env):
    for method in ("GET", "DELETE", "OPTIONS"):
        status, head, rest = raw(env, method, "/verdict/submit", [])
        assert status == 200, (method, head)
        assert "X-Echo-Sha256" in head and "X-Doanra-Decision" not in head


# ---- the query string --------------------------------------------------------

def test_location_field_in_query_string_refused(env):
    t, marker = marked_trip()
    body = encode_urlencoded(t.pairs())
    r = env.client.post("/verdict/submit?tv_ho_ten=" + "X", body, FORM)
    assert r.status == 422, r.body[:300]
    assert not r.reached_backend()
    assert "format" in r.rules()


def test_delegation_in_query_string_of_get_refused(env):
    t, marker = marked_trip(members=11)
    q = encode_urlencoded(t.pairs()).decode("ascii")
    r = env.get("/verdict/submit?" + q)
    assert r.status == 422, r.body[:300]
    assert not r.reached_backend()
    assert "format" in r.rules()


def test_other_query_parameters_are_fine(env):
    t, marker = marked_trip()
    r = env.client.post("/verdict/submit?lang=vi&page=2",
                        encode_urlencoded(t.pairs()), FORM)
    assert r.status == 200 and r.reached_backend()


# ---- Range and the handler's status ----------------------------------------

@pytest.mark.parametrize("headers", [
    {"Range": "bytes=100000-200000"},
    {"Range": "bytes=0-10"},
    {"Range": "bytes=0-10", "If-Range": "\"no-such-etag\""},
])
def test_range_removed_and_trip_settled_by_handler(env, headers):
    t, marker = marked_trip()
    body = encode_urlencoded(t.pairs())
    r = env.client.post("/verdict/submit", body, FORM, headers=headers)
    assert r.status == 200, (r.status, r.body[:200])
    assert r.reached_backend()
    sid = int(r.header("X-Doanra-Submission"))
    trip = env.wait_for(lambda: (env.trip_of(sid) or {}).get("status")
                        not in (None, "pending") and env.trip_of(sid))
    assert trip["status"] == "submitted"


# ---- cross-site requests ----------------------------------------------------

@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"},
    {"Origin": "https://intranet.quangninh.gov.vn.evil.example"},
    {"Origin": "null"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "cross-site", "Origin": "http://127.0.0.1"},
])
def test_cross_site_post_refused_and_not_recorded(env, headers):
    t, marker = marked_trip()
    r = env.post_form("/verdict/submit", t, headers=headers)
    assert r.status == 403, r.body[:300]
    assert not r.reached_backend()
    assert "trang web khác" in r.body
    assert recorded(env, marker) == 0


@pytest.mark.parametrize("headers", [
    {"Origin": "http://127.0.0.1"},          # another port: a TLS proxy
    {"Origin": "https://127.0.0.1:8443"},
    {"Sec-Fetch-Site": "same-origin"},
    {"Sec-Fetch-Site": "same-site"},
    {"Sec-Fetch-Site": "none"},
    {},
])
def test_same_origin_posts_judged(env, headers):
    t, marker = marked_trip()
    r = env.post_form("/verdict/submit", t, headers=headers)
    assert r.status == 200 and r.reached_backend(), r.body[:300]
    assert r.header("X-Doanra-Decision") == "pass"


def test_same_origin_off(env):
    t, marker = marked_trip()
    r = env.post_form("/verdict/anyorigin", t,
                      headers={"Origin": "http://evil.example"})
    assert r.status == 200 and r.reached_backend()
    assert recorded(env, marker) == 1


# ---- DoanraAcceptStatus -----------------------------------------------------

def settled_status(env, r):
    sid = int(r.header("X-Doanra-Submission"))
    trip = env.wait_for(lambda: (env.trip_of(sid) or {}).get("status")
                        not in (None, "pending") and env.trip_of(sid))
    return trip["status"]


@pytest.mark.parametrize("path,query,expect", [
    ("/verdict/submit", "location=/login", "submitted"),     # default 200-399
    ("/verdict/accept2xx", "location=/login", "void"),       # a login redirect
    ("/verdict/accept2xx", "status=201", "submitted"),
    ("/verdict/accept", "location=/done", "submitted"),       # 200 303
    ("/verdict/accept", "status=201", "void"),
    ("/verdict/accept", "", "submitted"),
])
def test_accept_status(env, path, query, expect):
    t, marker = marked_trip()
    r = env.post_form(path + ("?" + query if query else ""), t)
    assert r.reached_backend() or r.status == 303
    assert settled_status(env, r) == expect


# ---- gzip request bodies ----------------------------------------------------

def test_gzip_body_judged_inflated(env):
    t, marker = marked_trip()
    body = encode_urlencoded(t.pairs())
    r = env.client.post("/verdict/gzip", gzip.compress(body), FORM,
                        headers={"Content-Encoding": "gzip"})
    assert r.status == 200, r.body[:300]
    assert r.header("X-Doanra-Decision") == "pass"
    # The backend gets what mod_deflate would have given it: the form.
    assert r.header("X-Echo-Sha256") == digest(body)
    assert r.header("X-Echo-Length") == str(len(body))
    assert recorded(env, marker) == 1


def test_gzip_body_failing_trip_blocked(env):
    t, marker = marked_trip(members=11)
    body = encode_urlencoded(t.pairs())
    r = env.client.post("/verdict/gzip", gzip.compress(body), FORM,
                        headers={"Content-Encoding": "gzip"})
    assert r.status == 422 and "size" in r.rules()
    assert not r.reached_backend()


def test_gzip_multipart_judged_inflated(env):
    t, marker = marked_trip(members=11)
    body, ctype = encode_multipart(t.pairs())
    r = env.client.post("/verdict/gzip", gzip.compress(body), ctype,
                        headers={"Content-Encoding": "gzip"})
    assert r.status == 422 and "size" in r.rules()


def test_encoded_body_without_inflate_refused(env):
    t, marker = marked_trip(members=11)
    body = encode_urlencoded(t.pairs())
    r = env.client.post("/verdict/submit", gzip.compress(body), FORM,
                        headers={"Content-Encoding": "gzip"})
    assert r.status == 415, r.body[:300]
    assert not r.reached_backend()


# ---- forms that are not delegations ----------------------------------------

def test_login_form_in_report_mode_untouched(env):
    marker = "nguoidung-" + valid_trip().members[0]["name"][-8:]
    body = encode_urlencoded([("username", marker), ("password", "x")])
    r = env.client.post("/verdict/report", body, FORM)
    assert r.status == 200 and r.reached_backend()
    assert r.header("X-Doanra-Decision") is None
    assert "doanra-result" not in r.body
    assert r.header("X-Echo-Sha256") == digest(body)
    assert recorded(env, marker) == 0


def test_login_form_at_enforce_location_is_judged(env):
    marker = "nguoidung-" + valid_trip().members[0]["name"][-8:]
    r = env.post_form("/verdict/submit", [("username", marker),
                                          ("password", "x")])
    assert r.status == 422 and "required" in r.rules()
    assert not r.reached_backend()
    assert recorded(env, marker) == 1


def test_delegation_in_report_mode_recorded(env):
    t, marker = marked_trip(members=11)
    r = env.post_form("/verdict/report", t)
    assert r.status == 200 and r.reached_backend()
    assert r.header("X-Doanra-Decision") == "fail"
    assert recorded(env, marker) == 1


# ---- the JSON check reads the Content-Type the same way ---------------------

@pytest.mark.parametrize("ctype", AMBIGUOUS_TYPES[:3])
def test_json_check_refuses_ambiguous_content_type(env, ctype):
    t, marker = marked_trip(members=11)
    r = env.client.post("/doanra/check", encode_urlencoded(t.pairs()), ctype)
    assert r.status == 400
    assert r.header("Content-Type").startswith("application/json")
    assert "Content-Type" in r.json()["error"]
