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

/* The officials by one key, open addressing with linear probing: slot i
 * is empty (o[i] == NULL) or holds the first official added under its key
 * and, for the name index, how many share it.  The key is read from the
 * official itself, so an entry costs a pointer (and a count) instead of
 * apr_hash_t's entry and key string: a few hundred KiB less per registry
 * of 5 000 officials. */
typedef struct {
    const doanra_official **o;
    int *count;    /* the name index only */
    unsigned mask; /* slots - 1, slots a power of two */
    unsigned used;
    int named; /* keyed by name_norm and unit_norm, else by code_norm */
} index_t;

struct doanra_registry {
    apr_pool_t *pool;
    /* The normalisers' working buffers (UTF-16 copies, one per step) for
     * the row being added, cleared after each row: only the normal forms
     * themselves stay in pool.  A registry of 5 000 officials lives once
     * per Apache child, twice while it reloads. */
    apr_pool_t *scratch;
    /* Unit codes and their normal forms, one copy each: 5 000 officials
     * share a few hundred units. */
    apr_hash_t *strings;
    int units, officials;
    int shared_codes;           /* normal forms of codes of several rows */
    const char *shared_example; /* the first of them, as stored */
    apr_hash_t *unit_code, *unit_name;
    index_t by_code; /* code_norm */
    index_t by_name; /* name_norm and unit_norm, both non-empty */
};

doanra_registry *doanra_registry_make(apr_pool_t *p)
{
    doanra_registry *reg = apr_pcalloc(p, sizeof(*reg));
    reg->pool = p;
    if (apr_pool_create(&reg->scratch, p) != APR_SUCCESS)
        reg->scratch = p; /* only costs memory */
    reg->strings = apr_hash_make(p);
    reg->unit_code = apr_hash_make(p);
    reg->unit_name = apr_hash_make(p);
    reg->by_name.named = 1;
    return reg;
}

static const char *copy_or_null(apr_pool_t *p, const char *s)
{
    return s ? apr_pstrdup(p, s) : NULL;
}

/* The registry's one copy of s (NULL stays NULL). */
static const char *intern(doanra_registry *reg, const char *s)
{
    const char *c;
    if (!s)
        return NULL;
    c = apr_hash_get(reg->strings, s, APR_HASH_KEY_STRING);
    if (!c) {
        c = apr_pstrdup(reg->pool, s);
        apr_hash_set(reg->strings, c, APR_HASH_KEY_STRING, c);
    }
    return c;
}

/* A normal form kept in the registry: the text itself when normalising
 * changed nothing (an ASCII code typed in lower case), else a copy out of
 * the scratch pool. */
static const char *keep_norm(doanra_registry *reg, const char *norm,
                             const char *text)
{
    if (text && strcmp(norm, text) == 0)
        return text;
    return apr_pstrdup(reg->pool, norm);
}

/* n bytes of s (its '\0' included) copied to *at, which moves past them. */
static const char *take(char **at, const char *s, apr_size_t n)
{
    char *c = memcpy(*at, s, n);
    *at += n;
    return c;
}

/* The scratch pool is cleared after each row; a registry made on a pool
 * that could not have a child uses that pool itself. */
static void scratch_done(doanra_registry *reg)
{
    if (reg->scratch != reg->pool)
        apr_pool_clear(reg->scratch);
}

/* FNV-1a over the key's strings, each followed by a '\n' (which no normal
 * form contains), so that ("ab", "c") and ("a", "bc") differ. */
static unsigned hash2(const char *a, const char *b)
{
    unsigned h = 2166136261u;
    for (; *a; a++)
        h = (h ^ (unsigned char)*a) * 16777619u;
    h = (h ^ '\n') * 16777619u;
    for (; b && *b; b++)
        h = (h ^ (unsigned char)*b) * 16777619u;
    return b ? (h ^ '\n') * 16777619u : h;
}

static int same_key(const index_t *x, const doanra_official *o, const char *a,
                    const char *b)
{
    if (!x->named)
        return strcmp(o->code_norm, a) == 0;
    return strcmp(o->name_norm, a) == 0 && strcmp(o->unit_norm, b) == 0;
}

static unsigned hash_of(const index_t *x, const doanra_official *o)
{
    return x->named ? hash2(o->name_norm, o->unit_norm)
                    : hash2(o->code_norm, NULL);
}

/* The slot of key (a, b): its entry, or the empty slot it would take. */
static unsigned slot_of(const index_t *x, const char *a, const char *b)
{
    unsigned i = (x->named ? hash2(a, b) : hash2(a, NULL)) & x->mask;
    while (x->o[i] && !same_key(x, x->o[i], a, b))
        i = (i + 1) & x->mask;
    return i;
}

/* Room for one more entry, at most three quarters full. */
static void index_grow(apr_pool_t *p, index_t *x)
{
    index_t n = *x;
    unsigned i, j, slots;

    if (x->o && (x->used + 1) * 4 <= (x->mask + 1) * 3)
        return;
    slots = x->o ? (x->mask + 1) * 2 : 64;
    n.mask = slots - 1;
    n.o = apr_pcalloc(p, sizeof(*n.o) * slots);
    n.count = x->named ? apr_pcalloc(p, sizeof(*n.count) * slots) : NULL;
    for (i = 0; x->o && i <= x->mask; i++) {
        if (!x->o[i])
            continue;
        j = hash_of(&n, x->o[i]) & n.mask;
        while (n.o[j])
            j = (j + 1) & n.mask;
        n.o[j] = x->o[i];
        if (n.count)
            n.count[j] = x->count[i];
    }
    *x = n;
}

/* Add o under key (a, b); the first row added under a key stays its entry. */
static void index_add(apr_pool_t *p, index_t *x, const doanra_official *o,
                      const char *a, const char *b)
{
    unsigned i;

    index_grow(p, x);
    i = slot_of(x, a, b);
    if (!x->o[i]) {
        x->o[i] = o;
        x->used++;
    }
    if (x->named)
        x->count[i]++;
}

/* The entry of key (a, b), or NULL (and *count 0). */
static const doanra_official *index_get(const index_t *x, const char *a,
                                        const char *b, int *count)
{
    unsigned i;

    if (count)
        *count = 0;
    if (!x->o)
        return NULL;
    i = slot_of(x, a, b);
    if (count && x->o[i])
        *count = x->count[i];
    return x->o[i];
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
    u->code = intern(reg, code);
    u->name = apr_pstrdup(reg->pool, name ? name : "");
    u->code_norm = intern(reg, doanra_text_code_norm(reg->scratch, u->code));
    u->name_norm =
        keep_norm(reg, doanra_text_norm(reg->scratch, u->name), u->name);
    scratch_done(reg);
    reg->units++;
    put(reg->unit_code, u->code_norm, u);
    put(reg->unit_name, u->name_norm, u);
}

void doanra_registry_add_official(doanra_registry *reg, const char *code,
                                  const char *full_name, const char *unit_code,
                                  const char *position, int is_key_leader)
{
    doanra_official *o;
    const char *code_norm, *name_norm;
    apr_size_t cl, fl, pl, cnl, nnl;
    char *at;

    if (!reg || !code)
        return;
    if (!full_name)
        full_name = "";
    code_norm = doanra_text_code_norm(reg->scratch, code);
    name_norm = doanra_text_norm(reg->scratch, full_name);
    /* The official and its own strings in one block (the pool would round
     * each string up to 8 bytes); a normal form equal to its text is not
     * stored twice. */
    cl = strlen(code) + 1;
    fl = strlen(full_name) + 1;
    pl = position ? strlen(position) + 1 : 0;
    cnl = strcmp(code_norm, code) ? strlen(code_norm) + 1 : 0;
    nnl = strcmp(name_norm, full_name) ? strlen(name_norm) + 1 : 0;
    o = apr_palloc(reg->pool, sizeof(*o) + cl + fl + pl + cnl + nnl);
    at = (char *)(o + 1);
    o->code = take(&at, code, cl);
    o->full_name = take(&at, full_name, fl);
    o->position = pl ? take(&at, position, pl) : NULL;
    o->code_norm = cnl ? take(&at, code_norm, cnl) : o->code;
    o->name_norm = nnl ? take(&at, name_norm, nnl) : o->full_name;
    o->unit_code = intern(reg, unit_code);
    o->unit_norm =
        intern(reg, doanra_text_code_norm(reg->scratch, o->unit_code));
    o->is_key_leader = is_key_leader ? 1 : 0;
    o->code_rows = 1;
    o->any_key_leader = o->is_key_leader;
    scratch_done(reg);
    reg->officials++;
    if (*o->code_norm) {
        /* A code already loaded in another spelling: the same person,
         * whom the first row stands for (the registry is only read once
         * built, so it may still change here). */
        doanra_official *first = (doanra_official *)index_get(
            &reg->by_code, o->code_norm, NULL, NULL);
        if (first) {
            if (first->code_rows++ == 1 && reg->shared_codes++ == 0)
                reg->shared_example = first->code;
            first->any_key_leader |= o->is_key_leader;
            /* Not another namesake of theirs either. */
            if (!strcmp(first->name_norm, o->name_norm) &&
                !strcmp(first->unit_norm, o->unit_norm))
                return;
        } else {
            index_add(reg->pool, &reg->by_code, o, o->code_norm, NULL);
        }
    }
    if (!*o->name_norm || !*o->unit_norm)
        return; /* found by code only */
    index_add(reg->pool, &reg->by_name, o, o->name_norm, o->unit_norm);
}

int doanra_registry_shared_codes(const doanra_registry *reg,
                                 const char **example)
{
    if (example)
        *example = reg ? reg->shared_example : NULL;
    return reg ? reg->shared_codes : 0;
}

int doanra_registry_units(const doanra_registry *reg)
{
    return reg ? reg->units : 0;
}

int doanra_registry_officials(const doanra_registry *reg)
{
    return reg ? reg->officials : 0;
}

static const void *get(const apr_hash_t *h, const char *key)
{
    if (!key || !*key)
        return NULL;
    return apr_hash_get((apr_hash_t *)h, key, APR_HASH_KEY_STRING);
}

static const doanra_official *official_by_code_norm(const doanra_registry *reg,
                                                    const char *code_norm)
{
    if (!code_norm || !*code_norm)
        return NULL;
    return index_get(&reg->by_code, code_norm, NULL, NULL);
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
    return official_by_code_norm(reg, doanra_text_code_norm(p, code));
}

int doanra_registry_officials_named(apr_pool_t *p, const doanra_registry *reg,
                                    const char *name_norm,
                                    const char *unit_norm,
                                    const doanra_official **first)
{
    int count;

    (void)p;
    *first = NULL;
    if (!reg || !name_norm || !*name_norm || !unit_norm || !*unit_norm)
        return 0;
    *first = index_get(&reg->by_name, name_norm, unit_norm, &count);
    return count;
}

/* ------------------------------------------------------------------ */
/* Resolving a trip                                                     */
/* ------------------------------------------------------------------ */

/* A copy in the request's pool: the registry may be replaced meanwhile. */
static doanra_official *keep(apr_pool_t *p, const doanra_official *o)
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
    int named = 0;

    if (given(m->code))
        code_norm = doanra_text_code_norm(p, m->code);
    unit_key = member_unit(p, m, reg, su, send_key, &mu, misses);

    if (reg && mu && *name_norm) {
        const doanra_official *first;
        named = doanra_registry_officials_named(p, reg, name_norm,
                                                mu->code_norm, &first);
        if (named == 1)
            byname = first;
    }
    if (reg && *code_norm) {
        bycode = official_by_code_norm(reg, code_norm);
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
    } else if (named > 1) {
        /* Namesakes in the unit, and no code of a registered official to
         * tell them apart: whoever it is, a key leader among them could
         * travel as the other by leaving the code out or inventing one. */
        m->identity_issue = DOANRA_ID_NAMESAKES;
        m->namesakes = named;
    }
    if (off) {
        /* The rows of its code in other spellings are the same person: a
         * key leader if any of them is (the first row of the code keeps
         * their count). */
        const doanra_official *head = official_by_code_norm(reg, off->code_norm);
        doanra_official *k = keep(p, off);
        if (head && head != off) {
            k->code_rows = head->code_rows;
            k->any_key_leader = head->any_key_leader || off->is_key_leader;
        }
        m->official = k;
    } else {
        m->official = NULL;
    }
    m->registry_found = off != NULL;
    m->registry_key_leader = off ? m->official->any_key_leader : 0;
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
