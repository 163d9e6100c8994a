/*
 * test_lifecycle.c - a trip's later steps (lifecycle.c, SPEC section 8):
 * the actions by name, the transition table, reading a step's own fields
 * with its `lifecycle` findings, judging a step against the trip it names,
 * and the dossier code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "doanra.h"

static apr_pool_t *pool;
static doanra_config cfg;
static apr_array_header_t *found;

static long D(int y, int m, int d)
{
    return doanra_date_from_ymd(y, m, d);
}

#define TODAY D(2027, 3, 10)

static int setup(void **state)
{
    (void)state;
    apr_pool_create(&pool, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    apr_pool_destroy(pool);
    return 0;
}

static int reset(void **state)
{
    (void)state;
    doanra_config_defaults(pool, &cfg);
    found = apr_array_make(pool, 4, sizeof(doanra_finding));
    return 0;
}

/* Fields from "name", "value" pairs ending with NULL. */
static apr_array_header_t *fields(const char *first, ...)
{
    apr_array_header_t *a = apr_array_make(pool, 8, sizeof(doanra_field));
    const char *n = first;
    va_list ap;

    va_start(ap, first);
    while (n) {
        doanra_field *f = apr_array_push(a);
        memset(f, 0, sizeof(*f));
        f->name = n;
        f->value = va_arg(ap, const char *);
        f->len = strlen(f->value);
        n = va_arg(ap, const char *);
    }
    va_end(ap);
    return a;
}

static doanra_step *read_step(int action, const apr_array_header_t *in)
{
    return doanra_step_read(pool, &cfg, action, in, TODAY, found);
}

static const doanra_finding *nth(int i)
{
    if (i >= found->nelts)
        fail_msg("finding %d of %d", i, found->nelts);
    return &APR_ARRAY_IDX(found, i, doanra_finding);
}

/* The one finding there is: rule lifecycle, an error, about field. */
static const char *only_finding(const char *field)
{
    assert_int_equal(found->nelts, 1);
    assert_int_equal(nth(0)->rule, DOANRA_R_LIFECYCLE);
    assert_int_equal(nth(0)->severity, DOANRA_SEV_ERROR);
    assert_string_equal(nth(0)->field, field);
    assert_int_equal(nth(0)->row, 0);
    return nth(0)->message;
}

/* A trip as the store finds it. */
static doanra_trip_state *state_of(const char *status, long ngay_ve)
{
    doanra_trip_state *ts = apr_pcalloc(pool, sizeof(*ts));
    ts->found = 1;
    ts->id = 42;
    ts->code = "DR-2027-000042";
    ts->version = 1;
    ts->status = status;
    ts->ngay_ve = ngay_ve;
    return ts;
}

/* ---- actions ---- */

static void action_names(void **state)
{
    static const char *const names[DOANRA_ACT_COUNT] = {
        "register", "amend", "cancel", "reject", "approve", "report"};
    int a;
    (void)state;

    for (a = 0; a < DOANRA_ACT_COUNT; a++) {
        assert_string_equal(doanra_action_name(a), names[a]);
        assert_int_equal(doanra_action_lookup(names[a]), a);
    }
    assert_null(doanra_action_name(-1));
    assert_null(doanra_action_name(DOANRA_ACT_COUNT));
    assert_int_equal(doanra_action_lookup("Approve"), -1); /* exact */
    assert_int_equal(doanra_action_lookup("delete"), -1);
    assert_int_equal(doanra_action_lookup(""), -1);
    assert_int_equal(doanra_action_lookup(NULL), -1);
}

static void action_kinds(void **state)
{
    int a;
    (void)state;

    for (a = 0; a < DOANRA_ACT_COUNT; a++) {
        /* SPEC 8: approve and reject need an authenticated user... */
        assert_int_equal(doanra_action_needs_user(a),
                         a == DOANRA_ACT_APPROVE || a == DOANRA_ACT_REJECT);
        /* ...register and amend carry the whole form (section 2). */
        assert_int_equal(doanra_action_has_form(a),
                         a == DOANRA_ACT_REGISTER || a == DOANRA_ACT_AMEND);
    }
    assert_false(doanra_action_needs_user(-1));
    assert_false(doanra_action_has_form(DOANRA_ACT_COUNT));
}

/* ---- the transition table ---- */

static void step_targets(void **state)
{
    static const char *const statuses[] = {
        "pending",  "submitted", "approved", "completed",
        "rejected", "cancelled", "void",     "superseded",
        "Pending",  "",          NULL};
    /* SPEC 8's table: the status each step moves to from each status. */
    static const char *const want[DOANRA_ACT_COUNT][11] = {
        /* register: never from an existing trip */
        {NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL},
        /* amend */
        {"superseded", "superseded", "superseded", NULL, NULL, NULL, NULL, NULL,
         NULL, NULL, NULL},
        /* cancel */
        {"cancelled", "cancelled", "cancelled", NULL, NULL, NULL, NULL, NULL,
         NULL, NULL, NULL},
        /* reject */
        {"rejected", "rejected", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         NULL},
        /* approve */
        {"approved", "approved", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         NULL},
        /* report */
        {NULL, NULL, "completed", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         NULL},
    };
    int a, i;
    (void)state;

    for (a = 0; a < DOANRA_ACT_COUNT; a++)
        for (i = 0; i < 11; i++) {
            const char *got = doanra_step_target(a, statuses[i]);
            if (!want[a][i] != !got || (got && strcmp(got, want[a][i]) != 0))
                fail_msg("%s from %s: %s, not %s", doanra_action_name(a),
                         statuses[i] ? statuses[i] : "NULL", got ? got : "NULL",
                         want[a][i] ? want[a][i] : "NULL");
        }
    assert_null(doanra_step_target(-1, "pending"));
    assert_null(doanra_step_target(DOANRA_ACT_COUNT, "pending"));
}

/* ---- reading a step ---- */

static void read_register(void **state)
{
    doanra_step *s;
    (void)state;

    s = read_step(DOANRA_ACT_REGISTER, fields("don_vi", "Sở Ngoại vụ", NULL));
    assert_int_equal(found->nelts, 0);
    assert_int_equal(s->action, DOANRA_ACT_REGISTER);
    assert_null(s->code);
    assert_string_equal(s->code_norm, "");
    assert_int_equal(s->decision_date, DOANRA_NODATE);
    assert_int_equal(s->report_date, DOANRA_NODATE);

    /* A registration that names a dossier: use the amendment form. */
    s = read_step(DOANRA_ACT_REGISTER,
                  fields("ma_ho_so", " DR-2027-000042 ", NULL));
    assert_string_equal(s->code, "DR-2027-000042");
    assert_string_equal(
        only_finding("ma_ho_so"),
        "Biểu mẫu đăng ký đoàn mới không nhận mã hồ sơ (“DR-2027-000042”); "
        "để sửa một chuyến đi đã đăng ký, hãy dùng biểu mẫu điều chỉnh.");
    reset(state);
    cfg.lang = DOANRA_LANG_EN;
    read_step(DOANRA_ACT_REGISTER, fields("ma_ho_so", "X", NULL));
    assert_string_equal(only_finding("ma_ho_so"),
                        "A new registration takes no dossier code (\"X\"); "
                        "use the amendment form to change a registered "
                        "trip.");
}

static void read_code(void **state)
{
    doanra_step *s;
    (void)state;

    /* Trimmed, normalised; the last value wins, name[] counts, files and
     * other fields do not. */
    s = read_step(DOANRA_ACT_AMEND, fields("ma_ho_so", "DR-1", "ma_ho_so[]",
                                           "\t dr\xE2\x80\x90"
                                           "2027\xE2\x80\x90"
                                           "000042\r\n",
                                           "ma_ho_so_x", "DR-9", NULL));
    assert_int_equal(found->nelts, 0);
    assert_int_equal(s->action, DOANRA_ACT_AMEND);
    assert_string_equal(s->code, "dr\xE2\x80\x90"
                                 "2027\xE2\x80\x90"
                                 "000042");
    assert_string_equal(s->code_norm, "dr-2027-000042");
    {
        apr_array_header_t *in = fields("ma_ho_so", "DR-7", NULL);
        doanra_field *f = apr_array_push(in);
        memset(f, 0, sizeof(*f));
        f->name = "ma_ho_so";
        f->value = "DR-8.pdf";
        f->len = 8;
        f->is_file = 1;
        s = read_step(DOANRA_ACT_AMEND, in);
        assert_string_equal(s->code, "DR-7");
    }
    /* A renamed field (DoanraField). */
    cfg.field_names[DOANRA_F_MA_HO_SO] = "so_ho_so";
    s = read_step(DOANRA_ACT_CANCEL,
                  fields("so_ho_so", "DR-5", "ly_do", "x", NULL));
    assert_int_equal(found->nelts, 0);
    assert_string_equal(s->code, "DR-5");
}

static void read_code_missing(void **state)
{
    static const char *const blanks[] = {NULL, "", " \t\r\n", "\xFF"};
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(blanks) / sizeof(blanks[0]); i++) {
        doanra_step *s;
        reset(state);
        s = read_step(DOANRA_ACT_AMEND,
                      blanks[i] ? fields("ma_ho_so", blanks[i], NULL)
                                : fields("don_vi", "x", NULL));
        assert_null(s->code);
        assert_string_equal(
            only_finding("ma_ho_so"),
            "Chưa nhập mã hồ sơ của chuyến đi (ví dụ DR-2027-000042).");
    }
    /* Nothing left of the code once normalised. */
    reset(state);
    read_step(DOANRA_ACT_REPORT, fields("ma_ho_so", "\xE2\x80\x8B", NULL));
    only_finding("ma_ho_so");
    reset(state);
    cfg.lang = DOANRA_LANG_EN;
    read_step(DOANRA_ACT_REPORT, fields("ngay_bao_cao", "2027-03-09", NULL));
    assert_string_equal(only_finding("ma_ho_so"),
                        "The dossier code of the trip is missing (e.g. "
                        "DR-2027-000042).");
}

static void read_reason(void **state)
{
    doanra_step *s;
    (void)state;

    s = read_step(DOANRA_ACT_CANCEL,
                  fields("ma_ho_so", "DR-1", "ly_do", " Đổi kế hoạch ", NULL));
    assert_int_equal(found->nelts, 0);
    assert_string_equal(s->reason, "Đổi kế hoạch");
    s = read_step(DOANRA_ACT_CANCEL, fields("ma_ho_so", "DR-1", NULL));
    assert_null(s->reason);
    assert_string_equal(only_finding("ly_do"),
                        "Chưa nhập lý do hủy chuyến đi.");
    reset(state);
    read_step(DOANRA_ACT_REJECT,
              fields("ma_ho_so", "DR-1", "ly_do", " ", NULL));
    assert_string_equal(only_finding("ly_do"),
                        "Chưa nhập lý do từ chối chuyến đi.");
    reset(state);
    cfg.lang = DOANRA_LANG_EN;
    read_step(DOANRA_ACT_CANCEL, fields("ma_ho_so", "DR-1", NULL));
    assert_string_equal(only_finding("ly_do"),
                        "The reason for cancelling the trip is missing.");
    reset(state);
    cfg.lang = DOANRA_LANG_EN;
    read_step(DOANRA_ACT_REJECT, fields("ma_ho_so", "DR-1", NULL));
    assert_string_equal(only_finding("ly_do"),
                        "The reason for rejecting the trip is missing.");
    /* Other steps take no reason. */
    reset(state);
    s = read_step(DOANRA_ACT_APPROVE,
                  fields("ma_ho_so", "DR-1", "so_quyet_dinh", "12/QĐ-UBND",
                         "ly_do", "x", NULL));
    assert_int_equal(found->nelts, 0);
    assert_null(s->reason);
}

static void read_approval(void **state)
{
    doanra_step *s;
    (void)state;

    /* The decision date defaults to today. */
    s = read_step(
        DOANRA_ACT_APPROVE,
        fields("ma_ho_so", "DR-1", "so_quyet_dinh", " 12/QĐ-UBND ", NULL));
    assert_int_equal(found->nelts, 0);
    assert_string_equal(s->decision_no, "12/QĐ-UBND");
    assert_int_equal(s->decision_date, TODAY);
    assert_int_equal(s->report_date, DOANRA_NODATE);
    /* Either date format. */
    s = read_step(DOANRA_ACT_APPROVE,
                  fields("ma_ho_so", "DR-1", "so_quyet_dinh", "12",
                         "ngay_quyet_dinh", "05/03/2027", NULL));
    assert_int_equal(s->decision_date, D(2027, 3, 5));
    s = read_step(DOANRA_ACT_APPROVE,
                  fields("ma_ho_so", "DR-1", "so_quyet_dinh", "12",
                         "ngay_quyet_dinh", "2027-03-04", NULL));
    assert_int_equal(found->nelts, 0);
    assert_int_equal(s->decision_date, D(2027, 3, 4));

    s = read_step(DOANRA_ACT_APPROVE, fields("ma_ho_so", "DR-1", NULL));
    assert_null(s->decision_no);
    assert_string_equal(only_finding("so_quyet_dinh"),
                        "Chưa nhập số quyết định cử đoàn.");
    reset(state);
    s = read_step(DOANRA_ACT_APPROVE,
                  fields("ma_ho_so", "DR-1", "so_quyet_dinh", "12",
                         "ngay_quyet_dinh", "30/02/2027", NULL));
    assert_int_equal(s->decision_date, DOANRA_NODATE);
    assert_string_equal(only_finding("ngay_quyet_dinh"),
                        "Ngày quyết định “30/02/2027” không phải là ngày hợp "
                        "lệ (YYYY-MM-DD hoặc DD/MM/YYYY).");
    reset(state);
    cfg.lang = DOANRA_LANG_EN;
    read_step(DOANRA_ACT_APPROVE,
              fields("ma_ho_so", "DR-1", "ngay_quyet_dinh", "tomorrow", NULL));
    assert_int_equal(found->nelts, 2);
    assert_string_equal(nth(0)->field, "so_quyet_dinh");
    assert_string_equal(nth(0)->message,
                        "The number of the decision sending the delegation "
                        "is missing.");
    assert_string_equal(nth(1)->field, "ngay_quyet_dinh");
    assert_string_equal(nth(1)->message,
                        "The decision date \"tomorrow\" is not a valid date "
                        "(YYYY-MM-DD or DD/MM/YYYY).");
}

static void read_report(void **state)
{
    doanra_step *s;
    (void)state;

    s = read_step(DOANRA_ACT_REPORT, fields("ma_ho_so", "DR-1", NULL));
    assert_int_equal(found->nelts, 0);
    assert_int_equal(s->report_date, TODAY);
    assert_int_equal(s->decision_date, DOANRA_NODATE);
    assert_null(s->decision_no);
    s = read_step(DOANRA_ACT_REPORT,
                  fields("ma_ho_so", "DR-1", "ngay_bao_cao", "9/3/2027", NULL));
    assert_int_equal(s->report_date, D(2027, 3, 9));
    s = read_step(DOANRA_ACT_REPORT, fields("ma_ho_so", "DR-1", "ngay_bao_cao",
                                            "2027-13-01", NULL));
    assert_int_equal(s->report_date, DOANRA_NODATE);
    assert_string_equal(only_finding("ngay_bao_cao"),
                        "Ngày nộp báo cáo “2027-13-01” không phải là ngày hợp "
                        "lệ (YYYY-MM-DD hoặc DD/MM/YYYY).");
    reset(state);
    cfg.lang = DOANRA_LANG_EN;
    read_step(DOANRA_ACT_REPORT,
              fields("ma_ho_so", "DR-1", "ngay_bao_cao", "x", NULL));
    assert_string_equal(only_finding("ngay_bao_cao"),
                        "The date the report was filed \"x\" is not a valid "
                        "date (YYYY-MM-DD or DD/MM/YYYY).");
}

static void read_severity(void **state)
{
    doanra_step *s;
    (void)state;

    /* The rule's configured severity applies; off reports nothing but the
     * step is read all the same. */
    cfg.severity[DOANRA_R_LIFECYCLE] = DOANRA_SEV_WARNING;
    read_step(DOANRA_ACT_CANCEL, fields("ma_ho_so", "DR-1", NULL));
    assert_int_equal(nth(0)->severity, DOANRA_SEV_WARNING);
    reset(state);
    cfg.severity[DOANRA_R_LIFECYCLE] = DOANRA_SEV_OFF;
    s = read_step(DOANRA_ACT_APPROVE, fields("ngay_quyet_dinh", "x", NULL));
    assert_int_equal(found->nelts, 0);
    assert_null(s->code);
    assert_int_equal(s->decision_date, DOANRA_NODATE);
}

/* ---- judging a step ---- */

static int judge(const doanra_step *s, const doanra_trip_state *ts)
{
    return doanra_step_judge(pool, &cfg, s, ts, TODAY, found);
}

static void judge_register_and_no_code(void **state)
{
    doanra_step *s;
    (void)state;

    s = read_step(DOANRA_ACT_REGISTER, fields("don_vi", "x", NULL));
    assert_true(judge(s, NULL));
    assert_int_equal(found->nelts, 0);
    /* No code: already said by doanra_step_read, not said again. */
    s = read_step(DOANRA_ACT_CANCEL, fields("ly_do", "x", NULL));
    assert_int_equal(found->nelts, 1);
    assert_false(judge(s, state_of("pending", D(2027, 4, 1))));
    assert_int_equal(found->nelts, 1);
}

static void judge_unknown_code(void **state)
{
    doanra_step *s;
    doanra_trip_state none;
    (void)state;

    s = read_step(DOANRA_ACT_CANCEL,
                  fields("ma_ho_so", "DR-2027-9", "ly_do", "x", NULL));
    assert_false(judge(s, NULL));
    assert_string_equal(only_finding("ma_ho_so"),
                        "Không tìm thấy hồ sơ đoàn ra có mã “DR-2027-9”.");
    reset(state);
    memset(&none, 0, sizeof(none));
    cfg.lang = DOANRA_LANG_EN;
    assert_false(judge(s, &none));
    assert_string_equal(only_finding("ma_ho_so"),
                        "No trip has the dossier code or reference "
                        "\"DR-2027-9\".");
}

static void judge_status(void **state)
{
    static const struct {
        int action;
        const char *status, *vi, *en;
    } refused[] = {
        {DOANRA_ACT_APPROVE, "rejected",
         "Hồ sơ DR-2027-000042 đã bị từ chối: không thể phê duyệt.",
         "Trip DR-2027-000042 is rejected: it cannot be approved."},
        {DOANRA_ACT_AMEND, "cancelled",
         "Hồ sơ DR-2027-000042 đã hủy: không thể điều chỉnh.",
         "Trip DR-2027-000042 is cancelled: it cannot be amended."},
        {DOANRA_ACT_CANCEL, "completed",
         "Hồ sơ DR-2027-000042 đã hoàn thành (đã có báo cáo kết quả): không "
         "thể hủy.",
         "Trip DR-2027-000042 is completed (its report is filed): it cannot "
         "be cancelled."},
        {DOANRA_ACT_REJECT, "approved",
         "Hồ sơ DR-2027-000042 đã được phê duyệt: không thể từ chối.",
         "Trip DR-2027-000042 is approved: it cannot be rejected."},
        {DOANRA_ACT_REPORT, "submitted",
         "Hồ sơ DR-2027-000042 đã gửi, chờ phê duyệt: không thể nộp báo cáo "
         "kết quả.",
         "Trip DR-2027-000042 is submitted, awaiting approval: it cannot be "
         "reported on."},
        {DOANRA_ACT_REPORT, "pending",
         "Hồ sơ DR-2027-000042 đang chờ ý kiến của hệ thống: không thể nộp "
         "báo cáo kết quả.",
         "Trip DR-2027-000042 is pending: it cannot be reported on."},
        {DOANRA_ACT_AMEND, "void",
         "Hồ sơ DR-2027-000042 không được tiếp nhận: không thể điều chỉnh.",
         "Trip DR-2027-000042 is void (not accepted): it cannot be amended."},
        {DOANRA_ACT_CANCEL, "superseded",
         "Hồ sơ DR-2027-000042 đã được thay bằng bản điều chỉnh: không thể "
         "hủy.",
         "Trip DR-2027-000042 is superseded by an amendment: it cannot be "
         "cancelled."},
        /* A status the table does not know is shown as it is. */
        {DOANRA_ACT_APPROVE, "archived",
         "Hồ sơ DR-2027-000042 archived: không thể phê duyệt.",
         "Trip DR-2027-000042 is archived: it cannot be approved."},
    };
    size_t i;
    int lang;
    (void)state;

    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        for (lang = DOANRA_LANG_VI; lang <= DOANRA_LANG_EN; lang++) {
            doanra_step *s;
            reset(state);
            cfg.lang = lang;
            s = read_step(refused[i].action,
                          fields("ma_ho_so", "dr-2027-000042", "ly_do", "x",
                                 "so_quyet_dinh", "1", NULL));
            assert_int_equal(found->nelts, 0);
            assert_false(judge(s, state_of(refused[i].status, D(2027, 3, 1))));
            assert_string_equal(only_finding("ma_ho_so"), lang == DOANRA_LANG_EN
                                                              ? refused[i].en
                                                              : refused[i].vi);
        }
}

static void judge_allowed(void **state)
{
    static const struct {
        int action;
        const char *status;
    } allowed[] = {
        {DOANRA_ACT_AMEND, "pending"},     {DOANRA_ACT_AMEND, "approved"},
        {DOANRA_ACT_CANCEL, "submitted"},  {DOANRA_ACT_CANCEL, "approved"},
        {DOANRA_ACT_REJECT, "pending"},    {DOANRA_ACT_REJECT, "submitted"},
        {DOANRA_ACT_APPROVE, "submitted"}, {DOANRA_ACT_REPORT, "approved"},
    };
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
        doanra_step *s = read_step(allowed[i].action,
                                   fields("ma_ho_so", "DR-2027-000042", "ly_do",
                                          "x", "so_quyet_dinh", "1", NULL));
        assert_true(judge(s, state_of(allowed[i].status, D(2027, 3, 1))));
        assert_int_equal(found->nelts, 0);
    }
}

static void judge_report_dates(void **state)
{
    doanra_step *s;
    (void)state;

    /* Back on the 9th (before today, the 10th): a report is due. */
    s = read_step(DOANRA_ACT_REPORT,
                  fields("ma_ho_so", "DR-2027-000042", NULL));
    assert_true(judge(s, state_of("approved", TODAY - 1)));
    /* Back today or later: not yet. */
    assert_false(judge(s, state_of("approved", TODAY)));
    assert_string_equal(only_finding("ma_ho_so"),
                        "Đoàn DR-2027-000042 về nước ngày 10/03/2027; báo "
                        "cáo kết quả chỉ nộp sau ngày về.");
    reset(state);
    cfg.lang = DOANRA_LANG_EN;
    assert_false(judge(s, state_of("approved", D(2027, 4, 2))));
    assert_string_equal(only_finding("ma_ho_so"),
                        "Trip DR-2027-000042 is back on 2027-04-02; its report "
                        "is filed after that day.");
    /* A return date the store does not know is not held against it. */
    reset(state);
    assert_true(judge(s, state_of("approved", DOANRA_NODATE)));
    assert_int_equal(found->nelts, 0);

    /* A report filed (by its date) before the return. */
    s = read_step(DOANRA_ACT_REPORT,
                  fields("ma_ho_so", "DR-2027-000042", "ngay_bao_cao",
                         "2027-03-01", NULL));
    assert_false(judge(s, state_of("approved", D(2027, 3, 5))));
    assert_string_equal(only_finding("ngay_bao_cao"),
                        "Ngày nộp báo cáo 01/03/2027 trước ngày về "
                        "05/03/2027 của đoàn DR-2027-000042.");
    reset(state);
    cfg.lang = DOANRA_LANG_EN;
    assert_false(judge(s, state_of("approved", D(2027, 3, 5))));
    assert_string_equal(only_finding("ngay_bao_cao"),
                        "The report date 2027-03-01 is before trip "
                        "DR-2027-000042's return on 2027-03-05.");
    /* On the return day itself, or with no usable report date: fine. */
    reset(state);
    assert_true(judge(s, state_of("approved", D(2027, 3, 1))));
    s = read_step(DOANRA_ACT_REPORT, fields("ma_ho_so", "DR-2027-000042",
                                            "ngay_bao_cao", "x", NULL));
    assert_int_equal(found->nelts, 1); /* the date's own finding */
    assert_true(judge(s, state_of("approved", D(2027, 3, 5))));
    assert_int_equal(found->nelts, 1);
}

/* ---- the dossier code ---- */

static void trip_codes(void **state)
{
    (void)state;
    assert_string_equal(doanra_trip_code(pool, 2027, 42), "DR-2027-000042");
    assert_string_equal(doanra_trip_code(pool, 2027, 0), "DR-2027-000000");
    assert_string_equal(doanra_trip_code(pool, 2026, 999999), "DR-2026-999999");
    assert_string_equal(doanra_trip_code(pool, 2026, 1234567),
                        "DR-2026-1234567");
    assert_string_equal(doanra_trip_code(pool, 2030, 9000000000LL),
                        "DR-2030-9000000000");
}

#define T(f) cmocka_unit_test_setup(f, reset)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(action_names),
        T(action_kinds),
        T(step_targets),
        T(read_register),
        T(read_code),
        T(read_code_missing),
        T(read_reason),
        T(read_approval),
        T(read_report),
        T(read_severity),
        T(judge_register_and_no_code),
        T(judge_unknown_code),
        T(judge_status),
        T(judge_allowed),
        T(judge_report_dates),
        T(trip_codes),
    };
    int r;
    apr_initialize();
    r = cmocka_run_group_tests(tests, setup, teardown);
    apr_terminate();
    return r;
}
