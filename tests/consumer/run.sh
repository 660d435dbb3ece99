#!/usr/bin/env bash
# tests/consumer/run.sh SOURCE_DIR BUILD_DIR WORK_DIR: dial as a dependency, three ways:
# find_package on an installed tree, pkg-config on the same tree, and add_subdirectory.
#   DIAL_CONSUMER_PREFIX=/usr   use dial installed there (the Debian packages) instead of
#                               installing BUILD_DIR into WORK_DIR/prefix
#   DIAL_CONSUMER_WAYS="find_package pkg-config"   the ways to try (default: all three)
#   DIAL_CONSUMER_CMAKE_ARGS    more arguments for the add_subdirectory configure
#                               (-DBUILD_SHARED_LIBS=ON, ...)
# A static libdial.a is linked with `pkg-config --static` (Requires.private, Libs.private); a
# shared libdial.so with plain `pkg-config --libs`, and the program must then load it.
set -euo pipefail
src=$1 build=$2 work=$3
ways=${DIAL_CONSUMER_WAYS:-find_package pkg-config add_subdirectory}
# The parent build's compile and link flags (the asan preset's -fsanitize=...): a sanitized
# libdial.a links only into sanitized programs.
cxxflags=${DIAL_CONSUMER_CXXFLAGS:-}
ldflags=${DIAL_CONSUMER_LDFLAGS:-}
flags=(-DCMAKE_CXX_FLAGS="$cxxflags" -DCMAKE_EXE_LINKER_FLAGS="$ldflags")
rm -rf "$work" && mkdir -p "$work"
prefix=${DIAL_CONSUMER_PREFIX:-}
if [ -z "$prefix" ]; then
  prefix=$work/prefix
  cmake --install "$build" --prefix "$prefix" >/dev/null
fi
pc=$(find "$prefix/lib" -name dial.pc -path '*/pkgconfig/*' | head -n1)
libdir=$(dirname "$(dirname "$pc")")
shared=no
[ -e "$libdir/libdial.so" ] && shared=yes
echo "consumer: dial in $prefix ($libdir), shared: $shared"

# check_linkage PROGRAM: a shared build's program must load libdial.so.*, a static one's not.
check_linkage() {
  if [ "$shared" = yes ]; then
    ldd "$1" | grep -q 'libdial\.so' || { echo "consumer: $1 does not load libdial.so"; exit 1; }
  elif ldd "$1" | grep -q 'libdial\.so'; then
    echo "consumer: $1 loads libdial.so, but the library is static"
    exit 1
  fi
}

if [[ " $ways " == *" find_package "* ]]; then
  cmake -S "$src/tests/consumer/find_package" -B "$work/fp" -G Ninja "${flags[@]}" \
    -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
  cmake --build "$work/fp" >/dev/null || { cmake --build "$work/fp"; exit 1; }
  "$work/fp/consumer"
  check_linkage "$work/fp/consumer"
fi

if [[ " $ways " == *" pkg-config "* ]]; then
  export PKG_CONFIG_PATH
  PKG_CONFIG_PATH=$(dirname "$pc")
  if [ "$shared" = yes ]; then
    libs=$(pkg-config --libs dial)
    export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  else
    libs=$(pkg-config --static --libs dial)
    # What the static library needs is private: a shared link must not be told about it.
    if [[ " $(pkg-config --libs dial) " == *" -lcares "* ]]; then
      echo "consumer: dial.pc lists -lcares in Libs (it belongs in Requires.private)"
      exit 1
    fi
  fi
  echo "consumer: pkg-config --cflags: $(pkg-config --cflags dial); libs: $libs"
  # shellcheck disable=SC2086 # the flags are words
  g++ $cxxflags "$src/tests/consumer/consumer.cpp" $ldflags $(pkg-config --cflags dial) $libs \
    -o "$work/pc-consumer"
  "$work/pc-consumer"
  check_linkage "$work/pc-consumer"
fi

if [[ " $ways " == *" add_subdirectory "* ]]; then
  # shellcheck disable=SC2086 # the arguments are words
  cmake -S "$src/tests/consumer/add_subdirectory" -B "$work/as" -G Ninja "${flags[@]}" \
    -DDIAL_SOURCE_DIR="$src" ${DIAL_CONSUMER_CMAKE_ARGS:-} >/dev/null
  cmake --build "$work/as" >/dev/null || { cmake --build "$work/as"; exit 1; }
  "$work/as/consumer"
fi
echo "consumer: $ways: all work"
