#!/usr/bin/env bash
# tests/cli/check_scan_names.sh DIAL: `dial scan` takes the one target grammar: HOST:PORT with a
# name is resolved to every address (as `dial HOST:PORT` is), a name with -p too, and the header
# counts what is scanned. As root, in private network and mount namespaces: dnsmasq serves the
# .test zone on 127.0.0.53 (two.test: 127.0.0.1 and ::1; dns.test: 127.0.0.53, where dnsmasq's
# own TCP port 53 listens). -4 and -6 pick a family of two.test's addresses.
set -u
dial=$1
if [[ $(id -u) -ne 0 ]]; then
  echo "skip: needs root (network and mount namespaces); CI runs as root and must not skip this"
  exit 77
fi
exec unshare -n -m bash -s "$dial" "$(dirname "$0")" <<'INNER'
set -u
dial=$1
. "$2/dnsmasq_netns.sh"
dns_start 127.0.0.53 127.0.0.53 two.test,127.0.0.1,::1 dns.test,127.0.0.53
failed=0
run() {  # run WANT_STATUS PATTERN... -- ARG...: dial ARG..., each PATTERN must match a line
  local want=$1 patterns=() out status
  shift
  while [[ $1 != -- ]]; do patterns+=("$1"); shift; done
  shift
  out=$("$dial" "$@" 2>&1)
  status=$?
  printf -- '$ dial %s\n%s\n--- exit status %d (expected %d)\n' "$*" "$out" "$status" "$want"
  [[ $status -eq $want ]] || { echo "FAIL: exit status $status"; failed=1; }
  for p in "${patterns[@]}"; do
    grep -qE -- "$p" <<<"$out" || { echo "FAIL: no line matches '$p'"; failed=1; }
  done
}
# Port 53 is "domain" in /etc/services: the OPEN table names it.
run 0 '^dial scan: 1 target; ' '^OPEN +TIME +SERVICE$' '^127\.0\.0\.53:53 +[0-9.]+ (µs|ms|s) +domain$' \
  '^Outcomes: Connected 1$' \
  -- scan dns.test:53
run 1 '^dial scan: 2 targets; ' '^Outcomes: ConnectionRefused 2$' -- scan two.test:1
run 1 '^dial scan: two\.test \(2 addresses\), 2 ports: 4 targets; ' \
  '^Outcomes: ConnectionRefused 4$' '^4 of 4 targets ' -- scan two.test -p 1-2
run 1 '"target":"\[::1\]:1"' '"target":"127\.0\.0\.1:1"' -- scan --json two.test:1
run 2 "^dial scan: bad host 'two\.test:1': a port after the host \(PortNotAllowed at byte 8\); with -p give hosts without a port$" \
  -- scan two.test:1 -p 1
# -4 / -6 keep one family of the name's addresses; a numeric host of the other is refused.
run 1 '^dial scan: two\.test, 2 ports; ' '^Outcomes: ConnectionRefused 2$' -- scan -4 --show closed two.test -p 1-2
run 1 '^127\.0\.0\.1:2 +ConnectionRefused$' -- scan -4 --show closed two.test -p 1-2
run 1 '^dial scan: 1 target; ' '^\[::1\]:1 +ConnectionRefused$' -- scan -6 --show closed two.test:1
run 2 "^dial scan: bad host 'dns\.test': no IPv6 address among the name's 1 \(FamilyMismatch at byte 0\); drop -6$" \
  -- scan -6 dns.test -p 53
# The probe takes the same words; its PEER is the address that won, or the last one tried.
run 0 '^dns\.test:53 +127\.0\.0\.53:53 +Connected ' -- dns.test:53
run 1 '^two\.test:1 +(127\.0\.0\.1|\[::1\]):1 +ConnectionRefused ' -- two.test:1
dns_stop
exit $failed
INNER
