# The openv kernel. Included from the top-level Makefile (BUILD is set there; standalone:
# `make -f kernel/kernel.mk kernel`).
#
# Every .c and .S under the kernel source directories is compiled (found by wildcard, so new
# files need no edit here). The kernel is linked twice: the first link has an empty symbol
# table; its `nm` output becomes the table (.ksyms, placed after text and data so no function
# moves) that panic() uses to symbolize backtraces.

BUILD ?= build
KCROSS ?= riscv64-linux-gnu-
KCC := $(KCROSS)gcc
KNM := $(KCROSS)nm
KOBJCOPY := $(KCROSS)objcopy

KERNEL_OUT := $(BUILD)/kernel
KOBJDIR := $(KERNEL_OUT)/obj
KSRC_DIRS := kernel/arch kernel/mm kernel/kernel kernel/ipc kernel/fs kernel/drivers kernel/block kernel/lib \
	kernel/net
KSRCS := $(sort $(shell find $(KSRC_DIRS) -name '*.c' -o -name '*.S' 2>/dev/null))
KOBJS := $(patsubst %,$(KOBJDIR)/%.o,$(KSRCS))
KLDS := kernel/arch/riscv/kernel.ld

# lwIP (packages/lwip, staged by `make packages` at $(LWIP_SRC)) is compiled from the staged
# tree with our port (kernel/net/lwip: arch/cc.h, lwipopts.h); only the core, IPv4 and
# Ethernet files are used (the raw API, no lwIP threads or sockets). Its own code is not held
# to our warning set: -Wno-* below are for lwIP files only.
LWIP_SRC := $(BUILD)/pkg/lwip/src
LWIP_FILES := core/init.c core/def.c core/dns.c core/inet_chksum.c core/ip.c core/mem.c \
	core/memp.c core/netif.c core/pbuf.c core/raw.c core/stats.c core/sys.c core/tcp.c \
	core/tcp_in.c core/tcp_out.c core/timeouts.c core/udp.c core/ipv4/dhcp.c \
	core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/ip4.c core/ipv4/ip4_addr.c \
	core/ipv4/ip4_frag.c netif/ethernet.c
LWIP_OBJS := $(patsubst %,$(KOBJDIR)/lwip/%.o,$(LWIP_FILES))
LWIP_INCLUDES := -Ikernel/net/lwip -Ikernel/net/lwip/libc -I$(LWIP_SRC)/include
LWIP_WARN_OFF := -Wno-unused-parameter -Wno-sign-compare -Wno-address -Wno-type-limits \
	-Wno-missing-prototypes -Wno-redundant-decls
KOBJS += $(LWIP_OBJS)

$(KOBJDIR)/lwip/%.c.o: $(LWIP_SRC)/%.c | $(LWIP_SRC)/include/lwip/opt.h
	@mkdir -p $(dir $@)
	@echo "  CC      lwip/$*.c"
	@$(KCC) $(KCFLAGS) $(LWIP_INCLUDES) $(LWIP_WARN_OFF) -c $< -o $@

# The kernel's network code includes lwIP headers.
$(KOBJDIR)/kernel/net/%.c.o: KCFLAGS += $(LWIP_INCLUDES)
$(patsubst %,$(KOBJDIR)/%.o,$(filter kernel/net/%,$(KSRCS))): | $(LWIP_SRC)/include/lwip/opt.h

# A fresh tree: stage lwIP (only lwIP, not the other packages) before compiling against it.
$(addprefix $(LWIP_SRC)/,$(LWIP_FILES)): | $(LWIP_SRC)/include/lwip/opt.h ;
PKGTOOL ?= python3 packages/pkgtool.py
$(LWIP_SRC)/include/lwip/opt.h:
	@$(PKGTOOL) build lwip $(BUILD)/work $(BUILD)/pkg/lwip >/dev/null

KCFLAGS := -std=c11 -O2 -g -ffreestanding -fno-builtin -nostdlib -fno-common -fno-pie \
	-mcmodel=medany -march=rv64imac_zicsr_zifencei -mabi=lp64 -Wall -Wextra -Werror \
	-Wmissing-prototypes -Wredundant-decls \
	-Ikernel/include -Ikernel/arch/riscv/include -ffile-prefix-map=$(CURDIR)=. \
	-fno-omit-frame-pointer -fno-stack-protector -fno-tree-loop-distribute-patterns \
	-fno-asynchronous-unwind-tables -MMD -MP
KASFLAGS := -march=rv64imac_zicsr_zifencei -mabi=lp64 -Ikernel/include \
	-Ikernel/arch/riscv/include -D__ASSEMBLER__ -ffile-prefix-map=$(CURDIR)=. -MMD -MP
KLDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-T,$(KLDS) -Wl,--no-warn-rwx-segments

# The release version (release/VERSION) is in `uname -v` and /proc/version; only sys.c and
# procfs see it, and a new version rebuilds only them.
OPENV_VERSION := $(shell cat release/VERSION)
KVERSION_OBJS := $(KOBJDIR)/kernel/kernel/sys.c.o $(patsubst %,$(KOBJDIR)/%.o,$(filter kernel/fs/proc/%.c,$(KSRCS)))
$(KVERSION_OBJS): KCFLAGS += -DOPENV_VERSION='"$(OPENV_VERSION)"'
$(KVERSION_OBJS): release/VERSION

# SHA-256 with Zbb's rotates, used only when every hart has Zbb (kernel/lib/sha256_zbb.c).
$(KOBJDIR)/kernel/lib/sha256_zbb.c.o: KCFLAGS += -march=rv64imac_zicsr_zifencei_zbb

.PHONY: kernel syscalls-doc
kernel: $(KERNEL_OUT)/openv.elf $(KERNEL_OUT)/Image ## the kernel (build/kernel/openv.elf and Image)

$(KOBJDIR)/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(KCC) $(KCFLAGS) -c $< -o $@

$(KOBJDIR)/%.S.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(KCC) $(KASFLAGS) -c $< -o $@

# Pass 1: no symbols. Pass 2: the symbols of pass 1 (their addresses do not change).
$(KERNEL_OUT)/ksyms0.S: tools/gen-ksyms.sh
	@mkdir -p $(dir $@)
	tools/gen-ksyms.sh /dev/null > $@

$(KERNEL_OUT)/%.o: $(KERNEL_OUT)/%.S
	$(KCC) $(KASFLAGS) -c $< -o $@

$(KERNEL_OUT)/openv.pass1.elf: $(KOBJS) $(KERNEL_OUT)/ksyms0.o $(KLDS)
	$(KCC) $(KLDFLAGS) -o $@ $(KOBJS) $(KERNEL_OUT)/ksyms0.o

$(KERNEL_OUT)/ksyms.S: $(KERNEL_OUT)/openv.pass1.elf tools/gen-ksyms.sh
	$(KNM) -n --defined-only $< | tools/gen-ksyms.sh - > $@

$(KERNEL_OUT)/openv.elf: $(KOBJS) $(KERNEL_OUT)/ksyms.o $(KLDS)
	@echo "  LD      $@"
	@$(KCC) $(KLDFLAGS) -o $@ $(KOBJS) $(KERNEL_OUT)/ksyms.o
	@$(KNM) -n --defined-only $(KERNEL_OUT)/openv.pass1.elf | grep -i ' t ' > $(KERNEL_OUT)/.syms1
	@$(KNM) -n --defined-only $@ | grep -i ' t ' > $(KERNEL_OUT)/.syms2
	@cmp -s $(KERNEL_OUT)/.syms1 $(KERNEL_OUT)/.syms2 || { echo "kernel: text moved between links"; exit 1; }

$(KERNEL_OUT)/Image: $(KERNEL_OUT)/openv.elf
	$(KOBJCOPY) -O binary $< $@

syscalls-doc: ## docs/syscalls.md and the README's count, from kernel/include/syscalls.def
	$(or $(PYTHON),python3) tools/gen-syscalls-doc.py

-include $(KOBJS:.o=.d)
