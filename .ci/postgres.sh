#!/usr/bin/env bash
# Install (from Debian packages) and start a local PostgreSQL server for the test suite.
# Idempotent: safe to run when the server is already installed or running.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
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
if ! su postgres -c "$PGBIN/pg_ctl -D $PGDATA status" >/dev/null 2>&1; then
  mkdir -p /var/run/postgresql && chown postgres:postgres /var/run/postgresql
  su postgres -c "$PGBIN/pg_ctl -D $PGDATA -l $PGDATA/server.log -o '-p 5432 -k /var/run/postgresql -c listen_addresses=127.0.0.1 -c fsync=off' -w start" >/dev/null
fi
psql_() { su postgres -c "psql -h 127.0.0.1 -p 5432 -U postgres -tAc \"$1\""; }
[ "$(psql_ "SELECT 1 FROM pg_roles WHERE rolname='ironriver'")" = "1" ] || psql_ "CREATE ROLE ironriver LOGIN PASSWORD 'ironriver' SUPERUSER"
[ "$(psql_ "SELECT 1 FROM pg_database WHERE datname='ironriver_test'")" = "1" ] || psql_ "CREATE DATABASE ironriver_test OWNER ironriver"
echo "PostgreSQL ready on 127.0.0.1:5432"
