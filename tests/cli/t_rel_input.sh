# t_rel_input.sh - hostile CSV input (docs/RELIABILITY.md, promise "hostile
# CSV corpus"): every file indexed in fixtures/csv/hostile/EXPECT, the
# committed small ones and the big ones that fixtures/csv/hostile/make.sh
# generates at test time.  Accepted files must replay exactly (`funnel cat`
# equals the hand-written NAME.cat, and a cat | append round trip gives the
# same rows and report); rejected files exit 3 with "funnel: FILE:LINE:COL:
# message" and leave the log's bytes unchanged, both for a clean log and for
# one that ends in a torn tail, and an absent log is not created.  Fields of
# 1 MiB (64 MiB with STRESS=1) must be refused in bounded memory.
. "$(dirname "$0")/lib.sh"

HOST=$FIX/csv/hostile
GEN=$T/gen
EXPECT=$HOST/EXPECT
MAX_RSS_KB=49152   # peak RSS allowed while refusing a huge field (48 MiB)
# Under AddressSanitizer (make asan) or valgrind (make valgrind) RSS says
# nothing about funnel's own use.
asan=0
grep -q __asan_init "$FUNNEL" 2>/dev/null && asan=1
[ -n "${FUNNEL_UNDER_VALGRIND:-}" ] && asan=1

if sh "$HOST/make.sh" "$GEN" >"$T/make.err" 2>&1; then pass "hostile_make_sh"; else
    fail "hostile_make_sh" "$(head -c 300 "$T/make.err")"; fi

# --- base logs: two batches; the same plus half of a third (a torn tail).
"$FUNNEL" gen --entities 12 --seed 41 >"$T/g.csv"
head -n 40 "$T/g.csv" >"$T/b1.csv"
{ head -n 1 "$T/g.csv"; tail -n +41 "$T/g.csv"; } >"$T/b2.csv"
"$FUNNEL" gen --entities 3 --seed 42 >"$T/b3.csv"
"$FUNNEL" append -q "$T/base.flog" "$T/b1.csv" &&
    "$FUNNEL" append -q "$T/base.flog" "$T/b2.csv" &&
    cp "$T/base.flog" "$T/torn.flog" &&
    "$FUNNEL" append -q "$T/torn.flog" "$T/b3.csv"
bsize=$(wc -c <"$T/base.flog")
tsize=$(wc -c <"$T/torn.flog")
truncate -s $(((bsize + tsize) / 2)) "$T/torn.flog"
"$FUNNEL" verify "$T/torn.flog" >"$T/out" 2>"$T/err"
if [ "$bsize" -gt 16 ] && grep -q "torn tail" "$T/out"; then pass hostile_setup_logs; else
    fail hostile_setup_logs "base $bsize bytes; verify of the torn copy: $(head -c 300 "$T/out" "$T/err")"; fi

# where NAME : the directory that holds NAME (committed or generated), or "".
where() {
    if [ -f "$HOST/$1" ]; then echo "$HOST"; elif [ -f "$GEN/$1" ]; then echo "$GEN"; fi
}

# --- the index: every file has a verdict, every verdict a file, >= 45 files.
names=$(awk '!/^#/ && NF { if (!seen[$1]++) print $1 }' "$EXPECT")
nfiles=0 nacc=0 nrej=0 bad=0
for n in $names; do
    nfiles=$((nfiles + 1))
    v=$(awk -v n="$n" '$1 == n && ($2 == "accept" || $2 == "reject") { print $2 }' "$EXPECT" | sort -u)
    d=$(where "$n")
    case "$v" in
    accept) nacc=$((nacc + 1)); [ -n "$d" ] && [ -f "$d/${n%.csv}.cat" ] ||
        { bad=$((bad + 1)); fail "hostile_index[$n]" "accepted file or its .cat is missing"; } ;;
    reject) nrej=$((nrej + 1)); [ -n "$d" ] ||
        { bad=$((bad + 1)); fail "hostile_index[$n]" "file is missing"; } ;;
    *) bad=$((bad + 1)); fail "hostile_index[$n]" "verdict '$v' (expected accept or reject, once)" ;;
    esac
done
for f in "$HOST"/*.csv "$GEN"/*.csv; do
    [ -f "$f" ] || continue
    case "$f" in *_64mib*) continue ;; esac
    b=$(basename "$f")
    printf '%s\n' "$names" | grep -qxF "$b" || { bad=$((bad + 1)); fail "hostile_index[$b]" "not listed in EXPECT"; }
done
if [ $bad -eq 0 ] && [ $nfiles -ge 45 ]; then
    pass "hostile_index[$nfiles files: $nacc accept, $nrej reject]"
else
    fail hostile_index "$bad problems, $nfiles files"
fi

# has_msg PREFIX FRAGMENT : $T/err has a line starting with PREFIX that contains FRAGMENT.
has_msg() {
    P=$1 F=$2 awk 'index($0, ENVIRON["P"]) == 1 && index($0, ENVIRON["F"]) > 0 { ok = 1 } END { exit !ok }' "$T/err"
}

# append_in DIR LOG FILE... : run `funnel append` from DIR (so messages name
# the file as given), output in $T/out, $T/err, exit code in RC.
append_in() {
    _d=$1
    shift
    (cd "$_d" && exec "$FUNNEL" append "$@") >"$T/out" 2>"$T/err"
    RC=$?
}

# rss_append DIR LOG FILE : like append_in, peak RSS in KB in RSS ("" if unknown).
rss_append() {
    RSS=
    if [ -x /usr/bin/time ] && [ $asan = 0 ]; then
        (cd "$1" && exec /usr/bin/time -f %M -o "$T/rss" "$FUNNEL" append "$2" "$3") >"$T/out" 2>"$T/err"
        RC=$?
        RSS=$(tail -n 1 "$T/rss")
    else
        append_in "$1" "$2" "$3"
    fi
}

acc_list=""
for n in $names; do
    d=$(where "$n")
    [ -n "$d" ] || continue
    v=$(awk -v n="$n" '$1 == n && ($2 == "accept" || $2 == "reject") { print $2; exit }' "$EXPECT")
    if [ "$v" = accept ]; then
        [ "$n" = attrs_248.csv ] || acc_list="$acc_list $d/$n"
        rm -f "$T/a.flog" "$T/b.flog"
        append_in "$d" "$T/a.flog" "$n"
        if [ $RC -ne 0 ]; then
            fail "hostile[$n].accepted" "exit $RC: $(head -c 300 "$T/err")"
            continue
        fi
        pass "hostile[$n].accepted"
        "$FUNNEL" cat "$T/a.flog" >"$T/cat.csv" 2>"$T/cat.err"
        if cmp -s "$T/cat.csv" "$d/${n%.csv}.cat"; then pass "hostile[$n].cat_exact"; else
            fail "hostile[$n].cat_exact" "cat differs from ${n%.csv}.cat: $(diff "$d/${n%.csv}.cat" "$T/cat.csv" | head -c 300 | tr '\n' ' ')"
        fi
        # Round trip: cat | append - gives the same rows and report, verify is clean.
        "$FUNNEL" append -q "$T/b.flog" - <"$T/cat.csv" 2>"$T/rt.err" &&
            "$FUNNEL" cat "$T/b.flog" >"$T/cat2.csv" &&
            "$FUNNEL" replay "$T/a.flog" >"$T/ra.json" &&
            "$FUNNEL" replay "$T/b.flog" >"$T/rb.json" &&
            "$FUNNEL" verify "$T/a.flog" >/dev/null
        rc=$?
        if [ $rc -eq 0 ] && cmp -s "$T/cat.csv" "$T/cat2.csv" && cmp -s "$T/ra.json" "$T/rb.json"; then
            pass "hostile[$n].roundtrip"
        else
            fail "hostile[$n].roundtrip" "exit $rc or cat/replay differ after cat | append -: $(head -c 200 "$T/rt.err")"
        fi
        continue
    fi
    # --- rejected: against a log that ends in a torn tail.
    cp "$T/torn.flog" "$T/copy.flog"
    case "$n" in
    len_field_1mib*) rss_append "$d" "$T/copy.flog" "$n" ;;
    *) RSS=; append_in "$d" "$T/copy.flog" "$n" ;;
    esac
    why=""
    [ $RC -eq 3 ] || why="exit $RC, expected 3; "
    while IFS= read -r line; do
        set -f
        # shellcheck disable=SC2086
        set -- $line
        set +f
        kind=$2 pos=${3:-}
        frag=$(printf '%s\n' "$line" | sed 's/^[^ ]*  *[^ ]*  *[^ ]*  *//')
        case "$kind" in
        reject) has_msg "funnel: $n:$pos: " "$frag" || why="${why}no line 'funnel: $n:$pos: ...$frag'; " ;;
        noline) ! grep -qF -- "funnel: $n:$pos: " "$T/err" || why="${why}unexpected message at $pos; " ;;
        stderr) frag=$(printf '%s\n' "$line" | sed 's/^[^ ]*  *[^ ]*  *//')
            grep -qF -- "$frag" "$T/err" || why="${why}stderr lacks '$frag'; " ;;
        esac
    done <<EOF
$(awk -v n="$n" '!/^#/ && $1 == n && $2 != "accept"' "$EXPECT")
EOF
    if [ -z "$why" ]; then pass "hostile[$n].rejected_with_position"; else
        fail "hostile[$n].rejected_with_position" "${why}stderr: $(head -c 300 "$T/err" | tr '\n' '|')"; fi
    cp "$T/base.flog" "$T/copy2.flog"
    append_in "$d" "$T/copy2.flog" "$n"
    rc2=$RC
    if cmp -s "$T/torn.flog" "$T/copy.flog" && cmp -s "$T/base.flog" "$T/copy2.flog" && [ $rc2 -eq 3 ]; then
        pass "hostile[$n].log_bytes_unchanged"
    else
        fail "hostile[$n].log_bytes_unchanged" "torn log $(cmp -s "$T/torn.flog" "$T/copy.flog" && echo same || echo CHANGED), clean log $(cmp -s "$T/base.flog" "$T/copy2.flog" && echo same || echo CHANGED) (exit $rc2)"
    fi
    rm -f "$T/absent.flog"
    append_in "$d" "$T/absent.flog" "$n"
    if [ $RC -eq 3 ] && [ ! -e "$T/absent.flog" ]; then pass "hostile[$n].absent_log_not_created"; else
        fail "hostile[$n].absent_log_not_created" "exit $RC, log $([ -e "$T/absent.flog" ] && echo created || echo absent)"
    fi
    if [ -n "$RSS" ]; then
        if [ "$RSS" -le $MAX_RSS_KB ]; then pass "hostile[$n].bounded_memory[${RSS} KB]"; else
            fail "hostile[$n].bounded_memory" "peak RSS $RSS KB > $MAX_RSS_KB KB"; fi
    fi
done

# --- every accepted file at once, as one batch of many FILEs: the events of
# each, and nothing else; then the same with a rejected file last.  (Without
# attrs_248.csv: a batch holds at most 248 attribute columns in all.)
rm -f "$T/all.flog"
sum=0
for f in $acc_list; do
    rm -f "$T/one.flog"
    "$FUNNEL" append -q "$T/one.flog" "$f" 2>/dev/null
    r=$("$FUNNEL" replay "$T/one.flog" 2>/dev/null | sed -n 's/^ *"read": \([0-9]*\).*/\1/p')
    sum=$((sum + ${r:-0}))
done
# shellcheck disable=SC2086
run "$FUNNEL" append -q "$T/all.flog" $acc_list
got=$("$FUNNEL" replay "$T/all.flog" 2>/dev/null | sed -n 's/^ *"read": \([0-9]*\).*/\1/p')
if [ "$RC" -eq 0 ] && [ "${got:-x}" = "$sum" ] && "$FUNNEL" verify "$T/all.flog" >/dev/null 2>&1; then
    pass "hostile_all_accepted_one_batch[$sum events]"
else
    fail hostile_all_accepted_one_batch "exit $RC, events $got, expected $sum: $(head -c 300 "$T/err")"
fi
cp "$T/torn.flog" "$T/copy.flog"
# shellcheck disable=SC2086
run "$FUNNEL" append "$T/copy.flog" $acc_list "$HOST/ts_leap_2023.csv"
if [ "$RC" -eq 3 ] && grep -qF "funnel: $HOST/ts_leap_2023.csv:3:1: " "$T/err" && cmp -s "$T/torn.flog" "$T/copy.flog"; then
    pass hostile_all_accepted_then_one_bad_file
else
    fail hostile_all_accepted_then_one_bad_file "exit $RC, log $(cmp -s "$T/torn.flog" "$T/copy.flog" && echo same || echo CHANGED): $(head -c 300 "$T/err")"
fi

# Standard input is named "-" in the messages.
cp "$T/torn.flog" "$T/copy.flog"
"$FUNNEL" append "$T/copy.flog" - <"$HOST/nl_embedded_then_bad.csv" >"$T/out" 2>"$T/err"
RC=$?
if [ $RC -eq 3 ] && has_msg "funnel: -:7:1: " "no such date" && cmp -s "$T/torn.flog" "$T/copy.flog"; then
    pass hostile_stdin_named_dash
else
    fail hostile_stdin_named_dash "exit $RC: $(head -c 300 "$T/err")"
fi

# --- STRESS: 64 MiB in one field, refused in bounded memory.
if [ "${STRESS:-0}" = 1 ]; then
    STRESS=1 sh "$HOST/make.sh" "$T/big" >/dev/null 2>&1
    for n in len_field_64mib.csv len_field_64mib_quoted.csv; do
        cp "$T/torn.flog" "$T/copy.flog"
        rss_append "$T/big" "$T/copy.flog" "$n"
        if [ $RC -eq 3 ] && has_msg "funnel: $n:2:5: " "field longer than 65535 bytes" &&
            cmp -s "$T/torn.flog" "$T/copy.flog" && { [ -z "$RSS" ] || [ "$RSS" -le $MAX_RSS_KB ]; }; then
            pass "hostile_stress[$n][peak ${RSS:-?} KB]"
        else
            fail "hostile_stress[$n]" "exit $RC, peak RSS ${RSS:-?} KB: $(head -c 300 "$T/err")"
        fi
    done
fi
