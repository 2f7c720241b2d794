#!/usr/bin/env bash
# Install (from Debian packages) and start a local PostgreSQL server for the test suite, on
# its own data folder and port (default 55432, so a system cluster on 5432 never collides).
# Idempotent: safe to run when the server is already installed or running.
# The test database is byte-ordered (C.UTF-8), whatever the machine's locale: see README.
set -euo pipefail
PORT="${IRONRIVER_PG_PORT:-55432}"
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq postgresql >/dev/null
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PGDATA=/var/tmp/ironriver-pg
if [ ! -f "$PGDATA/PG_VERSION" ]; then
  rm -rf "$PGDATA"; mkdir -p "$PGDATA"; chown postgres:postgres "$PGDATA"
  su postgres -c "$PGBIN/initdb -D $PGDATA -A trust -U postgres" >/dev/null
fi
mkdir -p /var/run/postgresql && chown postgres:postgres /var/run/postgresql
if su postgres -c "$PGBIN/pg_ctl -D $PGDATA status" >/dev/null 2>&1; then
  su postgres -c "$PGBIN/pg_ctl -D $PGDATA -m fast -w stop" >/dev/null
fi
su postgres -c "$PGBIN/pg_ctl -D $PGDATA -l $PGDATA/server.log -o '-p $PORT -k /var/run/postgresql -c listen_addresses=127.0.0.1 -c fsync=off' -w start" >/dev/null
psql_() { su postgres -c "psql -h 127.0.0.1 -p $PORT -U postgres -tAc \"$1\""; }
[ "$(psql_ "SELECT 1 FROM pg_roles WHERE rolname='ironriver'")" = "1" ] || psql_ "CREATE ROLE ironriver LOGIN PASSWORD 'ironriver' SUPERUSER" >/dev/null
[ "$(psql_ "SELECT 1 FROM pg_database WHERE datname='ironriver_test'")" = "1" ] || psql_ "CREATE DATABASE ironriver_test OWNER ironriver TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8'" >/dev/null
echo "PostgreSQL ready on 127.0.0.1:$PORT"
