# image-preflight: will this container image start on this node?

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DESTDIR ?=
CC ?= cc
PKG_CONFIG ?= pkg-config
BUILD ?= build
# WERROR=1 turns warnings into errors (CI sets it).
WERROR ?= 1
# SANITIZE=1 builds with AddressSanitizer and UndefinedBehaviorSanitizer.
SANITIZE ?= 0
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

LIBS := libcurl jansson libarchive libssl libcrypto yaml-0.1 zlib libzstd
TEST_LIBS := cmocka

WARNINGS := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wvla -Wno-unused-parameter
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=gnu11 -pthread $(CFLAGS) $(WARNINGS) -D_GNU_SOURCE \
	-DPREFLIGHT_VERSION='"$(VERSION)"' -I.
ifeq ($(WERROR),1)
ALL_CFLAGS += -Werror
endif
ifeq ($(SANITIZE),1)
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
ALL_LDFLAGS += -fsanitize=address,undefined
endif

# Fail early, and clearly, when a library is missing.
PKG_MISSING := $(strip $(foreach l,$(LIBS),$(if $(shell $(PKG_CONFIG) --exists $(l) \
	&& echo ok),,$(l))))
ifneq ($(PKG_MISSING),)
ifeq ($(filter clean check-style,$(MAKECMDGOALS)),)
$(error missing libraries: $(PKG_MISSING); install their -dev packages \
	(sh tests/deps.sh does))
endif
endif
ALL_CFLAGS += $(shell $(PKG_CONFIG) --cflags $(LIBS) 2>/dev/null)
LDLIBS := $(shell $(PKG_CONFIG) --libs $(LIBS) 2>/dev/null) -pthread
# --version names the libyaml it was built with; its header does not.
$(BUILD)/preflight/version.o: ALL_CFLAGS += -DPREFLIGHT_YAML_BUILT='"$(shell \
	$(PKG_CONFIG) --modversion yaml-0.1 2>/dev/null)"'

LIB_SRCS := $(filter-out preflight/main.c,$(wildcard preflight/*.c)) \
	$(wildcard platform/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all check unit cli check-style install clean demo cross bench

all: $(BUILD)/image-preflight

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libpreflight.a: $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/image-preflight: $(BUILD)/preflight/main.o $(BUILD)/libpreflight.a
	$(CC) $(ALL_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libpreflight.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(shell $(PKG_CONFIG) --cflags $(TEST_LIBS)) \
		$(ALL_LDFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libpreflight.a \
		$(LDLIBS) $(shell $(PKG_CONFIG) --libs $(TEST_LIBS))

# Unit tests (cmocka) with the binary and library of $(BUILD).
unit: $(UNIT_BINS)
	@sh tests/run-unit.sh $(UNIT_BINS)

# CLI tests (bats) against a real registry on 127.0.0.1.
cli: $(BUILD)/image-preflight
	@PREFLIGHT=$(CURDIR)/$(BUILD)/image-preflight sh tests/run-cli.sh

# Everything, under ASan and UBSan (replay: tests/fuzz/fuzz.mk).
check:
	$(MAKE) BUILD=build/san SANITIZE=1 all unit replay cli

check-style:
	@sh tests/check-style.sh

# make cross-arm64 (armhf, ppc64el, s390x, riscv64): a cross build in
# build/cross/ARCH/, toolchain and libraries set up by tests/cross.sh;
# make cross: all of them.
cross:
	@sh tests/cross.sh
cross-%:
	@sh tests/cross.sh $*

demo: all
	@sh tests/demo/run.sh $(BUILD)/image-preflight

# The benchmark (not part of check): bytes, requests, round trips, time
# and memory of image-preflight and of skopeo, side by side, on images in
# a registry of its own; an optimised build without sanitizers, so that
# time and memory are the real ones. Tables in build/bench-report.md.
bench:
	$(MAKE) BUILD=build/bench SANITIZE=0 all
	@bash tests/bench/run.sh build/bench/image-preflight \
		build/bench-report.md

# install, uninstall and the packages: packaging/
include packaging/install.mk
# replay, fuzz, fuzz-long and valgrind
include tests/fuzz/fuzz.mk

clean:
	rm -rf build

-include $(LIB_OBJS:.o=.d) $(BUILD)/preflight/main.d \
	$(BUILD)/tests/fuzz/fuzz.d $(BUILD)/tests/fuzz/replay.d
