# tests/bench/bench.mk - microbenchmarks (static riscv64 musl binaries).
# Included from the top-level Makefile; paths are relative to the repo root.
#
#   make bench-progs   build $(BUILD)/bench/openv-bench and $(BUILD)/bench/hello
#   make bench-host    run them under qemu-user on this host (sanity check;
#                      numbers are qemu-user's, not our kernel's)
#
# In the guest: /path/openv-bench [-t SECONDS] [NAME...]; it finds "hello"
# next to itself. Output lines: "BENCH <name> <value> <unit>".

BUILD ?= build
MUSL_CC ?= build/toolchain/bin/riscv64-linux-musl-gcc
QEMU_USER ?= qemu-riscv64-static
BENCH_CFLAGS ?= -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -static

BENCH_SRC_DIR := tests/bench
BENCH_OUT_DIR := $(BUILD)/bench
BENCH_PROGS := openv-bench hello fsbench
BENCH_BINS := $(addprefix $(BENCH_OUT_DIR)/,$(BENCH_PROGS))

.PHONY: bench-progs bench-host

bench-progs: $(BENCH_BINS)

$(BENCH_BINS): $(BENCH_OUT_DIR)/%: $(BENCH_SRC_DIR)/%.c
	@mkdir -p $(@D)
	$(MUSL_CC) $(BENCH_CFLAGS) -o $@ $<

# Under qemu-user, fork_exec prints SKIP (qemu-user cannot execve a guest
# binary) and sh_true execs the host's /bin/sh, so its number means nothing.
bench-host: bench-progs
	$(QEMU_USER) $(BENCH_OUT_DIR)/openv-bench
