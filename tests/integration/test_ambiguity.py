"""test_ambiguity.py - what the application behind could read otherwise
than the module is refused (SPEC section 4, mod_doanra/ambiguity.c): at an
enforce location each variant gets 422 with a `format` error naming the
offending field, nothing reaches the backend, and the submission is
recorded; the exact names still pass.  Locations: conf.d/ambiguity.conf."""
import pytest

from harness import encode_multipart, encode_urlencoded, valid_trip

FORM = "application/x-www-form-urlencoded"
B = "ambigB"
MP = "multipart/form-data; boundary=" + B


def pairs_with(extra=(), drop=(), trip=None):
    t = trip or valid_trip()
    return [(k, v) for k, v in t.pairs() if k not in drop] + list(extra)


def assert_refused(env, r, field=None):
    assert r.status == 422, (r.status, r.body[:600])
    assert not r.reached_backend()
    assert r.header("X-Doanra-Decision") == "fail"
    fmt = [f for f in r.findings() if f["rule"] == "format"]
    assert fmt, r.findings()
    assert all(f["severity"] == "error" for f in fmt)
    if field is not None:
        assert any(f["field"] == field for f in fmt), fmt
    sid = int(r.header("X-Doanra-Submission"))
    s = env.submission(sid)
    assert s["decision"] == "fail" and "format" in s["rules"]
    assert env.trip_of(sid) is None


def post(env, pairs, loc="/ambig/submit", query=""):
    return env.client.post(loc + query, encode_urlencoded(pairs), FORM)


# A name a backend reads as a field although it is not the exact name:
# (extra pair, the field named in the finding)
NAMES = {
    "php-index": ("tv_ho_ten[3]", "Lê Văn Ẩn"),
    "php-dots": ("tv.ho.ten[]", "Lê Văn Ẩn"),
    "php-spaces": ("tv ho ten[]", "Lê Văn Ẩn"),
    "php-leading-space": (" tv_ho_ten[]", "Lê Văn Ẩn"),
    "php-space-index": ("tv_ho_ten[ ]", "Lê Văn Ẩn"),
    "php-nested": ("tv_ho_ten[a][b]", "Lê Văn Ẩn"),
    "php-unclosed": ("tv_ho_ten[", "Lê Văn Ẩn"),
    "php-unclosed-inner": ("tv[ho.ten", "Lê Văn Ẩn"),
    "single-as-array": ("doi_tac[]", "Đối tác khác"),
    "aspnet-case": ("TV_HO_TEN", "Lê Văn Ẩn"),
    "binder-prefix": ("model.tv_ho_ten", "Lê Văn Ẩn"),
    "spring-default": ("!tv_ma", "QN-XX-99"),
    "rack-brackets": ("[tv_ho_ten]", "Lê Văn Ẩn"),
}


@pytest.mark.parametrize("case", sorted(NAMES))
def test_ambig_mangled_name_refused(env, case):
    name, value = NAMES[case]
    r = post(env, pairs_with([(name, value)]))
    assert_refused(env, r, name)


def test_ambig_plus_is_a_space(env):
    body = encode_urlencoded(valid_trip().pairs()) + b"&tv+ho+ten[]=X"
    r = env.client.post("/ambig/submit", body, FORM)
    assert_refused(env, r, "tv ho ten[]")


def test_ambig_repeated_single_field(env):
    r = post(env, pairs_with([("ngay_di", "2031-01-01")]))
    assert_refused(env, r, "ngay_di")
    assert "2 lần" in r.finding("format")["message"]


def test_ambig_row_field_in_both_spellings(env):
    r = post(env, pairs_with([("tv_ho_ten", "Lê Văn Ẩn")]))
    assert_refused(env, r, "tv_ho_ten")


def test_ambig_field_without_equals(env):
    body = encode_urlencoded(valid_trip().pairs()) + b"&tv_ma[]"
    r = env.client.post("/ambig/submit", body, FORM)
    assert_refused(env, r, "tv_ma[]")


def test_ambig_semicolon(env):
    body = encode_urlencoded(valid_trip().pairs()) + b"&x=1;tv_ho_ten[]=X"
    r = env.client.post("/ambig/submit", body, FORM)
    assert_refused(env, r, "x")


@pytest.mark.parametrize("query", ["?don_vi=X", "?tv_ho_ten[]=X",
                                   "?page=1&tv.ho.ten[]=X", "?NGAY_DI=2031-01-01",
                                   "?a=%zz;muc_dich"])
def test_ambig_field_in_query_string(env, query):
    r = post(env, valid_trip().pairs(), query=query)
    assert_refused(env, r)


def test_ambig_other_query_string_passes(env):
    r = post(env, valid_trip().pairs(), query="?page=2&lang=vi")
    assert r.status == 200 and r.reached_backend(), r.findings()


def test_ambig_more_than_1000_fields(env):
    pairs = pairs_with([("ghi_chu", "x")] * 1000)
    r = post(env, pairs)
    assert_refused(env, r, "")


def test_ambig_english_message(env):
    r = post(env, pairs_with([("tv_ho_ten[3]", "X")]), loc="/ambig/en")
    assert_refused(env, r, "tv_ho_ten[3]")
    assert any("may be read by the application behind as \"tv_ho_ten\""
               in f["message"] for f in r.findings())


def test_ambig_message_is_escaped(env):
    name = 'tv_ho_ten[<b>"x"</b>]'
    r = post(env, pairs_with([(name, "X")]))
    assert_refused(env, r, name)
    assert "<b>" not in r.body.split("doanra-result", 1)[1].split("</section>")[0]


# ---- multipart -------------------------------------------------------------

def part(disposition, value, headers=""):
    return ("--%s\r\nContent-Disposition: %s\r\n%s\r\n%s\r\n"
            % (B, disposition, headers, value)).encode()


def mp_body(extra=b"", after=b"", trip=None):
    body = b""
    for k, v in (trip or valid_trip()).pairs():
        body += part('form-data; name="%s"' % k, v)
    return body + extra + ("--%s--\r\n" % B).encode() + after


MULTIPART = {
    "two-names": part('form-data; name="ghi_chu"; name="tv_ho_ten[]"', "X"),
    "filename-star": part("form-data; name=\"ghi_chu\"; filename*=UTF-8''a.txt", "X"),
    "name-star": part("form-data; name=\"ghi_chu\"; name*=UTF-8''tv_ho_ten%5B%5D", "X"),
    "folded-header": part('form-data; name="ghi_chu"\r\n ; name="tv_ho_ten[]"', "X"),
    "colonless-header": part('form-data; name="ghi_chu"\r\n; name="tv_ho_ten[]"', "X"),
    "two-dispositions": part('form-data; name="ghi_chu"',
                             "X", 'Content-Disposition: form-data; name="tv_ho_ten[]"\r\n'),
    "single-quotes": part("form-data; name='tv_ho_ten[]'", "X"),
    "escaped-quote": part('form-data; name="ghi_chu\\"; x=\\"y"', "X"),
    "space-before-equals": part('form-data; name ="ghi_chu"', "X"),
    "base64": part('form-data; name="ghi_chu"', "WA==",
                   "Content-Transfer-Encoding: base64\r\n"),
    "utf16": part('form-data; name="ghi_chu"', "X",
                  "Content-Type: text/plain; charset=utf-16\r\n"),
    "padded-delimiter": ("--%s \r\nContent-Disposition: form-data; name=\"ghi_chu\""
                         "\r\n\r\nX\r\n" % B).encode(),
    "stray-delimiter-line": part('form-data; name="ghi_chu"', "X\r\n--%sx" % B),
    "file-named-as-field": part('form-data; name="tv_ho_ten[]"; filename="Lê Văn Ẩn"',
                                "Lê Văn Ẩn", "Content-Type: text/plain\r\n"),
}


@pytest.mark.parametrize("case", sorted(MULTIPART))
def test_ambig_multipart_part_refused(env, case):
    r = env.client.post("/ambig/submit", mp_body(MULTIPART[case]), MP)
    assert_refused(env, r)


def test_ambig_multipart_part_after_close(env):
    after = part('form-data; name="tv_ho_ten[]"', "Lê Văn Ẩn") + \
        ("--%s--\r\n" % B).encode()
    r = env.client.post("/ambig/submit", mp_body(after=after), MP)
    assert_refused(env, r, "tv_ho_ten[]")


def test_ambig_multipart_epilogue_text_passes(env):
    r = env.client.post("/ambig/submit", mp_body(after=b"\r\nthe end\r\n"), MP)
    assert r.status == 200 and r.reached_backend(), r.findings()


def test_ambig_multipart_not_form_data_unreadable(env):
    r = env.client.post("/ambig/submit",
                        mp_body(part('attachment; name="tv_ho_ten[]"', "X")), MP)
    assert r.status == 400 and not r.reached_backend()
    assert r.finding("format") is not None


# ---- what must keep passing ------------------------------------------------

def test_ambig_exact_names_pass(env):
    for brackets in (True, False):
        t = valid_trip()
        r = post(env, t.pairs(brackets=brackets))
        assert r.status == 200 and r.reached_backend(), r.findings()
        assert r.header("X-Doanra-Decision") == "pass", r.findings()


def test_ambig_exact_names_pass_multipart(env):
    t = valid_trip()
    body, ctype = encode_multipart(t.pairs(), files=[
        ("tep", "ke-hoach.pdf", "application/pdf", b"%PDF-1.4 ...")])
    r = env.client.post("/ambig/submit", body, ctype)
    assert r.status == 200 and r.reached_backend(), r.findings()


def test_ambig_renamed_fields(env):
    names = {"tv_ho_ten": "thanh_vien", "don_vi": "unit"}
    t = valid_trip()
    r = post(env, t.pairs(names=names), loc="/ambig/renamed")
    assert r.status == 200 and r.reached_backend(), r.findings()
    r = post(env, t.pairs(names=names) + [("thanh_vien[0]", "X")],
             loc="/ambig/renamed")
    assert_refused(env, r, "thanh_vien[0]")
    r = post(env, t.pairs(names=names) + [("unit", "Y")], loc="/ambig/renamed")
    assert_refused(env, r, "unit")


def test_ambig_json_check(env):
    body = encode_urlencoded(pairs_with([("tv.ho.ten[]", "X")]))
    r = env.client.post("/ambig/check", body, FORM)
    assert r.status == 200
    j = r.json()
    assert j["decision"] == "fail"
    assert any(v["rule"] == "format" and v["field"] == "tv.ho.ten[]"
               for v in j["violations"])
    r = env.client.post("/ambig/check?don_vi=X",
                        encode_urlencoded(valid_trip().pairs()), FORM)
    assert r.json()["decision"] == "fail"
