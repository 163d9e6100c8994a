"""test_formpage.py - a blocked submission answers with the DoanraFormPage
(tests/integration/formpage.html) holding the result block and every value
the official typed, with the fields in error marked (SPEC section 4).
"""
import html.parser
import re

import harness


class Controls(html.parser.HTMLParser):
    """Every form control of a page, in order: (tag, attrs, text) where
    text is a textarea's content or a select's selected option values."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.controls = []
        self.spans = {}  # id -> text of span.doanra-field-msg
        self._textarea = None
        self._select = None
        self._span = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("input", "textarea", "select"):
            c = [tag, a, "" if tag == "textarea" else []]
            self.controls.append(c)
            if tag == "textarea":
                self._textarea = c
            if tag == "select":
                self._select = c
        elif tag == "option" and self._select is not None and "selected" in a:
            self._select[2].append(a.get("value"))
        elif tag == "span" and "doanra-field-msg" in (a.get("class") or ""):
            self._span = a.get("id")
            self.spans[self._span] = ""

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "span":
            self._span = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[2] += data
        if self._span is not None:
            self.spans[self._span] += data

    def named(self, name):
        return [c for c in self.controls if c[1].get("name") == name]


def parse(body):
    p = Controls()
    p.feed(body)
    p.close()
    return p


def failing_trip():
    """Fails on `funding` (state budget with a zero estimate) and on
    `required` for the second member's position; every kind of control
    carries a value worth keeping."""
    t = harness.Trip()
    t.set_dates(harness.d(40), [2, 2], ["JP", "KR"])
    t.with_members(3)
    t.members[1]["position"] = ""
    t.members[2]["code"] = "M<3>"
    t.muc_dich = "Làm việc với đối tác\n\"Kanagawa\" & <Yokohama>"
    t.don_vi = "Sở \"Kiểm thử\" <script>alert(1)</script>"
    t.du_toan = "0"
    t.extra = [("token", "t-123"), ("xac_nhan", "1"), ("mat_khau", "bí mật")]
    return t


def test_blocked_submission_refills_form(env):
    t = failing_trip()
    r = env.post_form("/formfill/submit", t)
    assert r.status == 422, r.body[:500]
    assert not r.reached_backend()
    assert r.decision == "fail"
    rules = r.rules()
    assert "funding" in rules and "required" in rules
    # the block at the marker, once
    assert len(r.blocks()) == 1
    assert r.body.index("<!--doanra-->") < r.body.index('class="doanra-result"')
    assert r.body.index('class="doanra-result"') < r.body.index("<form")
    # no value escapes its attribute or element
    assert "<script>alert(1)" not in r.body

    p = parse(r.body)
    one = lambda name: p.named(name)[0][1].get("value")  # noqa: E731
    assert one("don_vi") == t.don_vi
    assert one("ma_don_vi") == "TST"                       # hidden
    assert one("token") == "t-123"                         # hidden
    assert one("doi_tac") == t.doi_tac
    assert one("ngay_di") == t.ngay_di.isoformat()        # date
    assert one("ngay_ve") == t.ngay_ve.isoformat()
    assert one("du_toan") == "0"                           # number
    assert p.named("muc_dich")[0][2] == t.muc_dich         # textarea
    # radio: the submitted one, and only it
    radios = {c[1]["value"]: "checked" in c[1] for c in p.named("nguon_kinh_phi")}
    assert radios == {"ngan_sach": True, "doi_tac": False, "tu_tuc": False,
                      "khac": False}
    # checkboxes: the ticked one on, the unticked default off
    assert "checked" in p.named("xac_nhan")[0][1]
    assert "checked" not in p.named("gui_email")[0][1]
    # password never filled back
    assert p.named("mat_khau")[0][1].get("value") is None
    # rows, in order: select per leg, dates per leg, members
    legs = p.named("quoc_gia[]")
    assert [c[2] for c in legs] == [["JP"], ["KR"], [""], [""]]
    assert [c[1].get("value") for c in p.named("tu_ngay[]")][:2] == \
        [leg[1].isoformat() for leg in t.legs]
    names = [c[1].get("value") for c in p.named("tv_ho_ten[]")]
    assert names[:3] == [m["name"] for m in t.members]
    assert names[3:] == [""] * 7
    assert [c[1].get("value") for c in p.named("tv_ma[]")][:3] == ["", "", "M<3>"]
    positions = p.named("tv_chuc_vu[]")
    assert [c[1].get("value") for c in positions][:3] == ["Chuyên viên", "",
                                                          "Chuyên viên"]
    # the script's "<input name=don_vi>" is not a control and not filled
    assert "<input name=\"don_vi\" value=\"not me\">" in r.body


def test_invalid_fields_marked(env):
    r = env.post_form("/formfill/submit", failing_trip())
    assert r.status == 422
    p = parse(r.body)
    # the second member's position: row 2 of tv_chuc_vu
    positions = p.named("tv_chuc_vu[]")
    assert positions[1][1].get("aria-invalid") == "true"
    assert "aria-invalid" not in positions[0][1]
    assert "aria-invalid" not in positions[2][1]
    ids = positions[1][1]["aria-describedby"].split()
    assert ids and all(i in p.spans and p.spans[i].strip() for i in ids)
    # the estimate: a field-level finding
    du_toan = p.named("du_toan")[0][1]
    assert du_toan.get("aria-invalid") == "true"
    msg = p.spans[du_toan["aria-describedby"].split()[0]]
    assert msg.strip() == r.finding("funding")["message"]
    # the message sits right after its control
    m = re.search(r'<input[^>]*name="du_toan"[^>]*>(<span class="doanra-field-msg"[^>]*>)',
                  r.body)
    assert m, "message not right after the du_toan input"
    # ids are unique
    assert len(set(p.spans)) == len(p.spans)


def test_empty_textarea_replaces_default_and_is_marked(env):
    t = failing_trip()
    t.muc_dich = ""
    r = env.post_form("/formfill/submit", t)
    assert r.status == 422
    p = parse(r.body)
    ta = p.named("muc_dich")[0]
    assert ta[2] == ""                    # the submitted empty text, not the default
    assert ta[1].get("aria-invalid") == "true"
