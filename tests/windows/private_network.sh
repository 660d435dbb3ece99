#!/bin/sh
# tests/windows/private_network.sh: runs a command in a private network namespace with only
# loopback up, where no packet can leave the machine (a DNS query fails at once), and tells it so
# with DIAL_TEST_PRIVATE_NETWORK=1. Needs root: exits 77 (ctest's SKIP_RETURN_CODE) otherwise.
# Usage: private_network.sh COMMAND [ARGS...]
if [ "$(id -u)" != 0 ] || ! unshare --net true 2>/dev/null; then
  echo "skipped: a private network namespace needs root (unshare --net)"
  exit 77
fi
exec unshare --net sh -c 'ip link set lo up && DIAL_TEST_PRIVATE_NETWORK=1 exec "$@"' sh "$@"
