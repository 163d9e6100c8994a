/* clang-format off */
/*
 * ambiguity.c - refuse what the application behind could read another way.
 *
 * The module judges the fields it parsed (form.c); the application behind
 * parses the same bytes again with its own rules.  Where two common readers
 * disagree about which fields a body holds, the module cannot know which
 * reading the application will act on, so the body is refused with a
 * `format` error (severity error whatever the location set for `format`,
 * like a body that cannot be parsed): enforce blocks it with the usual page.
 *
 * The readers and what they do with a name, a repeated name, the query
 * string and a multipart part.  Every row has a unit test in
 * tests/unit/test_ambiguity.c; the PHP rows are also the reference reading
 * of the differential fuzzer (tests/fuzz/fuzz_diff.c).  "Field" means one
 * of the location's fields, by its configured name (DoanraField); "exact"
 * is the name itself, or name[] for a row field.
 *
 *  #    reader: what it does                              decision
 *  ---  ------------------------------------------------  -----------------
 *  N1   PHP 8 php_register_variable_ex: leading ' '       refuse
 *       dropped; ' ' and '.' become '_' up to the first
 *       '['; urlencoded '+' is a space: tv.ho.ten[],
 *       tv ho ten[], tv+ho+ten[], " tv_ho_ten"
 *  N2   PHP 8: '[' opens an index when a ']' follows:      refuse
 *       tv_ho_ten[3], tv_ho_ten[a][b], tv_ho_ten[]x (the
 *       rest after ']' ignored) are the tv_ho_ten array
 *  N3   PHP 8: '[' + one isspace() byte + ']' appends     refuse
 *       like []: tv_ho_ten[ ], tv_ho_ten[%09]
 *  N4   PHP 8: an unclosed '[' becomes '_', and so do     refuse when a field
 *       the ' ' '.' '[' after it: tv[ho.ten is            (N7 refuses
 *       tv_ho_ten; tv_ho_ten[ is tv_ho_ten_               tv_ho_ten[ too)
 *  N5   PHP 8: don_vi[] makes an array of a single        refuse x[] for a
 *       field; a later don_vi replaces it, a later        single field, and
 *       x[] replaces a string x                           a row field sent
 *                                                         as x and as x[]
 *  N6   ASP.NET Request.Form / Request["x"]: names        refuse
 *       compared case-insensitively, the values of all
 *       spellings joined: TV_HO_TEN, Tv_Ho_Ten[]
 *  N7   ASP.NET MVC / Core model binding, Spring          refuse a name with
 *       WebDataBinder: property paths tv_ho_ten[0],       a '.' segment (up
 *       tv_ho_ten.x, model.tv_ho_ten (prefix = the        to its first
 *       parameter's name), case-insensitive; Spring's     bracket, one '_'
 *       _x field marker and !x field default              or '!' dropped)
 *                                                         equal to a field
 *  N8   Rack (Rails): leading '[' and ']' dropped, the    refuse (N7's rule)
 *       name up to the next bracket: [tv_ho_ten],
 *       tv_ho_ten], ]tv_ho_ten[x]
 *  N9   Python urllib.parse / cgi / Werkzeug / Django,    exact names
 *       Java servlets: names exact (after %xx and '+')    accepted
 *  N10  ASP.NET HttpValueCollection: a pair without '='   refuse a field
 *       is a value without a name; PHP, Werkzeug and      without '='
 *       servlets read a name with an empty value
 *  N11  Python < 3.9.2 parse_qs and cgi, PHP with         refuse when a piece
 *       arg_separator.input "&;": ';' separates pairs     after a raw ';'
 *       too: x=1;tv_ho_ten[]=A                            reads as a field
 *  N12  Python parse_qs / cgi default                     accepted: blank
 *       keep_blank_values=False: empty values dropped,    rows are how forms
 *       so row lists shift                                work (SPEC 2); an
 *                                                         application must
 *                                                         keep blanks
 *                                                         (Werkzeug, Django,
 *                                                         PHP, servlets do)
 *  R1   PHP, Django QueryDict[], Rails: a repeated name   refuse a single
 *       gives the last value                              field sent more
 *  R2   Werkzeug, cgi getfirst, servlet getParameter:     than once
 *       the first value
 *  R3   ASP.NET Request.Form["x"]: all values joined
 *  R4   PHP: a row field sent as plain x repeated keeps   accepted: SPEC 2
 *       only the last value                               allows it; PHP
 *                                                         forms use x[]
 *  Q1   PHP $_REQUEST (request_order "GP": the body       refuse a field,
 *       wins), servlet getParameter (the query's value    exact or read as
 *       first), ASP.NET Request["x"] (query first):       one by N1-N8, in
 *       query string and body merged                      the query string
 *                                                         (decoded as PHP
 *                                                         does: a bad %xx
 *                                                         kept; split at '&'
 *                                                         and ';')
 *  L1   PHP max_input_vars (1000): the pairs after the    refuse more than
 *       1001st are silently dropped (urlencoded: every    1000 fields
 *       non-empty pair counts, repeats and empty names
 *       too; multipart: value parts)
 *  L2   ASP.NET MaxHttpCollectionKeys (1000), ASP.NET     (L1: no reader
 *       Core ValueCountLimit (1024), Django               sees a cut body)
 *       DATA_UPLOAD_MAX_NUMBER_FIELDS (1000), Werkzeug
 *       max_form_parts (1000): the request is refused
 *  M1   PHP rfc1867: the last name= of a part; the        refuse two name
 *       others the first                                  parameters
 *  M2   PHP ignores filename*= (a value part then);       refuse any *=
 *       Werkzeug decodes RFC 2231 name*= / filename*=     parameter
 *  M3   PHP never recognises the close delimiter: it      refuse a part
 *       looks for the next "--boundary" line and reads    after the close
 *       the parts after "--boundary--"                    (read and marked);
 *                                                         other epilogue
 *                                                         text is ignored
 *                                                         by all: accepted
 *  M4   PHP: a delimiter line is exactly "--boundary",    refuse padding and
 *       compared as a C string ("--boundary" then a NUL   any line starting
 *       is one); transport padding (RFC 2046) makes PHP   like the delimiter
 *       skip the part; content ends at any line that      that is not one (in
 *       starts with "--boundary"                          a part: marked; in
 *                                                         the preamble, or
 *                                                         after the close
 *                                                         with no part read:
 *                                                         unreadable, 400)
 *  M5   PHP: a header line that starts with an isspace()  refuse folded and
 *       byte (CR, VT, FF too) or has no ':' continues     colon-less header
 *       the previous header (Content-Disposition:         lines, and header
 *       form-data; name="a" then ; name="tv_ho_ten[]");   lines with a
 *       lines are C strings: a NUL ends a line, a NUL     control character
 *       first ends the headers                            other than HT
 *  M6   PHP, Python's email: the first of two             refuse
 *       Content-Disposition headers; others differ
 *  M7   PHP getword(): quotes with ' as well as ",        refuse anything
 *       unescapes \" and \\; name ="x" (space before    but type; name="v";
 *       '=') is no name for PHP, x for Python             filename="v" with
 *                                                         plain tokens, no \"
 *                                                         in quotes, no
 *                                                         quotes or \ in
 *                                                         plain values, no
 *                                                         controls; and a \
 *                                                         in a name
 *  M8   PHP does not check the disposition type           refuse: unreadable
 *       (attachment; name=x is field x)                   (400), as before:
 *                                                         a part without
 *                                                         form-data or name
 *  M9   Werkzeug (older) decodes base64 and quoted-       refuse such a value
 *       printable Content-Transfer-Encoding; Python's     part, one typed
 *       cgi reads a multipart/mixed value part as parts;  other than
 *       a part's charset is honoured by some              text/plain, or a
 *                                                         charset other than
 *                                                         UTF-8 / US-ASCII
 *                                                         (files: not
 *                                                         inspected)
 *  M10  PHP $_FILES, Werkzeug files, servlets, ASP.NET:   refuse a file part
 *       a file part is no form value; Python's cgi        named as a field
 *       getvalue() returns the file's content
 *
 * Cookies (ASP.NET Request["x"] and PHP request_order "GPC" read them) are
 * not examined here.
 */
/* clang-format on */
#include "doanra.h"

#include <string.h>
#include <strings.h>

#include <apr_hash.h>

/* ---- what each reader makes of a name ---------------------------------- */

/* PHP 8's top-level key for a name (php_register_variable_ex): leading
 * spaces dropped; up to the first '[' ' ' and '.' become '_'; a '[' with a
 * ']' somewhere after it opens an array and ends the key; an unclosed '['
 * becomes '_' and so do the ' ', '.', '[' after it. */
static const char *php_key(apr_pool_t *p, const char *name)
{
    char *k, *q;
    const char *s = name;

    while (*s == ' ')
        s++;
    k = apr_pstrdup(p, s);
    for (q = k; *q; q++) {
        if (*q == ' ' || *q == '.')
            *q = '_';
        else if (*q == '[') {
            const char *ip = q + 1;
            if (*ip && strchr(" \t\n\r\v\f", *ip))
                ip++;
            if (*ip == ']' || strchr(ip, ']')) {
                *q = '\0'; /* an array: the key ends here */
                break;
            }
            for (; *q; q++)
                if (*q == ' ' || *q == '.' || *q == '[')
                    *q = '_';
            break;
        }
    }
    return k;
}

/* Segment of a property path, for model binders (ASP.NET, Spring) and
 * Rack: s[0..n) is a segment; its identifier, without one leading Spring
 * prefix ('_' field marker, '!' field default) or Rack's leading brackets,
 * up to the first bracket, equals (ASCII case-insensitively) ident? */
static int segment_is(const char *s, apr_size_t n, const char *ident,
                      apr_size_t il)
{
    apr_size_t i = 0, e;

    while (i < n && (s[i] == '[' || s[i] == ']'))
        i++;
    e = i;
    while (e < n && s[e] != '[' && s[e] != ']')
        e++;
    if (e - i == il && strncasecmp(s + i, ident, il) == 0)
        return 1;
    return (s[i] == '_' || s[i] == '!') && e - i == il + 1 &&
           strncasecmp(s + i + 1, ident, il) == 0;
}

/* Would a binder or Rack read name as the field whose configured name is
 * want (its identifier up to the first bracket)? */
static int binder_reads_as(const char *name, const char *want)
{
    apr_size_t il = strcspn(want, "[]");
    const char *s = name;

    if (il == 0)
        return 0;
    for (;;) {
        const char *dot = strchr(s, '.');
        apr_size_t n = dot ? (apr_size_t)(dot - s) : strlen(s);
        if (segment_is(s, n, want, il))
            return 1;
        if (!dot)
            return 0;
        s = dot + 1;
    }
}

/* The key of the field name is exactly, or -1. */
static int exact_key(const doanra_config *c, const char *name, int *bracket)
{
    int k;

    for (k = 0; k < DOANRA_F_COUNT; k++) {
        int form = doanra_field_name_is(c, k, name);
        if (form == 1 || (form == 2 && doanra_field_is_row(k))) {
            *bracket = form == 2;
            return k;
        }
    }
    return -1;
}

/* The field some reader (N1-N8) would take name for although it is not
 * its exact name, or -1. */
static int reads_as(apr_pool_t *p, const doanra_config *c, const char *name)
{
    const char *pk = NULL;
    int k;

    for (k = 0; k < DOANRA_F_COUNT; k++) {
        const char *want = c->field_names[k];
        size_t wl;
        if (!want || !*want)
            continue;
        wl = strlen(want);
        /* N6: case-insensitive, with or without [] */
        if (strcasecmp(name, want) == 0 ||
            (strlen(name) == wl + 2 && strncasecmp(name, want, wl) == 0 &&
             name[wl] == '[' && name[wl + 1] == ']'))
            return k;
        /* N1-N5: PHP's key */
        if (!pk)
            pk = php_key(p, name);
        if (strcmp(pk, php_key(p, want)) == 0)
            return k;
        /* N7, N8 */
        if (binder_reads_as(name, want))
            return k;
    }
    return -1;
}

/* ---- findings ---------------------------------------------------------- */

static void add(apr_pool_t *p, apr_array_header_t *findings, const char *field,
                const char *message)
{
    doanra_finding *f = apr_array_push(findings);
    f->rule = DOANRA_R_FORMAT;
    f->severity = DOANRA_SEV_ERROR; /* whatever the location set: see top */
    f->field = field;
    f->row = 0;
    f->message = message;
}

/* A name quoted in a message is cut (at a UTF-8 boundary) after this many
 * bytes: a name may be 60 000 bytes long. */
#define NAME_MAX_QUOTE 80

static const char *q(apr_pool_t *p, const char *name)
{
    size_t len = strlen(name), n = doanra_utf8_cut(name, len, NAME_MAX_QUOTE);
    if (n == len)
        return name;
    return apr_pstrcat(p, apr_pstrmemdup(p, name, n), "…", NULL);
}

static void add_reads_as(apr_pool_t *p, const doanra_config *c,
                         apr_array_header_t *findings, const char *name, int k)
{
    const char *want = c->field_names[k];
    add(p, findings, name,
        c->lang == DOANRA_LANG_EN
            ? apr_psprintf(p,
                           "The field \"%s\" may be read by the application "
                           "behind as \"%s\"; use the exact field name.",
                           q(p, name), want)
            : apr_psprintf(p,
                           "Trường “%s” có thể bị ứng dụng phía sau đọc thành "
                           "“%s”; hãy dùng đúng tên trường.",
                           q(p, name), want));
}

/* Why a multipart part is refused, for the message. */
static const char *part_reason(int en, unsigned flags)
{
    static const struct {
        unsigned flag;
        const char *vi, *en;
    } reasons[] = {
        {DOANRA_PART_TWO_NAMES, "có hai tham số name",
         "has two name parameters"},
        {DOANRA_PART_EXT_PARAM, "có tham số dạng name*= hoặc filename*=",
         "has a name*= or filename*= parameter"},
        {DOANRA_PART_AFTER_CLOSE, "nằm sau dòng phân cách kết thúc",
         "comes after the closing delimiter"},
        {DOANRA_PART_HEADER_FOLD,
         "có dòng tiêu đề viết tiếp từ dòng trước, không có dấu hai chấm hoặc "
         "chứa ký tự điều khiển",
         "has a folded header line, one without a colon or one with a "
         "control character"},
        {DOANRA_PART_DUP_DISPOSITION, "có hai tiêu đề Content-Disposition",
         "has two Content-Disposition headers"},
        {DOANRA_PART_PARAM_SYNTAX,
         "có tiêu đề Content-Disposition viết không chuẩn (dấu nháy, dấu "
         "gạch chéo ngược, khoảng trắng trước “=” hoặc tham số lặp lại)",
         "has an irregular Content-Disposition header (quotes, backslashes, "
         "white space before \"=\" or a repeated parameter)"},
        {DOANRA_PART_ENCODING,
         "khai báo Content-Transfer-Encoding, hoặc kiểu nội dung hay bảng mã "
         "khác văn bản UTF-8",
         "declares a Content-Transfer-Encoding, or a type or charset other "
         "than UTF-8 text"},
        {DOANRA_PART_DELIMITER,
         "có dòng phân cách không chuẩn (khoảng trắng sau dòng phân cách, "
         "hoặc một dòng bắt đầu giống dòng phân cách)",
         "has an irregular delimiter line (padding after it, or a line that "
         "starts like it)"},
    };
    size_t i;
    for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
        if (flags & reasons[i].flag)
            return en ? reasons[i].en : reasons[i].vi;
    return "";
}

/* Pieces after each raw ';' of a urlencoded pair (N11): the first that a
 * reader splitting at ';' would take for a field, or -1. */
static int semicolon_piece(apr_pool_t *p, const doanra_config *c,
                           const doanra_field *f, const char **piece)
{
    const char *pair = (f->flags & DOANRA_FIELD_NO_EQUALS)
                           ? f->name
                           : apr_pstrcat(p, f->name, "=", f->value, NULL);
    const char *s = strchr(pair, ';');
    int bracket;

    while (s) {
        const char *e = strchr(s + 1, ';');
        size_t n = e ? (size_t)(e - (s + 1)) : strlen(s + 1);
        const char *eq = memchr(s + 1, '=', n);
        const char *name =
            apr_pstrmemdup(p, s + 1, eq ? (size_t)(eq - (s + 1)) : n);
        int k = exact_key(c, name, &bracket);
        if (k < 0)
            k = reads_as(p, c, name);
        if (k >= 0) {
            *piece = name;
            return k;
        }
        s = e;
    }
    return -1;
}

/* L1, L2: more pairs than PHP's max_input_vars. */
static void check_field_count(apr_pool_t *p, int en, int n,
                              apr_array_header_t *findings)
{
    if (n <= DOANRA_MAX_BACKEND_FIELDS)
        return;
    add(p, findings, "",
        en ? apr_psprintf(p,
                          "The form has %d fields, more than %d: the "
                          "application behind may drop or refuse the "
                          "fields past the limit.",
                          n, DOANRA_MAX_BACKEND_FIELDS)
           : apr_psprintf(p,
                          "Biểu mẫu có %d trường, vượt quá %d: ứng dụng "
                          "phía sau có thể bỏ qua hoặc từ chối các trường "
                          "vượt giới hạn.",
                          n, DOANRA_MAX_BACKEND_FIELDS));
}

/* M1-M7, M9: the part may be another field for some reader, whatever name
 * we read. */
static void add_irregular_part(apr_pool_t *p, int en,
                               apr_array_header_t *findings,
                               const doanra_field *f)
{
    add(p, findings, f->name,
        en ? apr_psprintf(p,
                          "The multipart part \"%s\" %s; the "
                          "applications behind read such a part "
                          "differently.",
                          q(p, f->name),
                          part_reason(1, f->flags & DOANRA_PART_FLAGS))
           : apr_psprintf(p,
                          "Phần “%s” của biểu mẫu multipart %s; các "
                          "ứng dụng phía sau đọc phần này khác nhau.",
                          q(p, f->name),
                          part_reason(0, f->flags & DOANRA_PART_FLAGS)));
}

/* N11 */
static void add_semicolon(apr_pool_t *p, int en, apr_array_header_t *findings,
                          const doanra_field *f, const char *piece)
{
    add(p, findings, f->name,
        en ? apr_psprintf(p,
                          "The field \"%s\" holds a \";\" before "
                          "\"%s\": an application behind that splits "
                          "at \";\" reads another field there.",
                          q(p, f->name), q(p, piece))
           : apr_psprintf(p,
                          "Trường “%s” có dấu “;” trước “%s”: ứng "
                          "dụng phía sau tách tại dấu “;” sẽ đọc ra "
                          "một trường khác.",
                          q(p, f->name), q(p, piece)));
}

/* M10 */
static void add_sent_as_file(apr_pool_t *p, int en,
                             apr_array_header_t *findings,
                             const doanra_field *f)
{
    add(p, findings, f->name,
        en ? apr_psprintf(p,
                          "The field \"%s\" was sent as a file; an "
                          "application behind may read the file's "
                          "content as its value.",
                          f->name)
           : apr_psprintf(p,
                          "Trường “%s” được gửi dưới dạng tệp; ứng "
                          "dụng phía sau có thể đọc nội dung tệp làm "
                          "giá trị.",
                          f->name));
}

/* N10 */
static void add_no_equals(apr_pool_t *p, int en, apr_array_header_t *findings,
                          const doanra_field *f)
{
    add(p, findings, f->name,
        en ? apr_psprintf(p,
                          "The field \"%s\" was sent without \"=\"; "
                          "some applications behind do not read it "
                          "as a field.",
                          f->name)
           : apr_psprintf(p,
                          "Trường “%s” được gửi không có dấu “=”; "
                          "một số ứng dụng phía sau không đọc nó là "
                          "một trường.",
                          f->name));
}

/* What one pair says by itself: a name some reader takes for a field of c
 * (N1-N8, also for a file part), a marked multipart part, a field hidden
 * after a ';', a field of c sent as a file or without '='.  Returns 1 when
 * it added a finding; otherwise 0 with *key the field of c the pair is
 * (-1 for none) and *bracket set when it was sent as `x[]`. */
static int check_pair(apr_pool_t *p, const doanra_config *c,
                      const doanra_field *f, apr_array_header_t *findings,
                      int *key, int *bracket)
{
    int en = c->lang == DOANRA_LANG_EN;
    const char *piece;
    int k = exact_key(c, f->name, bracket);

    *key = -1;
    if (k < 0 && (k = reads_as(p, c, f->name)) >= 0) {
        add_reads_as(p, c, findings, f->name, k);
        return 1;
    }
    if (f->flags & DOANRA_PART_FLAGS) {
        add_irregular_part(p, en, findings, f);
        return 1;
    }
    if ((f->flags & DOANRA_FIELD_RAW_SEMICOLON) &&
        semicolon_piece(p, c, f, &piece) >= 0) {
        add_semicolon(p, en, findings, f, piece);
        return 1;
    }
    if (k < 0)
        return 0;
    if (f->is_file) {
        add_sent_as_file(p, en, findings, f);
        return 1;
    }
    if (f->flags & DOANRA_FIELD_NO_EQUALS) {
        add_no_equals(p, en, findings, f);
        return 1;
    }
    *key = k;
    return 0;
}

/* R1-R3: a single-value field sent more than once; N5: a row field sent
 * both as `x` and as `x[]`. */
static void check_repeats(apr_pool_t *p, const doanra_config *c,
                          const int *count, const int *plain,
                          const int *brackets, apr_array_header_t *findings)
{
    int en = c->lang == DOANRA_LANG_EN;
    int k;

    for (k = 0; k < DOANRA_F_COUNT; k++) {
        const char *want = c->field_names[k];
        if (!want)
            continue;
        if (!doanra_field_is_row(k) && count[k] > 1) {
            add(p, findings, want,
                en ? apr_psprintf(p,
                                  "The field \"%s\" was sent %d times; the "
                                  "application behind may take the first or "
                                  "the last value. Send it once.",
                                  want, count[k])
                   : apr_psprintf(p,
                                  "Trường “%s” được gửi %d lần; ứng dụng phía "
                                  "sau có thể lấy giá trị đầu hoặc giá trị "
                                  "cuối. Hãy chỉ gửi một lần.",
                                  want, count[k]));
        } else if (doanra_field_is_row(k) && plain[k] > 0 && brackets[k] > 0) {
            add(p, findings, want,
                en ? apr_psprintf(p,
                                  "The field \"%s\" was sent both as \"%s\" "
                                  "and as \"%s[]\"; the application behind "
                                  "may read only one of them. Use one name.",
                                  want, want, want)
                   : apr_psprintf(p,
                                  "Trường “%s” được gửi dưới cả hai tên “%s” "
                                  "và “%s[]”; ứng dụng phía sau có thể chỉ đọc "
                                  "một trong hai. Hãy dùng một tên.",
                                  want, want, want));
        }
    }
}

int doanra_form_check_fields(apr_pool_t *p, const doanra_config *c,
                             const apr_array_header_t *fields,
                             apr_array_header_t *findings)
{
    int before = findings->nelts;
    int count[DOANRA_F_COUNT] = {0}, plain[DOANRA_F_COUNT] = {0},
        brackets[DOANRA_F_COUNT] = {0};
    apr_hash_t *said = apr_hash_make(p); /* one finding per name */
    int i, k;

    if (!fields)
        return 0;
    check_field_count(p, c->lang == DOANRA_LANG_EN, fields->nelts, findings);
    for (i = 0; i < fields->nelts; i++) {
        const doanra_field *f = &APR_ARRAY_IDX(fields, i, doanra_field);
        int bracket = 0;

        if (!f->name || apr_hash_get(said, f->name, APR_HASH_KEY_STRING))
            continue;
        if (check_pair(p, c, f, findings, &k, &bracket)) {
            apr_hash_set(said, f->name, APR_HASH_KEY_STRING, f);
            continue;
        }
        if (k < 0)
            continue;
        count[k]++;
        if (bracket)
            brackets[k]++;
        else
            plain[k]++;
    }
    check_repeats(p, c, count, plain, brackets, findings);
    return findings->nelts - before;
}

/* ---- the query string (Q1) ---------------------------------------------- */

/* PHP's php_url_decode: '+' is a space, %xx a byte, a bad escape kept as
 * it is.  A NUL ends the name (PHP reads names as C strings). */
static const char *lenient_decode(apr_pool_t *p, const char *s, size_t n)
{
    char *out = apr_palloc(p, n + 1);
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        if (s[i] == '+')
            out[o++] = ' ';
        else if (s[i] == '%' && n - i >= 3 &&
                 doanra_hex_value((unsigned char)s[i + 1]) >= 0 &&
                 doanra_hex_value((unsigned char)s[i + 2]) >= 0) {
            out[o++] = (char)(doanra_hex_value((unsigned char)s[i + 1]) * 16 +
                              doanra_hex_value((unsigned char)s[i + 2]));
            i += 2;
        } else
            out[o++] = s[i];
    }
    out[o] = '\0';
    return out;
}

int doanra_form_check_query(apr_pool_t *p, const doanra_config *c,
                            const char *query, apr_array_header_t *findings)
{
    int before = findings->nelts;
    apr_hash_t *said = apr_hash_make(p);
    const char *s = query;

    if (!query)
        return 0;
    while (*s) {
        size_t n = strcspn(s, "&;");
        size_t nl = strcspn(s, "=&;");
        if (n > 0) {
            const char *name = lenient_decode(p, s, nl < n ? nl : n);
            int bracket, k = exact_key(c, name, &bracket);
            if (k < 0)
                k = reads_as(p, c, name);
            if (k >= 0 && !apr_hash_get(said, name, APR_HASH_KEY_STRING)) {
                apr_hash_set(said, name, APR_HASH_KEY_STRING, name);
                add(p, findings, name,
                    c->lang == DOANRA_LANG_EN
                        ? apr_psprintf(
                              p,
                              "The field \"%s\" is in the address (query "
                              "string); the application behind may read it "
                              "instead of the form's value. Send it in the "
                              "form only.",
                              q(p, name))
                        : apr_psprintf(
                              p,
                              "Trường “%s” nằm trong địa chỉ (query string); "
                              "ứng dụng phía sau có thể đọc nó thay cho giá "
                              "trị trong biểu mẫu. Hãy chỉ gửi trường này "
                              "trong biểu mẫu.",
                              q(p, name)));
            }
        }
        s += n;
        if (*s)
            s++;
    }
    return findings->nelts - before;
}

int doanra_form_check_ambiguity(apr_pool_t *p, const doanra_config *c,
                                const apr_array_header_t *fields,
                                const char *query, apr_array_header_t *findings)
{
    return doanra_form_check_fields(p, c, fields, findings) +
           doanra_form_check_query(p, c, query, findings);
}
