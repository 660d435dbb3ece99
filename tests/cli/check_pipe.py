#!/usr/bin/env python3
"""tests/cli/check_pipe.py: `dial pipe TARGET` against real loopback and Unix servers.

Usage: check_pipe.py DIAL MODE
  roundtrip_files   1 MiB of random bytes (every byte value) through an echo server, stdin and
                    stdout regular files (sendfile, then write): stdout is byte-exact (sha256)
  roundtrip_copy    the same with stdin and stdout sockets (read/write through the buffer)
  roundtrip_splice  the same with stdin and stdout pipes (splice), -v on: still only the bytes
  roundtrip_name    the same through localhost:PORT (the race), stdin a pipe, stdout a file
  roundtrip_ipv6    the same through [::1]:PORT, stdin and stdout pipes
  half_close        the server reads to end-of-stream, then answers: stdin closes first and the
                    answer still arrives; exit 0
  reset_reading     the peer resets (SO_LINGER 0) while dial reads: exit 1, ConnectionResetByPeer
  reset_sending     the peer resets while dial sends: exit 1, ConnectionResetByPeer
  stdout_closed     standard output's reader goes away: exit 1, BrokenPipe
  unix_path         a round trip and a half-close through unix:/path
  unix_abstract     the same through unix:@name
  sigint            Ctrl-C during the relay: exit 130
  stdin_closed      descriptor 0 closed reads as empty: the server reads end-of-stream at once
                    and its answer arrives; exit 0
  close_on_exec     a whole relay under strace (check_close_on_exec.py): every descriptor dial
                    makes is close-on-exec
Each server runs in a thread of this process; every wait is bounded (the test's own timeouts
fail it, they never decide a pass).
"""
import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading

dial, mode = sys.argv[1], sys.argv[2]
failures = []
WAIT = 30  # seconds: a bound for a hung dial, never a timing assertion


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


def listener(family=socket.AF_INET, path=None):
    s = socket.socket(family, socket.SOCK_STREAM)
    if family == socket.AF_UNIX:
        s.bind(path)
    elif family == socket.AF_INET6:
        s.bind(("::1", 0))
    else:
        s.bind(("127.0.0.1", 0))
    s.listen(4)
    s.settimeout(WAIT)
    return s


def target_of(s):
    if s.family == socket.AF_UNIX:
        name = s.getsockname()
        if isinstance(name, bytes):  # abstract: a leading NUL
            return "unix:@" + name[1:].decode()
        return "unix:" + name
    if s.family == socket.AF_INET6:
        return f"[::1]:{s.getsockname()[1]}"
    return f"127.0.0.1:{s.getsockname()[1]}"


def serve(s, handler):
    def run():
        try:
            c, _ = s.accept()
        except OSError:
            return
        c.settimeout(WAIT)
        try:
            handler(c)
        except OSError as e:
            print(f"server: {e!r}")
        finally:
            c.close()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def echo(c):
    while True:
        b = c.recv(1 << 16)
        if not b:
            break
        c.sendall(b)
    c.shutdown(socket.SHUT_WR)


def answer_after_eof(c):
    got = b""
    while True:
        b = c.recv(1 << 16)
        if not b:
            break
        got += b
    c.sendall(b"read %d bytes: %s\n" % (len(got), hashlib.sha256(got).hexdigest().encode()))


def reset(c):
    """Closes with SO_LINGER 0: the kernel sends RST."""
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def run_dial(args, **kw):
    print("$", dial, *args)
    return subprocess.Popen([dial, *args], stderr=subprocess.PIPE, **kw)


def payload():
    data = bytes(range(256)) + os.urandom(1 << 20)
    check(len(set(data)) == 256, "the payload holds all 256 byte values")
    return data


def roundtrip_files(target, extra=()):
    data = payload()
    with tempfile.TemporaryDirectory() as d:
        src, dst = os.path.join(d, "in"), os.path.join(d, "out")
        with open(src, "wb") as f:
            f.write(data)
        with open(src, "rb") as i, open(dst, "wb") as o:
            p = run_dial([*extra, "pipe", target], stdin=i, stdout=o)
            _, err = p.communicate(timeout=WAIT)
        with open(dst, "rb") as f:
            out = f.read()
    return data, out, p.returncode, err.decode(errors="replace")


def roundtrip_sockets(target):
    data = payload()
    feed, stdin = socket.socketpair()
    stdout, drain = socket.socketpair()
    p = run_dial(["pipe", target], stdin=stdin, stdout=stdout)
    stdin.close()
    stdout.close()

    def write():
        feed.sendall(data)
        feed.shutdown(socket.SHUT_WR)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    drain.settimeout(WAIT)
    chunks = []
    while (b := drain.recv(1 << 16)):
        chunks.append(b)
    writer.join(WAIT)
    p.wait(timeout=WAIT)
    return data, b"".join(chunks), p.returncode, p.stderr.read().decode(errors="replace")


def roundtrip_pipes(target, extra=()):
    data = payload()
    p = run_dial(["pipe", *extra, target], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    out, err = p.communicate(data, timeout=WAIT)
    return data, out, p.returncode, err.decode(errors="replace")


def expect_roundtrip(result):
    data, out, status, err = result
    print(err, end="")
    check(status == 0, f"exit status {status} is 0")
    check(hashlib.sha256(out).digest() == hashlib.sha256(data).digest(),
          f"stdout is the {len(data)} bytes sent, byte-exact (got {len(out)})")


def half_close(s):
    serve(s, answer_after_eof)
    p = run_dial(["pipe", target_of(s)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    out, err = p.communicate(b"hello", timeout=WAIT)
    print(err.decode(errors="replace"), end="")
    want = b"read 5 bytes: " + hashlib.sha256(b"hello").hexdigest().encode() + b"\n"
    check(p.returncode == 0, f"exit status {p.returncode} is 0")
    check(out == want, f"the answer after end-of-stream arrived: {out!r}")


def expect_failure(p, err, pattern):
    text = err.decode(errors="replace")
    print(text, end="")
    check(p.returncode == 1, f"exit status {p.returncode} is 1")
    check(re.search(pattern, text, re.M) is not None, f"stderr matches {pattern!r}")


def reset_reading():
    s = listener()
    serve(s, lambda c: (c.sendall(b"some bytes first\n"), c.recv(1), reset(c)))
    r, w = os.pipe()  # dial's stdin: open, never written, closed after dial exits
    p = run_dial(["pipe", target_of(s)], stdin=r, stdout=subprocess.PIPE)
    os.close(r)
    try:
        os.write(w, b"x")  # the server reads one byte, then resets while dial waits to read
        out, err = p.communicate(timeout=WAIT)
    finally:
        os.close(w)
    check(out == b"some bytes first\n" or out == b"", f"stdout holds what came before: {out!r}")
    expect_failure(p, err, r"^dial pipe: recv from 127\.0\.0\.1:[0-9]+: "
                           r"ConnectionResetByPeer ECONNRESET \([0-9]+\)$")


def reset_sending():
    s = listener()
    serve(s, lambda c: (c.recv(1 << 16), reset(c)))  # unread bytes and linger 0: RST
    p = run_dial(["pipe", target_of(s)], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    chunk = b"\xa5" * (1 << 16)
    for _ in range(4096):  # at most 256 MiB: dial fails long before
        try:
            p.stdin.write(chunk)
        except BrokenPipeError:
            break
    try:
        p.stdin.close()
    except BrokenPipeError:
        pass
    p.wait(timeout=WAIT)
    expect_failure(p, p.stderr.read(), r"^dial pipe: (send to|recv from) 127\.0\.0\.1:[0-9]+: "
                                       r"ConnectionResetByPeer ECONNRESET \([0-9]+\)$")


def stdout_closed():
    s = listener()

    def flood(c):
        chunk = b"\x5a" * (1 << 16)
        for _ in range(4096):  # at most 256 MiB
            c.sendall(chunk)

    serve(s, flood)
    r, w = os.pipe()
    p = run_dial(["pipe", target_of(s)], stdin=subprocess.PIPE, stdout=w)
    os.close(w)
    os.read(r, 10)
    os.close(r)  # the reader goes away with the flood still coming
    p.wait(timeout=WAIT)
    expect_failure(p, p.stderr.read(),
                   r"^dial pipe: write to standard output: BrokenPipe EPIPE \([0-9]+\)$")
    p.stdin.close()


def sigint():
    s = listener()
    accepted = threading.Event()
    done = threading.Event()
    serve(s, lambda c: (accepted.set(), done.wait(WAIT)))
    r, w = os.pipe()
    p = run_dial(["pipe", target_of(s)], stdin=r, stdout=subprocess.PIPE)
    os.close(r)
    check(accepted.wait(WAIT), "the server accepted dial's connection")
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=WAIT)
    done.set()
    os.close(w)
    print(err.decode(errors="replace"), end="")
    check(p.returncode == 130, f"exit status {p.returncode} is 130")
    check(out == b"", "nothing on stdout")


def unix(abstract):
    with tempfile.TemporaryDirectory() as d:
        path = f"\0dial-pipe-test-{os.getpid()}" if abstract else os.path.join(d, "echo.sock")
        s = listener(socket.AF_UNIX, path)
        serve(s, echo)
        expect_roundtrip(roundtrip_pipes(target_of(s)))
        s.close()
        if not abstract:
            os.unlink(path)
        s = listener(socket.AF_UNIX, path)
        half_close(s)


if mode in ("roundtrip_files", "roundtrip_copy", "roundtrip_splice", "roundtrip_name"):
    s = listener()
    serve(s, echo)
    if mode == "roundtrip_files":
        expect_roundtrip(roundtrip_files(target_of(s)))
    elif mode == "roundtrip_copy":
        expect_roundtrip(roundtrip_sockets(target_of(s)))
    elif mode == "roundtrip_splice":
        expect_roundtrip(roundtrip_pipes(target_of(s), ["-v"]))
    else:
        data = payload()
        with tempfile.TemporaryFile() as o:
            p = run_dial(["pipe", f"localhost:{s.getsockname()[1]}"], stdin=subprocess.PIPE,
                         stdout=o)
            _, err = p.communicate(data, timeout=WAIT)
            o.seek(0)
            expect_roundtrip((data, o.read(), p.returncode, err.decode(errors="replace")))
elif mode == "roundtrip_ipv6":
    try:
        s = listener(socket.AF_INET6)
    except OSError as e:
        print(f"SKIP: no IPv6 loopback here: {e}")
        sys.exit(77)
    serve(s, echo)
    expect_roundtrip(roundtrip_pipes(target_of(s)))
elif mode == "half_close":
    half_close(listener())
elif mode == "reset_reading":
    reset_reading()
elif mode == "reset_sending":
    reset_sending()
elif mode == "stdout_closed":
    stdout_closed()
elif mode == "unix_path":
    unix(False)
elif mode == "unix_abstract":
    unix(True)
elif mode == "sigint":
    sigint()
elif mode == "stdin_closed":
    s = listener()
    serve(s, answer_after_eof)
    print("$", dial, "pipe", target_of(s), "<&-")
    r = subprocess.run(["bash", "-c", 'exec "$0" pipe "$1" <&-', dial, target_of(s)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=WAIT)
    print(r.stderr.decode(errors="replace"), end="")
    want = b"read 0 bytes: " + hashlib.sha256(b"").hexdigest().encode() + b"\n"
    check(r.returncode == 0, f"exit status {r.returncode} is 0")
    check(r.stdout == want, f"the answer to an empty input arrived: {r.stdout!r}")
elif mode == "close_on_exec":
    s = listener()
    serve(s, answer_after_eof)
    checker = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_close_on_exec.py")
    r = subprocess.run([sys.executable, checker, "0", "--", dial, "pipe", target_of(s)],
                       stdin=subprocess.DEVNULL, timeout=WAIT * 4)
    if r.returncode == 77:
        sys.exit(77)
    check(r.returncode == 0, "check_close_on_exec.py passed")
else:
    print(f"unknown mode {mode}")
    sys.exit(99)

print("FAILED: " + "; ".join(failures) if failures else "PASSED")
sys.exit(1 if failures else 0)
