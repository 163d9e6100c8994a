-- views.sql - report views of mod_doanra, read by the doanra_report role.
--
-- The reports in sql/reports/ select from these views; report writers may
-- write their own SQL over them too.  Views run with their owner's rights,
-- so doanra_report reads them without any right on the history tables.
--
-- "Counted" trips are those in status pending, submitted, approved or
-- completed: the ones the leader quota and member overlaps count (SPEC 3);
-- doanra.is_counted (functions.sql) is where that list lives.
--
-- Idempotent: CREATE OR REPLACE VIEW.  An upgrade may add columns at the end
-- of a view; renaming or removing one needs a DROP VIEW first (then roles.sql,
-- which runs after this file, grants the view again).

-- Every trip with its unit, itinerary summary and whether it counts.
CREATE OR REPLACE VIEW doanra.v_trips AS
SELECT t.id AS trip_id,
       t.submission_id,
       t.created_at,
       t.status,
       doanra.is_counted(t.status) AS counted,
       t.unit_code,
       COALESCE(u.name, t.unit_name) AS unit_name,
       t.purpose,
       t.partner,
       t.ngay_di,
       t.ngay_ve,
       t.year,
       t.funding,
       t.estimated_cost,
       t.plan_code,
       t.planned,
       t.unplanned_reason,
       t.member_count,
       l.countries,
       COALESCE(l.country_count, 0) AS country_count,
       COALESCE(l.days_abroad, 0) AS days_abroad,
       t.report_filed_on
FROM doanra.trips t
LEFT JOIN doanra.units u ON u.code = t.unit_code
LEFT JOIN LATERAL (
    SELECT string_agg(g.country, ', ' ORDER BY g.first_seq) AS countries,
           count(*)::int AS country_count,
           sum(g.days)::int AS days_abroad
    FROM (SELECT country::text AS country,
                 min(seq) AS first_seq,
                 sum(to_date - from_date + 1) AS days
          FROM doanra.trip_legs
          WHERE trip_id = t.id
          GROUP BY country) g
) l ON true;
COMMENT ON VIEW doanra.v_trips IS
    'Every trip recorded by mod_doanra: unit (registry name when known), dates, status, counted (pending/submitted/approved/completed), plan, members, countries in itinerary order (alpha-2, comma-separated), programme days abroad, report_filed_on.';

-- Counted trips and their members per unit and year.
CREATE OR REPLACE VIEW doanra.v_trips_per_unit_year AS
SELECT unit_code,
       unit_name,
       year,
       count(*)::int AS trips,
       sum(member_count)::int AS members,
       (count(*) FILTER (WHERE planned))::int AS planned_trips,
       (count(*) FILTER (WHERE NOT planned))::int AS unplanned_trips
FROM doanra.v_trips
WHERE counted
GROUP BY unit_code, unit_name, year;
COMMENT ON VIEW doanra.v_trips_per_unit_year IS
    'Per sending unit and year (of ngay_di): counted trips, members (sum of delegation sizes), planned and unplanned trips.';

-- Key leaders' counted trips per year and what is left of their quota.
CREATE OR REPLACE VIEW doanra.v_key_leader_trips AS
WITH key_people AS (
    -- A person is a key leader when a trip recorded them as one, or when the
    -- registry says so now.
    SELECT person_key FROM doanra.trip_members WHERE is_key_leader
    UNION
    SELECT m.person_key
    FROM doanra.trip_members m
    JOIN doanra.officials o ON o.code = m.official_code
    WHERE o.is_key_leader
), per_year AS (
    SELECT m.person_key,
           t.year,
           count(DISTINCT t.trip_id)::int AS trips,
           (array_agg(m.official_code ORDER BY t.ngay_di DESC))[1] AS official_code,
           (array_agg(m.full_name ORDER BY t.ngay_di DESC))[1] AS full_name,
           (array_agg(m.position ORDER BY t.ngay_di DESC))[1] AS position,
           (array_agg(COALESCE(m.unit_code, t.unit_code) ORDER BY t.ngay_di DESC))[1] AS unit_code,
           (array_agg(COALESCE(m.unit_name, t.unit_name) ORDER BY t.ngay_di DESC))[1] AS unit_name,
           string_agg(to_char(t.ngay_di, 'YYYY-MM-DD'), ', ' ORDER BY t.ngay_di) AS departures
    FROM doanra.trip_members m
    JOIN doanra.v_trips t ON t.trip_id = m.trip_id AND t.counted
    WHERE m.person_key IN (SELECT person_key FROM key_people)
    GROUP BY m.person_key, t.year
)
SELECT p.person_key,
       COALESCE(o.code, p.official_code) AS official_code,
       COALESCE(o.full_name, p.full_name) AS full_name,
       COALESCE(o.position, p.position) AS position,
       COALESCE(o.unit_code, p.unit_code) AS unit_code,
       COALESCE(u.name, p.unit_name) AS unit_name,
       p.year,
       p.trips,
       2 AS quota,
       GREATEST(2 - p.trips, 0) AS remaining,
       p.trips > 2 AS over_quota,
       p.departures
FROM per_year p
LEFT JOIN doanra.officials o ON o.code = p.official_code
LEFT JOIN doanra.units u ON u.code = COALESCE(o.unit_code, p.unit_code)
UNION ALL
-- Registry key leaders without a counted trip this year: the whole quota left.
SELECT doanra.official_key(o.code),
       o.code,
       o.full_name,
       o.position,
       o.unit_code,
       u.name,
       extract(year FROM current_date)::int,
       0,
       2,
       2,
       false,
       NULL
FROM doanra.officials o
LEFT JOIN doanra.units u ON u.code = o.unit_code
WHERE o.is_key_leader
  AND NOT EXISTS (SELECT 1 FROM per_year p
                  WHERE p.official_code = o.code
                    AND p.year = extract(year FROM current_date)::int);
COMMENT ON VIEW doanra.v_key_leader_trips IS
    'Per key leader (lãnh đạo chủ chốt) and year: counted trips, quota, remaining trips and over_quota, with departure dates. Assumes the default quota of 2 trips a year (DoanraMaxTripsPerYear 2); with another setting read trips against it. Registry key leaders without a trip this year appear with 0 trips.';

-- Trips outside the approved plan (phát sinh) and why they were needed.
CREATE OR REPLACE VIEW doanra.v_unplanned_trips AS
SELECT trip_id,
       submission_id,
       created_at,
       status,
       counted,
       unit_code,
       unit_name,
       purpose,
       partner,
       ngay_di,
       ngay_ve,
       year,
       countries,
       member_count,
       plan_code,
       unplanned_reason
FROM doanra.v_trips
WHERE NOT planned
  AND status <> 'void';
COMMENT ON VIEW doanra.v_unplanned_trips IS
    'Trips that matched no plan entry (planned = false), with unplanned_reason (ly_do_phat_sinh); void trips (never accepted by the backend) are left out.';

-- Findings per month, rule and severity, from every evaluated submission.
CREATE OR REPLACE VIEW doanra.v_findings_per_rule_month AS
SELECT date_trunc('month', s.created_at)::date AS month,
       f.value ->> 'rule' AS rule,
       f.value ->> 'severity' AS severity,
       count(*)::int AS findings,
       count(DISTINCT s.id)::int AS submissions
FROM doanra.submissions s
CROSS JOIN LATERAL jsonb_array_elements(
    CASE WHEN jsonb_typeof(s.findings) = 'array' THEN s.findings ELSE '[]'::jsonb END) AS f(value)
GROUP BY 1, 2, 3;
COMMENT ON VIEW doanra.v_findings_per_rule_month IS
    'Per month (first day, in the session time zone), rule id and severity: number of findings and of submissions having them, over all submissions evaluated in enforce and report mode.';

-- How large delegations are.
CREATE OR REPLACE VIEW doanra.v_delegation_sizes AS
SELECT year,
       member_count,
       count(*)::int AS trips,
       member_count > 10 AS over_limit
FROM doanra.v_trips
WHERE counted
GROUP BY year, member_count;
COMMENT ON VIEW doanra.v_delegation_sizes IS
    'Distribution of delegation sizes: per year and number of members, the counted trips of that size; over_limit when above the default 10 people (DoanraMaxMembers 10). Per-trip sizes are in v_trips.member_count.';

-- Where delegations went.
CREATE OR REPLACE VIEW doanra.v_countries_visited AS
WITH per_trip AS (
    SELECT l.trip_id,
           l.country::text AS country,
           sum(l.to_date - l.from_date + 1)::int AS days
    FROM doanra.trip_legs l
    GROUP BY l.trip_id, l.country
)
SELECT p.country,
       c.name_vi,
       c.name_en,
       t.year,
       count(*)::int AS trips,
       sum(p.days)::int AS days,
       sum(t.member_count)::int AS members
FROM per_trip p
JOIN doanra.v_trips t ON t.trip_id = p.trip_id AND t.counted
LEFT JOIN doanra.countries c ON c.code = p.country
GROUP BY p.country, c.name_vi, c.name_en, t.year;
COMMENT ON VIEW doanra.v_countries_visited IS
    'Per country and year: counted trips visiting it, programme days spent there (travel days not included) and members sent (sum of delegation sizes).';

-- Delegations back for more than 10 days without their report.
CREATE OR REPLACE VIEW doanra.v_reports_overdue AS
SELECT t.trip_id,
       t.unit_code,
       t.unit_name,
       t.purpose,
       t.partner,
       t.countries,
       t.ngay_di,
       t.ngay_ve,
       t.status,
       (current_date - t.ngay_ve) AS days_since_return,
       h.full_name AS head_name,
       h.position AS head_position
FROM doanra.v_trips t
LEFT JOIN LATERAL (
    -- The head of the delegation: its first key leader, else its first member.
    SELECT m.full_name, m.position
    FROM doanra.trip_members m
    WHERE m.trip_id = t.trip_id
    ORDER BY m.is_key_leader DESC, m.seq
    LIMIT 1
) h ON true
WHERE t.status IN ('submitted', 'approved', 'completed')
  AND t.report_filed_on IS NULL
  AND t.ngay_ve < current_date - 10;
COMMENT ON VIEW doanra.v_reports_overdue IS
    'Trips (submitted, approved or completed) back in Viet Nam for more than 10 days (ngay_ve before current_date - 10) whose report is not filed (report_filed_on NULL), with the head of the delegation.';

-- A trip's life (SPEC section 8) -------------------------------------------

DROP VIEW IF EXISTS doanra.v_dossiers;
CREATE VIEW doanra.v_dossiers AS
SELECT DISTINCT ON (t.code)
       t.code, t.id AS trip_id, t.version, t.status, t.reference,
       t.unit_code, coalesce(u.name, t.unit_name) AS unit_name, t.purpose,
       t.ngay_di, t.ngay_ve, t.year, t.member_count, t.report_filed_on,
       t.created_at, t.updated_at,
       (SELECT m.full_name FROM doanra.trip_members m
         WHERE m.trip_id = t.id ORDER BY m.seq LIMIT 1) AS head_name,
       (SELECT max(e.created_at) FROM doanra.trip_events e
         WHERE e.code = t.code) AS last_event_at
  FROM doanra.trips t
  LEFT JOIN doanra.units u ON u.code = t.unit_code
 ORDER BY t.code, t.status NOT IN ('void', 'superseded') DESC, t.version DESC;
COMMENT ON VIEW doanra.v_dossiers IS
    'One row per dossier code: its current version (the newest not void or superseded), status, backend reference, dates, head of delegation, report date.';

DROP VIEW IF EXISTS doanra.v_trip_events;
CREATE VIEW doanra.v_trip_events AS
SELECT e.code, e.id AS event_id, e.created_at, e.action, e.from_status,
       e.to_status, e.state, e.remote_user, e.client_ip, e.reason,
       e.decision_no, e.decision_date, e.report_date, e.submission_id,
       e.backend_status, e.settled_at, t.version
  FROM doanra.trip_events e
  JOIN doanra.trips t ON t.id = e.trip_id;
COMMENT ON VIEW doanra.v_trip_events IS
    'Every step of every trip (register, amend, cancel, reject, approve, report), pending, done or void.';
