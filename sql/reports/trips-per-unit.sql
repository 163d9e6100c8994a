-- trips-per-unit.sql - số đoàn ra và số lượt người theo đơn vị và năm.
-- Counted trips (pending, submitted, approved, completed) per sending unit
-- and year, from doanra.v_trips_per_unit_year.
--
--   psql -f sql/reports/trips-per-unit.sql [-v year=2026]
--
-- year: only that year (default: every year).

\if :{?year}
\else
\set year ''
\endif

SELECT v.year                        AS "Năm",
       COALESCE(v.unit_code, '')     AS "Mã đơn vị",
       v.unit_name                   AS "Đơn vị",
       v.trips                       AS "Số đoàn",
       v.members                     AS "Số lượt người",
       v.planned_trips               AS "Trong kế hoạch",
       v.unplanned_trips             AS "Phát sinh"
FROM doanra.v_trips_per_unit_year v
WHERE v.year = COALESCE(NULLIF(:'year', '')::int, v.year)
ORDER BY v.year DESC, v.trips DESC, v.unit_name;
