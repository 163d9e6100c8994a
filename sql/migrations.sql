-- migrations.sql - one-time changes to data an earlier version wrote.
--
-- Included by install.sql after functions.sql (the migrations use its
-- functions) and before views.sql, inside its transaction.  Each migration
-- runs once: doanra.migrations records it, so running install.sql again
-- never touches the data twice.  Schema changes themselves stay idempotent
-- statements in schema.sql; this file is for rewriting rows.

CREATE TABLE IF NOT EXISTS doanra.migrations (
    id text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now(),
    description text NOT NULL
);
COMMENT ON TABLE doanra.migrations IS 'Data migrations install.sql has applied (sql/migrations.sql); each runs once.';

-- person-keys-normalised ------------------------------------------------
--
-- Until this version trip_members.person_key held the official code as
-- typed ('c:QN-MC-01', 'c:qn-mc-01' and 'c:ＱＮ-MC-01' were three people)
-- or 'n:' + normalised name + '|' + the unit code as typed or the unit's
-- normalised name.  The module now keys a person by the normal form of the
-- registered official's code (also for a member found by name and unit,
-- with a code that is not theirs or none), else of the code given, else
-- 'n:' + name + '|' + the normal form of the unit's code (or its name).
-- Old rows are rewritten to those keys, so the trips recorded before the
-- upgrade keep counting against the same people; official_code becomes the
-- registered official's code as stored, as the module now records it.
--
-- The normal forms here are the SQL ones (functions.sql, with the gaps to
-- ICU listed there).  Name parts of 'n:' keys were already NFC and case
-- folded by ICU when they were written, so only compatibility characters,
-- invisible characters and dashes change in them.
--
-- Run it with the module stopped or upgraded: a module of the previous
-- version still writing after this ran would write old keys again.

DO $migration$
BEGIN
    IF EXISTS (SELECT 1 FROM doanra.migrations WHERE id = 'person-keys-normalised') THEN
        RETURN;
    END IF;

    WITH unit_key AS (
        -- A unit's key part: the normal form of its code.
        SELECT u.code, doanra.norm_code(u.code) AS code_norm,
               doanra.norm_name(u.name) AS name_norm
          FROM doanra.units u
    ), officials AS (
        SELECT o.code, doanra.norm_code(o.code) AS code_norm,
               doanra.norm_name(o.full_name) AS name_norm,
               doanra.norm_code(o.unit_code) AS unit_norm
          FROM doanra.officials o
    ), named AS (
        -- Officials by name and unit: only a name that is one official's.
        SELECT name_norm, unit_norm, min(code_norm) AS code_norm, min(code) AS code
          FROM officials
         WHERE unit_norm IS NOT NULL AND unit_norm <> ''
         GROUP BY name_norm, unit_norm
        HAVING count(*) = 1
    ), parts AS (
        SELECT m.trip_id, m.seq, m.person_key, m.official_code,
               doanra.norm_name(m.full_name) AS name_norm,
               doanra.norm_code(m.unit_code) AS unit_norm,
               substring(m.person_key FROM '^n:(.*)\|[^|]*$') AS old_name,
               substring(m.person_key FROM '^n:.*\|([^|]*)$') AS old_unit
          FROM doanra.trip_members m
    ), keyed AS (
        SELECT p.trip_id, p.seq,
               CASE
                   WHEN n.code_norm IS NOT NULL THEN 'c:' || n.code_norm
                   WHEN coalesce(p.official_code, '') <> ''
                       THEN 'c:' || doanra.norm_code(p.official_code)
                   WHEN p.person_key LIKE 'c:%'
                       THEN 'c:' || doanra.norm_code(substr(p.person_key, 3))
                   WHEN p.old_name IS NOT NULL
                       THEN 'n:' || doanra.norm_name(p.old_name) || '|' ||
                            coalesce((SELECT min(k.code_norm) FROM unit_key k
                                       WHERE k.code = p.old_unit
                                          OR k.code_norm = doanra.norm_code(p.old_unit)
                                          OR k.name_norm = doanra.norm_name(p.old_unit)),
                                     doanra.norm_name(p.old_unit))
                   ELSE p.person_key
               END AS new_key,
               -- The registered official's code, as the module now records.
               coalesce(n.code,
                        (SELECT min(o.code) FROM officials o
                          WHERE o.code_norm = doanra.norm_code(p.official_code)),
                        p.official_code) AS new_code
          FROM parts p
          LEFT JOIN named n ON n.name_norm = p.name_norm AND n.unit_norm = p.unit_norm
    )
    UPDATE doanra.trip_members m
       SET person_key = k.new_key, official_code = k.new_code
      FROM keyed k
     WHERE m.trip_id = k.trip_id AND m.seq = k.seq
       AND k.new_key IS NOT NULL
       AND (k.new_key <> m.person_key
            OR k.new_code IS DISTINCT FROM m.official_code);

    INSERT INTO doanra.migrations (id, description)
    VALUES ('person-keys-normalised',
            'trip_members.person_key rewritten to the normalised identities (registered official by code or by name and unit; codes and names in their normal form)');
END
$migration$;

-- trip-codes ------------------------------------------------------------
--
-- Trips recorded before dossier codes existed (SPEC section 8) get the code
-- a new trip would have had (doanra.trip_code: DR-<year>-<id>), version 1,
-- and their recorded status as a done `register` event, so later steps and
-- the reports work on them as on new ones.  Nothing else changes.

DO $migration$
BEGIN
    IF EXISTS (SELECT 1 FROM doanra.migrations WHERE id = 'trip-codes') THEN
        RETURN;
    END IF;

    UPDATE doanra.trips
       SET code = doanra.trip_code(year, id), version = 1
     WHERE code IS NULL;

    INSERT INTO doanra.trip_events
           (trip_id, code, created_at, action, from_status, to_status, state,
            remote_user, client_ip, submission_id, backend_status, settled_at)
    SELECT t.id, t.code, t.created_at, 'register', NULL,
           CASE WHEN t.status = 'void' THEN 'void' ELSE 'submitted' END,
           CASE WHEN t.status = 'pending' THEN 'pending' ELSE 'done' END,
           s.remote_user, s.client_ip, s.id, s.backend_status, s.settled_at
      FROM doanra.trips t
      JOIN doanra.submissions s ON s.id = t.submission_id
     WHERE NOT EXISTS (SELECT 1 FROM doanra.trip_events e WHERE e.trip_id = t.id);

    INSERT INTO doanra.migrations (id, description)
    VALUES ('trip-codes',
            'dossier codes (DR-<year>-<id>) and register events for trips recorded before SPEC section 8');
END
$migration$;

-- Every trip has a code from here on (the trigger trips_assign_code).
ALTER TABLE doanra.trips ALTER COLUMN code SET NOT NULL;
