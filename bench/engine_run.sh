#!/usr/bin/env bash
# bench/engine_run.sh: builds the release preset's dial CLI and engine benchmark and runs, in one
# run: (a) the raw loop variants (which io_uring loop is the best one); (b) 10 000 and 30 000
# simultaneous loopback connects, dial's engine against the best raw io_uring loop, the best raw
# epoll loop, libuv and Asio, clients pinned to CPU 0 and a listener process on CPU 1 that accepts
# and closes during the run; (c) keep-connections; (d) memory per connect in flight (marginal RSS
# between 5 000 and 15 000); (e) a full-port scan of 127.0.0.1, dial scan against
# `nmap -sT -p- -n -T5` (same open set checked), with each CPU's user/system/softirq split.
# Everything runs in private network namespaces (the benchmark unshares its own, as root): the
# scan reaches only the benchmark's own listeners and no TIME_WAIT or listener of other programs
# interferes. A few minutes; docs/benchmarks.md ("Many connects in flight") explains the figures.
#
#   bash bench/engine_run.sh [--rounds N] [--scan-rounds N] [--only WHAT[,WHAT...]] [...]
# (dial_engine_bench --help lists every option.) DIAL_BUILD_DIR (default build/release) picks
# another build directory of the release preset.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
build=${DIAL_BUILD_DIR:-build/release}
cmake --preset release -B "$build" >/dev/null
cmake --build "$build" --target dial_cli dial_engine_bench
echo "== machine: $(nproc) CPUs, Linux $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== nmap: $(nmap --version | head -n 1)"
exec unshare -n bash -c '
  set -euo pipefail
  ip link set lo up
  echo "== private network namespace: somaxconn $(sysctl -n net.core.somaxconn), ephemeral ports $(sysctl -n net.ipv4.ip_local_port_range | tr "\t" -)"
  exec "$0/bench/dial_engine_bench" --dial "$0/tools/dial/dial" "$@"' "$build" "$@"
