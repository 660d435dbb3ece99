#!/usr/bin/env bash
# tests/cli/check_scan_streaming.sh DIAL: a scan larger than one engine run (65536 targets) is
# made and run in chunks, so its memory does not grow with it. Run by in_netns.sh (a private
# network namespace, where every port of 127.0.0.4-7 refuses at once):
#   1. 127.0.0.4/30 -p 1-65535, 262140 targets, under /usr/bin/time: every one refused, the
#      counts right, and a peak RSS under 24 MB (holding the targets alone would take 30 MB:
#      116 bytes each), the figure printed;
#   2. 127.0.0.4/31 -p 1-65535 --json (131070 targets, two chunks): each index once, each target
#      the one at its index (hosts in order, each with the ports in order);
#   3. the same in a terminal (script(1)): the progress bar counts over both chunks, to
#      131070/131070.
set -u
dial=$1
max_rss_kb=$((24576 * ${DIAL_TEST_RSS_SCALE:-1}))  # scale: AddressSanitizer builds (scan.cmake)
failed=0
out=$(/usr/bin/time -f 'peak RSS %M KB' "$dial" scan -q 127.0.0.4/30 -p 1-65535 2>&1)
status=$?
printf '%s\n--- exit status %d (expected 1)\n' "$out" "$status"
[[ $status -eq 1 ]] || { echo "FAIL: exit status $status"; failed=1; }
grep -qE '^dial scan: 127\.0\.0\.4/30 \(4 addresses\), 65535 ports: 262140 targets; ' <<<"$out" ||
  { echo "FAIL: header"; failed=1; }
grep -qE '^Outcomes: ConnectionRefused 262140$' <<<"$out" || { echo "FAIL: outcome counts"; failed=1; }
grep -qE '^262140 of 262140 targets in ' <<<"$out" || { echo "FAIL: result count"; failed=1; }
rss=$(sed -nE 's/^peak RSS ([0-9]+) KB$/\1/p' <<<"$out")
echo "peak RSS: ${rss:-?} KB (bound $max_rss_kb KB)"
[[ -n $rss && $rss -lt $max_rss_kb ]] || { echo "FAIL: peak RSS ${rss:-?} KB"; failed=1; }

"$dial" scan --json 127.0.0.4/31 -p 1-65535 | python3 -c '
import json, sys
lines = [json.loads(l) for l in sys.stdin]
*results, summary = lines
want = {i: f"127.0.0.{4 + i // 65535}:{1 + i % 65535}" for i in range(131070)}
got = {r["index"]: r["target"] for r in results}
bad = [i for i in want if got.get(i) != want[i]]
print(f"--json: {len(results)} results, {len(got)} distinct indexes, {len(bad)} wrong;",
      "summary targets", summary["targets"], "results", summary["results"])
ok = (len(results) == 131070 and not bad and summary["targets"] == 131070
      and summary["results"] == 131070 and summary["outcomes"] == {"ConnectionRefused": 131070})
sys.exit(0 if ok else 1)' || { echo "FAIL: --json indexes or targets across chunks"; failed=1; }
if command -v script >/dev/null; then
  typescript=$(mktemp)
  timeout 60 script -qec "$dial scan 127.0.0.4/31 -p 1-65535" "$typescript" >/dev/null
  bar=$(tr '\r' '\n' <"$typescript")
  rm -f "$typescript"
  grep -E '^\[' <<<"$bar" | tail -1
  grep -qE '^\[=+\] +131070/131070 +100% ' <<<"$bar" ||
    { echo "FAIL: the progress bar did not reach 131070/131070"; failed=1; }
  grep -qE '^\[[=> ]+\] +[0-9]+/131070 ' <<<"$bar" || { echo "FAIL: no progress bar"; failed=1; }
else
  echo "(no script(1): the progress bar is not checked)"
fi
exit $failed
