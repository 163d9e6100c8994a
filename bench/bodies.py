#!/usr/bin/env python3
"""bodies.py - the benchmark's delegations: one realistic form submission per
request number k, the same people as bench/data.sql puts in the registry.

A body is what the intranet form (demo/index.html) sends: urlencoded, fields
in document order, 3 countries (Japan, Korea, China: one sub-region) plus the
blank fourth row the form ships, and 10 members: two key leaders of two
different units and eight staff of the sending unit, all with their
official code (tv_ma).  About 2 KB.

Who travels when, so that the quota is exercised but not exhausted:
  c = k % 500 chooses the people.  Leader c (unit c) and leader
      500 + (c + 1) % 500 (unit c + 1), staff 1000 + 8c .. 1000 + 8c + 7.
      Every person appears once in 500 consecutive bodies.
  b = k // 500 chooses the half-year: year Y0 + b // 2 (mod 60), first
      half for even b, second half for odd b.  A leader therefore goes
      twice a year - the quota of 2 is reached, never exceeded - and a
      person's trips never overlap.
  Every 20th body (k % 20 == 19) has an 11th member: the size rule (and
  the ModSecurity member-count rule) refuses it with 422, as real forms
  sometimes are.
Bodies differ only by dates and plan code for the same c; post.lua builds
them from the per-c parts written by `bodies.py lua OUT` so the request
generator stays cheap.

Usage:
  bodies.py lua OUT Y0       per-c parts for bench/post.lua
  bodies.py body K Y0        one body (urlencoded) on stdout
  bodies.py json K Y0        its fields as the module records them (jsonb)
"""
import datetime
import json
import sys
import urllib.parse

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ",
          "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Quang", "Thanh", "Hữu", "Ngọc",
          "Xuân", "Hồng"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hùng", "Khánh",
         "Lan", "Long", "Mai", "Nam", "Ngọc Ánh", "Phúc", "Quân", "Sơn",
         "Tâm", "Thắng", "Trang", "Tuấn", "Việt", "Yến"]
UNIT_KIND = ["Sở", "UBND huyện", "UBND xã", "Ban"]
PLACE = ["Hạ Long", "Móng Cái", "Uông Bí", "Cẩm Phả", "Đông Triều",
         "Quảng Yên", "Vân Đồn", "Tiên Yên", "Hải Hà", "Đầm Hà", "Bình Liêu",
         "Ba Chẽ", "Cô Tô"]
PURPOSE = [
    "Xúc tiến đầu tư, thương mại và du lịch; làm việc với các đối tác về "
    "hợp tác phát triển cảng biển và logistics",
    "Tham dự hội nghị hợp tác địa phương, trao đổi kinh nghiệm quản lý đô "
    "thị thông minh và chuyển đổi số",
    "Khảo sát mô hình đào tạo nghề, ký kết biên bản ghi nhớ hợp tác giáo dục",
]
PARTNER = [
    "Tỉnh Kanagawa (Nhật Bản), tỉnh Gyeonggi (Hàn Quốc), tỉnh Quảng Tây "
    "(Trung Quốc)",
    "Hiệp hội Doanh nghiệp Nhật Bản tại Việt Nam và Phòng Thương mại "
    "Busan",
    "Chính quyền thành phố Thâm Quyến và Đại học Osaka",
]
STAFF_POSITION = ["Phó Giám đốc", "Trưởng phòng Hợp tác quốc tế",
                  "Phó Trưởng phòng Kế hoạch", "Chuyên viên chính",
                  "Chuyên viên", "Chuyên viên", "Chuyên viên", "Kế toán"]
COUNTRIES = ["JP", "KR", "CN"]
# Programme days of the three legs, relative to ngay_di (travel days: 1
# before, 0 between, 1 after; at most 3 days per country).
LEGS = [(1, 2), (3, 5), (6, 7)]
TRIP_DAYS = 8  # ngay_ve - ngay_di
YEARS = 60     # horizon of the plan entries data.sql creates from Y0
COST = "1.250.000.000"
GUEST = ("Trần Thị Khách Mời", "Phiên dịch viên")  # the 11th member


def unit_code(u):
    return "BU%03d" % u


def unit_name(u):
    return "%s %s %d" % (UNIT_KIND[u % 4], PLACE[u % len(PLACE)], u)


def official_code(i):
    return "QN%04d" % i


def official_name(i):
    return "%s %s %s" % (FAMILY[i % 16], MIDDLE[(i // 16) % 10],
                         GIVEN[(i // 160) % len(GIVEN)])


def official_unit(i):
    return i % 500 if i < 1000 else (i - 1000) // 8


def official_position(i):
    u = unit_name(official_unit(i))
    if i < 500:
        return "Giám đốc " + u if u.startswith("Sở") else "Chủ tịch " + u
    if i < 1000:
        return "Bí thư Đảng ủy " + u
    return STAFF_POSITION[(i - 1000) % 8] + " " + u


def people(c):
    """Official indexes of the members of a body with this c."""
    return [c, 500 + (c + 1) % 500] + [1000 + 8 * c + j for j in range(8)]


def dates(k, y0):
    """(year, ngay_di) of body k."""
    b = k // 500
    year = y0 + (b // 2) % YEARS
    off = (b % 2) * 182 + (k % 500) % 170
    return year, datetime.date(year, 1, 5) + datetime.timedelta(days=off)


def head_fields(c):
    return [("don_vi", unit_name(c)), ("ma_don_vi", unit_code(c)),
            ("muc_dich", PURPOSE[c % 3]), ("doi_tac", PARTNER[c % 3])]


def member_fields(c):
    f = []
    for i in people(c):
        f += [("tv_ho_ten[]", official_name(i)), ("tv_ma[]", official_code(i)),
              ("tv_chuc_vu[]", official_position(i)), ("tv_don_vi[]", "")]
    return f


def guest_fields():
    return [("tv_ho_ten[]", GUEST[0]), ("tv_ma[]", ""),
            ("tv_chuc_vu[]", GUEST[1]), ("tv_don_vi[]", "")]


def middle_fields(k, y0):
    c = k % 500
    year, d = dates(k, y0)
    iso = lambda n: (d + datetime.timedelta(days=n)).isoformat()
    f = [("ngay_di", iso(0)), ("ngay_ve", iso(TRIP_DAYS)),
         ("nguon_kinh_phi", "ngan_sach"), ("du_toan", COST),
         ("ma_ke_hoach", "KH%d-%s" % (year, unit_code(c))),
         ("ly_do_phat_sinh", "")]
    for (a, b), country in zip(LEGS, COUNTRIES):
        f += [("quoc_gia[]", country), ("tu_ngay[]", iso(a)),
              ("den_ngay[]", iso(b))]
    f += [("quoc_gia[]", ""), ("tu_ngay[]", ""), ("den_ngay[]", "")]
    return f


def fields(k, y0):
    c = k % 500
    f = head_fields(c) + middle_fields(k, y0) + member_fields(c)
    if k % 20 == 19:
        f += guest_fields()
    return f


def encode(f):
    return "&".join(urllib.parse.quote_plus(n) + "=" + urllib.parse.quote_plus(v)
                    for n, v in f)


def fields_json(f):
    """{name: value or [values...]} in first-seen order, as the store keeps
    doanra.submissions.fields."""
    out = {}
    for n, v in f:
        if n in out:
            if not isinstance(out[n], list):
                out[n] = [out[n]]
            out[n].append(v)
        else:
            out[n] = [v] if n.endswith("[]") else v
    return json.dumps(out, ensure_ascii=False, separators=(",", ":"))


def lua_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_lua(path, y0):
    """parts[c + 1] = {head, members}; the middle is built per request."""
    with open(path, "w", encoding="utf-8") as out:
        out.write("-- generated by bench/bodies.py; do not edit\n")
        out.write("return {\n  y0 = %d, years = %d, trip_days = %d,\n"
                  % (y0, YEARS, TRIP_DAYS))
        out.write("  cost = %s,\n" % lua_string(urllib.parse.quote_plus(COST)))
        out.write("  countries = {%s},\n" % ", ".join(lua_string(x) for x in COUNTRIES))
        out.write("  legs = {%s},\n" % ", ".join("{%d, %d}" % l for l in LEGS))
        out.write("  guest = %s,\n" % lua_string("&" + encode(guest_fields())))
        out.write("  parts = {\n")
        for c in range(500):
            out.write("    {%s, %s, %s},\n" % (
                lua_string(encode(head_fields(c)) + "&"),
                lua_string("&" + encode(member_fields(c))),
                lua_string(unit_code(c))))
        out.write("  },\n}\n")


def main(argv):
    if len(argv) == 4 and argv[1] == "lua":
        write_lua(argv[2], int(argv[3]))
    elif len(argv) == 4 and argv[1] == "body":
        sys.stdout.write(encode(fields(int(argv[2]), int(argv[3]))))
    elif len(argv) == 4 and argv[1] == "json":
        sys.stdout.write(fields_json(fields(int(argv[2]), int(argv[3]))))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
