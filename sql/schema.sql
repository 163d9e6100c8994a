-- schema.sql - tables of mod_doanra (schema doanra).
--
-- Idempotent: every statement may run again on an installed database, so
-- install.sql doubles as the upgrade path.  New columns are added with
-- ADD COLUMN IF NOT EXISTS below the table they belong to; no table, column
-- or row is dropped (indexes an earlier version had and this one does not
-- are dropped by retired.sql).
--
-- Indexes: each one is there for a query that uses it (named in its
-- comment); every index is one more entry to write for every row the
-- module records.

CREATE SCHEMA IF NOT EXISTS doanra;

-- Reference data, loaded by admins -------------------------------------

CREATE TABLE IF NOT EXISTS doanra.units (
    code text PRIMARY KEY,
    name text NOT NULL
);
COMMENT ON TABLE doanra.units IS 'Units (sở, ban, ngành, địa phương) that send delegations; code is what forms send as ma_don_vi.';

CREATE TABLE IF NOT EXISTS doanra.officials (
    code text PRIMARY KEY,
    full_name text NOT NULL,
    unit_code text REFERENCES doanra.units,
    position text,
    is_key_leader boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE doanra.officials IS 'Officials registry; is_key_leader marks lãnh đạo chủ chốt (at most DoanraMaxTripsPerYear trips a year).';

CREATE TABLE IF NOT EXISTS doanra.countries (
    code char(2) PRIMARY KEY,
    name_vi text,
    name_en text,
    region text,
    subregion text
);
COMMENT ON TABLE doanra.countries IS 'ISO 3166-1 countries with Vietnamese and English names and UN M49 region and sub-region; shipped with the module (sql/countries.sql).';

CREATE TABLE IF NOT EXISTS doanra.plan_entries (
    code text PRIMARY KEY,
    year int NOT NULL,
    unit_code text NOT NULL REFERENCES doanra.units,
    countries char(2)[] NOT NULL,
    period_from date NOT NULL,
    period_to date NOT NULL,
    purpose text,
    CHECK (period_to >= period_from)
);
COMMENT ON TABLE doanra.plan_entries IS 'The approved plan of trips abroad (kế hoạch đoàn ra); a trip matches an entry of its unit and year covering its countries and departure date.';
CREATE INDEX IF NOT EXISTS plan_entries_unit_year ON doanra.plan_entries (unit_code, year);

-- History, written by the module ----------------------------------------

CREATE TABLE IF NOT EXISTS doanra.submissions (
    id bigserial PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    location text NOT NULL,
    remote_user text,
    client_ip text,
    mode text NOT NULL CHECK (mode IN ('enforce', 'report')),
    fields jsonb NOT NULL,
    decision text NOT NULL CHECK (decision IN ('pass', 'warn', 'fail')),
    findings jsonb NOT NULL DEFAULT '[]',
    rules text[] NOT NULL DEFAULT '{}',
    backend_status int,
    settled_at timestamptz
);
COMMENT ON TABLE doanra.submissions IS 'Every POST evaluated in enforce or report mode: what was submitted, the decision and findings, and the backend''s answer.';
COMMENT ON COLUMN doanra.submissions.findings IS 'Array of {rule, severity, field, row, message}.';
COMMENT ON COLUMN doanra.submissions.backend_status IS 'HTTP status of the backend; NULL while pending or when blocked; 0 when the backend could not be reached.';

CREATE TABLE IF NOT EXISTS doanra.trips (
    id bigserial PRIMARY KEY,
    submission_id bigint NOT NULL UNIQUE REFERENCES doanra.submissions,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'submitted', 'void', 'approved', 'completed', 'rejected', 'cancelled')),
    unit_code text,
    unit_name text,
    purpose text,
    partner text,
    ngay_di date NOT NULL,
    ngay_ve date NOT NULL,
    year int NOT NULL,
    funding text,
    estimated_cost bigint,
    plan_code text,
    planned boolean NOT NULL DEFAULT false,
    unplanned_reason text,
    member_count int NOT NULL,
    report_filed_on date,
    CHECK (ngay_ve >= ngay_di)
);
COMMENT ON TABLE doanra.trips IS 'Delegations let through by the module. pending -> submitted (backend 2xx/3xx) or void; admins move them on to approved, completed, rejected or cancelled. Counted for quotas and overlaps: pending, submitted, approved, completed.';
COMMENT ON COLUMN doanra.trips.report_filed_on IS 'Day the head of the delegation filed the report on its results; set by admins.';
-- The report views by year (trips-per-unit, delegation-sizes, ... -v year).
CREATE INDEX IF NOT EXISTS trips_year ON doanra.trips (year);

CREATE TABLE IF NOT EXISTS doanra.trip_members (
    trip_id bigint NOT NULL REFERENCES doanra.trips ON DELETE CASCADE,
    seq int NOT NULL,
    person_key text NOT NULL,
    official_code text,
    full_name text NOT NULL,
    position text,
    unit_code text,
    unit_name text,
    is_key_leader boolean NOT NULL DEFAULT false,
    PRIMARY KEY (trip_id, seq)
);
COMMENT ON TABLE doanra.trip_members IS 'Members of a trip; person_key identifies a person across trips (c:<official code>, else n:<normalised name>|<unit>).';

-- The trip's year and dates, copied onto each member row (written by
-- record_submission's insert, else by the triggers of functions.sql), so
-- that a person's trips in a year and a person's trips overlapping given
-- dates are read from these few index entries instead of joining every past
-- trip of the person (doanra.history_facts, over the years such a trip can
-- depart in; the index below also serves every other lookup by
-- person_key, e.g. v_key_leader_trips).  The year is that of ngay_di, as
-- doanra.trips.year.
ALTER TABLE doanra.trip_members ADD COLUMN IF NOT EXISTS year int;
ALTER TABLE doanra.trip_members ADD COLUMN IF NOT EXISTS ngay_di date;
ALTER TABLE doanra.trip_members ADD COLUMN IF NOT EXISTS ngay_ve date;
COMMENT ON COLUMN doanra.trip_members.year IS 'Copy of doanra.trips.year (written with the row; filled from the trip when left NULL, and kept in step by trigger).';
COMMENT ON COLUMN doanra.trip_members.ngay_di IS 'Copy of doanra.trips.ngay_di (written with the row; filled from the trip when left NULL, and kept in step by trigger).';
COMMENT ON COLUMN doanra.trip_members.ngay_ve IS 'Copy of doanra.trips.ngay_ve (written with the row; filled from the trip when left NULL, and kept in step by trigger).';
CREATE INDEX IF NOT EXISTS trip_members_person_year ON doanra.trip_members (person_key, year);

-- A bound on the stay of any member row, in days (ngay_ve - ngay_di): a
-- month, or the longest stay recorded when that is longer (raised by the
-- trigger of functions.sql, never lowered).  It bounds the overlap read of
-- doanra.history_facts from below: a trip that overlaps [from, to] returns
-- on or after `from`, so it departs no earlier than `from` less the longest
-- stay, and the index (person_key, year) is read from that year on instead
-- of over every earlier trip of the person.  One row.
CREATE TABLE IF NOT EXISTS doanra.trip_span (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    days int NOT NULL DEFAULT 31
);
COMMENT ON TABLE doanra.trip_span IS 'One row: 31 days, or the longest ngay_ve - ngay_di of any doanra.trip_members row when longer (raised by trigger, never lowered); bounds the overlap read of doanra.history_facts.';

CREATE TABLE IF NOT EXISTS doanra.trip_legs (
    trip_id bigint NOT NULL REFERENCES doanra.trips ON DELETE CASCADE,
    seq int NOT NULL,
    country char(2) NOT NULL,
    from_date date NOT NULL,
    to_date date NOT NULL,
    PRIMARY KEY (trip_id, seq)
);
COMMENT ON TABLE doanra.trip_legs IS 'Itinerary of a trip: programme days in each country, travel days not included.';

-- Constraints, indexes and comments added after the first release ----------
-- Constraints are added NOT VALID: they hold for every new or changed row, and
-- an upgrade never fails on rows an admin loaded earlier.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                   WHERE conname = 'countries_code_format'
                     AND conrelid = 'doanra.countries'::regclass) THEN
        ALTER TABLE doanra.countries
            ADD CONSTRAINT countries_code_format CHECK (code ~ '^[A-Z]{2}$') NOT VALID;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                   WHERE conname = 'plan_entries_countries_not_empty'
                     AND conrelid = 'doanra.plan_entries'::regclass) THEN
        ALTER TABLE doanra.plan_entries
            ADD CONSTRAINT plan_entries_countries_not_empty
            CHECK (cardinality(countries) >= 1) NOT VALID;
    END IF;
END
$$;

-- Overdue reports: every unit's (v_reports_overdue), and one unit's (the
-- rule report-overdue, doanra.trip_facts, on every decision).
CREATE INDEX IF NOT EXISTS trips_awaiting_report ON doanra.trips (ngay_ve)
    WHERE report_filed_on IS NULL;
CREATE INDEX IF NOT EXISTS trips_unit_awaiting_report ON doanra.trips (unit_code, ngay_ve)
    WHERE report_filed_on IS NULL;

COMMENT ON COLUMN doanra.countries.region IS 'UN M49 code of the continent, e.g. 142 (Asia).';
COMMENT ON COLUMN doanra.countries.subregion IS 'UN M49 code of the sub-region, e.g. 035 (South-eastern Asia); the region rule compares these.';
COMMENT ON COLUMN doanra.plan_entries.countries IS 'ISO 3166-1 alpha-2 codes of the countries the planned trip may visit.';
COMMENT ON COLUMN doanra.trips.status IS 'pending, submitted, void, approved, completed, rejected or cancelled; pending, submitted, approved and completed count towards quotas.';
COMMENT ON COLUMN doanra.trips.year IS 'Calendar year of ngay_di; the leader quota counts trips per year.';
COMMENT ON COLUMN doanra.trips.planned IS 'True when the trip matched an entry of the approved plan (plan_code).';
COMMENT ON COLUMN doanra.trips.unplanned_reason IS 'ly_do_phat_sinh: why an unplanned trip is needed.';
COMMENT ON COLUMN doanra.trips.member_count IS 'Number of members as submitted.';
COMMENT ON COLUMN doanra.trip_members.is_key_leader IS 'Key leader when the trip was recorded (registry flag, else position title).';

-- A trip's life after it is submitted (SPEC section 8) ---------------------
--
-- A trip version is a doanra.trips row.  All versions of one delegation
-- share its dossier code (mã hồ sơ); an amendment adds a version and the
-- older ones become `superseded`.  The backend's own record id, when it
-- sends one (X-Doanra-Reference), is kept with the version it answered.
ALTER TABLE doanra.trips ADD COLUMN IF NOT EXISTS code text;
ALTER TABLE doanra.trips ADD COLUMN IF NOT EXISTS version int NOT NULL DEFAULT 1;
ALTER TABLE doanra.trips ADD COLUMN IF NOT EXISTS reference text;
ALTER TABLE doanra.trips ADD COLUMN IF NOT EXISTS reference_norm text;
COMMENT ON COLUMN doanra.trips.code IS 'Dossier code (mã hồ sơ), e.g. DR-2027-000042: shared by every version of the trip, never reused.';
COMMENT ON COLUMN doanra.trips.version IS 'Version of the trip under its code: 1 for the registration, one more for each amendment.';
COMMENT ON COLUMN doanra.trips.reference IS 'The backend''s own record id (response header X-Doanra-Reference), at most 64 characters.';
COMMENT ON COLUMN doanra.trips.reference_norm IS 'reference in the module''s normal form of codes (ICU), for ma_ho_so lookups.';
COMMENT ON COLUMN doanra.trips.report_filed_on IS 'Day the head of the delegation filed the report on its results (the report step).';

DO $$
BEGIN
    -- `superseded`: an older version of an amended trip.
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                   WHERE conname = 'trips_status_check'
                     AND conrelid = 'doanra.trips'::regclass
                     AND pg_get_constraintdef(oid) LIKE '%superseded%') THEN
        ALTER TABLE doanra.trips DROP CONSTRAINT IF EXISTS trips_status_check;
        ALTER TABLE doanra.trips ADD CONSTRAINT trips_status_check
            CHECK (status IN ('pending', 'submitted', 'void', 'approved', 'completed',
                              'rejected', 'cancelled', 'superseded'));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                   WHERE conname = 'trips_reference_length'
                     AND conrelid = 'doanra.trips'::regclass) THEN
        ALTER TABLE doanra.trips ADD CONSTRAINT trips_reference_length
            CHECK (length(reference) <= 64) NOT VALID;
    END IF;
END
$$;
CREATE UNIQUE INDEX IF NOT EXISTS trips_code_version ON doanra.trips (code, version);
CREATE INDEX IF NOT EXISTS trips_code_lower ON doanra.trips (lower(code));
CREATE INDEX IF NOT EXISTS trips_reference_norm ON doanra.trips (reference_norm)
    WHERE reference_norm IS NOT NULL;
COMMENT ON TABLE doanra.trips IS 'Delegations let through by the module, one row per version. pending -> submitted (backend 2xx/3xx) or void; then the steps of SPEC section 8 (doanra.trip_events): approved, completed, rejected, cancelled, superseded. Counted for quotas and overlaps: pending, submitted, approved, completed.';
COMMENT ON COLUMN doanra.trips.status IS 'pending, submitted, void, approved, completed, rejected, cancelled or superseded; pending, submitted, approved and completed count towards quotas.';

CREATE TABLE IF NOT EXISTS doanra.trip_events (
    id bigserial PRIMARY KEY,
    trip_id bigint NOT NULL REFERENCES doanra.trips ON DELETE CASCADE,
    code text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    action text NOT NULL
        CHECK (action IN ('register', 'amend', 'cancel', 'reject', 'approve', 'report')),
    from_status text,
    to_status text NOT NULL,
    state text NOT NULL DEFAULT 'done' CHECK (state IN ('pending', 'done', 'void')),
    remote_user text,
    client_ip text,
    reason text,
    decision_no text,
    decision_date date,
    report_date date,
    submission_id bigint REFERENCES doanra.submissions,
    backend_status int,
    settled_at timestamptz
);
COMMENT ON TABLE doanra.trip_events IS 'Every step of a trip''s life (SPEC section 8): register, amend, cancel, reject, approve, report. A step taken through the module is pending until the backend answers: done when it accepted (and the trip moved from from_status to to_status), void otherwise or when the trip had meanwhile left from_status.';
COMMENT ON COLUMN doanra.trip_events.trip_id IS 'The version the step acts on (for amend: the new version).';
COMMENT ON COLUMN doanra.trip_events.state IS 'pending (waiting for the backend), done (applied) or void (not applied).';
-- A trip's events (v_trip_events, the approvals waiting in trip_facts, ON
-- DELETE CASCADE), a dossier's (v_dossiers, reports), a submission's
-- (settle_steps).  Nothing indexes state, so settling an event can be a
-- HOT update that writes no index entry.
CREATE INDEX IF NOT EXISTS trip_events_trip ON doanra.trip_events (trip_id);
CREATE INDEX IF NOT EXISTS trip_events_code ON doanra.trip_events (code, created_at);
CREATE INDEX IF NOT EXISTS trip_events_submission ON doanra.trip_events (submission_id);
