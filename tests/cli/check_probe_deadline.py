#!/usr/bin/env python3
"""tests/cli/check_probe_deadline.py: `dial TARGET` has a default deadline and obeys Ctrl-C.

Usage: check_probe_deadline.py DIAL default|override|sigint
The fixtures are listeners that never accept, their backlogs filled first, so a further connect
gets no answer: a Unix one (connect blocks while the queue is full) and a TCP one on 127.0.0.1
(the kernel drops the SYN).
  default   both probes end with Timeout after the default 10 s, in parallel; exit 1
  override  --timeout 300ms still overrides the default: Timeout well under 10 s
  sigint    SIGINT a second into the TCP probe: its row says Canceled, with the peer; exit 130
"""
import os
import re
import signal
import socket
import subprocess
import sys
import time

dial, mode = sys.argv[1], sys.argv[2]
failures = []


def full_unix():
    name = f"\0dial-cli-full-{os.getpid()}"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(name)
    s.listen(0)
    fillers = []
    for _ in range(64):  # until a connect would block: the backlog is full
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.setblocking(False)
        try:
            c.connect(name)
        except BlockingIOError:
            c.close()
            break
        fillers.append(c)
    return s, fillers, "unix:@" + name[1:]


def full_tcp():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(0)
    port = s.getsockname()[1]
    fillers = []
    for _ in range(8):  # until a connect gets no answer: the accept queue is full
        try:
            fillers.append(socket.create_connection(("127.0.0.1", port), timeout=0.3))
        except TimeoutError:
            break
    return s, fillers, f"127.0.0.1:{port}"


def start(args):
    print("$", dial, *args)
    return subprocess.Popen([dial, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def finish(p, want_status, within):
    t0 = time.monotonic()
    try:
        out, _ = p.communicate(timeout=within)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        failures.append(f"no exit within {within} s")
    print(out, end="")
    print(f"--- exit status {p.returncode} (expected {want_status})")
    if p.returncode != want_status:
        failures.append(f"exit status {p.returncode}, expected {want_status}")
    return out, time.monotonic() - t0


def row_re(target, outcome):
    t = re.escape(target)
    return re.compile(rf"^{t} +{t} +{outcome} +- +[0-9.]+ (µs|ms|s)$", re.M)


keep = [full_unix(), full_tcp()]
unix_target, tcp_target = keep[0][2], keep[1][2]
if mode == "default":
    t0 = time.monotonic()
    runs = [start([unix_target]), start([tcp_target])]
    for p, target in zip(runs, (unix_target, tcp_target)):
        out, _ = finish(p, 1, 40)
        if not row_re(target, "Timeout").search(out):
            failures.append(f"{target}: no Timeout row")
    took = time.monotonic() - t0
    print(f"--- both took {took:.1f} s")
    if not 9.5 <= took < 20:
        failures.append(f"took {took:.1f} s, not about the 10 s default")
elif mode == "override":
    for target in (unix_target, tcp_target):
        t0 = time.monotonic()
        out, _ = finish(start(["--timeout", "300ms", target]), 1, 40)
        took = time.monotonic() - t0
        if not row_re(target, "Timeout").search(out):
            failures.append(f"{target}: no Timeout row")
        if took > 5:
            failures.append(f"{target}: took {took:.1f} s with --timeout 300ms")
elif mode == "sigint":
    p = start([tcp_target, "127.0.0.1:1"])
    time.sleep(1)
    p.send_signal(signal.SIGINT)
    out, took = finish(p, 130, 10)
    if not row_re(tcp_target, "Canceled").search(out):
        failures.append("no Canceled row for the interrupted probe")
    if "127.0.0.1:1 " in out:
        failures.append("the target after the interrupted one was still probed")
for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
