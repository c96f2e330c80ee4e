# tests/guest/guest.mk - guest test programs (static riscv64 musl binaries).
# Included from the top-level Makefile; paths are relative to the repo root.
#
#   make guest-tests        build $(BUILD)/guest/<name> for every tests/guest/*.c,
#                           plus $(BUILD)/guest/run-all.sh for the initramfs
#   make guest-tests-host   run them all under qemu-user on this host; fails on
#                           any FAIL (checks qemu-user cannot do print SKIP)

BUILD ?= build
MUSL_CC ?= build/toolchain/bin/riscv64-linux-musl-gcc
QEMU_USER ?= qemu-riscv64-static
GUEST_CFLAGS ?= -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -static

GUEST_SRC_DIR := tests/guest
GUEST_OUT_DIR := $(BUILD)/guest
# Every .c file is one self-contained test program; check.h is shared.
GUEST_TESTS := $(sort $(basename $(notdir $(wildcard $(GUEST_SRC_DIR)/*.c))))
GUEST_BINS := $(addprefix $(GUEST_OUT_DIR)/,$(GUEST_TESTS))

.PHONY: guest-tests guest-tests-host

guest-tests: $(GUEST_BINS) $(GUEST_OUT_DIR)/run-all.sh

$(GUEST_BINS): $(GUEST_OUT_DIR)/%: $(GUEST_SRC_DIR)/%.c $(GUEST_SRC_DIR)/check.h
	@mkdir -p $(@D)
	$(MUSL_CC) $(GUEST_CFLAGS) -o $@ $<

$(GUEST_OUT_DIR)/run-all.sh: $(GUEST_SRC_DIR)/run-all.sh
	@mkdir -p $(@D)
	cp $< $@
	chmod +x $@

# OPENV_UNDER_QEMU_USER makes the tests SKIP what qemu-user cannot do
# (execve of a guest binary, vfork memory sharing, a few EFAULT paths).
guest-tests-host: guest-tests
	OPENV_UNDER_QEMU_USER=1 OPENV_TEST_WRAPPER=$(QEMU_USER) \
	    sh $(GUEST_OUT_DIR)/run-all.sh $(abspath $(GUEST_OUT_DIR))
