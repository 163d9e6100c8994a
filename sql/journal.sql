-- journal.sql - what mod_doanra needs in the database for faults (SPEC
-- section 5, "Nothing is lost, even under faults"):
--
--   * submissions the module let through unchecked while the database was
--     unreachable (DoanraOnDatabaseError allow), written in later from its
--     journal exactly once (journal_key, unique) and judged by every rule
--     after the fact (unchecked = true, decision and findings are those of
--     the late check);
--   * stored field values capped at 4 KiB each, with the full length and
--     SHA-256 kept, so a flood of huge bodies cannot fill the disk;
--   * the view behind sql/reports/unchecked-trips.sql.
--
-- Included by install.sql after views.sql, inside its transaction;
-- idempotent like the rest.

ALTER TABLE doanra.submissions ADD COLUMN IF NOT EXISTS journal_key text;
ALTER TABLE doanra.submissions ADD COLUMN IF NOT EXISTS unchecked boolean NOT NULL DEFAULT false;
CREATE UNIQUE INDEX IF NOT EXISTS submissions_journal_key
    ON doanra.submissions (journal_key) WHERE journal_key IS NOT NULL;
COMMENT ON COLUMN doanra.submissions.journal_key IS
    'Key of the module''s journal entry this submission was written in from (a submission let through unchecked, or none); unique, so an entry is written in once even when the module crashed before removing it.';
COMMENT ON COLUMN doanra.submissions.unchecked IS
    'Let through while the database was unreachable (DoanraOnDatabaseError allow), with only the rules that need no history; decision and findings are those of every rule, run when it was written in.';

-- Every decision the module records carries its key (the name its journal
-- entries would have): when the answer to the commit is lost or late, the
-- module cannot tell whether it happened, and settles by key later.  The
-- module passes it to record_submission (p_journal_key), which writes it
-- with the row.  journal_mark, which stored it with an UPDATE after the
-- insert, stays for modules of earlier versions still running while the
-- database is upgraded (their record_submission call, with thirty
-- arguments, reaches today's with the key NULL, and their journal_mark
-- call still stores it).
-- The id is read first: as a condition of the UPDATE, currval (volatile)
-- could not be an index key, and the update scanned every submission ever
-- recorded, calling currval and pg_get_serial_sequence for each (1.9 s per
-- decision with 100 000 past submissions).  PL/pgSQL rather than SQL: a SQL
-- function's statement is planned again on every call.
CREATE OR REPLACE FUNCTION doanra.journal_mark(p_key text)
RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    sid bigint := currval(pg_get_serial_sequence('doanra.submissions', 'id'));
BEGIN
    UPDATE doanra.submissions SET journal_key = p_key WHERE id = sid;
END
$$;
COMMENT ON FUNCTION doanra.journal_mark(text) IS
    'Stores the module''s key on the submission just recorded (same transaction); for modules of earlier versions, today''s pass it to record_submission.';

-- (It returned void before the journal's grace period: retired.sql drops
-- that one.)
CREATE OR REPLACE FUNCTION doanra.settle_key(p_key text, p_backend_status int,
                                             p_accepted boolean)
RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    sid bigint;
    tid bigint;
BEGIN
    SELECT s.id, t.id INTO sid, tid
      FROM doanra.submissions s LEFT JOIN doanra.trips t ON t.submission_id = s.id
     WHERE s.journal_key = p_key;
    IF sid IS NOT NULL THEN
        PERFORM doanra.settle(sid, p_backend_status, tid, p_accepted);
    END IF;
    RETURN sid IS NOT NULL;
END
$$;
COMMENT ON FUNCTION doanra.settle_key(text, int, boolean) IS
    'Settles the submission recorded under a journal key, if there is one (a commit whose answer the module never got).';

-- Called by the module right after record_submission, in its transaction:
-- the submission just recorded (this session's last id) gets its journal
-- key, and its trip is settled with the backend's answer from the journal
-- (p_backend_status NULL: the answer is unknown because the process that
-- passed it on died; p_accepted is then true, so a trip the backend may
-- have accepted counts).
CREATE OR REPLACE FUNCTION doanra.journal_recorded(p_key text,
                                                   p_backend_status int,
                                                   p_accepted boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    sid bigint := currval(pg_get_serial_sequence('doanra.submissions', 'id'));
    tid bigint;
BEGIN
    UPDATE doanra.submissions
       SET journal_key = p_key, unchecked = true
     WHERE id = sid;
    SELECT t.id INTO tid FROM doanra.trips t WHERE t.submission_id = sid;
    PERFORM doanra.settle(sid, p_backend_status, tid, p_accepted);
END
$$;
COMMENT ON FUNCTION doanra.journal_recorded(text, int, boolean) IS
    'Marks the submission just recorded as written in from the module''s journal (key) and settles its trip with the journalled backend status.';

-- A value longer than 4 KiB (UTF-8 bytes) becomes
--   {"cut": "<its first 4 KiB, whole characters>", "length": <bytes>,
--    "sha256": "<hex of the whole value>"}.
CREATE OR REPLACE FUNCTION doanra.cap_value(p_value jsonb)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    v text;
    cut text;
    n int;
BEGIN
    IF jsonb_typeof(p_value) = 'array' THEN
        RETURN (SELECT coalesce(jsonb_agg(doanra.cap_value(e) ORDER BY i), '[]'::jsonb)
                  FROM jsonb_array_elements(p_value) WITH ORDINALITY AS x(e, i));
    END IF;
    IF jsonb_typeof(p_value) <> 'string' THEN
        RETURN p_value;
    END IF;
    v := p_value #>> '{}';
    IF octet_length(v) <= 4096 THEN
        RETURN p_value;
    END IF;
    n := 4096;
    cut := left(v, n);
    WHILE octet_length(cut) > 4096 LOOP
        n := n - greatest(1, (octet_length(cut) - 4096) / 4);
        cut := left(v, n);
    END LOOP;
    RETURN jsonb_build_object('cut', cut, 'length', octet_length(v),
                              'sha256', encode(sha256(convert_to(v, 'UTF8')), 'hex'));
END
$$;
COMMENT ON FUNCTION doanra.cap_value(jsonb) IS
    'A stored field value (or array of values) with every string over 4 KiB replaced by {cut, length, sha256}.';

CREATE OR REPLACE FUNCTION doanra.submissions_cap_fields()
RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF octet_length(NEW.fields::text) > 4096 THEN
        NEW.fields := (SELECT coalesce(jsonb_object_agg(k, doanra.cap_value(v)), '{}'::jsonb)
                         FROM jsonb_each(NEW.fields) AS f(k, v));
    END IF;
    RETURN NEW;
END
$$;
-- Called only when a value could be over the cap: a jsonb holding a string
-- of more than 4096 bytes is bigger than that itself, unless it came in
-- compressed (copied from a stored row).  Most submissions never call it.
CREATE OR REPLACE TRIGGER submissions_cap_fields
    BEFORE INSERT OR UPDATE OF fields ON doanra.submissions
    FOR EACH ROW
    WHEN (pg_column_size(NEW.fields) > 4096 OR pg_column_compression(NEW.fields) IS NOT NULL)
    EXECUTE FUNCTION doanra.submissions_cap_fields();

-- The free texts copied onto a trip are cut the same way (the whole value
-- is described in the submission's fields).
CREATE OR REPLACE FUNCTION doanra.cap_text(p_text text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN octet_length(p_text) <= 4096 THEN p_text
                ELSE doanra.cap_value(to_jsonb(p_text)) ->> 'cut' END
$$;
CREATE OR REPLACE FUNCTION doanra.trips_cap_texts()
RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.purpose := doanra.cap_text(NEW.purpose);
    NEW.partner := doanra.cap_text(NEW.partner);
    NEW.unplanned_reason := doanra.cap_text(NEW.unplanned_reason);
    NEW.unit_name := doanra.cap_text(NEW.unit_name);
    RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER trips_cap_texts
    BEFORE INSERT ON doanra.trips
    FOR EACH ROW
    WHEN (octet_length(NEW.purpose) > 4096 OR octet_length(NEW.partner) > 4096
          OR octet_length(NEW.unplanned_reason) > 4096 OR octet_length(NEW.unit_name) > 4096)
    EXECUTE FUNCTION doanra.trips_cap_texts();

-- Trips let through unchecked, with what the late check found.
DROP VIEW IF EXISTS doanra.v_unchecked_trips;
CREATE VIEW doanra.v_unchecked_trips AS
SELECT t.id AS trip_id,
       t.code,
       s.id AS submission_id,
       s.created_at AS written_in_at,
       s.location,
       t.status,
       t.unit_code,
       t.unit_name,
       t.ngay_di,
       t.ngay_ve,
       t.member_count,
       s.decision AS late_decision,
       s.rules AS late_rules,
       s.findings AS late_findings,
       s.backend_status
FROM doanra.submissions s
JOIN doanra.trips t ON t.submission_id = s.id
WHERE s.unchecked;
COMMENT ON VIEW doanra.v_unchecked_trips IS
    'Trips let through while the database was unreachable (DoanraOnDatabaseError allow), with the decision and findings of every rule run when they were written in; backend_status NULL means the answer is unknown (the process died) and the trip counts.';
