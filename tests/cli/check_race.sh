#!/usr/bin/env bash
# tests/cli/check_race.sh DIAL: `dial -v HOST:PORT` shows a real Happy Eyeballs fallback. As root,
# in private network and mount namespaces: dnsmasq serves race.test (2001:db8::2, 192.0.2.2 on a
# veth) and is itself the TCP listener (port 53); nftables drops TCP to the IPv6 address, so IPv4
# must win one attempt delay (250 ms) later.
set -u
dial=$1
if [[ $(id -u) -ne 0 ]]; then
  echo "skip: needs root (network and mount namespaces); CI runs as root and must not skip this"
  exit 77
fi
exec unshare -n -m bash -s "$dial" "$(dirname "$0")" <<'INNER'
set -eu
dial=$1
. "$2/dnsmasq_netns.sh"
ip link add d0 type veth peer name d0peer && ip link set d0peer up && ip link set d0 up
ip addr add 192.0.2.2/24 dev d0 && ip -6 addr add 2001:db8::2/64 dev d0 nodad
nft add table inet dialtest
nft add chain inet dialtest out '{ type filter hook output priority 0; }'
nft add rule inet dialtest out ip6 daddr 2001:db8::2 tcp dport 53 drop
dns_start 127.0.0.53,192.0.2.2 192.0.2.2 race.test,192.0.2.2,2001:db8::2
set +e
out=$("$dial" -v race.test:53 2>&1)
status=$?
dns_stop
printf '%s\n' "$out"
printf -- '--- exit status %d (expected 0)\n' "$status"
failed=0
[[ $status -eq 0 ]] || { echo "FAIL: exit status $status"; failed=1; }
for p in '^race\.test:53 +192\.0\.2\.2:53 +Connected ' 'AAAA answer: 1 address' ' A +answer: 1 address' \
         '\[2001:db8::2\]:53 +Canceled' '192\.0\.2\.2:53 +Connected'; do
  grep -qE -- "$p" <<<"$out" || { echo "FAIL: no line matches '$p'"; failed=1; }
done
# The IPv4 attempt starts one attempt delay after the IPv6 one (generous window: 240 ms - 2 s).
v4_start=$(grep -E '^ +\+[0-9.]+ ms \.\. .*192\.0\.2\.2:53 +Connected' <<<"$out" | awk '{print $1}' | tr -d '+')
if ! awk -v s="${v4_start:-0}" 'BEGIN { exit !(s >= 240 && s < 2000) }'; then
  echo "FAIL: IPv4 started at +${v4_start:-?} ms, not about one attempt delay (250 ms) in"
  failed=1
fi
exit $failed
INNER
