#!/usr/bin/env python3
"""tests/cli/check_demo_signals.py: SIGINT, SIGTERM and SIGHUP do not leave `dial demo`'s
temporary directory behind.

Usage: check_demo_signals.py DIAL
For each signal: `dial demo` runs with DIAL_DEMO_PAUSE_AFTER_SETUP (test-only: it waits after the
fixtures ran, their socket files still in its directory, and says where), in a TMPDIR of its own;
the test checks that sockets are there, sends the signal, and then expects the process to die of
that signal, to say so, and to leave the TMPDIR empty.
"""
import os
import queue
import signal
import stat
import subprocess
import sys
import tempfile
import threading

dial = sys.argv[1]
failures = []


def lines_of(stream, q):
    for line in stream:
        q.put(line)
    q.put(None)


def paused_dir(q):
    """The directory named by the pause line, or None if the demo never paused (bounded)."""
    while True:
        try:
            line = q.get(timeout=20)
        except queue.Empty:
            return None
        if line is None:
            return None
        if line.startswith("dial demo: paused with the fixtures in "):
            return line.rstrip("\n").rsplit(" ", 1)[1]


def sockets_in(path):
    return [n for n in os.listdir(path) if stat.S_ISSOCK(os.lstat(os.path.join(path, n)).st_mode)]


for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, TMPDIR=tmp, DIAL_DEMO_PAUSE_AFTER_SETUP="30")
        p = subprocess.Popen([dial, "demo"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True, env=env)
        q = queue.Queue()
        threading.Thread(target=lines_of, args=(p.stderr, q), daemon=True).start()
        where = paused_dir(q)
        if where is None or not os.path.isdir(where):
            p.kill()
            p.wait()
            failures.append(f"{sig.name}: the demo did not pause with its directory in place")
            continue
        socks = sockets_in(where)
        print(f"{sig.name}: paused in {where} with sockets {socks}")
        if not socks:
            failures.append(f"{sig.name}: no socket in {where} to clean up")
        p.send_signal(sig)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            failures.append(f"{sig.name}: the demo did not end within 10 s")
            continue
        rest = []
        while (line := q.get(timeout=5)) is not None:
            rest.append(line)
        print("".join(rest), end="")
        if p.returncode != -sig:
            failures.append(f"{sig.name}: exit status {p.returncode}, expected death by the signal")
        if not any(f"interrupted by {sig.name}; removed {where}" in line for line in rest):
            failures.append(f"{sig.name}: no 'interrupted by {sig.name}; removed' message")
        if os.path.exists(where) or os.listdir(tmp):
            failures.append(f"{sig.name}: left behind: {os.listdir(tmp)}")
for f in failures:
    print("FAIL:", f)
print("PASS" if not failures else "")
sys.exit(1 if failures else 0)
