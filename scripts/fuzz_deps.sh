#!/bin/sh
# fuzz_deps.sh - what `make fuzz` and `make coverage` need
# (docs/RELIABILITY.md, "Fuzzing, sanitizers, coverage"):
#   1. Debian packages: clang 14, its compiler-rt (libFuzzer, ASan, UBSan
#      runtimes), llvm-profdata/llvm-cov, and what `apt-get source` needs.
#   2. libcsv and jansson built from their Debian source packages with the
#      fuzz build's flags (clang -fsanitize=address,undefined,fuzzer-no-link),
#      so the fuzzers see inside them.  Debian's binary packages are not
#      instrumented.  Source packages are enabled with a deb-src entry that
#      mirrors the machine's existing deb entry (a new file
#      /etc/apt/sources.list.d/funnel-deb-src.sources, deb822 format).
# Output, under build/fuzzdeps/:
#   include/ lib/libcsv.a lib/libjansson.a   and  STATUS ("instrumented", or
#   "uninstrumented: WHY" when the sources could not be fetched or built, in
#   which case the fuzz build links Debian's shared libraries and says so).
# Usage: scripts/fuzz_deps.sh [packages|libs|all]   (default all)
set -eu
cd "$(dirname "$0")/.."
mode=${1:-all}
OUT=$PWD/build/fuzzdeps
SAN="-fsanitize=address,undefined,fuzzer-no-link"
FLAGS="-O1 -g -fno-omit-frame-pointer $SAN -fno-sanitize-recover=all"
say() { echo "fuzz_deps: $*" >&2; }

install_packages() {
    pkgs="clang-14 libclang-rt-14-dev llvm-14 dpkg-dev libcsv-dev libjansson-dev zlib1g-dev libdeflate-dev libcmocka-dev make"
    missing=""
    for p in $pkgs; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        say "missing Debian packages:$missing"
        say "install them with:  sudo apt-get update && sudo apt-get install -y$missing"
        exit 1
    fi
    say "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends $missing >&2
}

# Add deb-src entries mirroring the enabled Debian deb entries; returns 1
# when that is impossible (not root, nothing to mirror).
enable_deb_src() {
    if grep -rqsE '^[[:space:]]*(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; then
        return 0
    fi
    [ "$(id -u)" -eq 0 ] || { say "not root: cannot add a deb-src entry"; return 1; }
    new=/etc/apt/sources.list.d/funnel-deb-src.sources
    tmp=$(mktemp)
    # deb822 files: every stanza whose Types has "deb", with Types: deb-src.
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && [ "$f" != "$new" ] || continue
        awk 'BEGIN { RS = ""; ORS = "\n\n" }
             /(^|\n)Types:[^\n]*deb([ \t]|\n|$)/ && !/(^|\n)Enabled:[ \t]*no/ {
                 sub(/Types:[^\n]*/, "Types: deb-src"); print }' "$f" >>"$tmp"
    done
    # One-line format: "deb URI SUITE COMPONENTS" -> a deb822 stanza.
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk '$1 == "deb" {
                 opts = ""; i = 2
                 if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                 comps = ""; for (j = i + 2; j <= NF; j++) comps = comps " " $j
                 printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents:%s\n\n", $i, $(i + 1), comps
             }' "$f" >>"$tmp"
    done
    if [ ! -s "$tmp" ]; then
        rm -f "$tmp"
        say "no deb entry to mirror in /etc/apt"
        return 1
    fi
    { echo "# Added by funnel's scripts/fuzz_deps.sh: source packages for the fuzz build."
      cat "$tmp"; } >"$new"
    rm -f "$tmp"
    say "added $new"
    apt-get update -qq >&2 || return 1
}

fallback() {
    mkdir -p "$OUT"
    echo "uninstrumented: $1" >"$OUT/STATUS"
    say "WARNING: $1"
    say "WARNING: the fuzz build links Debian's uninstrumented libcsv and jansson"
    exit 0
}

build_libs() {
    CC=${FUZZ_CC:-clang-14}
    command -v "$CC" >/dev/null || CC=clang
    if [ -f "$OUT/STATUS" ] && [ "$(cat "$OUT/STATUS")" = instrumented ] &&
       [ -f "$OUT/lib/libcsv.a" ] && [ -f "$OUT/lib/libjansson.a" ]; then
        return 0
    fi
    rm -rf "$OUT"
    mkdir -p "$OUT/src" "$OUT/include" "$OUT/lib"
    enable_deb_src || fallback "cannot enable source packages (deb-src)"
    (cd "$OUT/src" && apt-get source -qq libcsv jansson >&2) ||
        fallback "apt-get source libcsv jansson failed (no network or no deb-src?)"

    # libcsv: one C file (libcsv.c) and csv.h.
    csvdir=$(find "$OUT/src" -maxdepth 1 -type d -name 'libcsv-*' | head -n 1)
    [ -n "$csvdir" ] && [ -f "$csvdir/libcsv.c" ] || fallback "libcsv source not found after apt-get source"
    $CC $FLAGS -I"$csvdir" -c -o "$OUT/src/libcsv.o" "$csvdir/libcsv.c" &&
        ar rcs "$OUT/lib/libcsv.a" "$OUT/src/libcsv.o" &&
        cp "$csvdir/csv.h" "$OUT/include/" || fallback "building libcsv failed"

    # jansson: its CMake/autotools build is not needed; jansson_config.h and
    # jansson_private_config.h are the only generated files (as configure
    # writes them on Debian amd64).
    jdir=$(find "$OUT/src" -maxdepth 1 -type d -name 'jansson-*' | head -n 1)
    [ -n "$jdir" ] && [ -f "$jdir/src/jansson.h" ] || fallback "jansson source not found after apt-get source"
    sed -e 's/@json_inline@/inline/' -e 's/@json_have_long_long@/1/' \
        -e 's/@json_have_localeconv@/1/' -e 's/@json_have_atomic_builtins@/1/' \
        -e 's/@json_have_sync_builtins@/1/' \
        "$jdir/src/jansson_config.h.in" >"$OUT/include/jansson_config.h"
    cat >"$OUT/src/jansson_private_config.h" <<'EOF'
#define HAVE_STDINT_H 1
#define HAVE_INTTYPES_H 1
#define HAVE_UNISTD_H 1
#define HAVE_FCNTL_H 1
#define HAVE_SCHED_H 1
#define HAVE_SYS_TIME_H 1
#define HAVE_SYS_STAT_H 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_LOCALE_H 1
#define HAVE_LOCALECONV 1
#define HAVE_CLOSE 1
#define HAVE_OPEN 1
#define HAVE_READ 1
#define HAVE_GETPID 1
#define HAVE_GETTIMEOFDAY 1
#define HAVE_SCHED_YIELD 1
#define HAVE_STRTOLL 1
#define HAVE_ATOMIC_BUILTINS 1
#define HAVE_SYNC_BUILTINS 1
#define USE_URANDOM 1
#define INITIAL_HASHTABLE_ORDER 3
EOF
    cp "$jdir/src/jansson.h" "$OUT/include/"
    objs=""
    for c in "$jdir"/src/*.c; do
        o="$OUT/src/jansson_$(basename "$c" .c).o"
        $CC $FLAGS -DHAVE_CONFIG_H -I"$OUT/src" -I"$OUT/include" -I"$jdir/src" -c -o "$o" "$c" ||
            fallback "building jansson ($c) failed"
        objs="$objs $o"
    done
    # shellcheck disable=SC2086
    ar rcs "$OUT/lib/libjansson.a" $objs || fallback "archiving jansson failed"
    {
        echo "libcsv:  $(basename "$csvdir")"
        echo "jansson: $(basename "$jdir")"
        echo "flags:   $CC $FLAGS"
    } >"$OUT/SOURCES"
    echo instrumented >"$OUT/STATUS"
    say "built instrumented libcsv and jansson into $OUT ($(basename "$csvdir"), $(basename "$jdir"))"
}

case $mode in
packages) install_packages ;;
libs) build_libs ;;
all) install_packages; build_libs ;;
*) echo "usage: scripts/fuzz_deps.sh [packages|libs|all]" >&2; exit 2 ;;
esac
