"""test_pgbouncer.py - the module behind PgBouncer in transaction pooling
(Debian's pgbouncer), the usual way to share one PostgreSQL among many
Apache processes: every transaction may get another server connection, so
with DoanraPreparedStatements Off (INSTALL, section 9) the module keeps no
session state (no named prepared statement, no session SET).  Two Apache servers go through one PgBouncer whose pool has fewer
server connections than the Apache processes have clients, and the quota
race still ends with exactly the quota; nothing is refused for lack of a
prepared statement.  Skipped (visibly) when pgbouncer is not installed."""
import os
import shutil
import subprocess
import time

import pytest

import harness
from harness import Client, sql_literal
from test_quota_race import (PARALLEL, QUOTA, classify, counted_trips,
                             describe, fire, leader_trip, new_leader)

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
RUNS = int(os.environ.get("DOANRA_BOUNCER_RUNS", "3"))


@pytest.fixture(scope="module")
def bouncer(env):
    if not os.path.exists(PGBOUNCER):
        pytest.skip("pgbouncer not installed")
    d = os.path.join(env.dir, "pgbouncer")
    os.makedirs(d, exist_ok=True)
    port = harness.free_port()
    with open(os.path.join(d, "userlist.txt"), "w") as f:
        f.write('"doanra_test" ""\n"postgres" ""\n')
    ini = os.path.join(d, "pgbouncer.ini")
    with open(ini, "w") as f:
        f.write("[databases]\n"
                "doanra = host=127.0.0.1 port=%d dbname=%s\n"
                "[pgbouncer]\n"
                "listen_addr = 127.0.0.1\n"
                "listen_port = %d\n"
                "unix_socket_dir =\n"
                "auth_type = trust\n"
                "auth_file = %s/userlist.txt\n"
                "pool_mode = transaction\n"
                "default_pool_size = 3\n"
                "max_client_conn = 500\n"
                "ignore_startup_parameters = extra_float_digits\n"
                "logfile = %s/pgbouncer.log\n"
                "pidfile = %s/pgbouncer.pid\n"
                % (env.pg.port, env.pg.dbname, port, d, d, d))
    if harness.IS_ROOT:
        subprocess.run(["chown", "-R", "postgres", d], check=True)
        argv = ["runuser", "-u", "postgres", "--", PGBOUNCER, "-d", ini]
    else:
        argv = [PGBOUNCER, "-d", ini]
    subprocess.run(argv, check=True)
    assert harness.wait_port(port), "pgbouncer did not start"
    yield port
    try:
        with open(os.path.join(d, "pgbouncer.pid")) as f:
            os.kill(int(f.read().strip()), 15)
    except (OSError, ValueError):
        pass


@pytest.fixture(scope="module")
def bounced(env, bouncer):
    """Two Apache servers whose module connects through PgBouncer."""
    conninfo = ("host=127.0.0.1 port=%d dbname=%s user=doanra_test "
                "connect_timeout=5" % (bouncer, env.pg.dbname))
    servers = []
    for n in (1, 2):
        run = os.path.join(env.dir, "httpd-bouncer%d" % n)
        os.makedirs(run, exist_ok=True)
        a = harness.Apache(run, conninfo, pgport=env.pg.port,
                           extra="DoanraPreparedStatements Off\n")
        a.start()
        servers.append(a)
    try:
        yield [Client(a.port) for a in servers]
    finally:
        for a in servers:
            crashes = a.crashes()
            a.stop()
            assert not crashes, crashes


def test_submission_through_pgbouncer(env, bounced):
    t = harness.valid_trip()
    r = bounced[0].post_form("/doanra/submit", t)
    assert r.status == 200 and r.reached_backend(), r.body[:300]
    sid = int(r.header("X-Doanra-Submission"))
    trip = env.wait_for(lambda: (env.trip_of(sid) or {}).get("status")
                        not in (None, "pending") and env.trip_of(sid))
    assert trip["status"] == "submitted"
    # The JSON check too (a single statement outside a transaction).
    status, data, _ = bounced[1].check(harness.valid_trip(members=11))
    assert status == 200 and data["decision"] == "fail"


def test_quota_race_through_pgbouncer(env, bounced, capsys):
    problems = []
    for run in range(RUNS):
        code = new_leader(env)
        leader = {"name": "Trần Quốc Đua " + code, "code": code,
                  "position": "Giám đốc Sở Kiểm thử", "unit": ""}
        answers = fire(bounced, [leader_trip(i, leader)
                                 for i in range(PARALLEL)])
        passed, blocked, other = classify(answers)
        counted = counted_trips(env, "tm.official_code = %s"
                                % sql_literal(code))
        if len(passed) != QUOTA or other or counted != QUOTA:
            problems.append("run %d: %d passed, %d quota-blocked, %d other "
                            "(first: %s), %d counted"
                            % (run, len(passed), len(blocked), len(other),
                               describe(other[0]) if other else "-", counted))
    with capsys.disabled():
        print("\npgbouncer race: %d runs x %d parallel through transaction "
              "pooling: %s" % (RUNS, PARALLEL, "; ".join(problems) or "exact"))
    assert not problems, "\n".join(problems)
