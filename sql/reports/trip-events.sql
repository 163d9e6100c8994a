-- trip-events.sql - các bước của một hồ sơ đoàn ra (SPEC section 8).
--
--   psql -v code=DR-2027-000042 -f sql/reports/trip-events.sql

\if :{?code}
\else
\echo 'usage: psql -v code=DR-2027-000042 -f sql/reports/trip-events.sql'
\quit
\endif

SELECT e.created_at     AS "Thời điểm",
       e.action         AS "Bước",
       e.from_status    AS "Từ trạng thái",
       e.to_status      AS "Sang trạng thái",
       e.state          AS "Kết quả",
       e.remote_user    AS "Người thực hiện",
       e.reason         AS "Lý do",
       e.decision_no    AS "Số quyết định",
       e.decision_date  AS "Ngày quyết định",
       e.report_date    AS "Ngày nộp báo cáo",
       e.version        AS "Bản",
       e.submission_id  AS "Lần gửi"
FROM doanra.v_trip_events e
WHERE lower(e.code) = lower(:'code')
ORDER BY e.created_at, e.event_id;
