# raftsim - one hand-written Makefile. Honours CC, CFLAGS, CPPFLAGS, LDFLAGS.
CC      ?= cc
# With gcc, link-time optimisation by default: the engine is split in files by concern, and
# LTO inlines across them what one file used to (make bench: 9% fewer instructions per event).
# An explicit CFLAGS replaces all of it.
LTO_FLAGS := $(if $(findstring gcc version,$(shell $(CC) -v 2>&1)),-flto=auto -ffat-lto-objects)
CFLAGS  ?= -O2 -g $(LTO_FLAGS)
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wundef -Wpointer-arith -Wcast-qual
PKG_CONFIG ?= pkg-config
CJSON_CFLAGS := $(shell $(PKG_CONFIG) --cflags libcjson 2>/dev/null)
CJSON_LIBS   := $(shell $(PKG_CONFIG) --libs libcjson 2>/dev/null || echo -lcjson)
CMOCKA_LIBS  := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)
# canonical raft (libraft-dev), linked statically: only the library's core comes in (no libuv,
# no lz4, which its shared library would need at run time).
RAFT_LIBDIR  := $(shell $(PKG_CONFIG) --variable=libdir raft 2>/dev/null)
RAFT_LIBS    := $(if $(wildcard $(RAFT_LIBDIR)/libraft.a),$(RAFT_LIBDIR)/libraft.a,-lraft)
RAFT_CFLAGS  := $(shell $(PKG_CONFIG) --cflags raft 2>/dev/null)
BUILD_ID := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
ALL_CFLAGS = $(WARN) -I. -D_POSIX_C_SOURCE=200809L -DRAFTSIM_BUILD='"0.1.0-$(BUILD_ID)"' \
             $(CJSON_CFLAGS) $(RAFT_CFLAGS) $(CPPFLAGS) $(CFLAGS)
LIBS := $(RAFT_LIBS) $(CJSON_LIBS) -lm

BUILD ?= build
# The engine library (raft/ and sim/) and the programs built on it (tools/). Includes are written
# from the top of the tree ("sim/check/check.h"), so -I. is the only include path.
LIB_SRC  := raft/raft.c $(sort $(wildcard sim/*/*.c))
CLI_SRC  := $(sort $(wildcard tools/raftsim/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
HEADERS  := $(wildcard raft/*.h sim/*.h sim/*/*.h tools/*/*.h)
TESTS    := $(sort $(basename $(notdir $(wildcard tests/test_*.c))))
TEST_BIN := $(TESTS:%=$(BUILD)/tests/%)

.PHONY: all deps demo test unit scenarios fuzz-smoke depcheck asan valgrind bench bug-table determinism clean format coverage
all: raftsim

deps:
	@sh tools/deps.sh

raftsim: $(BUILD)/raftsim
	@cp $< $@

# V=1 shows the full compiler command lines.
Q := $(if $(V),,@)

$(BUILD)/raftsim: $(LIB_OBJ) $(CLI_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/%.o: %.c $(HEADERS) Makefile
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_OBJ) $(CMOCKA_LIBS) $(LIBS)

# The main job: build, then run every scenario in scenarios/.
demo: deps raftsim
	./raftsim run scenarios/*.json

unit: $(TEST_BIN)
	@for t in $(TEST_BIN); do echo "== $$t"; $$t || exit 1; done

scenarios: raftsim
	sh tests/run_scenarios.sh ./raftsim
	sh tests/run_hostile.sh ./raftsim
	sh tests/run_readme.sh ./raftsim

fuzz-smoke: raftsim
	sh tests/run_fuzz.sh ./raftsim

# The architecture's dependency rules (tools/depcheck.sh), and proof that each breach is caught.
depcheck: raftsim
	sh tools/depcheck.sh $(BUILD)
	sh tests/run_depcheck.sh $(BUILD)

# Unit tests, the scenario suite, the fuzz/replay/check/shrink workflow end to end, and the
# dependency rules.
test: deps
	@$(MAKE) --no-print-directory unit scenarios fuzz-smoke depcheck

# Everything again under AddressSanitizer and UndefinedBehaviorSanitizer, in its own tree.
asan:
	$(MAKE) --no-print-directory BUILD=build-asan \
	    CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	    LDFLAGS="-fsanitize=address,undefined" unit
	$(MAKE) --no-print-directory BUILD=build-asan \
	    CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	    LDFLAGS="-fsanitize=address,undefined" build-asan/raftsim
	sh tests/run_scenarios.sh ./build-asan/raftsim
	sh tests/run_hostile.sh ./build-asan/raftsim
	sh tests/run_fuzz.sh ./build-asan/raftsim

# Coverage-guided fuzzing of the input parsers (scenario loader, trace reader) with libFuzzer
# under ASan and UBSan, in its own tree; needs clang with libFuzzer (Debian: clang,
# libclang-rt-14-dev). FUZZ_SECONDS per harness; findings land in tests/fuzz/crashes/.
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
               -fno-omit-frame-pointer
.PHONY: fuzz-parsers fuzz-harnesses
fuzz-parsers:
	$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang \
	    CFLAGS="$(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link" fuzz-harnesses
	sh tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

fuzz-harnesses: $(BUILD)/fuzz/fuzz_scenario $(BUILD)/fuzz/fuzz_trace

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/parsers_oneshot.h $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB_OBJ) $(LIBS)

bench: raftsim $(BUILD)/bin/bench $(BUILD)/bin/bench_linz $(BUILD)/bin/bench_canonical
	$(BUILD)/bin/bench ./raftsim
	$(BUILD)/bin/bench_linz
	$(BUILD)/bin/bench_canonical

$(BUILD)/bin/bench: tools/bench/bench.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_OBJ) $(LIBS)

$(BUILD)/bin/bench_canonical: tools/bench/bench_canonical.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_OBJ) $(LIBS)

$(BUILD)/bin/bench_linz: tools/bench/bench_linz.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_OBJ) $(LIBS)

# gcc and clang, -O0 and -O2: byte-identical traces and fuzz results.
determinism:
	sh tests/run_determinism.sh

bug-table: raftsim
	sh tools/bug_table.sh ./raftsim

# Line and branch coverage (gcov, in its own tree) of raft/ and of each implementation's
# adapter, reached by a fixed default fuzz campaign alone (20,000 seeds on each implementation).
coverage:
	$(MAKE) --no-print-directory BUILD=build-cov CFLAGS="-O0 -g --coverage -DRAFTSIM_COVERAGE" \
	    LDFLAGS="--coverage" build-cov/raftsim
	sh tools/coverage.sh build-cov

# The unit tests and the scenario suite under valgrind memcheck: any error or leak fails.
VALGRIND := valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=all
valgrind: $(TEST_BIN) raftsim
	@for t in $(TEST_BIN); do echo "== valgrind $$t"; $(VALGRIND) $$t >/dev/null || exit 1; done
	@echo "== valgrind raftsim run scenarios/*.json"
	@$(VALGRIND) ./raftsim run --quiet scenarios/*.json
	@echo "== valgrind raftsim run --impl canonical, each scenario it runs (exit 2: refused)"
	@for f in scenarios/*.json; do $(VALGRIND) ./raftsim run --impl canonical --quiet $$f \
	    > /dev/null; rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 2 ] || { echo "FAIL $$f"; exit 1; }; done
	@echo "== valgrind raftsim fuzz (in-process workers: --jobs 1), builtin and canonical"
	@$(VALGRIND) --trace-children=yes ./raftsim fuzz --count 30 --jobs 1 --quiet --out build/valgrind-fuzz
	@$(VALGRIND) --trace-children=yes ./raftsim fuzz --impl canonical --profile disks --count 20 \
	    --jobs 1 --quiet --out build/valgrind-fuzz-canonical; rc=$$?; [ $$rc -le 1 ] || exit 1
	@echo "valgrind: no errors, no leaks"

format:
	clang-format -i raft/*.[ch] sim/*.h sim/*/*.[ch] tests/*.c tools/*/*.[ch]

clean:
	rm -rf build build-asan build-clang build-fuzz build-det build-cov raftsim raftsim-traces
