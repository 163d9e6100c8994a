-- outcome-unknown.sql - hồ sơ chưa rõ kết quả: trips whose outcome nobody
-- recorded (SPEC section 8):
--   * pending for more than an hour: the backend's answer was never
--     settled (a child killed, the database gone at that moment);
--   * submitted, departure date passed: never approved, rejected or
--     cancelled - did the delegation go?
--   * a step still pending for more than an hour.
--
--   psql -f sql/reports/outcome-unknown.sql

SELECT d.code            AS "Mã hồ sơ",
       d.status          AS "Trạng thái",
       CASE WHEN d.status = 'pending' THEN 'chưa có kết quả gửi hồ sơ'
            WHEN d.status = 'submitted' THEN 'đã quá ngày đi mà chưa phê duyệt, từ chối hay hủy'
            ELSE 'có bước chưa có kết quả' END AS "Vấn đề",
       d.unit_name       AS "Đơn vị",
       d.head_name       AS "Trưởng đoàn",
       d.ngay_di         AS "Ngày đi",
       d.ngay_ve         AS "Ngày về",
       d.last_event_at   AS "Cập nhật"
FROM doanra.v_dossiers d
WHERE (d.status = 'pending' AND d.updated_at < now() - interval '1 hour')
   OR (d.status = 'submitted' AND d.ngay_di < current_date)
   OR EXISTS (SELECT 1 FROM doanra.v_trip_events e
               WHERE e.code = d.code AND e.state = 'pending'
                 AND e.created_at < now() - interval '1 hour')
ORDER BY d.ngay_di, d.code;
