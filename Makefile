# leadmesh: one non-recursive Makefile. Every folder is found by wildcard, so
# a new service, tool or test needs no edit here:
#   libmesh/src/*.c            -> $(BUILD)/libmesh.a
#   services/<s>/<s>.c + rest  -> $(BIN)/<s>      (rest also in liblogic.a)
#   tools/<t>/*.c              -> $(BIN)/<t>
#   tests/daemons/<d>.c        -> $(BUILD)/tests/daemons/<d>
#   tests/support/*.c          -> $(BUILD)/libtestsupport.a
#   tests/{unit,integration}/test_*.c -> one Check binary each

BUILD ?= build
BIN ?= bin
CC ?= cc

PKGS := libevent jansson hiredis libcurl libcrypto uuid
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

# -Wconversion is left out: it fires on every size_t/int boundary of the
# libevent, jansson and hiredis APIs. The codec, where byte arithmetic on
# untrusted input lives, checks its ranges explicitly and runs under UBSan
# and libFuzzer instead.
WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wvla -Wundef -Wcast-align \
	-Wwrite-strings
OPT ?= -O2 -g
SAN ?=
CFLAGS += -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(SAN) -MMD -MP \
	-Ilibmesh/include -Ilibmesh/src -Iservices $(PKG_CFLAGS)
# --as-needed: a daemon links only the shared libraries it uses (libcurl
# only where HTTP goes out).
LDFLAGS += $(SAN) -Wl,--as-needed
# http-parser (Debian's libhttp-parser-dev) has no pkg-config file.
LDLIBS += $(PKG_LIBS) -lm -lhttp_parser

LIB := $(BUILD)/libmesh.a
LIB_SRC := $(wildcard libmesh/src/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)

# A folder is a daemon once it has its main file; until then its pure logic
# still builds and is unit-tested.
SVC_DIRS := $(notdir $(patsubst %/,%,$(wildcard services/*/)))
SERVICES := $(foreach s,$(SVC_DIRS),$(if $(wildcard services/$(s)/$(s).c),$(s)))
SVC_BINS := $(SERVICES:%=$(BIN)/%)
LOGIC_SRC := $(filter-out $(foreach s,$(SVC_DIRS),services/$(s)/$(s).c), \
	$(wildcard services/*/*.c))
LOGIC := $(BUILD)/liblogic.a
LOGIC_OBJ := $(LOGIC_SRC:%.c=$(BUILD)/%.o)

TOOLS := $(notdir $(patsubst %/,%,$(wildcard tools/*/)))
TOOL_BINS := $(TOOLS:%=$(BIN)/%)

DAEMON_SRC := $(wildcard tests/daemons/*.c)
DAEMONS := $(DAEMON_SRC:%.c=$(BUILD)/%)
SUPPORT := $(BUILD)/libtestsupport.a
SUPPORT_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/support/*.c))
UNIT := $(patsubst %.c,$(BUILD)/%,$(wildcard tests/unit/test_*.c))
INTEG := $(patsubst %.c,$(BUILD)/%,$(wildcard tests/integration/test_*.c))
BENCH := $(patsubst %.c,$(BUILD)/%,$(wildcard bench/*.c))
FUZZ := $(patsubst tests/fuzz/%.c,build-fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))

.PHONY: all test unit integration asan deps lint format run seed clean \
	valgrind bench fuzz fuzz-smoke compose test-compose
.DEFAULT_GOAL := all
# Keep objects of test binaries: they are intermediate to make, not to us.
.SECONDARY:

all: $(LIB) $(SVC_BINS) $(TOOL_BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) -Itests/support -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(LOGIC): $(LOGIC_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(SUPPORT): $(SUPPORT_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

# A service binary: every .c in its folder plus libmesh.
.SECONDEXPANSION:
$(BIN)/%: $$(addprefix $(BUILD)/,$$(addsuffix .o,$$(basename \
		$$(wildcard services/$$*/*.c tools/$$*/*.c)))) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/daemons/%: $(BUILD)/tests/daemons/%.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(SUPPORT) $(LOGIC) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS)

$(BUILD)/tests/integration/%: $(BUILD)/tests/integration/%.o $(SUPPORT) \
		$(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS)

# The tests run against the binaries of this build: integration tests find
# daemons through MESH_TEST_BIN and MESH_TEST_DAEMONS.
test: all $(UNIT) $(INTEG) $(DAEMONS)
	MESH_TEST_BIN=$(abspath $(BIN)) \
	MESH_TEST_DAEMONS=$(abspath $(BUILD)/tests/daemons) \
	MESH_MANIFEST=$(abspath proto/mesh.json) \
	sh tests/run $(UNIT) $(INTEG)

unit: $(UNIT)
	sh tests/run $(UNIT)

ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer, in a
# build tree of their own so the two never mix objects.
asan:
	$(MAKE) -j2 BUILD=build-asan BIN=build-asan/bin OPT="-O1 -g" \
		SAN="$(ASAN_FLAGS)" test

# Benchmarks are never part of make test: they print ratios against
# baselines measured in the same run (bench/run).
bench: all $(BENCH) $(DAEMONS)
	BUILD=$(BUILD) sh bench/run

# libFuzzer targets: tests/fuzz/fuzz_<x>.c against the whole of libmesh,
# built with clang under ASan+UBSan in a tree of their own.
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Ilibmesh/include -Ilibmesh/src -Iservices \
	$(PKG_CFLAGS) -fsanitize=address,undefined -fno-omit-frame-pointer
FUZZ_SECONDS ?= 60

FUZZ_OBJ := $(LIB_SRC:%.c=build-fuzz/%.o) $(LOGIC_SRC:%.c=build-fuzz/%.o)

build-fuzz/%.o: %.c
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

build-fuzz/libfuzzdeps.a: $(FUZZ_OBJ)
	rm -f $@ && $(AR) rcs $@ $^

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c build-fuzz/libfuzzdeps.a
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

fuzz: $(FUZZ)

fuzz-smoke: $(FUZZ)
	bash tests/fuzz/smoke $(FUZZ_SECONDS) $(FUZZ)

valgrind: $(UNIT)
	MESH_VALGRIND=1 sh tests/run $(UNIT)

DEB_PKGS := build-essential pkg-config libevent-dev libjansson-dev \
	libhiredis-dev libcurl4-openssl-dev libssl-dev uuid-dev check \
	redis-server clang clang-format cppcheck valgrind curl libclang-rt-14-dev \
	docker.io docker-compose debootstrap debian-archive-keyring \
	libhttp-parser-dev nginx wrk redis-tools procps

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
	    grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: everything is installed"; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y --no-install-recommends $$missing; \
	else echo "deps: as root, run: apt-get install -y$$missing"; exit 1; fi

FORMAT_SRC = $(shell git ls-files '*.c' '*.h' 2>/dev/null)

lint:
	clang-format --dry-run --Werror $(FORMAT_SRC)
	cppcheck --quiet --error-exitcode=1 --std=c11 --inline-suppr \
		--enable=warning,performance,portability \
		--suppress=unknownMacro -Ilibmesh/include -Ilibmesh/src \
		$(FORMAT_SRC)

format:
	clang-format -i $(FORMAT_SRC)

# The whole platform in the foreground: a private Redis, every service that
# has a binary, the gateway on $(PORT) (8080). Ctrl-C stops all.
run: all
	exec $(BIN)/meshd

# With the platform running: the example comparable sales, so valuation
# answers on a fresh install.
seed: all
	$(BIN)/meshctl call comps import @examples/comps.json

# docker-compose.yml from proto/mesh.json; checked in, and
# test_compose_fresh fails when it is stale.
compose: $(BIN)/compose-gen
	$(BIN)/compose-gen -o docker-compose.yml

# The compose deployment for real (as root): dockerd, a local base image,
# build, up, lead round-trip, restart under load, redeploy, down -v.
test-compose: all
	bash tests/compose/run

clean:
	rm -rf build build-asan build-fuzz bin

-include $(shell find build build-asan -name '*.d' 2>/dev/null)
