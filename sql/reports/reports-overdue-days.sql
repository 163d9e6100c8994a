-- reports-overdue-days.sql - các đoàn đã về nước quá N ngày (mặc định 10) mà
-- chưa nộp báo cáo kết quả chuyến đi (Chỉ thị 38-CT/TW): approved trips
-- back for more than N days with no report_filed_on.  The head of the
-- delegation files it through the intranet's report form (DoanraAction
-- report); an admin may record it with SELECT doanra.report_trip('DR-…').
--
--   psql -f sql/reports/reports-overdue-days.sql
--   psql -v days=15 -f sql/reports/reports-overdue-days.sql

\if :{?days}
\else
\set days 10
\endif

SELECT d.code                        AS "Mã hồ sơ",
       d.unit_name                   AS "Đơn vị",
       d.head_name                   AS "Trưởng đoàn",
       d.purpose                     AS "Mục đích",
       d.ngay_di                     AS "Ngày đi",
       d.ngay_ve                     AS "Ngày về",
       current_date - d.ngay_ve      AS "Số ngày đã về",
       d.status                      AS "Trạng thái"
FROM doanra.v_dossiers d
WHERE d.status IN ('approved', 'completed')
  AND d.report_filed_on IS NULL
  AND d.ngay_ve < current_date - (:'days')::int
ORDER BY d.ngay_ve, d.code;
