#!/bin/sh
# t_publish_paths.sh - docs/CHARTS.md "Safety model" 7 and docs/DECISIONS.md
# "Publishing a report as one set": where `funnel report -o DIR` publishes,
# and what it removes.
#   - a relative DIR with spaces becomes a link to DIR.v/RUN; the page and
#     its charts are read through it;
#   - a plain DIR left by an older funnel (only the set's names and their
#     NAME.tmp.XXXXXX litter) is taken over: DIR becomes the link, the old
#     files are DIR.v/previous, and two runs later nothing of it is left;
#   - a plain DIR holding another file is refused (exit 2, the `mv` to run
#     named), nothing touched;
#   - `-o .`, a DIR under a file, a DIR whose parent cannot be written:
#     a clear error, nothing left behind;
#   - a second report while one holds DIR.v/lock: exit 5, the set unchanged;
#   - gnuplot scratch folders in TMPDIR: those of dead funnels go, a live
#     one's (its lock held), another user's name and an older funnel's
#     name stay.
# Runs without gnuplot (PATH without it: exit 5, the set still published).
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/nobin" "$T/tmp"
export TMPDIR="$T/tmp"
"$FUNNEL" gen --entities 300 --seed 1 >"$T/a.csv"
"$FUNNEL" append -q "$T/a.flog" "$T/a.csv"
rep() { PATH="$T/nobin" run "$FUNNEL" report "$T/a.flog" "$@"; }
is_ours() { [ -L "$1" ] && case $(readlink "$1") in "$(basename "$1").v/"*) true ;; *) false ;; esac; }

# --- a relative DIR with spaces.
mkdir -p "$T/w"
cd "$T/w" || exit 1
rep -o "my site/night ly"
if [ "$RC" = 5 ] && is_ours "my site/night ly" && [ -s "my site/night ly/index.html" ] &&
   [ -d "my site/night ly.v" ] && [ "$(ls -A "my site")" = "night ly
night ly.v" ]; then pass publish_relative_spaces; else
    fail publish_relative_spaces "exit $RC; $(ls -la "my site" | tr '\n' ' ')"; fi

# --- an older funnel's plain directory.
mkdir old
cp "my site/night ly/report.json" old/
echo '<p>old page</p>' >old/index.html
echo litter >old/funnel.png.tmp.Ab12Cd
rep -o old
if [ "$RC" = 5 ] && is_ours old && grep -q 'charts-missing' old/index.html &&
   grep -q 'old page' old.v/previous/index.html; then pass publish_takes_over_plain_dir; else
    fail publish_takes_over_plain_dir "exit $RC; $(ls -la old old.v 2>&1 | tr '\n' ' ')"; fi
rep -o old
rep -o old
if ! grep -rq 'old page' old.v/ && [ -z "$(find old.v -name '*.tmp.*')" ] &&
   [ "$(ls old.v | grep -c T)" = 2 ]; then pass publish_takeover_gone_later; else
    fail publish_takeover_gone_later "$(find old.v | tr '\n' ' ')"; fi

# --- a plain directory with a file funnel did not write.
mkdir mine
echo keep >mine/notes.txt
echo '<p>x</p>' >mine/index.html
rep -o mine
expect_rc publish_refuses_foreign_dir 2
expect_err publish_refuses_foreign_dir_msg "mv 'mine' 'mine.old'"
if [ ! -L mine ] && [ ! -e mine.v ] && [ "$(cat mine/notes.txt)" = keep ] &&
   [ "$(ls mine | wc -l)" = 2 ]; then pass publish_foreign_untouched; else
    fail publish_foreign_untouched "$(ls -la mine mine.v 2>&1 | tr '\n' ' ')"; fi

# --- names and parents that cannot be.
rep -o .
expect_rc publish_dot 2
echo x >afile
rep -o afile/out
expect_rc publish_under_file 5
rep -o /proc/funnel-test-out
expect_rc publish_parent_not_writable 5
expect_err publish_parent_not_writable_msg "/proc/funnel-test-out"
if [ "$(id -u)" != 0 ]; then
    mkdir ro && chmod 555 ro
    rep -o ro/out
    expect_rc publish_parent_readonly 5
    [ -z "$(ls -A ro)" ] && pass publish_parent_readonly_empty || fail publish_parent_readonly_empty "$(ls -A ro)"
    chmod 755 ro
fi
if [ -z "$(ls -A /proc | grep funnel-test-out)" ] && [ ! -e afile.v ] && [ ! -e ..v ]; then
    pass publish_bad_nothing_left; else fail publish_bad_nothing_left "$(ls -A)"; fi

# --- a second report while one runs (holds the lock).
if command -v flock >/dev/null 2>&1; then
    before=$(readlink old)
    flock old.v/lock sleep 3 &
    lpid=$!
    sleep 0.5
    rep -o old
    expect_rc publish_locked 5
    expect_err publish_locked_msg "another funnel report is writing"
    [ "$(readlink old)" = "$before" ] && pass publish_locked_unchanged || fail publish_locked_unchanged "the link moved"
    wait $lpid
else
    echo "SKIP publish_locked: flock(1) is not installed"
fi

# --- gnuplot scratch folders.
S=$TMPDIR
mkdir "$S/funnel-gnuplot-999999999-dead01" "$S/funnel-gnuplot-999999999-nolock"
: >"$S/funnel-gnuplot-999999999-dead01/lock"
mkdir "$S/funnel-gnuplot-$$-alive1" "$S/funnel-gnuplot-$$-youngx" "$S/funnel-gnuplot-Ab12Cd" "$S/funnel-gnuplot-mine"
: >"$S/funnel-gnuplot-$$-alive1/lock"
flock "$S/funnel-gnuplot-$$-alive1/lock" sleep 3 &
lpid=$!
sleep 0.5
rep -o swept
left=$(ls -A "$S" | tr '\n' ' ')
if [ ! -e "$S/funnel-gnuplot-999999999-dead01" ] && [ ! -e "$S/funnel-gnuplot-999999999-nolock" ]; then
    pass publish_sweeps_dead_scratch; else fail publish_sweeps_dead_scratch "left: $left"; fi
if [ -d "$S/funnel-gnuplot-$$-alive1" ] && [ -d "$S/funnel-gnuplot-$$-youngx" ] &&
   [ -d "$S/funnel-gnuplot-Ab12Cd" ] && [ -d "$S/funnel-gnuplot-mine" ]; then
    pass publish_keeps_live_and_foreign_scratch; else fail publish_keeps_live_and_foreign_scratch "left: $left"; fi
wait $lpid
