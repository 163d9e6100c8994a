-- key-leader-quota.sql - số chuyến đi nước ngoài của lãnh đạo chủ chốt trong
-- năm và số chuyến còn lại theo giới hạn 2 chuyến/năm.
-- From doanra.v_key_leader_trips (default quota 2, DoanraMaxTripsPerYear).
--
--   psql -f sql/reports/key-leader-quota.sql [-v year=2026]
--
-- year: the calendar year (default: the current year).

\if :{?year}
\else
\set year ''
\endif

SELECT v.year                                  AS "Năm",
       v.full_name                             AS "Họ tên",
       v.position                              AS "Chức vụ",
       v.unit_name                             AS "Đơn vị",
       v.trips                                 AS "Số chuyến",
       v.quota                                 AS "Giới hạn",
       v.remaining                             AS "Còn lại",
       CASE WHEN v.over_quota THEN 'Vượt giới hạn'
            WHEN v.remaining = 0 THEN 'Hết lượt'
            ELSE '' END                         AS "Ghi chú",
       COALESCE(v.departures, '')              AS "Ngày đi"
FROM doanra.v_key_leader_trips v
WHERE v.year = COALESCE(NULLIF(:'year', '')::int, extract(year FROM current_date)::int)
ORDER BY v.trips DESC, v.unit_name, v.full_name;
