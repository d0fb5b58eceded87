#!/bin/sh
# ensure_deps.sh build|demo|test|asan|valgrind - install the Debian packages funnel needs when
# they are missing: with apt-get when run as root, else print the exact line.
#   build  the compiler and libraries
#   demo   + gnuplot, which draws the charts (docs/CHARTS.md); gnuplot-nox
#          is the smallest Debian gnuplot with the pngcairo terminal
#   test   + cmocka, gnuplot, and for the browser test of the report page
#          chromium, chromium-driver and python3; strace, with which
#          t_rel_output.sh kills funnel at each of its writes; tzdata, for the
#          runs under other time zones (t_rel_locale.sh, .ci/run);
#          slurm-wlm (brings munge), on which t_slurm.sh runs a one-node
#          cluster, and parallel, whose recipe t_scale_env.sh runs
#          (docs/SCALE.md)
#   asan   test + clang (make asan)
#   valgrind  test + valgrind (make valgrind)
set -eu
mode=${1:-build}
pkgs="gcc make libc6-dev pkg-config libcsv-dev zlib1g-dev libdeflate-dev libjansson-dev"
case $mode in
build) ;;
demo) pkgs="$pkgs gnuplot-nox" ;;
test|asan|valgrind)
    pkgs="$pkgs libcmocka-dev gnuplot-nox chromium chromium-driver python3 strace tzdata slurm-wlm parallel"
    [ "$mode" = asan ] && pkgs="$pkgs clang"
    [ "$mode" = valgrind ] && pkgs="$pkgs valgrind" ;;
*) echo "usage: scripts/ensure_deps.sh build|demo|test|asan|valgrind" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs; do
    # Any installed gnuplot will do (gnuplot-qt, gnuplot-x11 also have pngcairo).
    [ "$p" = gnuplot-nox ] && command -v gnuplot >/dev/null 2>&1 && continue
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
