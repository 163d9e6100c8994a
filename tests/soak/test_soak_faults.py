"""test_soak_faults.py - the faults of tests/integration/test_journal.py
under load for longer, for `make soak` (mk/soak.mk).  Its own PostgreSQL +
Apache (faultlib.environment: DoanraDatabaseTimeout 2, DoanraMaxConnections
4, the journal in the run directory).

SOAK_CYCLES (10) cycles under SOAK_THREADS (12) threads posting to the
`allow` and `refuse` locations; each cycle is one fault in turn:
PostgreSQL stopped (-m fast / -m immediate) and started, PostgreSQL
SIGSTOPped and SIGCONTed, doanra.trips locked, Apache SIGKILLed while the
backend works and started again.  After every cycle the journal must drain;
at the end one line adds it all up:

  soak faults: requests N, trips accepted by the backend N, trips in the
  history N, duplicates 0, lost 0, ..., longest wait S

and the test fails on any duplicate, any lost trip, a trip left pending or
an answer later than DoanraDatabaseTimeout + slack.
"""
import os
import signal
import subprocess
import time

import pytest

import faultlib
import loadlib
import harness  # noqa: E402

CYCLES = int(os.environ.get("SOAK_CYCLES", "10"))
THREADS = int(os.environ.get("SOAK_THREADS", "12"))
BOUND = faultlib.TIMEOUT + faultlib.SLACK
FAULTS = ["pg-fast", "pg-sigstop", "trips-locked", "apache-kill",
          "pg-immediate"]


@pytest.fixture(scope="module")
def fenv():
    yield from faultlib.environment()


def show(capsys, line):
    with capsys.disabled():
        print("\n" + line, flush=True)


def one_cycle(env, fault, threads):
    allow_threads = max(1, threads * 2 // 3)
    sleep = "?sleep=300" if fault == "apache-kill" else ""
    allow = faultlib.Poster(env.apache.port, "/journal/allow" + sleep,
                            threads=allow_threads, fail_every=7).start()
    refuse = faultlib.Poster(env.apache.port, "/journal/refuse" + sleep,
                             threads=max(1, threads - allow_threads)).start()
    time.sleep(2)
    locker = None
    if fault in ("pg-fast", "pg-immediate"):
        loadlib.pg_stop(env.pg, fault[3:])
        time.sleep(3)
        loadlib.pg_start(env.pg)
    elif fault == "pg-sigstop":
        faultlib.pg_signal(env.pg, signal.SIGSTOP)
        time.sleep(6)
        faultlib.pg_signal(env.pg, signal.SIGCONT)
    elif fault == "trips-locked":
        locker = subprocess.Popen(
            harness.Postgres._psql_argv(env.pg) + [
                "-c", "BEGIN; LOCK TABLE doanra.trips IN ACCESS EXCLUSIVE "
                "MODE; SELECT pg_sleep(8); COMMIT;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        locker.wait(30)
    elif fault == "apache-kill":
        allow._stop.set()
        refuse._stop.set()
        faultlib.apache_kill(env.apache)
        allow.stop()
        refuse.stop()
        faultlib.apache_start(env.apache)
        allow = faultlib.Poster(env.apache.port, "/journal/allow",
                                threads=allow_threads).start()
        refuse_more = faultlib.Poster(env.apache.port, "/journal/refuse",
                                      threads=1).start()
        time.sleep(2)
        allow.stop()
        refuse_more.stop()
        return allow.posts + refuse.posts + refuse_more.posts + []
    time.sleep(3)
    allow.stop()
    refuse.stop()
    return allow.posts + refuse.posts


def test_soak_faults(fenv, capsys):
    keys = ("requests", "accepted", "in history", "duplicates", "lost",
            "unchecked", "no answer", "counted not accepted", "left pending")
    total = {k: 0 for k in keys}
    total["longest wait"] = 0.0
    problems = []
    all_posts = []
    for cycle in range(CYCLES):
        fault = FAULTS[cycle % len(FAULTS)]
        posts = one_cycle(fenv, fault, THREADS)
        all_posts += posts
        figures, probs = faultlib.nothing_lost(fenv, posts, drain_timeout=60)
        # Killed requests have no answer: their wait is not a worker's.
        figures["longest wait"] = round(max(
            (p.took for p in posts if not p.error), default=0.0), 2)
        for k in keys:
            total[k] += figures[k]
        total["longest wait"] = max(total["longest wait"], figures["longest wait"])
        problems += ["cycle %d (%s): %s" % (cycle, fault, p) for p in probs]
        if figures["longest wait"] > BOUND:
            problems.append("cycle %d (%s): an answer took %.2fs"
                            % (cycle, fault, figures["longest wait"]))
        show(capsys, faultlib.figures_line("soak cycle %d %s" % (cycle, fault),
                                           figures))
    # Once more over everything: nothing counted twice across cycles.
    figures, probs = faultlib.nothing_lost(fenv, all_posts, drain_timeout=60)
    problems += ["all cycles: %s" % p for p in probs]
    figures["longest wait"] = total["longest wait"]
    show(capsys, faultlib.figures_line(
        "soak faults: %d cycles under %d threads" % (CYCLES, THREADS), figures))
    assert not problems, "\n".join(problems[:30])
    assert figures["duplicates"] == 0 and figures["lost"] == 0
