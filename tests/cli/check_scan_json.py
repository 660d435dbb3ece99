#!/usr/bin/env python3
"""tests/cli/check_scan_json.py: `dial scan --json` prints NDJSON matching docs/scan-json.md.

Usage: check_scan_json.py DIAL OPEN... -- CLOSED...
Runs `dial scan --json` over the targets (HOST:PORT form, then HOST -p PORTS form for the IPv4
ones), parses every line on its own, checks each object against the schema, and checks that the
open set is exactly OPEN, that every CLOSED target is ConnectionRefused, that the summary's counts
agree with the lines, and that the exit status is 0 (something open) or 1 (nothing open).
"""
import json
import socket
import subprocess
import sys

RESULT = {  # key: allowed types, in the documented order
    "type": (str,), "index": (int,), "target": (str,), "host": (str,),
    "port": (int, type(None)), "outcome": (str,), "outcome_id": (int,), "open": (bool,),
    "code": (int,), "code_name": (str, type(None)), "time_us": (int, float),
    "self_connect": (bool,), "service": (str, type(None)),
}
SUMMARY = {
    "type": (str,), "backend": (str,), "threads": (int,), "concurrency": (int,),
    "timeout_ms": (int,), "targets": (int,), "results": (int,), "not_started": (int,),
    "open_count": (int,), "self_connects": (int,), "interrupted": (bool,), "elapsed_s": (int, float),
    "outcomes": (dict,), "rate": (int, float),
}
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def check_object(obj, schema, what):
    if list(obj.keys()) != list(schema.keys()):
        fail(f"{what}: keys {list(obj.keys())}, expected {list(schema.keys())}")
        return
    for key, types in schema.items():
        # bool is an int in Python: an int field must not be a bool
        if not isinstance(obj[key], types) or (bool not in types and isinstance(obj[key], bool)):
            fail(f"{what}: {key}={obj[key]!r} is not {types}")


def run(dial, args, targets, want_open):
    cmd = [dial, "scan", "--json", *args]
    print("$", " ".join(cmd))
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    print(p.stdout, end="")
    print(p.stderr, end="")
    if p.stderr:
        fail("--json wrote to stderr")
    lines = p.stdout.splitlines()
    if not lines:
        fail("no output")
        return
    objs = []
    for n, line in enumerate(lines, 1):
        try:
            objs.append(json.loads(line))
        except json.JSONDecodeError as e:
            fail(f"line {n} is not JSON: {e}")
            return
    *results, summary = objs
    for n, r in enumerate(results, 1):
        check_object(r, RESULT, f"line {n}")
        if r.get("type") != "result":
            fail(f"line {n}: type {r.get('type')!r}")
    check_object(summary, SUMMARY, "summary")
    if summary.get("type") != "summary":
        fail("the last line is not the summary")
    # Each target exactly once, with its own index.
    got = sorted((r["index"], r["target"]) for r in results)
    if got != list(enumerate(targets)):
        fail(f"results {got} do not match targets {list(enumerate(targets))}")
    opened = {r["target"] for r in results if r["open"]}
    if opened != set(want_open):
        fail(f"open set {sorted(opened)}, expected {sorted(want_open)}")
    for r in results:
        if r["open"] != (r["outcome"] == "Connected") or r["open"] != (r["outcome_id"] == 0):
            fail(f"{r['target']}: open/outcome/outcome_id disagree")
        if r["open"] and (r["code"] != 0 or r["code_name"] is not None):
            fail(f"{r['target']}: open with a code")
        if not r["open"]:
            if (r["outcome"], r["code_name"], r["code"]) != ("ConnectionRefused", "ECONNREFUSED", 111):
                fail(f"{r['target']}: closed fixture gave {r['outcome']} {r['code_name']}")
        host, port = r["target"].rsplit(":", 1)
        if r["port"] != int(port) or r["host"] != host.strip("[]"):
            fail(f"{r['target']}: host {r['host']!r} port {r['port']!r}")
        try:
            service = socket.getservbyport(r["port"], "tcp")  # /etc/services, as dial reads it
        except OSError:
            service = None
        if r["service"] != service:
            fail(f"{r['target']}: service {r['service']!r}, expected {service!r}")
        if r["time_us"] < 0:
            fail(f"{r['target']}: negative time")
    counts = {}
    for r in results:
        counts[r["outcome"]] = counts.get(r["outcome"], 0) + 1
    if summary.get("outcomes") != counts:
        fail(f"summary outcomes {summary.get('outcomes')} != counted {counts}")
    expected = {"targets": len(targets), "results": len(targets), "not_started": 0,
                "open_count": len(want_open), "interrupted": False, "rate": 0}
    for k, v in expected.items():
        if summary.get(k) != v:
            fail(f"summary {k}={summary.get(k)!r}, expected {v!r}")
    if summary.get("backend") not in ("io_uring", "epoll"):
        fail(f"summary backend {summary.get('backend')!r}")
    want_status = 0 if want_open else 1
    if p.returncode != want_status:
        fail(f"exit status {p.returncode}, expected {want_status}")


def main():
    dial = sys.argv[1]
    sep = sys.argv.index("--")
    open_targets, closed_targets = sys.argv[2:sep], sys.argv[sep + 1:]
    targets = open_targets + closed_targets
    for backend in ("io_uring", "epoll"):
        run(dial, ["--backend", backend, *targets], targets, open_targets)
    run(dial, closed_targets, closed_targets, [])  # nothing open: exit 1
    v4 = [t for t in targets if t.startswith("127.")]
    ports = [t.rsplit(":", 1)[1] for t in v4]
    run(dial, ["127.0.0.1", "-p", ",".join(ports)], v4, [t for t in open_targets if t in v4])
    print("PASS" if not failures else f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
