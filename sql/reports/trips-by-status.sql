-- trips-by-status.sql - hồ sơ đoàn ra theo trạng thái, với mã hồ sơ
-- (SPEC section 8): the current version of every dossier.
--
--   psql -f sql/reports/trips-by-status.sql                 every status
--   psql -v status=approved -f sql/reports/trips-by-status.sql

\if :{?status}
\else
\set status ''
\endif

SELECT d.code              AS "Mã hồ sơ",
       d.status            AS "Trạng thái",
       d.version           AS "Bản",
       d.reference         AS "Số hồ sơ của hệ thống",
       d.unit_name         AS "Đơn vị",
       d.head_name         AS "Trưởng đoàn",
       d.ngay_di           AS "Ngày đi",
       d.ngay_ve           AS "Ngày về",
       d.report_filed_on   AS "Ngày nộp báo cáo",
       d.last_event_at     AS "Cập nhật"
FROM doanra.v_dossiers d
WHERE :'status' = '' OR d.status = :'status'
ORDER BY d.status, d.ngay_di, d.code;
