#!/usr/bin/env bash
# tests/cli/check_output_errors.sh DIAL WITH_FIXTURE: standard output that cannot be written (a
# full disk, /dev/full; a pipe whose reader is gone) ends `dial` and `dial scan` with a non-zero
# status and a message, never a crash (an abort from an uncaught exception, a core dump). Run by
# in_netns.sh: the full-port scan reaches only this namespace's loopback.
set -u
dial=$1
with_fixture=$2
failed=0
fail() { echo "FAIL: $*"; failed=1; }
full() {  # full NAME ARG...: dial ARG... >/dev/full must exit 1 naming ENOSPC
  local err status
  err=$("$with_fixture" tcp4-listen tcp4-closed -- "$dial" "$@" 2>&1 >/dev/full)
  status=$?
  printf -- '--- %s >/dev/full: exit %d\n%s\n' "$*" "$status" "$err"
  [[ $status -eq 1 ]] || fail "$*: exit status $status, expected 1"
  grep -q '^dial: cannot write the output: No space left on device$' <<<"$err" ||
    fail "$*: no message naming the full disk"
}
full '{0}' '{1}'
full scan '{0}' '{1}'
full scan --json '{0}' '{1}'
full --help
# A reader that leaves after one line: with SIGPIPE at its default the process ends by it (as
# cat and ls do: 141 in the shell); with SIGPIPE ignored (inherited), EPIPE stops the scan and
# the status is 1. Either way quickly, and never 134 (SIGABRT) or 139 (SIGSEGV).
for sigpipe in default ignored; do
  trap_cmd=""
  [[ $sigpipe == ignored ]] && trap_cmd="trap '' PIPE;"
  start=$SECONDS
  statuses=$(bash -c "$trap_cmd"' "$0" scan --json 127.0.0.1 -p 1-65535 2>"$1" | head -1 >/dev/null
                      echo "${PIPESTATUS[0]}"' "$dial" /tmp/dial-epipe-$$)
  err=$(cat /tmp/dial-epipe-$$)
  rm -f /tmp/dial-epipe-$$
  echo "--- | head -1, SIGPIPE $sigpipe: exit $statuses in $((SECONDS - start)) s; stderr: $err"
  if [[ $sigpipe == default ]]; then
    [[ $statuses -eq 141 ]] || fail "SIGPIPE default: exit status $statuses, expected 141"
  else
    [[ $statuses -eq 1 ]] || fail "SIGPIPE ignored: exit status $statuses, expected 1"
    grep -q 'cannot write the output: Broken pipe' <<<"$err" || fail "SIGPIPE ignored: no message"
  fi
  [[ $((SECONDS - start)) -lt 30 ]] || fail "SIGPIPE $sigpipe: took $((SECONDS - start)) s"
done
exit $failed
