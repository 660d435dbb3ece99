# tests/cli/scan.cmake: `dial scan` (included by tests/cli/CMakeLists.txt). Loopback only: the
# fixtures' listeners and closed ports, and a full-port scan inside a private network namespace.
get_target_property(dial_has_engine dial::dial DIAL_HAS_ENGINE)
if(NOT dial_has_engine)
  return()  # the library has no engine (DIAL_HAS_ENGINE): `dial scan` is not built
endif()
set(scan_dir ${CMAKE_CURRENT_SOURCE_DIR})
set(in_netns bash ${CMAKE_CURRENT_SOURCE_DIR}/in_netns.sh)  # scans beyond the test's fixtures
# A time, and the /etc/services name of the port if it has one (a fixture's ephemeral port may).
set(time_re [=[[0-9.]+ (µs|ms|s)( +[A-Za-z0-9_.+-]+)?]=])

# ---- human output and exit status --------------------------------------------------------------
cli_test(scan.open_and_refused ${with_fixture} tcp4-listen tcp4-closed tcp6-listen --
  ${expect} 0 [=[^dial scan: 3 targets. back-end (io_uring|epoll), [0-9]+ threads?, [0-9]+ in flight, timeout 2000 ms$]=]
  [=[^OPEN +TIME$]=] "^127\\.0\\.0\\.1:[0-9]+ +${time_re}$" "^\\[::1\\]:[0-9]+ +${time_re}$"
  [=[^Outcomes: Connected 2, ConnectionRefused 1$]=]
  [=[^3 of 3 targets in [0-9.]+ s \([0-9.]+k?/s\), 2 open, back-end (io_uring|epoll)$]=] "!ETA"
  -- ${dial} scan {0} {1} {2})
cli_test(scan.none_open ${with_fixture} tcp4-closed tcp4-closed --
  ${expect} 1 [=[^No target is open\.$]=] [=[^Outcomes: ConnectionRefused 2$]=] "!^OPEN"
  -- ${dial} scan {0} {1})
# --timeout takes the same durations as `dial --timeout` (a unit, or bare milliseconds).
cli_test(scan.timeout_durations ${with_fixture} tcp4-closed --
  ${expect} 1 [=[timeout 1500 ms$]=] -- ${dial} scan --timeout 1.5s {0})
cli_test(scan.timeout_bare_milliseconds ${with_fixture} tcp4-closed --
  ${expect} 1 [=[timeout 750 ms$]=] -- ${dial} scan --timeout 750 {0})
foreach(backend io_uring epoll)
  cli_test(scan.backend_${backend} ${with_fixture} tcp4-listen tcp4-closed --
    ${expect} 0 "back-end ${backend}, " [=[^Outcomes: Connected 1, ConnectionRefused 1$]=]
    -- ${dial} scan --backend ${backend} --threads 1 --concurrency 1 {0} {1})
endforeach()
# --backend auto: epoll for a scan of loopback addresses only (docs/engine.md, "Asked again on
# loopback"); with one target elsewhere (198.51.100.1: no route in the namespace, NetworkUnreachable
# at once) io_uring, or epoll where the kernel refuses io_uring (--backend io_uring exits 2 then).
cli_test(scan.auto_is_epoll_for_loopback_only ${in_netns} ${expect} 1
  [=[^dial scan: 6 targets; back-end epoll, ]=] [=[^Outcomes: ConnectionRefused 6$]=]
  -- ${dial} scan 127.0.0.1 ::1 -p 1-3)
cli_test(scan.auto_is_io_uring_with_another_address ${in_netns}
  bash ${scan_dir}/check_scan_auto_backend.sh ${dial})
# HOST -p PORTS: the fixtures' ports as a list and as a one-port range; the host in three forms.
cli_test(scan.host_ports ${with_fixture} tcp4-listen tcp4-closed --
  ${expect} 0 [=[^dial scan: 127\.0\.0\.1, 3 ports. back-end]=] [=[^Outcomes: ConnectionRefused 2, Connected 1$]=]
  -- bash -c [=[exec "$0" scan 127.0.0.1 --ports="${1##*:},${2##*:}-${2##*:},${1##*:},1"]=]
     ${dial} {0} {1})
cli_test(scan.host_ipv6_forms ${with_fixture} tcp6-listen --
  ${expect} 0 "^\\[::1\\]:[0-9]+ +${time_re}$" [=[^Outcomes: Connected 2$]=]
  -- bash -c [=[exec "$0" scan ::1 '[::1]' -p "${1##*:}"]=] ${dial} {0})
# HOST:PORT with a name, as `dial HOST:PORT` takes it (localhost from /etc/hosts: no DNS query).
cli_test(scan.target_name ${with_fixture} tcp4-listen --
  ${expect} 0 [=[^dial scan: 1 target; ]=] "^127\\.0\\.0\\.1:[0-9]+ +${time_re}$" [=[^Outcomes: Connected 1$]=]
  -- bash -c [=[exec "$0" scan "localhost:${1##*:}"]=] ${dial} {0})
# As root: names served by dnsmasq in a private namespace, with two addresses each scanned.
cli_test(scan.names_have_every_address bash ${scan_dir}/check_scan_names.sh ${dial})
# Every target neither open nor refused is listed with its outcome; --show closed adds the rest.
cli_test(scan.lists_what_is_not_open ${in_netns} bash ${scan_dir}/check_scan_not_open.sh ${dial} ${with_fixture})
# A name from /etc/hosts (localhost is 127.0.0.1 there): no DNS query is sent.
cli_test(scan.host_name ${with_fixture} tcp4-listen --
  ${expect} 0 "^127\\.0\\.0\\.1:[0-9]+ +${time_re}$" [=[^Outcomes: Connected 1$]=]
  -- bash -c [=[exec "$0" scan localhost -p "${1##*:}"]=] ${dial} {0})

# ---- blocks and ranges as hosts, each address in order (in a private namespace: 127.0.0.2-7
# and the documentation networks reach nothing there; 2001:db8::/32 and 198.51.100.0/24 have no
# route, so their connects end NetworkUnreachable at once) ---------------------------------------
cli_test(scan.block_cidr_ipv4 ${in_netns} ${expect} 1
  [=[^dial scan: 127\.0\.0\.4/30 \(4 addresses\), 2 ports: 8 targets; ]=]
  [=[^127\.0\.0\.4:1 +ConnectionRefused$]=] [=[^127\.0\.0\.7:2 +ConnectionRefused$]=]
  [=[^Outcomes: ConnectionRefused 8$]=] [=[^8 of 8 targets ]=]
  -- ${dial} scan 127.0.0.4/30 -p 1-2 --show closed)
cli_test(scan.block_cidr_ipv6 ${in_netns} ${expect} 1
  [=[^dial scan: 2001:db8::/124 \(16 addresses\), 1 port: 16 targets; ]=]
  [=[^\[2001:db8::\]:80 +NetworkUnreachable$]=] [=[^\[2001:db8::f\]:80 +NetworkUnreachable$]=]
  "!2001:db8::10" [=[^Outcomes: NetworkUnreachable 16$]=]
  -- ${dial} scan 2001:db8::/124 -p 80)
# A /31 is its 2 addresses, a /32 and a /128 one; an address with host bits names its block.
cli_test(scan.block_small_prefixes ${in_netns} ${expect} 1
  [=[^dial scan: 6 targets; ]=] [=[^127\.0\.0\.4:1 +ConnectionRefused$]=]
  [=[^127\.0\.0\.5:1 +ConnectionRefused$]=] [=[^127\.0\.0\.9:1 +ConnectionRefused$]=]
  [=[^\[::1\]:1 +ConnectionRefused$]=] [=[^198\.51\.100\.0:1 +NetworkUnreachable$]=]
  [=[^198\.51\.100\.1:1 +NetworkUnreachable$]=] [=[^Outcomes: ConnectionRefused 4, NetworkUnreachable 2$]=]
  -- ${dial} scan 127.0.0.5/31 127.0.0.9/32 ::1/128 198.51.100.1/31 -p 1 --show closed)
cli_test(scan.block_ranges ${in_netns} ${expect} 1
  [=[^dial scan: 198\.51\.100\.10-20 \(11 addresses\), 1 port: 11 targets; ]=]
  [=[^198\.51\.100\.10:80 +NetworkUnreachable$]=] [=[^198\.51\.100\.20:80 +NetworkUnreachable$]=]
  "!198\\.51\\.100\\.21:" [=[^Outcomes: NetworkUnreachable 11$]=]
  -- ${dial} scan 198.51.100.10-20 -p 80)
# BLOCK:PORT and [BLOCK]:PORT without -p; the full range form; a v6 last-group range (hex).
cli_test(scan.block_targets ${in_netns} ${expect} 1
  [=[^dial scan: 9 targets; ]=] [=[^198\.51\.100\.254:22 +NetworkUnreachable$]=]
  [=[^198\.51\.100\.255:22 +NetworkUnreachable$]=] [=[^\[2001:db8::ff\]:443 +NetworkUnreachable$]=]
  [=[^\[2001:db8::101\]:443 +NetworkUnreachable$]=] [=[^127\.0\.0\.3:1 +ConnectionRefused$]=]
  [=[^Outcomes: NetworkUnreachable 6, ConnectionRefused 3$]=]
  -- ${dial} scan 198.51.100.254/31:22 [2001:db8::ff-101]:443 127.0.0.1-127.0.0.3:1 198.51.100.7:22 --show closed)
# A block holding an open fixture: it is in the OPEN table, the other address refused.
cli_test(scan.block_with_a_listener ${with_fixture} tcp4-listen --
  ${expect} 0 [=[^dial scan: 127\.0\.0\.1-2 \(2 addresses\), 1 port: 2 targets; ]=]
  "^127\\.0\\.0\\.1:[0-9]+ +${time_re}$" [=[^Outcomes: (Connected 1, ConnectionRefused 1|ConnectionRefused 1, Connected 1)$]=]
  -- bash -c [=[exec "$0" scan 127.0.0.1-2 -p "${1##*:}"]=] ${dial} {0})
# -4 / -6 on names: tests/cli/check_scan_names.sh (a name with both families, from dnsmasq).

# ---- NDJSON: every line parses and matches docs/scan-json.md -----------------------------------
cli_test(scan.json_schema ${with_fixture} tcp4-listen tcp6-listen tcp4-listen tcp4-closed --
  python3 ${scan_dir}/check_scan_json.py ${dial} {0} {1} {2} -- {3})

# ---- targets from a file and from standard input -----------------------------------------------
cli_test(scan.input_file ${with_fixture} tcp4-listen tcp4-closed --
  ${expect} 0 [=[^dial scan: 2 targets. back-end]=] "^127\\.0\\.0\\.1:[0-9]+ +${time_re}$"
  [=[^Outcomes: Connected 1, ConnectionRefused 1$]=]
  -- bash -c [=[f=$(mktemp) && trap 'rm -f "$f"' EXIT &&
     printf '# fixtures\n\n  %s\n%s   # closed\n' "$1" "$2" >"$f" && "$0" scan -i "$f"]=] ${dial} {0} {1})
cli_test(scan.input_stdin ${with_fixture} tcp4-listen tcp4-closed --
  ${expect} 0 [=[^dial scan: 3 targets. back-end]=] [=[^Outcomes: ConnectionRefused 2, Connected 1$]=]
  -- bash -c [=[printf '%s\n#x\n%s\n' "$1" "$2" | "$0" scan "$2" -i -]=] ${dial} {0} {1})
cli_test(scan.input_hosts_with_ports ${with_fixture} tcp4-listen --
  ${expect} 0 [=[^Outcomes: Connected 2$]=]
  -- bash -c [=[printf '127.0.0.1\n::ffff:127.0.0.1\n' | "$0" scan -i - -p "${1##*:}"]=]
     ${dial} {0})

cli_test(scan.input_blocks ${in_netns} ${expect} 1 [=[^dial scan: 5 targets; ]=]
  [=[^127\.0\.0\.9:1 +ConnectionRefused$]=] [=[^\[::1\]:1 +ConnectionRefused$]=]
  [=[^Outcomes: ConnectionRefused 5$]=]
  -- bash -c [=[printf '127.0.0.4/31\n127.0.0.8-9  # a range\n[::1]/128\n' | "$0" scan -i - -p 1 --show closed]=]
     ${dial})

# ---- usage errors: exit 2, a message, nothing scanned ------------------------------------------
function(scan_usage_test name pattern)
  add_test(NAME cli.scan.usage.${name}
           COMMAND ${expect} 2 "${pattern}" "!^OPEN" "!^Outcomes" -- ${dial} scan ${ARGN})
  set_tests_properties(cli.scan.usage.${name} PROPERTIES TIMEOUT 60 LABELS cli)
endfunction()
scan_usage_test(port_zero [=[^dial scan: bad port list '0': port 0 cannot]=] 127.0.0.1 -p 0)
scan_usage_test(port_too_big [=[^dial scan: bad port list '1,70000': the port is above 65535 \(PortOutOfRange at byte 2\)$]=]
                127.0.0.1 -p 1,70000)
scan_usage_test(range_backwards [=[^dial scan: bad port list '10-5': the range runs backwards \(InvalidPortRange at byte 0\); ]=]
                127.0.0.1 -p 10-5)
scan_usage_test(port_not_number [=[^dial scan: bad port list '22,ssh': a port is a decimal number \(InvalidPort at byte 3\)$]=]
                127.0.0.1 -p 22,ssh)
scan_usage_test(port_list_hole [=[^dial scan: bad port list '22,,80': the port is missing \(MissingPort at byte 3\)$]=]
                127.0.0.1 -p 22,,80)
scan_usage_test(ports_twice [=[^dial scan: -p is given twice$]=] 127.0.0.1 -p 1 -p 2)
scan_usage_test(ports_missing_value [=[^dial scan: -p needs a value$]=] 127.0.0.1 -p)
scan_usage_test(bad_target [=[^dial scan: bad target '127\.0\.0\.1': the port is missing \(MissingPort at byte 9\); give HOST:PORT$]=]
                127.0.0.1)
scan_usage_test(bad_host [=[^dial scan: bad host '1\.2\.3': malformed IPv4 address \(InvalidIpv4 at byte [0-9]\)$]=]
                1.2.3 -p 1)
scan_usage_test(host_with_port [=[^dial scan: bad host '127\.0\.0\.1:22': a port after the host \(PortNotAllowed at byte 9\); with -p give hosts without a port$]=]
                127.0.0.1:22 -p 22)
scan_usage_test(host_v6_with_port [=[^dial scan: bad host '\[::1\]:22': .*PortNotAllowed at byte 5\); with -p give hosts without a port$]=]
                [::1]:22 -p 22)
scan_usage_test(port_leading_zero [=[^dial scan: bad port list '022': .*\(InvalidPort at byte 0\); ports have no leading zeros$]=]
                127.0.0.1 -p 022)
scan_usage_test(target_ipv6_without_brackets [=[^dial scan: bad target '::1:22': .*\(UnknownForm at byte 0\); IPv6 needs brackets]=]
                ::1:22)
scan_usage_test(no_target [=[^dial scan: no target given$]=])
scan_usage_test(unknown_option [=[^dial scan: unknown option '--bogus'$]=] --bogus 127.0.0.1:1)
scan_usage_test(unknown_backend [=[^dial scan: bad back-end 'kqueue': unknown back-end \(UnknownForm at byte 0\); io_uring, epoll or auto$]=]
                --backend kqueue 127.0.0.1:1)
scan_usage_test(bad_timeout [=[^dial scan: bad timeout '0ms': .*\(InvalidDuration at byte 0\); a timeout must be > 0$]=]
                --timeout 0ms 127.0.0.1:1)
scan_usage_test(bad_timeout_unit [=[^dial scan: bad timeout '5parsecs': unknown unit \(InvalidDuration at byte 1\); .*units us, ms, s or m]=]
                --timeout 5parsecs 127.0.0.1:1)
scan_usage_test(bad_concurrency [=[^dial scan: bad concurrency '0': not a number above 0 \(InvalidNumber at byte 0\)$]=]
                --concurrency 0 127.0.0.1:1)
scan_usage_test(bad_threads [=[^dial scan: bad thread count 'two': .*\(InvalidNumber at byte 0\)$]=]
                --threads two 127.0.0.1:1)
scan_usage_test(missing_input [=[^dial scan: cannot read '/nonexistent/targets\.txt': No such file or directory$]=]
                -i /nonexistent/targets.txt)
scan_usage_test(unreadable_input [=[^dial scan: /:1: cannot read: Is a directory$]=] -i /)
scan_usage_test(block_prefix_too_long [=[^dial scan: bad host '192\.0\.2\.0/33': the prefix is not a number 0-32 \(InvalidPrefix at byte 10\)$]=]
                192.0.2.0/33 -p 1)
scan_usage_test(block_too_big [=[^dial scan: bad host '2001:db8::/64': the block has 2\^64 addresses \(TooManyTargets at byte 10\); a block has at most 4294967296 ]=]
                2001:db8::/64 -p 1)
scan_usage_test(block_of_a_name [=[^dial scan: bad host 'localhost/24': a block needs a numeric address \(UnknownForm at byte 0\); as in 192\.0\.2\.0/28 or 198\.51\.100\.10-20$]=]
                localhost/24 -p 1)
scan_usage_test(range_runs_backwards [=[^dial scan: bad host '198\.51\.100\.20-10': the range runs backwards \(InvalidRange at byte 14\); write a range low-high]=]
                198.51.100.20-10 -p 1)
scan_usage_test(range_last_byte [=[^dial scan: bad host '198\.51\.100\.1-256': the last byte is above 255 \(InvalidRange at byte 13\)$]=]
                198.51.100.1-256 -p 1)
scan_usage_test(range_mixed_families [=[^dial scan: bad host '198\.51\.100\.1-::1': the range ends in another address family \(InvalidRange at byte 13\)$]=]
                198.51.100.1-::1 -p 1)
scan_usage_test(block_target_port [=[^dial scan: bad target '192\.0\.2\.0/30:0': port 0 cannot be connected to \(PortOutOfRange at byte 13\)]=]
                192.0.2.0/30:0)
scan_usage_test(block_too_many_targets [=[^dial scan: more than 4294967296 targets; split the scan$]=]
                10.0.0.0/8 -p 1-257)
scan_usage_test(ipv4_only_v6_host [=[^dial scan: bad host '::1': an IPv6 address with -4 \(FamilyMismatch at byte 0\); drop -4 or give an IPv4 address$]=]
                -4 ::1 -p 1)
scan_usage_test(ipv6_only_v4_block [=[^dial scan: bad target '192\.0\.2\.0/30:1': an IPv4 address with -6 \(FamilyMismatch at byte 0\); drop -6 or give an IPv6 address$]=]
                -6 192.0.2.0/30:1)
scan_usage_test(ipv4_and_ipv6 [=[^dial scan: -4 and -6 exclude each other$]=] -4 -6 127.0.0.1:1)
scan_usage_test(rate_zero [=[^dial scan: bad rate '0': not a number above 0, at most 10000000 \(InvalidNumber at byte 0\)$]=]
                --rate 0 127.0.0.1:1)
scan_usage_test(rate_not_number [=[^dial scan: bad rate 'fast': not a number above 0]=] --rate fast 127.0.0.1:1)
scan_usage_test(rate_infinite [=[^dial scan: bad rate 'inf': ]=] --rate inf 127.0.0.1:1)
# Echoed input is cut to 64 bytes ("…") and its control bytes escaped (\x1b): no forged lines.
cli_test(scan.usage.echo_is_bounded
  ${expect} 2 [=[^dial scan: bad target 'a\\x1b.2Ja{59}…': ]=] [=[![[:cntrl:]]]=]
  -- bash -c [=["$0" scan "$(printf 'a\033\1332J%0100d:1' 0 | tr 0 a)"]=] ${dial})
cli_test(scan.usage.bad_input_line
  ${expect} 2 [=[^dial scan: .*targets\.txt:3: bad target 'localhost:080': the port has a leading zero \(InvalidPort at byte 10\); ports have no leading zeros$]=]
  "!^Outcomes"
  -- bash -c [=[d=$(mktemp -d) && trap 'rm -rf "$d"' EXIT &&
     printf '127.0.0.1:1\n# ok\nlocalhost:080\n' >"$d/targets.txt" && "$0" scan -i "$d/targets.txt"]=] ${dial})
cli_test(scan.usage.bad_stdin_line
  ${expect} 2 [=[^dial scan: <stdin>:2: bad host '300\.1\.1\.1': ]=]
  -- bash -c [=[printf '127.0.0.1\n300.1.1.1\n' | "$0" scan -p 1 -i -]=] ${dial})
# Input bounds: a 4096-byte line (/dev/zero fails at once), 4194304 targets, memory (no uncaught
# std::bad_alloc), each under an address-space limit.
cli_test(scan.usage.input_limits ${in_netns} python3 ${scan_dir}/check_scan_limits.py ${dial})
# The -i file (and the epoll back-end's sockets) are close-on-exec from their creation (strace).
cli_test(scan.input_close_on_exec ${with_fixture} tcp4-closed --
  python3 ${scan_dir}/check_close_on_exec.py 1 --input "{0}" --
  ${dial} scan --backend epoll -i {input})
cli_test(scan.help ${expect} 0 [=[^Usage: dial scan TARGET\.\.\.]=] [=[^       dial scan HOST\.\.\. -p PORTS]=]
  [=[^Exit status:$]=] [=[^  0 +at least one target was open$]=] [=[^  1 +no target was open]=]
  [=[^  2 +usage error]=] [=[^  130  interrupted]=] [=[us, ms, s or m]=] [=[1us is 1 ms]=]
  [=[^  --show closed ]=] [=[^  --rate N ]=] [=[^  -4, -6 ]=] [=[^  BLOCK +a\.b\.c\.d/N or v6addr/N]=]
  [=[broadcast addresses included]=] [=[at most 4294967296 targets]=] -- ${dial} scan --help)
cli_test(scan.in_main_help ${expect} 0 [=[^       dial scan TARGET\.\.\. \| HOST\.\.\. -p PORTS]=]
  [=[^  scan +connect to many targets]=] -- ${dial} --help)
# Every unit --help names is taken; 1us is rounded up to the engine's 1 ms.
cli_test(scan.timeout_microseconds ${with_fixture} tcp4-closed --
  ${expect} 1 [=[timeout 1 ms$]=] -- ${dial} scan --timeout 1us {0})
cli_test(scan.timeout_minutes ${with_fixture} tcp4-closed --
  ${expect} 1 [=[timeout 60000 ms$]=] -- ${dial} scan --timeout 1m {0})

# ---- Ctrl-C and the progress bar in a terminal -------------------------------------------------
cli_test(scan.sigint ${with_fixture} tcp4-listen --
  python3 ${scan_dir}/check_scan_sigint.py ${dial} {0})
cli_test(scan.tty_progress_full_range
  bash ${scan_dir}/check_scan_tty.sh ${dial} ${with_fixture})
cli_test(scan.tty_progress_fits_narrow_terminals bash ${scan_dir}/check_scan_tty_narrow.sh ${dial})

# ---- standard output that cannot be written: /dev/full, a closed pipe ------------------------
cli_test(output_errors ${in_netns} bash ${scan_dir}/check_output_errors.sh ${dial} ${with_fixture})

# ---- politeness and size: --rate against dropped SYNs; a scan larger than one engine run ------
cli_test(scan.rate_is_respected ${in_netns} bash ${scan_dir}/check_scan_rate.sh ${dial})
cli_test(scan.streams_large_scans ${in_netns} bash ${scan_dir}/check_scan_streaming.sh ${dial})
# -i FILE and -i - (a pipe) of 200000 lines: read and scanned a chunk at a time (peak RSS bound).
cli_test(scan.streams_input ${in_netns} bash ${scan_dir}/check_scan_input_streaming.sh ${dial})
# Service names from /etc/services in the OPEN table and in --json (a listener on port 22).
cli_test(scan.service_names ${in_netns} bash ${scan_dir}/check_scan_services.sh ${dial})
# 2 shared cores
set_tests_properties(cli.scan.streams_large_scans cli.scan.streams_input PROPERTIES TIMEOUT 180)
# Under AddressSanitizer the process carries shadow memory and a quarantine (measured: 3.7x and
# 6.8x the plain build's peak RSS for these two scans) and runs several times slower: the bounds
# scale by 8, which still fails a scan that holds every target (46.7 MB plain), and the time
# limit grows.
if(CMAKE_CXX_FLAGS MATCHES "-fsanitize=address")
  set_tests_properties(cli.scan.streams_large_scans cli.scan.streams_input PROPERTIES
    ENVIRONMENT DIAL_TEST_RSS_SCALE=8 TIMEOUT 900)
endif()
