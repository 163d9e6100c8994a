/*
 * lifecycle.c - a trip's later steps (SPEC section 8), pure: which action
 * needs which fields, which status allows which step, and the `lifecycle`
 * findings in Vietnamese and English.
 *
 * The store finds the trip a step names (doanra_trip_state) and records
 * the step; the database applies it when the backend accepts it, through
 * the same transition table (sql/lifecycle.sql doanra.step_target).  The
 * table is kept twice on purpose: here it judges a step before the backend
 * sees it, there it is what is enforced when the step takes effect.
 */
#include "doanra.h"

#include <string.h>

static const char *const action_names[DOANRA_ACT_COUNT] = {
    "register", "amend", "cancel", "reject", "approve", "report",
};

/* What the step does, as a verb after "không thể" / "cannot be". */
static const char *const action_vi[DOANRA_ACT_COUNT] = {
    "đăng ký",   "điều chỉnh", "hủy",
    "từ chối",   "phê duyệt",  "nộp báo cáo kết quả",
};
static const char *const action_en[DOANRA_ACT_COUNT] = {
    "registered", "amended",  "cancelled",
    "rejected",   "approved", "reported on",
};

const char *doanra_action_name(int action)
{
    if (action < 0 || action >= DOANRA_ACT_COUNT)
        return NULL;
    return action_names[action];
}

int doanra_action_lookup(const char *name)
{
    int i;
    if (!name)
        return -1;
    for (i = 0; i < DOANRA_ACT_COUNT; i++)
        if (!strcmp(action_names[i], name))
            return i;
    return -1;
}

int doanra_action_needs_user(int action)
{
    return action == DOANRA_ACT_APPROVE || action == DOANRA_ACT_REJECT;
}

int doanra_action_has_form(int action)
{
    return action == DOANRA_ACT_REGISTER || action == DOANRA_ACT_AMEND;
}

static int status_in(const char *status, const char *const *list)
{
    for (; status && *list; list++)
        if (!strcmp(status, *list))
            return 1;
    return 0;
}

const char *doanra_step_target(int action, const char *status)
{
    static const char *const open3[] = {"pending", "submitted", "approved",
                                        NULL};
    static const char *const open2[] = {"pending", "submitted", NULL};
    static const char *const approved[] = {"approved", NULL};

    switch (action) {
    case DOANRA_ACT_AMEND:
        return status_in(status, open3) ? "superseded" : NULL;
    case DOANRA_ACT_CANCEL:
        return status_in(status, open3) ? "cancelled" : NULL;
    case DOANRA_ACT_REJECT:
        return status_in(status, open2) ? "rejected" : NULL;
    case DOANRA_ACT_APPROVE:
        return status_in(status, open2) ? "approved" : NULL;
    case DOANRA_ACT_REPORT:
        return status_in(status, approved) ? "completed" : NULL;
    default:
        return NULL;
    }
}

/* A status as officials read it. */
static const char *status_label(const doanra_config *c, const char *status)
{
    static const struct {
        const char *id, *vi, *en;
    } labels[] = {
        {"pending", "đang chờ ý kiến của hệ thống", "pending"},
        {"submitted", "đã gửi, chờ phê duyệt", "submitted, awaiting approval"},
        {"approved", "đã được phê duyệt", "approved"},
        {"completed", "đã hoàn thành (đã có báo cáo kết quả)",
         "completed (its report is filed)"},
        {"rejected", "đã bị từ chối", "rejected"},
        {"cancelled", "đã hủy", "cancelled"},
        {"void", "không được tiếp nhận", "void (not accepted)"},
        {"superseded", "đã được thay bằng bản điều chỉnh",
         "superseded by an amendment"},
    };
    size_t i;
    for (i = 0; status && i < sizeof(labels) / sizeof(labels[0]); i++)
        if (!strcmp(labels[i].id, status))
            return c->lang == DOANRA_LANG_EN ? labels[i].en : labels[i].vi;
    return status ? status : "?";
}

#define L(c, vi, en) ((c)->lang == DOANRA_LANG_EN ? (en) : (vi))

/* The last value of a scalar field (name or name[]), trimmed; NULL when
 * not sent or blank.  Repeated single-value fields are refused by the
 * shell before the step is judged (SPEC section 4). */
static const char *field_value(apr_pool_t *p, const doanra_config *c, int key,
                               const apr_array_header_t *fields)
{
    const char *found = NULL;
    int i;

    for (i = 0; fields && i < fields->nelts; i++) {
        const doanra_field *f = &APR_ARRAY_IDX(fields, i, doanra_field);
        if (!f->name || f->is_file)
            continue;
        if (doanra_field_name_is(c, key, f->name))
            found = f->value;
    }
    if (found) {
        const char *a = found, *b;
        while (*a == ' ' || *a == '\t' || *a == '\r' || *a == '\n')
            a++;
        b = a + strlen(a);
        while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r' ||
                         b[-1] == '\n'))
            b--;
        if (b > a && doanra_utf8_valid(a, (apr_size_t)(b - a)))
            return apr_pstrmemdup(p, a, (apr_size_t)(b - a));
    }
    return NULL;
}

static long date_field(apr_pool_t *p, const doanra_config *c, int key,
                       const apr_array_header_t *fields, long today,
                       apr_array_header_t *findings)
{
    const char *v = field_value(p, c, key, fields);
    long d;
    if (!v)
        return today;
    d = doanra_date_parse(v);
    if (!doanra_date_ok(d)) {
        const char *lbl = key == DOANRA_F_NGAY_QUYET_DINH
                              ? L(c, "Ngày quyết định", "The decision date")
                              : L(c, "Ngày nộp báo cáo",
                                  "The date the report was filed");
        doanra_add_finding(
            p, c, findings, DOANRA_R_LIFECYCLE, key, 0,
            L(c,
              "%s “%s” không phải là ngày hợp lệ (YYYY-MM-DD hoặc "
              "DD/MM/YYYY).",
              "%s \"%s\" is not a valid date (YYYY-MM-DD or DD/MM/YYYY)."),
            lbl, v);
        return DOANRA_NODATE;
    }
    return d;
}

doanra_step *doanra_step_read(apr_pool_t *p, const doanra_config *c,
                              int action, const apr_array_header_t *fields,
                              long today, apr_array_header_t *findings)
{
    doanra_step *s = apr_pcalloc(p, sizeof(*s));

    s->action = action;
    s->code = field_value(p, c, DOANRA_F_MA_HO_SO, fields);
    s->code_norm = doanra_text_code_norm(p, s->code);
    s->decision_date = s->report_date = DOANRA_NODATE;

    if (action == DOANRA_ACT_REGISTER) {
        if (s->code)
            doanra_add_finding(
                p, c, findings, DOANRA_R_LIFECYCLE, DOANRA_F_MA_HO_SO, 0,
                L(c,
                  "Biểu mẫu đăng ký đoàn mới không nhận mã hồ sơ (“%s”); để "
                  "sửa một chuyến đi đã đăng ký, hãy dùng biểu mẫu điều "
                  "chỉnh.",
                  "A new registration takes no dossier code (\"%s\"); use "
                  "the amendment form to change a registered trip."),
                s->code);
        return s;
    }
    if (!s->code || !*s->code_norm)
        doanra_add_finding(
            p, c, findings, DOANRA_R_LIFECYCLE, DOANRA_F_MA_HO_SO, 0, "%s",
            L(c, "Chưa nhập mã hồ sơ của chuyến đi (ví dụ DR-2027-000042).",
              "The dossier code of the trip is missing (e.g. "
              "DR-2027-000042)."));

    switch (action) {
    case DOANRA_ACT_CANCEL:
    case DOANRA_ACT_REJECT:
        s->reason = field_value(p, c, DOANRA_F_LY_DO, fields);
        if (!s->reason)
            doanra_add_finding(
                p, c, findings, DOANRA_R_LIFECYCLE, DOANRA_F_LY_DO, 0, "%s",
                action == DOANRA_ACT_CANCEL
                    ? L(c, "Chưa nhập lý do hủy chuyến đi.",
                        "The reason for cancelling the trip is missing.")
                    : L(c, "Chưa nhập lý do từ chối chuyến đi.",
                        "The reason for rejecting the trip is missing."));
        break;
    case DOANRA_ACT_APPROVE:
        s->decision_no = field_value(p, c, DOANRA_F_SO_QUYET_DINH, fields);
        if (!s->decision_no)
            doanra_add_finding(
                p, c, findings, DOANRA_R_LIFECYCLE, DOANRA_F_SO_QUYET_DINH, 0,
                "%s",
                L(c, "Chưa nhập số quyết định cử đoàn.",
                  "The number of the decision sending the delegation is "
                  "missing."));
        s->decision_date = date_field(p, c, DOANRA_F_NGAY_QUYET_DINH, fields,
                                      today, findings);
        break;
    case DOANRA_ACT_REPORT:
        s->report_date = date_field(p, c, DOANRA_F_NGAY_BAO_CAO, fields,
                                    today, findings);
        break;
    default:
        break;
    }
    return s;
}

int doanra_step_judge(apr_pool_t *p, const doanra_config *c,
                      const doanra_step *s, const doanra_trip_state *ts,
                      long today, apr_array_header_t *findings)
{
    int a = s->action;

    if (a == DOANRA_ACT_REGISTER)
        return 1;
    if (!s->code || !*s->code_norm)
        return 0; /* already said by doanra_step_read */
    if (!ts || !ts->found) {
        doanra_add_finding(
            p, c, findings, DOANRA_R_LIFECYCLE, DOANRA_F_MA_HO_SO, 0,
            L(c, "Không tìm thấy hồ sơ đoàn ra có mã “%s”.",
              "No trip has the dossier code or reference \"%s\"."),
            s->code);
        return 0;
    }
    if (!doanra_step_target(a, ts->status)) {
        doanra_add_finding(
            p, c, findings, DOANRA_R_LIFECYCLE, DOANRA_F_MA_HO_SO, 0,
            L(c, "Hồ sơ %s %s: không thể %s.",
              "Trip %s is %s: it cannot be %s."),
            ts->code, status_label(c, ts->status),
            L(c, action_vi[a], action_en[a]));
        return 0;
    }
    if (a == DOANRA_ACT_REPORT && doanra_date_ok(ts->ngay_ve)) {
        if (ts->ngay_ve >= today) {
            doanra_add_finding(
                p, c, findings, DOANRA_R_LIFECYCLE, DOANRA_F_MA_HO_SO, 0,
                L(c,
                  "Đoàn %s về nước ngày %s; báo cáo kết quả chỉ nộp sau "
                  "ngày về.",
                  "Trip %s is back on %s; its report is filed after that "
                  "day."),
                ts->code, doanra_date_show(p, c->lang, ts->ngay_ve));
            return 0;
        }
        if (doanra_date_ok(s->report_date) && s->report_date < ts->ngay_ve) {
            doanra_add_finding(
                p, c, findings, DOANRA_R_LIFECYCLE, DOANRA_F_NGAY_BAO_CAO, 0,
                L(c, "Ngày nộp báo cáo %s trước ngày về %s của đoàn %s.",
                  "The report date %s is before trip %s's return on %s."),
                doanra_date_show(p, c->lang, s->report_date),
                L(c, doanra_date_show(p, c->lang, ts->ngay_ve), ts->code),
                L(c, ts->code, doanra_date_show(p, c->lang, ts->ngay_ve)));
            return 0;
        }
    }
    return 1;
}

const char *doanra_trip_code(apr_pool_t *p, int year, long long id)
{
    return apr_psprintf(p, "DR-%d-%06" APR_INT64_T_FMT, year,
                        (apr_int64_t)id);
}
