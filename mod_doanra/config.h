/*
 * config.h - the configuration of mod_doanra: what the directives set per
 * server and per location, how a location inherits from the sections
 * around it, and the core's view of a location for one request.
 *
 * The directive table and every setter are in config.c; the hooks
 * (mod_doanra.c) read these structs and parse no directive themselves.
 * Only mod_doanra.c and config.c include it.
 */
#ifndef DOANRA_CONFIG_H
#define DOANRA_CONFIG_H

#include "doanra.h"
#include "journal.h"
#include "settle.h"
#include "store.h"

#include <httpd.h>
#include <http_config.h>

/* A per-location member no directive has set: the merge takes the
 * parent's value, the request the default. */
#define UNSET (-1)

#define DEFAULT_MAX_BODY ((apr_off_t)1048576)
#define DEFAULT_BLOCK_STATUS 422

typedef enum { MODE_OFF = 0, MODE_REPORT = 1, MODE_ENFORCE = 2 } doanra_mode;
typedef enum { DBERR_REFUSE = 0, DBERR_ALLOW = 1 } doanra_dberr;
typedef enum { OTHER_REFUSE = 0, OTHER_PASS = 1 } doanra_other;

/* Per server.  `enabled` is set while the configuration is read, by every
 * DoanraMode enforce|report in the server's sections, so check_config can
 * refuse a server that needs a database and has none.  The store and the
 * fallback country table are per process, set in child_init. */
typedef struct {
    const char *conninfo;  /* DoanraDatabase, NULL when not given */
    int enabled;
    doanra_config defaults; /* SPEC defaults, titles normalised once */
    doanra_store *store;
    const doanra_countries *countries_fallback;
    /* The database's faults (SPEC section 5): 0 / NULL = unset, defaults
     * in child_init. */
    apr_interval_time_t db_timeout; /* DoanraDatabaseTimeout */
    int max_connections;            /* DoanraMaxConnections */
    int prepared; /* DoanraPreparedStatements: 0 unset, 1 on, -1 off */
    const char *journal_dir;        /* DoanraJournal */
    const char *journal_path;       /* its sub-directory for conninfo */
    doanra_journal *journal;        /* per process, with the store */
    doanra_settler *settler;        /* per process, with the store */
} doanra_server_cfg;

/* Per directory / location.  Every member is "unset" until a directive
 * sets it, so the merge takes the child's value when set, else the
 * parent's; defaults apply when a request resolves the configuration. */
typedef struct {
    int mode;
    const char *field_names[DOANRA_F_COUNT];
    int max_members, max_trips_per_year, max_days_per_country;
    int max_countries, travel_days, min_lead_days;
    int region_level;
    apr_array_header_t *titles; /* normalised, NULL = inherit */
    int severity[DOANRA_R_COUNT];
    const char *form_page;
    int block_status;
    int show_pass;
    int lang;
    int on_db_error;
    apr_off_t max_body;
    int other_requests; /* DoanraOtherRequests: OTHER_REFUSE / OTHER_PASS */
    int same_origin;    /* DoanraSameOrigin flag */
    apr_array_header_t *accept; /* DoanraAcceptStatus: status_range, NULL =
                                   inherit (default 200-399) */
    int action;      /* DoanraAction: doanra_action_t, UNSET = register */
    int report_days; /* DoanraReportDays */
} doanra_dir_cfg;

/* One CODE or LO-HI of DoanraAcceptStatus. */
typedef struct {
    int lo, hi;
} status_range;

/* The module's directives (AP_DECLARE_MODULE). */
extern const command_rec doanra_cmds[];

/* Create and merge, per server and per directory (AP_DECLARE_MODULE). */
void *doanra_create_server_cfg(apr_pool_t *p, server_rec *s);
void *doanra_merge_server_cfg(apr_pool_t *p, void *basev, void *addv);
void *doanra_create_dir_cfg(apr_pool_t *p, char *dir);
void *doanra_merge_dir_cfg(apr_pool_t *p, void *basev, void *addv);

/* The core's view of a location for r: the server's SPEC defaults
 * overridden by what the location set. */
void doanra_config_resolve(request_rec *r, const doanra_dir_cfg *dc,
                           doanra_config *c);

/* ---- What the hooks read of a location, defaults applied ------------ */

static inline void resolve_config(request_rec *r, const doanra_dir_cfg *dc,
                                  doanra_config *c)
{
    doanra_config_resolve(r, dc, c);
}

static inline int dir_mode(const doanra_dir_cfg *dc)
{
    return dc->mode == UNSET ? MODE_OFF : dc->mode;
}

static inline apr_off_t dir_max_body(const doanra_dir_cfg *dc)
{
    return dc->max_body == UNSET ? DEFAULT_MAX_BODY : dc->max_body;
}

static inline int dir_block_status(const doanra_dir_cfg *dc)
{
    return dc->block_status == UNSET ? DEFAULT_BLOCK_STATUS : dc->block_status;
}

#endif /* DOANRA_CONFIG_H */
