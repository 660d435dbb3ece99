#!/usr/bin/env python3
"""tests/cli/check_scan_sigint.py: Ctrl-C (SIGINT) stops `dial scan` cleanly.

Usage: check_scan_sigint.py DIAL LISTENER
LISTENER is a loopback listener that never accepts (backlog 16): the first connects fill its
queue and succeed, the kernel drops the SYNs of the rest, so those hang until their 30 s
deadline. SIGINT after a second must end the scan within a few seconds, report the open target
found so far, count the connects in flight as Canceled, list them, and exit 130.
"""
import re
import signal
import subprocess
import sys
import tempfile
import time

dial, listener = sys.argv[1], sys.argv[2]
with tempfile.NamedTemporaryFile("w", suffix=".txt") as f:
    f.write("\n".join([listener] * 300) + "\n")
    f.flush()
    start = time.monotonic()
    p = subprocess.Popen([dial, "scan", "--timeout", "30s", "-i", f.name],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(1.5)
    p.send_signal(signal.SIGINT)
    try:
        out, _ = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        print("FAIL: dial scan did not stop within 20 s of SIGINT")
        sys.exit(1)
    took = time.monotonic() - start
print(out, end="")
print(f"--- exit status {p.returncode}, {took:.1f} s")
failures = []
if p.returncode != 130:
    failures.append(f"exit status {p.returncode}, expected 130")
if took > 15:
    failures.append(f"took {took:.1f} s: the 30 s deadlines were not canceled")
if not re.search(r"^Interrupted: \d+ of 300 targets have a result", out, re.M):
    failures.append("no 'Interrupted:' line")
if not re.search(r"^Outcomes: .*Canceled [1-9]", out, re.M):
    failures.append("no Canceled count")
if not re.search(r"^Outcomes: .*Connected [1-9]", out, re.M):
    failures.append("no Connected count")
if not re.search(r"^127\.0\.0\.1:\d+ +Canceled$", out, re.M):
    failures.append("the canceled targets are not listed")
if not re.search(r"^127\.0\.0\.1:\d+ +[0-9.]+ (µs|ms|s)$", out, re.M):
    failures.append("the open target is not listed")
for f_ in failures:
    print("FAIL:", f_)
sys.exit(1 if failures else 0)
