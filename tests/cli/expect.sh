#!/usr/bin/env bash
# tests/cli/expect.sh: runs a command and checks its exit status and output (stdout and stderr).
# Usage: expect.sh STATUS PATTERN... -- COMMAND ARG...
# Each PATTERN is an extended regex that some line of the output must match; "!PATTERN" must
# match no line.
set -u
if [[ $# -lt 3 ]]; then echo "usage: expect.sh STATUS PATTERN... -- COMMAND ARG..." >&2; exit 99; fi
want_status=$1
shift
patterns=()
while [[ $# -gt 0 && $1 != "--" ]]; do patterns+=("$1"); shift; done
if [[ $# -lt 2 ]]; then echo "expect.sh: no command after --" >&2; exit 99; fi
shift

output=$("$@" 2>&1)
status=$?
printf '%s\n' "$output"
printf -- '--- exit status %d (expected %d)\n' "$status" "$want_status"

failed=0
if [[ $status -ne $want_status ]]; then
  echo "FAIL: exit status $status, expected $want_status"
  failed=1
fi
for p in "${patterns[@]}"; do
  if [[ $p == !* ]]; then
    if grep -qE -- "${p:1}" <<<"$output"; then echo "FAIL: output matches '${p:1}'"; failed=1; fi
  else
    if ! grep -qE -- "$p" <<<"$output"; then echo "FAIL: output does not match '$p'"; failed=1; fi
  fi
done
exit $failed
