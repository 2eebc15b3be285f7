#!/usr/bin/env bash
# Start a PostgreSQL server from Debian's packages for the web tests, and print the database URL
# they use (MIXITE_WEB_DB). Idempotent: installs the packages only when missing, creates the
# cluster, the role and the database only when absent. PostgreSQL refuses to run as root:
# pg_ctlcluster starts it as the postgres user, and psql runs through `su postgres`.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main"; then
  pg_createcluster "$version" main >/dev/null
fi
port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $4}' | grep -q online; then
  pg_ctlcluster "$version" main start
fi
psql_postgres() { su postgres -s /bin/sh -c "psql -p $port -qtA -c \"$1\""; }
for _ in $(seq 1 30); do
  psql_postgres "SELECT 1" >/dev/null 2>&1 && break
  sleep 1
done
if [ "$(psql_postgres "SELECT 1 FROM pg_roles WHERE rolname = 'mixite'")" != "1" ]; then
  psql_postgres "CREATE ROLE mixite LOGIN CREATEDB PASSWORD 'mixite'" >/dev/null
fi
if [ "$(psql_postgres "SELECT 1 FROM pg_database WHERE datname = 'mixite'")" != "1" ]; then
  psql_postgres "CREATE DATABASE mixite OWNER mixite" >/dev/null
fi
echo "postgresql://mixite:mixite@127.0.0.1:$port/mixite"
