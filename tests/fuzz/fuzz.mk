# Fuzzing and valgrind. Included by the Makefile, which sets BUILD, CC,
# ALL_CFLAGS, ALL_LDFLAGS and LDLIBS.
#
#   make replay      every corpus (tests/fuzz/corpus/NAME/) through its
#                    target, built without libFuzzer with $(BUILD)'s
#                    flags; `make check` runs it under the sanitizers
#   make fuzz        each target under libFuzzer for FUZZ_SECONDS
#   make fuzz-long   each target for FUZZ_RUNS inputs
#   make valgrind    the unit and CLI tests under valgrind
#
# FUZZ_TARGETS="elf toml" limits fuzz and fuzz-long to some targets.

# clang with its libFuzzer runtime (Debian: clang and libclang-rt-dev).
FUZZ_CC ?= clang
FUZZ_BUILD ?= build/fuzz
FUZZ_SECONDS ?= 30
FUZZ_RUNS ?= 1000000
# Where the libFuzzer binaries' new inputs and crash files go.
FUZZ_WORK ?= $(FUZZ_BUILD)/work
# Non-sanitizer build the valgrind run uses.
VALGRIND_BUILD ?= build/vg
# FUZZER=1 builds every object for libFuzzer (set by make fuzz).
FUZZER ?= 0

FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZ_COMMON := $(BUILD)/tests/fuzz/fuzz.o $(BUILD)/libpreflight.a
REPLAY_BINS := $(FUZZ_NAMES:%=$(BUILD)/fuzz/replay_%)
FUZZ_BINS := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)

ifeq ($(FUZZER),1)
ALL_CFLAGS += -fsanitize=fuzzer-no-link,address,undefined \
	-fno-omit-frame-pointer -fno-sanitize-recover=undefined
ALL_LDFLAGS += -fsanitize=fuzzer,address,undefined
endif

.PHONY: replay fuzz fuzz-long fuzz-build valgrind

$(BUILD)/fuzz/replay_%: tests/fuzz/fuzz_%.c $(BUILD)/tests/fuzz/replay.o \
		$(FUZZ_COMMON)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_COMMON)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

replay: $(REPLAY_BINS)
	@sh tests/fuzz/replay.sh $(BUILD)/fuzz $(FUZZ_NAMES)

fuzz-build: $(FUZZ_BINS)

fuzz-check-cc:
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || { echo "fuzz: error:" \
		"'$(FUZZ_CC)' is missing (apt-get install clang" \
		"libclang-rt-dev)" >&2; exit 1; }

fuzz: fuzz-check-cc
	@$(MAKE) -s BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) FUZZER=1 SANITIZE=0 \
		FUZZ_TARGETS="$(FUZZ_TARGETS)" fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_BUILD)/fuzz $(FUZZ_WORK) \
		-max_total_time=$(FUZZ_SECONDS) -- $(FUZZ_TARGETS)

fuzz-long: fuzz-check-cc
	@$(MAKE) -s BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) FUZZER=1 SANITIZE=0 \
		FUZZ_TARGETS="$(FUZZ_TARGETS)" fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_BUILD)/fuzz $(FUZZ_WORK) \
		-runs=$(FUZZ_RUNS) -- $(FUZZ_TARGETS)

valgrind:
	@command -v valgrind >/dev/null 2>&1 || { echo "valgrind: error:" \
		"valgrind is missing (apt-get install valgrind)" >&2; exit 1; }
	@$(MAKE) -s BUILD=$(VALGRIND_BUILD) SANITIZE=0 FUZZER=0 all \
		$(UNIT_SRCS:tests/unit/%.c=$(VALGRIND_BUILD)/tests/%)
	@sh tests/valgrind.sh $(VALGRIND_BUILD)
