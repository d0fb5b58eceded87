#!/bin/sh
# ensure_deps.sh build|test - install the Debian packages funnel needs when
# they are missing: with apt-get when run as root, else print the exact line.
set -eu
pkgs="gcc make libc6-dev pkg-config libcsv-dev zlib1g-dev libjansson-dev"
[ "${1:-build}" = test ] && pkgs="$pkgs libcmocka-dev"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
        || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
    echo "funnel: installing missing Debian packages:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    # A fresh machine has no package lists yet; update once, then install.
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends $missing >&2
else
    echo "funnel: missing Debian packages:$missing" >&2
    echo "funnel: install them with:  sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi
