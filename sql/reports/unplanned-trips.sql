-- unplanned-trips.sql - các đoàn ra phát sinh ngoài kế hoạch và lý do.
-- From doanra.v_unplanned_trips (void trips left out).
--
--   psql -f sql/reports/unplanned-trips.sql [-v year=2026]
--
-- year: only trips departing that year (default: every year).

\if :{?year}
\else
\set year ''
\endif

SELECT v.year                             AS "Năm",
       v.ngay_di                          AS "Ngày đi",
       v.ngay_ve                          AS "Ngày về",
       v.unit_name                        AS "Đơn vị",
       v.purpose                          AS "Mục đích",
       COALESCE(v.countries, '')          AS "Quốc gia",
       v.member_count                     AS "Số người",
       v.status                           AS "Trạng thái",
       COALESCE(v.unplanned_reason, '')   AS "Lý do phát sinh",
       v.trip_id                          AS "Mã đoàn"
FROM doanra.v_unplanned_trips v
WHERE v.year = COALESCE(NULLIF(:'year', '')::int, v.year)
ORDER BY v.ngay_di DESC, v.trip_id DESC;
