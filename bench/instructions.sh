#!/usr/bin/env bash
# bench/instructions.sh: user-space instructions per call, dial against the raw system calls,
# counted by callgrind (which sees user space only; a system call counts as one instruction).
#
#   bash bench/instructions.sh [path/to/dial_connect_instructions] [N]
#
# For each part (connect, socket, close, all three) the program runs a loop of
# socket + connect + close in which only that part goes through dial; everything else is the
# same raw code in both variants, so dial minus raw is what dial adds to that call. Only the
# loop is counted (--collect-atstart=no and CALLGRIND_TOGGLE_COLLECT around it). Each variant is
# run with N and 2N iterations and the per-call figure is the slope, (I(2N) - I(N)) / N, which
# cancels the loop's fixed entry and exit cost exactly. Method: docs/benchmarks.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${1:-$here/../build/release/bench/dial_connect_instructions}"
n="${2:-1000}"
[ -x "$bin" ] || { echo "instructions: $bin not built (cmake --build --preset release)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "instructions: valgrind is not installed" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Instructions callgrind counted in the toggled region of one run.
count() {  # part variant iterations
  local out="$work/cg.$1.$2.$3"
  valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file="$out" \
    "$bin" "$1" "$2" "$3" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
  awk '/^totals:/ {print $2}' "$out"
}

per_call() {  # part variant
  local a b
  a=$(count "$1" "$2" "$n")
  b=$(count "$1" "$2" $((2 * n)))
  awk -v a="$a" -v b="$b" -v n="$n" 'BEGIN {printf "%.2f", (b - a) / n}'
}

printf '%-30s %9s %9s %9s\n' "user-space instructions" raw dial "dial-raw"
for part in connect socket close all; do
  raw=$(per_call "$part" raw)
  dial=$(per_call "$part" dial)
  case $part in
    all) label="socket+connect+close (all)" ;;
    *) label="$part only (rest raw)" ;;
  esac
  printf '%-30s %9s %9s %+9.2f\n' "$label" "$raw" "$dial" "$(awk -v a="$dial" -v b="$raw" 'BEGIN {print a - b}')"
  [ "$part" = connect ] && connect_extra=$(awk -v a="$dial" -v b="$raw" 'BEGIN {print a - b}')
done
printf 'per iteration: socket + connect + close; N=%d and %d iterations, slope\n' "$n" $((2 * n))
if awk -v x="$connect_extra" 'BEGIN {exit !(x <= 10)}'; then
  echo "target (dial::connect adds <= 10 instructions): met, +$connect_extra"
else
  echo "target (dial::connect adds <= 10 instructions): NOT met, +$connect_extra"
fi
