#!/usr/bin/env python3
"""tests/cli/check_color.py: outcome names are coloured on a terminal (a pseudo-terminal) and
nowhere else: not through a pipe, not with NO_COLOR set, not with TERM=dumb; --color=always and
--color=never win. Colour never moves a column: with the escapes removed, every row lines up
with the header. Usage: check_color.py DIAL OPEN_ENDPOINT CLOSED_ENDPOINT"""
import os
import pty
import re
import subprocess
import sys

dial, open_ep, closed_ep = sys.argv[1:4]
GREEN, YELLOW, RED, RESET = "\x1b[32m", "\x1b[33m", "\x1b[31m", "\x1b[0m"
ESC = re.compile(r"\x1b\[[0-9;]*m")
failed = False


def fail(message):
    global failed
    print("FAIL:", message)
    failed = True


def run(args, tty, **env):
    """dial's standard output, from a pseudo-terminal when `tty`, else from a pipe."""
    e = dict(os.environ, TERM="xterm")
    e.pop("NO_COLOR", None)
    e.update(env)
    if not tty:
        return subprocess.run([dial, *args], stdout=subprocess.PIPE, env=e, timeout=60).stdout.decode()
    master, slave = pty.openpty()
    p = subprocess.Popen([dial, *args], stdout=slave, stderr=subprocess.DEVNULL, env=e)
    os.close(slave)
    chunks = []
    for _ in range(10000):  # bounded: the output is a few lines
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    p.wait(timeout=60)
    os.close(master)
    return b"".join(chunks).decode().replace("\r\n", "\n")


def aligned(text, what):
    """Each row's CODE column starts where the header's does."""
    lines = ESC.sub("", text).splitlines()
    header = next((l for l in lines if l.startswith("TARGET")), None)
    if header is None:
        return fail(f"{what}: no header")
    at = header.index("CODE")
    for l in lines[1:]:
        if l.strip() and (l[at - 2 : at] != "  " or l[at] == " "):
            fail(f"{what}: the CODE column of {l!r} is not at {at}")


probe = [open_ep, closed_ep]
out = run(probe, tty=True)
print(out)
if GREEN + "Connected" + RESET not in out:
    fail("a terminal: Connected is not green")
if RED + "ConnectionRefused" + RESET not in out:
    fail("a terminal: ConnectionRefused is not red")
aligned(out, "a terminal")
for what, args, tty, env in [
    ("a pipe", probe, False, {}),
    ("NO_COLOR=1", probe, True, {"NO_COLOR": "1"}),
    ("TERM=dumb", probe, True, {"TERM": "dumb"}),
    ("--color=never", ["--color=never", *probe], True, {}),
]:
    if "\x1b" in run(args, tty, **env):
        fail(f"{what}: escapes in the output")
if "\x1b" not in run(probe, True, NO_COLOR=""):
    fail("NO_COLOR='' (empty) turned colour off")
out = run(["--color=always", *probe], False, NO_COLOR="1")
if RED + "ConnectionRefused" + RESET not in out:
    fail("--color=always through a pipe: no colour")
aligned(out, "--color=always")

# A full backlog (listen(0) and one queued connection drops further SYNs): Timeout is yellow.
import socket
full = socket.socket()
full.bind(("127.0.0.1", 0))
full.listen(0)
filler = socket.create_connection(full.getsockname())
full_ep = "127.0.0.1:%d" % full.getsockname()[1]
out = run(["--timeout", "300ms", full_ep], True)
print(out)
if YELLOW + "Timeout" + RESET not in out:
    fail("a terminal: Timeout is not yellow")
aligned(out, "Timeout")
filler.close()
full.close()

# dial scan: the open target green, the refused one red in NOT OPEN and in the outcome counts.
out = run(["scan", "--show", "closed", "--color=always", open_ep, closed_ep], False)
print(out)
host = re.escape(open_ep)
if not re.search("^" + re.escape(GREEN + open_ep + RESET) + " +[0-9.]+ ", out, re.M):
    fail("scan: the open target is not green")
if not re.search(re.escape(closed_ep) + " +" + re.escape(RED + "ConnectionRefused" + RESET), out):
    fail("scan: the NOT OPEN row is not red")
if not re.search("^Outcomes: .*" + re.escape(GREEN + "Connected" + RESET) + " 1", out, re.M):
    fail("scan: the outcome counts are not coloured")
if "\x1b" in run(["scan", "--json", "--color=always", open_ep], False):
    fail("scan --json: escapes in JSON")

# dial why: the attempt line.
out = run(["why", closed_ep], True)
print(out)
if not re.search("^  attempt   " + re.escape(RED + "ConnectionRefused" + RESET), out, re.M):
    fail("why: the attempt is not red on a terminal")
if "\x1b" in run(["why", closed_ep], False):
    fail("why through a pipe: escapes")

# A bad WHEN is a usage error.
p = subprocess.run([dial, "--color=sometimes", open_ep], capture_output=True, timeout=60)
if p.returncode != 2 or b"bad --color 'sometimes'" not in p.stderr:
    fail(f"--color=sometimes: status {p.returncode}, {p.stderr!r}")
print("FAIL" if failed else "PASS")
sys.exit(1 if failed else 0)
