# tests/cli/dnsmasq_netns.sh: sourced inside a private network and mount namespace (unshare -n
# -m) by the CLI's DNS tests. dns_start LISTEN PROBE RECORD...: resolv.conf names 127.0.0.53,
# dnsmasq serves the .test zone (each RECORD a --host-record value) on LISTEN (comma-separated
# addresses, 127.0.0.53 among them) and the wait ends once PROBE:53 accepts (at most about 5 s).
# dns_stop ends it and puts resolv.conf back.
dns_start() {
  local listen=$1 probe=$2
  shift 2
  mount --make-rprivate /
  ip link set lo up
  dns_tmp=$(mktemp -d)
  echo "nameserver 127.0.0.53" >"$dns_tmp/resolv.conf"
  mount --bind "$dns_tmp/resolv.conf" /etc/resolv.conf
  local records=()
  for r in "$@"; do records+=("--host-record=$r"); done
  dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
    --listen-address="$listen" --bind-interfaces --port=53 --user=root --pid-file= \
    --log-facility=/dev/null --local=/test/ "${records[@]}" &
  dns_pid=$!
  for _ in $(seq 50); do  # bounded
    if (exec 3<>"/dev/tcp/$probe/53") 2>/dev/null; then break; fi
    sleep 0.1
  done
}

dns_stop() {
  kill "$dns_pid"
  wait "$dns_pid" 2>/dev/null
  umount /etc/resolv.conf
  rm -rf "$dns_tmp"
}
