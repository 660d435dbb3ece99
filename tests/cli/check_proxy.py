#!/usr/bin/env python3
"""tests/cli/check_proxy.py: `--proxy URL` of `dial`, `dial why`, `dial pipe` (and its refusal by
`dial scan`) against real proxies: microsocks (SOCKS5, with a username and password) and
tinyproxy (HTTP CONNECT), started here on loopback ports, and an echo server in a thread.

Usage: check_proxy.py DIAL MODE
  probe   dial --proxy: a tunnel (-v shows the hop, the password never), a refused target
          (ConnectionRefused SOCKS5-REP (5)), wrong credentials, a proxy that is down, the
          usage errors (a bad URL, whose password is not echoed; a Unix target)
  why     dial why --proxy: the proxy's steps, then the hop's outcome, meaning and code, as
          text and as JSON
  pipe    dial pipe --proxy: bytes through a SOCKS5 and an HTTP tunnel, byte-exact
  scan    dial scan --proxy: a usage error
Exit 77 (skip) when microsocks or tinyproxy is not installed. Every wait is bounded.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

dial, mode = sys.argv[1], sys.argv[2]
failures = []
WAIT = 30  # seconds: a bound for a hung dial, never a timing assertion
SECRET = "s3cr3t-pw"


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port):
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.02)
    return False


class Server:
    """A proxy as a child process, ended (SIGTERM, then SIGKILL) and reaped at the end."""

    def __init__(self, argv, port):
        self.port = port
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_listening(port):
            self.stop()
            sys.exit(f"{argv[0]} did not listen on {port}")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def echo_server():
    l = socket.socket()
    l.bind(("127.0.0.1", 0))
    l.listen(8)

    def serve(c):
        with c:
            c.settimeout(WAIT)
            try:
                while data := c.recv(65536):
                    c.sendall(data)
            except OSError:
                pass

    def run():
        while True:
            try:
                c, _ = l.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(c,), daemon=True).start()

    threading.Thread(target=run, daemon=True).start()
    return l, l.getsockname()[1]


def run(*args, stdin=None):
    p = subprocess.run([dial, *args], input=stdin, capture_output=True, timeout=WAIT)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))  # bound, never listening: SYNs get a reset
    return s, s.getsockname()[1]


for tool in ("microsocks", "tinyproxy"):
    if shutil.which(tool) is None:
        print(f"skip: {tool} is not installed (scripts/deps.sh)")
        sys.exit(77)

tmp = tempfile.mkdtemp(prefix="dial-proxy-")
echo, echo_port = echo_server()
refused, refused_port = closed_port()
ms_port = free_port()
ms = Server(["microsocks", "-i", "127.0.0.1", "-p", str(ms_port), "-u", "alice", "-P", SECRET],
            ms_port)
tp_port = free_port()
with open(os.path.join(tmp, "tinyproxy.conf"), "w") as f:
    f.write(f"Port {tp_port}\nListen 127.0.0.1\nTimeout 10\nAllow 127.0.0.1\n"
            f"ConnectPort {echo_port}\nConnectPort {refused_port}\n")
tp = Server(["tinyproxy", "-d", "-c", os.path.join(tmp, "tinyproxy.conf")], tp_port)
socks = f"socks5://alice:{SECRET}@127.0.0.1:{ms_port}"
socks_h = f"socks5h://alice:{SECRET}@127.0.0.1:{ms_port}"
http = f"http://127.0.0.1:{tp_port}"
echo_target = f"127.0.0.1:{echo_port}"

try:
    if mode == "probe":
        rc, out, err = run("--proxy", socks, "-v", echo_target, f"localhost:{echo_port}")
        check(rc == 0, f"a tunnel through microsocks connects (status {rc}): {out}{err}")
        check(f"proxy socks5://alice:***@127.0.0.1:{ms_port}" in out, "-v shows the proxy")
        check("handshake: tunnel" in out, "-v shows the handshake's step")
        check("resolved here, sent as 127.0.0.1" in out, "socks5 resolves a name here")
        check(SECRET not in out + err, "the password is never printed")
        rc, out, _ = run("--proxy", socks_h, "-v", f"localhost:{echo_port}")
        check(rc == 0 and "sent as a name" in out, f"socks5h sends the name: {out}")
        rc, out, _ = run("--proxy", socks, f"127.0.0.1:{refused_port}")
        check(rc == 1 and "ConnectionRefused" in out and "SOCKS5-REP (5)" in out,
              f"a refused target is ConnectionRefused with the proxy's code: {out}")
        check(f"127.0.0.1:{ms_port}" in out, "PEER is the proxy")
        rc, out, err = run("--proxy", f"socks5://alice:wrong-{SECRET}@127.0.0.1:{ms_port}",
                           echo_target)
        check(rc == 1 and "ProxyAuthenticationFailed" in out and "RFC1929-STATUS" in out,
              f"wrong credentials: {out}")
        check(SECRET not in out + err, "a wrong password is not printed either")
        rc, out, _ = run("--proxy", f"socks5://127.0.0.1:{ms_port}", echo_target)
        check(rc == 1 and "ProxyAuthenticationRequired" in out, f"no credentials: {out}")
        rc, out, _ = run("--proxy", f"http://127.0.0.1:{refused_port}", "-v", echo_target)
        check(rc == 1 and "ConnectionRefused" in out and "ECONNREFUSED" in out
              and "handshake: connect" in out, f"a proxy that is down: {out}")
        rc, out, _ = run("--proxy", http, f"127.0.0.1:{refused_port}")
        check(rc == 1 and "ProxyFailure" in out and "HTTP (500)" in out,
              f"tinyproxy's 500 is ProxyFailure: {out}")
        rc, _, err = run("--proxy", f"socks5://alice:{SECRET}@127.0.0.1:99999", echo_target)
        check(rc == 2 and "PortOutOfRange at byte" in err and SECRET not in err,
              f"a bad URL is a usage error that does not echo it: {err}")
        rc, _, err = run("--proxy", "ftp://h:1", echo_target)
        check(rc == 2 and "UnknownProxyScheme at byte 0" in err, f"an unknown scheme: {err}")
        rc, _, err = run("--proxy", socks, "unix:/run/none.sock")
        check(rc == 2 and "cannot go through a proxy" in err, f"a Unix target: {err}")
        rc, _, err = run(echo_target, "--proxy")
        check(rc == 2 and "--proxy needs a URL" in err, f"--proxy without a URL: {err}")
    elif mode == "why":
        rc, out, err = run("why", "--proxy", socks, f"127.0.0.1:{refused_port}")
        check(rc == 1, f"status 1: {rc}")
        check(f"address     127.0.0.1:{ms_port} (the proxy)" in out, f"the proxy's step: {out}")
        check("proxy hop   target" in out and "request   ConnectionRefused" in out
              and "SOCKS5-REP (5)" in out, "the hop's outcome and code")
        check("  means     the proxy reached" in out, "what it means")
        check("verdict     cannot connect: through socks5://alice:***@" in out, "the verdict")
        check(SECRET not in out + err, "the password is never printed")
        rc, out, _ = run("why", "--proxy", http, echo_target, "--json")
        j = json.loads(out)
        hop = j["proxy"]["hop"]
        check(rc == 0 and j["connected"] and hop["outcome"] == "Connected" and hop["reply"] == 200,
              f"JSON: connected through tinyproxy: {out}")
        check(hop["step"] == "tunnel" and hop["target_sent"] == echo_target, "JSON: the hop")
        rc, out, _ = run("why", "--proxy", f"socks5://127.0.0.1:{refused_port}", echo_target)
        check(rc == 1 and "proxy hop   not tried" in out and "cannot be reached" in out,
              f"a proxy that is down: {out}")
    elif mode == "pipe":
        # Standard input stays open until the echo is back: microsocks and tinyproxy do not
        # carry a half-close (the client's end-of-stream closes both directions at once).
        data = os.urandom(256 * 1024)
        for url in (socks, http):
            p = subprocess.Popen([dial, "pipe", "--proxy", url, "-v", echo_target],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
            writer = threading.Thread(target=lambda: (p.stdin.write(data), p.stdin.flush()))
            writer.start()
            got = b""
            timer = threading.Timer(WAIT, p.kill)  # a hung relay fails the test, never a pass
            timer.start()
            while len(got) < len(data) and (chunk := p.stdout.read1(65536)):
                got += chunk
            writer.join()
            p.stdin.close()
            rest = p.stdout.read()
            err = p.stderr.read()
            p.wait(timeout=WAIT)
            timer.cancel()
            err = err.decode(errors="replace")
            check(p.returncode == 0 and got + rest == data,
                  f"{url.split(':')[0]}: 256 KiB through the tunnel, byte-exact "
                  f"(status {p.returncode}, {len(got + rest)} bytes): {err}")
            check("through " in err and SECRET not in err,
                  "-v says it went through the proxy, without the password")
        rc, _, err = run("pipe", "--proxy", socks, f"127.0.0.1:{refused_port}", stdin=b"")
        check(rc == 1 and "ConnectionRefused SOCKS5-REP (5)" in err, f"a refused target: {err}")
    elif mode == "scan":
        rc, _, err = run("scan", "--proxy", socks, echo_target)
        check(rc == 2 and "--proxy does not apply to dial scan" in err and SECRET not in err,
              f"dial scan refuses --proxy: {err}")
    else:
        sys.exit(f"unknown mode {mode}")
finally:
    ms.stop()
    tp.stop()
    echo.close()
    refused.close()
    shutil.rmtree(tmp, ignore_errors=True)

sys.exit(1 if failures else 0)
