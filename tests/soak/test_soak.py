"""test_soak.py - the long versions of tests/integration/test_faults.py, for
`make soak` (mk/soak.mk).  Its own PostgreSQL + Apache (harness.Environment).

  - SOAK_CYCLES (10) PostgreSQL kills and restarts, alternating
    stop -m immediate and -m fast, under SOAK_THREADS (12) threads of load:
    every request recorded or visibly refused, none passed unchecked;
  - wrk (tests/soak/post.lua) for SOAK_SECONDS (30) with `apache2 -k
    graceful` every 2 seconds: no failed request, and the echo backend saw
    only checked, recorded submissions;
  - the backend down for SOAK_SECONDS/3 under load: every trip void.
Each prints a figures line.  The quota race at soak scale is
tests/integration/test_quota_race.py with DOANRA_RACE_RUNS/PARALLEL (see
mk/soak.mk)."""
import os
import re
import shutil
import subprocess
import threading
import time

import pytest

import loadlib  # puts tests/integration on sys.path
import harness  # noqa: E402  (after loadlib)

CYCLES = int(os.environ.get("SOAK_CYCLES", "10"))
THREADS = int(os.environ.get("SOAK_THREADS", "12"))
SECONDS = int(os.environ.get("SOAK_SECONDS", "30"))
URI = "/faults/refuse"
LUA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "post.lua")


@pytest.fixture(scope="module")
def senv():
    yield from loadlib.private_environment()


def show(capsys, line):
    with capsys.disabled():
        print("\n" + line, flush=True)


def test_soak_database_kills(senv, capsys):
    total = {"requests": 0, "recorded": 0, "refused": 0, "other": 0,
             "backend": 0, "passed unchecked": 0, "left pending": 0}
    problems = []
    for cycle in range(CYCLES):
        mode = "immediate" if cycle % 2 == 0 else "fast"
        figures, probs, _load = loadlib.fault_cycle(
            senv, URI, threads=THREADS, before=1.5, down=2.0, after=3.0, mode=mode)
        for k in total:
            total[k] += figures[k]
        problems += ["cycle %d (%s): %s" % (cycle, mode, p) for p in probs]
        show(capsys, loadlib.figures_line("soak cycle %d pg stop -m %s" % (cycle, mode),
                                          figures))
    show(capsys, loadlib.figures_line("soak: %d pg kills under %d threads"
                                      % (CYCLES, THREADS), total))
    assert not problems, "\n".join(problems[:30])
    assert total["passed unchecked"] == 0 and total["other"] == 0


def _wrk_figures(out):
    m = re.search(r"(\d+) requests in", out)
    requests = int(m.group(1)) if m else -1
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                  r"timeout (\d+)", out)
    socket_errors = sum(int(x) for x in m.groups()) if m else 0
    m = re.search(r"statuses: 200=(\d+) 422=(\d+) 503=(\d+) other=(\d+)", out)
    c200, c422, c503, cother = (int(x) for x in m.groups()) if m else (-1,) * 4
    return requests, socket_errors, c200, c422, c503, cother


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk not installed")
def test_soak_graceful_under_wrk(senv, capsys):
    before = len(loadlib.backend_lines(senv.apache, URI))
    stop = threading.Event()
    gracefuls = [0]

    def reloader():
        while not stop.wait(2.0):
            subprocess.run([harness.APACHE_BIN, "-f", senv.apache.conf, "-k",
                            "graceful"], check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            gracefuls[0] += 1

    th = threading.Thread(target=reloader, daemon=True)
    th.start()
    r = subprocess.run(["wrk", "-t2", "-c8", "-d%ds" % SECONDS, "--timeout", "20s",
                        "-s", LUA, "http://127.0.0.1:%d%s" % (senv.apache.port, URI)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=SECONDS + 60)
    stop.set()
    th.join(10)
    out = r.stdout.decode("utf-8", "replace")
    requests, socket_errors, c200, c422, c503, cother = _wrk_figures(out)
    lines = loadlib.wait_backend_log(senv.apache, URI, before + c200)[before:]
    ids = [b.submission for b in lines if b.submission.isdigit()]
    decided = {}
    for i in range(0, len(ids), 2000):
        decided.update(dict(senv.psql(
            "SELECT id, decision FROM doanra.submissions WHERE id = ANY('{%s}'"
            "::bigint[])" % ",".join(ids[i:i + 2000]))))
    unchecked = [b for b in lines if b.decision not in ("pass", "warn")
                 or decided.get(b.submission) not in ("pass", "warn")]
    failed = socket_errors + c503 + cother
    show(capsys, "soak: %d x apache2 -k graceful under wrk %ds: requests %d, 200 %d,"
         " 422 %d, failed %d (socket errors %d), backend %d, passed unchecked: %d"
         % (gracefuls[0], SECONDS, requests, c200, c422, failed, socket_errors,
            len(lines), len(unchecked)))
    assert r.returncode == 0, out
    assert requests > 0 and c200 + c422 == requests, out
    assert failed == 0, out
    # wrk drops the answers still in flight when its time is up (at most one
    # per connection); the backend did answer those.
    assert c200 <= len(lines) <= c200 + 8
    assert not unchecked, unchecked[:5]


def test_soak_graceful_under_threads(senv, capsys):
    figures, failures, n = loadlib.graceful_under_load(
        senv, URI, threads=THREADS, duration=float(SECONDS), every=2.0)
    show(capsys, "soak: %d x apache2 -k graceful under %d threads: requests %d, "
         "failed %d, passed unchecked: %d" % (n, THREADS, figures["requests"],
                                              figures["failed"],
                                              figures["passed unchecked"]))
    assert not failures, "\n".join(failures[:20])


def test_soak_backend_down(senv, capsys):
    before = int(senv.psql("SELECT coalesce(max(id), 0) FROM doanra.submissions")[0][0])
    load = loadlib.Load(senv.apache.port, "/faults/down", threads=THREADS // 2 or 1,
                        duration=max(5.0, SECONDS / 3.0)).start().join()
    time.sleep(1.0)
    rows = senv.psql_json("SELECT t.status FROM doanra.submissions s JOIN "
                          "doanra.trips t ON t.submission_id = s.id WHERE "
                          "s.location = '/faults/down' AND s.id > %d" % before)
    void = sum(1 for x in rows if x["status"] == "void")
    show(capsys, "soak: backend down: requests %d, trips %d, void %d"
         % (len(load.outcomes), len(rows), void))
    assert all(o.error is None and not o.reached for o in load.outcomes)
    assert len(rows) == len(load.outcomes) and void == len(rows)
