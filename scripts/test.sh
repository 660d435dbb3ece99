#!/usr/bin/env bash
# scripts/test.sh: installs what is needed, builds everything and runs every test (the README's
# test command; .ci/run calls exactly this). Run as root so that no test is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
[ "$(id -u)" -eq 0 ] || echo "test: not root; namespace, cgroup and setuid tests will skip"
cmake --workflow --preset dev
# The release preset's build (-O2 warns where -O0 does not); its tests are dev's, so not rerun.
cmake --preset release && cmake --build --preset release
# Every optional dependency off (no c-ares, no liburing, no tool): the tests that still apply and
# the consumers. In a private network namespace (root), since its resolver is getaddrinfo: no
# lookup can leave the machine. Without root it is only built.
if [ "$(id -u)" -eq 0 ]; then
  unshare --net sh -c 'ip link set lo up && cmake --workflow --preset minimal'
else
  cmake --preset minimal && cmake --build --preset minimal
fi
# libdial.so: only dial:: exported, the SONAME, the consumers against the shared library.
cmake --workflow --preset shared
# ThreadSanitizer over the engine, the dialer and the resolver.
cmake --workflow --preset tsan
# The API reference: every public name documented (Doxygen, warnings are errors).
bash scripts/docs.sh
# The Debian packages: built, installed, used from /usr, removed.
bash scripts/deb-test.sh
# Windows: cross-built with mingw-w64, tests run under wine (headless; cmake/wine-run.sh).
cmake --workflow --preset mingw
