-- roles.sql - least-privilege roles of mod_doanra and their grants.
--
-- doanra_module: the role the module connects as.  It reads the reference
--   data and the history it needs for the rules, records submissions and
--   trips, and settles them; it cannot change reference data, delete or
--   truncate anything, or create or alter objects.
-- doanra_report: report writers; reads the report views (and units and
--   countries for joins) and cannot write anything.
--
-- Both are created NOLOGIN.  Admins either give one a password
--   ALTER ROLE doanra_module LOGIN PASSWORD '...';
-- or create their own login roles as members:
--   CREATE ROLE httpd_doanra LOGIN PASSWORD '...' IN ROLE doanra_module;
--
-- Roles are cluster-wide: they may already exist (another database of the
-- cluster, an earlier install), so creation checks pg_roles and tolerates a
-- concurrent creation.  Grants are reset and given again on every install,
-- so an upgrade also withdraws rights an earlier version no longer needs.
-- Included by install.sql after every other file, inside its transaction.

DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['doanra_module', 'doanra_report'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL; -- created meanwhile by an install in another database
            END;
        END IF;
    END LOOP;
END
$$;

COMMENT ON ROLE doanra_module IS 'mod_doanra: the Apache module records submissions and trips (schema doanra).';
COMMENT ON ROLE doanra_report IS 'mod_doanra: read-only access to the report views of schema doanra.';

-- Nobody but the owner creates objects in the schema.
REVOKE CREATE ON SCHEMA doanra FROM PUBLIC;
REVOKE ALL ON SCHEMA doanra FROM doanra_module, doanra_report;
GRANT USAGE ON SCHEMA doanra TO doanra_module, doanra_report;

-- Start from nothing, then grant exactly what is listed below.
REVOKE ALL ON ALL TABLES IN SCHEMA doanra FROM doanra_module, doanra_report;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA doanra FROM doanra_module, doanra_report;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA doanra FROM PUBLIC, doanra_module, doanra_report;

-- doanra_module -------------------------------------------------------------

-- Reference data and the history facts of the rules (quota, overlaps, plan).
GRANT SELECT ON doanra.units, doanra.officials, doanra.countries,
                doanra.plan_entries, doanra.trips, doanra.trip_members,
                doanra.trip_span
    TO doanra_module;

-- Recording a submission and reserving its trip.
GRANT INSERT ON doanra.submissions, doanra.trips, doanra.trip_members,
                doanra.trip_legs
    TO doanra_module;
-- INSERT ... RETURNING id and UPDATE ... WHERE id = $1 read the id column.
GRANT SELECT (id) ON doanra.submissions TO doanra_module;

-- Settling after the backend answered.
GRANT UPDATE (status, updated_at) ON doanra.trips TO doanra_module;
GRANT UPDATE (backend_status, settled_at) ON doanra.submissions TO doanra_module;

-- Writing in journalled submissions (journal.sql): the key is looked up,
-- then set with the flag.
GRANT SELECT (journal_key) ON doanra.submissions TO doanra_module;
GRANT UPDATE (journal_key, unchecked) ON doanra.submissions TO doanra_module;

-- nextval() of the bigserial ids.
GRANT USAGE ON ALL SEQUENCES IN SCHEMA doanra TO doanra_module;

-- The store's functions (functions.sql).
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA doanra TO doanra_module;

-- A trip's later steps (lifecycle.sql): the module reads the events (an
-- approval waiting for its backend holds a place) and records and settles
-- steps only through its SECURITY DEFINER functions.  Applying a step at
-- once is for admins: the module's role cannot approve or cancel a trip
-- by calling the admins' functions.
GRANT SELECT ON doanra.trip_events TO doanra_module;
REVOKE EXECUTE ON FUNCTION doanra.apply_step(bigint, text, text, text, text, date, date),
                           doanra.admin_step(text, text, text, text, date, date),
                           doanra.cancel_trip(text, text),
                           doanra.reject_trip(text, text),
                           doanra.approve_trip(text, text, date),
                           doanra.report_trip(text, date)
    FROM doanra_module;

-- doanra_report -------------------------------------------------------------

-- Views run with their owner's rights, so reading them needs no right on
-- the history tables themselves.
GRANT SELECT ON doanra.v_trips, doanra.v_trips_per_unit_year,
                doanra.v_key_leader_trips, doanra.v_unplanned_trips,
                doanra.v_findings_per_rule_month, doanra.v_delegation_sizes,
                doanra.v_countries_visited, doanra.v_reports_overdue,
                doanra.v_dossiers, doanra.v_trip_events,
                doanra.v_unchecked_trips,
                doanra.units, doanra.countries
    TO doanra_report;
-- The normal forms of codes and names and the counted statuses: the views
-- call them (a view's functions are called with the reader's rights), and
-- report writers compare codes and pick counted trips with them (pure
-- functions, read nothing).
GRANT EXECUTE ON FUNCTION doanra.norm_text(text, boolean), doanra.norm_code(text),
                          doanra.norm_name(text), doanra.official_key(text),
                          doanra.is_counted(text)
    TO doanra_report;
