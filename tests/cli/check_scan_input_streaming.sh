#!/usr/bin/env bash
# tests/cli/check_scan_input_streaming.sh DIAL: an input (-i) is read and scanned a chunk (about
# 65536 targets) at a time, not held whole. Run by in_netns.sh (a private network namespace,
# where every port of 127.0.0.1 refuses at once). 200000 lines of 127.0.0.1:PORT, generated here:
#   1. -i FILE (a regular file, counted in a first pass): every line has a result (the counts
#      in the summary), the header counts all 200000, and a peak RSS under 36 MB, the figure
#      printed (holding every line, as dial did before, took about 46 MB: a plan block of over
#      120 bytes a line, plus the 24 MB a chunked scan takes);
#   2. -i - from a pipe: the same counts and bound; the header says the total is not known;
#   3. -i - --json from a pipe: each index 0..199999 once, each target the one of its line, the
#      summary's targets and results 200000;
#   4. a bad line past the first chunk of a pipe: exit 2 with its line number and byte offset,
#      no summary; of a regular file: the same message, before anything is scanned.
set -u
dial=$1
lines=200000
max_rss_kb=$((36864 * ${DIAL_TEST_RSS_SCALE:-1}))  # scale: AddressSanitizer builds (scan.cmake)
failed=0
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 -c "
for i in range($lines): print(f'127.0.0.1:{1 + i % 65535}')" >"$dir/targets.txt"

check_counts() {  # NAME OUTPUT STATUS HEADER_RE
  printf '%s\n--- %s: exit status %d (expected 1)\n' "$2" "$1" "$3"
  [[ $3 -eq 1 ]] || { echo "FAIL: $1: exit status $3"; failed=1; }
  grep -qE "$4" <<<"$2" || { echo "FAIL: $1: header"; failed=1; }
  grep -qE "^Outcomes: ConnectionRefused $lines\$" <<<"$2" || { echo "FAIL: $1: outcome counts"; failed=1; }
  grep -qE "^$lines of $lines targets in " <<<"$2" || { echo "FAIL: $1: result count"; failed=1; }
  local rss
  rss=$(sed -nE 's/^peak RSS ([0-9]+) KB$/\1/p' <<<"$2")
  echo "$1: peak RSS ${rss:-?} KB (bound $max_rss_kb KB)"
  [[ -n $rss && $rss -lt $max_rss_kb ]] || { echo "FAIL: $1: peak RSS ${rss:-?} KB"; failed=1; }
}

out=$(/usr/bin/time -f 'peak RSS %M KB' "$dial" scan -q -i "$dir/targets.txt" 2>&1)
check_counts "-i FILE" "$out" $? "^dial scan: $lines targets; "
out=$(cat "$dir/targets.txt" | /usr/bin/time -f 'peak RSS %M KB' "$dial" scan -q -i - 2>&1)
check_counts "-i - (a pipe)" "$out" $? '^dial scan: 65536 targets so far, more read as the scan goes; '

cat "$dir/targets.txt" | "$dial" scan --json -i - | python3 -c "
import json, sys
lines = [json.loads(l) for l in sys.stdin]
*results, summary = lines
got = {r['index']: r['target'] for r in results}
bad = [i for i in range($lines) if got.get(i) != f'127.0.0.1:{1 + i % 65535}']
print(f'--json from a pipe: {len(results)} results, {len(got)} distinct indexes, {len(bad)} wrong;',
      'summary targets', summary['targets'], 'results', summary['results'])
ok = (len(results) == $lines and not bad and summary['type'] == 'summary'
      and summary['targets'] == $lines and summary['results'] == $lines
      and summary['not_started'] == 0)
sys.exit(0 if ok else 1)" || { echo "FAIL: --json from a pipe: indexes, targets or summary"; failed=1; }

{ cat "$dir/targets.txt"; echo '127.0.0.1:9x'; } >"$dir/bad.txt"
want="dial scan: <stdin>:$((lines + 1)): bad target '127.0.0.1:9x'"
out=$(cat "$dir/bad.txt" | "$dial" scan --json -i - 2>"$dir/err")
status=$?
err=$(cat "$dir/err")
echo "--- bad line in a pipe: exit $status; $(grep -c '"type":"result"' <<<"$out") result lines; $err"
[[ $status -eq 2 ]] || { echo "FAIL: bad line in a pipe: exit status $status"; failed=1; }
[[ $err == "$want"*"at byte 11)"* ]] || { echo "FAIL: bad line in a pipe: message"; failed=1; }
! grep -q '"type":"summary"' <<<"$out" || { echo "FAIL: bad line in a pipe: a summary"; failed=1; }
out=$("$dial" scan -i "$dir/bad.txt" 2>"$dir/err")
status=$?
err=$(cat "$dir/err")
echo "--- bad line in a file: exit $status; stdout '${out}'; $err"
[[ $status -eq 2 && -z $out ]] || { echo "FAIL: bad line in a file: exit $status or output"; failed=1; }
[[ $err == "${want/<stdin>/$dir/bad.txt}"*"at byte 11)"* ]] ||
  { echo "FAIL: bad line in a file: message"; failed=1; }
exit $failed
