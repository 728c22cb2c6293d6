# ckpt — build, test and install.  `make`, `make check`, `make install PREFIX=...`.
# BUILD selects the object folder, so a sanitizer build lives beside the normal one.

CC      ?= cc
CXX     ?= c++
BUILD   ?= build
PREFIX  ?= /usr/local
DESTDIR ?=
OPT     ?= -O2 -g
SAN     ?=
CFLAGS  ?= $(OPT)
# -MMD -MP: each object depends on the headers it includes (build/*.d), no more.
CKPT_CFLAGS = -std=c11 -D_GNU_SOURCE -MMD -MP -Wall -Wextra -Wshadow -Wno-unused-parameter \
              -I$(BUILD)/gen -Isrc $(SAN) \
              $(if $(ZIP_SONAME),-DZIP_SONAME='"$(ZIP_SONAME)"') \
              $(if $(SNAPPY_SONAME),-DSNAPPY_SONAME='"$(SNAPPY_SONAME)"') \
              $(if $(CURL_SONAME),-DCURL_SONAME='"$(CURL_SONAME)"') \
              $(if $(Z_SONAME),-DZ_SONAME='"$(Z_SONAME)"')
# protobuf-c linked in when its static library is there: one shared library fewer to map at
# every start (ckpt --version: 10 page faults and 15% of its instructions less).
PROTOBUF_C_A := $(wildcard $(shell $(CC) -print-file-name=libprotobuf-c.a 2>/dev/null))
PROTOBUF_C_STATIC = -Wl,-Bstatic -lprotobuf-c -Wl,-Bdynamic
LDLIBS  = $(if $(PROTOBUF_C_A),$(PROTOBUF_C_STATIC),-lprotobuf-c) -lcjson -lm -ldl -pthread
# libzip, zlib (deflating .npz members), snappy and libcurl (remote paths) are opened with dlopen on first use
# (src/base/dynload.h): their sonames, from the libraries the compiler would link.
soname = $(shell objdump -p "$$($(CC) -print-file-name=lib$(1).so)" 2>/dev/null | \
	awk '/SONAME/ { print $$2 }')
ZIP_SONAME := $(call soname,zip)
SNAPPY_SONAME := $(call soname,snappy)
CURL_SONAME := $(call soname,curl)
Z_SONAME := $(call soname,z)
VERSION = 0.1.0

PROTOS    = $(wildcard proto/*.proto)
PROTO_C   = $(PROTOS:proto/%.proto=$(BUILD)/gen/%.pb-c.c)
PROTO_H   = $(PROTO_C:.c=.h)
# The layers, bottom up (src/README.md); each folder includes only from the ones before it.
# The library is every layer but cli/, and never prints or exits (tests/layers.t); the CLI
# (cli/: main, the command table, output, one cmd_*.c per command) is linked on top of it.
LAYERS    = base store format tensor edit
LIB_SRC   = $(foreach l,$(LAYERS),$(wildcard src/$(l)/*.c))
CMD_SRC   = $(wildcard src/cli/*.c)
LIB_OBJ   = $(LIB_SRC:src/%.c=$(BUILD)/%.o) $(PROTO_C:.c=.o)
CMD_OBJ   = $(CMD_SRC:src/%.c=$(BUILD)/%.o)
UNIT_SRC  = $(wildcard tests/unit/test_*.c)
UNIT_BIN  = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC  = $(wildcard tests/tools/*.c)
TOOL_BIN  = $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/%)

.PHONY: all check check-unit check-san check-tsan check-valgrind sample quickstart deps deps-extra install uninstall clean bench
all: ckpt

ckpt: $(BUILD)/ckpt
	cp $(BUILD)/ckpt $@

$(BUILD)/ckpt: $(CMD_OBJ) $(BUILD)/libckpt.a
	$(CC) $(CFLAGS) $(SAN) $(LDFLAGS) -o $@ $(CMD_OBJ) $(BUILD)/libckpt.a $(LDLIBS)

$(BUILD)/libckpt.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $(LIB_OBJ)

$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: proto/%.proto
	@mkdir -p $(BUILD)/gen
	protoc-c --proto_path=proto --c_out=$(BUILD)/gen $<

$(BUILD)/gen/%.pb-c.o: $(BUILD)/gen/%.pb-c.c $(PROTO_H)
	$(CC) $(CFLAGS) $(CKPT_CFLAGS) -w -c -o $@ $<

$(BUILD)/%.o: src/%.c $(PROTO_H) Makefile
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(CKPT_CFLAGS) -DCKPT_VERSION='"$(VERSION)"' -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c tests/unit/tap.h $(BUILD)/libckpt.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(CKPT_CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libckpt.a $(LDLIBS)

# The CLI's tables and JSON writer (output.c) are not in the library: their test links them.
$(BUILD)/tests/test_output: tests/unit/test_output.c tests/unit/tap.h $(BUILD)/cli/output.o \
		$(BUILD)/libckpt.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(CKPT_CFLAGS) -Itests/unit -o $@ $< $(BUILD)/cli/output.o $(BUILD)/libckpt.a \
	    $(LDLIBS)

# The CRC-32 test compares with zlib's crc32(), an independent implementation.
$(BUILD)/tests/test_crc32: tests/unit/test_crc32.c tests/unit/tap.h $(BUILD)/libckpt.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(CKPT_CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libckpt.a $(LDLIBS) -lz

$(BUILD)/tests/%: tests/tools/%.c $(BUILD)/libckpt.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(CKPT_CFLAGS) -o $@ $< $(BUILD)/libckpt.a $(LDLIBS)

# LevelDB's own table reader, the independent check of every .index we read or write.
$(BUILD)/tests/leveldb_keys: tests/tools/leveldb_keys.cc
	@mkdir -p $(@D)
	$(CXX) -O2 -o $@ $< -lleveldb

# The sample checkpoints of the README's quick start, made by our own writer.
sample: $(BUILD)/tests/mkckpt
	$(BUILD)/tests/mkckpt sample sample

# The README's first command: install what is needed, build, and look at a sample.
quickstart: deps
	$(MAKE) --no-print-directory all sample
	./ckpt list sample
	./ckpt list --by-scope sample/model.ckpt-500

CHECK_T ?= $(wildcard tests/*.t)
check: ckpt $(UNIT_BIN) $(TOOL_BIN) $(BUILD)/tests/leveldb_keys
	CKPT_PRESETS=$(CURDIR)/presets CKPT=$(CURDIR)/$(BUILD)/ckpt TESTBIN=$(CURDIR)/$(BUILD)/tests \
	    prove -f $(PROVEFLAGS) \
	    $(UNIT_BIN) $(CHECK_T)

check-unit: $(UNIT_BIN)
	prove -f $(UNIT_BIN)

# The whole suite again under AddressSanitizer and UndefinedBehaviorSanitizer, but for crash.t
# (killing runs at random moments tests no memory access, and takes minutes under ASan);
# mutate.t draws 200 corrupt variants instead of 2000 (a process starts several times slower).
# Two test files at a time: the run took 12 of CI's 30 minutes one at a time, on two cores.
check-san:
	ASAN_OPTIONS=detect_leaks=1 MUTATE_COUNT=200 \
	    $(MAKE) --no-print-directory BUILD=build/san OPT="-O1 -g" \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    CHECK_T="$(filter-out tests/crash.t,$(wildcard tests/*.t))" PROVEFLAGS="-j2 $(PROVEFLAGS)" check

# The unit tests of the code that runs on two threads (split reads, diffs, casts, transposes, the
# writers' queued copies and background writes, statistics of many tensors) under ThreadSanitizer.
TSAN_UNITS = test_split test_compare test_cast test_bundle_writer test_average_par test_maprules \
	test_par test_export test_npz test_statsmany
check-tsan:
	$(MAKE) --no-print-directory BUILD=build/tsan OPT="-O1 -g" SAN="-fsanitize=thread" \
	    $(TSAN_UNITS:%=build/tsan/tests/%)
	TSAN_OPTIONS=halt_on_error=1 prove -f $(TSAN_UNITS:%=build/tsan/tests/%)

# The CLI tests with every ckpt run under valgrind (memcheck; a report fails the case), in two
# halves at once.
VG_CKPT = $(BUILD)/valgrind/ckpt
check-valgrind: all $(BUILD)/tests/mkckpt
	@mkdir -p $(BUILD)/valgrind
	@printf '#!/bin/sh\nexec valgrind -q --error-exitcode=99 --leak-check=no "%s" "$$@"\n' \
	    "$(CURDIR)/$(BUILD)/ckpt" >$(VG_CKPT) && chmod +x $(VG_CKPT)
	@for i in 0 1; do \
	    CLI_SHARD=$$i/2 CKPT=$(CURDIR)/$(VG_CKPT) TESTBIN=$(CURDIR)/$(BUILD)/tests \
	        CKPT_PRESETS=$(CURDIR)/presets \
	        sh tests/cli.t >$(BUILD)/valgrind/cli-$$i.tap 2>&1 & \
	done; wait
	@cat $(BUILD)/valgrind/cli-*.tap | grep -v '^ok' | grep -v '^1\.\.' || true
	@ok=$$(cat $(BUILD)/valgrind/cli-*.tap | grep -c '^ok'); \
	 bad=$$(cat $(BUILD)/valgrind/cli-*.tap | grep -c '^not ok'); \
	 all=$$(find tests/cli -name '*.sh' | wc -l); \
	 echo "valgrind CLI tests: $$ok passed, $$bad failed, of $$all"; [ "$$bad" = 0 ] && [ "$$ok" = "$$all" ]

# Benchmarks (bench/README.md): data generated once under BENCH_DIR (default /tmp/ckpt-bench),
# bench/RESULTS.md rewritten. The HDF5 peer's writer is built by bench/run only when
# libhdf5-dev is installed; it is not part of the build.
bench: $(BUILD)/ckpt $(BUILD)/bench/gen
	CKPT=$(CURDIR)/$(BUILD)/ckpt BUILD=$(BUILD) perl bench/run $(BENCHFLAGS)

$(BUILD)/bench/gen: bench/gen.c $(BUILD)/libckpt.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(CKPT_CFLAGS) -o $@ $< $(BUILD)/libckpt.a $(LDLIBS)

$(BUILD)/bench/h5write: bench/h5write.c $(BUILD)/libckpt.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(CKPT_CFLAGS) $$(pkg-config --cflags hdf5) -o $@ $< $(BUILD)/libckpt.a \
	    $(LDLIBS) $$(pkg-config --libs hdf5)

deps:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    gcc g++ make pkg-config protobuf-c-compiler libprotobuf-c-dev libsnappy-dev \
	    libcjson-dev libleveldb-dev libzip-dev zlib1g-dev unzip libcurl4-openssl-dev python3-numpy perl mandoc jq zsh strace >/dev/null

# What `make fuzz`, `make check-valgrind`, tests/trend-html.t (headless Chromium) and
# tests/remote.t (nginx, and s3rver from npm under /usr/local) need besides (CI installs it; not
# needed to build; those tests skip the parts whose tools are missing, saying so). npm comes with
# nodejs where nodejs is not Debian's own, so Debian's npm is installed only when it is missing.
S3RVER_VERSION = 3.7.1
deps-extra:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    clang libclang-rt-dev valgrind chromium nginx-light nodejs >/dev/null && \
	{ command -v npm >/dev/null || DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm >/dev/null; } && \
	{ [ -x /usr/local/bin/s3rver ] || $$SUDO npm install -g --prefix /usr/local --no-fund --no-audit \
	    --loglevel=error s3rver@$(S3RVER_VERSION) >/dev/null || \
	    echo "deps-extra: npm could not install s3rver: tests/remote.t skips its s3:// part" >&2; }

install: ckpt
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 ckpt $(DESTDIR)$(PREFIX)/bin/ckpt
	install -m 644 man/ckpt.1 $(DESTDIR)$(PREFIX)/share/man/man1/ckpt.1
	install -m 644 completion/ckpt.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/ckpt
	install -d $(DESTDIR)$(PREFIX)/share/zsh/site-functions
	install -m 644 completion/_ckpt $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_ckpt
	install -d $(DESTDIR)$(PREFIX)/share/ckpt/presets
	install -m 644 presets/*.rules $(DESTDIR)$(PREFIX)/share/ckpt/presets/

# The SYNOPSIS of man/ckpt.1, rewritten from the usage lines of --help (tests/man.t checks
# that they agree).
.PHONY: man-synopsis
man-synopsis: $(BUILD)/ckpt
	perl man/synopsis.pl $(BUILD)/ckpt man/ckpt.1

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/ckpt $(DESTDIR)$(PREFIX)/share/man/man1/ckpt.1 \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions/ckpt \
	    $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_ckpt
	rm -rf $(DESTDIR)$(PREFIX)/share/ckpt/presets

clean:
	rm -rf build ckpt sample

.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# Fuzzing with clang's libFuzzer under ASan+UBSan (tests/fuzz/fuzz_*.c), built in build/fuzz-bin.
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="table bundle"]   seed, then run each target
#   make fuzz-regress                                             replay tests/fuzz/corpus-regress
# Seeds (real fixtures + generated checkpoints) and the growing corpus live in build/fuzz-corpus;
# crashes are saved in build/fuzz-artifacts/<target>/.
FUZZ_BIN      = build/fuzz-bin
FUZZ_SECONDS ?= 60
FUZZ_FIXTURES ?= $(or $(CKPT_FIXTURES),../shared/fixtures/tf)
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_ALL      = $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_FLAGS   ?= -timeout=10 -rss_limit_mb=2048 -print_final_stats=1

.PHONY: fuzz fuzz-build fuzz-regress
fuzz-build:
	$(MAKE) --no-print-directory BUILD=$(FUZZ_BIN)/lib CC=clang OPT="-O1 -g" \
	    SAN="$(FUZZ_SAN) -fsanitize=fuzzer-no-link" $(FUZZ_BIN)/lib/libckpt.a
	$(MAKE) --no-print-directory $(FUZZ_ALL:%=$(FUZZ_BIN)/fuzz_%)

$(FUZZ_BIN)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_BIN)/lib/libckpt.a
	clang -O1 -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter $(FUZZ_SAN) \
	    -fsanitize=fuzzer -Isrc -I$(FUZZ_BIN)/lib/gen -o $@ $< $(FUZZ_BIN)/lib/libckpt.a $(LDLIBS)

fuzz: fuzz-build $(BUILD)/tests/mkckpt
	-@$(MAKE) --no-print-directory $(BUILD)/ckpt >/dev/null 2>&1  # optional: finds object graphs to seed
	perl tests/fuzz/seed.pl $(BUILD)/ckpt $(BUILD)/tests/mkckpt $(FUZZ_FIXTURES) build/fuzz-corpus/seed
	@$(MAKE) --no-print-directory -j2 --output-sync=target $(FUZZ_TARGETS:%=fuzz-run-%)

# One target's run; `make fuzz` runs two at a time (each libFuzzer run uses one core).
fuzz-run-%:
	@mkdir -p build/fuzz-corpus/$* build/fuzz-artifacts/$*
	@regress=; [ -d tests/fuzz/corpus-regress/$* ] && regress=tests/fuzz/corpus-regress/$*; \
	 echo "== fuzz_$* for $(FUZZ_SECONDS) s"; \
	 $(FUZZ_BIN)/fuzz_$* $(FUZZ_FLAGS) -max_total_time=$(FUZZ_SECONDS) \
	    -artifact_prefix=build/fuzz-artifacts/$*/ build/fuzz-corpus/$* \
	    build/fuzz-corpus/seed/$* $$regress 2>build/fuzz-artifacts/$*/log || \
	    { tail -40 build/fuzz-artifacts/$*/log; exit 1; }; \
	 grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' build/fuzz-artifacts/$*/log | tail -2

fuzz-regress: fuzz-build
	@set -e; for t in $(FUZZ_ALL); do \
	    d=tests/fuzz/corpus-regress/$$t; [ -d $$d ] || continue; \
	    set -- $$d/*; [ -e "$$1" ] || continue; \
	    echo "== fuzz_$$t: $$# regression inputs"; \
	    $(FUZZ_BIN)/fuzz_$$t $(FUZZ_FLAGS) -runs=1 "$$@" >build/fuzz-regress-$$t.log 2>&1 || \
	        { tail -40 build/fuzz-regress-$$t.log; exit 1; }; \
	done
