#!/usr/bin/env bash
# tests/consumer/run.sh SOURCE_DIR BUILD_DIR WORK_DIR: dial as a dependency, three ways:
# find_package on an installed tree, pkg-config on the same tree, and add_subdirectory.
set -euo pipefail
src=$1 build=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null

cmake -S "$src/tests/consumer/find_package" -B "$work/fp" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/fp" >/dev/null
"$work/fp/consumer"

export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig:$work/prefix/lib/x86_64-linux-gnu/pkgconfig"
g++ "$src/tests/consumer/consumer.cpp" $(pkg-config --cflags dial) $(pkg-config --libs dial) \
  -o "$work/pc-consumer"
"$work/pc-consumer"

cmake -S "$src/tests/consumer/add_subdirectory" -B "$work/as" -G Ninja \
  -DDIAL_SOURCE_DIR="$src" >/dev/null
cmake --build "$work/as" >/dev/null
"$work/as/consumer"
echo "consumer: find_package, pkg-config and add_subdirectory all work"
