#!/bin/sh
# tests/windows/cli_test.sh: `dial TARGET` and `dial demo` on Windows (under wine): the rows a
# user reads. Probes: a listener by IPv4, IPv6 and `localhost`, a refused port, a full backlog
# that times out. Run by ctest's windows.cli inside private_network.sh, so the fixed ports cannot
# meet anything else. Usage: cli_test.sh DIAL...   (the emulator and dial.exe)
set -u
ready=$(mktemp)
# The fixtures: Linux sockets in this namespace, where wine's own are made too. 21001 listens on
# 127.0.0.1 and ::1; 21003 listens with backlog 0 and one queued connection, so it drops SYNs.
python3 -c '
import socket, sys, time
ls = []
for family, host, port, backlog in [(socket.AF_INET, "127.0.0.1", 21001, 16),
                                    (socket.AF_INET6, "::1", 21001, 16),
                                    (socket.AF_INET, "127.0.0.1", 21003, 0)]:
    s = socket.socket(family)
    s.bind((host, port))
    s.listen(backlog)
    ls.append(s)
filler = socket.create_connection(("127.0.0.1", 21003))
open(sys.argv[1], "w").write("ready")
time.sleep(120)
' "$ready" &
fixtures=$!
trap 'kill $fixtures 2>/dev/null; rm -f "$ready"' EXIT
for _ in $(seq 100); do [ -s "$ready" ] && break; sleep 0.1; done
[ -s "$ready" ] || { echo "FAIL: the fixtures did not start"; exit 1; }

failed=0
fail() { echo "FAIL: $*"; failed=1; }
# run STATUS ARGS...: runs dial, prints its output (CR LF made LF) into $out, checks the status.
run() {
  want=$1
  shift
  out=$("$@" 2>&1)
  rc=$?
  out=$(printf '%s\n' "$out" | tr -d '\r')
  printf '$ dial %s\n%s\n' "$*" "$out" | sed "s|$dial_cmd||"
  [ "$rc" = "$want" ] || fail "dial $*: exit status $rc, not $want"
}
has() { printf '%s\n' "$out" | grep -Eq -- "$1" || fail "no line matches '$1'"; }
dial_cmd="$*"

run 0 "$@" 127.0.0.1:21001 "[::1]:21001"
has '^TARGET +PEER +OUTCOME +CODE +TIME$'
has '^127\.0\.0\.1:21001 +127\.0\.0\.1:21001 +Connected +- +[0-9.]+ (µs|ms|s)$'
has '^\[::1\]:21001 +\[::1\]:21001 +Connected +- '

run 0 "$@" localhost:21001
has '^localhost:21001 +(127\.0\.0\.1|\[::1\]):21001 +Connected +- '

run 1 "$@" 127.0.0.1:21002
has '^127\.0\.0\.1:21002 +127\.0\.0\.1:21002 +ConnectionRefused +WSAECONNREFUSED \(10061\) '

run 1 "$@" --timeout 500ms 127.0.0.1:21003
has '^127\.0\.0\.1:21003 +127\.0\.0\.1:21003 +Timeout +- '

run 1 "$@" -v 127.0.0.1:21001 127.0.0.1:21002
has '^ +\+[0-9.]+ ms \.\. +\+[0-9.]+ ms +127\.0\.0\.1:21002 +ConnectionRefused +WSAECONNREFUSED'

# Colour: never into a file (wine's output is one), always when asked.
printf '%s\n' "$out" | grep -q "$(printf '\033')" && fail "escapes in redirected output"
run 1 "$@" --color=always 127.0.0.1:21002
printf '%s\n' "$out" | grep -q "$(printf '\033\\[31mConnectionRefused')" || fail "--color=always: no red"

# dial demo: the Windows fixtures, one row each.
run 0 "$@" demo
has '^TARGET +OUTCOME +CODE +TIME +NOTE$'
has '^127\.0\.0\.1:[0-9]+ +Connected +- +[0-9.]+ (µs|ms|s) +TCP listener$'
has '^\[::1\]:[0-9]+ +Connected +- .* TCP listener on IPv6 loopback$'
has ' ConnectionRefused +WSAECONNREFUSED \(10061\) .* TCP port bound but not listening \(RST\)$'
has ' Timeout +- .* TCP listener, backlog 0 and full; 500 ms deadline$'
has ' WouldBlock +WSAEWOULDBLOCK \(10035\) .* non-blocking TCP connect: handshake under way$'
has ' ConnectionPending +WSAEALREADY \(10037\) .* connect again while pending on a full TCP backlog$'
# wine answers WSAEOPNOTSUPP where Windows documents WSAEAFNOSUPPORT (docs/spec-differences.md §6)
has ' (Unexpected +WSAEOPNOTSUPP \(10045\)|AddressFamilyNotSupported +WSAEAFNOSUPPORT \(10047\)) .* AF_INET socket given an AF_INET6 address$'
has '^7 fixtures, 6 distinct outcomes\. Cleaned up: every socket closed\.$'
printf '%s\n' "$out" | grep -q 'Skipped' && fail "a fixture was skipped"
run 2 "$@" demo -v
has "^dial: 'dial demo' takes no options \('-v'\)$"
exit $failed
