"""test_identity.py - person and unit identity (SPEC section 3, "Person
identity", rule `identity`) through a real httpd and PostgreSQL.

The Chairman of a city (a key leader in doanra.officials) has used his
quota: two counted trips next year.  Every way of writing him into a third
trip of that year - his code in lower case, in full-width letters, with a
Unicode hyphen, with a zero-width space or a soft hyphen in it, an invented
code, no code at all, his deputy's code - is blocked with `leader-quota` or
`identity`.  Someone who is not in the registry, with a code of their own,
passes."""
import datetime
import time
import unicodedata

import pytest

from harness import (expect_blocked, expect_check, expect_check_pass,
                     expect_passed, field_name, json_rules, json_violation,
                     person_name, sql_literal, today, unique_suffix, valid_trip)

YEAR = today().year + 1


class City:
    """A unit with its chairman (key leader) and deputy, fresh per module so
    the quota history belongs to this file alone."""

    def __init__(self, env):
        s = unique_suffix().upper()
        self.unit = "MC" + s
        self.unit_name = "UBND thành phố Móng Cái %s" % s
        self.chairman = "QN-MC%s-01" % s
        self.chairman_name = "Hoàng Văn Định %s" % s
        self.deputy = "QN-MC%s-02" % s
        self.deputy_name = "Vi Thị Hạnh %s" % s
        env.psql(
            "INSERT INTO doanra.units(code, name) VALUES (%s, %s);"
            "INSERT INTO doanra.officials(code, full_name, unit_code, position,"
            " is_key_leader) VALUES (%s, %s, %s, 'Chủ tịch UBND thành phố', true),"
            " (%s, %s, %s, 'Phó Chủ tịch UBND thành phố', false)"
            % (sql_literal(self.unit), sql_literal(self.unit_name),
               sql_literal(self.chairman), sql_literal(self.chairman_name),
               sql_literal(self.unit), sql_literal(self.deputy),
               sql_literal(self.deputy_name), sql_literal(self.unit)))

    def trip(self, month, name=None, code=None, position="Chủ tịch UBND thành phố",
             unit_code=True, unit_name=True):
        t = valid_trip(members=1)
        t.set_dates(datetime.date(YEAR, month, 3), [2], ["CN"])
        t.ma_don_vi = self.unit if unit_code else ""
        t.don_vi = self.unit_name if unit_name else ""
        # The test plan has no entry for this unit: unplanned, with a reason
        # (a warning), so the verdict is the identity's.
        t.ly_do_phat_sinh = "Lời mời đột xuất của thành phố Đông Hưng"
        t.members[0].update(name=self.chairman_name if name is None else name,
                            code=self.chairman if code is None else code,
                            position=position)
        return t


@pytest.fixture(scope="module")
def city(env):
    c = City(env)
    for month in (3, 5):
        r = expect_passed(env, c.trip(month), decision="warn")
        env.wait_trip_status(r.header("X-Doanra-Submission"), "submitted")
    return c


def blocked(env, t, rules=("leader-quota", "identity")):
    """Blocked at the enforce location with at least one of rules; the JSON
    check agrees.  Returns the check's rule ids."""
    r = env.post_form("/doanra/submit", t)
    assert r.status == 422, "%r: %s" % (r, r.findings())
    assert not r.reached_backend()
    assert r.decision == "fail"
    found = [f["rule"] for f in r.findings() if f["severity"] == "error"]
    assert set(found) & set(rules), found
    status, data, _ = env.check(t)
    assert status == 200 and data["decision"] == "fail", data
    return json_rules(data, "error")


# ---- the chairman at quota, spelled every way ------------------------------------

def test_history_counts_under_the_registered_code(env, city):
    rows = env.psql("SELECT count(DISTINCT m.trip_id) FROM doanra.trip_members m "
                    "JOIN doanra.trips t ON t.id = m.trip_id WHERE m.official_code = %s "
                    "AND t.status = 'submitted'" % sql_literal(city.chairman))
    assert rows[0][0] == "2"
    expect_check(env, city.trip(7), "leader-quota")


@pytest.mark.parametrize("spelling", [
    "lower", "fullwidth", "hyphen-2010", "zero-width-space", "soft-hyphen",
    "nbhyphen-minus", "bidi-marks", "spaces"])
def test_code_spellings_hit_the_quota(env, city, spelling):
    c = city.chairman
    code = {
        "lower": c.lower(),
        "fullwidth": "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch
                             for ch in c[:2]) + c[2:],
        "hyphen-2010": c.replace("-", "\u2010"),
        "zero-width-space": c[:5] + "\u200b" + c[5:],
        "soft-hyphen": c.replace("-01", "-\u00ad01"),
        "nbhyphen-minus": c.replace("-", "\u2011", 1).replace("-", "\u2212"),
        "bidi-marks": "\u202a" + c + "\u200e\u202c",
        "spaces": " " + c.replace("-", " - ") + "\u00a0",
    }[spelling]
    assert code != c
    rules = blocked(env, city.trip(7, code=code))
    assert "leader-quota" in rules, rules
    assert "identity" not in rules, rules


def test_fullwidth_example_from_the_issue(env, city):
    # "ＱＮ-MC-01": every letter of the code's prefix in full width.
    code = city.chairman.replace("QN", "\uff31\uff2e")
    assert "leader-quota" in blocked(env, city.trip(7, code=code))


def test_no_code_name_and_unit_only(env, city):
    rules = blocked(env, city.trip(7, code=""))
    assert "leader-quota" in rules, rules


def test_no_code_name_spelled_differently(env, city):
    # Upper case, decomposed (a Mac), a zero-width space, doubled spaces;
    # the sending unit by its name only, in other case and spacing.
    name = unicodedata.normalize("NFD", city.chairman_name.upper())
    name = name.replace(" ", "  ", 1)
    name = name[:3] + "\u200b" + name[3:]
    t = city.trip(7, name=name, code="", unit_code=False)
    t.don_vi = "  " + city.unit_name.upper().replace(" ", "  ")
    rules = blocked(env, t)
    assert "leader-quota" in rules, rules


def test_no_code_position_that_is_no_title(env, city):
    # The registry says key leader, whatever position is typed.
    rules = blocked(env, city.trip(7, code="", position="Cán bộ"))
    assert "leader-quota" in rules, rules


def test_member_unit_given_as_tv_don_vi(env, city):
    # Sent by another unit, the chairman named with his own unit.
    t = city.trip(7, code="")
    t.ma_don_vi, t.don_vi = "TST", "Sở Kiểm thử"
    t.members[0]["unit"] = city.unit_name.lower()
    rules = blocked(env, t)
    assert "leader-quota" in rules, rules


def test_invented_code(env, city):
    invented = city.chairman.replace("-01", "-99")
    status, data, _ = env.check(city.trip(7, code=invented))
    v = json_violation(data, "identity")
    assert v is not None and v["severity"] == "error", data
    assert field_name(v["field"]) == "tv_ma"
    assert invented in v["message"] and city.chairman in v["message"], v
    # ... and he still counts as the registered chairman.
    assert "leader-quota" in json_rules(data), data
    blocked(env, city.trip(7, code=invented))


def test_deputy_code_with_chairman_name(env, city):
    status, data, _ = env.check(city.trip(7, code=city.deputy))
    v = json_violation(data, "identity")
    assert v is not None, data
    assert city.deputy in v["message"] and city.deputy_name in v["message"], v
    assert "leader-quota" in json_rules(data), data
    blocked(env, city.trip(7, code=city.deputy))


def test_chairman_code_with_another_name(env, city):
    other = person_name()
    v = expect_check(env, city.trip(7, name=other, code=city.chairman.lower()),
                     "identity")
    # "Mã cán bộ “QN-MC-01” trong danh bạ là của “Hoàng Văn Định”, không
    # phải “...”."
    assert "Mã cán bộ" in v["message"], v
    assert city.chairman_name in v["message"] and other in v["message"], v
    blocked(env, city.trip(7, name=other, code=city.chairman))


def test_identity_message_in_english(env, city):
    other = person_name()
    v = expect_check(env, city.trip(7, name=other, code=city.chairman),
                     "identity", path="/en/check")
    assert "registry" in v["message"] and city.chairman_name in v["message"], v


def test_identity_severity_is_configurable(env, city):
    other = person_name()
    status, data, _ = env.check(city.trip(1, name=other, code=city.chairman),
                                "/identity-warn/check")
    v = json_violation(data, "identity")
    assert v is not None and v["severity"] == "warning", data


# ---- the sending unit ----------------------------------------------------------

def test_unit_code_under_another_name(env, city):
    t = valid_trip()
    t.ma_don_vi = city.unit
    t.don_vi = "Sở Ngoại vụ " + unique_suffix()
    t.ly_do_phat_sinh = "Lời mời đột xuất"
    v = expect_check(env, t, "identity")
    assert field_name(v["field"]) == "ma_don_vi"
    assert city.unit_name in v["message"] and t.don_vi in v["message"], v


def test_unit_code_spelled_differently_same_name(env, city):
    t = valid_trip()
    t.ma_don_vi = city.unit.lower()
    t.don_vi = city.unit_name.upper()
    t.ly_do_phat_sinh = "Lời mời đột xuất"
    data = expect_check_pass(env, t, allow=("plan",))
    assert "identity" not in json_rules(data)


# ---- people who are not in the registry --------------------------------------------

def test_unregistered_person_with_own_code_passes(env):
    t = valid_trip()
    t.members[0]["code"] = "NV-" + unique_suffix()
    expect_check_pass(env, t)
    r = expect_passed(env, t)
    env.wait_trip_status(r.header("X-Doanra-Submission"), "submitted")


def test_same_unregistered_code_spelled_differently_is_one_person(env):
    t = valid_trip(days_ahead=50)
    code = "NV-" + unique_suffix()
    t.members[0]["code"] = code
    r = expect_passed(env, t)
    env.wait_trip_status(r.header("X-Doanra-Submission"), "submitted")
    again = valid_trip(days_ahead=51)
    again.members[0] = dict(t.members[0], code=code.lower().replace("-", "\u2010"))
    expect_check(env, again, "member-overlap")


def test_two_spellings_in_one_delegation_are_a_duplicate(env, city):
    t = city.trip(9)
    t.add_member(name=city.chairman_name, code=city.chairman.lower(),
                 position="Chủ tịch")
    status, data, _ = env.check(t)
    assert "duplicate-member" in json_rules(data), data


# ---- plan codes ------------------------------------------------------------------

def test_plan_code_in_another_spelling(env, trip):
    # "kh‐tst‐2027" (U+2010, lower case, a zero-width space) is KH-TST-2027.
    code = ("KH-TST-%d" % trip.ngay_di.year).lower().replace("-", "\u2010")
    trip.ma_ke_hoach = code[:3] + "\u200b" + code[3:]
    expect_check_pass(env, trip)


class LeaderAndClerk:
    """A fresh unit whose registry holds a key leader (leader_code) and a
    clerk (clerk_code) under one full name, and its one-member trips."""

    def __init__(self, env, prefix, unit_label, leader_code, clerk_code, name,
                 leader_position):
        s = unique_suffix().upper()
        self.unit, self.unit_name = prefix + s, "%s %s" % (unit_label, s)
        self.leader_code, self.clerk_code = leader_code(s), clerk_code(s)
        self.name = "%s %s" % (name, s)
        self.leader_position = leader_position
        env.psql(
            "INSERT INTO doanra.units(code, name) VALUES (%s, %s);"
            "INSERT INTO doanra.officials(code, full_name, unit_code, position,"
            " is_key_leader) VALUES (%s, %s, %s, %s, true),"
            " (%s, %s, %s, 'Chuyên viên', false)"
            % (sql_literal(self.unit), sql_literal(self.unit_name),
               sql_literal(self.leader_code), sql_literal(self.name),
               sql_literal(self.unit), sql_literal(leader_position),
               sql_literal(self.clerk_code), sql_literal(self.name),
               sql_literal(self.unit)))
        # A code the cached registry does not know reloads it when the
        # cache is more than a second old (store.c): let these rows be read.
        time.sleep(1.1)

    def trip(self, month, code, position="Chuyên viên"):
        t = valid_trip(members=1)
        t.set_dates(datetime.date(YEAR, month, 3), [2], ["CN"])
        t.ma_don_vi, t.don_vi = self.unit, self.unit_name
        t.ly_do_phat_sinh = "Lời mời đột xuất của thành phố Đông Hưng"
        t.members[0].update(name=self.name, code=code, position=position)
        return t


@pytest.mark.parametrize("leader_row", ["ascii-hyphen", "u2010-hyphen"])
def test_code_loaded_twice_is_one_key_leader(env, leader_row):
    """An admin loaded one official twice: the code with an ASCII hyphen in
    one row and U+2010 in the other, the key-leader flag in one row only.
    Whichever row the registry reads first (ORDER BY code: the ASCII one),
    the two rows are one person and a key leader: the trips count as a key
    leader's, and a third trip in the year fails `leader-quota` by either
    spelling of the code or by name and unit alone.  The admin's log says
    what to fix."""
    ascii_code = lambda s: "QN-XD%s-01" % s
    u2010_code = lambda s: ascii_code(s).replace("-", "\u2010")
    if leader_row == "ascii-hyphen":
        u = LeaderAndClerk(env, "XD", "Sở Xây dựng", ascii_code, u2010_code,
                           "Lê Văn Tám", "Giám đốc Sở Xây dựng")
    else:
        u = LeaderAndClerk(env, "XD", "Sở Xây dựng", u2010_code, ascii_code,
                           "Lê Văn Tám", "Giám đốc Sở Xây dựng")
    # A position that is no key leader's title: only the registry makes
    # them one.
    for month, code in ((3, u.clerk_code), (5, u.leader_code)):
        r = expect_passed(env, u.trip(month, code), decision="warn")
        env.wait_trip_status(r.header("X-Doanra-Submission"), "submitted")
    rows = env.psql("SELECT count(*), bool_and(m.is_key_leader),"
                    " count(DISTINCT m.person_key) FROM doanra.trip_members m"
                    " JOIN doanra.trips t ON t.id = m.trip_id"
                    " WHERE t.unit_code = %s" % sql_literal(u.unit))
    assert [tuple(r) for r in rows] == [("2", "t", "1")], rows
    for code in (u.clerk_code, u.leader_code, ""):
        rules = blocked(env, u.trip(7, code), rules=("leader-quota",))
        assert "leader-quota" in rules, (code, rules)
    assert "stored in more than one row once normalised" in \
        env.apache.error_log_text()


def test_namesakes_need_the_code(env):
    """A director and a clerk of one unit share a full name; the director
    has used the year's quota.  Without a code, or with an invented one,
    nobody can tell which of them travels, and the director could go as the
    clerk: rule `identity` asks for the code (blocked, and the JSON check
    agrees).  With the clerk's own code it is the clerk's trip."""
    u = LeaderAndClerk(env, "NS", "Sở Nội vụ", lambda s: "QN-NS%s-01" % s,
                       lambda s: "QN-NS%s-02" % s, "Phạm Minh Đức",
                       "Giám đốc Sở Nội vụ")
    for month in (3, 5):
        r = expect_passed(env, u.trip(month, u.leader_code, u.leader_position),
                          decision="warn")
        env.wait_trip_status(r.header("X-Doanra-Submission"), "submitted")
    assert "leader-quota" in blocked(env, u.trip(7, u.leader_code))
    for code in ("", u.leader_code.replace("-01", "-99")):
        r = expect_blocked(env, u.trip(7, code), "identity")
        f = r.finding("identity")
        assert f["field"] == "tv_ma" and "Danh bạ có 2 cán bộ tên" in f["message"], f
        assert "cần ghi mã cán bộ (tv_ma)" in f["message"], f
        status, data, _ = env.check(u.trip(7, code))
        assert status == 200 and data["decision"] == "fail", data
        assert "identity" in json_rules(data, "error"), data
    expect_passed(env, u.trip(7, u.clerk_code), decision="warn")
