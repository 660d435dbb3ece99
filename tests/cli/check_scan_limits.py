#!/usr/bin/env python3
"""tests/cli/check_scan_limits.py: `dial scan` input has bounds, each with a clear error.

Usage: check_scan_limits.py DIAL
  1. -i /dev/zero: the first line is longer than 4096 bytes; exit 2 naming line 1 and the limit.
  2. 0.0.0.0/0 -p 1-2 (2^33 targets): more than 4294967296 targets; exit 2. Targets are made as
     the scan goes, so this is a bound on time, not memory.
  3. 65537 lines of 10.0.0.0/16 with -p 1: line 65537 would pass 2^32 targets; exit 2 naming it.
  4. 1048577 lines of 127.0.0.1 -p 1 under a 150 MB address-space limit: an input is read and
     scanned a chunk at a time (about 65536 lines), so neither the 1048576 held hosts nor the
     memory limit is reached: every line is scanned (refused in the private network namespace
     in_netns.sh makes), exit 1. (Holding them all took more than 150 MB: this was once a
     "do not fit in memory" usage error.)
Each runs under an address-space limit (RLIMIT_AS), so a regression fails instead of eating the
machine; an AddressSanitizer build (which needs its address space) gets an RSS limit instead,
and case 4 runs without a limit of its own.
"""
import os
import resource
import subprocess
import sys
import tempfile

dial = sys.argv[1]
with open(dial, "rb") as f:
    asan = b"__asan_init" in f.read()
failures = []


def run(args, as_limit_mb, stdin=None):
    env = dict(os.environ)
    preexec = None
    if asan:
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":hard_rss_limit_mb=3072"
    else:
        limit = as_limit_mb << 20
        preexec = lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return subprocess.run([dial, "scan"] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, env=env, preexec_fn=preexec, timeout=60)


def expect(name, r, text):
    print(f"--- {name}: exit {r.returncode}; stderr: {r.stderr.strip()}")
    if r.returncode != 2:
        failures.append(f"{name}: exit status {r.returncode}, expected 2")
    if text not in r.stderr:
        failures.append(f"{name}: stderr lacks {text!r}")


expect("/dev/zero", run(["-i", "/dev/zero"], 1024),
       "dial scan: /dev/zero:1: the line is longer than 4096 bytes")
expect("2^33 targets", run(["0.0.0.0/0", "-p", "1-2"], 1024),
       "dial scan: more than 4294967296 targets; split the scan")
with tempfile.NamedTemporaryFile("w", suffix=".txt") as blocks:
    blocks.write("10.0.0.0/16\n" * 65537)
    blocks.flush()
    expect("too many targets", run(["-i", blocks.name, "-p", "1"], 1024),
           f"dial scan: {blocks.name}:65537: more than 4294967296 targets; split the scan")
with tempfile.NamedTemporaryFile("w", suffix=".txt") as hosts:
    hosts.write("127.0.0.1\n" * 1048577)
    hosts.flush()
    r = run(["-q", "-i", hosts.name, "-p", "1"], 3072 if asan else 150)
    summary = [l for l in r.stdout.splitlines() if " targets in " in l]
    print(f"--- 1048577 lines streamed: exit {r.returncode}; {summary}; stderr: {r.stderr.strip()}")
    if r.returncode != 1:
        failures.append(f"1048577 lines: exit status {r.returncode}, expected 1")
    if not summary or not summary[0].startswith("1048577 of 1048577 targets in "):
        failures.append("1048577 lines: not every line has a result")
for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
