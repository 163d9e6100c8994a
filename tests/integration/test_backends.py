"""test_backends.py - real applications behind the module (conf.d/backends.conf).

The echo backend shows the bytes; these show what an application makes of
them.  Behind `DoanraMode enforce`:

  PHP   Debian's php-cgi run as a CGI (Action + ScriptAlias, an internal
        redirect), answering with json_encode($_POST, $_GET, $_FILES) and the
        X-Doanra-* headers it saw (backends/trip.php)
  PHP-S the same page served by PHP's built-in server (`php -S`, started
        here) behind mod_proxy_http
  Lua   an in-process mod_lua handler reading the body with r:parsebody()
        (backends/trip.lua); its page passes Apache's byte-range filter after
        it has answered

All append one JSON line per request to backends/requests.log, so a test
can prove whether a request reached them at all.

What is checked (SPEC section 4, "What the module judges is what the backend
reads"):
  - for accepted bodies PHP's $_POST and the module's recorded fields
    (doanra.submissions.fields) agree, and so do the trip the module stored
    and what PHP read: members (names, codes, positions), legs, unit, dates;
  - a failing trip reaches neither backend; a passing one reaches each once,
    with the same decision and submission id the client was told;
  - Range / If-Range on a judged POST: the backend sees neither, the client
    gets the handler's 200 and the trip is settled `submitted`.
"""
import json
import os
import shutil
import subprocess
import time
import unicodedata

import pytest

from harness import IS_ROOT, ROOT, Trip, encode_multipart, encode_urlencoded, \
    sql_literal, unique_suffix, valid_trip, wait_port

PHP = "/backends/php/trip.php"
PHPS = "/backends/phps/trip.php"
LUA = "/backends/lua/trip"
BACKENDS_DIR = os.path.join(ROOT, "tests", "integration", "backends")

needs_php = pytest.mark.skipif(shutil.which("php-cgi") is None,
                               reason="Debian's php-cgi is not installed "
                               "(.ci/packages.d/integration.txt)")
needs_php_cli = pytest.mark.skipif(shutil.which("php") is None,
                                   reason="Debian's php-cli is not installed "
                                   "(.ci/packages.d/integration.txt)")
# The PHP page as a CGI and behind a reverse proxy.
PHP_PATHS = [pytest.param(PHP, id="php-cgi", marks=needs_php),
             pytest.param(PHPS, id="php-S-proxy", marks=needs_php_cli)]

ROW_FIELDS = ("quoc_gia", "tu_ngay", "den_ngay", "tv_ho_ten", "tv_ma",
              "tv_chuc_vu", "tv_don_vi")


# ---- fixtures and helpers ---------------------------------------------------

class BackendLog:
    """backends/requests.log: one JSON object per request a backend saw."""

    def __init__(self, path):
        self.path = path

    def lines(self):
        try:
            with open(self.path, encoding="utf-8") as f:
                return [json.loads(l) for l in f if l.strip()]
        except FileNotFoundError:
            return []

    def count(self):
        return len(self.lines())

    def since(self, n):
        return self.lines()[n:]

    def for_submission(self, sid, backend=None):
        return [l for l in self.lines()
                if (l.get("doanra") or {}).get("submission") == str(sid)
                and (backend is None or l.get("backend") == backend)]


@pytest.fixture(scope="module")
def backends(env):
    # The server's children run as www-data when the tests run as root: the
    # backends need a directory they may write their log into.
    d = os.path.join(env.apache.run, "backends")
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o777)
    path = os.path.join(d, "requests.log")
    open(path, "a").close()
    os.chmod(path, 0o666)
    return BackendLog(path)


@pytest.fixture(scope="module")
def php_server(env, backends):
    """PHP's built-in server on the port /backends/phps/ proxies to, as the
    server's user, logging to the same file."""
    argv = ["env", "DOANRA_BACKENDS_LOG=" + backends.path, "php",
            "-d", "display_errors=0", "-S",
            "127.0.0.1:%d" % env.apache.backend_port, "-t", BACKENDS_DIR]
    if IS_ROOT:
        argv = ["runuser", "-u", "www-data", "--"] + argv
    log = open(os.path.join(os.path.dirname(backends.path), "php-S.log"), "ab")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    try:
        if not wait_port(env.apache.backend_port, 10,
                         proc_alive=lambda: proc.poll() is None):
            pytest.fail("php -S did not start (see %s)" % log.name)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def backend_for(request):
    """backend_for(path): start what the path needs; the X-Backend it answers."""
    def f(path):
        if path == PHPS:
            request.getfixturevalue("php_server")
        return "lua" if path == LUA else "php"
    return f


def pre_json(r, pre_id):
    """The JSON a backend put in <pre id=...>, or None."""
    text = r.parsed.pre.get(pre_id)
    return json.loads(text) if text is not None else None


def sid_of(r):
    v = r.header("X-Doanra-Submission")
    assert v and v.isdigit(), "no X-Doanra-Submission in %r: %s" % (r, r.headers)
    return int(v)


def as_list(v):
    """A field's values as a list: PHP arrays (lists, or objects with
    numeric keys in JSON) and the module's repeated-name arrays alike."""
    if isinstance(v, list):
        return v
    if isinstance(v, dict):
        return [v[k] for k in sorted(v, key=int)]
    return [v]


def by_name(fields, drop=()):
    """name (without a trailing []) -> list of values."""
    out = {}
    for k, v in fields.items():
        name = k[:-2] if k.endswith("[]") else k
        if name in drop:
            continue
        out.setdefault(name, []).extend(as_list(v))
    return out


def module_fields(env, sid, drop=()):
    s = env.submission(sid)
    assert s is not None, "no submission %s" % sid
    return by_name(s["fields"], drop)


def rows(fields, *names):
    """Non-blank rows of the row fields names (a form's n-th values)."""
    cols = [fields.get(n, []) for n in names]
    out = []
    for i in range(max(len(c) for c in cols)):
        row = tuple(c[i] if i < len(c) else "" for c in cols)
        if any(row):
            out.append(row)
    return out


def new_official(env, name, position):
    """A registered (not key leader) official of the test unit; returns the
    member dict a Trip takes."""
    code = "BK" + unique_suffix()
    env.psql("INSERT INTO doanra.officials(code, full_name, unit_code, position,"
             " is_key_leader) VALUES (%s, %s, 'TST', %s, false)"
             % (sql_literal(code), sql_literal(name), sql_literal(position)))
    return {"name": name, "code": code, "position": position, "unit": ""}


def settled_trip(env, sid, status="submitted"):
    return env.wait_trip_status(sid, status)


def post(env, path, fields, multipart=False, chunked=False, files=(),
         headers=None):
    if isinstance(fields, Trip):
        fields = fields.pairs()
    if multipart:
        body, ctype = encode_multipart(fields, files)
    else:
        body, ctype = encode_urlencoded(fields), "application/x-www-form-urlencoded"
    h = {"Content-Type": ctype}
    h.update(headers or {})
    return env.client.request("POST", path, body=body, headers=h, chunked=chunked)


# ---- the accepted bodies ----------------------------------------------------

_SURNAMES = ["Nguyễn Thị Ánh", "Trần Quốc Việt", "Lê Hoàng Yến", "Phạm Đức Thắng",
             "Hoàng Thị Thuỷ", "Vũ Ngọc Ẩn", "Đặng Thị Mỹ Ðiệp"]
_POSITIONS = ["Phó Trưởng phòng", "Chuyên viên chính", "Kế toán viên",
              "Chuyên viên", "Thư ký", "Cán sự", "Phiên dịch viên"]


def people(env, n, form="NFC", registered=2):
    """n members with Vietnamese names in normal form `form`; the first
    `registered` are in the registry and carry their code."""
    out = []
    for i in range(n):
        name = "%s %s" % (_SURNAMES[i % len(_SURNAMES)], unique_suffix())
        pos = _POSITIONS[i % len(_POSITIONS)]
        if i < registered:
            m = new_official(env, name, pos)
        else:
            m = {"name": name, "code": "", "position": pos, "unit": ""}
        m["name"] = unicodedata.normalize(form, m["name"])
        m["position"] = unicodedata.normalize(form, m["position"])
        out.append(m)
    return out


# Every case is a trip that passes; `kind` says how it is sent.
CASES = {
    "urlencoded-brackets": dict(members=3),
    "urlencoded-vn-dates": dict(members=2, datefmt="vn"),
    "multipart": dict(members=3, multipart=True),
    "multipart-file-vn-dates": dict(members=2, multipart=True, datefmt="vn",
                                    files=True),
    "chunked-urlencoded": dict(members=2, chunked=True),
    "chunked-multipart": dict(members=2, multipart=True, chunked=True),
    "nfc-names": dict(members=4, form="NFC"),
    "nfd-names": dict(members=4, form="NFD", datefmt="vn"),
    "several-members-and-legs": dict(members=7, legs=([2, 3, 2], ["JP", "KR", "CN"])),
    "several-legs-multipart-nfd": dict(members=5, form="NFD", multipart=True,
                                       datefmt="vn",
                                       legs=([3, 2], ["TH", "LA"])),
}

_case_start = iter(range(40, 400, 9))


def build(env, case):
    """(trip, post keyword arguments) for a case; each case gets dates of
    its own so that no two cases overlap (member-overlap)."""
    c = CASES[case]
    t = valid_trip(days_ahead=next(_case_start))
    if "legs" in c:
        days, countries = c["legs"]
        t.set_dates(t.ngay_di, days, countries)
    t.members = people(env, c["members"], c.get("form", "NFC"))
    t.datefmt = c.get("datefmt", "iso")
    t.muc_dich = "Khảo sát %s (%s)" % (case, unique_suffix())
    kw = {"multipart": c.get("multipart", False), "chunked": c.get("chunked", False)}
    if c.get("files"):
        kw["files"] = [("cong_van", "giấy mời.pdf", "application/pdf",
                        b"%PDF-1.4\n% test\n" + os.urandom(64))]
    return t, kw


def expect_reached(r, backend):
    assert r.status == 200, "%r: %s" % (r, r.body[:1500])
    assert r.header("X-Backend") == backend, r.body[:1500]
    assert r.header("X-Doanra-Decision") == "pass", r.body[:1500]


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("path", PHP_PATHS)
def test_php_reads_what_the_module_judged(env, backends, backend_for, path, case):
    backend_for(path)
    t, kw = build(env, case)
    r = post(env, path, t, **kw)
    expect_reached(r, "php")
    sid = sid_of(r)
    php = pre_json(r, "php")
    assert php is not None, r.body[:1500]
    files = sorted(php["files"])
    assert files == sorted(name for name, _, _, _ in kw.get("files", ()))
    for name, filename, _, data in kw.get("files", ()):
        assert php["files"][name]["name"] == filename
        assert php["files"][name]["size"] == len(data)

    # The same fields, value for value (file parts aside: PHP keeps them
    # out of $_POST; the module records their file name).
    mine = module_fields(env, sid, drop=files)
    theirs = by_name(php["post"])
    assert mine == theirs
    assert php["get"] == [] or php["get"] == {}

    # The same delegation.
    trip = settled_trip(env, sid)
    assert trip and trip["status"] == "submitted", trip
    assert trip["unit_code"] == theirs["ma_don_vi"][0]
    assert trip["unit_name"] == theirs["don_vi"][0]
    assert trip["purpose"] == theirs["muc_dich"][0]
    assert trip["ngay_di"] == php["dates"]["ngay_di"]
    assert trip["ngay_ve"] == php["dates"]["ngay_ve"]
    legs = env.psql_json("SELECT country, from_date, to_date FROM doanra.trip_legs"
                         " WHERE trip_id = %d ORDER BY seq" % trip["id"])
    php_legs = rows({"quoc_gia": as_list(php["post"]["quoc_gia"]),
                     "tu_ngay": as_list(php["dates"]["tu_ngay"]),
                     "den_ngay": as_list(php["dates"]["den_ngay"])},
                    "quoc_gia", "tu_ngay", "den_ngay")
    assert [(l["country"], l["from_date"], l["to_date"]) for l in legs] == php_legs
    assert len(legs) == len(t.legs)
    members = env.psql_json("SELECT full_name, official_code, position FROM "
                            "doanra.trip_members WHERE trip_id = %d ORDER BY seq"
                            % trip["id"])
    php_members = rows(theirs, "tv_ho_ten", "tv_ma", "tv_chuc_vu")
    assert len(members) == len(php_members) == len(t.members) == trip["member_count"]
    for m, (name, code, position) in zip(members, php_members):
        # Both keep the name as typed (NFD stays NFD; the module compares
        # people by a normalised key, not by this text).
        assert m["full_name"] == name
        assert (m["official_code"] or "") == code
        assert (m["position"] or "") == position

    # And PHP was told the verdict the client got, once.
    assert php["doanra"]["decision"] == r.header("X-Doanra-Decision")
    assert php["doanra"]["submission"] == r.header("X-Doanra-Submission")
    assert len(backends.for_submission(sid, "php")) == 1
    assert php["sapi"] == ("cli-server" if path == PHPS else "cgi-fcgi")


# mod_lua's r:parsebody() has readings of its own (httpd 2.4 lua_request.c):
# urlencoded values of a repeated name come last first (it pops the parsed
# pairs off the end of the array), and its multipart reader stops at the
# first part whose value is empty.  Neither can make the handler read more
# than the module judged: the rows are the same rows, reversed, and a
# multipart reading is a prefix of the module's.

@pytest.mark.parametrize("case", ["urlencoded-brackets", "urlencoded-vn-dates",
                                  "chunked-urlencoded", "nfd-names",
                                  "several-members-and-legs"])
def test_lua_reads_what_the_module_judged(env, backends, case):
    t, kw = build(env, case)
    r = post(env, LUA, t, **kw)
    expect_reached(r, "lua")
    sid = sid_of(r)
    lua = pre_json(r, "lua")
    assert lua is not None, r.body[:1500]
    theirs = {k: list(reversed(v)) for k, v in by_name(lua["fields"]).items()}
    assert module_fields(env, sid) == theirs
    assert lua["doanra"]["decision"] == "pass"
    assert lua["doanra"]["submission"] == str(sid)
    assert settled_trip(env, sid)["status"] == "submitted"
    assert len(backends.for_submission(sid, "lua")) == 1


@pytest.mark.parametrize("case", ["multipart", "chunked-multipart",
                                  "several-legs-multipart-nfd"])
def test_lua_multipart_reads_no_more_than_judged(env, backends, case):
    t, kw = build(env, case)
    r = post(env, LUA, t, **kw)
    expect_reached(r, "lua")
    sid = sid_of(r)
    lua = by_name(pre_json(r, "lua")["fields"])
    mine = module_fields(env, sid)
    assert lua, "mod_lua read no field at all"
    for name, values in lua.items():
        assert mine.get(name, [])[:len(values)] == values, name
    assert settled_trip(env, sid)["status"] == "submitted"


@pytest.mark.xfail(strict=True, reason=(
    "SPEC section 2 accepts a row field sent as `name` repeated (servlets and "
    "Python read every value), but PHP keeps only the last: the module judges "
    "every row, a PHP application sees one member and one leg. PHP forms "
    "send `name[]`; refusing bare repeats needs a SPEC decision"))
@pytest.mark.parametrize("path", PHP_PATHS)
def test_php_repeated_plain_names_agree_or_are_refused(env, backends, backend_for,
                                                       path):
    backend_for(path)
    t = valid_trip(days_ahead=33, members=3)
    t.muc_dich = "Tên lặp không ngoặc %s" % unique_suffix()
    before = backends.count()
    r = post(env, path, t.pairs(brackets=False))
    if r.header("X-Backend") != "php":
        # Refused: a block page, and PHP never saw it.
        assert r.status in (400, 422), r
        assert r.header("X-Doanra-Decision") == "fail"
        assert backends.since(before) == []
        return
    sid = sid_of(r)
    php = pre_json(r, "php")
    assert module_fields(env, sid) == by_name(php["post"])


# ---- what reaches the backends ----------------------------------------------

def failing_trip():
    t = valid_trip(days_ahead=45, members=11)     # size: more than 10
    t.muc_dich = "Đoàn quá đông %s" % unique_suffix()
    return t


@pytest.mark.parametrize("path", PHP_PATHS + [pytest.param(LUA, id="lua")])
@pytest.mark.parametrize("multipart", [False, True], ids=["urlencoded", "multipart"])
def test_failing_trip_reaches_no_backend(env, backends, backend_for, path,
                                         multipart):
    backend_for(path)
    before = backends.count()
    r = post(env, path, failing_trip(), multipart=multipart)
    assert r.status == 422, "%r: %s" % (r, r.body[:800])
    assert r.header("X-Backend") is None
    assert r.header("X-Doanra-Decision") == "fail"
    assert "size" in r.rules()
    sid = sid_of(r)
    time.sleep(0.2)
    assert backends.since(before) == []
    assert env.trip_of(sid) is None


@pytest.mark.parametrize("path", PHP_PATHS + [pytest.param(LUA, id="lua")])
def test_passing_trip_reaches_backend_once_with_the_verdict(env, backends,
                                                            backend_for, path):
    backend = backend_for(path)
    t = valid_trip(days_ahead=47, members=2)
    t.muc_dich = "Một lần %s" % unique_suffix()
    before = backends.count()
    r = post(env, path, t)
    expect_reached(r, backend)
    sid = sid_of(r)
    seen = backends.since(before)
    assert len(seen) == 1, seen
    assert seen[0]["backend"] == backend
    assert seen[0]["doanra"]["decision"] == r.header("X-Doanra-Decision") == "pass"
    assert seen[0]["doanra"]["submission"] == r.header("X-Doanra-Submission") == str(sid)
    assert seen[0]["method"] == "POST"
    assert settled_trip(env, sid)["status"] == "submitted"


@pytest.mark.parametrize("path", PHP_PATHS + [pytest.param(LUA, id="lua")])
def test_client_doanra_headers_never_reach_backend(env, backends, backend_for,
                                                   path):
    backend = backend_for(path)
    t = valid_trip(days_ahead=49, members=2)
    r = post(env, path, t, headers={"X-Doanra-Decision": "pass",
                                    "X-Doanra-Submission": "1",
                                    "X-Doanra-Rules": ""})
    expect_reached(r, backend)
    seen = backends.for_submission(sid_of(r), backend)
    assert len(seen) == 1
    assert seen[0]["doanra"]["rules"] == ""
    assert seen[0]["doanra"]["submission"] == r.header("X-Doanra-Submission")


# ---- Range on a judged POST (in-process handler) ----------------------------

RANGES = {
    "unsatisfiable": {"Range": "bytes=100000-200000"},
    "unsatisfiable-if-range": {"Range": "bytes=100000-200000",
                               "If-Range": '"doanra-lua-1"'},
    "partial": {"Range": "bytes=0-99"},
}


@pytest.mark.parametrize("case", sorted(RANGES))
def test_range_is_removed_and_trip_settled_by_handler(env, backends, case):
    t = valid_trip(days_ahead=51 + 7 * sorted(RANGES).index(case), members=2)
    t.muc_dich = "Range %s %s" % (case, unique_suffix())
    before = backends.count()
    r = post(env, LUA, t, headers=RANGES[case])
    rows_ = env.psql_json("SELECT id FROM doanra.submissions WHERE location = %s"
                          " AND fields->>'muc_dich' = %s"
                          % (sql_literal(LUA), sql_literal(t.muc_dich)))
    assert len(rows_) == 1, rows_
    sid = rows_[0]["id"]
    seen = backends.since(before)
    assert len(seen) == 1, seen
    # What the application saw: no Range, no If-Range.
    # (the log line leaves a missing header out)
    assert seen[0].get("range") is None, seen[0]
    assert seen[0].get("if_range") is None, seen[0]
    # What the client got: the handler's whole page.
    assert r.status == 200, "%r: %s" % (r, r.body[:400])
    assert r.header("Content-Range") is None
    assert pre_json(r, "lua") is not None
    assert r.header("X-Doanra-Submission") == str(sid)
    # What was recorded: the handler's answer.
    trip = env.wait_trip_status(sid, "submitted")
    assert trip["status"] == "submitted", trip
    assert env.submission(sid)["backend_status"] == 200


# ---- ways around the verdict, against the real readers ----------------------
#
# Each request below is built so that the backend, reading it its own way,
# sees a delegation the module did not judge: eleven members where the
# module saw two, a field from the query string, a value the module read
# differently, a body it skipped.  SPEC section 4: at an enforce location
# nothing reaches the backend without a verdict, and what reaches it is
# what was judged.  So: either the backend was not reached, or it was
# reached with the module's verdict and read exactly the fields the module
# recorded.

def raw_request(env, method, path, headers, body):
    """A request with headers as given (a list: names may repeat)."""
    import http.client
    from harness import Response
    conn = http.client.HTTPConnection("127.0.0.1", env.apache.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        names = [k.lower() for k, _ in headers]
        for k, v in headers:
            conn.putheader(k, v)
        if body is not None and "content-length" not in names \
                and "transfer-encoding" not in names:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        return Response(resp.status, resp.reason, resp.getheaders(), resp.read())
    finally:
        conn.close()


def extra_people(n):
    return ["Người Thêm %d %s" % (i, unique_suffix()) for i in range(n)]


def small_trip():
    t = valid_trip(days_ahead=60, members=2)
    t.muc_dich = "Vòng qua %s" % unique_suffix()
    return t


def urlenc(pairs):
    return encode_urlencoded(pairs)


def multipart_raw(parts, boundary="doanraB0undary", tail=b""):
    """parts: (disposition params, value) -> a multipart body written by
    hand, so that a part can say what no browser would."""
    out = b""
    for params, value in parts:
        out += (b"--" + boundary.encode() + b"\r\nContent-Disposition: form-data; "
                + params.encode("utf-8") + b"\r\n\r\n" + value.encode("utf-8") + b"\r\n")
    return out + b"--" + boundary.encode() + b"--\r\n" + tail


def mp_parts(pairs):
    return [('name="%s"' % k, v) for k, v in pairs]


FORM = "application/x-www-form-urlencoded"


def bypasses():
    """id -> function() -> (method, query, headers, body)."""
    def ctype(value, twice=False):
        def f():
            body = urlenc(small_trip().pairs() +
                          [("tv_ho_ten[]", n) for n in extra_people(9)])
            h = [("Content-Type", value)]
            if twice:
                h.append(("Content-Type", value))
            return "POST", "", h, body
        return f

    def renamed(name):
        def f():
            extra = [(name.replace("#", str(20 + i)), n)
                     for i, n in enumerate(extra_people(9))]
            return "POST", "", [("Content-Type", FORM)], \
                urlenc(small_trip().pairs() + extra)
        return f

    def repeated_single():
        t = small_trip()
        # the module reads one departure, PHP the last: 40 days abroad
        later = (t.ngay_ve + __import__("datetime").timedelta(days=40)).isoformat()
        return "POST", "", [("Content-Type", FORM)], \
            urlenc(t.pairs() + [("ngay_ve", later)])

    def in_query():
        t = small_trip()
        body = urlenc(t.without("ly_do_phat_sinh", "ma_ke_hoach"))
        return "POST", "?ma_ke_hoach=KH-KHONG-CO&ly_do_phat_sinh=x", \
            [("Content-Type", FORM)], body

    def mp(kind):
        def f():
            t = small_trip()
            parts = mp_parts(t.pairs())
            tail = b""
            if kind == "two-names":
                parts += [('name="ghi_chu"; name="tv_ho_ten[]"', n)
                          for n in extra_people(9)]
            elif kind == "filename-star":
                parts += [('name="tv_ho_ten[]"; filename*=UTF-8\'\'a.txt', n)
                          for n in extra_people(9)]
            elif kind == "after-close":
                tail = multipart_raw(mp_parts([("tv_ho_ten[]", n)
                                               for n in extra_people(9)]))
            return "POST", "", [("Content-Type",
                                 "multipart/form-data; boundary=doanraB0undary")], \
                multipart_raw(parts, tail=tail)
        return f

    def ctype_mp_comma():
        t = small_trip()
        body = multipart_raw(mp_parts(t.pairs() + [("tv_ho_ten[]", n)
                                                   for n in extra_people(9)]))
        return "POST", "", [("Content-Type",
                             "multipart/form-data, boundary=doanraB0undary")], body

    def method(m):
        def f():
            body = urlenc(small_trip().pairs() +
                          [("tv_ho_ten[]", n) for n in extra_people(9)])
            return m, "", [("Content-Type", FORM)], body
        return f

    def as_json():
        t = small_trip()
        return "POST", "", [("Content-Type", "application/json")], \
            json.dumps(dict(t.pairs())).encode("utf-8")

    return {
        "ctype-list": ctype(FORM + ", text/plain"),
        "ctype-space-junk": ctype(FORM + " text/plain"),
        "ctype-equals": ctype(FORM + "="),
        "ctype-twice": ctype(FORM, twice=True),
        "ctype-multipart-comma": ctype_mp_comma,
        "name-dots": renamed("tv.ho.ten[]"),
        "name-spaces": renamed("tv ho ten[]"),
        "name-index": renamed("tv_ho_ten[#]"),
        "name-leading-space": renamed(" tv_ho_ten[]"),
        "repeated-single-field": repeated_single,
        "field-in-query": in_query,
        "mp-two-names": mp("two-names"),
        "mp-filename-star": mp("filename-star"),
        "mp-part-after-close": mp("after-close"),
        "method-put": method("PUT"),
        "method-patch": method("PATCH"),
        "method-lowercase-post": method("post"),
        "json-body": as_json,
    }


BYPASSES = bypasses()


def backend_reading(r, path):
    """name -> list of values, as the backend read the request."""
    if path == LUA:
        data = pre_json(r, "lua")
        assert data is not None, r.body[:800]
        return {k: list(reversed(v)) for k, v in by_name(data["fields"]).items()}
    data = pre_json(r, "php")
    assert data is not None, r.body[:800]
    return by_name(data["request"] or {})


def assert_judged_or_refused(env, backends, before, r, path):
    seen = backends.since(before)
    if not seen:
        assert r.status >= 400, "%r: nothing reached the backend but %d" % (r, r.status)
        return
    assert len(seen) == 1, seen
    doanra = seen[0].get("doanra") or {}
    sid = doanra.get("submission")
    assert sid, "reached the backend without a verdict: %s" % seen[0]
    assert doanra.get("decision") in ("pass", "warn"), seen[0]
    assert module_fields(env, sid) == backend_reading(r, path)


# Today's module lets these through (issue 9); the fix flips them.  The
# readers differ: PHP's built-in server answers a lower-case `post` itself
# without running the page, so that one reaches only php-cgi and mod_lua.
# mod_lua reads neither PHP's names nor PHP's multipart nor the query.
_LUA_CASES = sorted(k for k in BYPASSES if not k.startswith(("name-", "mp-"))
                    and k not in ("field-in-query", "ctype-multipart-comma",
                                  "repeated-single-field"))


def _bypass_params():
    out = []
    paths = PHP_PATHS + [pytest.param(LUA, id="lua")]
    for case in sorted(BYPASSES):
        for p in paths:
            if p.id == "lua" and case not in _LUA_CASES:
                continue
            marks = list(p.marks)
            out.append(pytest.param(p.values[0], case, marks=marks,
                                    id="%s-%s" % (p.id, case)))
    return out


@pytest.mark.parametrize("path,case", _bypass_params())
def test_no_way_around_the_verdict(env, backends, backend_for, path, case):
    backend_for(path)
    method, query, headers, body = BYPASSES[case]()
    before = backends.count()
    r = raw_request(env, method, path + query, headers, body)
    assert_judged_or_refused(env, backends, before, r, path)


@pytest.mark.parametrize("headers", [
    {"Origin": "http://ke-xau.example.net"},
    {"Sec-Fetch-Site": "cross-site"}], ids=["origin", "sec-fetch-site"])
@pytest.mark.parametrize("path", PHP_PATHS + [pytest.param(LUA, id="lua")])
def test_cross_site_post_reaches_no_backend(env, backends, backend_for, path,
                                            headers):
    backend_for(path)
    t = small_trip()
    before = backends.count()
    r = post(env, path, t, headers=headers)
    assert r.status == 403, r
    assert backends.since(before) == []
    assert env.psql("SELECT id FROM doanra.submissions WHERE fields->>'muc_dich' = %s"
                    % sql_literal(t.muc_dich)) == []


# ---- gzip request bodies -----------------------------------------------------

@pytest.mark.parametrize("path", [
    pytest.param("/backends/gz/phps/trip.php", id="php-S-proxy",
                 marks=needs_php_cli),
    pytest.param("/backends/gz/lua/trip", id="lua")])
def test_gzip_body_is_judged_inflated_and_read_the_same(env, backends, backend_for,
                                                       path):
    import gzip
    backend = "lua" if path.endswith("/lua/trip") else "php"
    if backend == "php":
        backend_for(PHPS)
    t = small_trip()
    before = backends.count()
    r = raw_request(env, "POST", path, [("Content-Type", FORM),
                                         ("Content-Encoding", "gzip")],
                    gzip.compress(encode_urlencoded(t.pairs())))
    expect_reached(r, backend)
    sid = sid_of(r)
    assert env.submission(sid)["fields"]["muc_dich"] == t.muc_dich
    assert module_fields(env, sid) == backend_reading(r, LUA if backend == "lua" else PHP)
    assert len(backends.since(before)) == 1
