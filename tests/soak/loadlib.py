"""loadlib.py - load and fault helpers shared by the fault tests
(tests/integration/test_faults.py, test_outage.py) and the long runs in
tests/soak: stopping and starting the harness's private PostgreSQL in place,
a thread pool that POSTs delegations and classifies every answer, and the
accounting that proves nothing reached the backend unchecked.

Built on tests/integration/harness.py (imported, never changed).  The
locations used are in tests/integration/conf.d/faults.conf; its backend.log
has one line per request the echo backend answered.
"""
import collections
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import harness  # noqa: E402


# ---------------------------------------------------------------------------
# PostgreSQL in place: same data directory, same port
# ---------------------------------------------------------------------------

def pg_stop(pg, mode="fast"):
    """pg_ctl stop -m mode (fast: clients are disconnected; immediate: the
    server dies without a checkpoint, as on a crash)."""
    pg._as_pg([os.path.join(harness.PG_BIN, "pg_ctl"), "-D", pg.data,
               "-m", mode, "-w", "-t", "60", "stop"])


def pg_start(pg):
    """Start the stopped cluster again on the same port and socket (the
    options harness.Postgres.start uses)."""
    opts = ("-c listen_addresses=127.0.0.1 -p %d -c unix_socket_directories=%s"
            " -c fsync=off -c max_connections=200" % (pg.port, pg.sock))
    pg._as_pg([os.path.join(harness.PG_BIN, "pg_ctl"), "-D", pg.data, "-l",
               pg.log, "-o", opts, "-w", "-t", "60", "start"])


def pg_is_up(pg):
    try:
        pg.psql("SELECT 1")
        return True
    except RuntimeError:
        return False


# ---------------------------------------------------------------------------
# The echo backend's own count (faults.conf: backend.log)
# ---------------------------------------------------------------------------

BackendLine = collections.namedtuple("BackendLine",
                                     "time uri status decision submission")


def private_environment():
    """A PostgreSQL and Apache of their own for a test module that stops and
    restarts the database (so the session's shared environment is never
    disturbed).  Use as a generator fixture: `yield from`.  PostgreSQL is
    brought back before the teardown; a crashed httpd child fails it."""
    e = harness.Environment()
    try:
        e.start()
    except Exception:
        e.stop(failed=True)
        raise
    yield e
    crashes = e.apache.crashes()
    if not pg_is_up(e.pg):
        try:
            pg_start(e.pg)
        except Exception:
            pass
    e.stop(failed=bool(crashes))
    assert not crashes, crashes


def backend_lines(apache, uri=None):
    """Requests the echo backend answered: (time, uri, status, the
    X-Doanra-Decision and X-Doanra-Submission request headers it got, '-'
    when absent)."""
    path = os.path.join(apache.run, "backend.log")
    out = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    t, rest = line.split(" ", 1)
                    u, rest = rest[1:].split('" ', 1)
                    status, _sha, dec, sub = rest.split()
                except ValueError:
                    continue
                if uri is None or u == uri:
                    out.append(BackendLine(int(t), u, int(status), dec, sub))
    except OSError:
        pass
    return out


def wait_backend_log(apache, uri, at_least, timeout=5.0):
    """Access logs are written after the response: wait until `at_least`
    lines for uri are there (or the timeout)."""
    deadline = time.time() + timeout
    lines = backend_lines(apache, uri)
    while len(lines) < at_least and time.time() < deadline:
        time.sleep(0.05)
        lines = backend_lines(apache, uri)
    return lines


# ---------------------------------------------------------------------------
# Load: a thread pool posting delegations, every answer classified
# ---------------------------------------------------------------------------

class Outcome:
    __slots__ = ("t", "status", "submission", "decision", "reached", "error",
                 "body_says_503")

    def __init__(self, t):
        self.t = t
        self.status = None
        self.submission = None
        self.decision = None
        self.reached = False
        self.error = None
        self.body_says_503 = False


def fresh_trip(i, fail_every=0, days_ahead=40):
    """A passing delegation with fresh people (so member-overlap never
    refuses one load request because of another); every fail_every-th one
    has 11 members, so 422 answers are in the mix."""
    t = harness.valid_trip(days_ahead=days_ahead + (i % 20))
    if fail_every and i % fail_every == 0:
        t.with_members(11)
    return t


class Load:
    """POST fresh delegations to path from `threads` threads until stop()
    (or `duration` seconds); every request's outcome is kept."""

    def __init__(self, port, path, threads=8, duration=None, fail_every=0,
                 timeout=30):
        self.client = harness.Client(port)
        self.path = path
        self.threads = threads
        self.duration = duration
        self.fail_every = fail_every
        self.timeout = timeout
        self.outcomes = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._seq = 0
        self._workers = []
        self.backend_before = {}
        self.t0 = None

    def _next(self):
        with self._lock:
            self._seq += 1
            return self._seq

    def _one(self):
        i = self._next()
        o = Outcome(time.time() - self.t0)
        body = harness.encode_urlencoded(fresh_trip(i, self.fail_every).pairs())
        try:
            r = self.client.request("POST", self.path, body=body, headers={
                "Content-Type": "application/x-www-form-urlencoded"},
                timeout=self.timeout)
            o.status = r.status
            o.submission = r.header("X-Doanra-Submission")
            o.decision = r.header("X-Doanra-Decision")
            o.reached = r.reached_backend()
            o.body_says_503 = (r.status == 503 and
                               "tạm thời không hoạt động" in r.body)
        except Exception as e:  # connection refused/reset, timeout
            o.error = "%s: %s" % (type(e).__name__, e)
        with self._lock:
            self.outcomes.append(o)

    def _run(self):
        while not self._stop.is_set():
            if self.duration and time.time() - self.t0 >= self.duration:
                break
            self._one()

    def start(self, apache=None):
        """apache: count the backend's log lines from here (see account)."""
        self.backend_before = {}
        if apache is not None:
            for b in backend_lines(apache):
                self.backend_before[b.uri] = self.backend_before.get(b.uri, 0) + 1
        self.t0 = time.time()
        for _ in range(self.threads):
            th = threading.Thread(target=self._run, daemon=True)
            th.start()
            self._workers.append(th)
        return self

    def stop(self):
        self._stop.set()
        self.join()

    def join(self):
        for th in self._workers:
            th.join(self.timeout + 5)
        return self


def account(env, load, uri):
    """Every request either recorded (2xx/422 with X-Doanra-Submission, the
    row in doanra.submissions) or visibly refused (503 page), and the
    backend saw only recorded, checked submissions.  Returns the figures
    and a list of problems (empty when all is well)."""
    outs = load.outcomes
    problems = []
    recorded = [o for o in outs if o.submission and o.status in (200, 422)]
    refused = [o for o in outs if o.status == 503 and not o.reached]
    classified = {id(o) for o in recorded} | {id(o) for o in refused}
    other = [o for o in outs if id(o) not in classified]
    for o in other[:10]:
        problems.append("unclassified answer at %.2fs: status %s, error %s, "
                        "submission %s" % (o.t, o.status, o.error, o.submission))
    for o in refused:
        if not o.body_says_503:
            problems.append("503 without the Vietnamese page at %.2fs" % o.t)
            break

    ids = sorted({int(o.submission) for o in recorded})
    in_db = set()
    if ids:
        rows = env.psql("SELECT id FROM doanra.submissions WHERE id = ANY('{%s}'"
                        "::bigint[])" % ",".join(map(str, ids)))
        in_db = {int(r[0]) for r in rows}
    missing = [i for i in ids if i not in in_db]
    if missing:
        problems.append("%d answered submissions not in doanra.submissions: %s"
                        % (len(missing), missing[:10]))

    reached = [o for o in outs if o.reached]
    before = load.backend_before.get(uri, 0)
    blines = wait_backend_log(env.apache, uri, before + len(reached))[before:]
    decisions = dict(env.psql("SELECT id, decision FROM doanra.submissions WHERE "
                              "id = ANY('{%s}'::bigint[])"
                              % ",".join(b.submission for b in blines
                                         if b.submission.isdigit()) or "0"))
    unchecked = [b for b in blines
                 if b.decision not in ("pass", "warn")
                 or not b.submission.isdigit()
                 or decisions.get(b.submission) not in ("pass", "warn")]
    if len(blines) != len(reached):
        problems.append("backend answered %d requests, clients saw %d reach it"
                        % (len(blines), len(reached)))
    if unchecked:
        problems.append("%d requests reached the backend unchecked: %s"
                        % (len(unchecked), unchecked[:5]))
    # Trips whose settle was lost (the database went away after the decision
    # and before the backend's answer was written) stay pending.
    def pending_now():
        if not ids:
            return 0
        return int(env.psql(
            "SELECT count(*) FROM doanra.trips WHERE status = 'pending' AND "
            "submission_id = ANY('{%s}'::bigint[])" % ",".join(map(str, ids)))[0][0])
    env.wait_for(lambda: pending_now() == 0, timeout=2.0, interval=0.2)
    pending = pending_now()
    figures = {"left pending": pending,
               "requests": len(outs), "recorded": len(recorded),
               "refused": len(refused), "other": len(other),
               "backend": len(blines), "passed unchecked": len(unchecked)}
    return figures, problems


def figures_line(name, figures):
    return ("%s: requests %d, recorded %d, refused %d, other %d, backend %d, "
            "trips left pending %d, passed unchecked: %d"
            % (name, figures["requests"], figures["recorded"], figures["refused"],
               figures["other"], figures["backend"], figures["left pending"],
               figures["passed unchecked"]))


def fault_cycle(env, uri, threads=8, before=1.0, down=1.5, after=2.5,
                mode="immediate", fail_every=5):
    """Load on uri; PostgreSQL killed `before` seconds in, started again
    `down` seconds later, load goes on `after` seconds more.  Returns
    (figures, problems, load)."""
    load = Load(env.apache.port, uri, threads=threads,
                fail_every=fail_every).start(env.apache)
    time.sleep(before)
    pg_stop(env.pg, mode)
    t_down = time.time() - load.t0
    time.sleep(down)
    pg_start(env.pg)
    t_up = time.time() - load.t0
    time.sleep(after)
    load.stop()
    figures, problems = account(env, load, uri)
    figures["pg down at"] = round(t_down, 2)
    figures["pg up at"] = round(t_up, 2)
    # After the restart (and a moment to reconnect), requests are recorded.
    first = min((o.t for o in load.outcomes if o.submission and o.t > t_up),
                default=None)
    figures["recorded again after"] = (round(first - t_up, 2)
                                       if first is not None else None)
    late = [o for o in load.outcomes if o.t > t_up + 1.0]
    if not any(o.submission for o in late):
        problems.append("nothing recorded in the last %.1fs after the restart"
                        % (after - 1.0))
    return figures, problems, load


def graceful_under_load(env, uri, threads=6, duration=6.0, every=1.5):
    """`apache2 -k graceful` every `every` seconds while load runs.
    Returns (figures, failures, gracefuls) where failures are answers that
    are neither 2xx nor 422, and connection errors."""
    load = Load(env.apache.port, uri, threads=threads, fail_every=4).start(env.apache)
    n = 0
    end = time.time() + duration
    while time.time() + every < end:
        time.sleep(every)
        subprocess.run([harness.APACHE_BIN, "-f", env.apache.conf, "-k",
                        "graceful"], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        n += 1
    time.sleep(max(0.0, end - time.time()))
    load.stop()
    failures = ["status %s error %s at %.2fs" % (o.status, o.error, o.t)
                for o in load.outcomes
                if o.error or not (200 <= (o.status or 0) < 300 or o.status == 422)]
    figures, problems = account(env, load, uri)
    figures["failed"] = len(failures)
    return figures, failures + problems, n
