/*
 * config.c - the directives of mod_doanra (SPEC section 6): the directive
 * table, the setters that check each value, the per-server and
 * per-location configuration with its merge, and the core's view of a
 * location for one request.
 *
 * Most directives are table-driven: a setter shared by many directives
 * finds in the command_rec's cmd_data (cmd->info) what to set and what to
 * accept.
 *   keyword directives  one word of a small {keyword, value} table, e.g.
 *                       DoanraMode, DoanraLanguage (set_keyword);
 *   numbers             a whole number within a range (set_int);
 *   flags               On / Off into an int that starts UNSET
 *                       (httpd's ap_set_flag_slot), so the merge still
 *                       tells "not set here" from "Off".
 * The numbers are range-checked, which httpd's ap_set_int_slot does not
 * do (it takes any int, signs included).  The other directives
 * (DoanraMaxBody's suffixes, DoanraBlockStatus, the two-word and list
 * directives, the server-wide ones) keep a setter of their own.  Names the
 * core owns (field keys, rule ids, severities, actions) are looked up in
 * the core, which keeps their one list.
 */
#include "config.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <http_log.h>
#include <http_protocol.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

APLOG_USE_MODULE(doanra);

/* ------------------------------------------------------------------ */
/* Configuration                                                        */
/* ------------------------------------------------------------------ */

void *doanra_create_server_cfg(apr_pool_t *p, server_rec *s)
{
    doanra_server_cfg *sc = apr_pcalloc(p, sizeof(*sc));
    doanra_config_defaults(p, &sc->defaults);
    return sc;
}

void *doanra_merge_server_cfg(apr_pool_t *p, void *basev, void *addv)
{
    doanra_server_cfg *base = basev, *add = addv;
    doanra_server_cfg *sc = apr_pcalloc(p, sizeof(*sc));

    sc->conninfo = add->conninfo ? add->conninfo : base->conninfo;
    /* Locations of the main server apply to virtual hosts too. */
    sc->enabled = add->enabled || base->enabled;
    sc->defaults = base->defaults;
    sc->db_timeout = add->db_timeout ? add->db_timeout : base->db_timeout;
    sc->max_connections =
        add->max_connections ? add->max_connections : base->max_connections;
    sc->journal_dir = add->journal_dir ? add->journal_dir : base->journal_dir;
    sc->prepared = add->prepared ? add->prepared : base->prepared;
    return sc;
}

void *doanra_create_dir_cfg(apr_pool_t *p, char *dir)
{
    doanra_dir_cfg *dc = apr_pcalloc(p, sizeof(*dc));
    int i;

    dc->mode = UNSET;
    dc->max_members = dc->max_trips_per_year = dc->max_days_per_country =
        UNSET;
    dc->max_countries = dc->travel_days = dc->min_lead_days = UNSET;
    dc->region_level = UNSET;
    for (i = 0; i < DOANRA_R_COUNT; i++)
        dc->severity[i] = DOANRA_SEV_UNSET;
    dc->block_status = UNSET;
    dc->show_pass = UNSET;
    dc->lang = UNSET;
    dc->on_db_error = UNSET;
    dc->max_body = UNSET;
    dc->other_requests = UNSET;
    dc->same_origin = UNSET;
    dc->action = UNSET;
    dc->report_days = UNSET;
    return dc;
}

#define MERGE_INT(f) dc->f = (add->f != UNSET) ? add->f : base->f

void *doanra_merge_dir_cfg(apr_pool_t *p, void *basev, void *addv)
{
    const doanra_dir_cfg *base = basev, *add = addv;
    doanra_dir_cfg *dc = apr_palloc(p, sizeof(*dc));
    int i;

    MERGE_INT(mode);
    for (i = 0; i < DOANRA_F_COUNT; i++)
        dc->field_names[i] =
            add->field_names[i] ? add->field_names[i] : base->field_names[i];
    MERGE_INT(max_members);
    MERGE_INT(max_trips_per_year);
    MERGE_INT(max_days_per_country);
    MERGE_INT(max_countries);
    MERGE_INT(travel_days);
    MERGE_INT(min_lead_days);
    MERGE_INT(region_level);
    dc->titles = add->titles ? add->titles : base->titles;
    for (i = 0; i < DOANRA_R_COUNT; i++)
        dc->severity[i] = add->severity[i] != DOANRA_SEV_UNSET
                              ? add->severity[i]
                              : base->severity[i];
    dc->form_page = add->form_page ? add->form_page : base->form_page;
    MERGE_INT(block_status);
    MERGE_INT(show_pass);
    MERGE_INT(lang);
    MERGE_INT(on_db_error);
    MERGE_INT(max_body);
    MERGE_INT(other_requests);
    MERGE_INT(same_origin);
    dc->accept = add->accept ? add->accept : base->accept;
    MERGE_INT(action);
    MERGE_INT(report_days);
    return dc;
}

/* The core's view of a location: SPEC defaults overridden by what the
 * location set.  A plain struct fill; the titles were normalised when the
 * configuration was read. */
void doanra_config_resolve(request_rec *r, const doanra_dir_cfg *dc,
                           doanra_config *c)
{
    const doanra_server_cfg *sc =
        ap_get_module_config(r->server->module_config, &doanra_module);
    int i;

    *c = sc->defaults;
#define TAKE(f) if (dc->f != UNSET) c->f = dc->f
    TAKE(max_members);
    TAKE(max_trips_per_year);
    TAKE(max_days_per_country);
    TAKE(max_countries);
    TAKE(travel_days);
    TAKE(min_lead_days);
    TAKE(region_level);
    TAKE(lang);
    TAKE(report_days);
#undef TAKE
    if (dc->titles)
        c->key_leader_titles = dc->titles;
    for (i = 0; i < DOANRA_R_COUNT; i++)
        if (dc->severity[i] != DOANRA_SEV_UNSET)
            c->severity[i] = dc->severity[i];
    for (i = 0; i < DOANRA_F_COUNT; i++)
        if (dc->field_names[i])
            c->field_names[i] = dc->field_names[i];
}

/* ------------------------------------------------------------------ */
/* Directives                                                           */
/* ------------------------------------------------------------------ */

/* A whole decimal number within [min, max]; no sign, no suffix. */
static int parse_whole(const char *arg, long min, long max, long *out)
{
    char *end;
    apr_int64_t v;

    if (!arg || !apr_isdigit(*arg))
        return 0;
    errno = 0;
    v = apr_strtoi64(arg, &end, 10);
    if (*end || errno == ERANGE || v < min || v > max)
        return 0;
    *out = (long)v;
    return 1;
}

/* One numeric directive: where it goes and what it accepts. */
typedef struct {
    apr_size_t offset;
    long min, max;
} int_directive;

static const int_directive max_members_d = {
    APR_OFFSETOF(doanra_dir_cfg, max_members), 1, 1000};
static const int_directive max_trips_d = {
    APR_OFFSETOF(doanra_dir_cfg, max_trips_per_year), 1, 366};
static const int_directive max_days_d = {
    APR_OFFSETOF(doanra_dir_cfg, max_days_per_country), 1, 366};
static const int_directive max_countries_d = {
    APR_OFFSETOF(doanra_dir_cfg, max_countries), 1, 250};
static const int_directive travel_days_d = {
    APR_OFFSETOF(doanra_dir_cfg, travel_days), 0, 366};
static const int_directive min_lead_d = {
    APR_OFFSETOF(doanra_dir_cfg, min_lead_days), 0, 3660};
static const int_directive report_days_d = {
    APR_OFFSETOF(doanra_dir_cfg, report_days), 0, 3660};

static const char *set_int(cmd_parms *cmd, void *cfg, const char *arg)
{
    const int_directive *d = cmd->info;
    long v;

    if (!parse_whole(arg, d->min, d->max, &v))
        return apr_psprintf(cmd->pool,
                            "%s must be a whole number from %ld to %ld, not "
                            "'%s'",
                            cmd->cmd->name, d->min, d->max, arg);
    *(int *)((char *)cfg + d->offset) = (int)v;
    return NULL;
}

/* One word a keyword directive accepts and the value it stores. */
typedef struct {
    const char *word;
    int value;
} keyword;

/* A directive whose argument is one of a few words, in any case: the int
 * member of doanra_dir_cfg it sets and its words, in the order its error
 * message names them; the unused entries at the end stay {NULL, 0}. */
typedef struct {
    apr_size_t offset;
    keyword words[4];
} keyword_directive;

static const keyword_directive mode_d = {
    APR_OFFSETOF(doanra_dir_cfg, mode),
    {{"enforce", MODE_ENFORCE}, {"report", MODE_REPORT}, {"off", MODE_OFF}}};
static const keyword_directive region_level_d = {
    APR_OFFSETOF(doanra_dir_cfg, region_level),
    {{"subregion", DOANRA_LEVEL_SUBREGION}, {"region", DOANRA_LEVEL_REGION}}};
static const keyword_directive language_d = {
    APR_OFFSETOF(doanra_dir_cfg, lang),
    {{"vi", DOANRA_LANG_VI}, {"en", DOANRA_LANG_EN}}};
static const keyword_directive on_db_error_d = {
    APR_OFFSETOF(doanra_dir_cfg, on_db_error),
    {{"refuse", DBERR_REFUSE}, {"allow", DBERR_ALLOW}}};
static const keyword_directive other_requests_d = {
    APR_OFFSETOF(doanra_dir_cfg, other_requests),
    {{"refuse", OTHER_REFUSE}, {"pass", OTHER_PASS}}};

/* list with word, the i-th of n choices, added: "a", "a, b", "a, b or c".
 * The error messages name every value a directive accepts. */
static const char *add_choice(apr_pool_t *p, const char *list, int i, int n,
                              const char *word)
{
    if (i == 0)
        return word;
    return apr_pstrcat(p, list, i + 1 < n ? ", " : " or ", word, NULL);
}

static const char *set_keyword(cmd_parms *cmd, void *cfg, const char *arg)
{
    const keyword_directive *d = cmd->info;
    const int max = (int)(sizeof(d->words) / sizeof(d->words[0]));
    const char *choices = "";
    int i, n;

    for (n = 0; n < max && d->words[n].word; n++)
        if (!strcasecmp(arg, d->words[n].word)) {
            *(int *)((char *)cfg + d->offset) = d->words[n].value;
            return NULL;
        }
    for (i = 0; i < n; i++)
        choices = add_choice(cmd->pool, choices, i, n, d->words[i].word);
    return apr_psprintf(cmd->pool, "%s must be %s, not '%s'", cmd->cmd->name,
                        choices, arg);
}

/* DoanraMode: a keyword that also tells check_config the server needs a
 * database. */
static const char *set_mode(cmd_parms *cmd, void *cfg, const char *arg)
{
    doanra_dir_cfg *dc = cfg;
    doanra_server_cfg *sc =
        ap_get_module_config(cmd->server->module_config, &doanra_module);
    const char *err = set_keyword(cmd, cfg, arg);

    if (err)
        return err;
    if (dc->mode != MODE_OFF)
        sc->enabled = 1;
    return NULL;
}

/* DoanraAction: the core's names of the steps, matched exactly as the
 * core matches them. */
static const char *set_action(cmd_parms *cmd, void *cfg, const char *arg)
{
    doanra_dir_cfg *dc = cfg;
    int a = doanra_action_lookup(arg);
    const char *choices = "";
    int i;

    if (a < 0) {
        for (i = 0; i < DOANRA_ACT_COUNT; i++)
            choices = add_choice(cmd->pool, choices, i, DOANRA_ACT_COUNT,
                                 doanra_action_name(i));
        return apr_psprintf(cmd->pool, "%s must be %s, not '%s'",
                            cmd->cmd->name, choices, arg);
    }
    dc->action = a;
    return NULL;
}

static const char *set_database(cmd_parms *cmd, void *cfg, const char *arg)
{
    doanra_server_cfg *sc =
        ap_get_module_config(cmd->server->module_config, &doanra_module);
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);

    if (err)
        return apr_pstrcat(cmd->pool, "DoanraDatabase: ", err, NULL);
    if (!*arg)
        return "DoanraDatabase needs a libpq conninfo string, e.g. "
               "\"host=127.0.0.1 dbname=doanra user=doanra_module\"";
    sc->conninfo = arg;
    return NULL;
}

/* "a, b, c": every name of a catalogue, for configtest messages. */
static const char *join_names(apr_pool_t *p, const char *(*name)(int), int n)
{
    const char *all = name(0);
    int i;

    for (i = 1; i < n; i++)
        all = apr_pstrcat(p, all, ", ", name(i), NULL);
    return all;
}

static const char *set_field(cmd_parms *cmd, void *cfg, const char *key,
                             const char *name)
{
    doanra_dir_cfg *dc = cfg;
    int k = doanra_field_key_lookup(key);

    if (k < 0)
        return apr_psprintf(cmd->pool,
                            "DoanraField: unknown field '%s'; KEY must be one "
                            "of %s",
                            key,
                            join_names(cmd->pool, doanra_field_default_name,
                                       DOANRA_F_COUNT));
    if (!*name)
        return "DoanraField: NAME must not be empty";
    dc->field_names[k] = name;
    return NULL;
}

/* ITERATE: the first title given in a section replaces the inherited list,
 * the following ones (on the same line or later lines) add to it. */
static const char *add_title(cmd_parms *cmd, void *cfg, const char *arg)
{
    doanra_dir_cfg *dc = cfg;
    const char *norm = doanra_text_norm(cmd->pool, arg);

    if (!*norm)
        return "DoanraKeyLeaderTitle needs non-empty titles in UTF-8, e.g. "
               "DoanraKeyLeaderTitle \"Giám đốc\" \"Chủ tịch\"";
    if (!dc->titles)
        dc->titles = apr_array_make(cmd->pool, 8, sizeof(const char *));
    APR_ARRAY_PUSH(dc->titles, const char *) = norm;
    return NULL;
}

static const char *set_severity(cmd_parms *cmd, void *cfg, const char *id,
                                const char *sev)
{
    doanra_dir_cfg *dc = cfg;
    int rule = doanra_rule_lookup(id);
    int s;

    if (rule < 0)
        return apr_psprintf(cmd->pool,
                            "DoanraRuleSeverity: unknown rule '%s'; ID must "
                            "be one of %s",
                            id,
                            join_names(cmd->pool, doanra_rule_name,
                                       DOANRA_R_COUNT));
    s = doanra_severity_lookup(sev);
    if (s < 0)
        return apr_psprintf(cmd->pool,
                            "DoanraRuleSeverity: the severity must be error, "
                            "warning or off, not '%s'",
                            sev);
    dc->severity[rule] = s;
    return NULL;
}

static const char *set_form_page(cmd_parms *cmd, void *cfg, const char *arg)
{
    doanra_dir_cfg *dc = cfg;

    if (arg[0] != '/' || arg[1] == '/')
        return apr_psprintf(cmd->pool,
                            "DoanraFormPage must be a URL path on this server "
                            "starting with /, not '%s'",
                            arg);
    dc->form_page = arg;
    return NULL;
}

static const char *set_block_status(cmd_parms *cmd, void *cfg,
                                    const char *arg)
{
    doanra_dir_cfg *dc = cfg;
    long v;

    /* Apache answers an unknown code as 500: accept only codes it knows. */
    if (!parse_whole(arg, 400, 599, &v) ||
        atoi(ap_get_status_line((int)v)) != (int)v)
        return apr_psprintf(cmd->pool,
                            "DoanraBlockStatus must be an HTTP error status "
                            "from 400 to 599 that Apache knows (e.g. 422), "
                            "not '%s'",
                            arg);
    dc->block_status = (int)v;
    return NULL;
}

/* Bytes, optionally with a K, M or G suffix (powers of 1024). */
static const char *set_max_body(cmd_parms *cmd, void *cfg, const char *arg)
{
    doanra_dir_cfg *dc = cfg;
    const apr_off_t lo = 1024, hi = (apr_off_t)1024 * 1024 * 1024;
    apr_int64_t v = -1, mul = 1;
    char *end = NULL;

    if (apr_isdigit(*arg)) {
        errno = 0;
        v = apr_strtoi64(arg, &end, 10);
        if (errno == ERANGE)
            v = -1;
        else if (*end && !end[1]) {
            switch (apr_toupper(*end)) {
            case 'K': mul = 1024; break;
            case 'M': mul = 1024 * 1024; break;
            case 'G': mul = 1024 * 1024 * 1024; break;
            default: v = -1;
            }
        } else if (*end)
            v = -1;
    }
    if (v >= 0 && v <= hi)
        v *= mul;
    else
        v = -1;
    if (v < lo || v > hi)
        return apr_psprintf(cmd->pool,
                            "DoanraMaxBody must be a number of bytes from "
                            "1024 to 1073741824 (suffix K, M or G allowed), "
                            "not '%s'",
                            arg);
    dc->max_body = (apr_off_t)v;
    return NULL;
}

/* ITERATE: CODE or LO-HI, 100-599.  The first value in a section replaces
 * the inherited list, like DoanraKeyLeaderTitle. */
static const char *add_accept_status(cmd_parms *cmd, void *cfg,
                                     const char *arg)
{
    doanra_dir_cfg *dc = cfg;
    const char *dash = strchr(arg, '-');
    long lo, hi;
    int ok;
    status_range *sr;

    if (dash) {
        char *first = apr_pstrmemdup(cmd->temp_pool, arg,
                                     (apr_size_t)(dash - arg));
        ok = parse_whole(first, 100, 599, &lo) &&
             parse_whole(dash + 1, 100, 599, &hi) && lo <= hi;
    } else {
        ok = parse_whole(arg, 100, 599, &lo);
        hi = lo;
    }
    if (!ok)
        return apr_psprintf(cmd->pool,
                            "DoanraAcceptStatus takes HTTP statuses from 100 "
                            "to 599, each a CODE or a range LOW-HIGH (e.g. "
                            "DoanraAcceptStatus 200-299 303), not '%s'",
                            arg);
    if (!dc->accept)
        dc->accept = apr_array_make(cmd->pool, 4, sizeof(status_range));
    sr = apr_array_push(dc->accept);
    sr->lo = (int)lo;
    sr->hi = (int)hi;
    return NULL;
}

/* ---- The database: DoanraDatabaseTimeout, DoanraMaxConnections,
 *      DoanraPreparedStatements, DoanraJournal */

static const char *set_db_timeout(cmd_parms *cmd, void *cfg, const char *arg)
{
    doanra_server_cfg *sc =
        ap_get_module_config(cmd->server->module_config, &doanra_module);
    char *end;
    double secs;

    errno = 0;
    secs = strtod(arg, &end);
    if (errno || end == arg || *end || !(secs >= 0.1 && secs <= 3600))
        return apr_psprintf(cmd->pool,
                            "DoanraDatabaseTimeout takes seconds from 0.1 to "
                            "3600 (e.g. 5 or 2.5), not '%s'",
                            arg);
    sc->db_timeout = (apr_interval_time_t)(secs * APR_USEC_PER_SEC);
    return NULL;
}

static const char *set_max_connections(cmd_parms *cmd, void *cfg,
                                       const char *arg)
{
    doanra_server_cfg *sc =
        ap_get_module_config(cmd->server->module_config, &doanra_module);
    long n;

    if (!parse_whole(arg, 1, 1000, &n))
        return apr_psprintf(cmd->pool,
                            "DoanraMaxConnections takes a whole number of "
                            "connections per process from 1 to 1000, not "
                            "'%s'",
                            arg);
    sc->max_connections = (int)n;
    return NULL;
}

static const char *set_prepared(cmd_parms *cmd, void *cfg, int on)
{
    doanra_server_cfg *sc =
        ap_get_module_config(cmd->server->module_config, &doanra_module);

    sc->prepared = on ? 1 : -1;
    return NULL;
}

static const char *set_journal(cmd_parms *cmd, void *cfg, const char *arg)
{
    doanra_server_cfg *sc =
        ap_get_module_config(cmd->server->module_config, &doanra_module);

    if (!*arg)
        return "DoanraJournal takes a directory, e.g. /var/lib/apache2/doanra";
    sc->journal_dir = ap_server_root_relative(cmd->pool, arg);
    if (!sc->journal_dir)
        return apr_psprintf(cmd->pool, "DoanraJournal: invalid path '%s'", arg);
    return NULL;
}

#define DIR_CTX (RSRC_CONF | ACCESS_CONF)

const command_rec doanra_cmds[] = {
    AP_INIT_TAKE1("DoanraMode", set_mode, (void *)&mode_d, DIR_CTX,
                  "enforce, report or off: what to do with form submissions"),
    AP_INIT_TAKE1("DoanraDatabase", set_database, NULL, RSRC_CONF,
                  "libpq conninfo of the doanra database"),
    AP_INIT_TAKE2("DoanraField", set_field, NULL, DIR_CTX,
                  "KEY NAME: the form's own name for a default field name"),
    AP_INIT_TAKE1("DoanraMaxMembers", set_int, (void *)&max_members_d,
                  DIR_CTX, "most members in one delegation (10)"),
    AP_INIT_TAKE1("DoanraMaxTripsPerYear", set_int, (void *)&max_trips_d,
                  DIR_CTX, "most trips a key leader makes in a year (2)"),
    AP_INIT_TAKE1("DoanraMaxDaysPerCountry", set_int, (void *)&max_days_d,
                  DIR_CTX, "most days in each country (3)"),
    AP_INIT_TAKE1("DoanraMaxCountries", set_int, (void *)&max_countries_d,
                  DIR_CTX, "most countries in one trip (3)"),
    AP_INIT_TAKE1("DoanraTravelDays", set_int, (void *)&travel_days_d,
                  DIR_CTX, "travel days allowed before, between and after "
                           "legs (2)"),
    AP_INIT_TAKE1("DoanraRegionLevel", set_keyword, (void *)&region_level_d,
                  DIR_CTX,
                  "subregion or region: how close countries must be"),
    AP_INIT_ITERATE("DoanraKeyLeaderTitle", add_title, NULL, DIR_CTX,
                    "positions whose holders are key leaders"),
    AP_INIT_TAKE2("DoanraRuleSeverity", set_severity, NULL, DIR_CTX,
                  "ID error|warning|off: a rule's severity"),
    AP_INIT_TAKE1("DoanraFormPage", set_form_page, NULL, DIR_CTX,
                  "URL path of the form page shown again, refilled, when a "
                  "submission is blocked"),
    AP_INIT_TAKE1("DoanraBlockStatus", set_block_status, NULL, DIR_CTX,
                  "HTTP status of a blocked submission (422)"),
    AP_INIT_FLAG("DoanraShowPass", ap_set_flag_slot,
                 (void *)APR_OFFSETOF(doanra_dir_cfg, show_pass), DIR_CTX,
                 "show the result block on passing submissions too"),
    AP_INIT_TAKE1("DoanraLanguage", set_keyword, (void *)&language_d, DIR_CTX,
                  "vi or en: language of messages and pages"),
    AP_INIT_TAKE1("DoanraOnDatabaseError", set_keyword, (void *)&on_db_error_d,
                  DIR_CTX,
                  "refuse or allow: what to do when the database is down"),
    AP_INIT_TAKE1("DoanraMaxBody", set_max_body, NULL, DIR_CTX,
                  "largest request body read, in bytes (1048576)"),
    AP_INIT_TAKE1("DoanraMinLeadDays", set_int, (void *)&min_lead_d, DIR_CTX,
                  "days a submission must precede departure (0: off)"),
    AP_INIT_TAKE1("DoanraOtherRequests", set_keyword, (void *)&other_requests_d,
                  DIR_CTX,
                  "refuse or pass: bodies that are not a POSTed form at an "
                  "enforce location"),
    AP_INIT_FLAG("DoanraSameOrigin", ap_set_flag_slot,
                 (void *)APR_OFFSETOF(doanra_dir_cfg, same_origin), DIR_CTX,
                 "refuse cross-site POSTs at an enforce location (on)"),
    AP_INIT_TAKE1("DoanraAction", set_action, NULL, DIR_CTX,
                  "register, amend, cancel, reject, approve or report: what "
                  "the location's form does to a trip"),
    AP_INIT_TAKE1("DoanraReportDays", set_int, (void *)&report_days_d,
                  DIR_CTX, "days after return within which the report on "
                           "results is due (10)"),
    AP_INIT_ITERATE("DoanraAcceptStatus", add_accept_status, NULL, DIR_CTX,
                    "backend statuses (CODE or LOW-HIGH) that mean the "
                    "application accepted the trip (200-399)"),
    AP_INIT_TAKE1("DoanraDatabaseTimeout", set_db_timeout, NULL, RSRC_CONF,
                  "seconds any request waits on the database at most (5)"),
    AP_INIT_TAKE1("DoanraMaxConnections", set_max_connections, NULL,
                  RSRC_CONF, "database connections per process at most (4)"),
    AP_INIT_FLAG("DoanraPreparedStatements", set_prepared, NULL, RSRC_CONF,
                 "On: statements prepared once per database connection, "
                 "timeouts set per session (default); Off: nothing kept in "
                 "the session, for a pooler in transaction mode"),
    AP_INIT_TAKE1("DoanraJournal", set_journal, NULL, RSRC_CONF,
                  "directory of the journal of submissions and settles the "
                  "database could not take (doanra/ in the runtime "
                  "directory)"),
    {NULL}};
