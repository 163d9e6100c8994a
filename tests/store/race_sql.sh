#!/bin/sh
# race_sql.sh - the leader quota under concurrency, at the SQL level.
#
# N parallel sessions each do what the store does for one submission of the
# same key leader: BEGIN; doanra.trip_facts with locks; decide in the client
# (separate statement, after a pause that widens the race window); record
# the trip only when the count allows it; COMMIT.  Exactly QUOTA trips must
# be recorded.  A control run without locks shows the test can see a race.
set -u
N=${N:-20}
QUOTA=2
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
    psql -q -X -v ON_ERROR_STOP=1 -v lock="$2" -v pk="$3" -v d="2026-07-$day" <<'SQL'
BEGIN;
SELECT (coalesce(max(num), 0) < 2) AS ok
  FROM doanra.trip_facts(ARRAY[:'pk'], ARRAY['LEADER1'], '{f}', 2026,
                         :'d'::date, :'d'::date, NULL, 'RACE', :'lock'::boolean)
 WHERE kind = 'm' \gset
SELECT pg_sleep(0.2);
SELECT * FROM doanra.record_submission('/race', NULL, '127.0.0.1', 'enforce',
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

locked=$(run t c:LEADER1)
subs=$(psql -qtAc "SELECT count(*) FROM doanra.submissions WHERE location='/race'")
unlocked=$(run f c:CONTROL)
rc=0
if [ "$locked" = "$QUOTA" ] && [ "$subs" = "$N" ]; then
    echo "PASS race_sql: $N parallel submissions, $locked trips recorded (quota $QUOTA)"
else
    echo "FAIL race_sql: $locked trips recorded of $subs submissions, want $QUOTA of $N"
    rc=1
fi
echo "info race_sql control without locks: $unlocked trips recorded"
[ "${KEEP_PG:-0}" = 1 ] || pg_stop
exit $rc
