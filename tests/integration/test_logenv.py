"""test_logenv.py - the verdict where admins and backends read it: request
notes for LogFormat (%{doanra-decision}n, doanra-submission, doanra-rules,
doanra-trip) in a real access log, and DOANRA_DECISION, DOANRA_SUBMISSION,
DOANRA_RULES, DOANRA_TRIP in a real CGI program's environment.  Locations
are in conf.d/logenv.conf."""
import os
import time

from harness import valid_trip


def log_line(env, sid=None, path=None, timeout=10):
    """The notes.log line of a submission (by id) or of a path."""
    f = os.path.join(env.apache.run, "notes.log")
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(f):
            with open(f, encoding="utf-8") as fh:
                for line in fh:
                    parts = line.rstrip("\n").split("|")
                    if sid is not None and parts[3] == str(sid):
                        return parts
                    if path is not None and parts[0] == path and sid is None:
                        return parts
        time.sleep(0.1)
    return None


def test_cgi_environment_has_the_verdict(env):
    t = valid_trip()
    r = env.post_form("/logenv/cgi", t)
    assert r.status == 200, r.body[:300]
    sid = r.header("X-Doanra-Submission")
    code = r.header("X-Doanra-Trip")
    assert sid and code
    assert r.header("X-Env-Doanra-Decision") == "pass"
    assert r.header("X-Env-Doanra-Submission") == sid
    assert r.header("X-Env-Doanra-Trip") == code
    assert r.header("X-Env-Doanra-Rules") is None   # no finding: left out


def test_cgi_environment_names_the_rules_of_a_warning(env):
    t = valid_trip()
    t.set_dates(t.ngay_di, [2, 2], ["JP", "TH"])   # region: a warning
    r = env.post_form("/logenv/cgi", t)
    assert r.status == 200
    assert r.header("X-Env-Doanra-Decision") == "warn"
    assert r.header("X-Env-Doanra-Rules") == "region"


def test_access_log_notes_of_a_passed_trip(env):
    r = env.post_form("/logenv/echo", valid_trip())
    assert r.status == 200 and r.reached_backend()
    sid = r.header("X-Doanra-Submission")
    parts = log_line(env, sid=sid)
    assert parts, "no access log line for submission %s" % sid
    assert parts[:3] == ["/logenv/echo", "200", "pass"]
    assert parts[4] == "-"                       # no rules
    assert parts[5] == r.header("X-Doanra-Trip")


def test_access_log_notes_of_a_blocked_trip(env):
    r = env.post_form("/logenv/echo", valid_trip(members=11))
    assert r.status == 422
    sid = r.header("X-Doanra-Submission")
    parts = log_line(env, sid=sid)
    assert parts, "no access log line for submission %s" % sid
    assert parts[1:3] == ["422", "fail"]
    assert "size" in parts[4].split(",")
    assert parts[5] == "-"                       # nothing reserved


def test_access_log_without_a_verdict(env):
    path = "/logenv/echo/get-%d" % os.getpid()
    r = env.get(path)
    assert r.status == 200
    parts = log_line(env, path=path)
    assert parts and parts[2:] == ["-", "-", "-", "-"]
