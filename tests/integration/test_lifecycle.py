"""test_lifecycle.py - a trip's life after it is submitted (SPEC section 8),
through the real Apache and PostgreSQL: dossier codes and the backend's
reference, every row of the step table, every refusal, the quota and the
overlaps after amend, cancel and reject, the events recorded, the admins'
SQL steps, rule report-overdue, and two approvers racing for a key leader's
last place on two servers.

Locations: tests/integration/conf.d/lifecycle.conf.
"""
import base64
import datetime
import os
import re
import threading

import pytest

import harness
from harness import Client, sql_literal, unique_suffix

AUTH = {"Authorization": "Basic " + base64.b64encode(b"lanhdao:lanhdao").decode()}
CODE_RE = re.compile(r"^DR-\d{4}-\d{6,}$")


# -- helpers -----------------------------------------------------------------

def register(env, trip, query=""):
    r = env.post_form("/life/register" + query, trip)
    assert r.status == 200 and r.reached_backend(), (r, r.findings())
    code = r.header("X-Doanra-Trip")
    assert code and CODE_RE.match(code), r.headers
    env.wait_trip_status(int(r.header("X-Doanra-Submission")), "submitted")
    return code


def step(env, path, fields, auth=True):
    return env.post_form(path, list(fields), headers=AUTH if auth else None)


def current(env, code):
    """The dossier's current version as a dict."""
    rows = env.psql_json("SELECT * FROM doanra.current_trip(lower(%s))"
                         % sql_literal(code))
    return rows[0] if rows else None


def wait_status(env, code, status):
    return env.wait_for(lambda: (current(env, code) or {}).get("status") == status) \
        and current(env, code)


def events(env, code):
    return env.psql_json("SELECT action, from_status, to_status, state, remote_user,"
                         " reason, decision_no, decision_date, report_date, submission_id"
                         " FROM doanra.trip_events WHERE code = %s ORDER BY id"
                         % sql_literal(code))


def wait_events_settled(env, code):
    env.wait_for(lambda: all(e["state"] != "pending" for e in events(env, code)))
    return events(env, code)


def leader(env):
    """A fresh key leader of the test unit, as a Trip member."""
    code = "LC" + unique_suffix()
    env.psql("INSERT INTO doanra.officials(code, full_name, unit_code, position,"
             " is_key_leader) VALUES (%s, %s, 'TST', 'Giám đốc', true)"
             % (sql_literal(code), sql_literal("Hoàng Văn Đời " + code)))
    return {"name": "Hoàng Văn Đời " + code, "code": code, "position": "Giám đốc",
            "unit": ""}


def leader_trip(member, days_ahead):
    t = harness.valid_trip(days_ahead=days_ahead, members=1)
    t.members = [dict(member)] + t.members
    return t


def lifecycle_error(r, field=None):
    assert r.status == 422 and not r.reached_backend(), r
    f = r.finding("lifecycle")
    assert f is not None, r.findings()
    assert f["severity"] == "error"
    if field:
        assert f["field"] == field, f
    return f


# -- dossier codes -------------------------------------------------------------

def test_register_gives_a_code_to_backend_client_and_block(env):
    t = harness.valid_trip(days_ahead=40)
    t.set_dates(harness.d(40), [1, 1], ["JP", "TH"])   # region: a warning
    r = env.post_form("/life/register", t)
    assert r.status == 200 and r.decision == "warn", r
    code = r.header("X-Doanra-Trip")
    assert CODE_RE.match(code)
    assert "x-doanra-trip: " + code.lower() in r.body.lower()   # the backend saw it
    assert 'data-doanra-trip="%s"' % code in r.body
    assert "Mã hồ sơ: " + code in r.body
    row = env.trip_of(int(r.header("X-Doanra-Submission")))
    assert row["code"] == code and row["version"] == 1
    assert wait_status(env, code, "submitted")
    ev = wait_events_settled(env, code)
    assert [(e["action"], e["to_status"], e["state"]) for e in ev] == \
        [("register", "submitted", "done")]


def test_backend_reference_is_kept_and_hidden(env):
    ref = "HS-" + unique_suffix()
    code = register(env, harness.valid_trip(days_ahead=41), "?reference=" + ref)
    r = env.get("/life/register")   # any request: the header never leaks
    assert r.header("X-Doanra-Reference") is None
    assert env.wait_for(lambda: (current(env, code) or {}).get("reference") == ref)
    # a later step names the trip by the reference, in any spelling
    r = step(env, "/life/cancel", [("ma_ho_so", " " + ref.lower() + " "),
                                   ("ly_do", "Đối tác hoãn")])
    assert r.status == 200 and r.header("X-Doanra-Trip") == code, r
    assert wait_status(env, code, "cancelled")


def test_reference_header_not_sent_to_client(env):
    t = harness.valid_trip(days_ahead=42)
    r = env.post_form("/life/register?reference=APP-1", t)
    assert r.status == 200
    assert r.header("X-Doanra-Reference") is None


# -- amend ---------------------------------------------------------------------

def test_amend_does_not_overlap_itself_and_supersedes(env):
    t = harness.valid_trip(days_ahead=50)
    code = register(env, t)
    t.set_dates(harness.d(51), [3], ["JP"])   # one day later: overlaps v1
    r = step(env, "/life/amend", [("ma_ho_so", code)] + t.pairs())
    assert r.status == 200 and r.reached_backend(), (r, r.findings())
    assert r.header("X-Doanra-Trip") == code
    cur = wait_status(env, code, "submitted")
    assert cur["version"] == 2 and cur["ngay_di"] == harness.d(51).isoformat()
    versions = env.psql("SELECT version, status FROM doanra.trips WHERE code = %s"
                        " ORDER BY version" % sql_literal(code))
    assert versions == [("1", "superseded"), ("2", "submitted")]
    ev = wait_events_settled(env, code)
    assert [(e["action"], e["from_status"], e["to_status"], e["state"]) for e in ev] == \
        [("register", None, "submitted", "done"),
         ("amend", "submitted", "submitted", "done")]
    # the old version no longer holds its dates: the same person on v1's
    # first day only (v2 leaves a day later) passes
    other = harness.valid_trip(days_ahead=50, members=1)
    other.ngay_di = other.ngay_ve = harness.d(50)
    other.legs = [["JP", harness.d(50), harness.d(50)]]
    other.members = [dict(t.members[0])]
    r = env.post_form("/life/register", other)
    assert r.status == 200 and "member-overlap" not in r.rules(), r.findings()


def test_amend_still_sees_others(env):
    t = harness.valid_trip(days_ahead=55)
    code = register(env, t)
    other = harness.valid_trip(days_ahead=70)
    other.members = [dict(t.members[0])]
    t.set_dates(harness.d(70), [3], ["JP"])
    other_code = register(env, other)
    r = step(env, "/life/amend", [("ma_ho_so", code)] + t.pairs())
    assert r.status == 422 and "member-overlap" in r.rules(), r
    # The trip in the way is named by its dossier code.
    assert ("đã có trong đoàn %s (từ" % other_code) in r.finding("member-overlap")["message"], \
        r.findings()
    assert current(env, code)["version"] == 1


def test_check_judges_the_locations_step(env):
    """The JSON check of an amendment leaves the dossier's own versions out
    of the history, as the amendment itself would; as a registration the
    same form overlaps the trip it amends.  An approval's check judges the
    trip's current version against the approved trips and needs a signed-in
    user; nothing is recorded."""
    t = harness.valid_trip(days_ahead=57)
    code = register(env, t)
    t.set_dates(harness.d(58), [3], ["JP"])
    before = env.psql("SELECT count(*) FROM doanra.submissions")
    status, data, r = env.check(t.pairs(), "/life/check")
    assert status == 200 and "member-overlap" in [v["rule"] for v in data["violations"]], data
    status, data, r = env.check([("ma_ho_so", code)] + t.pairs(), "/life/check-amend")
    assert status == 200 and data["decision"] == "pass", data
    # An unknown dossier is a lifecycle error, as for the step itself.
    status, data, r = env.check([("ma_ho_so", "DR-1999-000001")] + t.pairs(),
                                "/life/check-amend")
    assert status == 200 and data["decision"] == "fail", data
    assert "lifecycle" in [v["rule"] for v in data["violations"]], data
    # Approvals where a key leader's quota is one trip a year (as
    # /life/approve1): the first passes the check, and once it is approved
    # the second fails it.
    ld = leader(env)
    codes = [register(env, leader_trip(ld, n)) for n in (260, 280)]
    status, data, r = env.check([("ma_ho_so", codes[0]), ("so_quyet_dinh", "1/QĐ")],
                                "/life/check-approve", headers=AUTH)
    assert status == 200 and data["decision"] == "pass", data
    assert current(env, codes[0])["status"] == "submitted"  # checked, not approved
    r = step(env, "/life/approve1", [("ma_ho_so", codes[0]), ("so_quyet_dinh", "1/QĐ")])
    assert r.status == 200, r.findings()
    assert wait_status(env, codes[0], "approved")
    status, data, r = env.check([("ma_ho_so", codes[1]), ("so_quyet_dinh", "2/QĐ")],
                                "/life/check-approve", headers=AUTH)
    assert status == 200 and data["decision"] == "fail", data
    assert "leader-quota" in [v["rule"] for v in data["violations"]], data
    assert current(env, codes[1])["status"] == "submitted"
    status, data, r = env.check([("ma_ho_so", codes[1]), ("so_quyet_dinh", "2/QĐ")],
                                "/life/check-open-approve")
    assert status == 403 and data and data.get("error"), (status, r.body[:300])
    # The checks recorded nothing (the registrations and approvals did).
    assert env.psql("SELECT count(*) FROM doanra.submissions WHERE location LIKE "
                    "'/life/check%'") == [("0",)]
    assert int(env.psql("SELECT count(*) FROM doanra.submissions")[0][0]) > int(before[0][0])


def test_amend_of_a_leader_does_not_count_twice(env):
    ld = leader(env)
    a = leader_trip(ld, 60)
    code = register(env, a)
    register(env, leader_trip(ld, 80))            # quota 2 reached
    r = env.post_form("/life/register", leader_trip(ld, 100))
    assert r.status == 422 and "leader-quota" in r.rules()
    a.set_dates(harness.d(61), [3], ["JP"])
    r = step(env, "/life/amend", [("ma_ho_so", code)] + a.pairs())
    assert r.status == 200, (r, r.findings())
    assert wait_status(env, code, "submitted")["version"] == 2


def test_amend_of_approved_needs_approval_again(env):
    t = harness.valid_trip(days_ahead=90)
    code = register(env, t)
    r = step(env, "/life/approve", [("ma_ho_so", code), ("so_quyet_dinh", "12/QĐ-UBND")])
    assert r.status == 200, (r, r.findings())
    assert wait_status(env, code, "approved")
    t.muc_dich += " (điều chỉnh)"
    r = step(env, "/life/amend", [("ma_ho_so", code)] + t.pairs())
    assert r.status == 200
    cur = wait_status(env, code, "submitted")
    assert cur["version"] == 2
    assert env.psql("SELECT status FROM doanra.trips WHERE code = %s AND version = 1"
                    % sql_literal(code)) == [("superseded",)]


def test_amend_refused_by_backend_changes_nothing(env):
    t = harness.valid_trip(days_ahead=95)
    code = register(env, t)
    r = step(env, "/life/amend?status=500", [("ma_ho_so", code)] + t.pairs())
    assert r.status == 500
    env.wait_for(lambda: env.psql("SELECT count(*) FROM doanra.trips WHERE code = %s"
                                  " AND status = 'void'" % sql_literal(code)) == [("1",)])
    cur = current(env, code)
    assert cur["version"] == 1 and cur["status"] == "submitted"
    assert [e["state"] for e in wait_events_settled(env, code)] == ["done", "void"]


# -- cancel --------------------------------------------------------------------

def test_cancel_frees_dates_and_quota(env):
    ld = leader(env)
    a = leader_trip(ld, 120)
    code = register(env, a)
    register(env, leader_trip(ld, 140))
    third = leader_trip(ld, 160)
    r = env.post_form("/life/register", third)
    assert r.status == 422 and "leader-quota" in r.rules()
    # a reason is required
    r = step(env, "/life/cancel", [("ma_ho_so", code), ("ly_do", "  ")])
    lifecycle_error(r, "ly_do")
    assert current(env, code)["status"] == "submitted"
    r = step(env, "/life/cancel", [("ma_ho_so", code), ("ly_do", "Đối tác hủy lịch")])
    assert r.status == 200 and r.header("X-Doanra-Trip") == code
    assert wait_status(env, code, "cancelled")
    ev = wait_events_settled(env, code)[-1]
    assert (ev["action"], ev["from_status"], ev["to_status"], ev["state"], ev["reason"]) == \
        ("cancel", "submitted", "cancelled", "done", "Đối tác hủy lịch")
    # quota and dates are free at once
    r = env.post_form("/life/register", third)
    assert r.status == 200, r.findings()
    same_dates = leader_trip(ld, 120)
    same_dates.members = [dict(a.members[1])]
    r = env.post_form("/life/register", same_dates)
    assert r.status == 200, r.findings()
    # a cancelled trip cannot be cancelled again
    r = step(env, "/life/cancel", [("ma_ho_so", code), ("ly_do", "lần nữa")])
    f = lifecycle_error(r, "ma_ho_so")
    assert code in f["message"] and "đã hủy" in f["message"]


def test_cancel_of_approved_and_english(env):
    code = register(env, harness.valid_trip(days_ahead=130))
    r = step(env, "/life/approve", [("ma_ho_so", code), ("so_quyet_dinh", "7/QĐ")])
    assert r.status == 200
    assert wait_status(env, code, "approved")
    r = step(env, "/life/en/cancel", [("ma_ho_so", code)])
    f = lifecycle_error(r, "ly_do")
    assert "reason" in f["message"]
    r = step(env, "/life/en/cancel", [("ma_ho_so", code), ("ly_do", "Visa refused")])
    assert r.status == 200
    assert wait_status(env, code, "cancelled")


def test_unknown_and_missing_code(env):
    r = step(env, "/life/cancel", [("ma_ho_so", "DR-1999-999999"), ("ly_do", "x")])
    f = lifecycle_error(r, "ma_ho_so")
    assert "DR-1999-999999" in f["message"]
    assert "DR-1999-999999" in r.body               # what was typed is shown
    r = step(env, "/life/cancel", [("ly_do", "x")])
    lifecycle_error(r, "ma_ho_so")
    r = step(env, "/life/en/cancel", [("ma_ho_so", "NOPE-1"), ("ly_do", "x")])
    assert "No trip" in lifecycle_error(r)["message"]


def test_register_refuses_a_code(env):
    t = harness.valid_trip(days_ahead=45)
    t.extra = [("ma_ho_so", "DR-2027-000001")]
    r = env.post_form("/life/register", t)
    lifecycle_error(r, "ma_ho_so")


def test_backend_refusal_changes_nothing(env):
    code = register(env, harness.valid_trip(days_ahead=135))
    r = step(env, "/life/cancel?status=409", [("ma_ho_so", code), ("ly_do", "thử")])
    assert r.status == 409
    ev = env.wait_for(lambda: [e for e in events(env, code)
                               if e["action"] == "cancel" and e["state"] == "void"])
    assert ev
    assert current(env, code)["status"] == "submitted"


# -- reject --------------------------------------------------------------------

def test_reject_needs_user_and_reason_and_frees_quota(env):
    ld = leader(env)
    code = register(env, leader_trip(ld, 170))
    register(env, leader_trip(ld, 190))
    before = env.psql("SELECT count(*) FROM doanra.submissions")[0][0]
    r = step(env, "/life/open-reject", [("ma_ho_so", code), ("ly_do", "x")], auth=False)
    assert r.status == 403 and not r.reached_backend()
    assert env.psql("SELECT count(*) FROM doanra.submissions")[0][0] == before
    assert current(env, code)["status"] == "submitted"
    r = step(env, "/life/reject", [("ma_ho_so", code)], auth=False)
    assert r.status == 401
    r = step(env, "/life/reject", [("ma_ho_so", code)])
    lifecycle_error(r, "ly_do")
    r = step(env, "/life/reject", [("ma_ho_so", code), ("ly_do", "Không thuộc kế hoạch")])
    assert r.status == 200
    assert wait_status(env, code, "rejected")
    ev = wait_events_settled(env, code)[-1]
    assert (ev["action"], ev["remote_user"], ev["to_status"]) == ("reject", "lanhdao", "rejected")
    r = env.post_form("/life/register", leader_trip(ld, 210))
    assert r.status == 200, r.findings()
    # rejected is final
    r = step(env, "/life/approve", [("ma_ho_so", code), ("so_quyet_dinh", "1")])
    lifecycle_error(r)


def test_reject_of_approved_is_refused(env):
    code = register(env, harness.valid_trip(days_ahead=150))
    assert step(env, "/life/approve", [("ma_ho_so", code), ("so_quyet_dinh", "9")]).status == 200
    assert wait_status(env, code, "approved")
    r = step(env, "/life/reject", [("ma_ho_so", code), ("ly_do", "muộn")])
    lifecycle_error(r)


# -- approve -------------------------------------------------------------------

def test_approve_needs_user_and_decision_number(env):
    code = register(env, harness.valid_trip(days_ahead=155))
    r = step(env, "/life/open-approve", [("ma_ho_so", code), ("so_quyet_dinh", "1")],
             auth=False)
    assert r.status == 403 and not r.reached_backend()
    r = step(env, "/life/approve", [("ma_ho_so", code)])
    lifecycle_error(r, "so_quyet_dinh")
    r = step(env, "/life/approve", [("ma_ho_so", code), ("so_quyet_dinh", "5"),
                                    ("ngay_quyet_dinh", "31/02/2027")])
    lifecycle_error(r, "ngay_quyet_dinh")
    r = step(env, "/life/approve", [("ma_ho_so", code), ("so_quyet_dinh", "15/QĐ-UBND")])
    assert r.status == 200 and r.header("X-Doanra-Trip") == code
    assert wait_status(env, code, "approved")
    ev = wait_events_settled(env, code)[-1]
    assert (ev["action"], ev["decision_no"], ev["decision_date"], ev["remote_user"]) == \
        ("approve", "15/QĐ-UBND", harness.today().isoformat(), "lanhdao")
    r = step(env, "/life/approve", [("ma_ho_so", code), ("so_quyet_dinh", "16")])
    lifecycle_error(r)


def test_approve_counts_only_approved_trips(env):
    ld = leader(env)
    a = register(env, leader_trip(ld, 220))
    b = register(env, leader_trip(ld, 240))
    # the leader quota here is 1: the first approval passes although b waits
    r = step(env, "/life/approve1", [("ma_ho_so", a), ("so_quyet_dinh", "1")])
    assert r.status == 200, r.findings()
    assert wait_status(env, a, "approved")
    r = step(env, "/life/approve1", [("ma_ho_so", b), ("so_quyet_dinh", "2")])
    assert r.status == 422 and "leader-quota" in r.rules(), r
    assert current(env, b)["status"] == "submitted"
    # after a is cancelled, b can be approved
    assert step(env, "/life/cancel", [("ma_ho_so", a), ("ly_do", "đổi")]).status == 200
    assert wait_status(env, a, "cancelled")
    r = step(env, "/life/approve1", [("ma_ho_so", b), ("so_quyet_dinh", "2")])
    assert r.status == 200, r.findings()


def test_approve_reruns_the_rules(env):
    code = register(env, harness.valid_trip(days_ahead=160))
    # the trip now breaks a rule (an admin shrank the limit by config: here
    # the departure moved into the past)
    env.psql("UPDATE doanra.trips SET ngay_di = current_date - 1 WHERE code = %s"
             % sql_literal(code))
    env.psql("UPDATE doanra.submissions s SET fields = jsonb_set(fields, '{ngay_di}',"
             " to_jsonb((current_date - 1)::text)) FROM doanra.trips t"
             " WHERE t.submission_id = s.id AND t.code = %s" % sql_literal(code))
    r = step(env, "/life/approve", [("ma_ho_so", code), ("so_quyet_dinh", "3")])
    assert r.status == 422 and "dates" in r.rules(), r
    assert 'data-doanra-trip="%s"' % code in r.body
    assert current(env, code)["status"] == "submitted"


# -- report --------------------------------------------------------------------

def test_report_after_return(env):
    code = register(env, harness.valid_trip(days_ahead=165))
    r = step(env, "/life/report", [("ma_ho_so", code)])
    lifecycle_error(r)                               # not approved
    assert step(env, "/life/approve", [("ma_ho_so", code), ("so_quyet_dinh", "4")]).status == 200
    assert wait_status(env, code, "approved")
    r = step(env, "/life/report", [("ma_ho_so", code)])
    f = lifecycle_error(r)                           # not back yet
    assert "về nước" in f["message"]
    env.psql("UPDATE doanra.trips SET ngay_di = current_date - 6, ngay_ve = current_date - 2"
             " WHERE code = %s" % sql_literal(code))
    r = step(env, "/life/report", [("ma_ho_so", code),
                                   ("ngay_bao_cao", (harness.d(-5)).strftime("%d/%m/%Y"))])
    lifecycle_error(r, "ngay_bao_cao")               # before the return
    r = step(env, "/life/report", [("ma_ho_so", code)])
    assert r.status == 200
    cur = wait_status(env, code, "completed")
    assert cur["report_filed_on"] == harness.today().isoformat()
    ev = wait_events_settled(env, code)[-1]
    assert (ev["action"], ev["from_status"], ev["to_status"], ev["report_date"]) == \
        ("report", "approved", "completed", harness.today().isoformat())
    r = step(env, "/life/report", [("ma_ho_so", code)])
    lifecycle_error(r)                               # once


def test_report_overdue_warns_the_unit(env):
    t = harness.valid_trip(days_ahead=175)
    t.ma_don_vi, t.don_vi = "TST2", "Ban Kiểm thử Hai"
    t.ly_do_phat_sinh = "Lời mời đột xuất"
    code = register(env, t)
    assert step(env, "/life/approve", [("ma_ho_so", code), ("so_quyet_dinh", "8")]).status == 200
    assert wait_status(env, code, "approved")
    env.psql("UPDATE doanra.trips SET ngay_di = current_date - 25, ngay_ve = current_date - 20"
             " WHERE code = %s" % sql_literal(code))
    try:
        t2 = harness.valid_trip(days_ahead=180)
        t2.ma_don_vi, t2.don_vi = "TST2", "Ban Kiểm thử Hai"
        t2.ly_do_phat_sinh = "Lời mời đột xuất"
        r = env.post_form("/life/register", t2)
        f = r.finding("report-overdue")
        assert r.status == 200 and f and f["severity"] == "warning", r.findings()
        assert code in f["message"] and "10 ngày" in f["message"]
    finally:
        env.psql("SELECT doanra.report_trip(%s)" % sql_literal(code))
    r = env.post_form("/life/register", t2)
    assert r.finding("report-overdue") is None


# -- the admins' steps and the module's rights ---------------------------------

def test_admin_functions_and_module_role(env):
    code = register(env, harness.valid_trip(days_ahead=185))
    with pytest.raises(RuntimeError, match="permission denied"):
        env.psql("SET ROLE doanra_module; SELECT doanra.cancel_trip(%s, 'x')"
                 % sql_literal(code))
    with pytest.raises(RuntimeError, match="only settle"):
        env.psql("SET ROLE doanra_module; UPDATE doanra.trips SET status = 'approved'"
                 " WHERE code = %s" % sql_literal(code))
    with pytest.raises(RuntimeError, match="needs a reason"):
        env.psql("SELECT doanra.cancel_trip(%s, '')" % sql_literal(code))
    assert env.psql("SELECT doanra.approve_trip(%s, '99/QĐ')" % sql_literal(code)) == \
        [("approved",)]
    with pytest.raises(RuntimeError, match="not allowed"):
        env.psql("SELECT doanra.reject_trip(%s, 'muộn')" % sql_literal(code))
    assert env.psql("SELECT doanra.cancel_trip(lower(%s), 'Hủy')" % sql_literal(code)) == \
        [("cancelled",)]
    ev = events(env, code)
    assert [(e["action"], e["state"]) for e in ev] == \
        [("register", "done"), ("approve", "done"), ("cancel", "done")]


# -- two approvers, one last place ---------------------------------------------

@pytest.fixture(scope="module")
def second_server(env):
    run2 = os.path.join(env.dir, "httpd-life")
    os.makedirs(run2, exist_ok=True)
    second = harness.Apache(run2, env.apache.conninfo, pgport=env.pg.port)
    second.start()
    try:
        yield Client(second.port)
    finally:
        crashes = second.crashes()
        second.stop()
        assert not crashes, crashes


def test_two_approvals_race_for_the_last_place(env, second_server):
    clients = [env.client, second_server]
    for run in range(int(os.environ.get("DOANRA_RACE_RUNS", "5"))):
        ld = leader(env)
        codes = [register(env, leader_trip(ld, 250 + 10 * i)) for i in range(2)]
        out = [None, None]
        barrier = threading.Barrier(2)

        def one(i):
            body = harness.encode_urlencoded([("ma_ho_so", codes[i]),
                                              ("so_quyet_dinh", "R%d" % i)])
            barrier.wait(10)
            out[i] = clients[i].post("/life/approve1", body,
                                     "application/x-www-form-urlencoded", headers=AUTH)
        ths = [threading.Thread(target=one, args=(i,)) for i in range(2)]
        for th in ths:
            th.start()
        for th in ths:
            th.join(60)
        statuses = sorted(r.status for r in out)
        assert statuses == [200, 422], [(r, r.findings()) for r in out]
        loser = [r for r in out if r.status == 422][0]
        assert "leader-quota" in loser.rules()
        env.wait_for(lambda: env.psql(
            "SELECT count(*) FROM doanra.trip_events WHERE code IN (%s) AND state = 'pending'"
            % ",".join(sql_literal(c) for c in codes)) == [("0",)])
        approved = env.psql("SELECT count(*) FROM doanra.trips WHERE code IN (%s)"
                            " AND status = 'approved'" % ",".join(sql_literal(c) for c in codes))
        assert approved == [("1",)], run
