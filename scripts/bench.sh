#!/usr/bin/env bash
# `make bench`: release build, then in ONE run on this machine:
#   1. debits/s over HTTP (wrk) on one hot account and spread over 10,000 accounts, at several
#      client counts, with p50/p99 latency;
#   2. the same SQL statement driven by pgbench against the same database — the ceiling;
#   3. the ratio of 1 to 2;
#   4. GET balance/s of the billing server against a bare actix-web + r2d2 endpoint doing one
#      primary-key select (bench-bare) — the read ceiling;
#   5. peak RSS of the billing server.
# Writes docs/benchmarks.md. Knobs: BENCH_SECONDS (default 15), BENCH_CLIENTS ("1 8 32 64").
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_CELL=${BENCH_SECONDS:-15}
CLIENTS=${BENCH_CLIENTS:-"1 8 32 64"}
PORT=18080
BARE_PORT=18081
OUT=docs/benchmarks.md
log() { echo "bench: $*" >&2; }

# --- tools ---------------------------------------------------------------------------------
if ! command -v wrk >/dev/null 2>&1; then
  log "installing wrk (Debian package)"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >&2
fi
PGBENCH=$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | tail -n1)
[ -x "$PGBENCH" ] || { log "pgbench not found"; exit 1; }

# --- database ------------------------------------------------------------------------------
base_url=$(scripts/ensure-postgres.sh)
db=billing_bench
psql -q "$base_url" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
DB_URL="${base_url%/*}/$db"
pg_version=$(psql -tA "$DB_URL" -c "SHOW server_version")
sync_commit=$(psql -tA "$DB_URL" -c "SHOW synchronous_commit")

log "building release binaries"
cargo build --release --bin billing --bin bench-bare >&2
BIN=target/release/billing
DATABASE_URL="$DB_URL" $BIN migrate >&2
psql -q "$DB_URL" -f scripts/bench/seed.sql >/dev/null
# A copy for the previous version's debit statement (it would leave the lots behind the balance).
BEFORE_URL="${base_url%/*}/${db}_before"
psql -q "$base_url" -c "DROP DATABASE IF EXISTS ${db}_before" -c "CREATE DATABASE ${db}_before TEMPLATE $db" >/dev/null
SERVICE_KEY=$(DATABASE_URL="$DB_URL" $BIN api-key create --scope service --name bench 2>/dev/null | tail -n1)
ADMIN_KEY=$(DATABASE_URL="$DB_URL" $BIN api-key create --scope admin --name bench-admin 2>/dev/null | tail -n1)

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_http() { for _ in $(seq 1 100); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; log "server at $1 did not start"; exit 1; }

DATABASE_URL="$DB_URL" BILLING_LOG=warn BILLING_DB_POOL_SIZE=16 BILLING_WORKERS=2 $BIN serve --bind 127.0.0.1:$PORT >/tmp/bench-billing.log 2>&1 &
SERVER_PID=$!; pids+=("$SERVER_PID")
DATABASE_URL="$DB_URL" BIND=127.0.0.1:$BARE_PORT POOL_SIZE=16 WORKERS=2 target/release/bench-bare >/tmp/bench-bare.log 2>&1 &
pids+=("$!")
wait_http "http://127.0.0.1:$PORT/healthz"
wait_http "http://127.0.0.1:$BARE_PORT/balance/acct_00000000000000000000000001"

# --- helpers -------------------------------------------------------------------------------
to_ms() { # wrk latency like 1.23ms / 850.00us / 1.02s -> ms
  awk -v v="$1" 'BEGIN{ if (v ~ /us$/) { sub(/us$/,"",v); printf "%.2f", v/1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v); printf "%.2f", v } else if (v ~ /s$/) { sub(/s$/,"",v); printf "%.2f", v*1000 } else print v }'
}
run_wrk() { # clients url script args... ; prints "rps p50 p99 errors"
  local c=$1 url=$2 script=$3; shift 3
  local t=$(( c < 2 ? 1 : 2 ))
  # The debit script's last argument is the reference nonce: the warm-up gets its own, so the
  # measured run debits with fresh references instead of replaying the warm-up's.
  local warm=("$@")
  [[ "$script" == *debit.lua ]] && warm[-1]="${warm[-1]}-warm"
  wrk -t$t -c$c -d2s -s "$script" "$url" -- "${warm[@]}" >/dev/null 2>&1 || true
  local out; out=$(wrk -t$t -c$c -d${SECONDS_PER_CELL}s --latency -s "$script" "$url" -- "$@" 2>&1)
  local rps p50 p99 err
  rps=$(awk '/^Requests\/sec/{printf "%d", $2}' <<<"$out")
  p50=$(to_ms "$(awk '$1=="50%"{print $2}' <<<"$out")")
  p99=$(to_ms "$(awk '$1=="99%"{print $2}' <<<"$out")")
  err=$(awk '/Non-2xx/{print $5}' <<<"$out"); err=${err:-0}
  echo "$rps $p50 $p99 $err"
}
run_pgbench() { # clients n-expression [sql file] [database url] ; prints "tps latency_ms"
  local c=$1 nexpr=$2 sql=${3:-scripts/bench/pgbench_debit.sql} url=${4:-$DB_URL} script; script=$(mktemp)
  { echo "\\set n $nexpr"; grep -v '^--' "$sql"; } >"$script"
  local j=$(( c < 2 ? 1 : 2 ))
  "$PGBENCH" -n -M simple -c "$c" -j "$j" -T 2 -f "$script" "$url" >/dev/null 2>&1 || true
  local out; out=$("$PGBENCH" -n -M simple -c "$c" -j "$j" -T "$SECONDS_PER_CELL" -f "$script" "$url" 2>&1)
  rm -f "$script"
  local tps lat
  tps=$(awk '/^tps/{printf "%d", $3}' <<<"$out")
  lat=$(awk '/^latency average/{print $4}' <<<"$out")
  echo "$tps $lat"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "n/a" }'; }

# --- debits --------------------------------------------------------------------------------
nonce="b$(date +%s)"
debit_rows=""
best_http=0; best_pg=0; best_before=0
for mode in hot spread; do
  nexpr=$([ "$mode" = hot ] && echo 1 || echo "random(1, 10000)")
  for c in $CLIENTS; do
    psql -q "$DB_URL" -c "CHECKPOINT" >/dev/null
    log "debit $mode c=$c: HTTP"
    read -r rps p50 p99 err < <(run_wrk "$c" "http://127.0.0.1:$PORT" scripts/bench/debit.lua "$mode" 10000 "$SERVICE_KEY" "$nonce-$mode-$c")
    psql -q "$DB_URL" -c "CHECKPOINT" >/dev/null
    log "debit $mode c=$c: pgbench"
    read -r tps lat < <(run_pgbench "$c" "$nexpr")
    psql -q "$BEFORE_URL" -c "CHECKPOINT" >/dev/null
    log "debit $mode c=$c: pgbench, the previous version's statement"
    read -r btps blat < <(run_pgbench "$c" "$nexpr" scripts/bench/pgbench_debit_before.sql "$BEFORE_URL")
    debit_rows+="| $mode | $c | $rps | $p50 | $p99 | $err | $tps | $lat | $(ratio "$rps" "$tps") | $btps | $(ratio "$tps" "$btps") | $(ratio "$rps" "$btps") |"$'\n'
    if [ "$mode" = spread ]; then
      [ "$rps" -gt "$best_http" ] && best_http=$rps
      [ "$tps" -gt "$best_pg" ] && best_pg=$tps
      [ "$btps" -gt "$best_before" ] && best_before=$btps
    fi
  done
done

# --- reads ---------------------------------------------------------------------------------
read_rows=""
for c in 8 64; do
  log "read c=$c"
  read -r rps p50 p99 err < <(run_wrk "$c" "http://127.0.0.1:$PORT" scripts/bench/read.lua "/v1/accounts/acct_%026d/credits" 10000 "$SERVICE_KEY")
  read -r brps bp50 bp99 berr < <(run_wrk "$c" "http://127.0.0.1:$BARE_PORT" scripts/bench/read.lua "/balance/acct_%026d" 10000)
  read_rows+="| $c | $rps | $p50 | $p99 | $err | $brps | $bp50 | $bp99 | $(ratio "$rps" "$brps") |"$'\n'
done

rss_kib=$(awk '/VmHWM/{print $2}' /proc/$SERVER_PID/status)
verify=$(curl -fs -H "Authorization: Bearer $ADMIN_KEY" "http://127.0.0.1:$PORT/v1/admin/credits/verify" || echo '{"error":"verify failed"}')
entries=$(psql -tA "$DB_URL" -c "SELECT count(*) FROM ledger_entries")

# --- report --------------------------------------------------------------------------------
cat >"$OUT" <<MD
# Benchmarks

Produced by \`make bench\` (scripts/bench.sh) on $(date -u +%Y-%m-%d) — $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB,
PostgreSQL $pg_version with \`synchronous_commit=$sync_commit\` (default durability), release build.
Everything in one run on one machine: wrk, the server, pgbench and PostgreSQL share the same cores,
so figures are compared as ratios within this run, not as absolutes. ${SECONDS_PER_CELL} s per cell after a 2 s warm-up.
Server: \`billing serve\`, 2 actix workers, pool 16, \`BILLING_LOG=warn\` (request logging off).

## 1–3. Credit debits: HTTP vs the same SQL statement in pgbench

Each HTTP request is \`POST /v1/accounts/{id}/credits/debit\` (1 credit, unique reference, service key).
pgbench runs the store's single debit statement (scripts/bench/pgbench_debit.sql) in \`-M simple\` mode: its prepared mode could not bind this statement (a pgbench parsing quirk), so each statement is parsed, as the server's raw-SQL statement is; a prepared ceiling would be somewhat higher.
\`hot\` = every debit on one account; \`spread\` = a random one of 10,000 accounts.
\`before\` = the previous version's statement, without credit lots (scripts/bench/pgbench_debit_before.sql),
on a copy of the seeded database: the fixed reference for what credit lots cost on the hot path.

| accounts | clients | HTTP debits/s | p50 ms | p99 ms | non-2xx | pgbench TPS | pgbench avg ms | HTTP / pgbench | pgbench before TPS | pgbench / before | HTTP / before |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
$debit_rows
Best spread HTTP figure / best spread pgbench figure: **$(ratio "$best_http" "$best_pg")** ($best_http vs $best_pg);
against the previous version's statement: **$(ratio "$best_http" "$best_before")** ($best_http vs $best_before).

## 4. Balance reads: billing server vs a bare endpoint

\`GET /v1/accounts/{id}/credits\` (auth, tenancy, expiry of due holds, balance) vs \`bench-bare\`
(crates/billing-bench: actix-web + r2d2 + one primary-key SELECT, no auth).

| clients | billing reads/s | p50 ms | p99 ms | non-2xx | bare reads/s | p50 ms | p99 ms | billing / bare |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
$read_rows
## 5. Memory

Peak RSS of the billing server over the whole run (VmHWM): **$((rss_kib / 1024)) MiB** ($rss_kib KiB).

## Integrity after the run

Ledger entries: $entries. \`GET /v1/admin/credits/verify\`: \`$verify\`
MD
log "wrote $OUT"
cat "$OUT"
