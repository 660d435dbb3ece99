#!/usr/bin/env python3
"""tests/cli/check_close_on_exec.py: every descriptor a `dial` command makes is close-on-exec
from the call that makes it, so that a fork in another thread never hands one to a child.

Usage: check_close_on_exec.py STATUS [--input TEXT] -- DIAL ARG...
Runs the command under strace (every thread, each to its own file) and fails on every call that
made a descriptor without its CLOEXEC flag: socket, socketpair, accept4, open, openat, pipe2,
dup3, epoll_create1 and eventfd2 without it, fcntl(F_DUPFD), and accept, creat, pipe, dup, dup2,
epoll_create and eventfd, which cannot set it. The command must exit with STATUS. With --input,
TEXT is written to a file and '{input}' in the arguments becomes its path. Status 77 (skip) only
when strace cannot trace here (ptrace refused), or for an AddressSanitizer build: its runtime
opens /proc files and pipes without O_CLOEXEC, and LeakSanitizer refuses to run under ptrace.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

WITH_FLAG = {"socket", "socketpair", "accept4", "open", "openat", "pipe2", "dup3",
             "epoll_create1", "eventfd2"}
NEVER = {"accept", "creat", "pipe", "dup", "dup2", "epoll_create", "eventfd"}
CALLS = sorted(WITH_FLAG | NEVER | {"fcntl"})

args = sys.argv[1:]
status = int(args.pop(0))
input_text = None
if args[0] == "--input":
    input_text = args[1]
    args = args[2:]
if args[0] == "--":
    args = args[1:]

with open(args[0], "rb") as f:
    if b"__asan_init" in f.read():
        print("SKIP: an AddressSanitizer build (its runtime's own descriptors; no LSan under ptrace)")
        sys.exit(77)
if shutil.which("strace") is None:
    print("FAIL: strace is missing (scripts/deps.sh installs it)")
    sys.exit(1)
if subprocess.run(["strace", "-qq", "-o", os.devnull, "true"]).returncode != 0:
    print("SKIP: strace cannot trace here (ptrace refused)")
    sys.exit(77)


def inheritable(call, argtext):
    argtext = re.sub(r'"(?:[^"\\]|\\.)*"', '""', argtext)  # a path may spell anything
    if call in NEVER:
        return True
    if call == "fcntl":
        return re.search(r"\bF_DUPFD\b", argtext) is not None
    return "CLOEXEC" not in argtext


with tempfile.TemporaryDirectory() as tmp:
    if input_text is not None:
        path = os.path.join(tmp, "input.txt")
        with open(path, "w") as f:
            f.write(input_text)
        args = [a.replace("{input}", path) for a in args]
    trace = os.path.join(tmp, "trace")
    cmd = ["strace", "-f", "-ff", "-qq", "-o", trace, "-e", "trace=" + ",".join(CALLS)] + args
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=120)
    print(r.stdout, end="")
    bad, seen = [], 0
    for name in sorted(glob.glob(trace + ".*")):
        with open(name) as f:
            for line in f:
                m = re.match(r"^(\w+)\((.*)\)\s+=\s+(-?\d+)", line)
                if not m or int(m.group(3)) < 0:
                    continue
                seen += 1
                if inheritable(m.group(1), m.group(2)):
                    bad.append(line.rstrip("\n"))
print(f"--- exit status {r.returncode}; {seen} descriptor-making calls traced")
failures = [f"made without close-on-exec: {b}" for b in bad]
if r.returncode != status:
    failures.append(f"exit status {r.returncode}, expected {status}")
if seen == 0:
    failures.append("no call traced: strace saw nothing")
for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
