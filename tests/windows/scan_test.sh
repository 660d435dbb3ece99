#!/bin/sh
# tests/windows/scan_test.sh: `dial scan` on Windows (under wine) against a known open set: four
# loopback listeners among 16 ports; the rest are refused. Run by ctest's windows.scan inside
# private_network.sh, so the fixed ports cannot meet anything else.
# Usage: scan_test.sh DIAL...   (DIAL: the command that runs dial.exe: the emulator and the exe)
set -u
open_ports="20001 20003 20007 20012"
ready=$(mktemp)
# The listeners: Linux sockets in this namespace, where wine's own are made too (its wineserver
# starts here: private_network.sh). They never accept: a connect completes in the backlog.
python3 -c '
import socket, sys, time
ls = []
for p in sys.argv[2:]:
    s = socket.socket()
    s.bind(("127.0.0.1", int(p)))
    s.listen(64)
    ls.append(s)
open(sys.argv[1], "w").write("ready")
time.sleep(120)
' "$ready" $open_ports &
listener=$!
trap 'kill $listener 2>/dev/null; rm -f "$ready"' EXIT
for _ in $(seq 100); do [ -s "$ready" ] && break; sleep 0.1; done
[ -s "$ready" ] || { echo "FAIL: the listeners did not start"; exit 1; }

failed=0
fail() { echo "FAIL: $*"; failed=1; }

# Human output: the header, the open ports (and only those), the outcome counts, status 0.
out=$("$@" scan 127.0.0.1 -p 20000-20015 --timeout 500ms 2>&1)
rc=$?
out=$(printf '%s\n' "$out" | tr -d '\r')  # the C runtime's text mode ends lines with CR LF
printf '%s\n' "$out"
[ "$rc" = 0 ] || fail "exit status $rc, not 0 (open ports found)"
printf '%s\n' "$out" | grep -Eq '^dial scan: 127\.0\.0\.1, 16 ports; back-end automatic, [0-9]+ threads?, [0-9]+ in flight, timeout 500 ms' ||
  fail "no header line"
found=$(printf '%s\n' "$out" | sed -n 's/^127\.0\.0\.1:\([0-9]*\) .*/\1/p' | sort -n | tr '\n' ' ')
[ "$found" = "$open_ports " ] || fail "open ports '$found', not '$open_ports '"
printf '%s\n' "$out" | grep -Eq '^Outcomes: .*ConnectionRefused 12' || fail "not 12 refused"
printf '%s\n' "$out" | grep -Eq '^Outcomes: .*Connected 4' || fail "not 4 connected"
printf '%s\n' "$out" | grep -Eq '^16 of 16 targets in .* 4 open, back-end automatic$' || fail "no summary"

# JSON: one result per port, refused ones with the WSA code and its name.
json=$("$@" scan 127.0.0.1 -p 20000-20015 --timeout 500ms --json 2>&1)
[ "$(printf '%s\n' "$json" | grep -c '"type":"result"')" = 16 ] || fail "not 16 JSON results"
[ "$(printf '%s\n' "$json" | grep -c '"open":true')" = 4 ] || fail "not 4 open in JSON"
[ "$(printf '%s\n' "$json" | grep -c '"code":10061,"code_name":"WSAECONNREFUSED"')" = 12 ] ||
  fail "not 12 WSAECONNREFUSED in JSON"

# Linux's back-ends are not there: status 2 and the name.
err=$("$@" scan --backend epoll 127.0.0.1:20001 2>&1)  # (wine-run.sh merges the two streams)
rc=$?
[ "$rc" = 2 ] || fail "--backend epoll: exit status $rc, not 2"
printf '%s\n' "$err" | grep -q 'BackendUnavailable' || fail "--backend epoll: no BackendUnavailable"

# --help says what --backend means here.
"$@" scan --help 2>&1 | grep -q 'only back-end' || fail "--help does not name the Windows back-end"

# None open: status 1.
"$@" scan 127.0.0.1 -p 20000,20002 --timeout 500ms >/dev/null 2>&1
rc=$?
[ "$rc" = 1 ] || fail "no open port: exit status $rc, not 1"
exit $failed
