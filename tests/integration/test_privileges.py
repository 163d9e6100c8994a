"""test_privileges.py - the module works with the least privilege it asks
for, and no more (SPEC section 5: "The module connects as a doanra_module
role with only the rights it needs").

tests/sql/test_sql.py already checks, at the SQL level and with SET ROLE,
what doanra_module and doanra_report may and may not run.  This file looks
from the module's side:

  - the shared integration server (harness.Environment) connects as a
    plain login role whose only right is membership of doanra_module;
  - a second Apache, started here, connects as a brand-new login role that
    is only a member of doanra_module, and a passing, a warning, a failing,
    a voided and a quota-limited submission all work end to end through it
    (the rules' history, the per-leader locks, recording and settling),
    without a single permission error in its log;
  - the exact set of rights that login role ends up with, through
    inheritance, is the set the store's statements need (store.c,
    sql/functions.sql): no column of submissions but id is readable, so a
    compromised web server cannot read what other units submitted;
  - as that login role over psql, the ways out of the sandbox are closed
    (other roles, replacing the store's functions, server files);
  - a login role in doanra_report reads every report view and writes
    nothing, checked over the whole schema rather than statement by
    statement.
"""
import os
import re
import subprocess
import uuid

import pytest

import harness
from harness import sql_literal, valid_trip

LP_LOCATIONS = r"""
<Location /lp/submit>
    SetHandler doanra-echo
    DoanraMode enforce
</Location>
<Location /lp/form>
    SetHandler doanra-echo
    DoanraMode enforce
    DoanraFormPage /doanra/
</Location>
<Location /lp/report>
    SetHandler doanra-echo
    DoanraMode report
</Location>
<Location /lp/check>
    SetHandler doanra-check
</Location>
"""


class LoginRole:
    """A login role created for this file; psql runs as it (no SET ROLE:
    rights come through membership, as for the module's connection)."""

    def __init__(self, pg, member_of):
        self.pg = pg
        self.name = "doanra_lp_%s" % uuid.uuid4().hex[:8]
        pg.psql_admin("CREATE ROLE %s LOGIN IN ROLE %s" % (self.name, member_of))

    def run(self, sql):
        """(ok, output) of sql run as this role."""
        r = subprocess.run(self.pg._psql_argv(user=self.name) + ["-c", sql],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        return r.returncode == 0, r.stdout.decode("utf-8", "replace")

    def rows(self, sql):
        return self.pg.psql(sql, user=self.name)


@pytest.fixture(scope="module")
def module_login(env):
    return LoginRole(env.pg, "doanra_module")


@pytest.fixture(scope="module")
def report_login(env):
    return LoginRole(env.pg, "doanra_report")


@pytest.fixture(scope="module")
def lp(env, module_login):
    """A second Apache on the same database whose DoanraDatabase connects
    as module_login."""
    run = os.path.join(env.dir, "httpd-lp")
    confd = os.path.join(env.dir, "lp-conf.d")
    os.makedirs(run, exist_ok=True)
    os.makedirs(confd, exist_ok=True)
    apache = harness.Apache(run, env.pg.conninfo(module_login.name), LP_LOCATIONS,
                            pgport=env.pg.port, confd=confd)
    apache.start()
    client = harness.Client(apache.port)
    yield apache, client
    crashes = apache.crashes()
    apache.stop()
    assert not crashes, crashes


def role_facts(pg, role):
    return pg.psql_json(
        "SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls, "
        "r.rolreplication, r.rolinherit, r.rolcanlogin, "
        "(SELECT coalesce(json_agg(g.rolname ORDER BY g.rolname), '[]') "
        "   FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
        "  WHERE m.member = r.oid) AS member_of, "
        "(SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid) AS owns, "
        "(SELECT count(*) FROM information_schema.role_table_grants t "
        "  WHERE t.grantee = r.rolname) AS direct_grants "
        "FROM pg_roles r WHERE r.rolname = %s" % sql_literal(role))[0]


def assert_only_member_of(pg, role, group):
    f = role_facts(pg, role)
    assert f["member_of"] == [group], f
    for k in ("rolsuper", "rolcreaterole", "rolcreatedb", "rolbypassrls",
              "rolreplication"):
        assert f[k] is False, (k, f)
    assert f["rolcanlogin"] and f["rolinherit"], f
    assert f["owns"] == 0 and f["direct_grants"] == 0, f


def conninfo_user(conninfo):
    m = re.search(r"\buser=(\S+)", conninfo)
    return m.group(1) if m else None


def connected_roles(pg, port_hint=None):
    return {r[0] for r in pg.psql(
        "SELECT DISTINCT usename FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND backend_type = 'client backend' AND usename IS NOT NULL")}


# ---------------------------------------------------------------------------
# Who the servers connect as
# ---------------------------------------------------------------------------

def test_shared_server_connects_as_module_member_only(env):
    """The whole integration suite runs under least privilege: the shared
    server's conninfo names a login role that is only in doanra_module."""
    user = conninfo_user(env.apache.conninfo)
    assert user and user != "postgres", env.apache.conninfo
    assert_only_member_of(env.pg, user, "doanra_module")
    r = env.post_form("/doanra/submit", valid_trip())
    assert r.status == 200 and r.header("X-Doanra-Decision") == "pass"
    assert user in connected_roles(env.pg)


def test_second_server_connects_as_new_login_role(env, lp, module_login):
    apache, client = lp
    assert_only_member_of(env.pg, module_login.name, "doanra_module")
    r = client.post_form("/lp/submit", valid_trip())
    assert r.status == 200, r.body[:500]
    assert module_login.name in connected_roles(env.pg)


# ---------------------------------------------------------------------------
# End to end under the least-privileged login role
# ---------------------------------------------------------------------------

def test_pass_is_recorded_and_settled(env, lp):
    apache, client = lp
    r = client.post_form("/lp/submit", valid_trip(members=3))
    assert r.status == 200 and r.reached_backend()
    assert r.header("X-Doanra-Decision") == "pass", r.findings()
    sid = int(r.header("X-Doanra-Submission"))
    assert r.echo()["x-doanra-submission"] == str(sid)
    trip = env.wait_trip_status(sid, "submitted")
    assert trip["status"] == "submitted"
    s = env.submission(sid)
    assert s["backend_status"] == 200 and s["location"] == "/lp/submit"
    n = env.pg.scalar("SELECT count(*) FROM doanra.trip_members WHERE trip_id = %d"
                      % trip["id"])
    assert n == "3"


def test_warn_passes_with_block(env, lp):
    apache, client = lp
    t = valid_trip(members=0)
    t.add_member(position="Giám đốc").add_member(position="Bí thư")
    r = client.post_form("/lp/submit", t)
    assert r.status == 200 and r.reached_backend()
    assert r.decision == "warn" and "leaders-same-unit" in r.rules()
    assert env.wait_trip_status(int(r.header("X-Doanra-Submission")),
                                "submitted")["status"] == "submitted"


def test_fail_is_blocked_recorded_without_trip(env, lp):
    apache, client = lp
    for path in ("/lp/submit", "/lp/form"):
        r = client.post_form(path, valid_trip(members=11))
        assert r.status == 422 and not r.reached_backend(), r.body[:300]
        assert r.finding("size") is not None
        sid = int(r.header("X-Doanra-Submission"))
        s = env.submission(sid)
        assert s["decision"] == "fail" and "size" in s["rules"]
        assert env.trip_of(sid) is None


def test_backend_error_voids_trip(env, lp):
    apache, client = lp
    r = client.post_form("/lp/submit?status=500", valid_trip())
    assert r.status == 500
    sid = int(r.header("X-Doanra-Submission"))
    assert env.wait_trip_status(sid, "void")["status"] == "void"
    assert env.submission(sid)["backend_status"] == 500


def test_report_mode_and_check(env, lp):
    apache, client = lp
    r = client.post_form("/lp/report", valid_trip(members=0))
    assert r.status == 200 and r.echo()["x-doanra-decision"] == "fail"
    before = env.pg.scalar("SELECT count(*) FROM doanra.submissions")
    r = client.post_form("/lp/check", valid_trip(members=11))
    assert r.status == 200 and r.json()["decision"] == "fail"
    assert env.pg.scalar("SELECT count(*) FROM doanra.submissions") == before


def test_history_rules_under_least_privilege(env, lp):
    """leader-quota and member-overlap read the history and take the
    per-leader locks: a key leader of the registry goes twice, the third
    trip the same year is refused; the same person on overlapping dates is
    refused too."""
    apache, client = lp
    code = "LP" + uuid.uuid4().hex[:6].upper()
    env.pg.psql("INSERT INTO doanra.officials(code, full_name, unit_code, position, "
                "is_key_leader) VALUES (%s, 'Hoàng Văn Quyền', 'TST', 'Giám đốc', true)"
                % sql_literal(code))
    year = harness.d(60).year
    starts = [harness.datetime.date(year, 2, 1), harness.datetime.date(year, 5, 1),
              harness.datetime.date(year, 9, 1)]
    if starts[0] <= harness.today() + harness.datetime.timedelta(days=1):
        year += 1
        starts = [s.replace(year=year) for s in starts]
    decisions = []
    for start in starts:
        t = valid_trip(members=1)
        t.set_dates(start, [3], ["JP"])
        t.add_member(name="Hoàng Văn Quyền", code=code, position="Giám đốc")
        r = client.post_form("/lp/submit", t)
        decisions.append((r.status, r.header("X-Doanra-Decision")))
        if r.status == 200:
            env.wait_trip_status(int(r.header("X-Doanra-Submission")), "submitted")
    assert decisions[:2] == [(200, "pass"), (200, "pass")], decisions
    assert decisions[2] == (422, "fail"), decisions
    assert r.finding("leader-quota") is not None, r.findings()
    # Member overlap: the same official on the dates of the first trip.
    t = valid_trip(members=0)
    t.set_dates(starts[0], [3], ["JP"])
    t.add_member(name="Hoàng Văn Quyền", code=code, position="Giám đốc")
    r = client.post_form("/lp/submit", t)
    assert r.status == 422 and r.finding("member-overlap") is not None, r.findings()


# ---------------------------------------------------------------------------
# The exact rights of the module's login role
# ---------------------------------------------------------------------------

# What store.c and sql/functions.sql need, and nothing else: table ->
# privilege -> True (whole table) or a set of columns.
NEEDED = {
    "units": {"SELECT": True},
    "officials": {"SELECT": True},
    "countries": {"SELECT": True},
    "plan_entries": {"SELECT": True},
    "trip_events": {"SELECT": True},
    "trips": {"SELECT": True, "INSERT": True, "UPDATE": {"status", "updated_at"}},
    "trip_members": {"SELECT": True, "INSERT": True},
    # the bound of the overlap read (raised by trigger, read by history_facts)
    "trip_span": {"SELECT": True},
    "trip_legs": {"INSERT": True},
    # journal_key / unchecked: the journal (DoanraOnDatabaseError allow,
    # settles written in late) finds and marks its submissions by key.
    "submissions": {"SELECT": {"id", "journal_key"}, "INSERT": True,
                    "UPDATE": {"backend_status", "settled_at", "journal_key",
                               "unchecked"}},
}
PRIVS = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"]


def effective_rights(login):
    """{relation: {privilege: True | set of columns}} as `login` sees them,
    over every table and view of schema doanra."""
    rels = [r[0] for r in login.rows(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'doanra' AND c.relkind IN ('r', 'v', 'm', 'p') ORDER BY 1")]
    out = {}
    for rel in rels:
        q = "doanra." + rel
        got = {}
        for priv in PRIVS:
            whole = login.rows("SELECT has_table_privilege(current_user, %s, %s)"
                               % (sql_literal(q), sql_literal(priv)))[0][0] == "t"
            if whole:
                got[priv] = True
            elif priv in ("SELECT", "INSERT", "UPDATE", "REFERENCES"):
                cols = {r[0] for r in login.rows(
                    "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass "
                    "AND attnum > 0 AND NOT attisdropped "
                    "AND has_column_privilege(current_user, attrelid, attnum, %s)"
                    % (sql_literal(q), sql_literal(priv)))}
                if cols:
                    got[priv] = cols
        if got:
            out[rel] = got
    return out


def test_module_login_rights_are_exactly_what_the_store_needs(module_login):
    assert effective_rights(module_login) == NEEDED


def test_module_login_cannot_read_submitted_fields(module_login):
    for col in ("fields", "findings", "remote_user", "client_ip", "location"):
        ok, out = module_login.run("SELECT %s FROM doanra.submissions LIMIT 1" % col)
        assert not ok and "permission denied" in out, (col, out)
    ok, out = module_login.run("COPY doanra.submissions TO STDOUT")
    assert not ok and "permission denied" in out, out
    # The store's own functions do not leak them either: the only SECURITY
    # DEFINER functions are the steps of SPEC section 8 (lifecycle.sql) and
    # the batch settle's writes of events and references (settle_registers,
    # set_references) and the trigger that raises the overlap read's bound
    # (trip_span_raise), each with search_path pinned; trip_lookup returns the
    # fields of one dossier's current version, named by its code, to rebuild
    # it for an approval.
    ok, out = module_login.run(
        "SELECT string_agg(p.proname, ',' ORDER BY p.proname) FROM pg_proc p"
        " JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'doanra' AND p.prosecdef"
        " AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)")
    assert ok and "record_step" not in out and "trip_lookup" not in out, out
    ok, out = module_login.run(
        "SELECT string_agg(p.proname, ',' ORDER BY p.proname) FROM pg_proc p"
        " JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'doanra' AND p.prosecdef")
    assert ok and "record_step,set_reference,set_references," \
        "settle_registers,settle_steps,trip_lookup,trip_span_raise," \
        "trips_register_event" \
        in out, out


@pytest.mark.parametrize("sql", [
    "SET ROLE postgres",
    "SET ROLE doanra_report",
    "SET SESSION AUTHORIZATION postgres",
    "GRANT doanra_report TO CURRENT_USER",
    "ALTER ROLE CURRENT_USER SUPERUSER",
    "ALTER ROLE CURRENT_USER CREATEROLE",
    "CREATE ROLE doanra_lp_evil LOGIN SUPERUSER",
    "CREATE SCHEMA doanra_lp_evil",
    "CREATE TABLE doanra.lp_evil (a int)",
    "CREATE OR REPLACE FUNCTION doanra.settle(bigint, int, bigint, boolean) RETURNS void "
    "LANGUAGE sql AS 'SELECT 1'",
    "ALTER FUNCTION doanra.settle(bigint, int, bigint, boolean) SECURITY DEFINER",
    "DROP FUNCTION doanra.settle(bigint, int, bigint, boolean)",
    "CREATE TRIGGER lp BEFORE INSERT ON doanra.trips FOR EACH ROW "
    "EXECUTE FUNCTION doanra.is_counted()",
    "ALTER TABLE doanra.submissions DISABLE ROW LEVEL SECURITY",
    "SELECT pg_read_file('/etc/passwd')",
    "COPY doanra.trips FROM PROGRAM 'true'",
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'postgres'",
    "DELETE FROM doanra.trip_legs",
    "TRUNCATE doanra.trip_legs",
    "UPDATE doanra.submissions SET fields = '{}'",
], ids=lambda s: re.sub(r"\W+", "-", s[:40]).strip("-"))
def test_module_login_cannot_leave_its_sandbox(env, module_login, sql):
    before = env.pg.scalar("SELECT md5(string_agg(p.oid::regprocedure::text || p.prosrc "
                           "|| p.prosecdef::text, ',' ORDER BY 1)) FROM pg_proc p "
                           "JOIN pg_namespace n ON n.oid = p.pronamespace "
                           "WHERE n.nspname = 'doanra'")
    ok, out = module_login.run(sql)
    if ok and sql.startswith("SELECT pg_terminate_backend"):
        # Allowed to run, but signalling a superuser's backend is refused
        # (a warning, and no row terminated).
        assert "permission denied" in out or "must be a" in out or " f\n" in out, out
    else:
        assert not ok, "%s succeeded:\n%s" % (sql, out)
        assert re.search(r"permission denied|must be|not permitted|only superuser|"
                         r"cannot|does not have|admin option", out), out
    assert env.pg.scalar("SELECT md5(string_agg(p.oid::regprocedure::text || p.prosrc "
                         "|| p.prosecdef::text, ',' ORDER BY 1)) FROM pg_proc p "
                         "JOIN pg_namespace n ON n.oid = p.pronamespace "
                         "WHERE n.nspname = 'doanra'") == before
    assert not env.pg.role_exists("doanra_lp_evil")


def test_module_login_cannot_approve_trips(env, lp, module_login):
    apache, client = lp
    r = client.post_form("/lp/submit", valid_trip())
    sid = int(r.header("X-Doanra-Submission"))
    trip = env.wait_trip_status(sid, "submitted")
    ok, out = module_login.run("UPDATE doanra.trips SET status = 'approved' WHERE id = %d"
                               % trip["id"])
    status = env.trip_of(sid)["status"]
    env.pg.psql("UPDATE doanra.trips SET status = 'submitted' WHERE id = %d" % trip["id"])
    assert not ok and "may only settle pending trips" in out, out
    assert status == "submitted", "the module's role set status %r" % status
    # nor record a trip that is approved from the start
    ok, out = module_login.run(
        "INSERT INTO doanra.trips (submission_id, status, ngay_di, ngay_ve, year, member_count) "
        "VALUES (%d, 'approved', current_date, current_date, 2026, 1)" % sid)
    assert not ok and "only record trips as pending" in out, out


# ---------------------------------------------------------------------------
# The report writers' login role
# ---------------------------------------------------------------------------

REPORT_VIEWS = ["v_trips", "v_trips_per_unit_year", "v_key_leader_trips",
                "v_unplanned_trips", "v_findings_per_rule_month",
                "v_delegation_sizes", "v_countries_visited", "v_reports_overdue",
                "v_dossiers", "v_trip_events", "v_unchecked_trips"]


def test_report_login_reads_views_writes_nothing(env, lp, report_login):
    apache, client = lp
    # Some history made through the module first, so the views have rows.
    client.post_form("/lp/submit", valid_trip())
    client.post_form("/lp/submit", valid_trip(members=11))
    rights = effective_rights(report_login)
    for rel, privs in rights.items():
        assert set(privs) == {"SELECT"} and privs["SELECT"] is True, (rel, privs)
    assert set(rights) == set(REPORT_VIEWS) | {"units", "countries"}, sorted(rights)
    for v in REPORT_VIEWS:
        report_login.rows("SELECT * FROM doanra.%s" % v)
    assert int(report_login.rows("SELECT count(*) FROM doanra.v_trips")[0][0]) >= 1
    reports = os.path.join(harness.ROOT, "sql", "reports")
    for f in sorted(os.listdir(reports)):
        if f.endswith(".sql"):
            env.pg.run_file(os.path.join(reports, f), user=report_login.name)
    assert_only_member_of(env.pg, report_login.name, "doanra_report")


def test_no_permission_errors_in_the_module_log(env, lp):
    """After every request above (this runs last in the file): the second
    server logged no database error, so nothing the module does needed a
    right its role lacks."""
    apache, client = lp
    text = apache.error_log_text()
    assert "permission denied" not in text, text[-2000:]
    errors = [l for l in text.splitlines() if "[doanra:error]" in l]
    assert not errors, errors
