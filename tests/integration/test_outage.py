"""test_outage.py - PostgreSQL goes away under a running Apache and comes
back (SPEC section 5, "Nothing is lost").

With its own Environment (PostgreSQL + Apache for this module only, so
stopping the database disturbs no other test module):

  1. pg_ctl stop -m fast;
  2. enforce + DoanraOnDatabaseError refuse: 503, a Vietnamese page that
     says the request was NOT sent and shows what was typed (escaped); the
     backend never saw it (no echo answer, no line in backend.log);
  3. DoanraOnDatabaseError allow: passed on with X-Doanra-Decision:
     unchecked, as request header to the backend and as response header,
     journalled and written in once the database is back;
  4. PostgreSQL started again on the same port: without restarting Apache
     the next submissions are checked and recorded again.
Tests run in file order and share the outage; each names the state of the
database it needs (fixtures db_up, db_down, allowed_while_down), so that
any one of them also runs alone (-k) and finds the outage it is about."""
import os
import sys
import time

import pytest

import harness
from harness import valid_trip

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "soak"))
import loadlib  # noqa: E402


@pytest.fixture(scope="module")
def oenv():
    yield from loadlib.private_environment()


@pytest.fixture(scope="module")
def apache_pid(oenv):
    """The parent's pid before the outage (the pid file appears just after
    the port opens)."""
    return oenv.wait_for(oenv.apache.pid, timeout=5)


def _ensure_down(oenv):
    if loadlib.pg_is_up(oenv.pg):
        loadlib.pg_stop(oenv.pg, "fast")


def _ensure_up(oenv):
    if not loadlib.pg_is_up(oenv.pg):
        loadlib.pg_start(oenv.pg)


@pytest.fixture
def db_down(oenv):
    """PostgreSQL stopped (pg_ctl stop -m fast), unless it already is."""
    _ensure_down(oenv)


@pytest.fixture
def db_up(oenv):
    """PostgreSQL running, started again if an earlier test stopped it."""
    _ensure_up(oenv)


@pytest.fixture(scope="module")
def allowed_while_down(oenv):
    """One submission to the DoanraOnDatabaseError allow location during
    the outage, with a forged X-Doanra-Decision: (response, body sent)."""
    _ensure_down(oenv)
    body = harness.encode_urlencoded(valid_trip().pairs())
    r = oenv.client.post("/faults/allow", body, "application/x-www-form-urlencoded",
                         headers={"X-Doanra-Decision": "pass"})
    return r, body


def test_up_before_outage(oenv, apache_pid, db_up):
    r = oenv.post_form("/faults/refuse", valid_trip())
    assert r.status == 200 and r.reached_backend()
    assert r.header("X-Doanra-Decision") == "pass"
    assert oenv.submission(int(r.header("X-Doanra-Submission")))


def test_database_stopped(oenv, apache_pid):
    loadlib.pg_stop(oenv.pg, "fast")
    assert not loadlib.pg_is_up(oenv.pg)


def test_refuse_answers_503_page_with_typed_values(oenv, db_down):
    t = valid_trip()
    t.muc_dich = "Dự hội thảo <b>\"Kinh tế biển\"</b> & ký kết hợp tác"
    t.doi_tac = "Đại học Kyushu <i>Nhật Bản</i>"
    before = len(loadlib.backend_lines(oenv.apache, "/faults/refuse"))
    r = oenv.post_form("/faults/refuse", t)
    assert r.status == 503, "%r %s" % (r, r.body[:500])
    assert not r.reached_backend()
    assert r.echo() is None
    assert r.header("Content-Type", "").startswith("text/html")
    # Says so, in Vietnamese: the checker is down and the request NOT sent.
    assert "tạm thời không hoạt động" in r.body
    assert "CHƯA được gửi" in r.body
    assert 'lang="vi"' in r.body
    # Shows what they typed, escaped.
    assert ("Dự hội thảo &lt;b&gt;&quot;Kinh tế biển&quot;&lt;/b&gt; &amp; ký kết"
            " hợp tác" in r.body
            or "Dự hội thảo &lt;b&gt;&#34;Kinh tế biển&#34;&lt;/b&gt; &amp; ký kết"
            " hợp tác" in r.body), r.body
    assert "<b>\"Kinh" not in r.body and "<i>Nhật" not in r.body
    assert "Đại học Kyushu &lt;i&gt;Nhật Bản&lt;/i&gt;" in r.body
    for m in t.members:
        assert m["name"] in r.body
    assert t.ngay_di.isoformat() in r.body
    # The backend did not get it.
    time.sleep(0.3)
    assert len(loadlib.backend_lines(oenv.apache, "/faults/refuse")) == before


def test_refuse_multipart_and_english(oenv, db_down):
    t = valid_trip()
    r = oenv.post_form("/faults/refuse", t, multipart=True)
    assert r.status == 503 and not r.reached_backend()
    assert t.members[0]["name"] in r.body
    r = oenv.post_form("/en/submit", t)
    assert r.status == 503 and not r.reached_backend()
    assert "temporarily unavailable" in r.body


def test_allow_passes_unchecked(oenv, allowed_while_down):
    r, body = allowed_while_down
    assert r.status == 200 and r.reached_backend(), r.body[:300]
    assert r.header("X-Doanra-Decision") == "unchecked"
    echo = r.echo()
    assert echo["x-doanra-decision"] == "unchecked"
    assert echo.get("x-doanra-submission") in (None, "")
    assert r.header("X-Echo-Length") == str(len(body))
    lines = loadlib.wait_backend_log(oenv.apache, "/faults/allow", 1)
    assert lines[-1].decision == "unchecked"


def test_back_without_apache_restart(oenv, apache_pid, allowed_while_down, capsys):
    _ensure_down(oenv)
    loadlib.pg_start(oenv.pg)
    assert loadlib.pg_is_up(oenv.pg)
    t0 = time.time()
    r = None
    attempts = 0
    while time.time() - t0 < 10:
        attempts += 1
        r = oenv.post_form("/faults/refuse", valid_trip())
        if r.status == 200:
            break
        assert r.status == 503 and not r.reached_backend(), r
        time.sleep(0.2)
    took = time.time() - t0
    with capsys.disabled():
        print("\noutage: recorded again %.2fs after PostgreSQL restart (%d attempts)"
              % (took, attempts))
    assert r.status == 200 and r.reached_backend(), r.body[:300]
    assert r.header("X-Doanra-Decision") == "pass"
    sid = int(r.header("X-Doanra-Submission"))
    assert oenv.submission(sid)["decision"] == "pass"
    assert oenv.wait_trip_status(sid, "submitted")["status"] == "submitted"
    # Every child is healed: a burst is all checked and recorded.
    for _ in range(10):
        r = oenv.post_form("/faults/refuse", valid_trip())
        assert r.status == 200 and r.header("X-Doanra-Submission"), r
    # Blocking works again too (the rules have their facts).
    r = oenv.post_form("/faults/refuse", valid_trip(members=11))
    assert r.status == 422 and r.finding("size")
    # The same Apache: no restart was needed.
    assert apache_pid and oenv.apache.pid() == apache_pid


def test_nothing_recorded_while_down(oenv, allowed_while_down, db_up):
    """The outage left no half-written rows: every trip is settled, and the
    allow-mode request was written in from the journal once the database
    was back, exactly once, as a trip that counts."""
    rows = oenv.wait_for(lambda: oenv.psql(
        "SELECT s.unchecked, t.status FROM doanra.submissions s JOIN "
        "doanra.trips t ON t.submission_id = s.id WHERE s.location = "
        "'/faults/allow'"), timeout=15, interval=0.2)
    assert [tuple(r) for r in rows] == [("t", "submitted")], rows
    pending = oenv.wait_for(lambda: oenv.psql(
        "SELECT count(*) FROM doanra.trips WHERE status = 'pending'")[0][0] == "0")
    assert pending


def test_immediate_stop_and_restart(oenv, db_up):
    """A crash (stop -m immediate) heals the same way."""
    loadlib.pg_stop(oenv.pg, "immediate")
    r = oenv.post_form("/faults/refuse", valid_trip())
    assert r.status == 503 and not r.reached_backend()
    loadlib.pg_start(oenv.pg)
    ok = oenv.wait_for(lambda: oenv.post_form("/faults/refuse", valid_trip())
                       .status == 200, timeout=10, interval=0.2)
    assert ok
