-- reports-overdue.sql - các đoàn đã về nước quá 10 ngày mà chưa nộp báo cáo
-- kết quả chuyến đi (report_filed_on chưa có).
-- From doanra.v_reports_overdue (status submitted, approved or completed).
-- Admins record a filed report with:
--   SELECT doanra.report_trip('DR-2027-000042', DATE '2027-04-20');
--
--   psql -f sql/reports/reports-overdue.sql

SELECT v.trip_id                  AS "Mã đoàn",
       v.unit_name                AS "Đơn vị",
       v.head_name                AS "Trưởng đoàn",
       v.head_position            AS "Chức vụ",
       v.purpose                  AS "Mục đích",
       COALESCE(v.countries, '')  AS "Quốc gia",
       v.ngay_di                  AS "Ngày đi",
       v.ngay_ve                  AS "Ngày về",
       v.days_since_return        AS "Số ngày đã về",
       v.status                   AS "Trạng thái"
FROM doanra.v_reports_overdue v
ORDER BY v.days_since_return DESC, v.trip_id;
