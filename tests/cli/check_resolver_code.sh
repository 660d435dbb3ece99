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
exec unshare -n -m bash -s "$dial" <<'INNER'
set -eu
dial=$1
mount --make-rprivate /
ip link set lo up
tmp=$(mktemp -d)
echo "nameserver 127.0.0.53" >"$tmp/resolv.conf"
mount --bind "$tmp/resolv.conf" /etc/resolv.conf
dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
  --listen-address=127.0.0.53 --bind-interfaces --port=53 --user=root --pid-file= \
  --log-facility=/dev/null --local=/test/ --host-record=known.test,192.0.2.2 &
pid=$!
for _ in $(seq 50); do  # bounded: at most about 5 s for dnsmasq to listen
  if (exec 3<>/dev/tcp/127.0.0.53/53) 2>/dev/null; then break; fi
  sleep 0.1
done
set +e
out=$("$dial" -v nx.test:80 2>&1)
status=$?
kill "$pid"
wait "$pid" 2>/dev/null
umount /etc/resolv.conf
rm -rf "$tmp"
printf '%s\n' "$out"
printf -- '--- exit status %d (expected 1)\n' "$status"
failed=0
[[ $status -eq 1 ]] || { echo "FAIL: exit status $status"; failed=1; }
for p in '^nx\.test:80 +UnknownHostName +ARES_ENOTFOUND \(4\) ' \
         'AAAA answer: UnknownHostName +ARES_ENOTFOUND \(4\)' \
         ' A +answer: UnknownHostName +ARES_ENOTFOUND \(4\)'; do
  grep -qE -- "$p" <<<"$out" || { echo "FAIL: no line matches '$p'"; failed=1; }
done
exit $failed
INNER
