-- retired.sql - functions and indexes of earlier versions that this one no
-- longer has.
--
-- CREATE OR REPLACE FUNCTION replaces a function only under the same
-- argument list: when a version changes a function's arguments, the older
-- signature stays behind as an overload, still executable by doanra_module
-- (roles.sql grants EXECUTE on every function of the schema) and still
-- writing the old way.  So, as PostgreSQL's contrib upgrade scripts do, every
-- signature an earlier version created and this one does not is dropped here
-- by name and argument types, and a function whose result type changed (which
-- CREATE OR REPLACE refuses) is dropped when it still has the old one.
--
-- Indexes this version no longer has are dropped here too (by name, IF
-- EXISTS), so an upgraded database writes the same index entries per row as
-- a fresh one.
--
-- Included by install.sql right after schema.sql, inside its transaction,
-- before any function is created.  Idempotent: on a fresh database or a
-- second run every statement finds nothing to do.
--
-- When a change retires a signature, add it below with the commit that
-- retired it.  tests/sql/test_sql.py installs stored earlier versions
-- (tests/sql/fixtures/), runs today's install over them and requires the
-- same functions, with the same rights, as a fresh install.
--
-- The list is complete for the history of sql/: every version that has an
-- install.sql was installed and its functions compared with today's.

-- ad80af0 (DoanraAcceptStatus): settle takes p_accepted.
DROP FUNCTION IF EXISTS doanra.settle(bigint, int, bigint);

-- 7bd33ea (a trip's later steps, SPEC section 8): trip_facts takes
-- p_exclude_code, p_approved_only and p_report_days.
DROP FUNCTION IF EXISTS doanra.trip_facts(text[], text[], boolean[], int, date, date,
                                          text, text, boolean, int);

-- a4e99e4 (journal grace period): settle_key returns whether it found the
-- key; it returned void before.
DO $$
BEGIN
    IF (SELECT p.prorettype FROM pg_catalog.pg_proc p
         WHERE p.oid = to_regprocedure('doanra.settle_key(text, int, boolean)'))
       = 'void'::regtype THEN
        DROP FUNCTION doanra.settle_key(text, int, boolean);
    END IF;
END
$$;

-- this version (the store's functions as single statements): the history
-- facts decide which trips count in one query, without a function per trip.
DROP FUNCTION IF EXISTS doanra.counts_for(doanra.trips, text, boolean);

-- Indexes no query of this version uses, or that another index serves:
--   trip_members (person_key) and (person_key, trip_id): the history facts
--     read a person's rows by (person_key, year), which serves every other
--     lookup by person_key;
--   trip_members (person_key, ngay_ve): the overlap read goes by
--     (person_key, year) over the years an overlapping trip can depart in
--     (history_facts), one index entry less per member;
--   trips (unit_code, year): its only reader, the overdue fact, reads
--     trips_unit_awaiting_report;
--   trip_events (trip_id) WHERE state = 'pending': trip_events_trip finds a
--     trip's few events, and indexing state made every settle a non-HOT
--     update;
--   trip_legs (country), submissions (created_at): no query reads them.
DROP INDEX IF EXISTS doanra.trip_members_person;
DROP INDEX IF EXISTS doanra.trip_members_person_trip;
DROP INDEX IF EXISTS doanra.trip_members_person_ve;
DROP INDEX IF EXISTS doanra.trips_unit_year;
DROP INDEX IF EXISTS doanra.trip_events_pending;
DROP INDEX IF EXISTS doanra.trip_legs_country;
DROP INDEX IF EXISTS doanra.submissions_created_at;

-- this version (the journal key with the record): record_submission and
-- record_step take p_journal_key, written by their insert instead of
-- journal_mark's update after it.  The old signatures would stay behind as
-- overloads, and a call with the old thirty (thirty-seven) arguments would
-- no longer know which to run.
DROP FUNCTION IF EXISTS doanra.record_submission(
    text, text, text, text, jsonb, text, jsonb, text[], boolean, text, text, text,
    text, date, date, text, bigint, text, boolean, text, text[], text[], text[],
    text[], text[], text[], boolean[], text[], date[], date[]);
DROP FUNCTION IF EXISTS doanra.record_step(
    text, bigint, text, text, text, date, date, text, text, text, text, jsonb, text,
    jsonb, text[], boolean, text, text, text, text, date, date, text, bigint, text,
    boolean, text, text[], text[], text[], text[], text[], text[], boolean[],
    text[], date[], date[]);
