-- pgcommit.sql - pgbench script of `make bench`: the floor of any durable
-- decision, measured against the same PostgreSQL and the same people as the
-- enforce runs (the "pgcommit" figures).  Whatever a decision does besides,
-- it has to take the lock that makes the quota exact, count the leader's
-- trips of the year, write one row and wait for the commit's WAL flush
-- (synchronous_commit on); no implementation of enforce can go faster than
-- this on the same machine.
--
--   pgbench -n -M prepared -c N -j J -T S -D n=0 -D k0=0 -D nclients=N \
--           -D y0=2027 -f pgcommit.sql doanra
--
-- Round trips, the fewest the dependencies allow with prepared statements:
--   1. BEGIN + pg_advisory_xact_lock(person_lock_key(leader))   pipelined
--   2. the count, as doanra.trip_facts counts for leader-quota: the
--      person's member rows of the year (index trip_members_person_year),
--      their trips of that year in a counted status.  A statement of its
--      own, after the lock: under READ COMMITTED its snapshot then sees
--      every trip the previous holder of the lock committed.  Its result
--      comes back to the client, which decides on it (\gset is not allowed
--      inside a pipeline).
--   3. INSERT of one row carrying the count + COMMIT               pipelined
-- The row goes to bench.decisions, a table bench/run creates for this
-- (bigserial primary key, as the module's submissions have).
--
-- Client c's n-th transaction is body k = k0 + n * nclients + c, as in
-- bench/dbbound.sql.in and bench/bodies.py: the key leader is c = k % 500,
-- the year the body's.  pgbench takes a colon followed by a letter for a
-- variable even inside a string literal, hence 'c:' || 'qn' below.

\set n :n + 1
\set k :k0 + :n * :nclients + :client_id
\set c :k % 500
\set b :k / 500
\set year :y0 + (:b / 2) % 60

\startpipeline
BEGIN;
SELECT pg_advisory_xact_lock(doanra.person_lock_key('c:' || 'qn' || lpad(:c::int::text, 4, '0')));
\endpipeline
SELECT count(DISTINCT t.id)::int AS counted
  FROM (SELECT tm.trip_id FROM doanra.trip_members tm
         WHERE tm.person_key = 'c:' || 'qn' || lpad(:c::int::text, 4, '0')
           AND tm.year = :year::int
        OFFSET 0) tm
  JOIN doanra.trips t ON t.id = tm.trip_id
 WHERE t.year = :year::int AND doanra.is_counted(t.status) \gset
\startpipeline
INSERT INTO bench.decisions (person_key, year, counted)
VALUES ('c:' || 'qn' || lpad(:c::int::text, 4, '0'), :year::int, :counted::int);
COMMIT;
\endpipeline
