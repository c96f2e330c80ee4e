# Host unit tests (cmocka) for the kernel's freestanding libraries.
#
# Included by the top-level Makefile (from the repo root); also usable alone:
#     make -f tests/unit/unit.mk unit-c
#
# Targets:
#   unit-c          build every test into $(BUILD)/unit/ and run them all;
#                   fails if any test fails
#   unit-build      build tests and fixtures without running
#   unit-fixtures   DTBs, ELF programs and cpio archives the tests read
#   unit-cross      compile the libraries with the kernel's cross flags
#
# To add a test: append its name to UNIT_TESTS and define <name>_SRCS (and, if it needs them,
# <name>_CFLAGS).

UNIT_MK_INCLUDED := 1
# Do not become the includer's default goal (restored at the end).
UNIT_SAVED_GOAL := $(.DEFAULT_GOAL)
UNIT_MK := $(lastword $(MAKEFILE_LIST))

BUILD ?= build
UNIT_DIR := $(BUILD)/unit
UNIT_FIXTURES := $(UNIT_DIR)/fixtures
UNIT_SRC := tests/unit

UNIT_CC ?= gcc
UNIT_CFLAGS ?= -std=c11 -Wall -Wextra -Werror -g -O1 \
	-fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
UNIT_CPPFLAGS := -Ikernel/include -I$(UNIT_SRC) \
	-DUNIT_FIXTURES='"$(UNIT_FIXTURES)"' -DOPENV_VERSION='"$(shell cat release/VERSION)"'
UNIT_LDLIBS := -lcmocka

UNIT_CROSS_CC ?= riscv64-linux-gnu-gcc
UNIT_CROSS_CFLAGS := -std=c11 -ffreestanding -fno-builtin -nostdlib \
	-mcmodel=medany -march=rv64imac_zicsr_zifencei -mabi=lp64 \
	-Wall -Wextra -Werror -O2 -Ikernel/include

# ---- Tests: name -> sources --------------------------------------------------

UNIT_TESTS := test_fdt test_elf test_shebang test_cpio test_kprintf test_vfs test_ext2 test_procfs

test_fdt_SRCS     := $(UNIT_SRC)/test_fdt.c kernel/lib/fdt.c
test_elf_SRCS     := $(UNIT_SRC)/test_elf.c kernel/lib/elf.c
test_shebang_SRCS := $(UNIT_SRC)/test_shebang.c kernel/lib/elf.c
test_cpio_SRCS    := $(UNIT_SRC)/test_cpio.c kernel/lib/cpio.c
test_kprintf_SRCS := $(UNIT_SRC)/test_kprintf.c kernel/lib/kprintf.c
UNIT_TESTS += test_bootargs
test_bootargs_SRCS := $(UNIT_SRC)/test_bootargs.c kernel/lib/bootargs.c
# The whole VFS in a host process: host_stubs.c stands in for the core's services.
test_vfs_SRCS     := $(UNIT_SRC)/fs/test_vfs.c $(UNIT_SRC)/fs/host_stubs.c \
	$(sort $(wildcard kernel/fs/*.c)) kernel/mm/filemap.c kernel/mm/writeback.c kernel/lib/cpio.c kernel/lib/kprintf.c \
	kernel/lib/mount_opts.c \
	$(sort $(wildcard kernel/fs/proc/*.c)) $(UNIT_SRC)/fs/proc_host_stubs.c \
	$(sort $(wildcard kernel/fs/sysfs/*.c)) $(UNIT_SRC)/fs/sysfs_host_stubs.c \
	kernel/lib/rtc_lib.c
test_vfs_CFLAGS   := -D_GNU_SOURCE -include $(UNIT_SRC)/fs/host_current.h
# procfs over the same VFS, with a fake process table (proc_host_stubs.c).
test_procfs_SRCS  := $(UNIT_SRC)/fs/test_procfs.c $(filter-out $(UNIT_SRC)/fs/test_vfs.c,$(test_vfs_SRCS))
test_procfs_CFLAGS := $(test_vfs_CFLAGS)
# sysfs over the same VFS, with fake interfaces and cpus (sysfs_host_stubs.c).
UNIT_TESTS += test_sysfs
test_sysfs_SRCS   := $(UNIT_SRC)/fs/test_sysfs.c $(filter-out $(UNIT_SRC)/fs/test_vfs.c,$(test_vfs_SRCS))
test_sysfs_CFLAGS := $(test_vfs_CFLAGS)
# The ext2 on-disk core over an in-memory device; images come from mke2fs at test time.
test_ext2_SRCS    := $(UNIT_SRC)/ext2/test_ext2.c $(UNIT_SRC)/ext2/ext2_host.c \
	kernel/fs/ext2/ext2_super.c kernel/fs/ext2/ext2_alloc.c kernel/fs/ext2/ext2_inode.c \
	kernel/fs/ext2/ext2_dir.c kernel/lib/kprintf.c
# The iso9660 core over an in-memory device; images come from genisoimage and cloud-localds at
# test time (isofs/mkimages.sh).
UNIT_TESTS        += test_isofs
ISOFS_CORE_SRCS   := kernel/fs/isofs/isofs_super.c kernel/fs/isofs/isofs_rock.c \
	kernel/fs/isofs/isofs_inode.c kernel/fs/isofs/isofs_dir.c kernel/lib/kprintf.c \
	kernel/lib/mount_opts.c kernel/lib/rtc_lib.c
test_isofs_SRCS   := $(UNIT_SRC)/isofs/test_isofs.c $(UNIT_SRC)/isofs/iso_host.c \
	$(UNIT_SRC)/rofs/memdev_host.c $(ISOFS_CORE_SRCS)
# The FAT core over an in-memory device; images from mkfs.vfat + mcopy and cloud-localds -f vfat
# at test time (fat/mkimages.sh).
UNIT_TESTS        += test_fat
FAT_CORE_SRCS     := kernel/fs/fat/fat_super.c kernel/fs/fat/fat_inode.c kernel/fs/fat/fat_dir.c \
	kernel/lib/kprintf.c kernel/lib/mount_opts.c kernel/lib/rtc_lib.c
test_fat_SRCS     := $(UNIT_SRC)/fat/test_fat.c $(UNIT_SRC)/fat/fat_host.c \
	$(UNIT_SRC)/rofs/memdev_host.c $(FAT_CORE_SRCS)
# The label probe behind /dev/disk/by-label, over the iso9660 and FAT cores; volumes from
# mke2fs, genisoimage, mkfs.vfat and cloud-localds at test time.
UNIT_TESTS        += test_fslabel
test_fslabel_SRCS := $(UNIT_SRC)/bylabel/test_fslabel.c $(UNIT_SRC)/rofs/memdev_host.c \
	kernel/fs/bylabel/fslabel.c \
	$(filter-out kernel/lib/%,$(ISOFS_CORE_SRCS) $(FAT_CORE_SRCS)) \
	$(sort $(filter kernel/lib/%,$(ISOFS_CORE_SRCS) $(FAT_CORE_SRCS)))
# Netlink message and attribute parsing/building (the rtnetlink request parser's base).
UNIT_TESTS        += test_nlattr
test_nlattr_SRCS  := $(UNIT_SRC)/test_nlattr.c kernel/net/netlink/nlattr.c \
	kernel/net/netlink/rtnl_parse.c

# The mount option walk shared by tmpfs, vfat and iso9660.
UNIT_TESTS        += test_mount_opts
test_mount_opts_SRCS := $(UNIT_SRC)/test_mount_opts.c kernel/lib/mount_opts.c

# The rate-limit decision behind printk_ratelimited.
UNIT_TESTS        += test_ratelimit
test_ratelimit_SRCS := $(UNIT_SRC)/test_ratelimit.c kernel/lib/ratelimit.c

# The RTC's calendar arithmetic against the host's gmtime/timegm.
UNIT_TESTS        += test_rtc_lib
test_rtc_lib_SRCS := $(UNIT_SRC)/test_rtc_lib.c kernel/lib/rtc_lib.c

# Who a wake-up reaches (exclusive and plain entries), the queue code over host stand-ins.
UNIT_TESTS        += test_waitqueue
test_waitqueue_SRCS := $(UNIT_SRC)/test_waitqueue.c kernel/kernel/waitqueue.c
test_waitqueue_CFLAGS := -include $(UNIT_SRC)/fs/host_current.h

# The Internet checksum lwIP uses, against its definition.
UNIT_TESTS        += test_inet_csum
test_inet_csum_SRCS := $(UNIT_SRC)/test_inet_csum.c kernel/lib/inet_csum.c

UNIT_LIB_SRCS := kernel/lib/fdt.c kernel/lib/elf.c kernel/lib/cpio.c kernel/lib/bootargs.c \
	kernel/lib/kprintf.c kernel/lib/ratelimit.c kernel/lib/rtc_lib.c kernel/lib/mount_opts.c \
	kernel/lib/inet_csum.c
UNIT_HEADERS := $(wildcard kernel/include/*.h kernel/include/uapi/*.h) $(UNIT_SRC)/test_util.h

UNIT_BINS := $(addprefix $(UNIT_DIR)/,$(UNIT_TESTS))

# One link rule per test, generated from the table above.
define unit_test_rule
$(UNIT_DIR)/$(1): $$($(1)_SRCS) $$(UNIT_HEADERS) | $(UNIT_DIR)
	$$(UNIT_CC) $$(UNIT_CFLAGS) $$($(1)_CFLAGS) $$(UNIT_CPPFLAGS) -o $$@ $$($(1)_SRCS) $$(UNIT_LDLIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_test_rule,$(t))))

# ---- Fixtures -------------------------------------------------------------------

UNIT_DTS := $(wildcard $(UNIT_SRC)/fixtures/*.dts)
UNIT_DTBS := $(patsubst $(UNIT_SRC)/fixtures/%.dts,$(UNIT_FIXTURES)/%.dtb,$(UNIT_DTS))
UNIT_ELFS := $(addprefix $(UNIT_FIXTURES)/,static.elf static-pie.elf dynamic.elf)
UNIT_CPIOS := $(addprefix $(UNIT_FIXTURES)/,tree.newc tree.crc)
UNIT_FIXTURE_FILES := $(UNIT_DTBS) $(UNIT_ELFS) $(UNIT_CPIOS)

$(UNIT_FIXTURES)/%.dtb: $(UNIT_SRC)/fixtures/%.dts | $(UNIT_FIXTURES)
	dtc -q -I dts -O dtb -o $@ $<

# The same program linked three ways; see fixtures/tiny.c.
UNIT_TINY := $(UNIT_SRC)/fixtures/tiny.c
UNIT_TINY_CFLAGS := -O2 -nostdlib -Wall -Werror
$(UNIT_FIXTURES)/static.elf: $(UNIT_TINY) $(UNIT_MK) | $(UNIT_FIXTURES)
	$(UNIT_CROSS_CC) $(UNIT_TINY_CFLAGS) -static -fno-pie -no-pie -o $@ $<
# What -static-pie means elsewhere; Debian's GCC 12 for riscv64 ignores
# -static-pie and would still ask for a dynamic linker.
$(UNIT_FIXTURES)/static-pie.elf: $(UNIT_TINY) $(UNIT_MK) | $(UNIT_FIXTURES)
	$(UNIT_CROSS_CC) $(UNIT_TINY_CFLAGS) -fPIE -pie \
		-Wl,--no-dynamic-linker -o $@ $<
$(UNIT_FIXTURES)/dynamic.elf: $(UNIT_TINY) $(UNIT_MK) | $(UNIT_FIXTURES)
	$(UNIT_CROSS_CC) $(UNIT_TINY_CFLAGS) -pie -fPIE -o $@ $<

# A small tree with every file type cpio -H newc can hold without root
# (devices need mknod; test_cpio crafts those headers itself).
UNIT_CPIO_TREE := $(UNIT_FIXTURES)/cpio-tree
$(UNIT_CPIO_TREE).stamp: $(UNIT_MK) | $(UNIT_FIXTURES)
	rm -rf $(UNIT_CPIO_TREE)
	mkdir -p $(UNIT_CPIO_TREE)/etc/init.d $(UNIT_CPIO_TREE)/bin \
		$(UNIT_CPIO_TREE)/empty-dir
	printf 'hello, initramfs\n' > $(UNIT_CPIO_TREE)/etc/motd
	printf '#!/bin/sh\necho hi\n' > $(UNIT_CPIO_TREE)/etc/init.d/rcS
	chmod 755 $(UNIT_CPIO_TREE)/etc/init.d/rcS
	: > $(UNIT_CPIO_TREE)/empty-file
	seq 1 1500 > $(UNIT_CPIO_TREE)/numbers.txt
	ln -s ../etc/motd $(UNIT_CPIO_TREE)/bin/motd-link
	mkfifo $(UNIT_CPIO_TREE)/fifo
	touch $@

$(UNIT_FIXTURES)/tree.%: $(UNIT_CPIO_TREE).stamp
	cd $(UNIT_CPIO_TREE) && find . | LC_ALL=C sort | \
		cpio --quiet -o -H $* > $(abspath $@)

$(UNIT_DIR) $(UNIT_FIXTURES):
	mkdir -p $@

# ---- Entry points ----------------------------------------------------------------

.PHONY: unit-c unit-build unit-fixtures unit-cross

unit-fixtures: $(UNIT_FIXTURE_FILES)

unit-build: $(UNIT_BINS) unit-fixtures

# Run every test even if one fails, then fail if any did.
unit-c: unit-build unit-cross
	@failed=""; \
	for t in $(UNIT_BINS); do \
		echo "== $$t"; \
		$$t || failed="$$failed $$(basename $$t)"; \
	done; \
	if [ -n "$$failed" ]; then echo "unit-c: FAILED:$$failed"; exit 1; fi; \
	echo "unit-c: all $(words $(UNIT_TESTS)) test programs passed"

# The kernel builds these files with its own rules; this only guards that
# they stay freestanding-clean under the kernel's flags.
UNIT_CROSS_OBJS := $(patsubst kernel/lib/%.c,$(UNIT_DIR)/cross/%.o,$(UNIT_LIB_SRCS))
$(UNIT_DIR)/cross/%.o: kernel/lib/%.c $(UNIT_HEADERS)
	@mkdir -p $(@D)
	$(UNIT_CROSS_CC) $(UNIT_CROSS_CFLAGS) -c -o $@ $<
unit-cross: $(UNIT_CROSS_OBJS)

.DEFAULT_GOAL := $(UNIT_SAVED_GOAL)
