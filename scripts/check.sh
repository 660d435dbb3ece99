#!/usr/bin/env bash
# scripts/check.sh: what to run before every commit: format check, the dev workflow (build and
# all tests) and the sanitizer workflow (AddressSanitizer + UBSan).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
mapfile -t sources < <(git ls-files -co --exclude-standard '*.cpp' '*.hpp')
if ! clang-format --dry-run --Werror "${sources[@]}"; then
  echo "check: clang-format differs; run: clang-format -i \$(git ls-files '*.cpp' '*.hpp')" >&2
  exit 1
fi
cmake --workflow --preset dev
cmake --workflow --preset asan
echo "check: all green"
