# funnel - one non-recursive Makefile.  `make` builds ./funnel (optimised);
# `make test`, `make demo`, `make bench`, `make asan` are described in README.md.

CC      ?= cc
CFLAGS  ?= -O2 -g
WFLAGS  := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
CONFIG  ?= release
BUILD   := build/$(CONFIG)
LIBS    := -lcsv -ljansson -lz -lpthread -lm
CPPFLAGS += -Icore -Ireports -Icmd

CORE_SRC    := $(wildcard core/*.c)
REPORTS_SRC := $(wildcard reports/*.c)
CMD_SRC     := $(wildcard cmd/*.c)
LIB_OBJ     := $(patsubst %.c,$(BUILD)/%.o,$(CORE_SRC) $(REPORTS_SRC))
CMD_OBJ     := $(patsubst %.c,$(BUILD)/%.o,$(CMD_SRC))
UNIT_SRC    := $(wildcard tests/unit/test_*.c)
UNIT_BIN    := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

# The binary that tests and the demo use; `make asan` points it at build/asan.
FUNNEL_BIN := $(if $(filter release,$(CONFIG)),funnel,$(BUILD)/funnel)

.PHONY: all deps test test-deps demo bench asan clean install uninstall unit
all: $(FUNNEL_BIN)

$(FUNNEL_BIN): $(CMD_OBJ) $(LIB_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WFLAGS) $(CFLAGS) -o $@ $< $(LIB_OBJ) -lcmocka $(LIBS)

deps:
	@scripts/ensure_deps.sh build

test-deps:
	@scripts/ensure_deps.sh test

unit: $(UNIT_BIN)

test: test-deps
	@$(MAKE) -s --no-print-directory all unit
	@FUNNEL=$(abspath $(FUNNEL_BIN)) UNIT_DIR=$(BUILD)/tests tests/run_all.sh

demo: deps
	@$(MAKE) -s --no-print-directory all
	@scripts/demo.sh ./funnel

bench: deps
	@$(MAKE) -s --no-print-directory all
	@scripts/bench.sh ./funnel

asan: test-deps
	@$(MAKE) --no-print-directory CONFIG=asan CC=clang \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	  LDFLAGS="-fsanitize=address,undefined" test

PREFIX ?= /usr/local
install: all
	install -D -m 755 funnel $(DESTDIR)$(PREFIX)/bin/funnel
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/funnel

clean:
	rm -rf build out funnel

-include $(shell find build -name '*.d' 2>/dev/null)
