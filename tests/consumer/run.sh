#!/usr/bin/env bash
# tests/consumer/run.sh SOURCE_DIR BUILD_DIR WORK_DIR: dial as a dependency, three ways:
# find_package on an installed tree, pkg-config on the same tree, and add_subdirectory.
set -euo pipefail
src=$1 build=$2 work=$3
# The parent build's compile and link flags (the asan preset's -fsanitize=...): a sanitized
# libdial.a links only into sanitized programs.
cxxflags=${DIAL_CONSUMER_CXXFLAGS:-}
ldflags=${DIAL_CONSUMER_LDFLAGS:-}
flags=(-DCMAKE_CXX_FLAGS="$cxxflags" -DCMAKE_EXE_LINKER_FLAGS="$ldflags")
rm -rf "$work" && mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null

cmake -S "$src/tests/consumer/find_package" -B "$work/fp" -G Ninja "${flags[@]}" \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/fp" >/dev/null || { cmake --build "$work/fp"; exit 1; }
"$work/fp/consumer"

export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig:$work/prefix/lib/x86_64-linux-gnu/pkgconfig"
# shellcheck disable=SC2086 # the flags are words
g++ $cxxflags "$src/tests/consumer/consumer.cpp" $ldflags $(pkg-config --cflags dial) $(pkg-config --libs dial) \
  -o "$work/pc-consumer"
"$work/pc-consumer"

cmake -S "$src/tests/consumer/add_subdirectory" -B "$work/as" -G Ninja "${flags[@]}" \
  -DDIAL_SOURCE_DIR="$src" >/dev/null
cmake --build "$work/as" >/dev/null || { cmake --build "$work/as"; exit 1; }
"$work/as/consumer"
echo "consumer: find_package, pkg-config and add_subdirectory all work"
