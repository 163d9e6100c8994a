-- delegation-sizes.sql - phân bố quy mô đoàn (số thành viên mỗi đoàn).
-- From doanra.v_delegation_sizes: counted trips per year and size; sizes
-- above 10 people (the default DoanraMaxMembers) are marked.
--
--   psql -f sql/reports/delegation-sizes.sql [-v year=2026]
--
-- year: only that year (default: every year).

\if :{?year}
\else
\set year ''
\endif

SELECT v.year                                           AS "Năm",
       v.member_count                                   AS "Số thành viên",
       v.trips                                          AS "Số đoàn",
       CASE WHEN v.over_limit THEN 'Vượt 10 người' ELSE '' END AS "Ghi chú"
FROM doanra.v_delegation_sizes v
WHERE v.year = COALESCE(NULLIF(:'year', '')::int, v.year)
ORDER BY v.year DESC, v.member_count;
