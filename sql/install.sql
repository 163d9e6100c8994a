-- install.sql - installs or upgrades mod_doanra's database objects.
--
--   psql -v ON_ERROR_STOP=1 -d DBNAME -f sql/install.sql
--
-- On an empty database it creates schema doanra, its tables and functions,
-- the shipped country list, the report views and the roles doanra_module and
-- doanra_report.  On an installed database it upgrades in place: every file
-- below is idempotent and no table or row is dropped, so history and
-- reference data are kept; the functions of earlier versions that this one
-- replaced are dropped (retired.sql), so the module's role can run only
-- today's.  Everything runs in one transaction, so a failed upgrade leaves
-- the database as it was.  Roles are cluster-wide: installing into a second
-- database of the same cluster reuses them.
--
-- Run it as the owner of the database (or a superuser); the objects it
-- creates belong to that role, and the module's role only gets the rights
-- granted in roles.sql.

\set ON_ERROR_STOP 1
\set QUIET 1
SET client_min_messages = warning;

BEGIN;

-- Two installs racing on one database would otherwise interleave.
DO $$ BEGIN PERFORM pg_advisory_xact_lock(hashtext('doanra-install')); END $$;

\ir schema.sql
-- Signatures of earlier versions this one replaced, before any function is
-- created.
\ir retired.sql
\ir countries.sql
-- Before functions.sql: doanra.settle calls doanra.settle_steps.
\ir lifecycle.sql
\ir functions.sql
-- Data written by earlier versions, rewritten once (uses functions.sql).
\ir migrations.sql
\ir views.sql
-- Faults: the journal's columns, the 4 KiB cap, v_unchecked_trips.
\ir journal.sql
-- Last, so that the grants cover every table, view, sequence and function
-- created above (a view re-created by an upgrade gets its grants back).
\ir roles.sql

COMMIT;

\unset QUIET
\echo mod_doanra database objects installed (schema doanra).
