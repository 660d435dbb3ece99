#!/usr/bin/env bash
# tests/cli/check_scan_rate.sh DIAL: `dial scan --rate R` starts at most R connects a second.
# Run by in_netns.sh (a private network namespace): 192.0.2.2 is a static neighbour behind a
# veth whose peer never answers, so every SYN is dropped and each connect ends Timeout; the
# connects cannot be paced by the answers, only by the rate. The engine's bucket holds a 10 ms
# burst, so N targets at rate R take at least (N - R*0.01 - 2)/R seconds (one start of slack
# for rounding, one for the first): the test asserts that lower bound only (no flaky upper
# bound) and prints the achieved rate.
set -u
dial=$1
n=150 rate=100
ip link add r0 type veth peer name r1 && ip addr add 192.0.2.1/24 dev r0 && ip link set r1 up &&
  ip link set r0 up && ip neigh add 192.0.2.2 lladdr 02:00:00:00:00:02 dev r0 nud permanent ||
  exit 99
out=$("$dial" scan 192.0.2.2 -p "1-$n" --rate "$rate" --timeout 200ms 2>&1)
status=$?
printf '%s\n--- exit status %d (expected 1)\n' "$(grep -v " Timeout$" <<<"$out")" "$status"
failed=0
[[ $status -eq 1 ]] || { echo "FAIL: exit status $status"; failed=1; }
grep -qE "^dial scan: 192\.0\.2\.2, $n ports; .*, timeout 200 ms, at most $rate connects/s$" <<<"$out" ||
  { echo "FAIL: the header does not show the rate"; failed=1; }
grep -qE "^Outcomes: Timeout $n$" <<<"$out" || { echo "FAIL: not every SYN was dropped"; failed=1; }
elapsed=$(sed -nE "s/^$n of $n targets in ([0-9.]+) s .*/\1/p" <<<"$out")
[[ -n $elapsed ]] || { echo "FAIL: no summary line"; exit 1; }
awk -v n="$n" -v r="$rate" -v e="$elapsed" 'BEGIN {
  floor = (n - r * 0.01 - 2) / r
  # The last connects wait out their 200 ms deadline after the last start.
  printf "achieved: %d starts in at most %.3f s: %.1f/s (asked %d/s); lower bound %.3f s\n",
         n, e - 0.2, n / (e > 0.2 ? e - 0.2 : e), r, floor
  exit !(e >= floor)
}' || { echo "FAIL: $elapsed s is faster than --rate $rate allows"; failed=1; }
# --json: the summary says the rate too.
"$dial" scan --json 192.0.2.2 -p 1-3 --rate 2.5 --timeout 100ms | tail -1 | grep -q '"rate":2.5}$' ||
  { echo "FAIL: the JSON summary lacks the rate"; failed=1; }
exit $failed
