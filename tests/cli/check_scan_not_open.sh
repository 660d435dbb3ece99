#!/usr/bin/env bash
# tests/cli/check_scan_not_open.sh DIAL WITH_FIXTURE: `dial scan` lists every target that was
# neither open nor refused, each with its outcome (Timeout and NetworkUnreachable first), and
# `--show closed` adds the refused ones after them. Run by in_netns.sh (a private network
# namespace): 192.0.2.0/24 leads into a veth whose peer has no address (no ARP answer within
# the 300 ms deadline: Timeout), 198.51.100.0/25 is unreachable (NetworkUnreachable) and
# 198.51.100.128/25 prohibited (an error of another name).
set -u
dial=$1
with_fixture=$2
ip link add d0 type veth peer name d0peer && ip link set d0peer up && ip link set d0 up &&
  ip route add 192.0.2.0/24 dev d0 || exit 99
ip route add unreachable 198.51.100.0/25 && ip route add prohibit 198.51.100.128/25 || exit 99
failed=0
check() {  # check NAME STATUS ARG...: runs the scan and prints its output into $out
  local name=$1 want=$2
  shift 2
  out=$("$with_fixture" tcp4-listen tcp4-closed -- "$dial" scan --timeout 300ms "$@" 2>&1)
  local status=$?
  printf -- '--- %s\n%s\n--- exit status %d (expected %d)\n' "$name" "$out" "$status" "$want"
  [[ $status -eq $want ]] || { echo "FAIL: $name: exit status $status"; failed=1; }
}
want_order() {  # want_order NAME REGEX...: lines matching each REGEX exist, in this order
  local name=$1 last=0 n
  shift
  for re in "$@"; do
    n=$(grep -nE -- "$re" <<<"$out" | head -1 | cut -d: -f1)
    if [[ -z $n || $n -le $last ]]; then echo "FAIL: $name: no line '$re' after line $last"; failed=1; return; fi
    last=$n
  done
}
targets=(198.51.100.200:80 192.0.2.7:80 {0} 198.51.100.1:80 {1})
check listed 0 "${targets[@]}"
want_order listed '^OPEN +TIME$' '^127\.0\.0\.1:[0-9]+ +[0-9.]+ (µs|ms|s)$' '^NOT OPEN +OUTCOME$' \
  '^192\.0\.2\.7:80 +Timeout$' '^198\.51\.100\.1:80 +NetworkUnreachable$' \
  '^198\.51\.100\.200:80 +[A-Z][A-Za-z]+$' '^Outcomes: '
grep -qE '^198\.51\.100\.200:80 +(Timeout|NetworkUnreachable|ConnectionRefused)$' <<<"$out" &&
  { echo "FAIL: the prohibited target's outcome is not one of its own"; failed=1; }
grep -qE '^127\.0\.0\.1:[0-9]+ +ConnectionRefused$' <<<"$out" &&
  { echo "FAIL: a refused target is listed without --show closed"; failed=1; }
check show_closed 0 --show closed "${targets[@]}"
want_order show_closed '^NOT OPEN +OUTCOME$' '^192\.0\.2\.7:80 +Timeout$' \
  '^198\.51\.100\.200:80 +[A-Z]' '^127\.0\.0\.1:[0-9]+ +ConnectionRefused$' '^Outcomes: '
check bad_show 2 --show everything {0}
grep -qE "^dial scan: bad --show 'everything': .* \(UnknownForm at byte 0\)" <<<"$out" ||
  { echo "FAIL: no message for --show everything"; failed=1; }
exit $failed
