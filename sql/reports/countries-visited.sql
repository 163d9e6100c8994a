-- countries-visited.sql - các nước đoàn ra đã đến: số đoàn, số ngày làm việc
-- và số lượt người theo năm.
-- From doanra.v_countries_visited (counted trips; travel days not included).
--
--   psql -f sql/reports/countries-visited.sql [-v year=2026]
--
-- year: only that year (default: every year).

\if :{?year}
\else
\set year ''
\endif

SELECT v.year                          AS "Năm",
       v.country                       AS "Mã nước",
       COALESCE(v.name_vi, v.country)  AS "Quốc gia",
       v.trips                         AS "Số đoàn",
       v.days                          AS "Số ngày",
       v.members                       AS "Số lượt người"
FROM doanra.v_countries_visited v
WHERE v.year = COALESCE(NULLIF(:'year', '')::int, v.year)
ORDER BY v.year DESC, v.trips DESC, v.days DESC, v.country;
