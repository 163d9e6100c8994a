-- functions.sql - SQL functions of schema doanra used by the module's store.
--
-- Included by install.sql after schema.sql and countries.sql, inside its
-- transaction; must stay idempotent (CREATE OR REPLACE FUNCTION).
-- roles.sql grants EXECUTE on every function of schema doanra to
-- doanra_module (and revokes it from PUBLIC).
--
-- The store (mod_doanra/store.c) decides a submission in one transaction
-- with two round trips:
--
--   BEGIN; SELECT * FROM doanra.trip_facts(...)        -- locks, then facts
--   (the rules run in the module)
--   SELECT * FROM doanra.record_submission(...); COMMIT
--
-- and settles it after the backend answered with doanra.settle(...), or,
-- an accepted registration, in a batch of many with doanra.settle_many(...).
-- Each of them is one statement's worth of work: trip_facts one statement
-- for the locks and one for the facts, record_submission one insert of the
-- submission (with its journal key), its trip, members and legs,
-- settle_many one update per table for the whole batch.
-- The functions are SECURITY INVOKER: the calling role needs SELECT on the
-- reference tables and on trips/trip_members, INSERT on submissions, trips,
-- trip_members, trip_legs (and USAGE on their sequences), UPDATE on
-- submissions and trips.

-- What norm_code and norm_text were before this install replaces them: the
-- index plan_entries_code_norm (below) is rebuilt when they change.
DO $$
BEGIN
    PERFORM pg_catalog.set_config('doanra.install_norm_src',
        coalesce((SELECT string_agg(md5(p.prosrc), ',' ORDER BY p.proname)
                    FROM pg_catalog.pg_proc p
                   WHERE p.pronamespace = 'doanra'::regnamespace
                     AND p.proname IN ('norm_text', 'norm_code')), ''), true);
END
$$;

-- The normal forms of codes and names (mod_doanra/text.c), as close as
-- PostgreSQL 15 gets without ICU: NFKC, lower case, default-ignorable and
-- format characters removed, dashes and minus signs read as '-', white space
-- removed (codes) or trimmed and collapsed (names).  The module compares in
-- C, with ICU's NFKC_Casefold; these functions serve the upgrade of stored
-- person keys (migrations.sql), the reports and hand-written SQL.  Known
-- gaps, none of which touches the ASCII codes and Vietnamese names of the
-- registry:
--   * lower() is not full case folding: 'ß' stays 'ß' (ICU: 'ss'), final
--     sigma, Cherokee (folded to upper case by ICU); and in a database whose
--     LC_CTYPE is C, lower() changes ASCII letters only;
--   * PostgreSQL's Unicode tables may be of another version than the
--     system ICU's, so characters newer than the older of the two may
--     normalise differently;
--   * the character classes below are those of Unicode 15.
CREATE OR REPLACE FUNCTION doanra.norm_text(p_text text, p_code boolean)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    -- One expression of strict functions, each argument used once, so the
    -- planner inlines it (also into plan_entries_code_norm's lookups).  A
    -- code loses all white space, a name has its runs made one space; the
    -- btrim then trims a name (a code has no space left to trim).
    SELECT normalize(btrim(regexp_replace(
        regexp_replace(
            regexp_replace(lower(normalize(p_text, NFKC)),
                -- default-ignorable code points and format characters
                '[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]',
                '', 'g'),
            -- dashes (Pd) and minus signs
            '[\u058a\u05be\u1400\u1806\u2010-\u2015\u2e17\u2e1a\u2e3a\u2e3b\u2e40\u2e5d\u301c\u3030\u30a0\ufe31\ufe32\ufe58\ufe63\uff0d\U00010ead\u02d7\u2052\u207b\u208b\u2212\u2796]',
            '-', 'g'),
        -- white space: removed from a code, one space in a name
        '[\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+',
        repeat(' ', (NOT p_code)::int), 'g')), NFKC)
$$;
COMMENT ON FUNCTION doanra.norm_text(text, boolean) IS
    'Normal form of a code (p_code) or a name, as the module compares them (see functions.sql for the gaps to ICU).';

CREATE OR REPLACE FUNCTION doanra.norm_code(p_code text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT doanra.norm_text(p_code, true)
$$;
COMMENT ON FUNCTION doanra.norm_code(text) IS
    'Normal form of a code (tv_ma, ma_don_vi, ma_ke_hoach): norm_code(''ＱＮ‐mc‐01'') = ''qn-mc-01''.';

CREATE OR REPLACE FUNCTION doanra.norm_name(p_name text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT doanra.norm_text(p_name, false)
$$;
COMMENT ON FUNCTION doanra.norm_name(text) IS
    'Normal form of a name: norm_name(''  HOÀNG  Văn Định'') = ''hoàng văn định''.';

-- trip_members.person_key of a registered official.
CREATE OR REPLACE FUNCTION doanra.official_key(p_code text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT 'c:' || doanra.norm_code(p_code)
$$;
COMMENT ON FUNCTION doanra.official_key(text) IS
    'Person key (trip_members.person_key) of the official with this code.';

-- Plan entries named by ma_ke_hoach are looked up by the normal form of
-- their code (trip_facts below): an index on it, so a named entry is one
-- probe and not a normalisation of every entry of sixty years' plans.
-- The index stores norm_code's results: when an install changes what
-- norm_code or norm_text return, it is rebuilt (below, install.sql runs
-- in one transaction).
CREATE INDEX IF NOT EXISTS plan_entries_code_norm
    ON doanra.plan_entries (doanra.norm_code(code));
DO $$
BEGIN
    IF current_setting('doanra.install_norm_src', true)
       IS DISTINCT FROM (SELECT string_agg(md5(p.prosrc), ',' ORDER BY p.proname)
                           FROM pg_catalog.pg_proc p
                          WHERE p.pronamespace = 'doanra'::regnamespace
                            AND p.proname IN ('norm_text', 'norm_code')) THEN
        REINDEX INDEX doanra.plan_entries_code_norm;
    END IF;
END
$$;

-- Take the transaction-level advisory locks of a submission, in the order
-- given.  Callers pass the keys sorted ascending so that two submissions
-- sharing people always lock in the same order and never deadlock.  The locks
-- are released at COMMIT or ROLLBACK, so a pooled connection never carries
-- one over to the next request.  One statement: unnest returns the keys in
-- the array's order and the locks are taken row by row in that order.
CREATE OR REPLACE FUNCTION doanra.lock_keys(p_keys bigint[])
RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_catalog.pg_advisory_xact_lock(k) FROM unnest(p_keys) AS k;
END
$$;
COMMENT ON FUNCTION doanra.lock_keys(bigint[]) IS
    'Takes pg_advisory_xact_lock on each key in array order (pass them sorted).';

-- Advisory lock key of a person: the same on every server sharing the
-- database, so the quota and overlap checks are exact across servers.
CREATE OR REPLACE FUNCTION doanra.person_lock_key(p_person_key text)
RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT pg_catalog.hashtextextended('doanra/' || p_person_key, 0)
$$;
COMMENT ON FUNCTION doanra.person_lock_key(text) IS
    'Advisory lock key of a person identity (trip_members.person_key).';

-- Counted trips (SPEC section 3): the statuses that hold a place in a
-- leader's quota and make a member unavailable for overlapping dates.  The
-- one list of them: the history facts below, the report views (v_trips.
-- counted, views.sql) and hand-written SQL ask this function.  A plain SQL
-- expression, so the planner inlines it wherever it is used.
CREATE OR REPLACE FUNCTION doanra.is_counted(p_status text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT p_status IN ('pending', 'submitted', 'approved', 'completed')
$$;
COMMENT ON FUNCTION doanra.is_counted(text) IS
    'True for the statuses that count towards the leader quota and member overlaps: pending, submitted, approved, completed.';

-- The store's functions below run their statements with generic plans
-- (plan_cache_mode) and without JIT compilation: planned once per
-- connection, then executed.  A generic plan's cost is an estimate for
-- any argument and can pass jit_above_cost on some statistics (a freshly
-- loaded database did), and compiling a plan costs tens of milliseconds at
-- every call, a hundred times the query.  Custom
-- plans, PostgreSQL's default for a function's first calls and whenever
-- they look cheaper, re-plan every statement on every call: for
-- trip_facts that was more than half of its time.  The plans are written
-- so that the generic one is the right one for any argument: a person's
-- rows by index, each trip by its primary key.

-- Take the locks of a submission's people: every member of delegations up
-- to p_lock_all_max people, else key leaders only (by the registry's flag,
-- or p_title_leaders[i] for a member the registry does not know), sorted by
-- key and without duplicates, in one statement.  Member i is identified by
-- p_person_keys[i]; p_codes[i] is its tv_ma (NULL when none).
CREATE OR REPLACE FUNCTION doanra.lock_people(
    p_person_keys text[],
    p_codes text[],
    p_title_leaders boolean[],
    p_lock_all_max int DEFAULT 64)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan SET jit = off AS $$
BEGIN
    IF cardinality(p_person_keys) <= p_lock_all_max THEN
        -- Everyone: the usual delegation, without asking the registry.
        PERFORM doanra.lock_keys(ARRAY(
            SELECT DISTINCT doanra.person_lock_key(m.pk)
              FROM unnest(p_person_keys) AS m(pk)
             WHERE m.pk IS NOT NULL AND m.pk <> ''
             ORDER BY 1));
    ELSE
        PERFORM doanra.lock_keys(ARRAY(
            SELECT DISTINCT doanra.person_lock_key(m.pk)
              FROM unnest(p_person_keys, p_codes, p_title_leaders) AS m(pk, c, tl)
              LEFT JOIN doanra.officials o ON o.code = m.c
             WHERE m.pk IS NOT NULL AND m.pk <> ''
               AND CASE WHEN o.code IS NOT NULL THEN o.is_key_leader
                        ELSE coalesce(m.tl, false) END
             ORDER BY 1));
    END IF;
END
$$;
COMMENT ON FUNCTION doanra.lock_people(text[], text[], boolean[], int) IS
    'Takes the advisory locks of a submission''s people (all of them up to p_lock_all_max, else key leaders), in key order.';

-- Everything the rules need to know from the database about one submission,
-- in one query, as plain rows: the module counts them (store.c,
-- read_facts), so the query has no per-member grouping to set up and run.
-- p_person_keys are the members' identities (person keys), p_codes their
-- tv_ma.
--
-- A SQL function of one SELECT, STABLE, without SET or SECURITY DEFINER:
-- the planner inlines it into the statement that calls it (decision_facts,
-- trip_facts below), whose generic plan is planned once per connection.
--
-- Rows returned, by kind:
--   'r' registry    code = an official's code among p_codes, unit_code,
--                   flag = is_key_leader
--   'h' history     code = a person key among p_person_keys, id = a trip
--                   of theirs that holds a place (below) and departs in
--                   p_year or overlaps [p_from, p_to]; num = its year,
--                   d1/d2 = its dates, unit_code = its dossier code (the
--                   member-overlap finding names it).  Each (person, trip)
--                   once.
--   'p' plan entry  code, num = year, unit_code, countries (comma-separated),
--                   d1/d2 = period; flag = it is the entry named by
--                   p_plan_code (else a candidate of the unit and year)
--   'o' overdue     (p_report_days given) num = trips of the sending unit
--                   back for more than p_report_days days without their
--                   report, code/d1 = the one back longest and its ngay_ve
-- Dates are day numbers since 1970-01-01, the module's own representation.
-- The order of the rows is not significant, except that the candidates
-- of the plan come in the order of their codes.  (idx is always NULL: it
-- is there for trip_facts, which numbers the members.)
--
-- Which trips hold a place is decided here and only here: counted statuses
-- (doanra.is_counted).  Later steps (SPEC section 8): p_exclude_code leaves
-- every version of that dossier out (an amendment does not overlap
-- itself); with p_approved_only only approved or completed trips count, and
-- those with an approval waiting for its backend's answer (an approve step
-- is judged against the approved history, and its pending approval holds
-- the place while the backend answers, like a pending registration does).
CREATE OR REPLACE FUNCTION doanra.history_facts(
    p_person_keys text[],
    p_codes text[],
    p_year int,
    p_from date,
    p_to date,
    p_plan_code text,
    p_unit_code text,
    p_exclude_code text DEFAULT NULL,
    p_approved_only boolean DEFAULT false,
    p_report_days int DEFAULT NULL)
RETURNS TABLE (kind text, idx int, code text, unit_code text, flag boolean,
               num int, id bigint, d1 int, d2 int, countries text)
LANGUAGE sql STABLE AS $$
    -- Registry facts of the members' codes.
    SELECT 'r'::text, NULL::int, o.code, o.unit_code, o.is_key_leader,
           NULL::int, NULL::bigint, NULL::int, NULL::int, NULL::text
      FROM doanra.officials o
     WHERE o.code = ANY (p_codes)
    UNION ALL
    -- The members' trips that matter, of every member at once: from their
    -- member rows, which carry the trip's year and dates, then each trip by
    -- its primary key.  One index, trip_members_person_year, one probe per
    -- person over the years a trip that matters can depart in: p_year (the
    -- quota), and for the overlap the years from that of p_from less the
    -- longest stay (doanra.trip_span, schema.sql) to that of p_to -- a
    -- trip that overlaps [p_from, p_to] departs by p_to and returns on or
    -- after p_from, so it departs on or after p_from less its stay.  With
    -- a stay bound of a month that is p_year alone, except for dates near
    -- the new year.
    SELECT 'h'::text, NULL::int, x.person_key, x.code, NULL::boolean,
           x.year, x.id, (x.ngay_di - DATE '1970-01-01'),
           (x.ngay_ve - DATE '1970-01-01'), NULL::text
      FROM (SELECT DISTINCT tm.person_key, t.id, t.code, t.year, t.ngay_di, t.ngay_ve
              FROM doanra.trip_members tm
              JOIN doanra.trips t ON t.id = tm.trip_id
             WHERE tm.person_key = ANY (p_person_keys) AND tm.person_key <> ''
               AND tm.year >= least(p_year, extract(year FROM p_from - coalesce(
                                (SELECT s.days FROM doanra.trip_span s), 100000))::int)
               AND tm.year <= greatest(p_year, extract(year FROM p_to)::int)
               AND (tm.year = p_year
                    OR (tm.ngay_ve >= p_from AND tm.ngay_di <= p_to))
               AND (p_exclude_code IS NULL OR t.code IS DISTINCT FROM p_exclude_code)
               AND CASE WHEN p_approved_only
                        THEN t.status IN ('approved', 'completed')
                             OR (t.status IN ('pending', 'submitted')
                                 AND EXISTS (SELECT 1 FROM doanra.trip_events e
                                              WHERE e.trip_id = t.id
                                                AND e.action = 'approve'
                                                AND e.state = 'pending'))
                        ELSE doanra.is_counted(t.status) END) x
     WHERE p_year IS NOT NULL
    UNION ALL
    -- Plan (rule plan): the entry named by ma_ke_hoach, codes compared in
    -- their normal form (index plan_entries_code_norm) and the exact
    -- spelling first, reported whether the dates are known or not (the
    -- module records which plan the trip claims); without a code, once the
    -- dates and members are known, the candidates of the sending unit and
    -- year (none when the unit is unknown).  The one query of plan entries.
    SELECT 'p'::text, NULL::int, e.code, e.unit_code, e.named, e.year,
           NULL::bigint, (e.period_from - DATE '1970-01-01'),
           (e.period_to - DATE '1970-01-01'),
           array_to_string(e.countries, ',')
      FROM ((SELECT x.code, x.unit_code, true AS named, x.year, x.period_from,
                    x.period_to, x.countries
               FROM doanra.plan_entries x
              WHERE coalesce(p_plan_code, '') <> ''
                AND doanra.norm_code(x.code) = doanra.norm_code(p_plan_code)
              ORDER BY x.code = p_plan_code DESC, x.code
              LIMIT 1)
            UNION ALL
            (SELECT x.code, x.unit_code, false, x.year, x.period_from,
                    x.period_to, x.countries
               FROM doanra.plan_entries x
              WHERE coalesce(p_plan_code, '') = '' AND coalesce(p_unit_code, '') <> ''
                AND p_year IS NOT NULL AND cardinality(p_person_keys) > 0
                AND x.unit_code = p_unit_code AND x.year = p_year
              ORDER BY x.code)) e
    UNION ALL
    -- Reports on results the sending unit still owes (rule report-overdue):
    -- how many, and the one back longest (index trips_unit_awaiting_report).
    SELECT 'o'::text, NULL::int, (array_agg(t.code ORDER BY t.ngay_ve, t.code))[1],
           NULL::text, NULL::boolean, count(*)::int, NULL::bigint,
           (min(t.ngay_ve) - DATE '1970-01-01'), NULL::int, NULL::text
      FROM doanra.trips t
     WHERE p_report_days IS NOT NULL AND coalesce(p_unit_code, '') <> ''
       AND t.unit_code = p_unit_code AND t.report_filed_on IS NULL
       AND t.ngay_ve < current_date - p_report_days
       AND t.status IN ('approved', 'completed')
       AND (p_exclude_code IS NULL OR t.code IS DISTINCT FROM p_exclude_code)
    HAVING count(*) > 0
$$;
COMMENT ON FUNCTION doanra.history_facts(text[], text[], int, date, date, text, text, text, boolean, int) IS
    'The registry, history and plan facts the rules need for one submission, as plain rows (read under the locks doanra.lock_people took).';

-- A decision's first round trip: with p_lock, the people's locks
-- (lock_people), then the facts (history_facts).  The module calls this
-- with DoanraPreparedStatements Off; with prepared statements it sends the
-- two statements itself, in one pipeline, for the same result.  Under READ
-- COMMITTED each statement of this VOLATILE function takes a new snapshot,
-- so the facts, read after the lock statement has returned, see every trip
-- committed by a submission that held a lock before us.  That is what keeps
-- the quota exact under concurrency.  PL/pgSQL with generic plans: its
-- query is planned once per connection, with or without prepared
-- statements on the module's side.
CREATE OR REPLACE FUNCTION doanra.decision_facts(
    p_person_keys text[],
    p_codes text[],
    p_title_leaders boolean[],
    p_year int,
    p_from date,
    p_to date,
    p_plan_code text,
    p_unit_code text,
    p_lock boolean,
    p_lock_all_max int DEFAULT 64,
    p_exclude_code text DEFAULT NULL,
    p_approved_only boolean DEFAULT false,
    p_report_days int DEFAULT NULL)
RETURNS TABLE (kind text, idx int, code text, unit_code text, flag boolean,
               num int, id bigint, d1 int, d2 int, countries text)
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan SET jit = off AS $$
BEGIN
    IF p_lock THEN
        PERFORM doanra.lock_people(p_person_keys, p_codes, p_title_leaders,
                                   p_lock_all_max);
    END IF;
    RETURN QUERY
    SELECT * FROM doanra.history_facts(p_person_keys, p_codes, p_year, p_from,
                                       p_to, p_plan_code, p_unit_code,
                                       p_exclude_code, p_approved_only,
                                       p_report_days);
END
$$;
COMMENT ON FUNCTION doanra.decision_facts(text[], text[], boolean[], int, date, date, text, text, boolean, int, text, boolean, int) IS
    'Locks a submission''s people (when p_lock) and returns the facts the rules need, as plain rows (doanra.lock_people, doanra.history_facts).';

-- The same facts per member, for SQL by hand and earlier modules: the
-- registry row of member i (idx, 1-based, the order of the arrays), and
-- for every member with an identity one 'm' row: num = counted trips
-- departing in p_year, id/d1/d2 = the overlapping counted trip that
-- departs first (the least [ngay_di, id, ngay_ve]), id NULL when none --
-- what the module makes of decision_facts' rows, which it counts here.
-- 'p' and 'o' rows as history_facts gives them.  With p_lock, the people's
-- locks first (decision_facts).
-- (Releases before SPEC section 8 had the ten-argument trip_facts:
-- retired.sql drops it.)
CREATE OR REPLACE FUNCTION doanra.trip_facts(
    p_person_keys text[],
    p_codes text[],
    p_title_leaders boolean[],
    p_year int,
    p_from date,
    p_to date,
    p_plan_code text,
    p_unit_code text,
    p_lock boolean,
    p_lock_all_max int DEFAULT 64,
    p_exclude_code text DEFAULT NULL,
    p_approved_only boolean DEFAULT false,
    p_report_days int DEFAULT NULL)
RETURNS TABLE (kind text, idx int, code text, unit_code text, flag boolean,
               num int, id bigint, d1 int, d2 int, countries text)
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan SET jit = off AS $$
BEGIN
    RETURN QUERY
    WITH f AS (
        SELECT * FROM doanra.decision_facts(p_person_keys, p_codes,
                                            p_title_leaders, p_year, p_from,
                                            p_to, p_plan_code, p_unit_code,
                                            p_lock, p_lock_all_max,
                                            p_exclude_code, p_approved_only,
                                            p_report_days)
    ), m AS (
        SELECT u.pk, u.c, u.i::int AS i
          FROM unnest(p_person_keys, p_codes) WITH ORDINALITY AS u(pk, c, i)
    )
    SELECT 'r'::text, m.i, f.code, f.unit_code, f.flag,
           NULL::int, NULL::bigint, NULL::int, NULL::int, NULL::text
      FROM m JOIN f ON f.kind = 'r' AND f.code = m.c
    UNION ALL
    SELECT 'm'::text, h.i, NULL::text, NULL::text, NULL::boolean, h.n,
           h.ov[2], h.ov[1]::int, h.ov[3]::int, NULL::text
      FROM (SELECT m.i,
                   (count(f.id) FILTER (WHERE f.num = p_year))::int AS n,
                   min(ARRAY[f.d1::bigint, f.id, f.d2::bigint])
                       FILTER (WHERE f.d1 <= p_to - DATE '1970-01-01'
                                 AND f.d2 >= p_from - DATE '1970-01-01') AS ov
              FROM m LEFT JOIN f ON f.kind = 'h' AND f.code = m.pk
             WHERE p_year IS NOT NULL AND m.pk IS NOT NULL AND m.pk <> ''
             GROUP BY m.i) h
    UNION ALL
    SELECT * FROM f WHERE f.kind IN ('p', 'o');
END
$$;
COMMENT ON FUNCTION doanra.trip_facts(text[], text[], boolean[], int, date, date, text, text, boolean, int, text, boolean, int) IS
    'Locks a submission''s people (when p_lock) and returns the registry, history and plan facts per member (doanra.history_facts, counted).';

-- Record a submission and, when p_trip, the trip it reserves (status
-- pending) with its members and legs: one statement.  Member and leg
-- attributes come as parallel arrays (index i = member i).  Returns the new
-- ids (trip_id NULL when no trip was recorded).
--
-- The statement supplies what the triggers of hand-written inserts fill in
-- (their WHEN conditions then skip them): the dossier code of the new trip
-- (doanra.trip_code, from an id drawn first), and on each member row the
-- trip's year and dates, taken from the trip row it has just inserted.  The
-- trigger trips_register_event still writes the pending `register` event.
--
-- p_journal_key is the module's key of the decision (journal.sql): written
-- with the row, where an UPDATE after the insert (journal_mark, which the
-- module called until this version) cost one more statement and a second,
-- non-HOT version of the row with its whole fields.
-- (Before it, record_submission had thirty arguments: retired.sql drops
-- that signature.)
--
-- The submission's fields stay as submitted, members and legs included
-- (SPEC section 5: "the submitted fields"): they are the form as the user
-- sent it, from which the module rebuilds a trip for its later steps
-- (doanra.trip_lookup); trip_members and trip_legs hold what the module
-- made of them (resolved identities, normalised names, counted days).
CREATE OR REPLACE FUNCTION doanra.record_submission(
    p_location text, p_remote_user text, p_client_ip text, p_mode text,
    p_fields jsonb, p_decision text, p_findings jsonb, p_rules text[],
    p_trip boolean,
    p_unit_code text, p_unit_name text, p_purpose text, p_partner text,
    p_ngay_di date, p_ngay_ve date, p_funding text, p_cost bigint,
    p_plan_code text, p_planned boolean, p_unplanned_reason text,
    m_person_keys text[], m_codes text[], m_names text[], m_positions text[],
    m_unit_codes text[], m_unit_names text[], m_leaders boolean[],
    l_countries text[], l_from date[], l_to date[],
    p_journal_key text DEFAULT NULL)
RETURNS TABLE (submission_id bigint, trip_id bigint)
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan SET jit = off AS $$
BEGIN
    RETURN QUERY
    WITH s AS (
        INSERT INTO doanra.submissions
               (location, remote_user, client_ip, mode, fields, decision, findings,
                rules, journal_key)
        VALUES (p_location, p_remote_user, p_client_ip, p_mode,
                coalesce(p_fields, '{}'::jsonb), p_decision,
                coalesce(p_findings, '[]'::jsonb), coalesce(p_rules, '{}'::text[]),
                p_journal_key)
        RETURNING id
    ), t AS (
        INSERT INTO doanra.trips
               (id, code, version, submission_id, status, unit_code, unit_name,
                purpose, partner, ngay_di, ngay_ve, year, funding, estimated_cost,
                plan_code, planned, unplanned_reason, member_count)
        SELECT k.id, doanra.trip_code(k.year, k.id), 1, s.id, 'pending', p_unit_code,
               p_unit_name, p_purpose, p_partner, p_ngay_di, p_ngay_ve, k.year,
               p_funding, p_cost, p_plan_code, coalesce(p_planned, false),
               p_unplanned_reason, coalesce(cardinality(m_person_keys), 0)
          FROM s, (SELECT nextval('doanra.trips_id_seq') AS id,
                          extract(year FROM p_ngay_di)::int AS year) k
         WHERE p_trip
        RETURNING id, year, ngay_di, ngay_ve
    ), members AS (
        INSERT INTO doanra.trip_members
               (trip_id, seq, person_key, official_code, full_name, position,
                unit_code, unit_name, is_key_leader, year, ngay_di, ngay_ve)
        SELECT t.id, m.i, m.pk, m.c, coalesce(m.nm, ''), m.pos, m.uc, m.un,
               coalesce(m.kl, false), t.year, t.ngay_di, t.ngay_ve
          FROM t, unnest(m_person_keys, m_codes, m_names, m_positions,
                         m_unit_codes, m_unit_names, m_leaders)
                  WITH ORDINALITY AS m(pk, c, nm, pos, uc, un, kl, i)
    ), legs AS (
        INSERT INTO doanra.trip_legs (trip_id, seq, country, from_date, to_date)
        SELECT t.id, l.i, l.c, l.f, l.t
          FROM t, unnest(l_countries, l_from, l_to) WITH ORDINALITY AS l(c, f, t, i)
    )
    SELECT s.id, (SELECT t.id FROM t) FROM s;
END
$$;
COMMENT ON FUNCTION doanra.record_submission(text, text, text, text, jsonb, text, jsonb, text[], boolean, text, text, text, text, date, date, text, bigint, text, boolean, text, text[], text[], text[], text[], text[], text[], boolean[], text[], date[], date[], text) IS
    'Inserts a submission (with the module''s journal key) and, when p_trip, its pending trip with members and legs (one statement); returns their ids.';

-- After the backend answered: the submission gets its status, and its trip
-- leaves `pending` for `submitted` when the backend accepted it, else `void`.
-- Whether it accepted is the module's DoanraAcceptStatus (p_accepted); an
-- admin calling it by hand may leave it out, and then 2xx/3xx counts as
-- accepted.  Only a pending trip is moved, so settling twice changes nothing
-- and an admin's later status is never overwritten.  PL/pgSQL rather than
-- SQL: a SQL function's statements are planned again on every call.
-- (Releases before DoanraAcceptStatus had a three-argument settle:
-- retired.sql drops it.)
CREATE OR REPLACE FUNCTION doanra.settle(p_submission_id bigint,
                                         p_backend_status int,
                                         p_trip_id bigint,
                                         p_accepted boolean DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan SET jit = off AS $$
DECLARE
    ok boolean := coalesce(p_accepted, p_backend_status BETWEEN 200 AND 399);
BEGIN
    UPDATE doanra.submissions
       SET backend_status = p_backend_status, settled_at = now()
     WHERE id = p_submission_id;
    -- The steps recorded with the submission (lifecycle.sql) first: an
    -- amendment that finds its trip moved on voids its new version here.
    PERFORM doanra.settle_steps(p_submission_id, p_backend_status, ok);
    UPDATE doanra.trips
       SET status = CASE WHEN ok THEN 'submitted' ELSE 'void' END,
           updated_at = now()
     WHERE id = p_trip_id AND status = 'pending';
END
$$;
COMMENT ON FUNCTION doanra.settle(bigint, int, bigint, boolean) IS
    'Stores the backend status of a submission and moves its pending trip to submitted (accepted by the backend: DoanraAcceptStatus, by default 2xx/3xx) or void.';

-- doanra.settle for many submissions at once: the settling thread's batch
-- of accepted registrations (mod_doanra/settle.c), one commit for all.
-- Item i is (p_submission_ids[i], p_backend_statuses[i], p_trip_ids[i],
-- p_accepted[i]), and the result is the same as calling settle for each
-- item in order: only pending trips and events move (settling twice
-- changes nothing, an admin's later status stays), a submission named
-- twice keeps its last item's status, and a trip or event settled by an
-- earlier item of the batch is no longer pending for a later one.  Then
-- the backend's references (p_reference_trips[j], p_references[j],
-- p_reference_norms[j]), as set_reference for each; they touch no status,
-- so doing them after the settles gives what the interleaved calls did.
--
-- A registration costs a fixed few statements whatever the batch's size:
-- one UPDATE of the submissions, of their register events, of their
-- trips (each row by its primary key or by trip_events_submission), where
-- settle took three statements and a loop per item.  Each UPDATE names its
-- rows twice, joined to the items and = ANY of the array: the second is
-- what keeps the generic plan on the index whatever the statistics say
-- (a pending row looks rare, and with no statistics yet, reading the whole
-- table once looked cheaper than probing the index per item).  A submission with a
-- later step (amend, approve, ...: the module settles those by themselves,
-- not through the thread) needs settle_steps' checks, which read the
-- trips the items before it may have moved: a batch with one of those is
-- settled item by item, in order, by settle itself.
CREATE OR REPLACE FUNCTION doanra.settle_many(p_submission_ids bigint[],
                                              p_backend_statuses int[],
                                              p_trip_ids bigint[],
                                              p_accepted boolean[],
                                              p_reference_trips bigint[] DEFAULT NULL,
                                              p_references text[] DEFAULT NULL,
                                              p_reference_norms text[] DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan SET jit = off AS $$
DECLARE
    k int;
BEGIN
    -- Item by item when a submission has a pending step but register.
    -- Joined to the items as well: an EXISTS over the array alone, planned
    -- for its first row, read every event while trip_events had no
    -- statistics (13 ms a batch on 100 000 trips).
    IF EXISTS (SELECT 1
                 FROM unnest(p_submission_ids) AS u(sid)
                 JOIN doanra.trip_events e ON e.submission_id = u.sid
                WHERE e.submission_id = ANY (p_submission_ids)
                  AND e.state = 'pending' AND e.action <> 'register') THEN
        FOR k IN 1 .. coalesce(greatest(cardinality(p_submission_ids),
                                        cardinality(p_backend_statuses),
                                        cardinality(p_trip_ids),
                                        cardinality(p_accepted)), 0) LOOP
            PERFORM doanra.settle(p_submission_ids[k], p_backend_statuses[k],
                                  p_trip_ids[k], p_accepted[k]);
        END LOOP;
    ELSE
        UPDATE doanra.submissions s
           SET backend_status = i.st, settled_at = now()
          FROM (SELECT DISTINCT ON (u.sid) u.sid, u.st
                  FROM unnest(p_submission_ids, p_backend_statuses)
                       WITH ORDINALITY AS u(sid, st, n)
                 WHERE u.sid IS NOT NULL
                 ORDER BY u.sid, u.n DESC) i
         WHERE s.id = i.sid AND s.id = ANY (p_submission_ids);
        PERFORM doanra.settle_registers(p_submission_ids, p_backend_statuses, p_accepted);
        UPDATE doanra.trips t
           SET status = CASE WHEN i.ok THEN 'submitted' ELSE 'void' END,
               updated_at = now()
          FROM (SELECT DISTINCT ON (u.tid) u.tid,
                       coalesce(u.acc, u.st BETWEEN 200 AND 399) AS ok
                  FROM unnest(p_trip_ids, p_backend_statuses, p_accepted)
                       WITH ORDINALITY AS u(tid, st, acc, n)
                 WHERE u.tid IS NOT NULL
                 ORDER BY u.tid, u.n) i
         WHERE t.id = i.tid AND t.status = 'pending' AND t.id = ANY (p_trip_ids);
    END IF;
    IF cardinality(p_reference_trips) > 0 THEN
        PERFORM doanra.set_references(p_reference_trips, p_references, p_reference_norms);
    END IF;
END
$$;
COMMENT ON FUNCTION doanra.settle_many(bigint[], int[], bigint[], boolean[], bigint[], text[], text[]) IS
    'doanra.settle for each item of the arrays (and set_reference for each reference), in a fixed few statements for registrations.';

-- Member rows carry their trip's year and dates (see schema.sql).
-- record_submission supplies them in its insert; a row inserted without
-- them (an admin loading history by hand) gets them from its trip here, and
-- so does a row moved to another trip.  A change of a trip's dates is
-- copied to its members.  The WHEN conditions keep the module's inserts
-- from calling these functions at all.
CREATE OR REPLACE FUNCTION doanra.trip_members_copy_dates()
RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    SELECT t.year, t.ngay_di, t.ngay_ve
      INTO NEW.year, NEW.ngay_di, NEW.ngay_ve
      FROM doanra.trips t WHERE t.id = NEW.trip_id;
    RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER trip_members_copy_dates
    BEFORE INSERT ON doanra.trip_members
    FOR EACH ROW
    WHEN (NEW.year IS NULL OR NEW.ngay_di IS NULL OR NEW.ngay_ve IS NULL)
    EXECUTE FUNCTION doanra.trip_members_copy_dates();
CREATE OR REPLACE TRIGGER trip_members_moved_copy_dates
    BEFORE UPDATE OF trip_id ON doanra.trip_members
    FOR EACH ROW
    WHEN (OLD.trip_id IS DISTINCT FROM NEW.trip_id)
    EXECUTE FUNCTION doanra.trip_members_copy_dates();

CREATE OR REPLACE FUNCTION doanra.trips_dates_to_members()
RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE doanra.trip_members
       SET year = NEW.year, ngay_di = NEW.ngay_di, ngay_ve = NEW.ngay_ve
     WHERE trip_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER trips_dates_to_members
    AFTER UPDATE OF year, ngay_di, ngay_ve ON doanra.trips
    FOR EACH ROW
    WHEN (OLD.year IS DISTINCT FROM NEW.year
          OR OLD.ngay_di IS DISTINCT FROM NEW.ngay_di
          OR OLD.ngay_ve IS DISTINCT FROM NEW.ngay_ve)
    EXECUTE FUNCTION doanra.trips_dates_to_members();

-- doanra.trip_span (schema.sql): a member row whose stay is longer than
-- the month the bound starts at raises it.  A row trigger whose WHEN skips
-- every ordinary trip (the rules allow three countries of three days), so
-- recording a submission does not call it, on any insert or update (a
-- member moved to another trip gets that trip's dates from the BEFORE
-- trigger above); the UPDATE touches the row only for a stay longer than
-- any before.  It runs with the owner's rights: the module's role can read
-- the bound, not lower it.
CREATE OR REPLACE FUNCTION doanra.trip_span_raise()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    UPDATE doanra.trip_span
       SET days = NEW.ngay_ve - NEW.ngay_di
     WHERE days < NEW.ngay_ve - NEW.ngay_di;
    RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER trip_members_span
    AFTER INSERT OR UPDATE ON doanra.trip_members
    FOR EACH ROW
    WHEN (NEW.ngay_ve - NEW.ngay_di > 31)
    EXECUTE FUNCTION doanra.trip_span_raise();

-- Upgrade: member rows recorded before the copies existed.
UPDATE doanra.trip_members tm
   SET year = t.year, ngay_di = t.ngay_di, ngay_ve = t.ngay_ve
  FROM doanra.trips t
 WHERE t.id = tm.trip_id AND tm.year IS NULL;

-- The bound of what is there already (a new install: 31).
INSERT INTO doanra.trip_span (one, days)
SELECT true, greatest(31, max(ngay_ve - ngay_di)) FROM doanra.trip_members
ON CONFLICT (one) DO UPDATE SET days = greatest(doanra.trip_span.days, EXCLUDED.days);

-- The module's role may create a trip only as `pending` and move it only
-- from `pending` to `submitted` or `void` (what settle does): approving,
-- completing, rejecting or cancelling is for admins, so a compromised web
-- server cannot approve a trip.  Superusers and other roles are not limited.
-- The triggers' WHEN conditions call the check only for what the module
-- may not do, so recording and settling never call it.
CREATE OR REPLACE FUNCTION doanra.trips_guard_module()
RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF pg_has_role(current_user, 'doanra_module', 'MEMBER')
       AND NOT (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user) THEN
        IF TG_OP = 'INSERT' AND NEW.status IS DISTINCT FROM 'pending' THEN
            RAISE EXCEPTION 'doanra_module may only record trips as pending, not %', NEW.status
                USING ERRCODE = 'insufficient_privilege';
        ELSIF TG_OP = 'UPDATE'
              AND NEW.status IS DISTINCT FROM OLD.status
              AND NOT (OLD.status = 'pending' AND NEW.status IN ('submitted', 'void')) THEN
            RAISE EXCEPTION 'doanra_module may only settle pending trips, not move % to %',
                OLD.status, NEW.status
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER trips_guard_module
    BEFORE UPDATE OF status ON doanra.trips
    FOR EACH ROW
    WHEN (NEW.status IS DISTINCT FROM OLD.status
          AND NOT (OLD.status = 'pending' AND NEW.status IN ('submitted', 'void')))
    EXECUTE FUNCTION doanra.trips_guard_module();
CREATE OR REPLACE TRIGGER trips_guard_module_insert
    BEFORE INSERT ON doanra.trips
    FOR EACH ROW
    WHEN (NEW.status IS DISTINCT FROM 'pending')
    EXECUTE FUNCTION doanra.trips_guard_module();
