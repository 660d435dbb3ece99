#!/usr/bin/env bash
# tests/cli/in_netns.sh COMMAND ARG...: runs COMMAND in a private network namespace with lo up,
# so a scan that reaches beyond the test's own fixtures (another program's port on the host's
# loopback, or a limit that fails to stop a sweep) reaches nothing. Needs root; skips (77) without.
if [[ $(id -u) -ne 0 ]]; then
  echo "skip: needs root (a private network namespace); CI runs as root and must not skip this"
  exit 77
fi
exec unshare -n sh -c 'ip link set lo up && exec "$@"' sh "$@"
