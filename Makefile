# sluice - plain make, no configure step. `make help` lists the targets.
#
# Every src/<layer>/*.c is part of the library (build/libsluice.a) except the
# entry point src/cli/sl_main.c; every tests/unit/test_*.c is one Criterion
# binary; every fuzz/fuzz_*.c is one libFuzzer binary. Adding a file needs no
# change here.

CC      ?= gcc
BUILD   ?= build
VERSION := 0.1.0
GITREV  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

PKGS    := libpq yaml-0.1 sqlite3 zlib libzstd liblz4 libbrotlienc libbrotlidec snappy libcurl libcrypto libmicrohttpd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# DuckDB 1.4 (deps/duckdb/, fetched by scripts/install-deps.sh): its header for
# compiling. The library is not linked: src/store/sl_duck.c loads it with
# dlopen the first time a duckdb target is used, from DUCKDB_LIB (or
# $$SLUICE_DUCKDB_LIB), so the other commands do not pay its ~30 ms of start-up.
DUCKDB_DIR ?= $(CURDIR)/deps/duckdb
DUCKDB_LIB ?= $(DUCKDB_DIR)/libduckdb.so
DUCKDB_CFLAGS := -I$(DUCKDB_DIR) -DSL_DUCKDB_LIB='"$(DUCKDB_LIB)"'

OPT     ?= -O2
# SAN: sanitizer flags for `make asan` (compile and link).
SAN     ?=
# The project's own flags; CFLAGS, CPPFLAGS and LDFLAGS given on the command
# line (make CFLAGS=-O0) add to them instead of replacing them.
SL_CFLAGS := -std=gnu11 $(OPT) $(SAN) -g -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-truncation -Wno-missing-field-initializers -pthread \
           -Isrc $(PKG_CFLAGS) $(DUCKDB_CFLAGS) -DSL_VERSION='"$(VERSION)"' -DSL_GITREV='"$(GITREV)"'
SL_LDLIBS := $(PKG_LIBS) -lm -pthread -ldl

SRCS    := $(sort $(wildcard src/*/*.c))
LIBSRCS := $(filter-out src/cli/sl_main.c,$(SRCS))
OBJS    := $(LIBSRCS:%.c=$(BUILD)/obj/%.o)
TESTS   := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(sort $(wildcard tests/unit/test_*.c)))
FUZZERS := $(patsubst fuzz/%.c,build-fuzz/%,$(sort $(wildcard fuzz/fuzz_*.c)))
# Helper programs of the test suites (tests/tools/*.c) and benchmarks (bench/*.c).
TOOLS   := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(sort $(wildcard tests/tools/*.c))) \
           $(patsubst bench/%.c,$(BUILD)/tools/%,$(sort $(wildcard bench/*.c)))

.PHONY: FORCE all deps test unit asan fuzz fuzz-smoke demo bench bench-quick clean help
all: $(BUILD)/sluice

help:
	@echo "make            build build/sluice"
	@echo "make demo       install what is missing, build, run the embedded demo job into ./lake"
	@echo "make test       unit tests, end-to-end tests against a real PostgreSQL, DuckDB interop, corpus"
	@echo "make asan       the same suite under AddressSanitizer + UndefinedBehaviorSanitizer"
	@echo "make fuzz       build the libFuzzer targets and run each for FUZZ_SECONDS (default 60)"
	@echo "make bench      benchmarks with baselines measured in the same run (bench/)"
	@echo "make bench-quick  bench/pg_extract.sh on 1M rows, one run, no alternative: for iterating"
	@echo "make deps       install missing build and test dependencies (apt-get, npm)"
	@echo "make clean      remove build outputs"

deps:
	@bash scripts/install-deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(SL_CFLAGS) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

# Files that print the git revision are rebuilt when it changes.
$(BUILD)/gitrev: FORCE
	@mkdir -p $(BUILD); echo '$(GITREV)' | cmp -s - $@ || echo '$(GITREV)' > $@
FORCE:
$(BUILD)/obj/src/cli/sl_cmd_version.o $(BUILD)/obj/src/parquet/sl_pq_writer.o: $(BUILD)/gitrev
# The web UI's stylesheet and script are compiled in (.incbin) from these files.
$(BUILD)/obj/src/observe/sl_ui_assets.o: $(wildcard src/observe/ui/*)

$(BUILD)/libsluice.a: $(OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/sluice: $(BUILD)/obj/src/cli/sl_main.o $(BUILD)/libsluice.a
	$(CC) $(SL_CFLAGS) $(CPPFLAGS) $(CFLAGS) -o $@ $(BUILD)/obj/src/cli/sl_main.o $(BUILD)/libsluice.a $(LDFLAGS) $(SL_LDLIBS) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libsluice.a
	@mkdir -p $(dir $@)
	$(CC) $(SL_CFLAGS) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/libsluice.a $(LDFLAGS) $(SL_LDLIBS) $(LDLIBS) -lcriterion

$(BUILD)/tools/%: tests/tools/%.c $(BUILD)/libsluice.a
	@mkdir -p $(dir $@)
	$(CC) $(SL_CFLAGS) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/libsluice.a $(LDFLAGS) $(SL_LDLIBS) $(LDLIBS)

$(BUILD)/tools/%: bench/%.c $(BUILD)/libsluice.a
	@mkdir -p $(dir $@)
	$(CC) $(SL_CFLAGS) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/libsluice.a $(LDFLAGS) $(SL_LDLIBS) $(LDLIBS)

unit: $(TESTS)
	@fail=0; for t in $(TESTS); do $$t --jobs 2 || fail=1; done; exit $$fail

# The whole suite: unit tests, then each tests/suites/NN-*.sh in order.
test: deps
	@$(MAKE) --no-print-directory all $(TESTS) $(TOOLS)
	@SLUICE_BUILD=$(BUILD) bash tests/run.sh

asan:
	@bash scripts/install-deps.sh
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1" \
	  SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -Wno-format-overflow" build-asan/sluice \
	  $(patsubst $(BUILD)/%,build-asan/%,$(TESTS) $(TOOLS))
	@SLUICE_BUILD=build-asan ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 bash tests/run.sh

# Fuzzers: the library is compiled once with clang's sanitizer coverage,
# each fuzz/fuzz_*.c links against it.
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Isrc $(PKG_CFLAGS) $(DUCKDB_CFLAGS) -DSL_VERSION='"$(VERSION)"' -DSL_GITREV='"fuzz"' \
               -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_OBJS   := $(LIBSRCS:%.c=build-fuzz/obj/%.o)

build-fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

build-fuzz/libsluice.a: $(FUZZ_OBJS)
	@rm -f $@
	ar rcs $@ $^

build-fuzz/%: fuzz/%.c build-fuzz/libsluice.a
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< build-fuzz/libsluice.a $(LDFLAGS) $(SL_LDLIBS) $(LDLIBS)

FUZZ_SECONDS ?= 60
fuzz: deps $(FUZZERS)
	@for f in $(FUZZERS); do n=$$(basename $$f); mkdir -p build-fuzz/corpus-$$n; \
	  echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -artifact_prefix=build-fuzz/$$n- build-fuzz/corpus-$$n fuzz/seeds/$$n 2>&1 | tail -n 3 || exit 1; done

# A short run of every fuzzer, part of `make test`.
fuzz-smoke: $(FUZZERS)
	@for f in $(FUZZERS); do n=$$(basename $$f); mkdir -p build-fuzz/corpus-$$n; \
	  $$f -max_total_time=$${FUZZ_SMOKE_SECONDS:-12} -max_len=65536 -artifact_prefix=build-fuzz/$$n- build-fuzz/corpus-$$n fuzz/seeds/$$n \
	    >build-fuzz/$$n.log 2>&1 || { tail -n 40 build-fuzz/$$n.log; exit 1; }; \
	  echo "fuzz-smoke: $$n: $$(grep -o 'Done [0-9]* runs' build-fuzz/$$n.log)"; done

demo: deps all
	./$(BUILD)/sluice demo

bench: deps all $(TOOLS)
	bash bench/run.sh

# One quick look at the extraction benchmark while changing hot paths.
bench-quick: all $(TOOLS)
	BENCH_ROWS=$${BENCH_ROWS:-1000000} BENCH_RUNS=$${BENCH_RUNS:-1} BENCH_ALT=$${BENCH_ALT:-0} BENCH_ONLY=pg_extract bash bench/run.sh

clean:
	rm -rf $(BUILD) build build-asan build-fuzz

-include $(OBJS:.o=.d) $(BUILD)/obj/src/cli/sl_main.d $(FUZZ_OBJS:.o=.d)
