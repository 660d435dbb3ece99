#!/usr/bin/env bash
# bench/proxy_bench.sh: the proxy hop's cost. Sequential connects through microsocks (SOCKS5) on
# loopback to a target that accepts and closes, in one run, rounds interleaved:
#   in one process   dial::connect_to_host with a proxy (bench/proxy_bench.cpp) against a SOCKS5
#                    client written by hand in C (bench/socks5_raw.c), and dial without the proxy
#                    (the hop's cost is the difference); per-connect times
#   a process each   `dial --proxy socks5://… TARGET`, `curl --socks5 … telnet://TARGET` and
#                    `socks5_raw P T 1`: what a shell user pays per connect, process start included
# Everything runs in a private network namespace (unshare -n, as root). docs/benchmarks.md
# ("The proxy hop") explains the figures.
#
#   bash bench/proxy_bench.sh [--rounds N] [--count N] [--procs N] [--build DIR]
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: bash bench/proxy_bench.sh [--rounds N] [--count N] [--procs N] [--build DIR]

Connects through a SOCKS5 proxy (microsocks) on loopback, in a private network namespace (needs
root: unshare -n): dial::connect_to_host with connect_to_host_options::proxy against a hand-written
C client, in one process each (--count connects per round and client) and as one process per
connect (--procs per round: the dial CLI, curl --socks5 ... telnet://, the C client). Rounds are
interleaved in a rotating order; the report gives each client's median and its ratio to dial's.

  --rounds N   rounds (default 5, at least 1)
  --count N    in-process connects per round and client (default 500)
  --procs N    processes per round and client (default 40)
  --build DIR  the build tree holding tools/dial/dial and bench/dial_proxy_bench,
               bench/dial_socks5_raw (default build/release, built first)
  -h, --help   show this help and exit
EOF
}

rounds=5
count=500
procs=40
build=""
number() { [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || { echo "proxy_bench: $1 needs a number >= 1" >&2; exit 2; }; }
while (($#)); do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --rounds) number "$@"; rounds=$2; shift 2 ;;
    --count) number "$@"; count=$2; shift 2 ;;
    --procs) number "$@"; procs=$2; shift 2 ;;
    --build) [[ $# -ge 2 ]] || { echo "proxy_bench: --build needs a directory" >&2; exit 2; }; build=$2; shift 2 ;;
    *) echo "proxy_bench: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")/.."
if [[ -z ${DIAL_PROXY_BENCH_NETNS:-} ]]; then
  [[ $(id -u) -eq 0 ]] || { echo "proxy_bench: needs root (unshare -n: a private network namespace)" >&2; exit 2; }
  for tool in microsocks curl python3; do
    command -v "$tool" >/dev/null || { echo "proxy_bench: $tool is missing: bash scripts/deps.sh" >&2; exit 2; }
  done
  if [[ -z $build ]]; then
    cmake --preset release >/dev/null
    cmake --build --preset release --target dial_cli dial_proxy_bench dial_socks5_raw >/dev/null
    build=build/release
  fi
  echo "== machine: $(nproc) CPUs, Linux $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "== $(curl --version | head -n 1 | cut -d' ' -f1-2), microsocks $(dpkg-query -W -f='${Version}' microsocks 2>/dev/null || echo '?')"
  exec unshare -n env DIAL_PROXY_BENCH_NETNS=1 bash "$0" --rounds "$rounds" --count "$count" \
    --procs "$procs" --build "$(realpath "$build")"
fi

# ---- inside the private network namespace ----------------------------------------------------
ip link set lo up
dial=$build/tools/dial/dial
bench=$build/bench/dial_proxy_bench
raw=$build/bench/dial_socks5_raw
for f in "$dial" "$bench" "$raw"; do [[ -x $f ]] || { echo "proxy_bench: $f is not built" >&2; exit 2; }; done
work=$(mktemp -d /dev/shm/dial-proxy-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# The target: accepts and closes at once (so curl's telnet session ends as soon as it began).
cat >"$work/target.py" <<'EOF'
import os, socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(512)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(f"{s.getsockname()[1]}\n")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, _ = s.accept()
    c.close()
EOF
python3 "$work/target.py" "$work/port" &
pids+=($!)
for _ in $(seq 200); do [[ -s $work/port ]] && break; sleep 0.05; done
read -r target <"$work/port"
proxy=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
microsocks -i 127.0.0.1 -p "$proxy" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 200); do "$raw" "$proxy" "$target" 1 >/dev/null 2>&1 && break; sleep 0.05; done
echo "== private network namespace; microsocks on 127.0.0.1:$proxy, target 127.0.0.1:$target" \
  "(accepts, closes); $rounds rounds"

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
report() {  # report TITLE UNIT FILE-PREFIX CLIENT...: medians and ratios to the first client
  local title=$1 unit=$2 prefix=$3 first=$4 base m
  shift 3
  echo "== $title"
  base=$(median <"$prefix.$first")
  for who in "$@"; do
    m=$(median <"$prefix.$who")
    awk -v w="$who" -v m="$m" -v b="$base" -v u="$unit" -v n="$(wc -l <"$prefix.$who")" \
      'BEGIN { printf "  %-14s median %8.1f %s  (%.2fx dial; %d samples)\n", w, m, u, m / b, n }'
  done
}

# In one process: per-connect microseconds.
inproc=(dial raw dial-direct)
inproc_run() {
  case $1 in
    dial) "$bench" --proxy-port "$proxy" --target-port "$target" --count "$count" ;;
    dial-direct) "$bench" --proxy-port "$proxy" --target-port "$target" --count "$count" --direct ;;
    raw) "$raw" "$proxy" "$target" "$count" ;;
  esac
}
# One process per connect: wall microseconds of each process, as the shell sees it.
procs_list=(dial-cli curl raw-process)
proc_cmd() {
  case $1 in
    dial-cli) "$dial" --proxy "socks5://127.0.0.1:$proxy" "127.0.0.1:$target" >/dev/null ;;
    curl) curl -s --socks5 "127.0.0.1:$proxy" "telnet://127.0.0.1:$target" </dev/null >/dev/null ;;
    raw-process) "$raw" "$proxy" "$target" 1 >/dev/null ;;
  esac
}
for ((r = 0; r < rounds; r++)); do
  line="round $((r + 1)):"
  n=${#inproc[@]}
  for ((k = 0; k < n; k++)); do
    who=${inproc[$(((k + r) % n))]}
    inproc_run "$who" >"$work/last" || { echo "proxy_bench: $who failed" >&2; exit 1; }
    cat "$work/last" >>"$work/in.$who"
    line+=" $who $(median <"$work/last") µs"
  done
  n=${#procs_list[@]}
  for ((k = 0; k < n; k++)); do
    who=${procs_list[$(((k + r) % n))]}
    : >"$work/last"
    for ((i = 0; i < procs; i++)); do
      t0=$EPOCHREALTIME
      proc_cmd "$who" || { echo "proxy_bench: $who failed" >&2; exit 1; }
      t1=$EPOCHREALTIME
      awk -v a="$t0" -v z="$t1" 'BEGIN { printf "%.1f\n", (z - a) * 1e6 }' >>"$work/last"
    done
    cat "$work/last" >>"$work/proc.$who"
    line+=" $who $(median <"$work/last") µs"
  done
  echo "$line"
done
report "in one process, per connect (dial = connect_to_host through SOCKS5)" µs "$work/in" "${inproc[@]}"
report "one process per connect (dial-cli = dial --proxy)" µs "$work/proc" "${procs_list[@]}"
