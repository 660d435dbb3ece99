#!/usr/bin/env bash
# bench/pipe_bench.sh: `dial pipe` against socat and nc (netcat-openbsd) moving bytes over
# loopback, in one run, rounds interleaved: (up-pipe) `cat FILE | CLIENT` to a sink that reads and
# discards, (up-file) `CLIENT < FILE` to the same sink, (down) a source that sends the file with
# sendfile(2) to `CLIENT < /dev/null > /dev/null`, (down-pipe) the same into `| cat > /dev/null`. The file is SIZE MiB of zeros in /dev/shm; the
# sink and the source are one Python process, the same for every client. Each transfer's byte
# count is checked (the sink's count, and for down a first pass through `wc -c`). Everything runs
# in a private network namespace (unshare -n, as root). docs/benchmarks.md ("dial pipe") explains
# the figures.
#
#   bash bench/pipe_bench.sh [--rounds N] [--size MIB] [--only MODE] [--dial PATH]
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: bash bench/pipe_bench.sh [--rounds N] [--size MIB] [--only MODE] [--dial PATH]

Throughput of `dial pipe 127.0.0.1:PORT` against `socat - TCP:127.0.0.1:PORT` (its default
8 KiB buffer, and -b 262144), and `nc -N 127.0.0.1 PORT`, over loopback in a private network
namespace (needs root: unshare -n). Rounds are interleaved (each round runs every client once,
in a rotating order); the report gives each client's median MiB/s and its ratio to dial's.

  --rounds N    rounds per mode (default 5, at least 1)
  --size MIB    bytes per transfer, in MiB (default 1024: 1 GiB)
  --only MODE   one mode: up-pipe (cat FILE | CLIENT), up-file (CLIENT < FILE), down (the
                server sends; CLIENT < /dev/null > /dev/null) or down-pipe (the same into
                | cat > /dev/null); default all four
  --dial PATH   the dial binary (default: build/release/tools/dial/dial, built first)
  -h, --help    show this help and exit
EOF
}

rounds=5
size_mib=1024
only=""
dial=""
while (($#)); do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --rounds) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || { echo "pipe_bench: --rounds needs a number >= 1" >&2; exit 2; }; rounds=$2; shift 2 ;;
    --size) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || { echo "pipe_bench: --size needs MiB >= 1" >&2; exit 2; }; size_mib=$2; shift 2 ;;
    --only) [[ $# -ge 2 && $2 =~ ^(up-pipe|up-file|down|down-pipe)$ ]] || { echo "pipe_bench: --only needs up-pipe, up-file, down or down-pipe" >&2; exit 2; }; only=$2; shift 2 ;;
    --dial) [[ $# -ge 2 ]] || { echo "pipe_bench: --dial needs a path" >&2; exit 2; }; dial=$2; shift 2 ;;
    *) echo "pipe_bench: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")/.."
if [[ -z ${DIAL_PIPE_BENCH_NETNS:-} ]]; then
  [[ $(id -u) -eq 0 ]] || { echo "pipe_bench: needs root (unshare -n: a private network namespace)" >&2; exit 2; }
  for tool in socat nc python3; do
    command -v "$tool" >/dev/null || { echo "pipe_bench: $tool is missing: bash scripts/deps.sh" >&2; exit 2; }
  done
  if [[ -z $dial ]]; then
    cmake --preset release >/dev/null
    cmake --build --preset release --target dial_cli >/dev/null
    dial=build/release/tools/dial/dial
  fi
  echo "== machine: $(nproc) CPUs, Linux $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "== $(socat -V | sed -n 's/^socat version \([^ ]*\).*/socat \1/p'), $(nc -h 2>&1 | head -n 1)"
  args=(--rounds "$rounds" --size "$size_mib" --dial "$(realpath "$dial")")
  [[ -n $only ]] && args+=(--only "$only")
  exec unshare -n env DIAL_PIPE_BENCH_NETNS=1 bash "$0" "${args[@]}"
fi

# ---- inside the private network namespace ----------------------------------------------------
ip link set lo up
bytes=$((size_mib * 1024 * 1024))
work=$(mktemp -d /dev/shm/dial-pipe-bench.XXXXXX)
server_pid=""
# The file first: a failing kill or wait (the server's status 143) must not keep 1 GiB in RAM.
cleanup() {
  rm -rf "$work"
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
head -c "$bytes" /dev/zero >"$work/data"

# The sink (reads and discards, then logs the count and closes) and the source (sendfile of the
# file, then close), one connection at a time each; ports in $work/ports.
cat >"$work/server.py" <<'EOF'
import os, socket, sys, threading
work, path = sys.argv[1], sys.argv[2]
def listener():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8); return s
def sink(s):
    buf = bytearray(4 << 20)
    while True:
        c, _ = s.accept()
        n = 0
        while (k := c.recv_into(buf)) > 0:
            n += k
        with open(f"{work}/sink.log", "a") as log:
            log.write(f"{n}\n")
        c.close()
def source(s):
    while True:
        c, _ = s.accept()
        with open(path, "rb") as f:
            try:
                c.sendfile(f)
            except OSError:
                pass
        c.close()
a, b = listener(), listener()
threading.Thread(target=sink, args=(a,), daemon=True).start()
with open(f"{work}/ports.tmp", "w") as p:
    p.write(f"{a.getsockname()[1]} {b.getsockname()[1]}\n")
os.rename(f"{work}/ports.tmp", f"{work}/ports")
source(b)
EOF
python3 "$work/server.py" "$work" "$work/data" &
server_pid=$!
for _ in $(seq 200); do [[ -s $work/ports ]] && break; sleep 0.05; done
read -r sink_port source_port <"$work/ports"
touch "$work/sink.log"
echo "== private network namespace; $size_mib MiB per transfer, $rounds rounds, file $work/data"

clients=(dial socat socat-b256k nc)
# The client command for a mode, as bash runs it.
client_cmd() {
  local who=$1 port=$2 dir=$3
  case $who in
    dial) echo "'$dial' pipe 127.0.0.1:$port" ;;
    socat) [[ $dir == down ]] && echo "socat -u TCP:127.0.0.1:$port STDOUT" || echo "socat - TCP:127.0.0.1:$port" ;;
    socat-b256k) [[ $dir == down ]] && echo "socat -b 262144 -u TCP:127.0.0.1:$port STDOUT" || echo "socat -b 262144 - TCP:127.0.0.1:$port" ;;
    nc) echo "nc -N 127.0.0.1 $port" ;;
  esac
}
pipeline() {
  local mode=$1 who=$2
  case $mode in
    up-pipe) echo "cat '$work/data' | $(client_cmd "$who" "$sink_port" up) >/dev/null" ;;
    up-file) echo "$(client_cmd "$who" "$sink_port" up) <'$work/data' >/dev/null" ;;
    down) echo "$(client_cmd "$who" "$source_port" down) </dev/null >/dev/null" ;;
    down-pipe) echo "$(client_cmd "$who" "$source_port" down) </dev/null | cat >/dev/null" ;;
  esac
}

# The sink's count of the last transfer (it logs before it closes; bounded wait for socat, which
# may exit up to its -t of 0.5 s before the sink has read everything).
last_sink_count() {
  local want_lines=$1
  for _ in $(seq 200); do
    (($(wc -l <"$work/sink.log") >= want_lines)) && break
    sleep 0.05
  done
  tail -n 1 "$work/sink.log"
}

# Runs one transfer and prints its MiB/s; fails the benchmark on a wrong count or exit status.
run_one() {
  local mode=$1 who=$2 cmd t0 t1 before
  cmd=$(pipeline "$mode" "$who")
  before=$(wc -l <"$work/sink.log")
  t0=$EPOCHREALTIME
  bash -c "set -o pipefail; $cmd" || { echo "pipe_bench: '$cmd' failed" >&2; exit 1; }
  t1=$EPOCHREALTIME
  if [[ $mode == up-* ]]; then
    local got
    got=$(last_sink_count $((before + 1)))
    [[ $got == "$bytes" ]] || { echo "pipe_bench: $who ($mode) delivered $got bytes, not $bytes" >&2; exit 1; }
  fi
  awk -v b="$bytes" -v a="$t0" -v z="$t1" 'BEGIN { printf "%.1f", b / 1048576 / (z - a) }'
}

# The down mode's counts, once per client, through wc -c (not timed).
check_down() {
  local who got
  for who in "${clients[@]}"; do
    got=$(bash -c "set -o pipefail; $(client_cmd "$who" "$source_port" down) </dev/null | wc -c")
    [[ $got == "$bytes" ]] || { echo "pipe_bench: $who (down) received $got bytes, not $bytes" >&2; exit 1; }
  done
  echo "== down: every client received all $bytes bytes (checked through wc -c)"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

modes=(up-pipe up-file down down-pipe)
[[ -n $only ]] && modes=("$only")
for mode in "${modes[@]}"; do
  if [[ $mode == down* && -z ${down_checked:-} ]]; then  # down-pipe: the same clients and source
    check_down
    down_checked=1
  fi
  echo "== $mode: $(pipeline "$mode" dial | sed "s|$work|/dev/shm/…|g; s|'[^']*/dial'|dial|")"
  declare -A results=()
  for ((r = 0; r < rounds; r++)); do
    line="round $((r + 1)):"
    n=${#clients[@]}
    for ((k = 0; k < n; k++)); do
      who=${clients[$(((k + r) % n))]}  # a rotating order: no client always runs first
      v=$(run_one "$mode" "$who")
      results[$who]+="$v "
      line+=" $who $v"
    done
    echo "$line MiB/s"
  done
  dial_median=$(tr ' ' '\n' <<<"${results[dial]}" | grep . | median)
  for who in "${clients[@]}"; do
    m=$(tr ' ' '\n' <<<"${results[$who]}" | grep . | median)
    awk -v w="$who" -v m="$m" -v d="$dial_median" -v mode="$mode" \
      'BEGIN { printf "summary %s: %-12s median %8.1f MiB/s  dial/%s %.2f\n", mode, w, m, w, d / m }'
  done
  unset results
done
