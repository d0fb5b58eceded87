# t_fuzz_corpus.sh - replay the committed fuzz corpus (tests/fuzz/corpus/T)
# through each fuzz target built without libFuzzer (replay_T, made by
# `make test` from tests/fuzz/fuzz_T.c and tests/fuzz/replay_driver.c), so
# every input a fuzzer ever found interesting, crashes included, is rerun on
# every `make test`.  One PASS per target with its file count.
. "$(dirname "$0")/lib.sh"

# The drivers sit next to the unit tests' directory: $(BUILD)/fuzz_replay.
D=${FUZZ_REPLAY_DIR:-${UNIT_DIR:+$UNIT_DIR/../fuzz_replay}}
D=${D:-$ROOT/build/release/fuzz_replay}
case $D in /*) ;; *) D=$ROOT/$D ;; esac

for t in csvin evblock log jsondiff chart_quote roundtrip rules; do
    bin=$D/replay_$t
    dir=$ROOT/tests/fuzz/corpus/$t
    if [ ! -x "$bin" ]; then
        fail "fuzz_corpus_$t" "no driver $bin (make unit builds it)"
        continue
    fi
    if ! [ -d "$dir" ] || [ -z "$(ls -A "$dir")" ]; then
        fail "fuzz_corpus_$t" "empty corpus $dir"
        continue
    fi
    run "$bin" "$dir"
    if [ "$RC" -eq 0 ]; then
        pass "fuzz_corpus_$t ($(cat "$T/out"))"
    else
        fail "fuzz_corpus_$t" "exit $RC: $(tail -c 600 "$T/err" | tr '\n' ' ')"
    fi
done
