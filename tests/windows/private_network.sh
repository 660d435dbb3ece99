#!/bin/sh
# tests/windows/private_network.sh: runs a command in a private network namespace with only
# loopback up, where no packet can leave the machine (a DNS query fails at once), and tells it so
# with DIAL_TEST_PRIVATE_NETWORK=1. Needs root: exits 77 (ctest's SKIP_RETURN_CODE) otherwise.
# Usage: private_network.sh COMMAND [ARGS...]
#
# wine's sockets are made by the wineserver, not by the program: a wineserver already running
# outside (from an earlier test of the same prefix) would put every socket of the program in the
# host's namespace. wine clients find their server through a directory in /tmp (Debian's wine:
# /tmp/wine-XXXXXX/server-DEV-INODE), so /tmp is a private tmpfs here that shows every entry of
# the real /tmp again (bind mounts: the source and build trees may be under /tmp, as in a CI
# clone) except wine's server directories: the program starts a wineserver of its own, inside the
# namespace (docs/spec-differences.md, section 6).
if [ "$(id -u)" != 0 ] || ! unshare --net --mount true 2>/dev/null; then
  echo "skipped: a private network namespace needs root (unshare --net --mount)"
  exit 77
fi
exec unshare --net --mount sh -c '
  mount --bind /tmp /mnt && mount -t tmpfs -o mode=1777 tmpfs /tmp || exit 99
  for e in /mnt/* /mnt/.[!.]*; do
    [ -e "$e" ] || continue
    n=${e##*/}
    case $n in wine-* | .wine-*) continue ;; esac
    if [ -d "$e" ]; then mkdir "/tmp/$n"; else : >"/tmp/$n"; fi
    mount --bind "$e" "/tmp/$n" || exit 99
  done
  ip link set lo up && DIAL_TEST_PRIVATE_NETWORK=1 exec "$@"' sh "$@"
