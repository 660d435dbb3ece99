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
# Windows: cross-built with mingw-w64, tests run under wine (headless; cmake/wine-run.sh).
cmake --workflow --preset mingw
