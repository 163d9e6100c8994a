"""test_rules.py - every rule of the SPEC (section 3) through a real httpd:
the JSON check (/doanra/check) and the enforce location (/doanra/submit,
422 page with the finding, or for warnings the backend's page with the block
injected), at and over each limit, custom limits, severity overrides and
DoanraField remaps.  Each test starts from harness.valid_trip(), which
passes, and changes one thing."""
import datetime
import unicodedata

import pytest

from harness import (d, expect_blocked, expect_check, expect_check_pass,
                     expect_passed, field_name, json_rules, person_name,
                     sql_literal, today, unique_suffix, valid_trip)


def next_year(month, day):
    return datetime.date(today().year + 1, month, day)


# ---- the baseline ----------------------------------------------------------

def test_valid_trip_passes_check(env, trip):
    expect_check_pass(env, trip)


def test_valid_trip_passes_submit(env, trip):
    r = expect_passed(env, trip)
    assert r.decision is None, "pass block shown without DoanraShowPass"


def test_vietnamese_dates_and_country_names(env, trip):
    trip.datefmt = "vn"
    trip.legs[0][0] = "Nhật Bản"
    expect_check_pass(env, trip)
    trip.legs[0][0] = "japan"
    expect_check_pass(env, trip)


def test_repeated_names_without_brackets(env, trip):
    expect_check_pass(env, trip.pairs(brackets=False))


def test_blank_rows_are_ignored(env, trip):
    # pairs() pads 4 itinerary rows and 10 member rows like the demo form.
    assert len([1 for k, v in trip.pairs() if k == "tv_ho_ten[]"]) == 10
    expect_check_pass(env, trip)


# ---- required ----------------------------------------------------------------

@pytest.mark.parametrize("name", ["muc_dich", "doi_tac", "ngay_di", "ngay_ve",
                                  "nguon_kinh_phi"])
def test_required_scalar(env, trip, name):
    setattr(trip, name, "")
    expect_check(env, trip, "required")
    data = env.check(trip)[1]
    assert name in [field_name(v["field"]) for v in data["violations"]
                    if v["rule"] == "required"], data
    expect_blocked(env, trip, "required")


def test_unit_required_unless_code(env, trip):
    trip.don_vi = ""
    expect_check_pass(env, trip)          # ma_don_vi given
    trip.ma_don_vi = ""
    expect_check(env, trip, "required")


def test_required_at_least_one_member(env, trip):
    trip.members = []
    expect_check(env, trip, "required")
    expect_blocked(env, trip, "required")


def test_required_at_least_one_leg(env, trip):
    trip.legs = []
    expect_check(env, trip, "required")


def test_required_incomplete_leg_row(env, trip):
    trip.legs[0][2] = ""
    v = expect_check(env, trip, "required")
    assert field_name(v["field"]) == "den_ngay"


def test_required_incomplete_member_row(env, trip):
    trip.members[1]["position"] = ""
    v = expect_check(env, trip, "required")
    assert field_name(v["field"]) == "tv_chuc_vu"


def test_required_estimate_with_state_budget(env, trip):
    trip.du_toan = ""
    status, data, _ = env.check(trip)
    assert data["decision"] == "fail"
    assert set(json_rules(data)) & {"required", "funding"}, data


def test_required_reason_when_unplanned(env, trip):
    trip.ma_don_vi = "NOPLAN"
    trip.don_vi = "Phòng Không Kế hoạch"
    expect_check(env, trip, "plan", "error")
    trip.ly_do_phat_sinh = "Đối tác mời đột xuất dự hội nghị"
    expect_check(env, trip, "plan", "warning")


# ---- format --------------------------------------------------------------------

def test_format_impossible_date(env, trip):
    trip.ngay_ve = "%d-02-30" % (today().year + 1)
    v = expect_check(env, trip, "format")
    assert field_name(v["field"]) == "ngay_ve"
    expect_blocked(env, trip, "format")


def test_format_garbled_date(env, trip):
    trip.legs[0][1] = "31/31/2026"
    expect_check(env, trip, "format")


def test_format_unknown_country(env, trip):
    trip.legs[0][0] = "Atlantis"
    v = expect_check(env, trip, "format")
    assert "Atlantis" in v["message"]
    assert field_name(v["field"]) == "quoc_gia"


def test_format_unknown_funding(env, trip):
    trip.nguon_kinh_phi = "vay_no"
    v = expect_check(env, trip, "format")
    assert field_name(v["field"]) == "nguon_kinh_phi"


def test_format_cost_not_a_number(env, trip):
    trip.du_toan = "ba trăm triệu"
    v = expect_check(env, trip, "format")
    assert field_name(v["field"]) == "du_toan"


@pytest.mark.parametrize("cost", ["350000000", "350.000.000", "350,000,000",
                                  "350 000 000"])
def test_cost_separators_accepted(env, trip, cost):
    trip.du_toan = cost
    expect_check_pass(env, trip)


# ---- dates ---------------------------------------------------------------------

def test_dates_return_before_departure(env, trip):
    trip.ngay_ve = trip.ngay_di - datetime.timedelta(days=1)
    expect_check(env, trip, "dates")
    expect_blocked(env, trip, "dates")


def test_dates_departure_in_the_past(env):
    t = valid_trip(days_ahead=-1)
    v = expect_check(env, t, "dates")
    assert field_name(v["field"]) == "ngay_di"


def test_dates_departure_today_is_fine(env):
    expect_check_pass(env, valid_trip(days_ahead=0))


def test_dates_leg_before_departure(env, trip):
    trip.legs[0][1] = trip.ngay_di - datetime.timedelta(days=1)
    expect_check(env, trip, "dates")


def test_dates_leg_after_return(env, trip):
    trip.legs[0][2] = trip.ngay_ve + datetime.timedelta(days=1)
    expect_check(env, trip, "dates")


def test_dates_legs_overlap(env):
    t = valid_trip()
    t.set_dates(d(30), [2, 2], ["TH", "LA"])
    t.legs[1][1] = t.legs[0][2]       # second leg starts on the first's last day
    expect_check(env, t, "dates")


def test_dates_legs_out_of_order(env):
    t = valid_trip()
    t.set_dates(d(30), [2, 2], ["TH", "LA"])
    t.legs.reverse()
    expect_check(env, t, "dates")


# ---- size ----------------------------------------------------------------------

def test_size_at_limit(env):
    expect_check_pass(env, valid_trip(members=10))


def test_size_over_limit(env):
    t = valid_trip(members=11)
    v = expect_check(env, t, "size")
    assert "11" in v["message"] and "10" in v["message"]
    r = expect_blocked(env, t, "size")
    assert "11" in r.finding("size")["message"]


# ---- days-per-country -------------------------------------------------------------

def test_days_per_country_at_limit(env):
    t = valid_trip()
    t.set_dates(d(30), [3], ["JP"])
    expect_check_pass(env, t)


def test_days_per_country_over_limit(env):
    t = valid_trip()
    t.set_dates(d(30), [4], ["JP"])
    v = expect_check(env, t, "days-per-country")
    assert "4" in v["message"] and "3" in v["message"]
    expect_blocked(env, t, "days-per-country")


def test_days_per_country_two_legs_add_up(env):
    t = valid_trip()
    t.set_dates(d(30), [2, 1, 2], ["JP", "KR", "JP"])
    expect_check(env, t, "days-per-country")


# ---- countries -------------------------------------------------------------------

def test_countries_at_limit(env):
    t = valid_trip()
    t.set_dates(d(30), [2, 2, 2], ["TH", "LA", "KH"])
    expect_check_pass(env, t)


def test_countries_over_limit(env):
    t = valid_trip()
    t.set_dates(d(30), [1, 1, 1, 1], ["TH", "LA", "KH", "SG"])
    v = expect_check(env, t, "countries")
    assert "4" in v["message"] and "3" in v["message"]
    expect_blocked(env, t, "countries")


# ---- travel-days ------------------------------------------------------------------

@pytest.mark.parametrize("where", ["before", "between", "after"])
def test_travel_days_at_limit(env, where):
    t = valid_trip()
    t.set_dates(d(30), [2, 2], ["TH", "LA"], travel=1)
    shift_travel(t, where, 2)
    expect_check_pass(env, t)


@pytest.mark.parametrize("where", ["before", "between", "after"])
def test_travel_days_over_limit(env, where):
    t = valid_trip()
    t.set_dates(d(30), [2, 2], ["TH", "LA"], travel=1)
    shift_travel(t, where, 3)
    v = expect_check(env, t, "travel-days")
    assert "3" in v["message"]
    expect_blocked(env, t, "travel-days")


def shift_travel(t, where, days):
    """Make the travel gap `where` exactly `days` long (others stay 1)."""
    delta = datetime.timedelta(days=days - 1)
    if where == "before":
        t.ngay_di -= delta
    elif where == "after":
        t.ngay_ve += delta
    else:
        t.legs[1][1] += delta
        t.legs[1][2] += delta
        t.ngay_ve += delta


# ---- region ----------------------------------------------------------------------

def test_region_same_subregion(env):
    t = valid_trip()
    t.set_dates(d(30), [2, 2], ["JP", "KR"])
    expect_check_pass(env, t)


def test_region_different_subregions_is_a_warning(env):
    t = valid_trip()
    t.set_dates(d(30), [2, 2], ["JP", "TH"])
    expect_check(env, t, "region", "warning")
    r = expect_passed(env, t, decision="warn")
    assert r.decision == "warn"
    assert r.finding("region")["severity"] == "warning"
    assert r.header("X-Doanra-Decision") == "warn"
    assert r.echo()["x-doanra-decision"] == "warn"
    assert "region" in r.echo()["x-doanra-rules"].split(",")


def test_region_level_region_compares_continents(env):
    t = valid_trip()
    t.set_dates(d(30), [2, 2], ["JP", "TH"])
    expect_check_pass(env, t, path="/continent/check")
    t.set_dates(d(30), [2, 2], ["JP", "FR"])
    expect_check(env, t, "region", "warning", path="/continent/check")


# ---- duplicate-member ---------------------------------------------------------------

def test_duplicate_member_same_name(env, trip):
    trip.add_member(name=trip.members[0]["name"])
    expect_check(env, trip, "duplicate-member")
    expect_blocked(env, trip, "duplicate-member")


def test_duplicate_member_same_code(env, trip):
    code = "DUP" + unique_suffix()
    trip.members[0]["code"] = code
    trip.add_member(code=code)
    expect_check(env, trip, "duplicate-member")


def test_duplicate_member_after_normalisation(env, trip):
    name = trip.members[0]["name"]
    # The same name typed on a Mac (NFD), in capitals, with extra spaces.
    typed = "  " + unicodedata.normalize("NFD", name.upper()).replace(" ", "   ") + " "
    assert typed != name
    trip.add_member(name=typed)
    expect_check(env, trip, "duplicate-member")


def test_same_name_other_unit_is_another_person(env, trip):
    trip.add_member(name=trip.members[0]["name"], unit="Sở Du lịch")
    expect_check_pass(env, trip)


# ---- funding ---------------------------------------------------------------------

def test_funding_zero_estimate(env, trip):
    trip.du_toan = "0"
    v = expect_check(env, trip, "funding")
    assert field_name(v["field"]) == "du_toan"
    expect_blocked(env, trip, "funding")


@pytest.mark.parametrize("code", ["doi_tac", "tu_tuc", "khac"])
def test_funding_other_sources_need_no_estimate(env, trip, code):
    trip.nguon_kinh_phi = code
    trip.du_toan = ""
    expect_check_pass(env, trip)


# ---- lead-time (off by default; 14 days at /limits) --------------------------------

def test_lead_time_off_by_default(env):
    expect_check_pass(env, valid_trip(days_ahead=1))


def test_lead_time_at_limit(env):
    expect_check_pass(env, valid_trip(days_ahead=14), path="/limits/check")


def test_lead_time_under_limit(env):
    t = valid_trip(days_ahead=13)
    v = expect_check(env, t, "lead-time", path="/limits/check")
    assert "14" in v["message"]
    expect_blocked(env, t, "lead-time", path="/limits/submit")


# ---- custom limits (/limits) --------------------------------------------------------

def test_custom_max_members(env):
    expect_check_pass(env, valid_trip(members=4), path="/limits/check")
    v = expect_check(env, valid_trip(members=5), "size", path="/limits/check")
    assert "5" in v["message"] and "4" in v["message"]


def test_custom_days_per_country(env):
    t = valid_trip()
    t.set_dates(d(30), [5], ["JP"])
    expect_check_pass(env, t, path="/limits/check")
    t.set_dates(d(30), [6], ["JP"])
    expect_check(env, t, "days-per-country", path="/limits/check")


def test_custom_countries(env):
    t = valid_trip()
    t.set_dates(d(30), [1, 1], ["TH", "LA"])
    expect_check_pass(env, t, path="/limits/check")
    t.set_dates(d(30), [1, 1, 1], ["TH", "LA", "KH"])
    expect_check(env, t, "countries", path="/limits/check")


def test_custom_travel_days(env):
    t = valid_trip()
    t.set_dates(d(30), [2], ["JP"], travel=1)
    expect_check_pass(env, t, path="/limits/check")
    t.set_dates(d(30), [2], ["JP"], travel=2)
    expect_check(env, t, "travel-days", path="/limits/check")


# ---- severity overrides (/severity) -----------------------------------------------

def test_severity_warning_to_error(env):
    t = valid_trip()
    t.set_dates(d(30), [2, 2], ["JP", "TH"])
    expect_check(env, t, "region", "error", path="/severity/check")
    expect_blocked(env, t, "region", path="/severity/submit")


def test_severity_error_to_warning(env):
    t = valid_trip(members=11)
    expect_check(env, t, "size", "warning", path="/severity/check")
    r = expect_passed(env, t, path="/severity/submit", decision="warn")
    assert r.finding("size")["severity"] == "warning"


def test_severity_off(env, trip):
    trip.du_toan = "0"
    expect_check_pass(env, trip, path="/severity/check")


# ---- DoanraField remaps (/fields) ---------------------------------------------------

REMAP = {"don_vi": "unit", "ngay_di": "departure", "ngay_ve": "return",
         "quoc_gia": "country", "tv_ho_ten": "member", "nguon_kinh_phi": "funding"}


def test_field_remap_passes(env, trip):
    expect_check_pass(env, trip.pairs(names=REMAP), path="/fields/check")
    expect_passed(env, trip.pairs(names=REMAP), path="/fields/submit")


def test_field_remap_default_names_are_not_read(env, trip):
    status, data, _ = env.check(trip, path="/fields/check")
    assert data["decision"] == "fail"
    fields = {field_name(v["field"]) for v in data["violations"] if v["rule"] == "required"}
    assert "departure" in fields and "member" in fields, data


def test_field_remap_findings_name_the_form_field(env, trip):
    trip.ngay_ve = "30/02/%d" % (today().year + 1)
    v = expect_check(env, trip.pairs(names=REMAP), "format", path="/fields/check")
    assert field_name(v["field"]) == "return"
    r = expect_blocked(env, trip.pairs(names=REMAP), "format", path="/fields/submit")
    assert field_name(r.finding("format")["field"]) == "return"


# ---- key leaders: titles, leaders-same-unit, leader-quota, member-overlap ----------

def test_leaders_same_unit_is_a_warning(env, trip):
    trip.members[0]["position"] = "Giám đốc Sở"
    trip.members[1]["position"] = "Bí thư Đảng ủy"
    expect_check(env, trip, "leaders-same-unit", "warning")


def test_deputies_are_not_key_leaders_by_default(env, trip):
    trip.members[0]["position"] = "Phó Giám đốc"
    trip.members[1]["position"] = "Phó Giám đốc"
    expect_check_pass(env, trip)
    expect_check(env, trip, "leaders-same-unit", "warning", path="/titles/check")


_LEADER_NAMES = {}


def _leader(env):
    code = "LD" + unique_suffix()
    _LEADER_NAMES[code] = person_name()
    env.psql("INSERT INTO doanra.officials(code, full_name, unit_code, position, "
             "is_key_leader) VALUES (%s, %s, 'TST', 'Giám đốc', true)"
             % (sql_literal(code), sql_literal(_LEADER_NAMES[code])))
    return code


def _trip_with_leader(code, start):
    t = valid_trip(members=1)
    t.set_dates(start, [2], ["JP"])
    # The registered name: another one would be an `identity` error.
    t.members[0].update(code=code, name=_LEADER_NAMES[code], position="Giám đốc")
    return t


def test_leader_quota(env):
    code = _leader(env)
    for month in (3, 5):
        r = expect_passed(env, _trip_with_leader(code, next_year(month, 2)))
        env.wait_trip_status(r.header("X-Doanra-Submission"), "submitted")
    third = _trip_with_leader(code, next_year(7, 2))
    v = expect_check(env, third, "leader-quota")
    assert "2" in v["message"]
    expect_blocked(env, third, "leader-quota")
    # Trips in another year do not count.
    expect_check_pass(env, _trip_with_leader(code, datetime.date(today().year + 2, 3, 2)))


def test_leader_quota_void_trips_do_not_count(env):
    code = _leader(env)
    for month in (3, 5):
        r = env.post_form("/doanra/submit?status=500",
                          _trip_with_leader(code, next_year(month, 2)))
        assert r.status == 500 and r.reached_backend()
        env.wait_trip_status(r.header("X-Doanra-Submission"), "void")
    expect_check_pass(env, _trip_with_leader(code, next_year(7, 2)))


def test_member_overlap(env):
    t = valid_trip(days_ahead=40)
    r = expect_passed(env, t)
    env.wait_trip_status(r.header("X-Doanra-Submission"), "submitted")
    again = valid_trip(days_ahead=42)
    again.members[0] = dict(t.members[0])
    v = expect_check(env, again, "member-overlap")
    assert t.members[0]["name"].split()[-1] in v["message"]
    expect_blocked(env, again, "member-overlap")
    later = valid_trip(days_ahead=60)
    later.members[0] = dict(t.members[0])
    expect_check_pass(env, later)


# ---- plan --------------------------------------------------------------------------

def test_plan_by_code(env, trip):
    trip.ma_ke_hoach = "KH-TST-%d" % trip.ngay_di.year
    expect_check_pass(env, trip)


def test_plan_code_disagrees(env, trip):
    trip.ma_ke_hoach = "KH-TST-%d" % trip.ngay_di.year
    trip.legs[0][0] = "NO"            # Norway is not in the entry
    v = expect_check(env, trip, "plan", "warning")
    assert v["message"]


def test_unplanned_country_without_reason(env, trip):
    trip.legs[0][0] = "NO"
    expect_check(env, trip, "plan", "error")
    trip.ly_do_phat_sinh = "Lời mời đột xuất của đối tác Na Uy"
    expect_check(env, trip, "plan", "warning")


# ---- the JSON check records nothing ---------------------------------------------------

def test_check_records_nothing(env, trip):
    before = env.psql("SELECT count(*) FROM doanra.submissions")[0][0]
    env.check(trip)
    env.check(valid_trip(members=11))
    after = env.psql("SELECT count(*) FROM doanra.submissions")[0][0]
    assert before == after


def test_check_english(env):
    v = expect_check(env, valid_trip(members=11), "size", path="/en/check")
    assert "11" in v["message"] and "members" in v["message"], v["message"]
    v = expect_check(env, valid_trip(members=11), "size")
    assert "thành viên" in v["message"], v["message"]
