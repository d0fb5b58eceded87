# funnel - one non-recursive Makefile.  `make` builds ./funnel (optimised);
# `make test`, `make demo`, `make bench`, `make asan` are described in README.md.
# The test targets all run tests/run_all.sh over one suite of tests/suites
# (docs/RELIABILITY.md, "What runs where").

CC      ?= cc
CFLAGS  ?= -O2 -g
WFLAGS  := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
CONFIG  ?= release
BUILD   := build/$(CONFIG)
LIBS    := -lcsv -ljansson -ldeflate -lz -lpthread -lm
# core/ is grouped by what it is for (docs/ARCHITECTURE.md): log/ (the
# file format, its reader and writer), input/ (CSV, times, funnel
# definitions), aggregate/ (partial states and the metrics), shard/ (shard
# sets) and common/ (errors, buffers, output files).  Headers are included
# by bare name, so every core folder is on the include path.
CORE_DIRS   := core $(patsubst %/,%,$(sort $(dir $(wildcard core/*/*.c core/*/*.h))))
CORE_INC    := $(addprefix -I,$(CORE_DIRS))
# The layer rule, enforced by the compiler (docs/ARCHITECTURE.md): core/
# sees only core/, reports/ sees core/ and reports/, cmd/ sees all three, so
# an include that runs back up a floor fails to build.  Unit tests and fuzz
# targets get all three.
LAYER_INC := $(CORE_INC) -Ireports -Icmd
$(BUILD)/core/%.o: LAYER_INC := $(CORE_INC)
$(BUILD)/reports/%.o: LAYER_INC := $(CORE_INC) -Ireports

CORE_SRC    := $(wildcard core/*.c core/*/*.c)
REPORTS_SRC := $(wildcard reports/*.c)
CMD_SRC     := $(wildcard cmd/*.c)
LIB_OBJ     := $(patsubst %.c,$(BUILD)/%.o,$(CORE_SRC) $(REPORTS_SRC))
CMD_OBJ     := $(patsubst %.c,$(BUILD)/%.o,$(CMD_SRC))
UNIT_SRC    := $(wildcard tests/unit/test_*.c)
UNIT_BIN    := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

# The binary that tests and the demo use; `make asan` points it at build/asan.
FUNNEL_BIN := $(if $(filter release,$(CONFIG)),funnel,$(BUILD)/funnel)

.PHONY: all deps test test-deps demo demo-deps bench asan clean install uninstall unit test-tz

# The suite `make test` runs (tests/suites); `make asan` sets asan.
SUITE ?= all
RUN_TESTS = FUNNEL=$(abspath $(FUNNEL_BIN)) UNIT_DIR=$(BUILD)/tests tests/run_all.sh
all: $(FUNNEL_BIN)

$(FUNNEL_BIN): $(CMD_OBJ) $(LIB_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(LAYER_INC) $(CPPFLAGS) $(WFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LAYER_INC) $(CPPFLAGS) $(WFLAGS) $(CFLAGS) -o $@ $< $(TEST_EXTRA_$*) $(LIB_OBJ) -lcmocka $(LIBS)

# The synthetic data generator is part of the program, not the library
# (as zstd keeps datagen in programs/): its unit test links it directly.
TEST_EXTRA_test_synth := $(BUILD)/cmd/synth.o
$(BUILD)/tests/test_synth: $(BUILD)/cmd/synth.o

deps:
	@scripts/ensure_deps.sh build

test-deps:
	@scripts/ensure_deps.sh test

demo-deps:
	@scripts/ensure_deps.sh demo

unit: $(UNIT_BIN)

test: test-deps
	@$(MAKE) -s --no-print-directory all unit
	@SUITE=$(SUITE) $(RUN_TESTS)

# `make stress`: the same suite with the long versions of the reliability
# tests (STRESS=1; docs/RELIABILITY.md).
.PHONY: stress
stress: test-deps
	@$(MAKE) -s --no-print-directory all unit
	@STRESS=1 SUITE=all $(RUN_TESTS)

# `make test-tz`: the tests that read times, CSV and the appender (suite tz)
# in a zone with a 45-minute offset and DST, and a UTF-8 locale.
test-tz: test-deps
	@$(MAKE) -s --no-print-directory all unit
	@TZ=Pacific/Chatham LC_ALL=C.UTF-8 SUITE=tz $(RUN_TESTS)

demo: demo-deps
	@$(MAKE) -s --no-print-directory all
	@scripts/demo.sh ./funnel

bench: deps
	@$(MAKE) -s --no-print-directory all
	@scripts/bench.sh ./funnel

asan:
	@scripts/ensure_deps.sh asan
	@$(MAKE) --no-print-directory CONFIG=asan CC=clang \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	  LDFLAGS="-fsanitize=address,undefined" SUITE=asan test

# `make tsan`: suite tsan (the threaded replay) under clang ThreadSanitizer:
# threads share the per-entity array without atomics, on the promise that
# no two of them write one entity (docs/ARCHITECTURE.md "Replay on every
# core"); TSan makes a broken promise a failing test.
.PHONY: tsan
tsan:
	@scripts/ensure_deps.sh asan
	@$(MAKE) --no-print-directory CONFIG=tsan CC=clang \
	  CFLAGS="-O1 -g -fsanitize=thread -fno-omit-frame-pointer" \
	  LDFLAGS="-fsanitize=thread" SUITE=tsan test

# `make valgrind`: suite valgrind (a few unit binaries and CLI scripts) with
# ./funnel (the normal build) and the unit binaries run under valgrind
# memcheck, leaks included; any valgrind error fails (tests/valgrind/funnel-vg).
.PHONY: valgrind
valgrind:
	@scripts/ensure_deps.sh valgrind
	@$(MAKE) -s --no-print-directory all unit
	@VALGRIND=1 SUITE=valgrind $(RUN_TESTS)

# --- Fuzzing and coverage (docs/RELIABILITY.md, "Fuzzing,
# sanitizers, coverage").  Each tests/fuzz/fuzz_T.c is built twice: into
# $(BUILD)/fuzz_replay/replay_T with the normal compiler and
# tests/fuzz/replay_driver.c, which `make test` runs over the committed corpus
# tests/fuzz/corpus/T (tests/cli/t_fuzz_corpus.sh); and by `make fuzz` with
# clang's libFuzzer into build/fuzz/fuzzers/fuzz_T, linked with libcsv and
# jansson built from their Debian sources with the same sanitizers
# (scripts/fuzz_deps.sh).  `make fuzz FUZZ_SECONDS=N` runs every target N s,
# FUZZ_JOBS at a time, and merges new inputs into the corpus.
FUZZ_TARGETS := csvin evblock log jsondiff chart_quote roundtrip rules
FUZZ_REPLAY  := $(patsubst %,$(BUILD)/fuzz_replay/replay_%,$(FUZZ_TARGETS))
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 2
FUZZ_CC      ?= clang-14
FUZZ_DEPS    := build/fuzzdeps
FUZZ_CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined,fuzzer-no-link \
                -fno-sanitize-recover=all -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
.PHONY: fuzz coverage

unit: $(FUZZ_REPLAY)

$(BUILD)/fuzz_replay/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay_driver.c tests/fuzz/fuzz_common.h $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LAYER_INC) $(CPPFLAGS) $(WFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay_driver.c $(LIB_OBJ) $(LIBS)

$(BUILD)/fuzzers/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LAYER_INC) $(CPPFLAGS) $(WFLAGS) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB_OBJ) $(LIBS)

fuzz: deps
	@scripts/fuzz_deps.sh
	@if grep -qx instrumented $(FUZZ_DEPS)/STATUS; then \
	  inc="-I$(FUZZ_DEPS)/include"; \
	  libs="$(FUZZ_DEPS)/lib/libcsv.a $(FUZZ_DEPS)/lib/libjansson.a -ldeflate -lz -lpthread -lm"; \
	else \
	  echo "fuzz: WARNING: $$(cat $(FUZZ_DEPS)/STATUS); libcsv and jansson are not instrumented" >&2; \
	  inc=""; libs="$(LIBS)"; \
	fi; \
	$(MAKE) -s --no-print-directory CONFIG=fuzz CC=$(FUZZ_CC) CFLAGS="$(FUZZ_CFLAGS) $$inc" \
	  LIBS="$$libs" $(patsubst %,build/fuzz/fuzzers/fuzz_%,$(FUZZ_TARGETS))
	@tests/fuzz/run_fuzz.sh $(FUZZ_SECONDS) $(FUZZ_JOBS) $(FUZZ_TARGETS)

# `make coverage`: the whole suite (unit, CLI, corpus replay) against a
# clang -fprofile-instr-generate -fcoverage-mapping build, then llvm-cov's
# line coverage of the log, CSV and time modules (tests/fuzz/coverage.sh).
coverage: test-deps
	@scripts/fuzz_deps.sh packages
	@rm -rf build/coverage/profiles && mkdir -p build/coverage/profiles
	-@LLVM_PROFILE_FILE=$(abspath build/coverage/profiles)/%4m.profraw \
	  $(MAKE) --no-print-directory CONFIG=coverage CC=$(FUZZ_CC) \
	  CFLAGS="-O0 -g -fprofile-instr-generate -fcoverage-mapping" \
	  LDFLAGS="-fprofile-instr-generate" test
	@tests/fuzz/coverage.sh build/coverage

PREFIX ?= /usr/local
install: all
	install -D -m 755 funnel $(DESTDIR)$(PREFIX)/bin/funnel
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/funnel

clean:
	rm -rf build out funnel

-include $(shell find build -name '*.d' 2>/dev/null)
