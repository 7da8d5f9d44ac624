# SPDX-License-Identifier: MIT
# Build: make            -> build/tracer
#        make test       -> C unit tests + end-to-end tests (root)
#        make unit-ubsan -> the unit tests under clang's UndefinedBehaviorSanitizer
#        make bench      -> benchmarks (root), see BENCHMARKS.md
#        make deps       -> install the Debian 12 packages needed (root)
OUT      := build
CLANG    ?= clang
BPFTOOL  ?= bpftool
CC       ?= gcc
ARCH     := x86
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)

CFLAGS   ?= -O2 -g
CFLAGS   += -Wall -Wextra -Wno-unused-parameter -std=gnu11 -D_GNU_SOURCE \
            -Iinclude -Iuser -I$(OUT)
LDLIBS   := -lbpf -ldw -lelf -lz -lcapstone -lzip

BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Iinclude -I$(OUT) \
              -idirafter /usr/include/$(MULTIARCH) -Wall -Wno-unused-function

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
USER_SRCS := $(shell find user -name '*.c')
USER_OBJS := $(patsubst user/%.c,$(OUT)/user/%.o,$(USER_SRCS))
LIB_OBJS  := $(filter-out $(OUT)/user/main.o,$(USER_OBJS))
UNIT_SRCS := $(shell find tests/unit -name '*.c')
UNIT_OBJS := $(patsubst tests/unit/%.c,$(OUT)/unit/%.o,$(UNIT_SRCS))
HEADERS   := $(wildcard include/*.h) $(shell find user -name '*.h')

.PHONY: all clean test unit unit-ubsan e2e bench deps example
.SECONDARY:
all: $(OUT)/tracer

$(OUT)/vmlinux.h:
	@mkdir -p $(OUT)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(OUT)/%.bpf.o: bpf/%.bpf.c $(OUT)/vmlinux.h include/tracer.h $(wildcard bpf/*.h)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

$(OUT)/user/%.o: user/%.c $(HEADERS) $(SKELS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# the Python programs the tracer runs (embedded with .incbin)
$(OUT)/user/capture/py_sources.o: $(wildcard user/capture/py/*.py)

$(OUT)/tracer: $(USER_OBJS)
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUT)/unit/%.o: tests/unit/%.c $(HEADERS) tests/unit/unit.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -c $< -o $@

$(OUT)/unit-tests: $(UNIT_OBJS) $(LIB_OBJS)
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

unit: $(OUT)/unit-tests
	$(OUT)/unit-tests

# the unit tests again, built with UndefinedBehaviorSanitizer (any report
# aborts the test that caused it; clang's, which also checks arithmetic on
# NULL): UBSAN_TESTS selects tests by name
UBSAN      := $(OUT)/ubsan
UBSAN_CC   ?= $(CLANG)
UBSAN_FLAGS := -fsanitize=undefined -fno-sanitize-recover=undefined
$(UBSAN)/user/%.o: user/%.c $(HEADERS) $(SKELS)
	@mkdir -p $(UBSAN)/user
	$(UBSAN_CC) $(CFLAGS) $(UBSAN_FLAGS) -c $< -o $@

$(UBSAN)/unit/%.o: tests/unit/%.c $(HEADERS) tests/unit/unit.h
	@mkdir -p $(UBSAN)/unit
	$(UBSAN_CC) $(CFLAGS) $(UBSAN_FLAGS) -Itests/unit -c $< -o $@

# (not test_dwarf_params: it reads gcc's DWARF of its own binary)
$(UBSAN)/unit-tests: $(patsubst $(OUT)/%,$(UBSAN)/%,$(filter-out %/test_dwarf_params.o,$(UNIT_OBJS)) $(LIB_OBJS))
	$(UBSAN_CC) $(CFLAGS) $(UBSAN_FLAGS) $^ $(LDLIBS) -o $@

unit-ubsan: $(UBSAN)/unit-tests
	UBSAN_OPTIONS=print_stacktrace=1 $(UBSAN)/unit-tests $(UBSAN_TESTS)

e2e: $(OUT)/tracer
	cd tests/e2e && /usr/bin/python3 -m pytest -ra $(PYTEST_ARGS)

test: unit e2e

bench: $(OUT)/tracer
	/usr/bin/python3 tools/bench.py --write

# the main job on the bundled example: a summary and a timeline
example: $(OUT)/tracer
	$(OUT)/tracer -o - -o $(OUT)/demo.json -- /usr/bin/python3.11 tools/example/demo.py
	@echo "timeline: $(OUT)/demo.json (open it in https://ui.perfetto.dev)"

deps:
	tools/install-deps.sh

clean:
	rm -rf $(OUT)
