#!/usr/bin/env bash
# tests/cli/check_resolver_code.sh DIAL: a name that does not exist shows the resolver's own code
# in the CODE column (ARES_ENOTFOUND), as an OS code is shown for a failed connect. As root, in
# private network and mount namespaces with dnsmasq on loopback (no query leaves the machine).
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
dns_start 127.0.0.53 127.0.0.53 known.test,192.0.2.2
set +e
out=$("$dial" -v nx.test:80 2>&1)
status=$?
dns_stop
printf '%s\n' "$out"
printf -- '--- exit status %d (expected 1)\n' "$status"
failed=0
[[ $status -eq 1 ]] || { echo "FAIL: exit status $status"; failed=1; }
for p in '^nx\.test:80 +- +UnknownHostName +ARES_ENOTFOUND \(4\) ' \
         'AAAA answer: UnknownHostName +ARES_ENOTFOUND \(4\)' \
         ' A +answer: UnknownHostName +ARES_ENOTFOUND \(4\)'; do
  grep -qE -- "$p" <<<"$out" || { echo "FAIL: no line matches '$p'"; failed=1; }
done
exit $failed
INNER
