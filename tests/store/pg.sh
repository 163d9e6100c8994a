#!/bin/sh
# pg.sh - start (or stop) a private PostgreSQL for the store tests.
#
#   . tests/store/pg.sh start   exports PGHOST PGPORT PGUSER PGDATABASE and
#                               loads sql/install.sql into database doanra
#   tests/store/pg.sh stop      stops it and removes its data directory
#
# PostgreSQL refuses to run as root, so the server runs as user postgres
# from a data directory under /tmp.  STORE_PGPORT moves the port.

STORE_PGPORT=${STORE_PGPORT:-55610}
STORE_PGDIR=${STORE_PGDIR:-/tmp/doanra-store-pg-$STORE_PGPORT}
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
PG_OPTS="-p $STORE_PGPORT -k $STORE_PGDIR -c listen_addresses=127.0.0.1 -c max_connections=200"
if [ "$(id -u)" = 0 ]; then AS_PG="runuser -u postgres --"; else AS_PG=; fi
PGCTL="$AS_PG $PGBIN/pg_ctl -D $STORE_PGDIR/data"
# Commands the C test uses to restart, stop and start the server.
PG_RESTART_CMD="$PGCTL -m fast -w restart >/dev/null"
PG_STOP_CMD="$PGCTL -m fast -w stop >/dev/null"
PG_START_CMD="$PGCTL -w -l $STORE_PGDIR/log -o '$PG_OPTS' start >/dev/null"
export PG_RESTART_CMD PG_STOP_CMD PG_START_CMD
ROOT=$(cd "$(dirname "$0")/../.." 2>/dev/null && pwd)
[ -f "$ROOT/sql/install.sql" ] || ROOT=$(pwd)

as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
    if [ ! -d "$STORE_PGDIR/data" ]; then
        mkdir -p "$STORE_PGDIR"
        [ "$(id -u)" = 0 ] && chown postgres "$STORE_PGDIR"
        as_pg "$PGBIN/initdb" -D "$STORE_PGDIR/data" -A trust -U postgres \
            >"$STORE_PGDIR/initdb.log" 2>&1 || { cat "$STORE_PGDIR/initdb.log"; return 1; }
    fi
    if ! as_pg "$PGBIN/pg_ctl" -D "$STORE_PGDIR/data" status >/dev/null 2>&1; then
        as_pg "$PGBIN/pg_ctl" -D "$STORE_PGDIR/data" -w -l "$STORE_PGDIR/log" \
            -o "$PG_OPTS" \
            start >/dev/null || { cat "$STORE_PGDIR/log"; return 1; }
    fi
    export PGHOST=127.0.0.1 PGPORT=$STORE_PGPORT PGUSER=postgres PGDATABASE=doanra
    psql -d postgres -qtAc "SELECT 1 FROM pg_database WHERE datname='doanra'" | grep -q 1 ||
        psql -d postgres -qc "CREATE DATABASE doanra" || return 1
    psql -q -v ON_ERROR_STOP=1 -f "$ROOT/sql/install.sql" >/dev/null || return 1
}

pg_stop() {
    as_pg "$PGBIN/pg_ctl" -D "$STORE_PGDIR/data" -m fast stop >/dev/null 2>&1
    rm -rf "$STORE_PGDIR"
}

case "${1:-}" in
start) pg_start ;;
stop) pg_stop ;;
esac
