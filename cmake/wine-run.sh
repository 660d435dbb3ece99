#!/bin/sh
# cmake/wine-run.sh: runs one Windows program under wine for ctest, headless and non-interactive.
# Usage: wine-run.sh PREFIX WINE PROGRAM [ARGS...]   (the mingw toolchain's crosscompiling emulator)
#  - PREFIX is a wine prefix of the build tree's own, created on first use (about 6 s) under a
#    lock, so that tests started in parallel do not race to create it;
#  - no X server is used or needed: DISPLAY is unset, WINEDEBUG=-all; Mono, Gecko and the menu
#    builder (which would write .desktop files under $HOME) are off;
#  - the program's output goes to a file printed when it exits, never straight to ctest's pipe:
#    wine's helper processes can hold an inherited pipe open for seconds after the program ends.
set -u
prefix=$1
wine=$2
shift 2
export WINEPREFIX="$prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d"
unset DISPLAY WAYLAND_DISPLAY
mkdir -p "$(dirname "$prefix")"
# A prefix counts as made once kernel32.dll is in it: a wineboot that failed part-way (seen once
# in CI: system.reg written, system32 empty, every program then "could not load kernel32.dll")
# is made again from scratch, at most three times.
(
  flock 9
  for try in 1 2 3; do
    [ -f "$prefix/drive_c/windows/system32/kernel32.dll" ] && break
    rm -rf "$prefix"
    "$wine" wineboot --init </dev/null >/dev/null 2>&1
  done
) 9>"$prefix.lock"
out=$(mktemp)
"$wine" "$@" </dev/null >"$out" 2>&1
rc=$?
cat "$out"
rm -f "$out"
exit "$rc"
