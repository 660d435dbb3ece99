#!/usr/bin/env bash
# scripts/demo.sh: installs what is needed, builds the dial CLI and runs it on its built-in demo
# targets (the README's main command).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target dial_cli
./build/release/tools/dial/dial demo
