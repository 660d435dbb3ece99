#!/usr/bin/env python3
"""tests/cli/check_connect_options.py: the connect options of `dial`, `dial why` and `dial pipe`
(--interface, --source, --mark, --fastopen, --mptcp, --user-timeout, --keepalive, --nodelay)
against listeners in a private network namespace that check what they received.

Usage: check_connect_options.py DIAL MODE
  mptcp       --mptcp to an MPTCP listener reports MPTCP (the accepted socket is MPTCP), to a TCP
              listener TCP (the peer's fallback), and with net.mptcp.enabled=0 TCP again (the
              socket's fallback); `dial why --mptcp` says the same
  interface   --interface with an unknown name is UnknownInterface ENODEV (probe and why, which
              names the refused option); --interface lo connects
  mark        --mark as root connects; as nobody it is PermissionDenied and `dial why` says
              CAP_NET_ADMIN
  source      --source 127.0.0.9 and 127.0.0.9:PORT: the listener sees that peer; a source of
              the other family is AddressFamilyNotSupported
  fastopen    `dial pipe --fastopen` twice to a Fast Open listener: the first is a plain
              handshake (NotUsed), the second Deferred and the listener's socket got the bytes
              in the SYN (TCP_INFO's TCPI_OPT_SYN_DATA)
  tcp         --nodelay, --keepalive and --user-timeout connect and are shown by -v
  scan        `dial scan` sets the options its engine takes (--interface, --mark, --nodelay, ...)
              on every socket: an unknown interface is each target's UnknownInterface, a mark
              as nobody PermissionDenied; the header line shows them; --mptcp reaches an MPTCP
              listener with MPTCP
  usage       malformed values, and `dial scan` with --source or --fastopen, are usage errors (2)
Needs root (a private network namespace, sysctls in it); skips with 77 without. Every wait is
bounded; no bound decides a pass.
"""
import os
import socket
import struct
import subprocess
import sys
import threading

dial, mode = sys.argv[1], sys.argv[2]
failures = []
WAIT = 30
IPPROTO_MPTCP = 262
TCP_IS_MPTCP = 43
TCPI_OPT_SYN_DATA = 32
TCP_FASTOPEN = 23

if os.geteuid() != 0:
    print("skip: needs root (a private network namespace); CI runs as root and must not skip this")
    sys.exit(77)
if not os.environ.get("DIAL_OPTIONS_IN_NS"):
    os.environ["DIAL_OPTIONS_IN_NS"] = "1"
    os.execvp("unshare", ["unshare", "-n", sys.executable, *sys.argv])
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


def sysctl(name, value):
    with open("/proc/sys/net/" + name.replace(".", "/"), "w") as f:
        f.write(value)


def run(*args, stdin=None, user=None):
    cmd = [dial, *args]
    if user:
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    p = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=WAIT)
    print(f"$ {' '.join(cmd)}\n{p.stdout}{p.stderr}--- exit status {p.returncode}")
    return p.returncode, p.stdout + p.stderr


class server:
    """A listener whose thread accepts connections and records, for each, what it saw."""

    def __init__(self, protocol=0, fast_open=False, host="127.0.0.1"):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, protocol)
        if fast_open:
            self.sock.setsockopt(socket.IPPROTO_TCP, TCP_FASTOPEN, 16)
        self.sock.bind((host, 0))
        self.sock.listen(8)
        self.sock.settimeout(WAIT)
        self.port = self.sock.getsockname()[1]
        self.seen = []  # per connection: dict of what the server side saw
        self.stop = False
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while not self.stop:
            try:
                c, peer = self.sock.accept()
            except OSError:
                return
            c.settimeout(WAIT)
            data = b""
            try:
                while True:
                    chunk = c.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except OSError:
                pass  # a probe closes without sending: recv sees the end or a reset
            info = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
            self.seen.append({
                "peer": peer,
                "protocol": c.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL),
                "is_mptcp": c.getsockopt(socket.IPPROTO_TCP, TCP_IS_MPTCP),
                "syn_data": bool(info[5] & TCPI_OPT_SYN_DATA),
                "data": data,
            })
            c.close()

    def wait_for(self, n):
        for _ in range(WAIT * 10):
            if len(self.seen) >= n:
                return True
            threading.Event().wait(0.1)
        return False

    def target(self):
        return f"127.0.0.1:{self.port}"


def mptcp():
    sysctl("mptcp.enabled", "1")
    mp, tcp = server(IPPROTO_MPTCP), server()
    status, out = run("-v", "--mptcp", mp.target())
    check(status == 0 and "\n  protocol  MPTCP\n" in out, "--mptcp to an MPTCP listener: MPTCP")
    check(mp.wait_for(1) and mp.seen[0]["protocol"] == IPPROTO_MPTCP and mp.seen[0]["is_mptcp"] == 1,
          "the listener accepted an MPTCP connection")
    status, out = run("-v", "--mptcp", tcp.target())
    check(status == 0 and "  protocol  TCP (MPTCP asked for" in out,
          "--mptcp to a TCP listener: TCP (the peer's fallback)")
    check(tcp.wait_for(1) and tcp.seen[0]["protocol"] == socket.IPPROTO_TCP,
          "the TCP listener accepted a TCP connection")
    status, out = run("-v", mp.target())
    check(status == 0 and "protocol" not in out, "without --mptcp nothing is said of it")
    check(mp.wait_for(2) and mp.seen[1]["is_mptcp"] == 0, "without --mptcp the connection is TCP")
    status, out = run("why", "--mptcp", mp.target())
    check(status == 0 and "  protocol  MPTCP (the peer agreed" in out, "dial why --mptcp: MPTCP")
    status, out = run("why", "--json", "--mptcp", mp.target())
    check(status == 0 and '"protocol": "MPTCP"' in out, "dial why --json --mptcp: MPTCP")
    sysctl("mptcp.enabled", "0")  # the socket itself falls back now
    status, out = run("-v", "--mptcp", tcp.target())
    check(status == 0 and "  protocol  TCP (MPTCP asked for" in out,
          "net.mptcp.enabled=0: the socket is TCP")
    check(tcp.wait_for(2) and tcp.seen[1]["protocol"] == socket.IPPROTO_TCP,
          "net.mptcp.enabled=0: the listener got TCP")


def interface():
    status, out = run("--interface", "nosuch0", "127.0.0.1:9")
    check(status == 1 and "UnknownInterface" in out and "ENODEV (19)" in out,
          "--interface nosuch0: UnknownInterface ENODEV")
    status, out = run("why", "--interface", "nosuch0", "127.0.0.1:9")
    check(status == 1 and "  refused   interface nosuch0 (SO_BINDTODEVICE)" in out
          and "no network interface of that name" in out, "dial why names the refused option")
    s = server()
    status, out = run("-v", "--interface", "lo", s.target())
    check(status == 0 and "  options   interface lo\n" in out, "--interface lo connects")
    check(s.wait_for(1), "the listener got it")


def mark():
    s = server()
    status, out = run("-v", "--mark", "0x10", s.target())
    check(status == 0 and "  options   mark 0x10\n" in out, "--mark as root connects")
    status, out = run("--mark", "7", s.target(), user=True)
    check(status == 1 and "PermissionDenied" in out and "EPERM (1)" in out,
          "--mark as nobody: PermissionDenied EPERM")
    status, out = run("why", "--mark", "7", s.target(), user=True)
    check(status == 1 and "CAP_NET_ADMIN" in out, "dial why says CAP_NET_ADMIN")


def source():
    s = server()
    status, out = run("--source", "127.0.0.9", s.target())
    check(status == 0 and s.wait_for(1) and s.seen[0]["peer"][0] == "127.0.0.9",
          "--source 127.0.0.9: the listener sees that address")
    spare = socket.socket()
    spare.bind(("127.0.0.10", 0))
    port = spare.getsockname()[1]
    spare.close()
    status, out = run("--source", f"127.0.0.10:{port}", f"localhost:{s.port}")
    check(status == 0 and s.wait_for(2) and s.seen[1]["peer"] == ("127.0.0.10", port),
          "--source 127.0.0.10:PORT through a name: the listener sees that address and port")
    status, out = run("--source", "::1", s.target())
    check(status == 1 and "AddressFamilyNotSupported" in out,
          "--source of the other family: AddressFamilyNotSupported")
    status, out = run("why", "--source", "[::1]", s.target())
    check(status == 1 and "no address of 127.0.0.1 is of the family of --source" in out,
          "dial why says no address is of the source's family")
    status, out = run("why", "--source", "192.0.2.1", s.target())
    check(status == 1 and "AddressNotAvailable" in out and "not an address of this host" in out,
          "dial why: a source that is not local")


def fastopen():
    sysctl("ipv4.tcp_fastopen", "3")  # in this namespace only: client and server
    s = server(fast_open=True)
    status, out = run("pipe", "-v", "--fastopen", s.target(), stdin="first\n")
    check(status == 0 and "  fastopen  NotUsed" in out, "the first connect: a plain handshake")
    check(s.wait_for(1) and s.seen[0]["data"] == b"first\n" and not s.seen[0]["syn_data"],
          "the listener got the first bytes after the handshake")
    status, out = run("pipe", "-v", "--fastopen", s.target(), stdin="second\n")
    check(status == 0 and "  fastopen  Deferred" in out, "the second connect: Deferred")
    check(s.wait_for(2) and s.seen[1]["data"] == b"second\n" and s.seen[1]["syn_data"],
          "the listener got the second's bytes in the SYN (TCPI_OPT_SYN_DATA)")
    plain = server()
    status, out = run("pipe", "--fastopen", plain.target(), stdin="plain\n")
    check(status == 0 and plain.wait_for(1) and plain.seen[0]["data"] == b"plain\n"
          and not plain.seen[0]["syn_data"], "a listener without Fast Open gets the bytes")
    status, out = run("why", "--fastopen", s.target())
    check(status == 0 and "fastopen  Deferred" in out and "no packet has been sent" in out,
          "dial why explains a Deferred connect")


def tcp():
    s = server()
    status, out = run("-v", "--nodelay", "--keepalive", "30s", "--user-timeout", "5s",
                      s.target())
    check(status == 0 and "  options   user timeout 5000 ms, keepalive 30 s, nodelay" in out,
          "--nodelay --keepalive --user-timeout connect and are shown")
    status, out = run("unix:@dial-options-none", "--nodelay")
    check(status == 1 and "OperationNotSupported" in out,
          "a TCP option on a Unix target: OperationNotSupported")


def scan():
    s = server()
    status, out = run("scan", "-q", "--interface", "nosuch0", s.target())
    check(status == 1 and "; options interface nosuch0\n" in out
          and "Outcomes: UnknownInterface 1" in out, "scan --interface nosuch0: UnknownInterface")
    status, out = run("scan", "-q", "--interface", "lo", "--mark", "5", "--nodelay", s.target())
    check(status == 0 and "; options interface lo, mark 0x5, nodelay\n" in out
          and "Outcomes: Connected 1" in out, "scan with options the engine takes: open")
    check(s.wait_for(1), "the listener got the scan's connection")
    status, out = run("scan", "-q", "--mark", "5", s.target(), user=True)
    check(status == 1 and "PermissionDenied" in out, "scan --mark as nobody: PermissionDenied")
    sysctl("mptcp.enabled", "1")
    mp = server(IPPROTO_MPTCP)
    status, out = run("scan", "-q", "--mptcp", mp.target())
    check(status == 0 and "; options MPTCP\n" in out and "Outcomes: Connected 1" in out,
          "scan --mptcp to an MPTCP listener: open")
    check(mp.wait_for(1) and mp.seen[0]["protocol"] == IPPROTO_MPTCP and mp.seen[0]["is_mptcp"] == 1,
          "scan --mptcp: the listener accepted an MPTCP connection")
    status, out = run("scan", "-q", s.target())
    check(status == 0 and s.wait_for(2) and s.seen[1]["protocol"] == socket.IPPROTO_TCP,
          "scan without --mptcp: TCP")


def usage():
    for args, want in [
        (["--mark", "abc", "127.0.0.1:9"], "bad mark 'abc': a mark is a number (InvalidNumber at byte 0)"),
        (["--mark", "0x100000000", "127.0.0.1:9"], "NumberOutOfRange"),
        (["--source", "127.0.0.1:99999", "127.0.0.1:9"], "(PortOutOfRange at byte 10)"),
        (["--source", "unix:/x", "127.0.0.1:9"], "bad source address"),
        (["--interface", "", "127.0.0.1:9"], "the interface name is empty"),
        (["127.0.0.1:9", "--interface"], "--interface needs a value"),
        (["why", "--mark", "x", "127.0.0.1:9"], "bad mark"),
        (["pipe", "--source", "1.2.3", "127.0.0.1:9"], "bad source address"),
        (["scan", "--fastopen", "127.0.0.1:9"], "--fastopen is not supported by dial scan"),
        (["scan", "--mark", "x", "127.0.0.1:9"], "bad mark 'x'"),
        (["scan", "--source=127.0.0.1", "127.0.0.1:9"], "--source is not supported by dial scan"),
    ]:
        status, out = run(*args)
        check(status == 2 and want in out, f"{' '.join(args)}: usage error '{want}'")


{"mptcp": mptcp, "interface": interface, "mark": mark, "source": source, "fastopen": fastopen,
 "tcp": tcp, "scan": scan, "usage": usage}[mode]()
print("FAIL" if failures else "PASS")
sys.exit(1 if failures else 0)
