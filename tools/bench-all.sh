#!/usr/bin/env bash
# Runs every scenario of docs/benchmarks.md with the commands that page
# gives, writing each report, its figures and its plot to OUT (default
# docs/benchmarks): NAME.txt, NAME.json, NAME.svg. The machine should be
# quiet: the load average at each start is in its report.
#
#   tools/bench-all.sh [OUT] [SCENARIO...]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/benchmarks}
shift || true
mkdir -p "$out"
bin=$(mktemp -d)/haven
go build -o "$bin" ./cmd/haven
ulimit -n 20000

declare -A cmd=(
  [signup]="signup --duration 30s"
  [idle-sweep]="idle --sweep --duration 15s"
  [direct]="direct --pairs 50 --duration 20s"
  [group]="group --members 1000 --posters 10 --duration 20s"
  [channel]="channel --subscribers 15000 --posts 100"
  [history-100k]="history --messages 100000 --duration 20s"
  [history]="history --messages 1000000 --duration 20s"
  [catchup]="catchup --events 10000 --rounds 10"
  [mixed]="mixed --duration 30s"
  [group-sweep]="group --sweep --posters 10 --duration 10s"
  [direct-sweep]="direct --sweep --pairs 50 --duration 10s"
)
order=(signup idle-sweep direct group channel history-100k catchup mixed group-sweep direct-sweep history)
[ $# -gt 0 ] && order=("$@")
for name in "${order[@]}"; do
  echo "== $name: haven bench ${cmd[$name]} --spawn ($(uptime | sed 's/.*load/load/'))"
  # shellcheck disable=SC2086
  "$bin" bench ${cmd[$name]} --spawn --json "$out/$name.json" --plot "$out/$name.svg" >"$out/$name.txt" 2>&1 ||
    echo "   failed: see $out/$name.txt"
  grep -m1 -A2 ' scenario ' "$out/$name.txt" | tail -n +2 || true
done
