#!/usr/bin/env bash
# bench/run.sh: builds the release preset's benchmark programs and runs both benchmarks: the
# loopback connect rate (dial against raw, with the ratio) and the user-space instruction counts
# under callgrind (with the difference). About a minute; docs/benchmarks.md explains the figures.
#
#   bash bench/run.sh [extra Google Benchmark flags, e.g. --benchmark_repetitions=40]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake --preset release >/dev/null
# Only the benchmark programs (and libdial): the rest of the preset is not needed here.
cmake --build --preset release --target dial_connect_bench dial_connect_instructions

echo "== machine: $(nproc) CPUs, Linux $(uname -r), $(uname -m)"
echo "== loopback socket + connect + close rate (medians of interleaved repetitions)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
./build/release/bench/dial_connect_bench "$@" | tee "$log"

echo "== user-space instructions per iteration (callgrind)"
bash bench/instructions.sh build/release/bench/dial_connect_instructions

echo "== ratios"
grep '^summary' "$log" | sed 's/^summary /rate, /'
ratio="$(sed -n 's/^summary alternating: .*dial\/raw \([0-9.]*\).*/\1/p' "$log")"
cv="$(sed -n 's/^summary alternating: .*cv \([0-9.]*\)%.*/\1/p' "$log")"
if [ -n "$ratio" ]; then
  if awk -v r="$ratio" 'BEGIN {exit !(r >= 0.98)}'; then
    echo "target (dial's rate within 2% of raw, alternating median): met, dial/raw $ratio"
  else
    echo "target (dial's rate within 2% of raw, alternating median): NOT met, dial/raw $ratio"
  fi
  if awk -v c="$cv" 'BEGIN {exit !(c > 1)}'; then
    echo "warning: the ratio varied by $cv% between repetitions: the machine is busy; run again"
  fi
fi
