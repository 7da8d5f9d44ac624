# SPDX-License-Identifier: MIT
# Build: make            -> build/tracer
#        make test       -> layer check, C unit tests, end-to-end tests (root)
#        make unit-ubsan -> the unit tests under clang's UndefinedBehaviorSanitizer
#        make bench      -> benchmarks (root), see BENCHMARKS.md
#        make deps       -> install the Debian 12 packages needed (root)
#        make install    -> PREFIX=/usr/local: binary, man page, completions
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

VERSION  := 0.2.0
COMMIT   := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD -- 2>/dev/null || echo -dirty)
PREFIX   ?= /usr/local
DESTDIR  ?=

.PHONY: all clean test check unit unit-ubsan e2e bench deps example install uninstall
.SECONDARY:
all: $(OUT)/tracer

$(OUT)/vmlinux.h:
	@mkdir -p $(OUT)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(OUT)/%.bpf.o: bpf/%.bpf.c $(OUT)/vmlinux.h $(wildcard include/*.h) $(wildcard bpf/*.h)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

$(OUT)/user/%.o: user/%.c $(HEADERS) $(SKELS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# the version and the commit built (tracer --version); rebuilt when HEAD moves
$(OUT)/user/main.o: CFLAGS += -DTRACER_VERSION='"$(VERSION)"' -DTRACER_COMMIT='"$(COMMIT)"'
# (a git worktree's .git is a file: ask git where its HEAD and index are)
GIT_DIR_ABS := $(shell git rev-parse --absolute-git-dir 2>/dev/null)
$(OUT)/user/main.o: $(if $(GIT_DIR_ABS),$(wildcard $(GIT_DIR_ABS)/HEAD $(GIT_DIR_ABS)/index))

# the Python programs the tracer runs (embedded with .incbin)
$(OUT)/user/capture/py_sources.o: $(wildcard user/capture/py/*.py)

$(OUT)/tracer: $(USER_OBJS)
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# per-program BPF load times (make bench's load table)
$(OUT)/bench-load-times: tools/bench/load_times.c $(SKELS)
	$(CC) $(CFLAGS) $< -lbpf -lelf -lz -o $@

$(OUT)/unit/%.o: tests/unit/%.c $(HEADERS) $(wildcard tests/unit/*.h)
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
	@mkdir -p $(dir $@)
	$(UBSAN_CC) $(CFLAGS) $(UBSAN_FLAGS) -c $< -o $@

$(UBSAN)/unit/%.o: tests/unit/%.c $(HEADERS) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(UBSAN_CC) $(CFLAGS) $(UBSAN_FLAGS) -Itests/unit -c $< -o $@

# (not test_dwarf_params: it reads gcc's DWARF of its own binary)
$(UBSAN)/unit-tests: $(patsubst $(OUT)/%,$(UBSAN)/%,$(filter-out %/test_dwarf_params.o,$(UNIT_OBJS)) $(LIB_OBJS))
	$(UBSAN_CC) $(CFLAGS) $(UBSAN_FLAGS) $^ $(LDLIBS) -o $@

unit-ubsan: $(UBSAN)/unit-tests
	UBSAN_OPTIONS=print_stacktrace=1 $(UBSAN)/unit-tests $(UBSAN_TESTS)

e2e: $(OUT)/tracer
	cd tests/e2e && /usr/bin/python3 -m pytest -ra --durations=25 $(PYTEST_ARGS)

# the layer rule of user/ (user/README.md), and its own test
check:
	/usr/bin/python3 tools/check-layers.py
	cd tests/tools && /usr/bin/python3 -m pytest -q -p no:cacheprovider

test: check unit e2e

bench: $(OUT)/tracer $(OUT)/bench-load-times
	/usr/bin/python3 tools/bench.py --write

# the main job on the bundled example: a summary and a timeline
example: $(OUT)/tracer
	$(OUT)/tracer -o - -o $(OUT)/demo.json -- /usr/bin/python3.11 tools/example/demo.py
	@echo "timeline: $(OUT)/demo.json (open it in https://ui.perfetto.dev)"

deps:
	tools/install-deps.sh

# make install [PREFIX=/usr/local] [DESTDIR=]: the binary, its man page,
# bash and zsh completion
install: $(OUT)/tracer
	install -D -m 0755 $(OUT)/tracer $(DESTDIR)$(PREFIX)/bin/tracer
	install -D -m 0644 docs/man/tracer.1 $(DESTDIR)$(PREFIX)/share/man/man1/tracer.1
	install -D -m 0644 tools/completion/tracer.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/tracer
	install -D -m 0644 tools/completion/_tracer $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_tracer

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/tracer $(DESTDIR)$(PREFIX)/share/man/man1/tracer.1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/tracer \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_tracer

clean:
	rm -rf $(OUT)

# one hour of `tracer -a` under process churn (root; not in CI): RSS, fds and
# probes flat, nothing lost, counts exact; writes the Soak section of BENCHMARKS.md
SOAK_SECONDS ?= 3600
.PHONY: soak
soak: $(OUT)/tracer
	/usr/bin/python3 tools/soak.py --seconds $(SOAK_SECONDS) --write

# ---- fuzzing (tests/fuzz/, docs/fuzzing.md): a libFuzzer harness per parser,
# built with Debian's clang and ASan+UBSan. `make fuzz-seeds` collects real
# inputs into $(FUZZ_DIR)/corpus/<target>/ (the recording needs root);
# `make fuzz FUZZ_SECONDS=N` runs every target N seconds and fails on a
# finding (the input is left as $(FUZZ_DIR)/<target>-crash-*, or -timeout-,
# -oom-, -leak-); inputs of past findings (tests/fuzz/regressions/) are in
# the seeds, so each run replays them first; logs in
# $(FUZZ_DIR)/<target>.log. `make fuzz-smoke`: 20 s each, for CI.
# FUZZ_OPTS: more libFuzzer options (e.g. -max_len=16384).
# FUZZ_CFLAGS_<file> adds flags to user/<file>.c's object (e.g. to leave out
# one check of a known finding while the rest is fuzzed: docs/fuzzing.md).
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR     ?= $(OUT)/fuzz
FUZZ_CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
                -fno-sanitize-recover=all -Wall -Wextra -Wno-unused-parameter -std=gnu11 \
                -D_GNU_SOURCE -Iinclude -Iuser -I$(OUT) -Itests/fuzz
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_TARGETS))
FUZZ_OBJS    := $(patsubst user/%.c,$(FUZZ_DIR)/obj/%.o,$(filter-out user/main.c,$(USER_SRCS)))

.PHONY: fuzz fuzz-build fuzz-seeds fuzz-smoke $(addprefix fuzz-run-,$(FUZZ_TARGETS))

$(FUZZ_DIR)/obj/%.o: user/%.c $(HEADERS) $(SKELS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_CFLAGS_$*) -fsanitize=fuzzer-no-link -c $< -o $@
$(FUZZ_DIR)/obj/capture/py_sources.o: $(wildcard user/capture/py/*.py)

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_OBJS) $(LDLIBS) -o $@

fuzz-build: $(FUZZ_BINS)

fuzz-seeds: $(OUT)/tracer
	/usr/bin/python3 tests/fuzz/seeds.py --tracer $(OUT)/tracer --out $(FUZZ_DIR)/corpus

# one target: its corpus grows in place; -close_fd_mask=3 keeps the
# parsers' messages out of the log (libFuzzer's and the sanitizers' stay)
$(addprefix fuzz-run-,$(FUZZ_TARGETS)): fuzz-run-%: $(FUZZ_DIR)/fuzz_%
	@mkdir -p $(FUZZ_DIR)/corpus/$*
	@echo "fuzz $*: $(FUZZ_SECONDS) s, log $(FUZZ_DIR)/$*.log"
	@$(FUZZ_DIR)/fuzz_$* -max_total_time=$(FUZZ_SECONDS) -close_fd_mask=3 -print_final_stats=1 $(FUZZ_OPTS) \
		-artifact_prefix=$(FUZZ_DIR)/$*- $(FUZZ_DIR)/corpus/$* > $(FUZZ_DIR)/$*.log 2>&1 \
		|| { tail -n 60 $(FUZZ_DIR)/$*.log; echo "fuzz $*: FINDING (input: $(FUZZ_DIR)/$*-{crash,timeout,oom,leak}-*)"; exit 1; }
	@grep -E '^#[0-9]+[[:space:]]+DONE' $(FUZZ_DIR)/$*.log | tail -n 1 | sed 's/^/fuzz $*: /'

fuzz: fuzz-seeds
	$(MAKE) $(addprefix fuzz-run-,$(FUZZ_TARGETS))

fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=20
