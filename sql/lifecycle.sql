-- lifecycle.sql - a trip's life after it is submitted (SPEC section 8):
-- dossier codes, the fixed table of steps, the step functions admins call,
-- and what the module's store calls to look a trip up, record a step and
-- apply it once the backend accepted it.
--
-- Included by install.sql after functions.sql, inside its transaction;
-- idempotent (CREATE OR REPLACE).
--
-- Who changes a trip's status: the module's role (doanra_module) cannot
-- UPDATE a status itself beyond settling a pending trip (the guard trigger
-- trips_guard_module of functions.sql).  Every other change goes through
-- doanra.apply_step, which checks the transition table below; the module
-- reaches it only through doanra.settle_steps (a step it recorded as
-- pending, applied when the backend accepted it), admins through
-- doanra.cancel_trip, doanra.reject_trip, doanra.approve_trip and
-- doanra.report_trip.  The functions the module calls that write are
-- SECURITY DEFINER with search_path pinned to pg_catalog, pg_temp (every
-- name below is schema-qualified), so the module needs no UPDATE right on
-- codes, versions or events.

-- The dossier code of a trip: DR-<year of departure>-<id of its first
-- version>, six digits at least.  Short, ASCII, unique and never reused
-- (ids come from a sequence); the module computes the same text for a
-- registration it has just recorded (doanra_trip_code in the core).  Not
-- STRICT (NULL in gives NULL out all the same), so that the planner inlines
-- it into record_submission's insert: a strict SQL function whose body has a
-- CASE is called, and planned, on every row instead.
CREATE OR REPLACE FUNCTION doanra.trip_code(p_year int, p_id bigint)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 'DR-' || p_year::text || '-' ||
           CASE WHEN p_id < 1000000 THEN lpad(p_id::text, 6, '0') ELSE p_id::text END
$$;
COMMENT ON FUNCTION doanra.trip_code(int, bigint) IS
    'Dossier code of a first version: DR-<year>-<id, 6 digits at least>.';

CREATE OR REPLACE FUNCTION doanra.trips_assign_code()
RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.code IS NULL THEN
        NEW.code := doanra.trip_code(NEW.year, NEW.id);
        NEW.version := 1;
    END IF;
    RETURN NEW;
END
$$;
-- Only for a trip inserted without its code (by hand): record_submission
-- writes the code with the row.
CREATE OR REPLACE TRIGGER trips_assign_code
    BEFORE INSERT ON doanra.trips
    FOR EACH ROW
    WHEN (NEW.code IS NULL)
    EXECUTE FUNCTION doanra.trips_assign_code();

-- Every trip the module records starts with a pending `register` step
-- (record_step turns it into `amend` for a new version).  Settled by
-- doanra.settle_steps with the submission.
CREATE OR REPLACE FUNCTION doanra.trips_register_event()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO doanra.trip_events
           (trip_id, code, action, from_status, to_status, state,
            remote_user, client_ip, submission_id)
    SELECT NEW.id, NEW.code, 'register', NULL, 'submitted',
           CASE WHEN NEW.status = 'pending' THEN 'pending' ELSE 'done' END,
           s.remote_user, s.client_ip, NEW.submission_id
      FROM doanra.submissions s WHERE s.id = NEW.submission_id;
    RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER trips_register_event
    AFTER INSERT ON doanra.trips
    FOR EACH ROW EXECUTE FUNCTION doanra.trips_register_event();

-- The fixed transition table (SPEC section 8): the status a step leaves
-- a trip in, or NULL when the trip's status does not allow the step.
-- The module's core keeps the same table (lifecycle.c) to judge a step
-- before the backend sees it; this one is what is enforced.
CREATE OR REPLACE FUNCTION doanra.step_target(p_action text, p_status text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN p_action = 'amend'   AND p_status IN ('pending', 'submitted', 'approved') THEN 'superseded'
        WHEN p_action = 'cancel'  AND p_status IN ('pending', 'submitted', 'approved') THEN 'cancelled'
        WHEN p_action = 'reject'  AND p_status IN ('pending', 'submitted') THEN 'rejected'
        WHEN p_action = 'approve' AND p_status IN ('pending', 'submitted') THEN 'approved'
        WHEN p_action = 'report'  AND p_status = 'approved' THEN 'completed'
    END
$$;
COMMENT ON FUNCTION doanra.step_target(text, text) IS
    'The status a step (amend: of the old version) moves a trip to from p_status, NULL when not allowed.';

-- The current version of a dossier, named by its code or by the backend's
-- reference, both in the normal form of codes (lower case for the ASCII
-- codes; the module passes doanra_text_code_norm of what was typed): the
-- newest version that is not void or superseded, else the newest.
CREATE OR REPLACE FUNCTION doanra.current_trip(p_norm text)
RETURNS SETOF doanra.trips
LANGUAGE sql STABLE AS $$
    SELECT t.*
      FROM doanra.trips t
     WHERE t.code = (SELECT x.code FROM doanra.trips x
                      WHERE lower(x.code) = p_norm OR x.reference_norm = p_norm
                      ORDER BY lower(x.code) = p_norm DESC, x.id DESC
                      LIMIT 1)
     ORDER BY t.status NOT IN ('void', 'superseded') DESC, t.version DESC
     LIMIT 1
$$;
COMMENT ON FUNCTION doanra.current_trip(text) IS
    'Current version of the dossier whose code or backend reference has this normal form.';

-- What the module needs to judge a later step: the current version and
-- the fields its submission carried (one row per value, in order), so the
-- core can rebuild the trip with its own trip builder and run the rules.
-- Rows: kind 't' (id, code, version, status, ngay_ve as a day number,
-- reference) then kind 'f' (name, value).
CREATE OR REPLACE FUNCTION doanra.trip_lookup(p_norm text)
RETURNS TABLE (kind text, id bigint, code text, num int, status text,
               day int, name text, value text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t doanra.trips;
BEGIN
    SELECT * INTO t FROM doanra.current_trip(p_norm);
    IF t.id IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY SELECT 't'::text, t.id, t.code, t.version, t.status,
                        (t.ngay_ve - DATE '1970-01-01'), t.reference, NULL::text;
    RETURN QUERY
    SELECT 'f'::text, NULL::bigint, NULL::text, NULL::int, NULL::text, NULL::int,
           e.key, coalesce(x.v, '')
      FROM doanra.submissions s,
           jsonb_each(s.fields) WITH ORDINALITY AS e(key, val, i),
           LATERAL jsonb_array_elements_text(
               CASE jsonb_typeof(e.val) WHEN 'array' THEN e.val
                                        ELSE jsonb_build_array(e.val) END)
               WITH ORDINALITY AS x(v, j)
     WHERE s.id = t.submission_id
     ORDER BY e.i, x.j;
END
$$;
COMMENT ON FUNCTION doanra.trip_lookup(text) IS
    'The current version of a dossier (code or reference, normal form) and its submitted fields, for the module.';

-- Apply one step to the current version of a trip, now: the transition
-- table decides.  Returns the event id, or raises when the trip is unknown
-- or its status does not allow the step.  Used by the admins' functions
-- below and by settle_steps.  Amend is not here: it needs the whole form,
-- so it is taken only through the module.
CREATE OR REPLACE FUNCTION doanra.apply_step(
    p_trip_id bigint, p_action text, p_from_status text,
    p_reason text, p_decision_no text, p_decision_date date, p_report_date date)
RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    t doanra.trips;
    target text;
BEGIN
    SELECT * INTO t FROM doanra.trips WHERE id = p_trip_id FOR UPDATE;
    IF t.id IS NULL OR t.status IS DISTINCT FROM p_from_status THEN
        RETURN false;
    END IF;
    target := doanra.step_target(p_action, t.status);
    IF target IS NULL OR p_action = 'amend' THEN
        RETURN false;
    END IF;
    IF p_action = 'report' AND t.ngay_ve >= current_date THEN
        RETURN false; -- not back yet: a report follows the return
    END IF;
    UPDATE doanra.trips
       SET status = target, updated_at = now(),
           report_filed_on = CASE WHEN p_action = 'report'
                                  THEN coalesce(p_report_date, current_date)
                                  ELSE report_filed_on END
     WHERE id = t.id;
    RETURN true;
END
$$;
COMMENT ON FUNCTION doanra.apply_step(bigint, text, text, text, text, date, date) IS
    'Moves a trip version by a step of SPEC section 8 when it is still in p_from_status and the transition table allows it; false otherwise.';

-- An admin's step, by dossier code or reference.
CREATE OR REPLACE FUNCTION doanra.admin_step(
    p_code text, p_action text, p_reason text, p_decision_no text,
    p_decision_date date, p_report_date date)
RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    t doanra.trips;
    target text;
BEGIN
    SELECT * INTO t FROM doanra.current_trip(doanra.norm_code(p_code));
    IF t.id IS NULL THEN
        RAISE EXCEPTION 'no trip with dossier code or reference %', p_code
            USING ERRCODE = 'no_data_found';
    END IF;
    target := doanra.step_target(p_action, t.status);
    IF target IS NULL THEN
        RAISE EXCEPTION 'trip % is %: % is not allowed', t.code, t.status, p_action
            USING ERRCODE = 'check_violation';
    END IF;
    IF p_action IN ('cancel', 'reject') AND coalesce(btrim(p_reason), '') = '' THEN
        RAISE EXCEPTION '% needs a reason', p_action USING ERRCODE = 'not_null_violation';
    END IF;
    IF p_action = 'approve' AND coalesce(btrim(p_decision_no), '') = '' THEN
        RAISE EXCEPTION 'approve needs a decision number' USING ERRCODE = 'not_null_violation';
    END IF;
    IF p_action = 'report' AND t.ngay_ve >= current_date THEN
        RAISE EXCEPTION 'trip % is back on %: no report before that', t.code, t.ngay_ve
            USING ERRCODE = 'check_violation';
    END IF;
    PERFORM doanra.apply_step(t.id, p_action, t.status, p_reason, p_decision_no,
                              p_decision_date, p_report_date);
    INSERT INTO doanra.trip_events
           (trip_id, code, action, from_status, to_status, state, remote_user,
            reason, decision_no, decision_date, report_date, settled_at)
    VALUES (t.id, t.code, p_action, t.status, target, 'done', session_user,
            p_reason, p_decision_no, p_decision_date, p_report_date, now());
    RETURN target;
END
$$;

CREATE OR REPLACE FUNCTION doanra.cancel_trip(p_code text, p_reason text)
RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT doanra.admin_step(p_code, 'cancel', p_reason, NULL, NULL, NULL)
$$;
COMMENT ON FUNCTION doanra.cancel_trip(text, text) IS
    'Cancels a trip (pending, submitted or approved) by dossier code or reference, with a reason; records the event.';

CREATE OR REPLACE FUNCTION doanra.reject_trip(p_code text, p_reason text)
RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT doanra.admin_step(p_code, 'reject', p_reason, NULL, NULL, NULL)
$$;
COMMENT ON FUNCTION doanra.reject_trip(text, text) IS
    'Rejects a trip (pending or submitted) by dossier code or reference, with a reason; records the event.';

CREATE OR REPLACE FUNCTION doanra.approve_trip(p_code text, p_decision_no text,
                                               p_decision_date date DEFAULT current_date)
RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT doanra.admin_step(p_code, 'approve', NULL, p_decision_no,
                             coalesce(p_decision_date, current_date), NULL)
$$;
COMMENT ON FUNCTION doanra.approve_trip(text, text, date) IS
    'Approves a trip (pending or submitted) by dossier code or reference, with the decision number and date; records the event. Unlike the module''s approve step, it runs no rule.';

CREATE OR REPLACE FUNCTION doanra.report_trip(p_code text,
                                              p_filed_on date DEFAULT current_date)
RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT doanra.admin_step(p_code, 'report', NULL, NULL, NULL,
                             coalesce(p_filed_on, current_date))
$$;
COMMENT ON FUNCTION doanra.report_trip(text, date) IS
    'Records the report on results of an approved trip that is back (completed, report_filed_on); records the event.';

-- The module records a later step: the submission (and, for amend, the
-- new version as a pending trip, through record_submission), then the
-- pending event.  An amendment's new version takes the dossier's code and
-- the next version number; the dossier's advisory lock keeps two
-- amendments of one trip from taking the same number.  p_journal_key is
-- the submission's journal key, as for record_submission.  (Before it,
-- record_step had thirty-seven arguments: retired.sql drops that signature.)
CREATE OR REPLACE FUNCTION doanra.record_step(
    p_action text, p_trip_id bigint, p_from_status text,
    p_reason text, p_decision_no text, p_decision_date date, p_report_date date,
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
RETURNS TABLE (submission_id bigint, trip_id bigint, event_id bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    old doanra.trips;
    sid bigint;
    tid bigint;
    eid bigint;
BEGIN
    SELECT * INTO old FROM doanra.trips WHERE id = p_trip_id;
    IF old.id IS NULL THEN
        RAISE EXCEPTION 'record_step: no trip %', p_trip_id;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('doanra-dossier/' || old.code, 0));

    SELECT r.submission_id, r.trip_id INTO sid, tid
      FROM doanra.record_submission(
               p_location, p_remote_user, p_client_ip, p_mode, p_fields,
               p_decision, p_findings, p_rules, p_action = 'amend' AND p_trip,
               p_unit_code, p_unit_name, p_purpose, p_partner, p_ngay_di,
               p_ngay_ve, p_funding, p_cost, p_plan_code, p_planned,
               p_unplanned_reason, m_person_keys, m_codes, m_names,
               m_positions, m_unit_codes, m_unit_names, m_leaders,
               l_countries, l_from, l_to, p_journal_key) AS r;

    IF p_action = 'amend' THEN
        IF tid IS NULL THEN
            RETURN QUERY SELECT sid, NULL::bigint, NULL::bigint;
            RETURN;
        END IF;
        UPDATE doanra.trips
           SET code = old.code,
               version = (SELECT max(x.version) + 1 FROM doanra.trips x
                           WHERE x.code = old.code)
         WHERE id = tid;
        UPDATE doanra.trip_events e
           SET code = old.code, action = 'amend', from_status = p_from_status,
               reason = p_reason
         WHERE e.trip_id = tid AND e.submission_id = sid
        RETURNING e.id INTO eid;
    ELSE
        INSERT INTO doanra.trip_events
               (trip_id, code, action, from_status, to_status, state,
                remote_user, client_ip, reason, decision_no, decision_date,
                report_date, submission_id)
        VALUES (old.id, old.code, p_action, p_from_status,
                doanra.step_target(p_action, p_from_status), 'pending',
                p_remote_user, p_client_ip, p_reason, p_decision_no,
                CASE WHEN p_action = 'approve'
                     THEN coalesce(p_decision_date, current_date) END,
                CASE WHEN p_action = 'report'
                     THEN coalesce(p_report_date, current_date) END,
                sid)
        RETURNING id INTO eid;
    END IF;
    RETURN QUERY SELECT sid, tid, eid;
END
$$;
COMMENT ON FUNCTION doanra.record_step(text, bigint, text, text, text, date, date, text, text, text, text, jsonb, text, jsonb, text[], boolean, text, text, text, text, date, date, text, bigint, text, boolean, text, text[], text[], text[], text[], text[], text[], boolean[], text[], date[], date[], text) IS
    'Records a later step of a trip through the module: the submission, for amend the new pending version, and the pending event.';

-- After the backend answered (called by doanra.settle): the pending steps
-- of the submission take effect when it accepted, else they are void.  A
-- step whose trip has meanwhile left the status it was judged in is void
-- too (two approvers of one trip: the first wins).
CREATE OR REPLACE FUNCTION doanra.settle_steps(p_submission_id bigint,
                                               p_backend_status int,
                                               p_accepted boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ev doanra.trip_events;
    t doanra.trips;
    cur doanra.trips;
    ok boolean;
BEGIN
    FOR ev IN SELECT * FROM doanra.trip_events
               WHERE submission_id = p_submission_id AND state = 'pending'
               ORDER BY id FOR UPDATE LOOP
        ok := p_accepted;
        IF ok AND ev.action = 'amend' THEN
            -- The versions it replaces must still be where it found them.
            SELECT * INTO cur FROM doanra.trips x
             WHERE x.code = ev.code AND x.id <> ev.trip_id
               AND x.status NOT IN ('void', 'superseded')
             ORDER BY x.version DESC LIMIT 1;
            IF cur.id IS NOT NULL AND cur.status IS DISTINCT FROM ev.from_status THEN
                ok := false;
                UPDATE doanra.trips SET status = 'void', updated_at = now()
                 WHERE id = ev.trip_id AND status = 'pending';
            ELSE
                UPDATE doanra.trips SET status = 'superseded', updated_at = now()
                 WHERE code = ev.code AND id <> ev.trip_id
                   AND version < (SELECT version FROM doanra.trips WHERE id = ev.trip_id)
                   AND status NOT IN ('void', 'superseded');
            END IF;
        ELSIF ok AND ev.action <> 'register' THEN
            ok := doanra.apply_step(ev.trip_id, ev.action, ev.from_status,
                                    ev.reason, ev.decision_no, ev.decision_date,
                                    ev.report_date);
        END IF;
        UPDATE doanra.trip_events
           SET state = CASE WHEN ok THEN 'done' ELSE 'void' END,
               to_status = CASE WHEN ev.action = 'register' AND NOT ok THEN 'void'
                                ELSE to_status END,
               backend_status = p_backend_status, settled_at = now()
         WHERE id = ev.id;
    END LOOP;
END
$$;
COMMENT ON FUNCTION doanra.settle_steps(bigint, int, boolean) IS
    'Applies (backend accepted) or voids the pending steps recorded with a submission.';

-- settle_steps for many submissions that carry no step but their trips'
-- `register` (doanra.settle_many): one UPDATE for all of them, what
-- settle_steps' loop does to a register event.  A submission named twice
-- is settled by its first item, as by settle called item by item (the
-- second finds nothing pending).  Only pending events move, so settling
-- twice changes nothing.
CREATE OR REPLACE FUNCTION doanra.settle_registers(p_submission_ids bigint[],
                                                   p_backend_statuses int[],
                                                   p_accepted boolean[])
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan SET jit = off AS $$
BEGIN
    UPDATE doanra.trip_events e
       SET state = CASE WHEN i.ok THEN 'done' ELSE 'void' END,
           to_status = CASE WHEN NOT i.ok THEN 'void' ELSE e.to_status END,
           backend_status = i.st, settled_at = now()
      FROM (SELECT DISTINCT ON (u.sid) u.sid, u.st,
                   coalesce(u.acc, u.st BETWEEN 200 AND 399) AS ok
              FROM unnest(p_submission_ids, p_backend_statuses, p_accepted)
                   WITH ORDINALITY AS u(sid, st, acc, n)
             WHERE u.sid IS NOT NULL
             ORDER BY u.sid, u.n) i
     WHERE e.submission_id = i.sid AND e.state = 'pending' AND e.action = 'register'
       -- Said twice: with it the plan reads trip_events_submission even
       -- while the table has no statistics yet (the generic plan is kept
       -- until they come); without, pending events look rare enough to
       -- read every event once instead.
       AND e.submission_id = ANY (p_submission_ids);
END
$$;
COMMENT ON FUNCTION doanra.settle_registers(bigint[], int[], boolean[]) IS
    'Settles the pending register events of many submissions (done when accepted, else void); settle_many''s part that needs the owner''s rights.';

-- The backend's own record id, sent back as X-Doanra-Reference.
CREATE OR REPLACE FUNCTION doanra.set_reference(p_trip_id bigint, p_reference text,
                                                p_reference_norm text)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    UPDATE doanra.trips
       SET reference = left(p_reference, 64),
           reference_norm = nullif(left(p_reference_norm, 256), '')
     WHERE id = p_trip_id;
$$;
COMMENT ON FUNCTION doanra.set_reference(bigint, text, text) IS
    'Stores the backend''s reference (X-Doanra-Reference) of a trip version.';

-- set_reference for many trips in one UPDATE (doanra.settle_many); a trip
-- named twice keeps its last reference, as set_reference called item by
-- item leaves it.
CREATE OR REPLACE FUNCTION doanra.set_references(p_trip_ids bigint[], p_references text[],
                                                 p_reference_norms text[])
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan SET jit = off AS $$
BEGIN
    UPDATE doanra.trips t
       SET reference = left(i.ref, 64),
           reference_norm = nullif(left(i.norm, 256), '')
      FROM (SELECT DISTINCT ON (u.tid) u.tid, u.ref, u.norm
              FROM unnest(p_trip_ids, p_references, p_reference_norms)
                   WITH ORDINALITY AS u(tid, ref, norm, n)
             WHERE u.tid IS NOT NULL
             ORDER BY u.tid, u.n DESC) i
     WHERE t.id = i.tid AND t.id = ANY (p_trip_ids);
END
$$;
COMMENT ON FUNCTION doanra.set_references(bigint[], text[], text[]) IS
    'Stores the backend''s references (X-Doanra-Reference) of many trip versions: set_reference for each.';
