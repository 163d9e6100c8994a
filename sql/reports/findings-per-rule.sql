-- findings-per-rule.sql - số lỗi và cảnh báo theo quy tắc và tháng.
-- From doanra.v_findings_per_rule_month: every submission evaluated in
-- enforce and report mode.
--
--   psql -f sql/reports/findings-per-rule.sql [-v year=2026]
--
-- year: only months of that year (default: every month).

\if :{?year}
\else
\set year ''
\endif

SELECT to_char(v.month, 'YYYY-MM')                         AS "Tháng",
       v.rule                                              AS "Quy tắc",
       CASE v.severity WHEN 'error' THEN 'Lỗi'
                       WHEN 'warning' THEN 'Cảnh báo'
                       ELSE v.severity END                 AS "Mức độ",
       v.findings                                          AS "Số lần",
       v.submissions                                       AS "Số hồ sơ"
FROM doanra.v_findings_per_rule_month v
WHERE extract(year FROM v.month)::int
      = COALESCE(NULLIF(:'year', '')::int, extract(year FROM v.month)::int)
ORDER BY v.month DESC, v.findings DESC, v.rule, v.severity;
