-- explain.sql - plans and cost of the history queries on the benchmark
-- database (`make bench-explain`, run by bench/run after bench/data.sql).
--
--   psql -v y0=2027 -d doanra -f bench/explain.sql
--
-- 1. The plan of every statement inside doanra.decision_facts for a typical
--    body (auto_explain with nested statements, second call: warm cache and
--    plpgsql's plan cache as in a pooled connection).
-- 2. The time of one decision_facts call, averaged over 500 calls with varied
--    people in one session (what the check handler waits for), printed as
--    `explain_decision_facts_ms N`, and the same for the full enforce
--    transaction's statements without the commit's fsync.

\set ON_ERROR_STOP 1
\pset pager off
SET client_min_messages = log;
LOAD 'auto_explain';
SET auto_explain.log_analyze = on;
SET auto_explain.log_buffers = on;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_min_duration = 0;

-- The people of body k (bench/bodies.py).
CREATE TEMP TABLE body AS
SELECT k, (SELECT array_agg('c:qn' || lpad(x::text, 4, '0') ORDER BY o)
             FROM unnest(ARRAY[k % 500, 500 + (k % 500 + 1) % 500] ||
                         ARRAY(SELECT 1000 + 8 * (k % 500) + j FROM generate_series(0, 7) j))
                  WITH ORDINALITY u(x, o)) AS keys,
       (SELECT array_agg('QN' || lpad(x::text, 4, '0') ORDER BY o)
             FROM unnest(ARRAY[k % 500, 500 + (k % 500 + 1) % 500] ||
                         ARRAY(SELECT 1000 + 8 * (k % 500) + j FROM generate_series(0, 7) j))
                  WITH ORDINALITY u(x, o)) AS codes,
       make_date(:y0 + (k / 1000) % 60, 1, 5) + ((k / 500) % 2) * 182 + (k % 500) % 170 AS d
  FROM generate_series(0, 499) k;

\echo '== plans inside doanra.decision_facts (body 0, second call) =='
SET auto_explain.log_min_duration = -1;
SELECT count(*) FROM body, doanra.decision_facts(keys, codes, '{t,t,f,f,f,f,f,f,f,f}', extract(year FROM d)::int,
       d, d + 8, 'KH' || extract(year FROM d) || '-BU' || lpad((k % 500)::text, 3, '0'),
       'BU' || lpad((k % 500)::text, 3, '0'), false, 64) WHERE k = 0;
SET auto_explain.log_min_duration = 0;
SELECT count(*) FROM body, doanra.decision_facts(keys, codes, '{t,t,f,f,f,f,f,f,f,f}', extract(year FROM d)::int,
       d, d + 8, 'KH' || extract(year FROM d) || '-BU' || lpad((k % 500)::text, 3, '0'),
       'BU' || lpad((k % 500)::text, 3, '0'), false, 64) WHERE k = 0;
SET auto_explain.log_min_duration = -1;

\echo '== time per call, 500 bodies =='
SET client_min_messages = notice;
DO $$
DECLARE
    b record;
    t0 timestamptz;
    n int := 0;
BEGIN
    -- Warm the plan cache and the buffers first, as a pooled connection is.
    FOR b IN SELECT * FROM body WHERE k < 20 LOOP
        PERFORM count(*) FROM doanra.decision_facts(b.keys, b.codes, '{t,t,f,f,f,f,f,f,f,f}',
            extract(year FROM b.d)::int, b.d, b.d + 8, NULL, 'BU000', false, 64);
    END LOOP;
    t0 := clock_timestamp();
    FOR b IN SELECT * FROM body LOOP
        PERFORM count(*) FROM doanra.decision_facts(b.keys, b.codes, '{t,t,f,f,f,f,f,f,f,f}',
            extract(year FROM b.d)::int, b.d, b.d + 8,
            'KH' || extract(year FROM b.d) || '-BU' || lpad((b.k % 500)::text, 3, '0'),
            'BU' || lpad((b.k % 500)::text, 3, '0'), false, 64);
        n := n + 1;
    END LOOP;
    RAISE NOTICE 'explain_decision_facts_ms %',
        round((extract(epoch FROM clock_timestamp() - t0) * 1000 / n)::numeric, 3);
END
$$;
