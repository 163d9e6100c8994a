"""faultlib.py - the database's faults, floods and half-finished requests
(SPEC section 5, "Nothing is lost, even under faults"), shared by
tests/integration/test_journal.py (short, bounded) and tests/soak (long).

  environment()    PostgreSQL + Apache of their own, with a short
                   DoanraDatabaseTimeout, DoanraJournal in the run directory
                   and RequestReadTimeout (mod_reqtimeout);
  Poster           threads POSTing fresh delegations; every request keeps
                   its first member's name (unique), status, decision,
                   whether the backend answered it, and how long it took;
  nothing_lost()   every request the backend accepted is a trip in
                   doanra.trips that counts, exactly once; nothing else
                   counts; no trip is left pending;
  pg_signal()      SIGSTOP / SIGCONT every process of the private cluster;
  apache_kill()    SIGKILL the Apache parent and its children.

Built on tests/integration/harness.py and tests/soak/loadlib.py.
"""
import glob
import os
import signal
import socket
import subprocess
import threading
import time

import loadlib  # noqa: F401  (puts tests/integration on sys.path)
import harness  # noqa: E402

TIMEOUT = float(os.environ.get("DOANRA_FAULT_TIMEOUT", "2"))
MAX_CONNECTIONS = 4
PROCESSES = 2  # harness: ServerLimit 2
# How late a request may answer beyond DoanraDatabaseTimeout on a loaded
# machine (two cores shared with PostgreSQL, Apache and the clients).
SLACK = float(os.environ.get("DOANRA_FAULT_SLACK", "3"))

EXTRA = r"""
DoanraDatabaseTimeout %s
DoanraMaxConnections %d
DoanraJournal "@RUN@/journal"
<IfModule !reqtimeout_module>
    LoadModule reqtimeout_module @MODULES@/mod_reqtimeout.so
</IfModule>
RequestReadTimeout header=5-10,MinRate=500 body=5,MinRate=500
""" % (TIMEOUT, MAX_CONNECTIONS)


def environment():
    """Generator fixture body (`yield from`): its own PostgreSQL + Apache.
    PostgreSQL is resumed and started before the teardown."""
    e = harness.Environment(extra=EXTRA)
    try:
        e.start()
    except Exception:
        e.stop(failed=True)
        raise
    yield e
    try:
        pg_signal(e.pg, signal.SIGCONT)
    except Exception:
        pass
    if not loadlib.pg_is_up(e.pg):
        try:
            loadlib.pg_start(e.pg)
        except Exception:
            pass
    crashes = e.apache.crashes()
    e.stop(failed=bool(crashes))
    assert not crashes, crashes


# ---------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------

def _children(ppid):
    out = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(stat) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == ppid:
                out.append(int(stat.split("/")[2]))
        except (OSError, IndexError, ValueError):
            pass
    return out


def pg_pids(pg):
    """The postmaster of the private cluster and its children."""
    with open(os.path.join(pg.data, "postmaster.pid")) as f:
        master = int(f.readline())
    return [master] + _children(master)


def pg_signal(pg, sig):
    for pid in pg_pids(pg):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def apache_kill(apache):
    """SIGKILL the parent and every child at once (a crash, the OOM killer):
    no cleanup, no log_transaction, no graceful anything."""
    parent = apache.pid()
    pids = [parent] + _children(parent) if parent else []
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.time() + 10
    while time.time() < deadline and any(os.path.exists("/proc/%d" % p)
                                         for p in pids):
        time.sleep(0.05)
    for p in (apache.pidfile,):
        try:
            os.unlink(p)
        except OSError:
            pass
    apache.started = False


def apache_start(apache):
    """Start Apache again with the same config (its journal survives)."""
    r = subprocess.run([harness.APACHE_BIN, "-f", apache.conf, "-k", "start"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert r.returncode == 0, r.stdout
    apache.started = True
    assert harness.wait_port(apache.port)


def journal_files(env):
    """Entries still to write in.  Orphans ("-o.j": a commit whose answer
    was lost, looked for a while in case a resumed server still runs it)
    are left out: whether they did their work shows in the trips."""
    return [p for p in glob.glob(os.path.join(env.run, "journal", "*", "*.j"))
            if not p.endswith("-o.j")]


def wait_journal_empty(env, timeout=30):
    return env.wait_for(lambda: not journal_files(env), timeout=timeout,
                        interval=0.2)


def mod_doanra_connections(env):
    return int(env.psql("SELECT count(*) FROM pg_stat_activity WHERE "
                        "application_name = 'mod_doanra'")[0][0])


# ---------------------------------------------------------------------------
# Load
# ---------------------------------------------------------------------------

class Post:
    __slots__ = ("name", "t", "took", "status", "decision", "reached",
                 "error", "submission")


class Poster:
    """POST fresh delegations (each with its own people) to path from
    `threads` threads until stop(); every request is kept."""

    def __init__(self, port, path, threads=8, fail_every=0, timeout=60):
        self.client = harness.Client(port)
        self.path = path
        self.threads = threads
        self.fail_every = fail_every
        self.timeout = timeout
        self.posts = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._seq = 0
        self._workers = []
        self.t0 = time.time()

    def one(self):
        with self._lock:
            self._seq += 1
            i = self._seq
        t = loadlib.fresh_trip(i, self.fail_every)
        p = Post()
        p.name = t.members[0]["name"]
        p.t = time.time() - self.t0
        p.status = p.decision = p.submission = p.error = None
        p.reached = False
        start = time.time()
        try:
            r = self.client.request(
                "POST", self.path,
                body=harness.encode_urlencoded(t.pairs()),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                timeout=self.timeout)
            p.status = r.status
            p.decision = r.header("X-Doanra-Decision")
            p.submission = r.header("X-Doanra-Submission")
            p.reached = r.reached_backend()
        except Exception as e:  # reset by a killed server, timeouts
            p.error = "%s: %s" % (type(e).__name__, e)
        p.took = time.time() - start
        with self._lock:
            self.posts.append(p)
        return p

    def _run(self):
        while not self._stop.is_set():
            self.one()

    def start(self):
        self.t0 = time.time()
        for _ in range(self.threads):
            th = threading.Thread(target=self._run, daemon=True)
            th.start()
            self._workers.append(th)
        return self

    def stop(self):
        self._stop.set()
        for th in self._workers:
            th.join(self.timeout + 5)
        return self


def trips_by_name(env, names):
    """{first member's name: [trip statuses]} for these names."""
    out = {}
    names = list(names)
    for i in range(0, len(names), 500):
        chunk = names[i:i + 500]
        rows = env.psql_json(
            "SELECT tm.full_name AS name, t.status, s.unchecked, "
            "s.backend_status FROM doanra.trip_members tm "
            "JOIN doanra.trips t ON t.id = tm.trip_id "
            "JOIN doanra.submissions s ON s.id = t.submission_id "
            "WHERE tm.seq = 1 AND tm.full_name = ANY(%s::text[])"
            % harness.sql_literal(list(chunk)))
        for r in rows or []:
            out.setdefault(r["name"], []).append(r)
    return out


COUNTED = ("pending", "submitted", "approved", "completed")


def nothing_lost(env, posts, drain_timeout=40, killed=()):
    """Wait for the journal to drain, then account for every request:
    accepted by the backend (2xx with the echo's header) -> exactly one
    counted trip; answered without the backend (422, 503, 400) -> no
    counted trip; `killed` (no answer: the server died) -> at most one,
    settled.  Returns (figures, problems)."""
    drained = wait_journal_empty(env, drain_timeout)
    trips = trips_by_name(env, [p.name for p in posts])
    problems = []
    accepted = [p for p in posts if p.reached and p.status and
                200 <= p.status < 400]
    dup = lost = extra = 0
    for p in accepted:
        rows = trips.get(p.name, [])
        counted = [r for r in rows if r["status"] in COUNTED]
        if len(rows) > 1:
            dup += 1
            problems.append("duplicate: %s %s" % (p.name, rows))
        if not counted:
            lost += 1
            problems.append("lost: %s (answered %s %s at %.2fs) trips %s"
                            % (p.name, p.status, p.decision, p.t, rows))
    for p in posts:
        if p in accepted or p.error:
            continue
        rows = [r for r in trips.get(p.name, []) if r["status"] in COUNTED]
        if rows:
            extra += 1
            problems.append("counted but not accepted: %s (answered %s) %s"
                            % (p.name, p.status, rows))
    for p in posts:
        if p.error and len(trips.get(p.name, [])) > 1:
            dup += 1
            problems.append("duplicate after a lost answer: %s" % p.name)
    pending = int(env.psql("SELECT count(*) FROM doanra.trips WHERE status = "
                           "'pending'")[0][0])
    if pending:
        problems.append("%d trips still pending" % pending)
    if not drained:
        problems.append("journal not drained: %d entries"
                        % len(journal_files(env)))
    in_history = sum(1 for p in accepted
                     if any(r["status"] in COUNTED
                            for r in trips.get(p.name, [])))
    figures = {
        "requests": len(posts),
        "accepted": len(accepted),
        "in history": in_history,
        "duplicates": dup,
        "lost": lost,
        "counted not accepted": extra,
        "unchecked": sum(1 for p in posts if p.decision == "unchecked"),
        "no answer": sum(1 for p in posts if p.error),
        "longest wait": round(max((p.took for p in posts), default=0.0), 2),
        "left pending": pending,
    }
    return figures, problems


def figures_line(name, f):
    return ("%s: requests %d, trips accepted by the backend %d, trips in the "
            "history %d, duplicates %d, lost %d, unchecked %d, no answer %d, "
            "longest wait %.2fs" % (name, f["requests"], f["accepted"],
                                    f["in history"], f["duplicates"], f["lost"],
                                    f["unchecked"], f["no answer"],
                                    f["longest wait"]))


# ---------------------------------------------------------------------------
# Slow bodies
# ---------------------------------------------------------------------------

def slow_bodies(port, path, n, length=4000, every=2.0):
    """n connections that send their headers and then a byte of body every
    `every` seconds.  Returns (sockets, a function that trickles one round
    and returns how many the server has closed)."""
    socks = []
    head = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
            "application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n"
            % (path, length)).encode()
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(head + b"d")
        s.setblocking(False)
        socks.append(s)
    closed = set()

    def trickle():
        for i, s in enumerate(socks):
            if i in closed:
                continue
            try:
                data = s.recv(4096)
                if data == b"" or data.startswith(b"HTTP/1.1 4"):
                    closed.add(i)
                    continue
            except BlockingIOError:
                pass
            except OSError:
                closed.add(i)
                continue
            try:
                s.send(b"o")
            except OSError:
                closed.add(i)
        return len(closed)

    return socks, trickle
