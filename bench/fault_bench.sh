#!/usr/bin/env bash
# bench/fault_bench.sh: the price of `dial fault` on the connects no rule takes: a loop of N
# loopback connects (bench/fault_loop.cpp) alone and under `dial fault --refuse 127.0.0.9:1 --`
# (one rule, never matching), one run each, in a private network namespace. The difference per
# connect is the seccomp notification's round trip: the supervisor wakes, reads the address from
# the caller's memory, checks the rule and answers CONTINUE. docs/benchmarks.md ("dial fault").
#
#   bash bench/fault_bench.sh [--connects N] [--dial PATH] [--loop PATH]
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: bash bench/fault_bench.sh [--connects N] [--dial PATH] [--loop PATH]

Time per loopback connect (socket, connect, close) of a plain loop, then of the same loop under
`dial fault --refuse 127.0.0.9:1 --` (a rule that matches none of them), one run each, in a
private network namespace (unshare -n as root; unshare -rn, a user namespace, otherwise).
Prints both and the difference in microseconds per connect.

  --connects N  connects per run (default 20000, at least 1)
  --dial PATH   the dial binary (default: build/release/tools/dial/dial, built first)
  --loop PATH   the loop (default: build/release/bench/dial_fault_loop, built first)
  -h, --help    show this help and exit
USAGE
}

connects=20000
dial=""
loop=""
while (($#)); do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --connects) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || { echo "fault_bench: --connects needs a number >= 1" >&2; exit 2; }; connects=$2; shift 2 ;;
    --dial) [[ $# -ge 2 ]] || { echo "fault_bench: --dial needs a path" >&2; exit 2; }; dial=$2; shift 2 ;;
    --loop) [[ $# -ge 2 ]] || { echo "fault_bench: --loop needs a path" >&2; exit 2; }; loop=$2; shift 2 ;;
    *) echo "fault_bench: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")/.."
if [[ -z ${DIAL_FAULT_BENCH_NETNS:-} ]]; then
  if [[ -z $dial || -z $loop ]]; then
    cmake --preset release >/dev/null
    cmake --build --preset release --target dial_cli dial_fault_loop >/dev/null
    dial=${dial:-build/release/tools/dial/dial}
    loop=${loop:-build/release/bench/dial_fault_loop}
  fi
  echo "== machine: $(nproc) CPUs, Linux $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  namespace=(unshare -n)
  [[ $(id -u) -eq 0 ]] || namespace=(unshare -rn)
  exec env DIAL_FAULT_BENCH_NETNS=1 "${namespace[@]}" bash "$0" --connects "$connects" \
    --dial "$(realpath "$dial")" --loop "$(realpath "$loop")"
fi

# Inside the namespace: loopback up, then the two runs.
ip link set lo up
plain=$("$loop" "$connects")
faulted=$("$dial" fault --refuse 127.0.0.9:1 -- "$loop" "$connects")
us() { sed -n 's/.*, \([0-9.]*\) us per connect/\1/p' <<<"$1"; }
echo "plain loop:              $plain"
echo "under dial fault:        $faulted"
awk -v a="$(us "$plain")" -v b="$(us "$faulted")" \
  'BEGIN { printf "dial fault costs %.2f us per connect (%.1fx)\n", b - a, b / a }'
