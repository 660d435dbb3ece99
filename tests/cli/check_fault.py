#!/usr/bin/env python3
"""tests/cli/check_fault.py: `dial fault` with real programs as the subject.

Usage: check_fault.py DIAL MODE CLIENT
  python            socket.create_connection to a listener that is really open: refused,
                    EHOSTUNREACH by name, dropped (blocking: ETIMEDOUT after the duration;
                    non-blocking: the same, never connected before; without a duration the
                    program's own timeout ends it), delayed (connected, at least the delay
                    later); an unmatched destination connects; IPv6 [::1] and a network rule
  curl              curl telnet:// refused (exit 7), EHOSTUNREACH ("No route to host"), dropped
                    (exit 28 after at least the duration), delayed (time_connect >= delay)
  dial              dial TARGET itself: ConnectionRefused, NetworkUnreachable EHOSTUNREACH,
                    ConnectionTimedOut after the duration, Connected after the delay
  children_threads  a shell that runs the client (a child), Python threads connecting at once:
                    each refused, an unmatched one in another thread connects
  unprivileged      as nobody (setpriv, no_new_privs): refused, dropped non-blocking, delayed
                    (root only: skips otherwise)
  lifetime          the command exits (status passed on), crashes (128+SIGSEGV), is killed -9
                    while a connect is held: no dial process is left; the supervisor killed -9:
                    the held connect ends (ENOSYS), the command does not hang
  signals           SIGTERM to dial fault reaches the command (143)
  rate              --rate 0.3 --seed 7: the same decisions (the NDJSON log) on every run
  usage             unknown errno, bad destination, missing '--': exit 2, name and byte offset
  static            a statically linked client is covered too
  io_uring          a program that sets up an io_uring is reported; --no-io-uring: ENOSYS
  log               -v and --log FILE: one decision a line (stderr; NDJSON)
Every wait is bounded; timings are lower bounds only (upper ones detect hangs).
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

dial, mode, client = sys.argv[1], sys.argv[2], sys.argv[3]
failures = []
WAIT = 30  # seconds: a bound for a hang, never a timing assertion
# The subject's interpreter: Debian's, which every user can run (not a pyenv under /root).
PY = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


class Listener:
    """A loopback listener that accepts and closes each connection, in a thread."""

    def __init__(self, family=socket.AF_INET):
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.host = "[::1]" if family == socket.AF_INET6 else "127.0.0.1"
        self.dest = "%s:%d" % (self.host, self.port)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
                c.close()
            except OSError:
                return


# The Python subject: one create_connection, its outcome and time as JSON on stdout.
PY_CLIENT = r"""
import json, socket, sys, time
host, port = sys.argv[1], int(sys.argv[2])
timeout = float(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] != "-" else None
t = time.monotonic()
try:
    socket.create_connection((host, port), timeout=timeout).close()
    out = {"outcome": "connected"}
except socket.timeout as e:
    out = {"outcome": type(e).__name__, "errno": e.errno}
except OSError as e:
    out = {"outcome": type(e).__name__, "errno": e.errno}
out["seconds"] = time.monotonic() - t
print(json.dumps(out))
"""


def run(args, timeout=WAIT, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)


def py(rules, host, port, timeout=None, prefix=()):
    argv = list(prefix) + [dial, "fault"] + rules + ["--", PY, "-c", PY_CLIENT, host, str(port),
                                                     "-" if timeout is None else str(timeout)]
    r = run(argv)
    try:
        return json.loads(r.stdout.strip().splitlines()[-1]), r
    except (IndexError, ValueError):
        return {"outcome": "no output", "stderr": r.stderr}, r


def check_python(prefix=(), who="root"):
    l = Listener()
    o, _ = py([], "127.0.0.1", l.port, prefix=prefix)
    check(o["outcome"] == "connected", "%s: the listener is really open: %s" % (who, o))
    o, _ = py(["--refuse", l.dest], "127.0.0.1", l.port, prefix=prefix)
    check(o["outcome"] == "ConnectionRefusedError", "%s: --refuse: %s" % (who, o))
    o, _ = py(["--errno", l.dest + "=EHOSTUNREACH"], "127.0.0.1", l.port, prefix=prefix)
    check(o.get("errno") == 113 and o["outcome"] == "OSError", "%s: --errno EHOSTUNREACH: %s" % (who, o))
    o, _ = py(["--drop", l.dest + "=300ms"], "127.0.0.1", l.port, prefix=prefix)
    check(o["outcome"] == "TimeoutError" and o.get("errno") == 110 and o["seconds"] >= 0.3,
          "%s: --drop 300ms, blocking: ETIMEDOUT after >= 0.3 s: %s" % (who, o))
    o, _ = py(["--drop", l.dest + "=1200ms"], "127.0.0.1", l.port, timeout=10, prefix=prefix)
    check(o["outcome"] == "TimeoutError" and o.get("errno") == 110 and o["seconds"] >= 1.2,
          "%s: --drop 1200ms, non-blocking (timeout=10): ETIMEDOUT after >= 1.2 s: %s" % (who, o))
    o, _ = py(["--drop", l.dest], "127.0.0.1", l.port, timeout=0.5, prefix=prefix)
    check(o["outcome"] == "TimeoutError" and o.get("errno") is None and o["seconds"] >= 0.5,
          "%s: --drop without a duration: the program's own 0.5 s timeout ends it: %s" % (who, o))
    o, _ = py(["--delay", l.dest + "=300ms"], "127.0.0.1", l.port, prefix=prefix)
    check(o["outcome"] == "connected" and o["seconds"] >= 0.3,
          "%s: --delay 300ms: connected after >= 0.3 s: %s" % (who, o))
    o, _ = py(["--refuse", "127.0.0.1:1"], "127.0.0.1", l.port, prefix=prefix)
    check(o["outcome"] == "connected", "%s: an unmatched destination connects: %s" % (who, o))
    return l


def mode_python():
    check_python()
    l6 = Listener(socket.AF_INET6)
    o, _ = py(["--refuse", l6.dest], "::1", l6.port)
    check(o["outcome"] == "ConnectionRefusedError", "IPv6 [::1] refused: %s" % o)
    l = Listener()
    o, _ = py(["--refuse", "127.0.0.0/8:%d" % l.port], "127.0.0.1", l.port)
    check(o["outcome"] == "ConnectionRefusedError", "a network rule 127.0.0.0/8: %s" % o)
    o, _ = py(["--refuse", "localhost:%d" % l.port], "127.0.0.1", l.port)
    check(o["outcome"] == "ConnectionRefusedError", "a name rule (localhost, /etc/hosts): %s" % o)
    o, _ = py(["--refuse", "*:%d" % l.port], "::ffff:127.0.0.1", l.port)
    check(o["outcome"] == "ConnectionRefusedError", "*:PORT takes an IPv4-mapped connect: %s" % o)


def curl(rules, url, *extra):
    t = time.monotonic()
    r = run([dial, "fault"] + rules + ["--", "curl", "-sS", "-v", "-o", "/dev/null", "-w",
                                       "%{time_connect}\n", "--connect-timeout", "10", *extra,
                                       url], stdin=subprocess.DEVNULL)
    return r, time.monotonic() - t


def mode_curl():
    l = Listener()
    url = "telnet://127.0.0.1:%d" % l.port
    r, _ = curl([], url)
    check(r.returncode == 0, "curl connects without a rule: %d %s" % (r.returncode, r.stderr[-300:]))
    r, _ = curl(["--refuse", l.dest], url)
    check(r.returncode == 7 and "Connection refused" in r.stderr,
          "curl --refuse: exit 7, Connection refused: %d" % r.returncode)
    r, _ = curl(["--errno", l.dest + "=EHOSTUNREACH"], url)
    check(r.returncode == 7 and "No route to host" in r.stderr,
          "curl --errno EHOSTUNREACH: exit 7, No route to host: %d" % r.returncode)
    r, took = curl(["--drop", l.dest + "=1500ms"], url)
    check(r.returncode == 28 and took >= 1.5,
          "curl --drop 1500ms: exit 28 after >= 1.5 s: %d, %.3f s" % (r.returncode, took))
    r, _ = curl(["--delay", l.dest + "=300ms"], url)
    connect_time = float((r.stdout.strip() or "0").splitlines()[-1])
    check(r.returncode == 0 and connect_time >= 0.3,
          "curl --delay 300ms: connected, time_connect %.3f >= 0.3" % connect_time)


def mode_dial():
    l = Listener()
    r = run([dial, "fault", "--refuse", l.dest, "--", dial, l.dest])
    check(r.returncode == 1 and " ConnectionRefused " in r.stdout and "ECONNREFUSED" in r.stdout,
          "dial: ConnectionRefused ECONNREFUSED: %s" % r.stdout)
    r = run([dial, "fault", "--errno", l.dest + "=EHOSTUNREACH", "--", dial, l.dest])
    check(" NetworkUnreachable " in r.stdout and "EHOSTUNREACH" in r.stdout,
          "dial: NetworkUnreachable EHOSTUNREACH: %s" % r.stdout)
    t = time.monotonic()
    r = run([dial, "fault", "--drop", l.dest + "=400ms", "--", dial, "--timeout", "10s", l.dest])
    took = time.monotonic() - t
    check(" ConnectionTimedOut " in r.stdout and took >= 0.4,
          "dial: ConnectionTimedOut after >= 0.4 s (%.3f): %s" % (took, r.stdout))
    r = run([dial, "fault", "--drop", l.dest, "--", dial, "--timeout", "500ms", l.dest])
    check(" Timeout " in r.stdout, "dial --timeout 500ms gives up on a drop: Timeout: %s" % r.stdout)
    t = time.monotonic()
    r = run([dial, "fault", "--delay", l.dest + "=300ms", "--", dial, l.dest])
    check(r.returncode == 0 and " Connected " in r.stdout and time.monotonic() - t >= 0.3,
          "dial: Connected after the 300 ms delay: %s" % r.stdout)


THREADS = r"""
import socket, sys, threading
refused_port, open_port = int(sys.argv[1]), int(sys.argv[2])
out = {}
def one(name, port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=10).close(); out[name] = "connected"
    except OSError as e:
        out[name] = type(e).__name__
ts = [threading.Thread(target=one, args=("t%d" % i, refused_port)) for i in range(6)]
ts.append(threading.Thread(target=one, args=("open", open_port)))
for t in ts: t.start()
for t in ts: t.join()
print(" ".join("%s=%s" % kv for kv in sorted(out.items())))
"""


def mode_children_threads():
    l, other = Listener(), Listener()
    r = run([dial, "fault", "--refuse", l.dest, "--", "sh", "-c",
             '"$0" -c "$1" 127.0.0.1 %d - ; exit 5' % l.port, PY, PY_CLIENT])
    check("ConnectionRefusedError" in r.stdout and r.returncode == 5,
          "a child of a shell is covered, the shell's status passed on: %d %s" % (r.returncode, r.stdout))
    r = run([dial, "fault", "--refuse", l.dest, "--", PY, "-c", THREADS, str(l.port),
             str(other.port)])
    words = r.stdout.split()
    check(len(words) == 7 and all(w.endswith("=ConnectionRefusedError") for w in words
                                  if not w.startswith("open")) and "open=connected" in words,
          "six threads refused at once, the seventh (unmatched) connects: %s" % r.stdout)


def mode_unprivileged():
    if os.geteuid() != 0:
        print("skip: needs root to become nobody (setpriv); CI runs as root and must not skip")
        sys.exit(77)
    # /root's pyenv is not readable by nobody: Debian's python3; dial must be reachable too.
    prefix = ("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--no-new-privs")
    r = run(list(prefix) + ["id", "-u"])
    check(r.stdout.strip() != "0", "setpriv made a non-root user: uid %s" % r.stdout.strip())
    r = run(list(prefix) + [dial, "--version"])
    if r.returncode != 0:
        print("skip: nobody cannot run %s here (%s)" % (dial, r.stderr.strip()))
        sys.exit(77)
    check_python(prefix, "nobody")


def no_dial_left(pid):
    try:
        os.kill(pid, 0)
        return False
    except ProcessLookupError:
        return True


def wait_for(pred, seconds=WAIT):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.02)
    return False


def children_of(pid):
    r = run(["pgrep", "-P", str(pid)])
    return [int(x) for x in r.stdout.split()]


def mode_lifetime():
    l = Listener()
    r = run([dial, "fault", "--refuse", l.dest, "--", "sh", "-c", "exit 3"])
    check(r.returncode == 3, "the command's exit status 3 is passed on: %d" % r.returncode)
    r = run([dial, "fault", "--refuse", l.dest, "--", "sh", "-c", "kill -SEGV $$"])
    check(r.returncode == 128 + signal.SIGSEGV, "a crash: 128+SIGSEGV: %d" % r.returncode)
    r = run([dial, "fault", "--refuse", l.dest, "--", "/nonexistent/program"])
    check(r.returncode == 127 and "cannot run" in r.stderr, "not found: 127: %s" % r.stderr.strip())
    # The command killed (-9) while dial holds its connect (a drop without a duration).
    p = subprocess.Popen([dial, "fault", "--drop", l.dest, "--", PY, "-c", PY_CLIENT,
                          "127.0.0.1", str(l.port)], stdout=subprocess.PIPE, text=True)
    check(wait_for(lambda: children_of(p.pid) != []), "the command started")
    time.sleep(0.3)
    for c in children_of(p.pid):
        os.kill(c, signal.SIGKILL)
    try:
        status = p.wait(timeout=WAIT)
    except subprocess.TimeoutExpired:
        p.kill()
        status = None
    check(status == 128 + signal.SIGKILL, "killed -9: dial fault ends with 137: %s" % status)
    check(wait_for(lambda: no_dial_left(p.pid)), "no dial process is left")
    # The supervisor killed (-9) while it holds the connect: the kernel ends it with ENOSYS.
    p = subprocess.Popen([dial, "fault", "--drop", l.dest, "--", PY, "-c", PY_CLIENT,
                          "127.0.0.1", str(l.port)], stdout=subprocess.PIPE, text=True)
    check(wait_for(lambda: children_of(p.pid) != []), "the command started")
    time.sleep(0.3)
    command = children_of(p.pid)
    p.kill()
    p.wait(timeout=WAIT)
    out = p.stdout.read()
    check('"errno": 38' in out, "the held connect ends with ENOSYS (38) without its supervisor: %s" % out)
    check(all(wait_for(lambda c=c: no_dial_left(c) or open("/proc/%d/stat" % c).read().split()[2] == "Z")
              for c in command), "the command has ended (no hang)")


def mode_signals():
    l = Listener()
    p = subprocess.Popen([dial, "fault", "--drop", l.dest, "--", PY, "-c", PY_CLIENT,
                          "127.0.0.1", str(l.port)], stdout=subprocess.PIPE, text=True)
    check(wait_for(lambda: children_of(p.pid) != []), "the command started")
    time.sleep(0.3)
    p.send_signal(signal.SIGTERM)
    try:
        status = p.wait(timeout=WAIT)
    except subprocess.TimeoutExpired:
        p.kill()
        status = None
    check(status == 128 + signal.SIGTERM, "SIGTERM reaches the command: 143: %s" % status)


LOOP = r"""
import socket, sys
for _ in range(30):
    try: socket.create_connection(("127.0.0.1", int(sys.argv[1]))).close()
    except OSError: pass
"""


def mode_rate():
    l = Listener()
    runs = []
    with tempfile.TemporaryDirectory() as d:
        for i in range(3):
            log = os.path.join(d, "log%d" % i)
            r = run([dial, "fault", "--log", log, "--rate", "0.3", "--seed", "7", "--refuse",
                     l.dest, "--", PY, "-c", LOOP, str(l.port)])
            with open(log) as f:
                events = [json.loads(line) for line in f]
            runs.append([(e["index"], e["destination"], e["rule"], e["outcome"]) for e in events
                         if e["call"] == "connect" and e["destination"] == l.dest])
    refused = sum(1 for e in runs[0] if e[3] == "refuse")
    check(len(runs[0]) == 30, "30 decisions logged: %d" % len(runs[0]))
    check(runs[0] == runs[1] == runs[2], "the same decisions on every run")
    check(3 <= refused <= 20, "--rate 0.3 refuses some, not all: %d of 30" % refused)
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "log")
        run([dial, "fault", "--log", log, "--rate", "0.3", "--seed", "8", "--refuse", l.dest,
             "--", PY, "-c", LOOP, str(l.port)])
        with open(log) as f:
            other = [(e["index"], e["destination"], e["rule"], e["outcome"])
                     for e in map(json.loads, f) if e["destination"] == l.dest]
    check(other != runs[0], "another seed, other decisions")


def usage(args, pattern):
    import re
    r = run([dial, "fault"] + args)
    ok = r.returncode == 2 and re.search(pattern, r.stderr, re.M) is not None
    check(ok, "usage error %s: exit %d, %r" % (args, r.returncode, r.stderr.strip()))


def mode_usage():
    usage(["--errno", "127.0.0.1:80=EBOGUS", "--", "true"],
          r"^dial fault: bad rule '127\.0\.0\.1:80=EBOGUS': no errno is called 'EBOGUS' "
          r"\(UnknownErrno at byte 13\)")
    usage(["--refuse", "127.0.0.300:80", "--", "true"],
          r"^dial fault: bad rule '127\.0\.0\.300:80': .*\(InvalidIpv4 at byte [0-9]+\)")
    usage(["--refuse", "127.0.0.1", "--", "true"], r"\(MissingPort at byte 9\)")
    usage(["--refuse", "127.0.0.0/33:1", "--", "true"], r"\(InvalidIpv4 at byte 10\)")
    usage(["--drop", "127.0.0.1:80=5parsecs", "--", "true"], r"\(InvalidDuration at byte [0-9]+\)")
    usage(["--delay", "127.0.0.1:80", "--", "true"], r"\(MissingValue at byte 12\)")
    usage(["--refuse", "127.0.0.1:80", "true"],
          r"^dial fault: bad argument 'true': not a rule or an option \(MissingSeparator at byte 0\)")
    usage(["--refuse", "127.0.0.1:80"], r"^dial fault: no '--' and COMMAND after the rules$")
    usage(["--refuse", "127.0.0.1:80", "--"], r"^dial fault: no command after '--'$")
    usage(["--rate", "1.5", "--refuse", "127.0.0.1:80", "--", "true"], r"\(InvalidRate at byte 0\)")
    usage(["--bogus", "--", "true"], r"^dial fault: unknown option '--bogus'$")
    r = run([dial, "fault", "--help"])
    check(r.returncode == 0 and r.stdout.startswith("Usage: dial fault RULE"), "--help")


def mode_static():
    l = Listener()
    r = run(["file", client]) if shutil.which("file") else None
    linked = run(["ldd", client])
    static = "not a dynamic executable" in (linked.stdout + linked.stderr)
    print("client: %s" % ("static" if static else "dynamic (no static libc here)"))
    r = run([dial, "fault", "--refuse", l.dest, "--", client, "connect", "127.0.0.1", str(l.port)])
    check(r.stdout.strip() == "ECONNREFUSED", "the %s client is refused: %s" %
          ("static" if static else "dynamic", r.stdout.strip()))
    r = run([dial, "fault", "--refuse", "127.0.0.1:1", "--", client, "connect", "127.0.0.1",
             str(l.port)])
    check(r.stdout.strip() == "connected", "and connects when unmatched: %s" % r.stdout.strip())


def mode_io_uring():
    r = run([dial, "fault", "--", client, "uring"])
    if "io_uring ok" not in r.stdout:
        print("note: io_uring_setup fails here anyway: %s" % r.stdout.strip())
    else:
        check("set up an io_uring: connects through it are not intercepted" in r.stderr,
              "an io_uring is reported: %s" % r.stderr.strip())
    r = run([dial, "fault", "--no-io-uring", "--", client, "uring"])
    check(r.stdout.strip() == "ENOSYS", "--no-io-uring: io_uring_setup fails with ENOSYS: %s" %
          r.stdout.strip())


def mode_log():
    l = Listener()
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "log")
        r = run([dial, "fault", "-v", "--log", log, "--refuse", l.dest, "--drop",
                 "127.0.0.1:1=100ms", "--", client, "connect", "127.0.0.1", str(l.port)])
        with open(log) as f:
            events = [json.loads(line) for line in f]
    line = "dial fault: #0 tid [0-9]+ %s rule 1 \\(--refuse %s\\): refuse ECONNREFUSED \\(111\\)" % (
        l.dest.replace(".", "\\."), l.dest.replace(".", "\\."))
    import re
    check(re.search(line, r.stderr) is not None, "-v: %s" % r.stderr.strip())
    check(len(events) == 1 and events[0]["rule"] == 1 and events[0]["outcome"] == "refuse" and
          events[0]["errno"] == "ECONNREFUSED" and events[0]["destination"] == l.dest and
          events[0]["rule_text"] == "--refuse " + l.dest, "--log NDJSON: %s" % events)


{"python": mode_python, "curl": mode_curl, "dial": mode_dial,
 "children_threads": mode_children_threads, "unprivileged": mode_unprivileged,
 "lifetime": mode_lifetime, "signals": mode_signals, "rate": mode_rate, "usage": mode_usage,
 "static": mode_static, "io_uring": mode_io_uring, "log": mode_log}[mode]()
if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
