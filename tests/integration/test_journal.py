"""test_journal.py - faults through the real Apache and PostgreSQL (SPEC
section 5, "Nothing is lost, even under faults"; directives
DoanraOnDatabaseError, DoanraJournal, DoanraDatabaseTimeout,
DoanraMaxConnections).

Its own PostgreSQL + Apache (tests/soak/faultlib.py: DoanraDatabaseTimeout
2, DoanraMaxConnections 4, the journal in the run directory,
RequestReadTimeout).  Every fault test asserts that nothing is lost (every
trip the backend accepted is in doanra.trips and counts, exactly once; no
trip left pending) and that no worker was held past the deadline (each
answer within DoanraDatabaseTimeout + slack).  Prints one figures line per
scenario; `make soak` runs the same scenarios longer (tests/soak).
"""
import datetime
import glob
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import harness

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "soak"))
import faultlib  # noqa: E402
import loadlib  # noqa: E402

BOUND = faultlib.TIMEOUT + faultlib.SLACK


@pytest.fixture(scope="module")
def jenv():
    yield from faultlib.environment()


@pytest.fixture(autouse=True)
def database_up(jenv):
    """Each test starts and ends with the database running and the journal
    drained."""
    yield
    faultlib.pg_signal(jenv.pg, signal.SIGCONT)
    if not loadlib.pg_is_up(jenv.pg):
        loadlib.pg_start(jenv.pg)
    if not jenv.apache.started:
        faultlib.apache_start(jenv.apache)
    faultlib.wait_journal_empty(jenv, 30)


def show(capsys, line):
    with capsys.disabled():
        print("\n" + line, flush=True)


def check(problems, figures):
    assert not problems, "\n".join(problems[:20])
    assert figures["duplicates"] == 0 and figures["lost"] == 0


# ---------------------------------------------------------------------------
# allow: the rules without history, the journal, written in once
# ---------------------------------------------------------------------------

def test_allow_static_error_still_blocks(jenv):
    loadlib.pg_stop(jenv.pg, "fast")
    try:
        r = jenv.post_form("/journal/allow", harness.valid_trip(members=11))
        assert r.status == 422 and not r.reached_backend(), r
        assert r.finding("size")
        assert r.header("X-Doanra-Decision") == "fail"
        assert not faultlib.journal_files(jenv)
        r = jenv.post_form("/journal/allow", harness.valid_trip())
        assert r.status == 200 and r.reached_backend()
        assert r.header("X-Doanra-Decision") == "unchecked"
        assert r.echo()["x-doanra-decision"] == "unchecked"
        assert len(faultlib.journal_files(jenv)) == 1  # written before: fsync
    finally:
        loadlib.pg_start(jenv.pg)
    assert faultlib.wait_journal_empty(jenv, 20)
    rows = jenv.psql_json("SELECT s.unchecked, s.decision, s.journal_key, "
                          "t.status, s.backend_status FROM doanra.submissions s "
                          "JOIN doanra.trips t ON t.submission_id = s.id "
                          "WHERE s.location = '/journal/allow'")
    assert len(rows) == 1, rows
    assert rows[0]["unchecked"] and rows[0]["journal_key"]
    assert rows[0]["status"] == "submitted" and rows[0]["backend_status"] == 200


def test_database_stopped_during_allow_traffic(jenv, capsys):
    load = faultlib.Poster(jenv.apache.port, "/journal/allow", threads=6,
                           fail_every=5).start()
    time.sleep(1.5)
    loadlib.pg_stop(jenv.pg, "fast")
    time.sleep(3)
    loadlib.pg_start(jenv.pg)
    time.sleep(3)
    load.stop()
    figures, problems = faultlib.nothing_lost(jenv, load.posts)
    show(capsys, faultlib.figures_line("journal: pg stopped under allow", figures))
    check(problems, figures)
    assert figures["unchecked"] > 0, figures
    assert figures["no answer"] == 0
    assert all(p.status in (200, 422) for p in load.posts), \
        sorted({p.status for p in load.posts})
    assert figures["longest wait"] <= BOUND


def test_journal_survives_apache_restart_and_late_check(jenv, capsys):
    """Outage, then Apache stopped and started again, then the database back:
    the journal is on disk and is written in; the history rules run late and
    the quota breach shows in sql/reports/unchecked-trips.sql."""
    leader = harness.person_name(0)
    year = harness.today().year + 1
    loadlib.pg_stop(jenv.pg, "fast")
    names = []
    for month in (3, 6, 9):  # three trips of one key leader: one too many
        t = harness.valid_trip()
        t.set_dates(datetime.date(year, month, 1), [3], ["JP"])
        t.members = []
        t.add_member(name=leader, position="Giám đốc", unit="Sở Kiểm thử")
        t.add_member()
        names.append(t.members[1]["name"])
        r = jenv.post_form("/journal/allow", t)
        assert r.status == 200 and r.header("X-Doanra-Decision") == "unchecked"
    assert len(faultlib.journal_files(jenv)) == 3
    jenv.apache.stop()
    assert len(faultlib.journal_files(jenv)) == 3
    faultlib.apache_start(jenv.apache)
    time.sleep(1)
    assert len(faultlib.journal_files(jenv)) == 3  # nothing to write to yet
    loadlib.pg_start(jenv.pg)
    assert faultlib.wait_journal_empty(jenv, 30)
    rows = jenv.psql_json(
        "SELECT v.late_decision, v.late_rules, v.status FROM doanra.v_unchecked_trips v "
        "JOIN doanra.trip_members tm ON tm.trip_id = v.trip_id AND tm.seq = 1 "
        "WHERE tm.full_name = %s" % harness.sql_literal(leader))
    assert len(rows) == 3, rows
    assert all(r["status"] == "submitted" for r in rows)  # all three count
    fails = [r for r in rows if r["late_decision"] == "fail"]
    assert len(fails) == 1 and "leader-quota" in fails[0]["late_rules"], rows
    out = subprocess.run(
        harness.Postgres._psql_argv(jenv.pg) + ["-f", os.path.join(
            harness.ROOT, "sql", "reports", "unchecked-trips.sql")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=True).stdout
    assert "leader-quota" in out.decode()
    show(capsys, "journal: 3 unchecked trips kept across an Apache restart, "
         "written in once; the late check failed 1 (leader-quota)")


# ---------------------------------------------------------------------------
# Settles that cannot be written
# ---------------------------------------------------------------------------

def test_apache_killed_between_decision_and_settle(jenv, capsys):
    """SIGKILL while the backend is still working on recorded trips: their
    settle never runs in the dead processes; the journal (written before the
    backend was called) settles them when Apache is back."""
    load = faultlib.Poster(jenv.apache.port, "/journal/refuse?sleep=4000",
                           threads=6).start()
    time.sleep(2)
    load._stop.set()  # no new requests: only those in flight are cut
    faultlib.apache_kill(jenv.apache)
    load.stop()
    pending = int(jenv.psql("SELECT count(*) FROM doanra.trips WHERE status = "
                            "'pending'")[0][0])
    assert pending > 0  # the kill did land between decision and settle
    assert faultlib.journal_files(jenv)
    faultlib.apache_start(jenv.apache)
    figures, problems = faultlib.nothing_lost(jenv, load.posts)
    show(capsys, faultlib.figures_line(
        "journal: apache SIGKILL with %d trips pending" % pending, figures))
    check(problems, figures)
    unknown = int(jenv.psql("SELECT count(*) FROM doanra.trips t JOIN "
                            "doanra.submissions s ON s.id = t.submission_id "
                            "WHERE s.location LIKE '/journal/refuse%' AND "
                            "s.backend_status IS NULL AND s.settled_at IS NOT "
                            "NULL AND t.status = 'submitted'")[0][0])
    assert unknown >= pending


def spare_files(env):
    return glob.glob(os.path.join(env.run, "journal", "*", ".spare-*"))


def test_apache_killed_while_entries_reuse_spare_files(jenv, capsys):
    """Entry files are reused: a settled decision's file is kept aside as a
    spare (open and locked by its process) and the next decision is written
    into it.  A decision written into a spare is as good as a new file:
    SIGKILL while the backend works on such decisions, and the restarted
    Apache settles them all and removes the dead processes' spares."""
    warm = faultlib.Poster(jenv.apache.port, "/journal/refuse",
                           threads=4).start()
    time.sleep(2)
    warm.stop()
    spares = spare_files(jenv)
    assert spares, "no spare entry file after %d submissions" % len(warm.posts)
    assert len(spares) <= 2 * 32, len(spares)  # SPARES_MAX per process
    load = faultlib.Poster(jenv.apache.port, "/journal/refuse?sleep=4000",
                           threads=6).start()
    time.sleep(2)
    load._stop.set()
    faultlib.apache_kill(jenv.apache)
    load.stop()
    pending = int(jenv.psql("SELECT count(*) FROM doanra.trips WHERE status = "
                            "'pending'")[0][0])
    assert pending > 0
    assert faultlib.journal_files(jenv)
    dead = set(spare_files(jenv))
    faultlib.apache_start(jenv.apache)
    figures, problems = faultlib.nothing_lost(jenv, warm.posts + load.posts)
    show(capsys, faultlib.figures_line(
        "journal: apache SIGKILL with %d trips pending, entries in spare files"
        % pending, figures))
    check(problems, figures)
    assert jenv.wait_for(lambda: not (dead & set(spare_files(jenv))),
                         timeout=10), sorted(dead & set(spare_files(jenv)))


def test_spare_files_only_while_busy(jenv):
    """Spare entry files live only while a process is busy: removed within
    a few seconds of quiet, and by a stopping Apache at once, so an idle
    server's journal directory is empty."""
    load = faultlib.Poster(jenv.apache.port, "/journal/refuse",
                           threads=4).start()
    time.sleep(1.5)
    load.stop()
    assert spare_files(jenv)
    assert jenv.wait_for(lambda: not spare_files(jenv), timeout=5), \
        spare_files(jenv)
    again = faultlib.Poster(jenv.apache.port, "/journal/refuse",
                            threads=4).start()
    time.sleep(1.5)
    again.stop()
    assert spare_files(jenv)
    jenv.apache.stop()
    assert not spare_files(jenv), spare_files(jenv)
    faultlib.apache_start(jenv.apache)
    figures, problems = faultlib.nothing_lost(jenv, load.posts + again.posts)
    check(problems, figures)


def test_table_lock_held_30s(jenv, capsys):
    """A session holds doanra.trips locked for 30 s: every request ends
    within the deadline (503 at refuse, unchecked + journal at allow) and
    everything is written in once the lock goes."""
    locker = subprocess.Popen(
        harness.Postgres._psql_argv(jenv.pg) + ["-c", "BEGIN; LOCK TABLE "
                                                "doanra.trips IN ACCESS EXCLUSIVE "
                                                "MODE; SELECT pg_sleep(30); COMMIT;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    try:
        time.sleep(0.5)
        allow = faultlib.Poster(jenv.apache.port, "/journal/allow", threads=4).start()
        refuse = faultlib.Poster(jenv.apache.port, "/journal/refuse", threads=2).start()
        time.sleep(8)
        allow.stop()
        refuse.stop()
    finally:
        locker.wait(60)
    held = time.time() - t0
    posts = allow.posts + refuse.posts
    figures, problems = faultlib.nothing_lost(jenv, posts, drain_timeout=30)
    show(capsys, faultlib.figures_line("journal: trips locked %.0fs" % held,
                                       figures))
    check(problems, figures)
    assert all(p.status == 503 for p in refuse.posts), \
        sorted({p.status for p in refuse.posts})
    assert all(p.decision == "unchecked" for p in allow.posts)
    assert figures["longest wait"] <= BOUND, figures


def test_database_sigstopped_then_resumed(jenv, capsys):
    """A hung database (SIGSTOP: no RST, the kernel still acknowledges):
    no worker waits past the deadline; after SIGCONT all is written in."""
    allow = faultlib.Poster(jenv.apache.port, "/journal/allow", threads=6,
                            fail_every=6).start()
    refuse = faultlib.Poster(jenv.apache.port, "/journal/refuse", threads=2).start()
    time.sleep(1.5)
    faultlib.pg_signal(jenv.pg, signal.SIGSTOP)
    time.sleep(8)
    faultlib.pg_signal(jenv.pg, signal.SIGCONT)
    time.sleep(4)
    allow.stop()
    refuse.stop()
    posts = allow.posts + refuse.posts
    figures, problems = faultlib.nothing_lost(jenv, posts, drain_timeout=40)
    show(capsys, faultlib.figures_line("journal: pg SIGSTOP 8s", figures))
    check(problems, figures)
    assert figures["unchecked"] > 0
    assert any(p.status == 503 for p in refuse.posts)
    assert figures["longest wait"] <= BOUND, figures
    # Recorded and checked again after SIGCONT.
    r = jenv.post_form("/journal/refuse", harness.valid_trip())
    assert r.status == 200 and r.header("X-Doanra-Submission")


# ---------------------------------------------------------------------------
# Floods
# ---------------------------------------------------------------------------

def test_300_clients_on_the_json_check(jenv, capsys):
    t = harness.valid_trip()
    body = harness.encode_urlencoded(t.pairs())
    client = harness.Client(jenv.apache.port)
    results = []
    lock = threading.Lock()
    peak = [0]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], faultlib.mod_doanra_connections(jenv))
            time.sleep(0.05)

    def one():
        start = time.time()
        try:
            r = client.request("POST", "/journal/check", body=body, headers={
                "Content-Type": "application/x-www-form-urlencoded"}, timeout=120)
            st = r.status
        except Exception as e:
            st = repr(e)
        with lock:
            results.append((st, time.time() - start))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    threads = [threading.Thread(target=one, daemon=True) for _ in range(300)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(150)
    stop.set()
    sampler.join(5)
    statuses = {}
    for st, _ in results:
        statuses[st] = statuses.get(st, 0) + 1
    cap = faultlib.PROCESSES * faultlib.MAX_CONNECTIONS
    show(capsys, "journal: 300 clients on the JSON check: statuses %s, peak "
         "connections %d (cap %d x %d = %d), longest answer %.2fs"
         % (statuses, peak[0], faultlib.PROCESSES, faultlib.MAX_CONNECTIONS,
            cap, max(d for _, d in results)))
    assert len(results) == 300
    assert set(statuses) <= {200, 503}, statuses
    assert statuses.get(200, 0) >= 250, statuses
    assert 0 < peak[0] <= cap


def test_slow_body_flood(jenv, capsys):
    """Connections trickling a byte every 2 s hold workers only as long as
    RequestReadTimeout allows; real users get through meanwhile."""
    socks, trickle = faultlib.slow_bodies(jenv.apache.port, "/journal/allow", 120)
    try:
        t0 = time.time()
        served = None
        closed = 0
        while time.time() - t0 < 40:
            closed = trickle()
            if served is None:
                try:
                    r = jenv.post_form("/journal/allow", harness.valid_trip())
                    if r.status == 200:
                        served = time.time() - t0
                except Exception:
                    pass
            if served is not None and closed == len(socks):
                break
            time.sleep(1.0)
        took = time.time() - t0
    finally:
        for s in socks:
            s.close()
    show(capsys, "journal: slow-body flood of %d connections: a real user "
         "served after %s s, %d slow connections closed by the server in %.1fs"
         % (len(socks), "%.1f" % served if served is not None else "never",
            closed, took))
    assert served is not None and served < 30
    assert closed == len(socks)


# ---------------------------------------------------------------------------
# Stored field values: 4 KiB each, with the full length and SHA-256
# ---------------------------------------------------------------------------

def test_field_values_capped_at_4k(jenv, capsys):
    import hashlib
    import json
    t = harness.valid_trip()
    long_purpose = "Xúc tiến đầu tư " * 6000  # ~100 KB, multi-byte UTF-8
    t.muc_dich = long_purpose
    r = jenv.post_form("/journal/refuse", t)
    assert r.status == 200 and r.reached_backend()
    # The backend got every byte.
    assert int(r.header("X-Echo-Length")) > 100000
    sid = int(r.header("X-Doanra-Submission"))
    fields = jenv.psql_json("SELECT fields FROM doanra.submissions WHERE id = %d"
                            % sid)[0]["fields"]
    if isinstance(fields, str):
        fields = json.loads(fields)
    v = fields["muc_dich"]
    raw = long_purpose.encode("utf-8")
    assert isinstance(v, dict), v if not isinstance(v, str) else len(v)
    assert v["length"] == len(raw)
    assert v["sha256"] == hashlib.sha256(raw).hexdigest()
    assert len(v["cut"].encode("utf-8")) <= 4096
    assert raw.startswith(v["cut"].encode("utf-8"))
    # Short values are stored as they were.
    assert fields["doi_tac"] == t.doi_tac
    purpose = jenv.psql("SELECT octet_length(purpose) FROM doanra.trips WHERE "
                        "submission_id = %d" % sid)[0][0]
    assert int(purpose) <= 4096

    # A flood of blocked near-1 MiB bodies adds little to the disk.
    size = lambda: int(jenv.psql(  # noqa: E731
        "SELECT pg_total_relation_size('doanra.submissions')")[0][0])
    before = size()
    blocked = harness.valid_trip(members=11)
    blocked.extra = [("ghi_chu", "x" * 1000000)]
    body = harness.encode_urlencoded(blocked.pairs())
    n = 40
    for _ in range(n):
        r = jenv.client.post("/journal/refuse", body,
                             "application/x-www-form-urlencoded")
        assert r.status == 422
    grown = size() - before
    show(capsys, "journal: %d blocked bodies of %d bytes grew doanra.submissions "
         "by %d bytes" % (n, len(body), grown))
    assert grown < n * 64 * 1024, grown


# ---------------------------------------------------------------------------
# Accepted settles written together (settle.c)
# ---------------------------------------------------------------------------

def test_accepted_settles_batched_and_flushed_when_apache_stops(jenv, capsys):
    """Accepted submissions are settled by the settling thread, many to a
    transaction (their settled_at, the transaction's time, is shared), and
    Apache stopping right after the load still writes every one: no trip is
    left pending, nothing is lost or doubled."""
    load = faultlib.Poster(jenv.apache.port, "/journal/refuse",
                           threads=8).start()
    time.sleep(3)
    load.stop()
    jenv.apache.stop()  # at once: queued settles are flushed on the way out
    accepted = [p for p in load.posts if p.reached and p.status == 200]
    assert len(accepted) >= 20, len(load.posts)
    rows = jenv.psql_json(
        "SELECT count(*) AS settled, count(DISTINCT s.settled_at) AS commits,"
        " count(*) FILTER (WHERE t.status = 'pending') AS pending "
        "FROM doanra.submissions s JOIN doanra.trips t "
        "ON t.submission_id = s.id WHERE s.id = ANY(%s::bigint[])"
        % harness.sql_literal([int(p.submission) for p in accepted]))[0]
    faultlib.apache_start(jenv.apache)
    figures, problems = faultlib.nothing_lost(jenv, load.posts)
    show(capsys, faultlib.figures_line(
        "settle: %d accepted settled in %d commits, Apache stopped at once"
        % (rows["settled"], rows["commits"]), figures))
    check(problems, figures)
    assert rows["pending"] == 0, rows  # settled before Apache was down
    assert rows["settled"] == len(accepted), rows
    assert rows["commits"] < rows["settled"], rows
