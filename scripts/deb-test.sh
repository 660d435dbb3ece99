#!/usr/bin/env bash
# scripts/deb-test.sh: builds the Debian packages (the `deb` workflow preset), installs them on
# this machine with dpkg -i, checks dial as an installed dependency from /usr (find_package and
# pkg-config --static, tests/consumer/run.sh) and the installed CLI, its dial(1) and completions,
# then removes the packages again, on failure too. Needs root (dpkg); scripts/test.sh calls it.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "deb-test: needs root for dpkg -i; skipped"; exit 0; }
packages=(dial libdial-dev)
for p in "${packages[@]}"; do  # never replace or remove a dial installed by someone else
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    echo "deb-test: $p is already installed; remove it first (dpkg -r $p)"
    exit 1
  fi
done
cmake --workflow --preset deb
debs=()
for p in "${packages[@]}"; do
  debs+=("build/deb/${p}_$(sed -n 's/^project(dial VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)_amd64.deb")
done
installed=()
remove() {
  if ((${#installed[@]})); then
    echo "deb-test: dpkg -r ${installed[*]}"
    dpkg -r "${installed[@]}" >/dev/null
  fi
}
trap remove EXIT
installed=("${packages[@]}")  # set before dpkg -i: a half-done install is removed as well
dpkg -i "${debs[@]}"
dpkg -s dial libdial-dev | grep -E '^(Package|Version|Depends):'
dial --version
# dial(1) and the completions, where man and the shells look for them.
[ "$(man -w dial)" = /usr/share/man/man1/dial.1 ] || { echo "deb-test: man -w dial: $(man -w dial 2>&1)"; exit 1; }
bash -c 'source /usr/share/bash-completion/completions/dial && complete -p dial'
[ -f /usr/share/zsh/vendor-completions/_dial ] || { echo "deb-test: no _dial"; exit 1; }
DIAL_CONSUMER_PREFIX=/usr DIAL_CONSUMER_WAYS="find_package pkg-config" \
  bash tests/consumer/run.sh "$PWD" build/deb build/deb/consumer-work
echo "deb-test: the packages install, work from /usr and are removed again"
