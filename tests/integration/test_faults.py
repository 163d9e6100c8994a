"""test_faults.py - faults under load, short and bounded (the long runs are
tests/soak, `make soak`).

With its own Environment (PostgreSQL + Apache for this module only):

  - PostgreSQL killed (pg_ctl stop -m immediate) and started again while
    threads POST delegations to an enforce location in refuse mode: every
    request is either recorded (200/422 with X-Doanra-Submission, the row in
    doanra.submissions) or visibly refused (503 page); the echo backend's
    own log (backend.log, faults.conf) shows no request that reached it
    unchecked, and as many as the clients saw;
  - the same with a clean stop (-m fast);
  - `apache2 -k graceful` while load runs: no failed request;
  - the backend down under load: every trip void, none counted.
Prints one figures line per scenario."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "soak"))
import loadlib  # noqa: E402

URI = "/faults/refuse"


@pytest.fixture(scope="module")
def fenv():
    yield from loadlib.private_environment()


def show(capsys, line):
    with capsys.disabled():
        print("\n" + line)


@pytest.mark.parametrize("mode", ["immediate", "fast"])
def test_database_killed_under_load(fenv, capsys, mode):
    figures, problems, load = loadlib.fault_cycle(
        fenv, URI, threads=8, before=1.0, down=1.5, after=2.5, mode=mode)
    show(capsys, loadlib.figures_line("faults: pg stop -m %s under load" % mode,
                                      figures)
         + " (pg down at %.2fs, up at %.2fs, recorded again %ss after)"
         % (figures["pg down at"], figures["pg up at"],
            figures["recorded again after"]))
    assert not problems, "\n".join(problems)
    assert figures["passed unchecked"] == 0
    assert figures["other"] == 0
    assert figures["recorded"] > 0 and figures["refused"] > 0, figures
    assert figures["recorded"] + figures["refused"] == figures["requests"]


def test_graceful_under_load(fenv, capsys):
    figures, failures, n = loadlib.graceful_under_load(
        fenv, URI, threads=6, duration=6.0, every=1.5)
    show(capsys, "faults: %d x apache2 -k graceful under load: requests %d, "
         "failed %d, passed unchecked: %d" % (n, figures["requests"],
                                              figures["failed"],
                                              figures["passed unchecked"]))
    assert n >= 3
    assert figures["requests"] > 50
    assert not failures, "\n".join(failures[:20])


def test_backend_down_under_load(fenv, capsys):
    load = loadlib.Load(fenv.apache.port, "/faults/down", threads=4,
                        duration=2.0, fail_every=0).start().join()
    statuses = sorted({o.status for o in load.outcomes})
    rows = fenv.wait_for(lambda: (lambda r: r if r and all(x["status"] != "pending"
                                                           for x in r) else None)(
        fenv.psql_json("SELECT s.id, s.decision, t.status FROM doanra.submissions s"
                       " LEFT JOIN doanra.trips t ON t.submission_id = s.id"
                       " WHERE s.location = '/faults/down'")), timeout=10)
    rows = rows or []
    void = [x for x in rows if x["status"] == "void"]
    show(capsys, "faults: backend down under load: requests %d, statuses %s, "
         "submissions %d, trips void %d" % (len(load.outcomes), statuses,
                                            len(rows), len(void)))
    assert load.outcomes and all(o.error is None for o in load.outcomes)
    assert all(o.status in (502, 503) and not o.reached for o in load.outcomes)
    assert len(rows) == len(load.outcomes)
    assert len(void) == len(rows), [x for x in rows if x["status"] != "void"][:5]
    assert fenv.psql("SELECT count(*) FROM doanra.trips t JOIN doanra.submissions s"
                     " ON s.id = t.submission_id WHERE s.location = '/faults/down'"
                     " AND doanra.is_counted(t.status)")[0][0] == "0"

