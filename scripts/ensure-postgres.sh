#!/usr/bin/env bash
# Prints a PostgreSQL URL the tests can create databases on.
#
# 1. $TEST_DATABASE_URL if set and answering;
# 2. else the local server on 127.0.0.1:5432 (trust auth, user postgres) if it answers;
# 3. else a throwaway cluster started from the system's binaries under target/pg-throwaway
#    on 127.0.0.1:55432 (left running for the rest of the session; `make pg-stop` stops it).
# PG_THROWAWAY=1 skips step 2 (to test step 3). Everything but the URL goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

answers() { pg_isready -q -d "$1" -t 3 >/dev/null 2>&1; }

if [ -n "${TEST_DATABASE_URL:-}" ] && answers "$TEST_DATABASE_URL"; then
  echo "$TEST_DATABASE_URL"; exit 0
fi
default_url="postgres://postgres@127.0.0.1:5432/postgres"
if [ -z "${PG_THROWAWAY:-}" ] && answers "$default_url"; then
  echo "$default_url"; exit 0
fi

# No server answers: start a throwaway one.
bindir=""
for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && bindir="$d"; done
if [ -z "$bindir" ]; then
  echo "ensure-postgres: no PostgreSQL server answers and no initdb found; installing postgresql" >&2
  if command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
    for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && bindir="$d"; done
  fi
  [ -n "$bindir" ] || { echo "ensure-postgres: cannot get PostgreSQL" >&2; exit 1; }
fi
dir="$PWD/target/pg-throwaway"
port=55432
url="postgres://postgres@127.0.0.1:$port/postgres"
if answers "$url"; then echo "$url"; exit 0; fi
mkdir -p "$dir"
run_as_pg() { if [ "$(id -u)" = 0 ]; then chown -R postgres "$dir" 2>/dev/null || true; su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
if [ ! -f "$dir/data/PG_VERSION" ]; then
  run_as_pg "$bindir/initdb -D '$dir/data' -U postgres --auth=trust -E UTF8 >/dev/null"
fi
run_as_pg "$bindir/pg_ctl -D '$dir/data' -l '$dir/log' -w -o '-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c max_connections=300 -c fsync=off' start" >&2
echo "$url"
