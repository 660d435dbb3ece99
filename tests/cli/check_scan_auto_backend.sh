#!/usr/bin/env bash
# tests/cli/check_scan_auto_backend.sh DIAL: `dial scan --backend auto` with a target that is not
# on loopback (198.51.100.1: no route in the private namespace in_netns.sh makes, so its connect
# ends NetworkUnreachable at once) runs on io_uring, or on epoll where the kernel refuses
# io_uring (then `--backend io_uring` cannot start and exits 2). A scan of loopback addresses
# only is epoll's (scan.auto_is_epoll_for_loopback_only).
set -u
dial=$1
"$dial" scan -q --backend io_uring 127.0.0.1 -p 1 >/dev/null 2>&1
if [ $? -le 1 ]; then want=io_uring; else want=epoll; fi
out=$("$dial" scan 127.0.0.1 198.51.100.1 -p 1 --timeout 1s 2>&1)
if ! grep -q "back-end $want, " <<<"$out"; then
  printf 'want back-end %s in:\n%s\n' "$want" "$out"
  exit 1
fi
echo "back-end $want"
