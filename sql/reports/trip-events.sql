-- trip-events.sql - các bước của một hồ sơ đoàn ra (SPEC section 8).
--
--   psql -v code=DR-2027-000042 -f sql/reports/trip-events.sql
--   psql -f sql/reports/trip-events.sql        every trip's steps

\if :{?code}
\else
\set code ''
\endif

SELECT e.code           AS "Mã hồ sơ",
       e.created_at     AS "Thời điểm",
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
WHERE :'code' = '' OR lower(e.code) = lower(:'code')
ORDER BY e.code, e.created_at, e.event_id;
