#!/usr/bin/env bash
# tests/cli/check_why.sh DIAL FIXTURE: `dial why` against one fixture built in a private network
# (and mount) namespace, checking the route and the explanation it prints. Needs root (77
# without). Fixtures: refused dropped no_neighbour unreachable prohibit blackhole no_route
# local_drop cgroup_hook (third argument: dial_cli_in_connect_hook) unix_missing nxdomain json
# policy.
set -u
dial=$1 fixture=$2
runner=${3:-}  # cgroup_hook: dial_cli_in_connect_hook
if [[ $(id -u) -ne 0 ]]; then
  echo "skip: needs root (a private network namespace); CI runs as root and must not skip this"
  exit 77
fi
if [[ -z ${DIAL_WHY_IN_NS:-} ]]; then
  DIAL_WHY_IN_NS=1 exec unshare -n -m bash "$0" "$@"
fi
here=$(dirname "$0")
ip link set lo up
# A link whose far end is silent: SYNs to 192.0.2.2 (a static neighbour) leave and are never
# answered; 192.0.2.3 has no neighbour entry, so ARP for it fails after about 3 s.
ip link add v0 type veth peer name v1
ip addr add 192.0.2.1/24 dev v0
ip link set v1 up
ip link set v0 up
ip neigh add 192.0.2.2 lladdr 02:00:00:00:00:02 dev v0 nud permanent
ip route add unreachable 198.51.100.0/26
ip route add prohibit 198.51.100.64/26
ip route add blackhole 198.51.100.128/26
ip route add 198.51.100.192/26 via 192.0.2.2

# check STATUS PATTERN... -- ARGS: runs `dial why ARGS` and matches its output.
check() {
  local want=$1
  shift
  local patterns=()
  while [[ $1 != "--" ]]; do patterns+=("$1"); shift; done
  shift
  out=$($runner "$dial" why "$@" 2>&1)
  status=$?
  printf '%s\n--- exit status %d (expected %d)\n' "$out" "$status" "$want"
  local failed=0
  [[ $status -eq $want ]] || { echo "FAIL: exit status"; failed=1; }
  for p in "${patterns[@]}"; do
    grep -qE -- "$p" <<<"$out" || { echo "FAIL: output does not match '$p'"; failed=1; }
  done
  return $failed
}

case $fixture in
  refused)
    check 1 '^  route     local, dev lo, src 127\.0\.0\.1' \
      '^  attempt   ConnectionRefused  ECONNREFUSED \(111\)' \
      '^  means     the host answered the SYN with a reset: nothing listens on port 1 there' \
      '^verdict     cannot connect: 127\.0\.0\.1:1 ConnectionRefused' -- 127.0.0.1:1 ;;
  dropped)
    check 1 '^  route     unicast, dev v0, src 192\.0\.2\.1 \(192\.0\.2\.0/24, table main\)' \
      '^  attempt   Timeout  -  3[0-9]{2}\.?[0-9]* ms' \
      '^  means     the SYNs went unanswered \(the route goes out on v0\): a filter on the path' \
      -- 192.0.2.2:80 --timeout 300ms ;;
  no_neighbour)
    check 1 '^  route     unicast, dev v0, src 192\.0\.2\.1' \
      '^  attempt   NetworkUnreachable  EHOSTUNREACH \(113\)  [0-9.]+ s' \
      '^  means     no neighbour answered on the local link' -- 192.0.2.3:80 --timeout 10s ;;
  unreachable)
    check 1 '^  route     unreachable route \(198\.51\.100\.0/26, table main\): refuses this destination' \
      '^  attempt   NetworkUnreachable  EHOSTUNREACH \(113\)' \
      '^  means     an unreachable route \(198\.51\.100\.0/26, table main\) refuses this destination here, before any packet is sent' \
      -- 198.51.100.7:80 ;;
  prohibit)
    check 1 '^  route     prohibit route \(198\.51\.100\.64/26, table main\)' \
      '^  attempt   AccessDenied  EACCES \(13\)' \
      '^  means     a prohibit route \(198\.51\.100\.64/26, table main\) refuses this destination' \
      -- 198.51.100.70:443 ;;
  blackhole)
    check 1 '^  route     blackhole route \(198\.51\.100\.128/26, table main\)' \
      '^  attempt   Unexpected  EINVAL \(22\)' \
      '^  means     a blackhole route \(198\.51\.100\.128/26, table main\) discards this destination' \
      -- 198.51.100.130:80 ;;
  no_route)
    check 1 '^  route     no route: no route holds this address \(ENETUNREACH\)' \
      '^  attempt   NetworkUnreachable  ENETUNREACH \(101\)' \
      '^  means     no route holds this address' -- '[2001:db8::9]:80' ;;
  local_drop)
    # A local output rule that drops: the SYN never leaves, and connect cannot tell (tcp_connect
    # ignores the hook's EPERM and retransmits), so it looks like a filter on the path.
    nft -f - <<'NFT' || exit 99
table inet dial_why {
  chain out {
    type filter hook output priority 0;
    ip daddr 198.51.100.250 drop
  }
}
NFT
    check 1 '^  route     unicast, via 192\.0\.2\.2, dev v0, src 192\.0\.2\.1 \(198\.51\.100\.192/26, table main\)' \
      '^  attempt   Timeout  -  ' \
      '^  means     the SYNs went unanswered \(the route goes through gateway 192\.0\.2\.2 on v0\): a filter on the path \(a local output rule included\) drops them' \
      -- 198.51.100.250:5432 --timeout 300ms ;;
  cgroup_hook)
    check 1 '^  route     unicast, via 192\.0\.2\.2, dev v0' \
      '^  attempt   PermissionDenied  EPERM \(1\)' \
      '^  means     refused on this host before any packet left: .*a cgroup BPF connect hook said no' \
      -- 198.51.100.250:5432 ;;
  unix_missing)
    check 1 '^  attempt   FileNotFound  ENOENT \(2\)' \
      '^  means     no socket file exists at that path' -- unix:/nonexistent/dial-why.sock ;;
  nxdomain)
    # shellcheck source=tests/cli/dnsmasq_netns.sh
    . "$here/dnsmasq_netns.sh"
    dns_start 127.0.0.53 127.0.0.53 there.test,127.0.0.1
    check 1 '^resolution  nothere\.test: asked DNS server 127\.0\.0\.53:53 \(/etc/resolv\.conf\)' \
      '^  A         UnknownHostName ARES_ENOTFOUND \(4\)' \
      '^  means     the DNS server \(127\.0\.0\.53:53\) says the name nothere\.test does not exist \(NXDOMAIN\)' \
      '^verdict     cannot connect: the name has no address \(UnknownHostName\)' -- nothere.test:80
    rc=$?
    dns_stop
    exit $rc ;;
  policy)
    # A second link, and policy rules: mark 5 and source 203.0.113.1 select table 100, whose
    # route to 198.51.100.0/24 goes out on d1 instead of main's gateway on v0.
    ip link add d1 type veth peer name d2
    ip addr add 203.0.113.1/24 dev d1
    ip link set d2 up
    ip link set d1 up
    ip route add 198.51.100.0/24 dev d1 table 100
    ip rule add fwmark 5 table 100
    ip rule add from 203.0.113.1 table 100
    rc=0
    check 1 '^  route     unicast, via 192\.0\.2\.2, dev v0, src 192\.0\.2\.1 \(198\.51\.100\.192/26, table main\)$' \
      -- 198.51.100.200:80 --timeout 100ms || rc=1
    check 1 '^  route     unicast, dev d1, src 203\.0\.113\.1 \(198\.51\.100\.0/24, table 100\) \[asked with mark 0x5\]$' \
      '^  means     the SYNs went unanswered \(the route goes out on d1\)' \
      -- 198.51.100.200:80 --mark 5 --timeout 100ms || rc=1
    check 1 '^  route     unicast, dev d1 \(198\.51\.100\.0/24, table 100\) \[asked with source 203\.0\.113\.1\]$' \
      -- 198.51.100.200:80 --source 203.0.113.1 --timeout 100ms || rc=1
    check 1 '^  route     unicast, dev d1, src 203\.0\.113\.1 \[asked with interface d1\]$' \
      -- 198.51.100.200:80 --interface d1 --timeout 100ms || rc=1
    check 1 '^  route     unicast, via 192\.0\.2\.2, dev v0, src 192\.0\.2\.1 \(198\.51\.100\.192/26, table main\) \[10\.9\.9\.9 is not an address of this host: the route without it\]$' \
      '^  attempt   AddressNotAvailable  EADDRNOTAVAIL \(99\)' \
      -- 198.51.100.200:80 --source 10.9.9.9 --timeout 100ms || rc=1
    check 1 '\[no interface is called nosuch0: the route without it\]$' \
      '^  attempt   UnknownInterface  ENODEV \(19\)' \
      -- 198.51.100.200:80 --interface nosuch0 --timeout 100ms || rc=1
    "$dial" why 198.51.100.200:80 --mark 5 --timeout 100ms --json | python3 -c '
import json, sys
r = json.load(sys.stdin)["addresses"][0]["route"]
assert r["table"] == "100" and r["interface"] == "d1" and r["asked"] == "mark 0x5", r
assert r["note"] is None, r
print("json ok")' || rc=1
    exit $rc ;;
  json)
    "$dial" why 198.51.100.7:80 --json | python3 -c '
import json, sys
j = json.load(sys.stdin)
a = j["addresses"][0]
assert j["connected"] is False, j
assert j["resolution"]["source"] == "numeric", j
assert a["route"]["type"] == "unreachable" and a["route"]["prefix"] == "198.51.100.0/26", a
assert a["attempt"]["outcome"] == "NetworkUnreachable" and a["attempt"]["code"] == 113, a
assert "unreachable route" in a["meaning"], a
print("json ok")' ;;
  *) echo "unknown fixture $fixture"; exit 99 ;;
esac
