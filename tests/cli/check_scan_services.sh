#!/usr/bin/env bash
# tests/cli/check_scan_services.sh DIAL: the OPEN table names each open port's TCP service from
# /etc/services ("ssh" for 22), and --json gives it as "service". Run by in_netns.sh (a private
# network namespace), where this test's own listeners on 127.0.0.1:22 and :2 are the only ones.
set -u
dial=$1
[[ -r /etc/services ]] || { echo "SKIP: no /etc/services"; exit 77; }
want22=$(awk '$2 == "22/tcp" { print $1; exit }' /etc/services)
[[ -n $want22 ]] || { echo "SKIP: /etc/services names no TCP port 22"; exit 77; }
python3 -c '
import socket, sys, time
socks = []
for port in (22, 2):
    s = socket.socket()
    s.bind(("127.0.0.1", port))
    s.listen(16)
    socks.append(s)
print("ready", flush=True)
time.sleep(30)  # bounded: the test ends it long before
' >"${TMPDIR:-/tmp}/dial-services-$$" &
listener=$!
trap 'kill "$listener" 2>/dev/null' EXIT
for _ in $(seq 50); do grep -q ready "${TMPDIR:-/tmp}/dial-services-$$" 2>/dev/null && break; sleep 0.1; done
rm -f "${TMPDIR:-/tmp}/dial-services-$$"
failed=0
out=$("$dial" scan 127.0.0.1 -p 2,22,23 2>&1)
status=$?
printf '%s\n--- exit status %d (expected 0)\n' "$out" "$status"
[[ $status -eq 0 ]] || { echo "FAIL: exit status $status"; failed=1; }
grep -qE '^OPEN +TIME +SERVICE$' <<<"$out" || { echo "FAIL: no SERVICE column"; failed=1; }
grep -qE "^127\.0\.0\.1:22 +[0-9.]+ (µs|ms|s) +${want22}$" <<<"$out" ||
  { echo "FAIL: 22 is not named $want22"; failed=1; }
want2=$(awk '$2 == "2/tcp" { print $1; exit }' /etc/services)
grep -qE "^127\.0\.0\.1:2 +[0-9.]+ (µs|ms|s)${want2:+ +$want2}$" <<<"$out" ||
  { echo "FAIL: port 2 is not named '${want2}'"; failed=1; }
json=$("$dial" scan --json 127.0.0.1:22 127.0.0.1:23)
printf '%s\n' "$json"
grep -q "\"target\":\"127.0.0.1:22\".*\"service\":\"${want22}\"}$" <<<"$json" ||
  { echo "FAIL: --json lacks the service of 22"; failed=1; }
exit $failed
