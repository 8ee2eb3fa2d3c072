# dynsess.h - build, test and benchmark
#   make            builds the tests, examples and tools
#   make test       installs what the tests need (tools/deps.sh), builds, runs everything;
#                   ends with "total: N passed, N failed"
#   make bench      builds and runs the benchmarks in tools/bench/ (not part of make test)
#   make demo       builds and starts the example server on http://127.0.0.1:8080 (DEMO_PORT=...)
# Per-file extras: a test or bench source may carry lines
#   // make-cflags: -DDYNSESS_WITH_CURL
#   // make-libs: -lcurl
# that are added to its compile / link command.
CC      ?= cc
CLANG   ?= clang
BUILD   ?= build
WARN    := -Wall -Wextra -Wpedantic -Werror
STD     := -std=c99
CFLAGS  ?= -O2 -g
SANFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDLIBS  := -lpthread -lm

file_cflags = $(shell sed -n 's|^// make-cflags: ||p' $(1))
file_libs   = $(shell sed -n 's|^// make-libs: ||p' $(1))

TESTS     := $(patsubst tests/%.c,%,$(wildcard tests/test_*.c))
BENCHES   := $(patsubst tools/bench/%.c,%,$(wildcard tools/bench/bench_*.c))

NORMAL_TESTS := $(addprefix $(BUILD)/normal/,$(TESTS))
ASAN_TESTS   := $(addprefix $(BUILD)/asan/,$(TESTS))
EXTRA_TESTS  :=
BENCH_BINS   := $(addprefix $(BUILD)/bench/,$(BENCHES))

.PHONY: all test tests deps bench bench-run clean check-amalgamation examples tools demo
all: tests examples tools

# ---- tests ------------------------------------------------------------------------
$(BUILD)/normal/%: tests/%.c dynsess.h tests/tt.h
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(CFLAGS) $(WARN) $(call file_cflags,$<) -I. -Itests $< -o $@ $(call file_libs,$<) $(LDLIBS)

$(BUILD)/asan/%: tests/%.c dynsess.h tests/tt.h
	@mkdir -p $(dir $@)
	$(CLANG) $(STD) $(SANFLAGS) $(WARN) $(call file_cflags,$<) -I. -Itests $< -o $@ $(call file_libs,$<) $(LDLIBS)

# Extra builds (TSan, BearSSL backend, ...) are added below by each section with
#   EXTRA_TESTS += $(BUILD)/extra/NAME   and a rule for it.
-include tests/extra.mk

# libFuzzer harnesses tests/fuzz/fuzz_*.c (clang, fuzzer+ASan+UBSan); run bounded
# by tests/integration/fuzz.sh.
FUZZERS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
$(BUILD)/fuzz/%: tests/fuzz/%.c dynsess.h
	@mkdir -p $(dir $@)
	$(CLANG) $(STD) -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $(WARN) -I. $< -o $@

tests: $(NORMAL_TESTS) $(ASAN_TESTS) $(EXTRA_TESTS) $(FUZZERS)

deps:
	@sh tools/deps.sh

test: deps
	@$(MAKE) --no-print-directory -j2 tests
	@sh tests/run.sh $(BUILD)

check-amalgamation:
	@sh tests/checks/amalgamation.sh

# ---- benchmarks -------------------------------------------------------------------
$(BUILD)/bench/%: tools/bench/%.c dynsess.h tools/bench/bench.h tools/bench/json_payloads.h
	@mkdir -p $(dir $@)
	$(CC) $(STD) -O2 -march=native $(WARN) $(call file_cflags,$<) -I. -Itools/bench $< -o $@ $(call file_libs,$<) $(LDLIBS)

# C++ yardsticks tools/bench/ref_*.cpp (another library's speed on our payloads); built
# only where that library is installed (tools/deps.sh --bench installs it as root).
CXX      ?= c++
REF_BINS = $(if $(and $(wildcard /usr/include/simdjson.h),$(wildcard /usr/include/rapidjson/document.h)),$(BUILD)/bench/ref_fast)
$(BUILD)/bench/ref_%: tools/bench/ref_%.cpp dynsess.h tools/bench/json_payloads.h
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 -O2 -march=native -Wall -Wextra -I. -Itools/bench $< -o $@ $(call file_libs,$<) $(LDLIBS)

# yyjson (C; in neither Debian 12 nor npm) as a yardstick, only when given its sources:
#   make bench YYJSON_DIR=/path/to/yyjson/src
YYJSON_DIR ?=
REF_YY = $(if $(and $(YYJSON_DIR),$(wildcard $(YYJSON_DIR)/yyjson.c)),$(BUILD)/bench/ref_yyjson)
# rebuilt on every run that names YYJSON_DIR (yyjson.c without our -Werror), so
# that another YYJSON_DIR never links a stale object
.PHONY: $(REF_YY)
$(BUILD)/bench/ref_yyjson: tools/bench/ref_yyjson.c $(YYJSON_DIR)/yyjson.c dynsess.h tools/bench/bench.h tools/bench/json_payloads.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -march=native -c $(YYJSON_DIR)/yyjson.c -o $@.yyjson.o
	$(CC) $(STD) -O2 -march=native $(WARN) -I. -Itools/bench -I$(YYJSON_DIR) $< $@.yyjson.o -o $@ $(call file_libs,$<) $(LDLIBS)

bench:
	@sh tools/deps.sh --bench
	@$(MAKE) --no-print-directory bench-run

bench-run: $(BENCH_BINS) $(REF_BINS) $(REF_YY)
	@for b in $(BENCH_BINS) $(REF_BINS) $(REF_YY); do echo "== $$b"; $$b || exit 1; done
	@$(if $(REF_BINS),:,echo "(ref_fast skipped: libsimdjson-dev or rapidjson-dev is not installed)")
	@$(if $(REF_YY),:,echo "(ref_yyjson skipped: set YYJSON_DIR to a folder with yyjson.c and yyjson.h)")

# ---- examples and the dynsess command-line tool -------------------------------------
#   build/examples/server, build/examples/codec, build/tools/dynsess (+ link build/dynsess)
#   make demo [DEMO_PORT=8080]   builds and runs the example server in the foreground
EXAMPLE_BINS := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))
TOOL_BINS    := $(BUILD)/tools/dynsess $(BUILD)/dynsess
DEMO_PORT    ?= 8080

$(BUILD)/examples/%: examples/%.c dynsess.h
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(CFLAGS) $(WARN) $(call file_cflags,$<) -I. $< -o $@ $(call file_libs,$<) $(LDLIBS)

$(BUILD)/tools/%: tools/%.c dynsess.h
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(CFLAGS) $(WARN) $(call file_cflags,$<) -I. $< -o $@ $(call file_libs,$<) $(LDLIBS)

$(BUILD)/dynsess: $(BUILD)/tools/dynsess
	ln -sf tools/dynsess $@

examples: $(EXAMPLE_BINS)
tools: $(TOOL_BINS)
tests: examples tools   # the integration tests run them

demo: $(BUILD)/examples/server $(BUILD)/dynsess
	@echo "==> dynsess.h demo: open http://127.0.0.1:$(DEMO_PORT)/ (log in, reload, log out; /api/session shows the session). Ctrl-C stops."
	@echo "==> --dev: a random secret for this run; set SESSION_SECRET=\$$($(BUILD)/dynsess keygen) to keep sessions across restarts"
	@exec $(BUILD)/examples/server --dev --port $(DEMO_PORT)

clean:
	rm -rf $(BUILD)
