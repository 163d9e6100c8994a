-- unchecked-trips.sql - các đoàn được cho qua khi cơ sở dữ liệu tạm thời
-- không hoạt động (DoanraOnDatabaseError allow) mà khi kiểm tra lại đầy đủ
-- thì KHÔNG đạt (vượt số chuyến của lãnh đạo chủ chốt, trùng thời gian, ngoài
-- kế hoạch...).  Trips let through unchecked during a database outage whose
-- late check by every rule failed; -v all=1 lists every unchecked trip.
-- "Kết quả backend" empty: the answer is unknown (the web server's process
-- died before it knew); the trip counts until an admin cancels it.
--
--   psql -f sql/reports/unchecked-trips.sql
--   psql -v all=1 -f sql/reports/unchecked-trips.sql

\if :{?all}
\else
\set all 0
\endif

SELECT v.code                                     AS "Mã hồ sơ",
       v.unit_name                                AS "Đơn vị",
       v.ngay_di                                  AS "Ngày đi",
       v.ngay_ve                                  AS "Ngày về",
       v.member_count                             AS "Số người",
       v.status                                   AS "Trạng thái",
       v.late_decision                            AS "Kiểm tra lại",
       array_to_string(v.late_rules, ', ')        AS "Quy tắc vi phạm",
       (SELECT string_agg(f->>'message', ' | ')
          FROM jsonb_array_elements(v.late_findings) f
         WHERE f->>'severity' = 'error')          AS "Lỗi",
       v.backend_status                           AS "Kết quả backend",
       v.written_in_at                            AS "Ghi lại lúc"
FROM doanra.v_unchecked_trips v
WHERE v.late_decision = 'fail' OR :all::int = 1
ORDER BY v.written_in_at, v.trip_id;
