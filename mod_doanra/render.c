/*
 * render.c - the output half of the core: findings -> the HTML result block
 * of SPEC section 4, the JSON answers and records, the built-in pages the
 * shell shows when it blocks or cannot go on, and their message catalogue.
 *
 * Everything that came from the request is escaped here, at the point where
 * it is placed into HTML or JSON, so no caller has to remember to.  Pages
 * work without JavaScript and on old browsers: plain markup, a small
 * stylesheet without variables or grid, colour always doubled by text.
 */
#include "doanra.h"

#include <apr_hash.h>

#include <string.h>
#include <strings.h>

#define L(lang, vi, en) ((lang) == DOANRA_LANG_EN ? (en) : (vi))

/* ------------------------------------------------------------------ */
/* Escaping                                                             */
/* ------------------------------------------------------------------ */

const char *doanra_html_escape(apr_pool_t *p, const char *s)
{
    apr_size_t n = 0, extra = 0;
    const char *q;
    char *out, *o;

    if (!s)
        return "";
    for (q = s; *q; q++, n++) {
        switch (*q) {
        case '&':
            extra += 4;
            break; /* &amp; */
        case '<':
        case '>':
            extra += 3;
            break; /* &lt; &gt; */
        case '"':
            extra += 5;
            break; /* &quot; */
        case '\'':
            extra += 4;
            break; /* &#39; */
        default:
            break;
        }
    }
    if (!extra)
        return s;
    out = o = apr_palloc(p, n + extra + 1);
    for (q = s; *q; q++) {
        switch (*q) {
        case '&':
            memcpy(o, "&amp;", 5);
            o += 5;
            break;
        case '<':
            memcpy(o, "&lt;", 4);
            o += 4;
            break;
        case '>':
            memcpy(o, "&gt;", 4);
            o += 4;
            break;
        case '"':
            memcpy(o, "&quot;", 6);
            o += 6;
            break;
        case '\'':
            memcpy(o, "&#39;", 5);
            o += 5;
            break;
        default:
            *o++ = *q;
            break;
        }
    }
    *o = '\0';
    return out;
}

/* JSON string body of s[0..len).  Besides what JSON requires, < > & are
 * escaped so the text can sit inside a <script> or an HTML attribute, and
 * U+2028/2029 so it is also valid JavaScript.  NUL and ill-formed UTF-8
 * become U+FFFD: PostgreSQL's jsonb rejects both, and a record must never
 * be lost over one bad byte. */
static const char *json_escape_n(apr_pool_t *p, const char *s, apr_size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *q = (const unsigned char *)s;
    apr_size_t i = 0;
    char *out, *o;

    if (!s)
        return "";
    /* Worst case: every byte becomes a 6-byte \uXXXX escape. */
    out = o = apr_palloc(p, len * 6 + 1);
    while (i < len) {
        unsigned c = q[i];
        apr_size_t k;
        if (c >= 0x80) {
            k = doanra_utf8_seq(q + i, len - i);
            if (k == 0) {
                memcpy(o, "\\ufffd", 6);
                o += 6;
                i++;
            } else if (k == 3 && c == 0xE2 && q[i + 1] == 0x80 &&
                       (q[i + 2] == 0xA8 || q[i + 2] == 0xA9)) {
                memcpy(o, q[i + 2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
                o += 6;
                i += 3;
            } else {
                memcpy(o, q + i, k);
                o += k;
                i += k;
            }
            continue;
        }
        i++;
        switch (c) {
        case '"':
            *o++ = '\\';
            *o++ = '"';
            break;
        case '\\':
            *o++ = '\\';
            *o++ = '\\';
            break;
        case '\n':
            *o++ = '\\';
            *o++ = 'n';
            break;
        case '\r':
            *o++ = '\\';
            *o++ = 'r';
            break;
        case '\t':
            *o++ = '\\';
            *o++ = 't';
            break;
        case 0:
            memcpy(o, "\\ufffd", 6);
            o += 6;
            break;
        default:
            if (c < 0x20 || c == 0x7F || c == '<' || c == '>' || c == '&') {
                memcpy(o, "\\u00", 4);
                o[4] = hex[c >> 4];
                o[5] = hex[c & 15];
                o += 6;
            } else {
                *o++ = (char)c;
            }
        }
    }
    *o = '\0';
    return out;
}

const char *doanra_json_escape(apr_pool_t *p, const char *s)
{
    return s ? json_escape_n(p, s, strlen(s)) : "";
}

/* ------------------------------------------------------------------ */
/* Message catalogue                                                    */
/* ------------------------------------------------------------------ */

static const struct {
    const char *key, *vi, *en;
} catalogue[] = {
    {"db_down_title",
     "Hệ thống kiểm tra hồ sơ đoàn ra tạm thời không hoạt động",
     "The delegation request checker is temporarily unavailable"},
    {"db_down_text",
     "Hồ sơ của bạn CHƯA được gửi đi, vì hệ thống không kiểm tra được hồ sơ "
     "lúc này. Các thông tin bạn đã nhập được liệt kê dưới đây: hãy giữ lại "
     "trang này hoặc sao chép các thông tin đó, rồi gửi lại sau ít phút. "
     "Nếu lỗi kéo dài, xin báo cho bộ phận quản trị hệ thống.",
     "Your request has NOT been sent, because it cannot be checked at the "
     "moment. What you typed is listed below: keep this page or copy the "
     "values, and send the request again in a few minutes. If the problem "
     "persists, please tell the system administrators."},
    {"bad_request_title", "Không đọc được hồ sơ đã gửi",
     "The submitted request could not be read"},
    {"too_large_title", "Hồ sơ gửi lên quá lớn",
     "The submitted request is too large"},
    {"too_large_text",
     "Dữ liệu gửi lên vượt quá dung lượng cho phép nên hồ sơ CHƯA được gửi "
     "đi. Hãy rút gọn nội dung (hoặc bớt tệp đính kèm) rồi gửi lại.",
     "The data sent is larger than allowed, so the request has NOT been "
     "sent. Shorten the text (or attach fewer files) and send it again."},
    {"bad_utf8",
     "Hồ sơ có ký tự không hợp lệ (không phải mã UTF-8), thường do sao chép "
     "từ phần mềm cũ. Hãy gõ lại các ô có ký tự lạ rồi gửi lại. Hồ sơ CHƯA "
     "được gửi đi.",
     "The request contains characters that are not valid UTF-8, often "
     "pasted from old software. Retype the fields with odd characters and "
     "send it again. The request has NOT been sent."},
    {"bad_percent",
     "Dữ liệu gửi lên bị mã hoá sai (ký tự % không hợp lệ). Hãy gửi lại "
     "biểu mẫu từ trình duyệt. Hồ sơ CHƯA được gửi đi.",
     "The data sent is wrongly encoded (an invalid % escape). Send the form "
     "again from the browser. The request has NOT been sent."},
    {"too_many_fields",
     "Hồ sơ có quá nhiều ô hoặc quá nhiều dòng. Hãy bớt các dòng thừa rồi "
     "gửi lại. Hồ sơ CHƯA được gửi đi.",
     "The request has too many fields or rows. Remove the extra rows and "
     "send it again. The request has NOT been sent."},
    {"malformed",
     "Dữ liệu gửi lên không đúng định dạng của biểu mẫu. Hãy gửi lại biểu "
     "mẫu từ trình duyệt. Hồ sơ CHƯA được gửi đi.",
     "The data sent is not in the form's format. Send the form again from "
     "the browser. The request has NOT been sent."},
    {"bad_ctype_text",
     "Yêu cầu ghi kiểu dữ liệu (Content-Type) không rõ ràng: nhiều kiểu "
     "cùng lúc, tham số sai hoặc lặp lại. Hồ sơ không thể được kiểm tra nên "
     "CHƯA được gửi đi. Hãy gửi lại biểu mẫu từ trình duyệt.",
     "The request's Content-Type is ambiguous: several types at once, or "
     "a wrong or repeated parameter. The request cannot be checked, so it "
     "has NOT been sent. Send the form again from the browser."},
    {"unsupported_title", "Địa chỉ này chỉ nhận hồ sơ gửi từ biểu mẫu",
     "This address only accepts form submissions"},
    {"unsupported_text",
     "Địa chỉ này chỉ nhận hồ sơ gửi bằng phương thức POST, ở dạng "
     "application/x-www-form-urlencoded hoặc multipart/form-data như biểu "
     "mẫu trên trình duyệt gửi. Yêu cầu này không phải vậy nên CHƯA được "
     "gửi đi.",
     "This address only accepts requests sent with POST, as "
     "application/x-www-form-urlencoded or multipart/form-data, the way a "
     "browser sends a form. This request is not one, so it has NOT been "
     "sent."},
    {"encoded_text",
     "Dữ liệu gửi lên bị nén hoặc mã hoá (Content-Encoding) nên không kiểm "
     "tra được. Hồ sơ CHƯA được gửi đi. Hãy gửi lại biểu mẫu từ trình "
     "duyệt.",
     "The data sent is compressed or encoded (Content-Encoding), so it "
     "cannot be checked. The request has NOT been sent. Send the form again "
     "from the browser."},
    {"no_user_title", "Cần đăng nhập để phê duyệt hoặc từ chối",
     "Sign in to approve or reject"},
    {"no_user_text",
     "Phê duyệt hoặc từ chối một chuyến đi chỉ dành cho người có thẩm quyền "
     "đã đăng nhập. Yêu cầu này không kèm tài khoản đăng nhập nên đã bị từ "
     "chối; hồ sơ không thay đổi.",
     "Only a signed-in official may approve or reject a trip. This request "
     "came without a signed-in user, so it was refused; the trip is "
     "unchanged."},
    {"cross_site_title", "Hồ sơ không được gửi từ trang của hệ thống",
     "The request did not come from this system's pages"},
    {"cross_site_text",
     "Yêu cầu này do một trang web khác gửi tới, không phải từ biểu mẫu của "
     "cổng thông tin nội bộ, nên đã bị từ chối và không được ghi nhận. Nếu "
     "bạn đang điền hồ sơ, hãy mở lại biểu mẫu trên cổng thông tin nội bộ "
     "rồi gửi lại.",
     "This request was sent by another web site, not from a form of the "
     "intranet, so it has been refused and nothing was recorded. If you are "
     "filling in a request, open the form again on the intranet and send "
     "it from there."},
    {"back", "Quay lại biểu mẫu", "Back to the form"},
    /* Used by the pages below. */
    {"back_hint",
     "Nếu liên kết không hoạt động, hãy dùng nút Quay lại (Back) của trình "
     "duyệt; các thông tin đã nhập thường vẫn còn trong biểu mẫu.",
     "If the link does not work, use your browser's Back button; what you "
     "typed is usually still in the form."},
    {"fields_heading", "Các thông tin bạn đã nhập", "What you submitted"},
    {"fields_hint",
     "Các thông tin dưới đây được giữ lại để bạn không phải nhập lại.",
     "The values below are kept so that you do not have to type them "
     "again."},
    {"field_name", "Trường", "Field"},
    {"field_value", "Giá trị", "Value"},
    {"file", "tệp đính kèm", "attached file"},
    {"no_fields", "Không có thông tin nào được gửi.", "Nothing was submitted."},
    {"error_code", "Mã lỗi", "Error code"},
    {"heading_fail", "Hồ sơ đoàn ra chưa đạt yêu cầu",
     "The delegation request does not meet the requirements"},
    {"heading_warn", "Hồ sơ đoàn ra cần lưu ý",
     "The delegation request needs attention"},
    {"heading_pass", "Hồ sơ đoàn ra đạt yêu cầu",
     "The delegation request meets the requirements"},
    {"fail_hint",
     "Hồ sơ CHƯA được gửi đi. Hãy quay lại biểu mẫu, sửa theo các nội dung "
     "trên rồi gửi lại.",
     "The request has NOT been sent. Go back to the form, correct what is "
     "listed above and send it again."},
};

const char *doanra_msg(int lang, const char *key)
{
    size_t i;
    if (!key)
        return "";
    for (i = 0; i < sizeof(catalogue) / sizeof(catalogue[0]); i++)
        if (strcmp(catalogue[i].key, key) == 0)
            return L(lang, catalogue[i].vi, catalogue[i].en);
    return key; /* a missing entry shows up instead of vanishing */
}

/* ------------------------------------------------------------------ */
/* The result block                                                     */
/* ------------------------------------------------------------------ */

/* Scoped to .doanra-result so it cannot restyle the host page.  Severity
 * labels come from CSS generated content, so each item's text stays exactly
 * the message (the machine-readable contract) while people still read
 * "Lỗi:" / "Lưu ý:" and never depend on colour alone.  The labels are CSS
 * escapes so the rule survives a host page in any charset. */
static const char block_css[] =
    "<style>"
    ".doanra-result{display:block;margin:1em 0;padding:.75em 1em;"
    "border:2px solid #b00020;border-left-width:8px;background:#fdecea;"
    "color:#1a1a1a;font-family:Arial,Helvetica,sans-serif;font-size:16px;"
    "line-height:1.5;text-align:left;max-width:60em;"
    "-webkit-box-sizing:border-box;box-sizing:border-box}"
    ".doanra-result[data-doanra-decision=\"warn\"]{border-color:#9a5b00;"
    "background:#fff4e0}"
    ".doanra-result[data-doanra-decision=\"pass\"]{border-color:#1b7f3b;"
    "background:#e8f5ec}"
    ".doanra-result h2{margin:0 0 .5em;padding:0;font-size:1.2em;"
    "line-height:1.3;color:#8a0018;font-weight:bold}"
    ".doanra-result[data-doanra-decision=\"warn\"] h2{color:#6b3f00}"
    ".doanra-result[data-doanra-decision=\"pass\"] h2{color:#145c2b}"
    ".doanra-result ul{margin:0;padding:0 0 0 1.25em;list-style:disc}"
    ".doanra-result li{margin:.3em 0;padding:0;word-wrap:break-word;"
    "overflow-wrap:break-word}"
    ".doanra-result li:before{font-weight:bold}"
    ".doanra-result li[data-doanra-severity=\"error\"]:before{"
    "content:\"L\\1ED7i: \";color:#b00020}"
    ".doanra-result li[data-doanra-severity=\"warning\"]:before{"
    "content:\"L\\1B0u \\FD: \";color:#8a5200}"
    ".doanra-result[lang=\"en\"] li[data-doanra-severity=\"error\"]:before{"
    "content:\"Error: \"}"
    ".doanra-result[lang=\"en\"] li[data-doanra-severity=\"warning\"]:before{"
    "content:\"Warning: \"}"
    ".doanra-result:focus{outline:3px solid #1a1a1a}"
    /* The message refill places beside a field (DoanraFormPage). */
    ".doanra-field-msg{display:block;margin:.2em 0;font-weight:normal;"
    "font-size:.9em;line-height:1.4;color:#b00020}"
    "</style>\n";

static const char *heading_of(int lang, int decision)
{
    switch (decision) {
    case DOANRA_DECISION_FAIL:
        return doanra_msg(lang, "heading_fail");
    case DOANRA_DECISION_WARN:
        return doanra_msg(lang, "heading_warn");
    default:
        return doanra_msg(lang, "heading_pass");
    }
}

const char *doanra_render_block(apr_pool_t *p, const doanra_config *c,
                                int decision,
                                const apr_array_header_t *findings)
{
    return doanra_render_block_trip(p, c, decision, findings, NULL);
}

const char *doanra_render_block_trip(apr_pool_t *p, const doanra_config *c,
                                     int decision,
                                     const apr_array_header_t *findings,
                                     const char *trip_code)
{
    int lang = c ? c->lang : DOANRA_LANG_VI;
    int alert =
        decision == DOANRA_DECISION_FAIL || decision == DOANRA_DECISION_WARN;
    apr_array_header_t *parts = apr_array_make(p, 16, sizeof(const char *));
    int i;

    APR_ARRAY_PUSH(parts, const char *) = block_css;
    APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(
        p,
        "<section class=\"doanra-result\" data-doanra-decision=\"%s\"%s "
        "role=\"%s\" lang=\"%s\" tabindex=\"-1\">\n"
        "  <h2>%s</h2>\n%s"
        "  <ul>\n",
        doanra_decision_name(decision),
        trip_code ? apr_psprintf(p, " data-doanra-trip=\"%s\"",
                                 doanra_html_escape(p, trip_code))
                  : "",
        alert ? "alert" : "status", lang == DOANRA_LANG_EN ? "en" : "vi",
        heading_of(lang, decision),
        trip_code
            ? apr_psprintf(p, "  <p class=\"doanra-trip\">%s: %s</p>\n",
                           lang == DOANRA_LANG_EN ? "Dossier code"
                                                  : "Mã hồ sơ",
                           doanra_html_escape(p, trip_code))
            : "");
    for (i = 0; findings && i < findings->nelts; i++) {
        const doanra_finding *f = &APR_ARRAY_IDX(findings, i, doanra_finding);
        const char *rule = doanra_rule_name(f->rule);
        APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(
            p,
            "    <li data-doanra-rule=\"%s\" data-doanra-severity=\"%s\" "
            "data-doanra-field=\"%s\"%s>%s</li>\n",
            rule ? rule : "", doanra_severity_name(f->severity),
            doanra_html_escape(p, f->field),
            f->row > 0 ? apr_psprintf(p, " data-doanra-row=\"%d\"", f->row)
                       : "",
            doanra_html_escape(p, f->message));
    }
    APR_ARRAY_PUSH(parts, const char *) = "  </ul>\n</section>\n";
    return apr_array_pstrcat(p, parts, 0);
}

/* ------------------------------------------------------------------ */
/* JSON                                                                 */
/* ------------------------------------------------------------------ */

static const char *finding_json(apr_pool_t *p, const doanra_finding *f,
                                int always_row)
{
    const char *rule = doanra_rule_name(f->rule);
    return apr_psprintf(
        p,
        "{\"rule\":\"%s\",\"severity\":\"%s\",\"field\":\"%s\"%s,"
        "\"message\":\"%s\"}",
        rule ? rule : "", doanra_severity_name(f->severity),
        doanra_json_escape(p, f->field),
        (always_row || f->row > 0)
            ? apr_psprintf(p, ",\"row\":%d", f->row > 0 ? f->row : 0)
            : "",
        doanra_json_escape(p, f->message));
}

static const char *findings_array(apr_pool_t *p,
                                  const apr_array_header_t *findings,
                                  int always_row)
{
    apr_array_header_t *parts = apr_array_make(p, 8, sizeof(const char *));
    int i;
    APR_ARRAY_PUSH(parts, const char *) = "[";
    for (i = 0; findings && i < findings->nelts; i++) {
        if (i)
            APR_ARRAY_PUSH(parts, const char *) = ",";
        APR_ARRAY_PUSH(parts, const char *) = finding_json(
            p, &APR_ARRAY_IDX(findings, i, doanra_finding), always_row);
    }
    APR_ARRAY_PUSH(parts, const char *) = "]";
    return apr_array_pstrcat(p, parts, 0);
}

const char *doanra_render_json(apr_pool_t *p, int decision,
                               const apr_array_header_t *findings)
{
    return apr_pstrcat(p, "{\"decision\":\"", doanra_decision_name(decision),
                       "\",\"violations\":", findings_array(p, findings, 0),
                       "}", NULL);
}

const char *doanra_render_findings_json(apr_pool_t *p,
                                        const apr_array_header_t *findings)
{
    return findings_array(p, findings, 1);
}

/* A field's value as shown and recorded: the file name for file parts. */
static const char *field_json_value(apr_pool_t *p, const doanra_field *f)
{
    if (!f->value)
        return "\"\"";
    return apr_pstrcat(
        p, "\"",
        json_escape_n(p, f->value, f->is_file ? strlen(f->value) : f->len),
        "\"", NULL);
}

const char *doanra_render_fields_json(apr_pool_t *p,
                                      const apr_array_header_t *fields)
{
    /* Group the values by name in first-seen order; a repeated name becomes
     * an array so no value is lost in the jsonb record. */
    typedef struct {
        const char *name;
        apr_array_header_t *values; /* const char * (JSON) */
    } group;
    apr_array_header_t *groups = apr_array_make(p, 16, sizeof(group));
    apr_hash_t *index = apr_hash_make(p);
    apr_array_header_t *parts = apr_array_make(p, 32, sizeof(const char *));
    int i, j;

    for (i = 0; fields && i < fields->nelts; i++) {
        const doanra_field *f = &APR_ARRAY_IDX(fields, i, doanra_field);
        const char *name = f->name ? f->name : "";
        group *g;
        int *at = apr_hash_get(index, name, APR_HASH_KEY_STRING);
        if (!at) {
            at = apr_palloc(p, sizeof(*at));
            *at = groups->nelts;
            g = apr_array_push(groups);
            g->name = name;
            g->values = apr_array_make(p, 1, sizeof(const char *));
            apr_hash_set(index, name, APR_HASH_KEY_STRING, at);
        }
        g = &APR_ARRAY_IDX(groups, *at, group);
        APR_ARRAY_PUSH(g->values, const char *) = field_json_value(p, f);
    }

    APR_ARRAY_PUSH(parts, const char *) = "{";
    for (i = 0; i < groups->nelts; i++) {
        const group *g = &APR_ARRAY_IDX(groups, i, group);
        APR_ARRAY_PUSH(parts, const char *) =
            apr_pstrcat(p, i ? "," : "", "\"", doanra_json_escape(p, g->name),
                        "\":", g->values->nelts > 1 ? "[" : "", NULL);
        for (j = 0; j < g->values->nelts; j++) {
            if (j)
                APR_ARRAY_PUSH(parts, const char *) = ",";
            APR_ARRAY_PUSH(parts, const char *) =
                APR_ARRAY_IDX(g->values, j, const char *);
        }
        if (g->values->nelts > 1)
            APR_ARRAY_PUSH(parts, const char *) = "]";
    }
    APR_ARRAY_PUSH(parts, const char *) = "}";
    return apr_array_pstrcat(p, parts, 0);
}

/* ------------------------------------------------------------------ */
/* Built-in pages                                                       */
/* ------------------------------------------------------------------ */

static const char page_css[] =
    "<style>"
    "body{margin:0;padding:1em;font-family:Arial,Helvetica,sans-serif;"
    "font-size:16px;line-height:1.5;color:#1a1a1a;background:#fff}"
    ".doanra-page{max-width:60em;margin:0 auto}"
    ".doanra-page h1{font-size:1.4em;line-height:1.3;margin:.5em 0}"
    ".doanra-page h2{font-size:1.2em}"
    ".doanra-page .doanra-fields{border-collapse:collapse;width:100%;"
    "margin:.5em 0 1em}"
    ".doanra-page .doanra-fields th,.doanra-page .doanra-fields td{"
    "border:1px solid #999;padding:.3em .5em;text-align:left;"
    "vertical-align:top;word-wrap:break-word;overflow-wrap:break-word}"
    ".doanra-page .doanra-fields th{background:#eee}"
    ".doanra-page .doanra-fields td.doanra-value{white-space:pre-wrap}"
    ".doanra-page .doanra-back{font-size:1.1em;font-weight:bold}"
    ".doanra-page .doanra-status{color:#555}"
    "</style>\n";

static const char *page_head(apr_pool_t *p, int lang, const char *title)
{
    return apr_psprintf(
        p,
        "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n"
        "<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, "
        "initial-scale=1\">\n"
        "<meta name=\"robots\" content=\"noindex, nofollow\">\n"
        "<title>%s</title>\n%s</head>\n<body>\n<main class=\"doanra-page\">\n",
        lang == DOANRA_LANG_EN ? "en" : "vi", doanra_html_escape(p, title),
        page_css);
}

/* The submitted values, escaped, so nothing typed is lost. */
static const char *fields_table(apr_pool_t *p, int lang,
                                const apr_array_header_t *fields)
{
    apr_array_header_t *parts = apr_array_make(p, 32, sizeof(const char *));
    int i, shown = 0;

    APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(
        p, "<h2>%s</h2>\n<p>%s</p>\n", doanra_msg(lang, "fields_heading"),
        doanra_msg(lang, "fields_hint"));
    APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(
        p,
        "<table class=\"doanra-fields\">\n<thead><tr><th scope=\"col\">%s"
        "</th><th scope=\"col\">%s</th></tr></thead>\n<tbody>\n",
        doanra_msg(lang, "field_name"), doanra_msg(lang, "field_value"));
    for (i = 0; fields && i < fields->nelts; i++) {
        const doanra_field *f = &APR_ARRAY_IDX(fields, i, doanra_field);
        const char *value = doanra_html_escape(p, f->value);
        if (f->is_file) {
            if (!f->value || !*f->value)
                continue; /* an empty file input: nothing was chosen */
            value = apr_psprintf(p, "%s (%s)", value, doanra_msg(lang, "file"));
        }
        shown++;
        APR_ARRAY_PUSH(parts, const char *) = apr_psprintf(
            p,
            "<tr><th scope=\"row\">%s</th><td class=\"doanra-value\">%s</td>"
            "</tr>\n",
            doanra_html_escape(p, f->name), value);
    }
    if (!shown)
        APR_ARRAY_PUSH(parts, const char *) =
            apr_psprintf(p, "<tr><td colspan=\"2\">%s</td></tr>\n",
                         doanra_msg(lang, "no_fields"));
    APR_ARRAY_PUSH(parts, const char *) = "</tbody>\n</table>\n";
    return apr_array_pstrcat(p, parts, 0);
}

/* Only links that cannot run script: a path on this site or http(s). */
static int safe_url(const char *u)
{
    const char *q;
    if (!u || !*u)
        return 0;
    /* Browsers drop tabs and newlines from a URL and read '\' as '/', so
     * "/\host" and "/<TAB>/host" are "//host": another site. */
    for (q = u; *q; q++)
        if ((unsigned char)*q < 0x20 || *q == '\\')
            return 0;
    if (u[0] == '/')
        return u[1] != '/';
    return strncasecmp(u, "http://", 7) == 0 ||
           strncasecmp(u, "https://", 8) == 0;
}

static const char *back_link(apr_pool_t *p, int lang, const char *back_url,
                             int hint)
{
    if (safe_url(back_url))
        return apr_psprintf(
            p, "<p><a class=\"doanra-back\" href=\"%s\">%s</a></p>\n",
            doanra_html_escape(p, back_url), doanra_msg(lang, "back"));
    /* Without a known form address the link needs JavaScript, so the text
     * beside it (once per page) says what to do without it. */
    return apr_psprintf(
        p,
        "<p><a class=\"doanra-back\" "
        "href=\"javascript:history.back()\">%s</a></p>\n%s",
        doanra_msg(lang, "back"),
        hint ? apr_psprintf(p, "<p>%s</p>\n", doanra_msg(lang, "back_hint"))
             : "");
}

const char *doanra_render_block_page(apr_pool_t *p, const doanra_config *c,
                                     int decision,
                                     const apr_array_header_t *findings,
                                     const apr_array_header_t *fields,
                                     const char *back_url)
{
    return doanra_render_block_page_trip(p, c, decision, findings, fields,
                                         back_url, NULL);
}

const char *doanra_render_block_page_trip(apr_pool_t *p, const doanra_config *c,
                                     int decision,
                                     const apr_array_header_t *findings,
                                     const apr_array_header_t *fields,
                                     const char *back_url,
                                          const char *trip_code)
{
    int lang = c ? c->lang : DOANRA_LANG_VI;
    const char *hint =
        decision == DOANRA_DECISION_FAIL
            ? apr_psprintf(p, "<p>%s</p>\n", doanra_msg(lang, "fail_hint"))
            : "";
    return apr_pstrcat(
        p, page_head(p, lang, heading_of(lang, decision)),
        doanra_render_block_trip(p, c, decision, findings, trip_code), hint,
        back_link(p, lang, back_url, 0), fields_table(p, lang, fields),
        back_link(p, lang, back_url, 1), "</main>\n</body>\n</html>\n", NULL);
}

const char *doanra_render_error_page(apr_pool_t *p, int lang, int status,
                                     const char *title, const char *explanation,
                                     const apr_array_header_t *fields)
{
    return apr_pstrcat(
        p, page_head(p, lang, title ? title : ""), "<h1>",
        doanra_html_escape(p, title), "</h1>\n", "<p>",
        doanra_html_escape(p, explanation), "</p>\n",
        status > 0 ? apr_psprintf(p, "<p class=\"doanra-status\">%s: %d</p>\n",
                                  doanra_msg(lang, "error_code"), status)
                   : "",
        fields ? fields_table(p, lang, fields) : "",
        back_link(p, lang, NULL, 1), "</main>\n</body>\n</html>\n", NULL);
}
