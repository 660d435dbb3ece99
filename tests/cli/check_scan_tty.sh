#!/usr/bin/env bash
# tests/cli/check_scan_tty.sh: `dial scan 127.0.0.1 -p 1-65535` in a terminal (a pseudo-terminal
# from script(1)) draws its progress bar on stderr and finishes with the open ports; --quiet
# draws none. Runs in a private network namespace, so the scan reaches only the listeners this
# test opens there. Usage: check_scan_tty.sh DIAL WITH_FIXTURE
set -u
dial=$1
with_fixture=$2
if [[ ${DIAL_SCAN_IN_NETNS:-} != 1 ]]; then
  command -v script >/dev/null || { echo "SKIP: no script(1)"; exit 77; }
  unshare -n true 2>/dev/null || { echo "SKIP: cannot create a network namespace"; exit 77; }
  exec env DIAL_SCAN_IN_NETNS=1 unshare -n bash "$0" "$@"
fi
ip link set lo up || exit 99
fail() { echo "FAIL: $*"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The listeners' endpoints, printed by the fixture runner in the namespace.
# shellcheck disable=SC2016
"$with_fixture" tcp4-listen tcp4-listen -- bash -c '
  echo "$0 $1" >"$2/endpoints"
  timeout 60 script -qec "$3 scan 127.0.0.1 -p 1-65535" "$2/bar.typescript" >/dev/null
  echo $? >"$2/bar.status"
  timeout 60 script -qec "$3 scan --quiet 127.0.0.1 -p 1-65535" "$2/quiet.typescript" >/dev/null
  echo $? >"$2/quiet.status"' {0} {1} "$work" "$dial"

read -r e0 e1 <"$work/endpoints"
# A terminal gets colour (tests/cli/check_color.py checks it): read the text without it.
no_color() { tr '\r' '\n' <"$1" | sed 's/\x1b\[[0-9;]*m//g'; }
bar=$(no_color "$work/bar.typescript")
quiet=$(no_color "$work/quiet.typescript")
printf '%s\n' "$bar" | grep -v '^\[' | sed 's/^/| /'
echo "--- progress lines drawn: $(grep -c 'ETA' <<<"$bar")"
[[ $(cat "$work/bar.status") == 0 ]] || fail "exit status $(cat "$work/bar.status"), expected 0"
grep -qE '^\[[=> ]+\] +[0-9]+/65535 +[0-9]+% +[0-9.]+[kM]?/s +ETA ' <<<"$bar" ||
  fail "no progress bar in the terminal output"
grep -qE '^\[=+\] +65535/65535 +100% ' <<<"$bar" || fail "the bar never reached 65535/65535"
for e in "$e0" "$e1"; do
  grep -qE "^${e//./\\.} +[0-9.]+ (µs|ms|s)" <<<"$bar" || fail "open port $e not listed"
done
grep -qE '^Outcomes: ConnectionRefused 6553[0-9], Connected 2' <<<"$bar" ||
  fail "no summary with 2 open ports"
grep -q 'ETA' <<<"$quiet" && fail "--quiet still drew a progress bar"
[[ $(cat "$work/quiet.status") == 0 ]] || fail "--quiet: exit status $(cat "$work/quiet.status")"
echo PASS
