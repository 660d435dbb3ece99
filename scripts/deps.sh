#!/usr/bin/env bash
# scripts/deps.sh: installs every Debian 12 package dial needs to build, test and benchmark.
set -euo pipefail
packages=(
  g++ cmake ninja-build pkg-config git        # toolchain
  libgtest-dev libgmock-dev libbenchmark-dev   # tests and benchmarks
  libfmt-dev libmnl-dev                        # the dial CLI; dial why's routes (rtnetlink)
  iproute2 valgrind clang-format               # namespace fixtures, instruction counts, style
  g++-mingw-w64-x86-64-posix googletest        # Windows cross build (GoogleTest from source)
  wine wine64                                  # Windows tests: /usr/bin/wine runs wine64
  nlohmann-json3-dev                           # dial scan --json
  libuv1-dev libasio-dev nmap                  # engine benchmarks: libuv, Asio, nmap side by side
  liburing-dev                                 # the engine's io_uring back-end
  libc-ares-dev                                # dial::resolve's default back-end
  libseccomp-dev curl                          # dial::testing and dial fault; its tests (curl)
  libboost1.81-dev                             # dial/asio.hpp's tests, example, benchmark (not 1.74)
  dnsmasq-base nftables                        # resolver/Happy Eyeballs tests: DNS, dropped SYNs
  python3 util-linux bsdutils                  # CLI tests: JSON/SIGINT checkers, unshare, script (pty)
  strace                                       # CLI tests: every descriptor is close-on-exec
  socat netcat-openbsd                         # dial pipe's benchmark: socat and nc side by side
  dante-server microsocks tinyproxy curl       # proxy tests (SOCKS5, HTTP CONNECT); its benchmark
  doxygen binutils dpkg-dev                    # API reference; exported symbols (nm); .deb packages
  groff-base zsh                                 # dial(1) renders without warnings; _dial parses
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
