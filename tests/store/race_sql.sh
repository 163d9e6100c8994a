#!/bin/sh
# race_sql.sh - the leader quota under concurrency, at the SQL level.
#
# N parallel sessions each do what the store does for one submission of the
# same key leader: BEGIN; doanra.trip_facts with locks; decide in the client
# (separate statement, after a pause that widens the race window); record
# the trip only when the count allows it; COMMIT.  Exactly QUOTA trips must
# be recorded.  A control run without locks must record more than QUOTA
# (the test fails otherwise): it shows the test can see a race.  Ends with
# "race_sql: N passed, N failed".
set -u
N=${N:-20}
QUOTA=2
WINDOW=${WINDOW:-0.1}   # seconds between reading the count and recording
REPEAT=${REPEAT:-3}     # locked runs, each for a fresh person
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/pg.sh"; pg_start || { echo "FAIL cannot start PostgreSQL"; exit 1; }

psql -q -v ON_ERROR_STOP=1 <<'SQL' || exit 1
DELETE FROM doanra.trip_legs; DELETE FROM doanra.trip_members;
DELETE FROM doanra.trips; DELETE FROM doanra.submissions;
INSERT INTO doanra.units VALUES ('RACE', 'Đơn vị thử') ON CONFLICT DO NOTHING;
INSERT INTO doanra.officials VALUES ('LEADER1', 'Trần Văn Lãnh Đạo', 'RACE', 'Giám đốc', true)
    ON CONFLICT DO NOTHING;
SQL

session() { # $1 = session number, $2 = lock (t/f), $3 = person key
    day=$(printf '%02d' $(( ($1 % 28) + 1 )))
    loc=/race; [ "$2" = t ] || loc=/race-control
    psql -q -X -v ON_ERROR_STOP=1 -v lock="$2" -v pk="$3" -v d="2026-07-$day" \
        -v loc="$loc" -v window="$WINDOW" <<'SQL'
BEGIN;
SELECT (coalesce(max(num), 0) < 2) AS ok
  FROM doanra.trip_facts(ARRAY[:'pk'], ARRAY['LEADER1'], '{f}', 2026,
                         :'d'::date, :'d'::date, NULL, 'RACE', :'lock'::boolean)
 WHERE kind = 'm' \gset
SELECT pg_sleep(:window);
SELECT * FROM doanra.record_submission(:'loc', NULL, '127.0.0.1', 'enforce',
    '{}', CASE WHEN :'ok' THEN 'pass' ELSE 'fail' END, '[]', '{}', :'ok'::boolean,
    'RACE', 'Đơn vị thử', 'thử', 'đối tác', :'d'::date, :'d'::date, 'doi_tac',
    NULL, NULL, false, 'thử', ARRAY[:'pk'], ARRAY['LEADER1'], ARRAY['Trần Văn Lãnh Đạo'],
    ARRAY['Giám đốc'], ARRAY['RACE'], ARRAY['Đơn vị thử'], '{t}', '{JP}',
    ARRAY[:'d'::date], ARRAY[:'d'::date]) \g /dev/null
COMMIT;
SQL
}

run() { # $1 = lock, $2 = person key; prints the number of trips recorded
    i=1; pids=
    while [ $i -le "$N" ]; do
        session $i "$1" "$2" >/dev/null & pids="$pids $!"
        i=$((i + 1))
    done
    for p in $pids; do wait "$p"; done
    psql -qtAc "SELECT count(*) FROM doanra.trips t JOIN doanra.trip_members m
                ON m.trip_id = t.id WHERE m.person_key = '$2'"
}

# The control first: without locks the same sessions must book more than
# the quota, or this test cannot see a race and its PASS says nothing.  A
# loaded machine may spread one run out: up to three tries.
control=""
for try in 1 2 3; do
    unlocked=$(run f c:CONTROL$try)
    control="$control $unlocked"
    [ "${unlocked:-0}" -gt "$QUOTA" ] 2>/dev/null && break
done
locked=""; locked_ok=1
r=1
while [ $r -le "$REPEAT" ]; do
    got=$(run t c:LEADER1-$r)
    locked="$locked $got"
    [ "$got" = "$QUOTA" ] || locked_ok=0
    r=$((r + 1))
done
subs=$(psql -qtAc "SELECT count(*) FROM doanra.submissions WHERE location='/race'")
passed=0; failed=0
if [ "${unlocked:-0}" -gt "$QUOTA" ] 2>/dev/null; then
    echo "PASS race_sql control: without locks$control trips recorded (quota $QUOTA): the race is seen"
    passed=$((passed + 1))
else
    echo "FAIL race_sql control: without locks only$control trips recorded (quota $QUOTA):"
    echo "     this test cannot see a race; widen the window (pg_sleep) or add sessions"
    failed=$((failed + 1))
fi
if [ "$locked_ok" = 1 ]; then
    echo "PASS race_sql: $REPEAT runs of $N parallel submissions,$locked trips recorded (quota $QUOTA)"
    passed=$((passed + 1))
else
    echo "FAIL race_sql: $REPEAT runs of $N parallel submissions,$locked trips recorded, want $QUOTA each"
    failed=$((failed + 1))
fi
if [ "$subs" = "$((N * REPEAT))" ]; then
    echo "PASS race_sql: every one of the $((N * REPEAT)) submissions recorded"
    passed=$((passed + 1))
else
    echo "FAIL race_sql: $subs submissions recorded by the locked runs, want $((N * REPEAT))"
    failed=$((failed + 1))
fi
echo "race_sql: $passed passed, $failed failed"
[ "${KEEP_PG:-0}" = 1 ] || pg_stop
[ "$failed" = 0 ]
