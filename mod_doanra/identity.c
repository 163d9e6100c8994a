/*
 * identity.c - who is who: the registry of units and officials, normalised
 * once, and the resolution of a trip's sending unit and members against it
 * (SPEC section 3, "Person identity" and rule `identity`).
 *
 * A key leader's quota is only as good as the key it is counted under.
 * Codes are compared in their normal form (doanra_text_code_norm), names in
 * theirs (doanra_text_norm), on both sides: the registry holds what admins
 * typed.  A member is the registered official whose normalised name and
 * unit are theirs (when exactly one is), whatever tv_ma says; else the
 * official tv_ma names; else a person known by their own code, or by name
 * and unit.  So leaving the code out, inventing one, or borrowing a
 * deputy's does not make a leader somebody else.
 *
 * Pure: no I/O.  The store loads the registry (a per-process cache, see
 * store.c), and the rule in rules.c reports what this file found.  What a
 * member is keyed and recorded under comes from here only: the identity
 * string (doanra_member.identity) and the code (doanra_member_code).
 */
#include "doanra.h"

#include <apr_hash.h>
#include <string.h>

/* Officials sharing a normalised name in one unit. */
typedef struct {
    const doanra_official *first;
    int count;
} named;

struct doanra_registry {
    apr_pool_t *pool;
    apr_array_header_t *units;     /* doanra_unit * */
    apr_array_header_t *officials; /* doanra_official * */
    apr_hash_t *unit_code, *unit_name, *official_code, *official_name;
};

doanra_registry *doanra_registry_make(apr_pool_t *p)
{
    doanra_registry *reg = apr_pcalloc(p, sizeof(*reg));
    reg->pool = p;
    reg->units = apr_array_make(p, 16, sizeof(doanra_unit *));
    reg->officials = apr_array_make(p, 64, sizeof(doanra_official *));
    reg->unit_code = apr_hash_make(p);
    reg->unit_name = apr_hash_make(p);
    reg->official_code = apr_hash_make(p);
    reg->official_name = apr_hash_make(p);
    return reg;
}

static const char *copy_or_null(apr_pool_t *p, const char *s)
{
    return s ? apr_pstrdup(p, s) : NULL;
}

/* Add key -> v unless key is empty or taken (the first row wins). */
static void put(apr_hash_t *h, const char *key, const void *v)
{
    if (*key && !apr_hash_get(h, key, APR_HASH_KEY_STRING))
        apr_hash_set(h, key, APR_HASH_KEY_STRING, v);
}

void doanra_registry_add_unit(doanra_registry *reg, const char *code,
                              const char *name)
{
    doanra_unit *u;

    if (!reg || !code)
        return;
    u = apr_pcalloc(reg->pool, sizeof(*u));
    u->code = apr_pstrdup(reg->pool, code);
    u->name = apr_pstrdup(reg->pool, name ? name : "");
    u->code_norm = doanra_text_code_norm(reg->pool, u->code);
    u->name_norm = doanra_text_norm(reg->pool, u->name);
    APR_ARRAY_PUSH(reg->units, doanra_unit *) = u;
    put(reg->unit_code, u->code_norm, u);
    put(reg->unit_name, u->name_norm, u);
}

void doanra_registry_add_official(doanra_registry *reg, const char *code,
                                  const char *full_name, const char *unit_code,
                                  const char *position, int is_key_leader)
{
    doanra_official *o;
    named *n;
    const char *key;

    if (!reg || !code)
        return;
    o = apr_pcalloc(reg->pool, sizeof(*o));
    o->code = apr_pstrdup(reg->pool, code);
    o->full_name = apr_pstrdup(reg->pool, full_name ? full_name : "");
    o->unit_code = copy_or_null(reg->pool, unit_code);
    o->position = copy_or_null(reg->pool, position);
    o->is_key_leader = is_key_leader ? 1 : 0;
    o->code_norm = doanra_text_code_norm(reg->pool, o->code);
    o->name_norm = doanra_text_norm(reg->pool, o->full_name);
    o->unit_norm = doanra_text_code_norm(reg->pool, o->unit_code);
    APR_ARRAY_PUSH(reg->officials, doanra_official *) = o;
    put(reg->official_code, o->code_norm, o);
    if (!*o->name_norm || !*o->unit_norm)
        return; /* found by code only */
    key = apr_pstrcat(reg->pool, o->name_norm, "\n", o->unit_norm, NULL);
    n = apr_hash_get(reg->official_name, key, APR_HASH_KEY_STRING);
    if (!n) {
        n = apr_pcalloc(reg->pool, sizeof(*n));
        n->first = o;
        apr_hash_set(reg->official_name, key, APR_HASH_KEY_STRING, n);
    }
    n->count++;
}

int doanra_registry_units(const doanra_registry *reg)
{
    return reg ? reg->units->nelts : 0;
}

int doanra_registry_officials(const doanra_registry *reg)
{
    return reg ? reg->officials->nelts : 0;
}

static const void *get(const apr_hash_t *h, const char *key)
{
    if (!key || !*key)
        return NULL;
    return apr_hash_get((apr_hash_t *)h, key, APR_HASH_KEY_STRING);
}

const doanra_unit *doanra_registry_unit_by_code(apr_pool_t *p,
                                                const doanra_registry *reg,
                                                const char *code)
{
    if (!reg || !code)
        return NULL;
    return get(reg->unit_code, doanra_text_code_norm(p, code));
}

const doanra_unit *doanra_registry_unit_by_name(apr_pool_t *p,
                                                const doanra_registry *reg,
                                                const char *name)
{
    if (!reg || !name)
        return NULL;
    return get(reg->unit_name, doanra_text_norm(p, name));
}

const doanra_official *
doanra_registry_official_by_code(apr_pool_t *p, const doanra_registry *reg,
                                 const char *code)
{
    if (!reg || !code)
        return NULL;
    return get(reg->official_code, doanra_text_code_norm(p, code));
}

int doanra_registry_officials_named(apr_pool_t *p, const doanra_registry *reg,
                                    const char *name_norm,
                                    const char *unit_norm,
                                    const doanra_official **first)
{
    const named *n;

    *first = NULL;
    if (!reg || !name_norm || !*name_norm || !unit_norm || !*unit_norm)
        return 0;
    n = get(reg->official_name,
            apr_pstrcat(p, name_norm, "\n", unit_norm, NULL));
    if (!n)
        return 0;
    *first = n->first;
    return n->count;
}

/* ------------------------------------------------------------------ */
/* Resolving a trip                                                     */
/* ------------------------------------------------------------------ */

/* A copy in the request's pool: the registry may be replaced meanwhile. */
static const doanra_official *keep(apr_pool_t *p, const doanra_official *o)
{
    doanra_official *c;
    if (!o)
        return NULL;
    c = apr_pmemdup(p, o, sizeof(*o));
    c->code = apr_pstrdup(p, o->code);
    c->full_name = apr_pstrdup(p, o->full_name);
    c->unit_code = copy_or_null(p, o->unit_code);
    c->position = copy_or_null(p, o->position);
    c->code_norm = apr_pstrdup(p, o->code_norm);
    c->name_norm = apr_pstrdup(p, o->name_norm);
    c->unit_norm = apr_pstrdup(p, o->unit_norm);
    return c;
}

static int given(const char *s)
{
    return s && *s;
}

/* The sending unit: ma_don_vi (or a code resolved earlier), else the unit
 * whose normalised name is don_vi's.  Sets the trip's unit_code,
 * unit_registry_name and unit_name_conflict and *su (NULL when not in the
 * registry); returns the unit key of members without a unit of their own
 * ("" when the trip names no unit). */
static const char *resolve_sending_unit(apr_pool_t *p, doanra_trip *t,
                                        const doanra_registry *reg,
                                        const doanra_unit **su, int *misses)
{
    const char *send_key = "", *code;

    *su = NULL;
    code = given(t->ma_don_vi) ? t->ma_don_vi : t->unit_code;
    if (given(code)) {
        *su = doanra_registry_unit_by_code(p, reg, code);
        if (reg && !*su)
            (*misses)++;
        send_key = *su ? (*su)->code_norm : doanra_text_code_norm(p, code);
        t->unit_code = *su ? apr_pstrdup(p, (*su)->code) : code;
        if (*su && given(t->ma_don_vi) && given(t->unit_norm) &&
            strcmp((*su)->name_norm, t->unit_norm) != 0)
            t->unit_name_conflict = apr_pstrdup(p, (*su)->name);
    } else if (given(t->unit_norm)) {
        *su = reg ? get(reg->unit_name, t->unit_norm) : NULL;
        if (reg && !*su)
            (*misses)++;
        send_key = *su ? (*su)->code_norm : t->unit_norm;
        if (*su)
            t->unit_code = apr_pstrdup(p, (*su)->code);
    }
    if (!*su)
        return send_key;
    t->unit_registry_name = apr_pstrdup(p, (*su)->name);
    return apr_pstrdup(p, send_key);
}

/* The member's unit: tv_don_vi (by name, else by code), else the sending
 * unit su.  Sets *mu (NULL when not in the registry) and returns the
 * member's unit key. */
static const char *member_unit(apr_pool_t *p, const doanra_member *m,
                               const doanra_registry *reg,
                               const doanra_unit *su, const char *send_key,
                               const doanra_unit **mu, int *misses)
{
    *mu = su;
    if (!given(m->unit_norm))
        return send_key;
    *mu = NULL;
    if (reg) {
        *mu = get(reg->unit_name, m->unit_norm);
        if (!*mu)
            *mu = get(reg->unit_code, doanra_text_code_norm(p, m->unit_norm));
        if (!*mu)
            (*misses)++;
    }
    return *mu ? apr_pstrdup(p, (*mu)->code_norm) : m->unit_norm;
}

/* The person-identity string of SPEC section 3 (doanra_member.identity):
 * "c:" + the registered official's normalised code, else "c:" + the
 * normalised tv_ma, else "n:" + normalised name + "|" + unit key. */
static const char *identity_of(apr_pool_t *p, const doanra_official *off,
                               const char *code_norm, const char *name_norm,
                               const char *unit_key)
{
    if (off)
        return apr_pstrcat(p, "c:", off->code_norm, NULL);
    if (*code_norm)
        return apr_pstrcat(p, "c:", code_norm, NULL);
    return apr_pstrcat(p, "n:", name_norm, "|", unit_key, NULL);
}

/* Who member m is: the one official of that name in the member's unit,
 * else the official tv_ma names, else nobody in the registry; sets the
 * registry facts, what rule `identity` reports and the identity. */
static void resolve_member(apr_pool_t *p, doanra_member *m,
                           const doanra_registry *reg, const doanra_unit *su,
                           const char *send_key, int *misses)
{
    const doanra_unit *mu;
    const doanra_official *byname = NULL, *bycode = NULL, *off = NULL;
    const char *unit_key, *code_norm = "";
    const char *name_norm = m->name_norm ? m->name_norm : "";

    if (given(m->code))
        code_norm = doanra_text_code_norm(p, m->code);
    unit_key = member_unit(p, m, reg, su, send_key, &mu, misses);

    if (reg && mu && *name_norm) {
        const doanra_official *first;
        if (doanra_registry_officials_named(p, reg, name_norm, mu->code_norm,
                                            &first) == 1)
            byname = first;
    }
    if (reg && *code_norm) {
        bycode = get(reg->official_code, code_norm);
        if (!bycode)
            (*misses)++;
    }

    m->identity_issue = DOANRA_ID_OK;
    m->code_owner = NULL;
    if (byname) {
        /* Name and unit say who it is; a code that disagrees is a typo, an
         * invention or someone else's. */
        off = byname;
        if (*code_norm && strcmp(code_norm, byname->code_norm) != 0) {
            m->identity_issue = DOANRA_ID_CODE_NOT_THEIRS;
            m->code_owner = keep(p, bycode);
        }
    } else if (bycode) {
        off = bycode;
        if (*name_norm && strcmp(name_norm, bycode->name_norm) != 0) {
            m->identity_issue = DOANRA_ID_CODE_OTHER_NAME;
            m->code_owner = keep(p, bycode);
        }
    }
    m->official = keep(p, off);
    m->registry_found = off != NULL;
    m->registry_key_leader = off ? off->is_key_leader : 0;
    m->registry_unit_code = off ? copy_or_null(p, off->unit_code) : NULL;
    m->identity = identity_of(p, off, code_norm, name_norm, unit_key);
}

int doanra_trip_resolve_identity(apr_pool_t *p, doanra_trip *t,
                                 const doanra_registry *reg)
{
    const doanra_unit *su;
    const char *send_key;
    int misses = 0, i;

    if (!t)
        return 0;
    t->registry_checked = reg != NULL;
    t->unit_registry_name = NULL;
    t->unit_name_conflict = NULL;

    send_key = resolve_sending_unit(p, t, reg, &su, &misses);
    for (i = 0; t->members && i < t->members->nelts; i++)
        resolve_member(p, &APR_ARRAY_IDX(t->members, i, doanra_member), reg, su,
                       send_key, &misses);
    return misses;
}

const char *doanra_member_code(const doanra_member *m)
{
    if (!m)
        return NULL;
    if (m->official)
        return m->official->code;
    return given(m->code) ? m->code : NULL;
}
