#!/usr/bin/env bash
# Runs the scenarios of docs/operations.md "What it costs" on SQLite and
# on PostgreSQL + NATS (a new database each run, dropped after), in two
# rounds (1: SQLite first; 2: PostgreSQL first), writing NAME-STORE-ROUND
# .txt and .json to OUT (default docs/benchmarks/stores). Needs psql,
# PostgreSQL at 127.0.0.1:5432 (user postgres, trust) and NATS at :4222.
#
#   tools/bench-stores.sh [OUT]
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/benchmarks/stores}
bin=$(mktemp -d)/haven
go build -o "$bin" ./cmd/haven
ulimit -n 20000
declare -A args=(
  [direct]="--pairs 50 --duration 10s"
  [group]="--members 100 --posters 10 --duration 10s"
  [channel]="--subscribers 1000 --posts 20"
  [history]="--messages 10000 --duration 10s"
  [catchup]="--events 1000 --rounds 5"
)
runpg() { local S=$1 R=$2 db="bench_${1}_$2_$$"
  psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $db"
  "$bin" bench $S --spawn ${args[$S]} --json "$out/$S-pg-$R.json" \
    --server-args "--db postgres://postgres@127.0.0.1:5432/$db?sslmode=disable --bus nats://127.0.0.1:4222" > "$out/$S-pg-$R.txt" 2>&1 || echo "failed $S pg $R"
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE $db WITH (FORCE)"
}
runsq() { local S=$1 R=$2
  "$bin" bench $S --spawn ${args[$S]} --json "$out/$S-sqlite-$R.json" > "$out/$S-sqlite-$R.txt" 2>&1 || echo "failed $S sqlite $R"
}
for S in direct group channel history catchup; do
  echo "== $S round 1 ($(uptime | sed 's/.*load/load/'))"; runsq $S 1; runpg $S 1
  echo "== $S round 2 ($(uptime | sed 's/.*load/load/'))"; runpg $S 2; runsq $S 2
done
