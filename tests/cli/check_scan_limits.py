#!/usr/bin/env python3
"""tests/cli/check_scan_limits.py: `dial scan` input has bounds, each with a clear error.

Usage: check_scan_limits.py DIAL
  1. -i /dev/zero: the first line is longer than 4096 bytes; exit 2 naming line 1 and the limit.
  2. 65 lines of 127.0.0.1 with -p 1-65535: line 65 would pass 4194304 targets; exit 2 naming
     line 65 and the limit (about 490 MB of targets are held by then).
  3. the same under a 300 MB address-space limit: the targets do not fit; exit 2 with a clear
     message, not an uncaught std::bad_alloc.
Each runs under an address-space limit (RLIMIT_AS), so a regression fails instead of eating the
machine; an AddressSanitizer build (which needs its address space) gets an RSS limit instead,
and skips case 3 (ASan aborts on out-of-memory rather than throwing std::bad_alloc).
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
with tempfile.NamedTemporaryFile("w", suffix=".txt") as hosts:
    hosts.write("127.0.0.1\n" * 65)
    hosts.flush()
    expect("too many targets", run(["-i", hosts.name, "-p", "1-65535"], 2048),
           f"dial scan: {hosts.name}:65: more than 4194304 targets; split the scan")
    if asan:
        print("--- out of memory: skipped (AddressSanitizer build)")
    else:
        expect("out of memory", run(["-i", hosts.name, "-p", "1-65535"], 300),
               "dial scan: the targets do not fit in memory; split the scan")
for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
