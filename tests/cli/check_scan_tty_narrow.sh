#!/usr/bin/env bash
# tests/cli/check_scan_tty_narrow.sh DIAL: in a 40-column terminal (a pseudo-terminal from
# script(1), `stty cols 40`), every progress redraw of `dial scan 127.0.0.1 -p 1-65535` fits in
# 39 columns, so the terminal never wraps it and each redraw replaces the line it is on. Runs in
# a private network namespace, so the scan reaches nothing but its own loopback.
set -u
dial=$1
if [[ ${DIAL_SCAN_IN_NETNS:-} != 1 ]]; then
  command -v script >/dev/null || { echo "SKIP: no script(1)"; exit 77; }
  unshare -n true 2>/dev/null || { echo "SKIP: cannot create a network namespace"; exit 77; }
  exec env DIAL_SCAN_IN_NETNS=1 unshare -n bash "$0" "$@"
fi
ip link set lo up || exit 99
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
for cols in 40 20; do
  # script(1)'s own output is the terminal's (its typescript file would add a banner).
  timeout 60 script -qec "stty cols $cols rows 24; $dial scan 127.0.0.1 -p 1-65535 >/dev/null" \
    /dev/null >"$work/t" </dev/null
  # What stderr drew: each redraw is "\r" LINE "\033[K"; split there and measure every piece.
  sed 's/\x1b\[K/\n/g' "$work/t" | tr '\r' '\n' | grep -v '^$' >"$work/pieces"
  drawn=$(grep -c 'ETA\|/65535' "$work/pieces")
  widest=$(awk '{ if (length($0) > w) w = length($0) } END { print w + 0 }' "$work/pieces")
  echo "--- $cols columns: $drawn redraws, widest $widest columns"
  head -3 "$work/pieces" | sed 's/^/| /'
  [[ $drawn -gt 0 ]] || { echo "FAIL: $cols columns: no progress drawn"; failed=1; }
  [[ $widest -lt $cols ]] || { echo "FAIL: $cols columns: a redraw is $widest wide"; failed=1; }
  # No redraw ends a line: the terminal's output has no newline at all (stdout is /dev/null).
  lines=$(tr -cd '\n' <"$work/t" | wc -c)
  [[ $lines -eq 0 ]] || { echo "FAIL: $cols columns: the bar added $lines lines"; failed=1; }
done
exit $failed
