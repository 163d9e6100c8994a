-- schema.sql - tables of mod_doanra (schema doanra).
--
-- Idempotent: every statement may run again on an installed database, so
-- install.sql doubles as the upgrade path.  New columns are added with
-- ADD COLUMN IF NOT EXISTS below the table they belong to; nothing is dropped.

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
CREATE INDEX IF NOT EXISTS submissions_created_at ON doanra.submissions (created_at);

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
CREATE INDEX IF NOT EXISTS trips_year ON doanra.trips (year);
CREATE INDEX IF NOT EXISTS trips_unit_year ON doanra.trips (unit_code, year);

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
CREATE INDEX IF NOT EXISTS trip_members_person ON doanra.trip_members (person_key);

CREATE TABLE IF NOT EXISTS doanra.trip_legs (
    trip_id bigint NOT NULL REFERENCES doanra.trips ON DELETE CASCADE,
    seq int NOT NULL,
    country char(2) NOT NULL,
    from_date date NOT NULL,
    to_date date NOT NULL,
    PRIMARY KEY (trip_id, seq)
);
COMMENT ON TABLE doanra.trip_legs IS 'Itinerary of a trip: programme days in each country, travel days not included.';
