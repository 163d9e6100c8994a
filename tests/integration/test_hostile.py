"""test_hostile.py - bad input against the real server (SPEC section 4:
"Bad input never crashes a process and never reaches the backend
unchecked").  Locations are in conf.d/hostile.conf.

Every case is judged the same way (Probe.judge):

  no crash        no httpd child died on a signal during the test (the
                  error log), checked by the autouse `intact` fixture;
  no unchecked    an answer from the echo backend carries the module's
  backend call    verdict (X-Doanra-Decision / X-Doanra-Submission as the
                  backend saw them, equal to the response headers, exactly
                  one of each); a blocked answer has no trace of the
                  backend, and hostile-backend.log has no line for the
                  test's tag (also when no answer came at all);
  a clear answer  the status is in the case's expected set; the module's
                  own pages are HTML in Vietnamese with the result block or
                  an error title; the JSON check answers JSON;
  database intact the schema (relations, columns, functions, roles),
                  the reference data and every submission stay readable
                  and unchanged; the new submission rows are exactly those
                  the responses announced.

Raw sockets (RawHTTP) send what http.client would normalise: duplicate
Content-Length, broken chunk sizes, Expect: 100-continue, a body that
trickles in, header names in odd case.
"""
import csv
import html.parser
import json
import os
import socket
import time
import urllib.parse
import uuid

import pytest

from harness import (Response, encode_multipart, encode_urlencoded,
                     valid_trip)

# harness.Postgres.psql reads psql's CSV: a record near 1 MiB is one field.
csv.field_size_limit(64 * 1024 * 1024)

FORM = "application/x-www-form-urlencoded"
DEFAULT_MAX_BODY = 1048576
SMALL_MAX_BODY = 4096          # /hostile/small, /hostile/smallcheck
ECHO_MARK = '<pre id="echo">'  # the echo backend's report

# Markup that would run or break out of an attribute or a textarea if a
# value were copied into a page unescaped.
XSS = ('<script>alert(1)</script>"\'><img src=x onerror=alert(2)>'
       '</textarea><!--doanra--><svg/onload=alert(3)>')


# ---------------------------------------------------------------------------
# Database fingerprint: what must not change whatever a client sends
# ---------------------------------------------------------------------------

SNAPSHOT_SQL = r"""
SELECT
  (SELECT md5(string_agg(n.nspname || '.' || c.relname || ':' || c.relkind::text
                         || '(' || coalesce((SELECT string_agg(a.attname || ' '
                              || format_type(a.atttypid, a.atttypmod), ','
                              ORDER BY a.attnum) FROM pg_attribute a
                              WHERE a.attrelid = c.oid AND a.attnum > 0
                                AND NOT a.attisdropped), '') || ')',
                         ';' ORDER BY n.nspname, c.relname))
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
      AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast_temp%')
      AS relations,
  (SELECT md5(string_agg(p.oid::regprocedure::text || md5(p.prosrc), ';'
                         ORDER BY 1))
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'doanra') AS functions,
  (SELECT string_agg(conname, ',' ORDER BY conname) FROM pg_constraint c
     JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'doanra')
      AS constraints,
  (SELECT md5(string_agg(rolname || rolsuper::text || rolcreaterole::text,
                         ',' ORDER BY rolname)) FROM pg_roles) AS roles,
  (SELECT md5(string_agg(u::text, ',' ORDER BY u.code)) FROM doanra.units u)
      AS units,
  (SELECT md5(string_agg(o::text, ',' ORDER BY o.code)) FROM doanra.officials o)
      AS officials,
  (SELECT md5(string_agg(p::text, ',' ORDER BY p.code)) FROM doanra.plan_entries p)
      AS plans,
  (SELECT count(*) FROM doanra.countries) AS countries,
  (SELECT count(*) FROM doanra.submissions) AS submissions,
  (SELECT coalesce(max(id), 0) FROM doanra.submissions) AS max_submission,
  (SELECT coalesce(sum(length(fields::text) + length(findings::text)), 0)
     FROM doanra.submissions) AS readable,
  (SELECT count(*) FROM doanra.trips) AS trips,
  (SELECT count(*) FROM doanra.trips WHERE status NOT IN
     ('pending', 'submitted', 'void', 'approved', 'completed', 'rejected',
      'cancelled')) AS odd_trips
"""


def snapshot(env):
    return env.psql_json(SNAPSHOT_SQL)[0]


# ---------------------------------------------------------------------------
# Raw HTTP
# ---------------------------------------------------------------------------

def parse_responses(data):
    """Split what a connection sent back into responses: (interim statuses,
    [Response...]).  Understands Content-Length, chunked and close."""
    interim, out = [], []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            break
        lines = head.decode("iso-8859-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        status = int(parts[1])
        reason = parts[2] if len(parts) > 2 else ""
        headers = []
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers.append((k.strip(), v.strip()))
        if 100 <= status < 200:
            interim.append(status)
            data = rest
            continue
        hmap = {k.lower(): v for k, v in headers}
        if "chunked" in hmap.get("transfer-encoding", "").lower():
            body = b""
            while rest:
                size_line, _, rest = rest.partition(b"\r\n")
                size = int(size_line.split(b";")[0] or b"0", 16)
                if size == 0:
                    _, _, rest = rest.partition(b"\r\n")
                    break
                body += rest[:size]
                rest = rest[size + 2:]
            data = rest
        elif "content-length" in hmap:
            n = int(hmap["content-length"])
            body, data = rest[:n], rest[n:]
        else:
            body, data = rest, b""
        out.append(Response(status, reason, headers, body))
    return interim, out


class RawHTTP:
    """One TCP connection, bytes in and out exactly as given."""

    def __init__(self, port, timeout=20):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def read_head(self):
        """Read until the end of one response head (e.g. 100 Continue)."""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            self.buf += chunk
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        return head.decode("iso-8859-1")

    def read_all(self):
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                self.buf += chunk
        except (ConnectionResetError, socket.timeout):
            pass
        data, self.buf = self.buf, b""
        return data

    def close(self):
        self.sock.close()


def raw_request(method, target, headers, body=b"", host="127.0.0.1"):
    """Request bytes; headers is a list of (name, value) sent verbatim
    (Host and Connection: close are added unless given)."""
    names = {k.lower() for k, _ in headers}
    lines = ["%s %s HTTP/1.1" % (method, target)]
    if "host" not in names:
        lines.append("Host: %s" % host)
    if "connection" not in names:
        lines.append("Connection: close")
    lines += ["%s: %s" % (k, v) for k, v in headers]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + body


def chunked(body, size=7):
    out = b""
    for i in range(0, len(body), size):
        piece = body[i:i + size]
        out += b"%x\r\n%s\r\n" % (len(piece), piece)
    return out + b"0\r\n\r\n"


# ---------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------

class PageScan(html.parser.HTMLParser):
    """Everything a browser would make of a page that matters here: the
    tags, event-handler attributes, the text and the attribute values
    (entities decoded)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.scripts = []    # src of each <script> (None when inline)
        self.handlers = []
        self.text = []
        self.values = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "script":
            self.scripts.append(dict(attrs).get("src"))
        for k, v in attrs:
            if k.startswith("on"):
                self.handlers.append((tag, k, v))
            if v is not None:
                self.values.append(v)

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.text.append(data)


def scan(body):
    p = PageScan()
    p.feed(body)
    p.close()
    return p


_page_scripts = {}


def own_scripts(env):
    """The <script src> elements the form page itself has (the demo form
    loads its live check): those may appear, nothing else may."""
    if "form" not in _page_scripts:
        _page_scripts["form"] = scan(env.get("/doanra/").body).scripts
    return _page_scripts["form"]


def assert_no_markup(r, payload=XSS, allowed_scripts=()):
    """The payload shows nowhere as markup: no script element but the
    page's own, no svg/img element, no event handler, not the raw string."""
    p = scan(r.body)
    assert all(src and src in allowed_scripts for src in p.scripts), p.scripts
    assert "svg" not in p.tags and "img" not in p.tags, p.tags
    assert not p.handlers, p.handlers
    assert payload not in r.body
    assert r.body.lower().count("<script") == len(p.scripts)
    # One result block at most: a <!--doanra--> in a value is not a marker.
    assert r.body.count('class="doanra-result"') <= 1


def shows_as_data(r, payload):
    """The payload is visible to the reader as text or a form value."""
    p = scan(r.body)
    return any(payload in t for t in p.values) or payload in "".join(p.text)


# ---------------------------------------------------------------------------
# The probe: one tag per test, every answer judged the same way
# ---------------------------------------------------------------------------

class Probe:
    def __init__(self, env, baseline):
        self.env = env
        self.tag = uuid.uuid4().hex[:12]
        self.baseline = baseline
        self.announced = set()   # submission ids the responses named
        self.port = env.apache.port
        self.log = os.path.join(env.apache.run, "hostile-backend.log")

    def url(self, loc):
        return "/hostile/%s?hx=%s" % (loc, self.tag)

    # -- sending ------------------------------------------------------------
    def post(self, loc, body, ctype=FORM, headers=None, chunked=False):
        return self.env.client.post(self.url(loc), body, ctype, headers=headers,
                                    chunked=chunked)

    def post_pairs(self, loc, pairs, multipart=False, **kw):
        if multipart:
            body, ctype = encode_multipart(pairs)
        else:
            body, ctype = encode_urlencoded(pairs), FORM
        return self.post(loc, body, ctype, **kw)

    def raw(self, data, pieces=None, delay=0.0, shutdown=False, timeout=20):
        """Send data (or the list pieces, delay seconds apart), read until
        the server closes; returns (interim statuses, responses)."""
        c = RawHTTP(self.port, timeout=timeout)
        try:
            for i, piece in enumerate(pieces or [data]):
                if i and delay:
                    time.sleep(delay)
                c.send(piece)
            if shutdown:
                c.sock.shutdown(socket.SHUT_WR)
            return parse_responses(c.read_all())
        finally:
            c.close()

    # -- judging ------------------------------------------------------------
    def backend_calls(self):
        try:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                return [l for l in f if "hx=" + self.tag in l]
        except OSError:
            return []

    def judge(self, r, allowed, evaluated=True, report=False, check=False):
        """Assert what every answer to bad input must be; r is a Response
        or None (the server closed without answering)."""
        if r is None:
            assert None in allowed, "no answer at all"
            time.sleep(0.2)
            assert not self.backend_calls(), "backend called without an answer"
            return r
        assert r.status in allowed, "%r not in %r: %s" % (
            r, allowed, r.body[:600])
        sid = r.header("X-Doanra-Submission")
        if sid is not None:
            assert sid.isdigit(), sid
            self.announced.add(int(sid))
        if r.header("X-Echo-Sha256") is not None:
            assert not check, "the JSON check never calls a backend"
            self._judge_backend(r, evaluated, report)
        else:
            assert ECHO_MARK not in r.body, "echo report in a blocked answer"
            if check:
                self._judge_json(r)
            elif r.header("X-Doanra-Decision") is not None or 'lang="vi"' in r.body:
                self._judge_module_page(r)
            else:
                # httpd core refused the request before any module ran.
                assert r.status >= 400, r
        return r

    def _judge_backend(self, r, evaluated, report):
        lines = [l for l in r.parsed.pre.get("echo", "").splitlines()
                 if l.lower().startswith("x-doanra-")]
        got = {}
        for l in lines:
            k, _, v = l.partition(": ")
            k = k.lower()
            assert k not in got, "backend saw %s twice: %s" % (k, lines)
            got[k] = v
        if not evaluated:
            assert not got, "untouched request, yet the backend saw %s" % lines
            assert r.header("X-Doanra-Decision") is None
            return
        # X-Doanra-Trip only when a trip was recorded (SPEC section 8)
        assert set(got) - {"x-doanra-trip"} == {"x-doanra-decision", "x-doanra-submission",
                                                "x-doanra-rules"}, lines
        verdicts = ("pass", "warn", "fail") if report else ("pass", "warn")
        assert got["x-doanra-decision"] in verdicts, got
        assert r.header("X-Doanra-Decision") == got["x-doanra-decision"]
        assert got["x-doanra-submission"] == r.header("X-Doanra-Submission"), got
        rules = [x for x in got["x-doanra-rules"].split(",") if x]
        row = self.env.submission(int(got["x-doanra-submission"]))
        assert row is not None and row["decision"] == got["x-doanra-decision"]
        assert sorted(set(rules)) == sorted(set(row["rules"])), (rules, row["rules"])

    def _judge_module_page(self, r):
        ctype = r.header("Content-Type", "")
        assert ctype.startswith("text/html"), ctype
        assert 'lang="vi"' in r.body
        assert r.blocks() or "<h1" in r.body, r.body[:400]
        d = r.header("X-Doanra-Decision")
        if r.status == 400 and d is None:
            # Refused by its Content-Type before any field was read.
            assert r.header("X-Doanra-Submission") is None
            assert "Content-Type" in r.body
            return
        if r.status in (403, 415):
            assert d is None and r.header("X-Doanra-Submission") is None
            return
        if r.status in (400, 422):
            assert d == "fail", (r, d)
            assert r.blocks() and r.decision == "fail"
            row = self.env.submission(int(r.header("X-Doanra-Submission")))
            assert row["decision"] == "fail"
            if r.status == 400:
                assert "format" in row["rules"], row["rules"]
        if r.status == 413:
            assert r.header("X-Doanra-Submission") is None

    def _judge_json(self, r):
        assert r.header("Content-Type", "").startswith("application/json"), r
        data = json.loads(r.body)
        if r.status == 200:
            assert data["decision"] in ("pass", "warn", "fail")
        else:
            assert set(data) == {"error"} and data["error"], data
        for ch in "<>":
            assert ch not in r.body, "unescaped %r in JSON" % ch
        assert r.header("X-Doanra-Submission") is None

    def rows(self):
        """Submissions recorded since the test began."""
        return self.env.psql_json("SELECT id, location, decision, rules, fields "
                                  "FROM doanra.submissions WHERE id > %d ORDER BY id"
                                  % self.baseline)


@pytest.fixture(autouse=True)
def probe(env):
    before = snapshot(env)
    crashes = len(env.apache.crashes())
    p = Probe(env, int(before["max_submission"]))
    yield p
    after = snapshot(env)
    assert env.apache.crashes()[crashes:] == [], "httpd child crashed"
    for k in ("relations", "functions", "constraints", "roles", "units",
              "officials", "plans", "countries", "odd_trips"):
        assert after[k] == before[k], "%s changed" % k
    assert int(after["submissions"]) >= int(before["submissions"])
    assert int(after["trips"]) >= int(before["trips"])
    # Exactly the rows the answers announced were recorded.
    new = {row["id"] for row in env.psql_json(
        "SELECT id FROM doanra.submissions WHERE id > %d" % p.baseline)}
    assert new == p.announced, (new, p.announced)


# ---------------------------------------------------------------------------
# Bodies
# ---------------------------------------------------------------------------

def trip_pairs(members=2, **changes):
    """A trip's pairs with some fields replaced: changes maps a field name
    (row fields: name[]) to a value for every row, or to a dict row->value."""
    t = valid_trip(members=members)
    out, seen = [], {}
    for k, v in t.pairs():
        i = seen.get(k, 0)
        seen[k] = i + 1
        key = k.rstrip("[]")
        if key in changes:
            c = changes[key]
            if isinstance(c, dict):
                v = c.get(i, v)
            else:
                v = c
        out.append((k, v))
    return out


def urlenc(pairs):
    return encode_urlencoded(pairs)


def padded(pairs, size):
    """A urlencoded body of exactly size bytes (an extra `ghi_chu` field)."""
    body = urlenc(pairs) + b"&ghi_chu="
    assert len(body) <= size
    return body + b"a" * (size - len(body))


# ---------------------------------------------------------------------------
# 1. Markup in every echoed field: the block page, the refilled form page,
#    the JSON check.  /hostile/* allows one member, so two always fail.
# ---------------------------------------------------------------------------

# field -> does a finding's message name the value (so the JSON shows it)?
MARKUP_FIELDS = {
    "quoc_gia": True, "ngay_di": True, "du_toan": True, "nguon_kinh_phi": True,
    "tv_ho_ten": True, "tv_chuc_vu": False, "muc_dich": False, "doi_tac": False,
    "ly_do_phat_sinh": False, "don_vi": False,
}
ROW_FIELDS = {"quoc_gia", "tu_ngay", "den_ngay", "tv_ho_ten", "tv_ma",
              "tv_chuc_vu", "tv_don_vi"}


# The demo form offers these as <select>: a value outside its options has
# no input to go back into.
SELECTS = {"don_vi", "nguon_kinh_phi"}


def markup_pairs(field):
    if field == "tv_ho_ten":
        # Both members: duplicate-member names the value.
        return trip_pairs(tv_ho_ten=XSS)
    if field in ROW_FIELDS:
        return trip_pairs(**{field: {0: XSS}})
    return trip_pairs(**{field: XSS})


@pytest.mark.parametrize("field", sorted(MARKUP_FIELDS))
@pytest.mark.parametrize("where", ["builtin", "formpage"])
def test_markup_escaped_in_block_pages(probe, field, where):
    r = probe.post_pairs("submit" if where == "builtin" else "form",
                         markup_pairs(field))
    probe.judge(r, {422})
    assert not r.reached_backend()
    assert_no_markup(r, allowed_scripts=own_scripts(probe.env)
                     if where == "formpage" else ())
    if where == "formpage" and field not in SELECTS:
        # The typed value comes back, intact, in its input.
        name = field + "[]" if field in ROW_FIELDS else field
        assert r.input_value(name) == XSS, r.input_value(name)
    elif where == "builtin":
        assert shows_as_data(r, XSS), "the typed value is not shown back"


@pytest.mark.parametrize("field", sorted(f for f, named in MARKUP_FIELDS.items()
                                         if named))
def test_markup_escaped_in_json_check(probe, field):
    r = probe.post_pairs("check", markup_pairs(field))
    probe.judge(r, {200}, check=True)
    data = r.json()
    assert data["decision"] == "fail"
    assert any(XSS in v["message"] for v in data["violations"]), data


def test_markup_in_injected_block_of_backend_page(probe):
    """A warn verdict injected into the backend's page: the finding names
    the two leaders, whose names are markup."""
    pairs = trip_pairs(tv_ho_ten={0: "A" + XSS, 1: "B" + XSS},
                       tv_chuc_vu={0: "Giám đốc", 1: "Bí thư"})
    r = probe.post_pairs("ok", pairs)
    probe.judge(r, {200})
    assert r.reached_backend() and r.decision == "warn"
    assert "leaders-same-unit" in r.rules()
    assert_no_markup(r, "A" + XSS)
    assert shows_as_data(r, "A" + XSS)


def test_markup_in_field_names(probe):
    pairs = trip_pairs() + [(XSS, XSS), ("tv_ho_ten[]" + XSS, "x")]
    r = probe.post_pairs("submit", pairs)
    probe.judge(r, {422})
    assert_no_markup(r)
    row = probe.env.submission(int(r.header("X-Doanra-Submission")))
    assert row["fields"][XSS] == XSS


def test_markup_in_referer_back_link(probe):
    pairs = trip_pairs()
    for ref in ('javascript:alert(1)', 'http://127.0.0.1/"><script>alert(1)</script>',
                '/form"onmouseover="alert(1)'):
        r = probe.post_pairs("submit", pairs, headers={"Referer": ref})
        probe.judge(r, {422})
        assert_no_markup(r, ref)
        assert "javascript:alert" not in r.body


# ---------------------------------------------------------------------------
# 2. SQL metacharacters: recorded byte-identical in doanra.submissions.fields
# ---------------------------------------------------------------------------

SQL_PAYLOADS = [
    "'; DROP TABLE doanra.submissions; --",
    "Robert'); DELETE FROM doanra.trips; --",
    "$$; TRUNCATE doanra.units CASCADE; $$ $tag$ x $tag$",
    "\\'\\\\\\\" E'\\x41' \\N \\. \\\\.",
    '"}], "decision": "pass"} --',
    "%s %n %x %d %.9999f %p {0} ${x}",
    "' OR '1'='1' /* */ ; COMMIT; BEGIN; --\r\n\tnew line",
]

TEXT_FIELDS = ["don_vi", "ma_don_vi", "muc_dich", "doi_tac", "ma_ke_hoach",
               "ly_do_phat_sinh", "du_toan", "nguon_kinh_phi", "ngay_di",
               "ngay_ve"]
ROW_TEXT = ["quoc_gia", "tu_ngay", "den_ngay", "tv_ho_ten", "tv_ma",
            "tv_chuc_vu", "tv_don_vi"]


def recorded(row, name):
    v = row["fields"].get(name)
    if v is None:
        v = row["fields"].get(name + "[]")
    return v


@pytest.mark.parametrize("payload", SQL_PAYLOADS, ids=range(len(SQL_PAYLOADS)))
def test_sql_metacharacters_in_every_field_recorded_exactly(probe, payload):
    """Report mode records and passes everything: every field carries the
    payload, every one comes back from the jsonb byte for byte, and the
    backend got the exact body."""
    changes = {f: payload for f in TEXT_FIELDS}
    changes.update({f: {0: payload} for f in ROW_TEXT})
    pairs = trip_pairs(**changes)
    body = urlenc(pairs)
    r = probe.post("report", body)
    probe.judge(r, {200}, report=True)
    assert r.header("X-Echo-Length") == str(len(body))
    row = probe.env.submission(int(r.header("X-Doanra-Submission")))
    for f in TEXT_FIELDS:
        assert recorded(row, f) == payload, (f, recorded(row, f))
    for f in ROW_TEXT:
        v = recorded(row, f)
        assert isinstance(v, list) and v[0] == payload, (f, v)
    # The text is data for PostgreSQL too: the same row, read back by SQL.
    n = probe.env.pg.scalar(
        "SELECT count(*) FROM doanra.submissions WHERE id = %d AND fields->>'muc_dich' = %s"
        % (row["id"], "'" + payload.replace("'", "''") + "'"))
    assert n == "1"


@pytest.mark.parametrize("payload", SQL_PAYLOADS, ids=range(len(SQL_PAYLOADS)))
def test_sql_metacharacters_in_a_passing_trip(probe, payload):
    """Enforce, multipart: the payload in the free-text fields and in a
    member's name and position of a trip that passes, so it also goes
    through the quota locks and into trips / trip_members."""
    pairs = trip_pairs(muc_dich=payload, doi_tac=payload,
                       tv_ho_ten={0: "Nguyễn Văn " + payload + uuid.uuid4().hex[:6]},
                       tv_chuc_vu={0: payload})
    r = probe.post_pairs("ok", pairs, multipart=True)
    probe.judge(r, {200})
    assert r.header("X-Doanra-Decision") == "pass", r.findings()
    sid = int(r.header("X-Doanra-Submission"))
    row = probe.env.submission(sid)
    assert row["fields"]["muc_dich"] == payload
    assert row["fields"]["doi_tac"] == payload
    assert recorded(row, "tv_chuc_vu")[0] == payload
    trip = probe.env.wait_trip_status(sid, "submitted")
    assert trip and trip["status"] == "submitted"
    members = probe.env.psql_json("SELECT full_name, position FROM doanra.trip_members "
                                  "WHERE trip_id = %d ORDER BY seq" % trip["id"])
    assert payload in members[0]["full_name"]


# ---------------------------------------------------------------------------
# 3. Bytes that are not UTF-8, malformed percent-encoding, NUL
# ---------------------------------------------------------------------------

def with_tail(tail):
    """A passing trip's urlencoded body with raw bytes appended."""
    pairs = [(k, v) for k, v in trip_pairs() if k != "muc_dich"]
    return urlenc(pairs) + tail


BAD_UTF8 = {
    "lone-continuation": b"&muc_dich=a%80b",
    "two-continuations": b"&muc_dich=%BF%BF",
    "overlong-slash": b"&muc_dich=%C0%AF",
    "overlong-3byte": b"&muc_dich=%E0%80%AF",
    "surrogate-high": b"&muc_dich=%ED%A0%80",
    "surrogate-low": b"&muc_dich=%ED%BF%BF",
    "above-10ffff": b"&muc_dich=%F4%90%80%80",
    "ff-fe": b"&muc_dich=%FF%FE",
    "truncated-at-end": b"&muc_dich=Vi%E1%BB",
    "truncated-mid": b"&muc_dich=%C3&doi_tac=x",
    "in-name": b"&muc%C0%AFdich=x",
    "raw-bytes": b"&muc_dich=raw\xc0\xaf\xed\xa0\x80",
}


@pytest.mark.parametrize("case", sorted(BAD_UTF8))
def test_bad_utf8_enforce(probe, case):
    r = probe.post("submit", with_tail(BAD_UTF8[case]))
    probe.judge(r, {400})
    assert r.finding("format") is not None
    row = probe.env.submission(int(r.header("X-Doanra-Submission")))
    assert "format" in row["rules"]
    assert probe.env.trip_of(row["id"]) is None


@pytest.mark.parametrize("case", ["overlong-slash", "surrogate-high", "raw-bytes",
                                  "in-name"])
def test_bad_utf8_check(probe, case):
    r = probe.post("check", with_tail(BAD_UTF8[case]))
    probe.judge(r, {400}, check=True)


def test_bad_utf8_multipart_raw(probe):
    body, ctype = encode_multipart(trip_pairs(muc_dich=b"ab\xc0\xaf\xed\xa0\x80cd"))
    r = probe.post("submit", body, ctype)
    probe.judge(r, {400})
    assert r.finding("format") is not None


BAD_PERCENT = {
    "non-hex": b"&muc_dich=%G1",
    "trailing-percent": b"&muc_dich=abc%",
    "one-digit-at-end": b"&muc_dich=%4",
    "one-digit-then-amp": b"&muc_dich=%4&doi_tac=x",
    "double-percent": b"&muc_dich=%%41",
    "u-escape": b"&muc_dich=%u0041",
    "in-name": b"&m%ZZuc_dich=x",
}


@pytest.mark.parametrize("case", sorted(BAD_PERCENT))
def test_bad_percent_enforce(probe, case):
    r = probe.post("submit", with_tail(BAD_PERCENT[case]))
    probe.judge(r, {400})
    assert r.finding("format") is not None


@pytest.mark.parametrize("case", ["non-hex", "trailing-percent", "in-name"])
def test_bad_percent_check(probe, case):
    r = probe.post("check", with_tail(BAD_PERCENT[case]))
    probe.judge(r, {400}, check=True)


NUL_CASES = {
    "percent-in-value": (b"&muc_dich=a%00b", False),
    "raw-in-value": (b"&muc_dich=a\x00b", False),
    "percent-in-name": (b"&muc_dich=x&ghi%00chu=1", False),
    "multipart-value": (b"ab\x00cd", True),
}


@pytest.mark.parametrize("case", sorted(NUL_CASES))
def test_nul_bytes(probe, case):
    data, multipart = NUL_CASES[case]
    if multipart:
        body, ctype = encode_multipart(trip_pairs(members=1, muc_dich=data))
    else:
        body, ctype = with_tail(data), FORM
    r = probe.post("ok", body, ctype)
    probe.judge(r, {400, 422})
    assert r.finding("format") is not None, r.findings()
    # A NUL never reaches the record: jsonb keeps U+FFFD in its place.
    row = probe.env.submission(int(r.header("X-Doanra-Submission")))
    assert "\x00" not in json.dumps(row["fields"], ensure_ascii=False)
    assert "\\u0000" not in json.dumps(row["fields"])


def test_nul_bytes_check(probe):
    r = probe.post("check", with_tail(b"&muc_dich=a%00b"))
    probe.judge(r, {200, 400}, check=True)
    if r.status == 200:
        assert r.json()["decision"] == "fail"


# ---------------------------------------------------------------------------
# 4. Sizes: DoanraMaxBody at and over the limit, huge fields, many fields
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("chunk", [False, True], ids=["length", "chunked"])
def test_body_exactly_at_small_limit_accepted(probe, chunk):
    body = padded(trip_pairs(), SMALL_MAX_BODY)
    r = probe.post("small", body, chunked=chunk)
    probe.judge(r, {200})
    assert r.header("X-Doanra-Decision") == "pass", r.findings()
    assert r.header("X-Echo-Length") == str(SMALL_MAX_BODY)


@pytest.mark.parametrize("chunk", [False, True], ids=["length", "chunked"])
def test_body_one_byte_over_small_limit_413(probe, chunk):
    body = padded(trip_pairs(), SMALL_MAX_BODY + 1)
    r = probe.post("small", body, chunked=chunk)
    probe.judge(r, {413})
    assert not r.reached_backend()


def test_body_over_limit_json_check_413(probe):
    r = probe.post("smallcheck", padded(trip_pairs(), SMALL_MAX_BODY + 1))
    probe.judge(r, {413}, check=True)


def test_default_limit_exactly_1mib_accepted(probe):
    body = padded(trip_pairs(), DEFAULT_MAX_BODY)
    r = probe.post("ok", body)
    probe.judge(r, {200})
    assert r.header("X-Echo-Length") == str(DEFAULT_MAX_BODY)


def test_default_limit_one_byte_over_413(probe):
    r = probe.post("ok", padded(trip_pairs(), DEFAULT_MAX_BODY + 1))
    probe.judge(r, {413})


def test_one_huge_field_close_to_limit_recorded(probe):
    """One field fills the body up to exactly DoanraMaxBody."""
    t = valid_trip()
    rest = encode_urlencoded([(k, "" if k == "muc_dich" else v) for k, v in t.pairs()])
    # ASCII letters and spaces: one byte each once urlencoded ('+').
    huge = ("Xuc tien dau tu " * (DEFAULT_MAX_BODY // 16 + 1))[:DEFAULT_MAX_BODY - len(rest)]
    body = encode_urlencoded([(k, huge if k == "muc_dich" else v) for k, v in t.pairs()])
    assert len(body) == DEFAULT_MAX_BODY
    r = probe.post("ok", body)
    probe.judge(r, {200})
    row = probe.env.submission(int(r.header("X-Doanra-Submission")))
    assert_capped(row["fields"]["muc_dich"], huge)


def test_overlong_values_and_names(probe):
    long_name = "ten_truong_" + "x" * 60000
    vn = "Nguyễn Thị Ánh Tuyết ệ " * 8000
    pairs = trip_pairs(doi_tac=vn) + [(long_name, "1")]
    r = probe.post_pairs("ok", pairs, multipart=True)
    probe.judge(r, {200})
    row = probe.env.submission(int(r.header("X-Doanra-Submission")))
    assert_capped(row["fields"]["doi_tac"], vn)
    # A name past 4 KiB is kept whole (names are bounded by the body).
    assert row["fields"][long_name] == "1"


def assert_capped(stored, value):
    """SPEC section 5: a stored value over 4 KiB is cut, with its full
    length and SHA-256 kept."""
    import hashlib
    raw = value.encode("utf-8")
    assert isinstance(stored, dict), type(stored)
    assert stored["length"] == len(raw)
    assert stored["sha256"] == hashlib.sha256(raw).hexdigest()
    cut = stored["cut"].encode("utf-8")
    assert len(cut) <= 4096 and raw.startswith(cut)


def test_100000_fields(probe):
    body = urlenc(trip_pairs()) + b"&x=1" * 100000
    t0 = time.time()
    r = probe.post("ok", body)
    probe.judge(r, {400})
    assert r.finding("format") is not None
    assert time.time() - t0 < 10


def test_100000_fields_check(probe):
    r = probe.post("check", urlenc(trip_pairs()) + b"&x=1" * 100000)
    probe.judge(r, {400}, check=True)


def test_10000_member_rows(probe):
    pairs = trip_pairs(members=0) + [("tv_ho_ten[]", "Nguyễn Văn %d" % i)
                                     for i in range(10000)]
    t0 = time.time()
    r = probe.post_pairs("ok", pairs)
    probe.judge(r, {400, 422})
    assert r.decision == "fail"
    assert time.time() - t0 < 10


def test_2400_complete_member_rows_clear_findings(probe):
    """Under the field cap: the rows beyond the module's row cap are named
    in a `format` finding (how many were sent) and `size` still fails."""
    pairs = trip_pairs(members=0)
    for i in range(2400):
        pairs += [("tv_ho_ten[]", "Trần Văn %d" % i), ("tv_ma[]", ""),
                  ("tv_chuc_vu[]", "Chuyên viên"), ("tv_don_vi[]", "")]
    t0 = time.time()
    r = probe.post_pairs("ok", pairs)
    probe.judge(r, {422})
    assert r.finding("size") is not None, r.findings()[:3]
    fmt = [f for f in r.findings() if f["rule"] == "format"]
    assert fmt and any("2410" in f["message"] for f in fmt), fmt[:2]
    assert time.time() - t0 < 15


def test_5000_country_rows(probe):
    pairs = trip_pairs() + [("quoc_gia[]", "JP"), ("tu_ngay[]", "2030-01-01"),
                            ("den_ngay[]", "2030-01-02")] * 2500
    r = probe.post_pairs("ok", pairs)
    probe.judge(r, {400, 422})
    assert r.decision == "fail"


def test_empty_body(probe):
    r = probe.post("ok", b"")
    probe.judge(r, {422})
    assert r.finding("required") is not None


# ---------------------------------------------------------------------------
# 5. Framing: Content-Length and Transfer-Encoding that do not agree
# ---------------------------------------------------------------------------

def one_response(probe, data, allowed, **kw):
    interim, rs = probe.raw(data, **kw)
    assert len(rs) <= 1, rs
    return probe.judge(rs[0] if rs else None, allowed)


def test_two_different_content_lengths(probe):
    body = urlenc(trip_pairs())
    data = raw_request("POST", probe.url("ok"),
                       [("Content-Type", FORM), ("Content-Length", str(len(body))),
                        ("Content-Length", str(len(body) - 10))], body)
    one_response(probe, data, {400})


def test_content_length_with_chunked(probe):
    """Both headers: httpd refuses, or de-chunks and drops the length; a
    smuggled second request after the chunked body must not reach the
    backend unchecked."""
    body = urlenc(trip_pairs())
    smuggled = raw_request("POST", probe.url("submit"),
                           [("Content-Type", FORM),
                            ("Content-Length", str(len(urlenc(trip_pairs()))))],
                           urlenc(trip_pairs()))
    data = raw_request("POST", probe.url("ok"),
                       [("Content-Type", FORM), ("Content-Length", "4"),
                        ("Transfer-Encoding", "chunked")],
                       chunked(body) + smuggled)
    interim, rs = probe.raw(data)
    assert rs, "no answer"
    for r in rs:
        probe.judge(r, {200, 400, 422})
    assert rs[0].status in (200, 400)


@pytest.mark.parametrize("case", ["non-hex", "negative", "overflow", "extension-junk",
                                  "missing-crlf"])
def test_chunked_bad_sizes(probe, case):
    body = urlenc(trip_pairs())
    bad = {
        "non-hex": b"zz\r\n" + body + b"\r\n0\r\n\r\n",
        "negative": b"-5\r\nhello\r\n0\r\n\r\n",
        "overflow": b"fffffffffffffffffffffff\r\n" + body + b"\r\n0\r\n\r\n",
        "extension-junk": b"%x;\x01\x02\r\n" % len(body) + body + b"\r\n0\r\n\r\n",
        "missing-crlf": b"%x\r\n" % len(body) + body + b"XX5\r\nhello\r\n0\r\n\r\n",
    }[case]
    data = raw_request("POST", probe.url("ok"),
                       [("Content-Type", FORM), ("Transfer-Encoding", "chunked")], bad)
    one_response(probe, data, {400, 413, None})


def test_chunk_larger_than_data_then_close(probe):
    body = urlenc(trip_pairs())
    data = raw_request("POST", probe.url("ok"),
                       [("Content-Type", FORM), ("Transfer-Encoding", "chunked")],
                       b"%x\r\n" % (len(body) + 5000) + body)
    one_response(probe, data, {400, 408, None}, shutdown=True)


def test_content_length_larger_than_data_then_close(probe):
    body = urlenc(trip_pairs())
    data = raw_request("POST", probe.url("ok"),
                       [("Content-Type", FORM), ("Content-Length", str(len(body) + 100))],
                       body)
    one_response(probe, data, {400, 408, None}, shutdown=True)


@pytest.mark.parametrize("value", ["-1", "abc", "1e3", "0x10", "99999999999999999999999"])
def test_bad_content_length_values(probe, value):
    data = raw_request("POST", probe.url("ok"),
                       [("Content-Type", FORM), ("Content-Length", value)], b"a=1")
    one_response(probe, data, {400, 413})


def test_unknown_transfer_encoding(probe):
    data = raw_request("POST", probe.url("ok"),
                       [("Content-Type", FORM), ("Transfer-Encoding", "gzip")],
                       urlenc(trip_pairs()))
    one_response(probe, data, {400, 501})


# ---------------------------------------------------------------------------
# 6. Multipart with broken boundaries
# ---------------------------------------------------------------------------

def multipart_body(pairs, boundary, final=True):
    out = b""
    for k, v in pairs:
        out += (b"--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                % (boundary, k.encode(), v.encode() if isinstance(v, str) else v))
    if final:
        out += b"--%s--\r\n" % boundary
    return out


MULTIPART_BROKEN = {
    # (content type, body builder) -> the module cannot read it: 400
    "no-boundary-param": ("multipart/form-data",
                          lambda p: multipart_body(p, b"abc123")),
    "empty-boundary": ("multipart/form-data; boundary=",
                       lambda p: multipart_body(p, b"")),
    "wrong-boundary": ("multipart/form-data; boundary=abc123",
                       lambda p: multipart_body(p, b"zzz999")),
    "missing-final-boundary": ("multipart/form-data; boundary=abc123",
                               lambda p: multipart_body(p, b"abc123", final=False)),
    "truncated-part-head": ("multipart/form-data; boundary=abc123",
                            lambda p: b"--abc123\r\nContent-Disposition: form-data; "
                                      b"name=\"muc_dich\"\r\n"),
    "no-disposition": ("multipart/form-data; boundary=abc123",
                       lambda p: b"--abc123\r\nContent-Type: text/plain\r\n\r\nx\r\n"
                                 + multipart_body(p, b"abc123")),
    "unterminated-quote": ("multipart/form-data; boundary=\"abc123",
                           lambda p: multipart_body(p, b"abc123")),
}


# A multipart type without one good boundary is refused by its
# Content-Type (SPEC section 4), before the body is read.
CTYPE_REFUSED = {"no-boundary-param", "empty-boundary", "unterminated-quote"}


@pytest.mark.parametrize("case", sorted(MULTIPART_BROKEN))
def test_multipart_broken(probe, case):
    ctype, build = MULTIPART_BROKEN[case]
    r = probe.post("ok", build(trip_pairs()), ctype)
    # Refused as unreadable, or read as what it is; never passed unread.
    probe.judge(r, {400, 422})
    if case in CTYPE_REFUSED:
        assert r.status == 400 and r.decision is None
    else:
        assert r.decision == "fail"


@pytest.mark.parametrize("case", ["no-boundary-param", "wrong-boundary"])
def test_multipart_broken_check(probe, case):
    ctype, build = MULTIPART_BROKEN[case]
    r = probe.post("check", build(trip_pairs()), ctype)
    probe.judge(r, {400}, check=True)


@pytest.mark.parametrize("ctype,boundary", [
    ('multipart/form-data; boundary="abc:123 x"', b"abc:123 x"),
    ("multipart/form-data; BOUNDARY=abc123", b"abc123"),
    ("Multipart/Form-Data; charset=utf-8; boundary=abc123", b"abc123"),
], ids=["quoted", "param-case", "type-case"])
def test_multipart_valid_odd_boundaries_are_read(probe, ctype, boundary):
    """RFC 2046/7578 allow these; the module must read the trip (a pass
    here proves it did), not wave the body through unread."""
    r = probe.post("ok", multipart_body(trip_pairs(), boundary), ctype)
    probe.judge(r, {200})
    assert r.header("X-Doanra-Decision") == "pass", r.findings()


def test_multipart_file_part_passed_not_inspected(probe):
    # The file name as browsers send it (a '"' as %22): a raw quote would
    # end the quoted string early, which backends read differently
    # (refused, test_ambiguity.py).
    body, ctype = encode_multipart(trip_pairs(), files=[
        ("tep", XSS.replace('"', "%22") + ".html", "text/html",
         b"--not-a-boundary\r\n" + XSS.encode() + b"\x00\xff\xfe")])
    r = probe.post("ok", body, ctype)
    probe.judge(r, {200})
    assert r.header("X-Echo-Length") == str(len(body))


# ---------------------------------------------------------------------------
# 7. Expect: 100-continue and a body that trickles in
# ---------------------------------------------------------------------------

def expect_continue(probe, loc, body, declared=None):
    c = RawHTTP(probe.port)
    try:
        c.send(raw_request("POST", probe.url(loc),
                           [("Content-Type", FORM),
                            ("Content-Length", str(declared or len(body))),
                            ("Expect", "100-continue")]))
        head = c.read_head()
        status = int(head.split(" ", 2)[1])
        if status == 100:
            c.send(body)
            interim, rs = parse_responses(c.buf + c.read_all())
        else:
            interim, rs = parse_responses(head.encode("iso-8859-1") + b"\r\n\r\n"
                                          + c.buf + c.read_all())
        return status, rs
    finally:
        c.close()


def test_expect_continue_passing(probe):
    body = urlenc(trip_pairs())
    first, rs = expect_continue(probe, "ok", body)
    assert first == 100
    r = probe.judge(rs[0], {200})
    assert r.header("X-Doanra-Decision") == "pass"
    assert r.header("X-Echo-Length") == str(len(body))


def test_expect_continue_blocked(probe):
    first, rs = expect_continue(probe, "submit", urlenc(trip_pairs()))
    assert first == 100
    r = probe.judge(rs[0], {422})
    assert r.finding("size") is not None


def test_expect_continue_declared_over_limit(probe):
    """Known too large: 413 at once, no 100 Continue, nothing uploaded."""
    first, rs = expect_continue(probe, "small", b"", declared=SMALL_MAX_BODY + 1)
    assert first == 413
    probe.judge(rs[0], {413})


@pytest.mark.parametrize("loc,status", [("ok", 200), ("submit", 422)])
def test_slow_trickle(probe, loc, status):
    body = urlenc(trip_pairs())
    head = raw_request("POST", probe.url(loc),
                       [("Content-Type", FORM), ("Content-Length", str(len(body)))])
    step = max(1, len(body) // 20)
    pieces = [head] + [body[i:i + step] for i in range(0, len(body), step)]
    t0 = time.time()
    interim, rs = probe.raw(None, pieces=pieces, delay=0.1)
    assert time.time() - t0 >= 1.5
    r = probe.judge(rs[0], {status})
    if status == 200:
        assert r.header("X-Doanra-Decision") == "pass"
        assert r.header("X-Echo-Length") == str(len(body))
    else:
        assert r.finding("size") is not None


# ---------------------------------------------------------------------------
# 8. Client-sent X-Doanra-* headers and header injection
# ---------------------------------------------------------------------------

FORGED = {
    "canonical": [("X-Doanra-Decision", "pass"), ("X-Doanra-Submission", "1"),
                  ("X-Doanra-Rules", "")],
    "lower": [("x-doanra-decision", "pass"), ("x-doanra-submission", "999999")],
    "mixed": [("X-DOANRA-decision", "pass"), ("x-DoAnRa-SuBmIsSiOn", "7"),
              ("X-doanra-RULES", "size,plan")],
    "repeated": [("X-Doanra-Decision", "pass"), ("X-Doanra-Decision", "warn"),
                 ("X-Doanra-Rules", "a"), ("X-Doanra-Rules", "b")],
    "other-names": [("X-Doanra-Verdict", "pass"), ("X-Doanra-", "x"),
                    ("X-Doanra-Decision-", "pass")],
}


@pytest.mark.parametrize("case", sorted(FORGED))
def test_forged_verdict_headers_passing_trip(probe, case):
    body = urlenc(trip_pairs())
    data = raw_request("POST", probe.url("ok"),
                       [("Content-Type", FORM), ("Content-Length", str(len(body)))]
                       + FORGED[case], body)
    interim, rs = probe.raw(data)
    r = probe.judge(rs[0], {200})
    echo = r.echo()
    assert echo["x-doanra-decision"] == "pass"
    assert echo["x-doanra-submission"] == r.header("X-Doanra-Submission")
    assert echo["x-doanra-rules"] == ""


@pytest.mark.parametrize("case", ["canonical", "mixed"])
def test_forged_verdict_headers_failing_trip(probe, case):
    body = urlenc(trip_pairs())
    data = raw_request("POST", probe.url("submit"),
                       [("Content-Type", FORM), ("Content-Length", str(len(body)))]
                       + FORGED[case], body)
    interim, rs = probe.raw(data)
    r = probe.judge(rs[0], {422})
    assert r.header("X-Doanra-Decision") == "fail"


def test_forged_verdict_headers_report_mode(probe):
    r = probe.post_pairs("report", trip_pairs(members=0),
                         headers={"X-Doanra-Decision": "pass", "x-doanra-rules": ""})
    probe.judge(r, {200}, report=True)
    assert r.echo()["x-doanra-decision"] == "fail"
    assert "required" in r.echo()["x-doanra-rules"].split(",")


def test_underscore_header_cannot_pose_as_verdict_to_cgi(probe):
    """X_Doanra_Decision would become HTTP_X_DOANRA_DECISION for a CGI."""
    body = urlenc(trip_pairs())
    data = raw_request("POST", probe.url("cgi"),
                       [("Content-Type", FORM), ("Content-Length", str(len(body))),
                        ("X_Doanra_Decision", "pass"), ("X_Doanra_Submission", "1"),
                        ("X-Doanra_Rules", "")], body)
    interim, rs = probe.raw(data)
    r = probe.judge(rs[0], {200})
    echo = r.echo()
    assert echo["x-doanra-decision"] == "pass"
    assert echo["x-doanra-submission"] == r.header("X-Doanra-Submission")


def test_crlf_in_values_never_becomes_a_header(probe):
    evil = "x\r\nX-Injected: 1\r\nSet-Cookie: a=b\r\n\r\n<script>alert(1)</script>"
    pairs = trip_pairs(muc_dich=evil, tv_ho_ten={0: "Lê Văn A" + evil})
    r = probe.post_pairs("ok", pairs)
    probe.judge(r, {200})
    assert r.header("X-Injected") is None and r.header("Set-Cookie") is None
    assert "x-injected" not in r.echo()
    assert "\r" not in r.header("X-Doanra-Decision") + r.header("X-Doanra-Submission")
    # Failing, the value shows in the page, escaped.
    r = probe.post_pairs("submit", pairs)
    probe.judge(r, {422})
    assert r.header("X-Injected") is None
    assert_no_markup(r, evil)


def test_space_before_colon_header(probe):
    """"X-Doanra-Decision : pass" is malformed (RFC 7230 3.2.4): refused."""
    body = urlenc(trip_pairs())
    data = raw_request("POST", probe.url("ok"),
                       [("Content-Type", FORM), ("Content-Length", str(len(body))),
                        ("X-Doanra-Decision ", "pass")], body)
    interim, rs = probe.raw(data)
    r = probe.judge(rs[0], {200, 400})
    if r.status == 200:
        assert r.echo()["x-doanra-decision"] == "pass"


def test_obs_fold_header(probe):
    body = urlenc(trip_pairs())
    data = raw_request("POST", probe.url("ok"),
                       [("Content-Type", FORM), ("Content-Length", str(len(body))),
                        ("X-Doanra-Decision", "pass\r\n pass")], body)
    interim, rs = probe.raw(data)
    r = probe.judge(rs[0] if rs else None, {200, 400})
    if r.status == 200:
        assert r.echo()["x-doanra-decision"] == "pass"


# ---------------------------------------------------------------------------
# 9. What the module leaves alone, and what it must not leave alone
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("method,ctype", [
    ("GET", FORM), ("PUT", FORM), ("DELETE", FORM), ("POST", "text/plain"),
    ("POST", "application/json"), ("POST", None),
    ("POST", "application/x-www-form-urlencodedx"),
], ids=["get-with-body", "put", "delete", "text-plain", "json", "no-type",
        "lookalike-type"])
def test_other_bodies_refused(probe, method, ctype):
    """At an enforce location a body is judged or refused: one that is not
    a POSTed form gets 415 and never reaches the backend."""
    body = urlenc(trip_pairs(members=0))
    headers = [("Content-Length", str(len(body))), ("X-Doanra-Decision", "pass")]
    if ctype:
        headers.append(("Content-Type", ctype))
    interim, rs = probe.raw(raw_request(method, probe.url("submit"), headers, body))
    r = probe.judge(rs[0], {415})
    assert not r.reached_backend()


@pytest.mark.parametrize("method,ctype", [
    ("GET", FORM), ("PUT", FORM), ("DELETE", FORM), ("POST", "text/plain"),
    ("POST", "application/json"), ("POST", None),
    ("POST", "application/x-www-form-urlencodedx"),
], ids=["get-with-body", "put", "delete", "text-plain", "json", "no-type",
        "lookalike-type"])
def test_untouched_with_other_requests_pass(probe, method, ctype):
    body = urlenc(trip_pairs(members=0))   # would fail if judged
    headers = [("Content-Length", str(len(body))), ("X-Doanra-Decision", "pass")]
    if ctype:
        headers.append(("Content-Type", ctype))
    interim, rs = probe.raw(raw_request(method, probe.url("api"), headers, body))
    r = probe.judge(rs[0], {200}, evaluated=False)
    assert r.reached_backend()
    assert r.header("X-Echo-Length") == str(len(body))
    assert r.header("X-Echo-Method") == method


@pytest.mark.parametrize("ctype", [
    "APPLICATION/X-WWW-FORM-URLENCODED",
    "application/x-www-form-urlencoded;charset=UTF-8",
    "application/x-www-form-urlencoded ; charset=utf-8",
    "  application/x-www-form-urlencoded",
], ids=["upper", "charset", "space-before-param", "leading-space"])
def test_form_type_variants_are_judged(probe, ctype):
    """Any spelling a backend parses as a form is judged: no bypass."""
    body = urlenc(trip_pairs())
    interim, rs = probe.raw(raw_request("POST", probe.url("submit"),
                                        [("Content-Type", ctype),
                                         ("Content-Length", str(len(body)))], body))
    r = probe.judge(rs[0], {422})
    assert r.finding("size") is not None
