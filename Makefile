# omr-steer — one entry point: all, deps, test, demo, bench, install, vmlinux, clean
#
#   make            build ./build/omr-steer (installs missing build packages)
#   make test       build and run every test; ends with "N passed, N failed"
#   make demo       build a lab network, run the agent in it, show stats
#   make bench      the benchmarks (ratios measured side by side in one run)
#   make san        ASan+UBSan (clang) builds in build-asan/: the agent, the
#                   unit and BPF tests, the libFuzzer targets (make test runs them)
#   make fuzz       each libFuzzer target of tests/fuzz for FUZZ_TIME s (60)
#   make vmtest     tests in a qemu VM with the test kernel (VM_KERNEL, VM_TESTS, VM_ACCEL)
#   make install    PREFIX=/usr/local DESTDIR=
#   make vmlinux    regenerate vmlinux/<arch>/vmlinux.h from the running kernel
#   V=1             show the commands
#   CLANG=clang-16  another clang (default: the newest, scripts/clang.sh)

VERSION   := 0.1.0
PREFIX    ?= /usr/local
DESTDIR   ?=
SBINDIR   ?= $(PREFIX)/sbin
MANDIR    ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR   ?= /lib/systemd/system

BUILD     ?= build
ARCH      ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' \
			-e 's/arm.*/arm/' -e 's/mips.*/mips/' -e 's/riscv64/riscv/')
# the newest clang installed (scripts/clang.sh: clang-19, 18, 17, 16, clang),
# for BPF and the sanitizer build; CLANG=clang-16 picks another
CLANG     ?= $(shell scripts/clang.sh)
BPFTOOL   ?= $(shell command -v bpftool || echo /usr/sbin/bpftool)
LLVM_STRIP ?= $(shell CLANG='$(CLANG)' scripts/clang.sh --strip)
CC        ?= gcc

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

WARN      := -Wall -Wextra -Werror
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) $(WARN) \
	      -Ivmlinux/$(ARCH) -Iinclude -Ibpf
CFLAGS    ?= -O2 -g
override CFLAGS += $(WARN) -std=gnu11 -D_GNU_SOURCE -DOMR_VERSION='"$(VERSION)"' \
	     -Iinclude -Isrc -I$(BUILD) $(shell pkg-config --cflags libmnl 2>/dev/null)
LDLIBS    := -lbpf -lelf -lz $(shell pkg-config --libs libmnl 2>/dev/null || echo -lmnl)

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
BPF_HDRS  := $(wildcard bpf/lib/*.h bpf/*.h include/*.h)

SRCS      := $(wildcard src/*.c)
OBJS      := $(patsubst src/%.c,$(BUILD)/src/%.o,$(SRCS))
LIB_OBJS  := $(filter-out $(BUILD)/src/main.o,$(OBJS))
HDRS      := $(wildcard src/*.h include/*.h)

UNIT_SRCS := $(wildcard tests/unit/*.c)
BPFT_SRCS := $(wildcard tests/bpf/*.c)
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOLS     := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRCS))

.DELETE_ON_ERROR:
.SECONDARY: $(BPF_OBJS)
.PHONY: FORCE all deps deps-build deps-test test demo bench install uninstall vmlinux clean san fuzz vmtest

all: deps-build $(BUILD)/omr-steer

deps:
	$(Q)scripts/deps.sh all
deps-build:
	$(Q)scripts/deps.sh build
deps-test:
	$(Q)scripts/deps.sh test

# the compilers a build folder was made with: another CLANG or CC (a newer
# clang installed, CLANG=clang-16) rebuilds the objects instead of mixing them
$(BUILD)/compilers: FORCE | $(BUILD)
	$(Q)echo '$(CLANG) $(CC)' | cmp -s - $@ || echo '$(CLANG) $(CC)' > $@
FORCE:

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(BUILD)/compilers | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@	# DWARF only: BTF stays for CO-RE

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

$(BUILD)/src/%.o: src/%.c $(HDRS) $(SKELS) $(BUILD)/compilers | $(BUILD)/src
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/omr-steer: $(OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/test_unit: $(UNIT_SRCS) $(LIB_OBJS) tests/unit/test.h $(HDRS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $(UNIT_SRCS) $(LIB_OBJS) $(LDLIBS) -lm -o $@

$(BUILD)/test_bpf: $(BPFT_SRCS) $(LIB_OBJS) $(SKELS) tests/unit/test.h $(wildcard tests/bpf/*.h) $(HDRS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -Itests/bpf $(BPFT_SRCS) tests/unit/test_main.c $(LIB_OBJS) $(LDLIBS) -o $@

$(BUILD)/tools/%: tests/tools/%.c | $(BUILD)/tools
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@ -lpthread

# test tools that drive a src/ module directly
$(BUILD)/tools/mptcp_ctl: tests/tools/mptcp_ctl.c $(addprefix $(BUILD)/src/,mptcp.o mptcp_probe.o \
			  mptcp_pm.o mptcp_sched.o nl.o pinned.o log.o sysctl.o) | $(BUILD)/tools
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@
$(BUILD)/tools/xmit_churn $(BUILD)/tools/xmit_count: $(BUILD)/tools/%: tests/tools/%.c $(BUILD)/steer.skel.h | $(BUILD)/tools
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LDLIBS) -o $@
$(BUILD)/tools/probe_run: tests/tools/probe_run.c $(BUILD)/src/probe.o $(BUILD)/src/health.o | $(BUILD)/tools
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@

$(BUILD) $(BUILD)/src $(BUILD)/tools $(BUILD)/fuzz:
	$(Q)mkdir -p $@

# ASan+UBSan: the same sources built by $(CLANG) into build-asan/ (a make of
# its own with BUILD, CC and CFLAGS set); the objects carry libFuzzer's
# coverage (fuzzer-no-link), so the fuzz targets link against them too.
# Reports are recoverable: tests/run collects and counts them (log_path).
SAN_BUILD  := build-asan
SAN_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	      -fsanitize-recover=all -fsanitize=fuzzer-no-link
FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_TIME  ?= 60

# a fuzz target: tests/fuzz/fuzz_NAME.c (LLVMFuzzerTestOneInput) and its seeds
# in tests/fuzz/corpus/NAME/
$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_OBJS) | $(BUILD)/fuzz
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -fsanitize=fuzzer $< $(LIB_OBJS) $(LDLIBS) -o $@

# its own jobs (one per CPU) unless this make already runs parallel (-j)
san: deps-test
	$(Q)$(MAKE) --no-print-directory $(if $(filter -j%,$(MAKEFLAGS)),,-j$(shell nproc)) \
		BUILD=$(SAN_BUILD) CC=$(CLANG) CFLAGS='$(SAN_CFLAGS)' \
		$(SAN_BUILD)/omr-steer $(SAN_BUILD)/test_unit $(SAN_BUILD)/test_bpf \
		$(patsubst tests/fuzz/%.c,$(SAN_BUILD)/fuzz/%,$(FUZZ_SRCS))

fuzz: san
	$(Q)FUZZ_CORPUS=$(SAN_BUILD)/fuzz/corpus tests/fuzz/run $(FUZZ_TIME)

test: deps-test $(BUILD)/omr-steer $(BUILD)/test_unit $(BUILD)/test_bpf $(TOOLS) san
	$(Q)tests/run

# VM_TESTS="tests/vm/test_x.sh tests/net/test_y.sh" (default: tests/vm/test_*.sh)
vmtest: deps-test $(BUILD)/omr-steer $(BUILD)/test_unit $(BUILD)/test_bpf $(TOOLS)
	$(Q)scripts/vm/run

demo: deps-test $(BUILD)/omr-steer $(TOOLS)
	$(Q)scripts/demo.sh

bench: deps-test $(BUILD)/omr-steer $(BUILD)/test_bpf $(TOOLS)
	$(Q)scripts/bench/run

vmlinux:
	$(call msg,GEN,vmlinux/$(ARCH)/vmlinux.h)
	$(Q)mkdir -p vmlinux/$(ARCH)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(ARCH)/vmlinux.h

install: all
	install -D -m 0755 $(BUILD)/omr-steer $(DESTDIR)$(SBINDIR)/omr-steer
	install -D -m 0644 scripts/boot/omr-steer.8 $(DESTDIR)$(MANDIR)/man8/omr-steer.8
	install -D -m 0644 scripts/boot/omr-steer.service $(DESTDIR)$(UNITDIR)/omr-steer.service
	sed -i 's|@SBINDIR@|$(SBINDIR)|g' $(DESTDIR)$(UNITDIR)/omr-steer.service
	test -e $(DESTDIR)$(SYSCONFDIR)/omr-steer.conf || \
		install -D -m 0644 scripts/boot/omr-steer.conf $(DESTDIR)$(SYSCONFDIR)/omr-steer.conf

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/omr-steer $(DESTDIR)$(MANDIR)/man8/omr-steer.8 \
	      $(DESTDIR)$(UNITDIR)/omr-steer.service

clean:
	rm -rf $(BUILD) $(SAN_BUILD)
