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
CKPT_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wno-unused-parameter \
              -I$(BUILD)/gen -Isrc $(SAN)
LDLIBS  = -lprotobuf-c -lsnappy -lcjson -lm
VERSION = 0.1.0

PROTOS    = $(wildcard proto/*.proto)
PROTO_C   = $(PROTOS:proto/%.proto=$(BUILD)/gen/%.pb-c.c)
PROTO_H   = $(PROTO_C:.c=.h)
LIB_SRC   = $(filter-out src/main.c src/cli.c src/cmd_%.c,$(wildcard src/*.c))
CMD_SRC   = src/main.c src/cli.c $(wildcard src/cmd_*.c)
LIB_OBJ   = $(LIB_SRC:src/%.c=$(BUILD)/%.o) $(PROTO_C:.c=.o)
CMD_OBJ   = $(CMD_SRC:src/%.c=$(BUILD)/%.o)
UNIT_SRC  = $(wildcard tests/unit/test_*.c)
UNIT_BIN  = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC  = $(wildcard tests/tools/*.c)
TOOL_BIN  = $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/%)

.PHONY: all check check-unit check-san sample quickstart deps install uninstall clean
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

$(BUILD)/%.o: src/%.c $(PROTO_H) $(wildcard src/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(CKPT_CFLAGS) -DCKPT_VERSION='"$(VERSION)"' -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c tests/unit/tap.h $(BUILD)/libckpt.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(CKPT_CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libckpt.a $(LDLIBS)

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

check: ckpt $(UNIT_BIN) $(TOOL_BIN) $(BUILD)/tests/leveldb_keys
	CKPT=$(CURDIR)/$(BUILD)/ckpt TESTBIN=$(CURDIR)/$(BUILD)/tests prove -f $(PROVEFLAGS) \
	    $(UNIT_BIN) tests/*.t

check-unit: $(UNIT_BIN)
	prove -f $(UNIT_BIN)

# The whole suite again under AddressSanitizer and UndefinedBehaviorSanitizer.
check-san:
	ASAN_OPTIONS=detect_leaks=1 $(MAKE) --no-print-directory BUILD=build/san OPT="-O1 -g" \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" check

deps:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    gcc g++ make pkg-config protobuf-c-compiler libprotobuf-c-dev libsnappy-dev \
	    libcjson-dev libleveldb-dev perl mandoc >/dev/null

install: ckpt
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 ckpt $(DESTDIR)$(PREFIX)/bin/ckpt
	install -m 644 man/ckpt.1 $(DESTDIR)$(PREFIX)/share/man/man1/ckpt.1
	install -m 644 completion/ckpt.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/ckpt

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/ckpt $(DESTDIR)$(PREFIX)/share/man/man1/ckpt.1 \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions/ckpt

clean:
	rm -rf build ckpt sample

.SECONDARY:
