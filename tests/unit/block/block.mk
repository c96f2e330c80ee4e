# Host unit tests (cmocka) for the block layer: GPT, CRC32 and the buffer cache.
#
# Included by the top-level Makefile (from the repo root); also usable alone:
#     make -f tests/unit/block/block.mk unit-block
#
# Targets:
#   unit-block          build every test into $(BUILD)/unit/block/ and run them all;
#                       fails if any test fails
#   unit-block-build    build tests and fixtures without running
#   unit-block-cross    compile the freestanding libraries with the kernel's cross flags
#
# Fixture disk images are made with sgdisk (the tool image/mkimage.py uses), sparse.

# Do not become the includer's default goal (restored at the end).
BLOCK_SAVED_GOAL := $(.DEFAULT_GOAL)
BLOCK_MK := $(lastword $(MAKEFILE_LIST))

BUILD ?= build
BLOCK_DIR := $(BUILD)/unit/block
BLOCK_FIXTURES := $(BLOCK_DIR)/fixtures
BLOCK_SRC := tests/unit/block

BLOCK_CC ?= gcc
BLOCK_CFLAGS ?= -std=c11 -Wall -Wextra -Werror -g -O1 \
	-fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
BLOCK_CPPFLAGS := -Ikernel/include -Itests/unit -I$(BLOCK_SRC) \
	-DUNIT_FIXTURES='"$(BLOCK_FIXTURES)"'
BLOCK_LDLIBS := -lcmocka

BLOCK_CROSS_CC ?= riscv64-linux-gnu-gcc
BLOCK_CROSS_CFLAGS := -std=c11 -ffreestanding -fno-builtin -nostdlib \
	-mcmodel=medany -march=rv64imac_zicsr_zifencei -mabi=lp64 \
	-Wall -Wextra -Werror -O2 -Ikernel/include -Ikernel/arch/riscv/include

# ---- Tests: name -> sources ----------------------------------------------------

BLOCK_TESTS := test_gpt test_bcache test_verity

test_gpt_SRCS := $(BLOCK_SRC)/test_gpt.c kernel/lib/gpt.c kernel/lib/crc32.c
# The block layer proper, on a RAM disk, with the kernel services it uses stubbed.
test_bcache_SRCS := $(BLOCK_SRC)/test_bcache.c $(BLOCK_SRC)/kstubs.c tests/unit/log_host.c \
	kernel/block/blkdev.c kernel/block/bcache.c kernel/block/partition.c \
	kernel/lib/gpt.c kernel/lib/crc32.c kernel/lib/kprintf.c

# dm-verity: SHA-256, the verity target's arguments and tree check, dm-mod.create=.
test_verity_SRCS := $(BLOCK_SRC)/test_verity.c kernel/lib/sha256.c kernel/lib/sha256_zbb.c \
	kernel/lib/verity.c \
	kernel/lib/dm_table.c

BLOCK_HEADERS := $(wildcard kernel/include/*.h) $(wildcard $(BLOCK_SRC)/*.h) \
	tests/unit/test_util.h tests/unit/log_host.h $(wildcard kernel/block/*.h)
BLOCK_BINS := $(addprefix $(BLOCK_DIR)/,$(BLOCK_TESTS))

define block_test_rule
$(BLOCK_DIR)/$(1): $$($(1)_SRCS) $$(BLOCK_HEADERS) | $(BLOCK_DIR)
	$$(BLOCK_CC) $$(BLOCK_CFLAGS) $$(BLOCK_CPPFLAGS) -o $$@ $$($(1)_SRCS) $$(BLOCK_LDLIBS)
endef
$(foreach t,$(BLOCK_TESTS),$(eval $(call block_test_rule,$(t))))

# ---- Fixtures -------------------------------------------------------------------

BLOCK_SGDISK := sgdisk
BLOCK_FIXTURE_FILES := $(addprefix $(BLOCK_FIXTURES)/,gpt-openv.img gpt-small.img gpt-many.img \
	gpt-tiny.img verity-data.img verity1-data.img)

# dm-verity trees made by `veritysetup format` (cryptsetup-bin), the reference writer: 300
# data blocks (two levels: one top block, three leaves; block 1 all zero) and a single block
# (no tree). <name>-hash.img, <name>-root.txt and <name>-salt.txt come with each.
BLOCK_VERITYSETUP := $(or $(shell command -v veritysetup),/usr/sbin/veritysetup)
BLOCK_VERITY_SALT := 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
$(BLOCK_FIXTURES)/verity-data.img $(BLOCK_FIXTURES)/verity1-data.img: $(BLOCK_MK) | $(BLOCK_FIXTURES)
	python3 -c 'import sys; n = int(sys.argv[1]); sys.stdout.buffer.write(b"".join( \
		(bytes(4096) if i == 1 else (bytes([i & 255, i >> 8, 7]) * 1366)[:4096]) \
		for i in range(n)))' $(if $(findstring verity1,$@),1,300) > $@.tmp
	$(BLOCK_VERITYSETUP) format --salt=$(BLOCK_VERITY_SALT) \
		--uuid=6f70656e-7600-4000-8000-0000000000f4 $@.tmp $(@:-data.img=-hash.img) \
		| awk '/^Root hash:/ { print $$3 }' > $(@:-data.img=-root.txt)
	test -s $(@:-data.img=-root.txt)
	echo $(BLOCK_VERITY_SALT) > $(@:-data.img=-salt.txt)
	mv $@.tmp $@

# image/mkimage.py's layout: 1 MiB gap, boot 16, root 48, root-verity 4, data 256 MiB, 1 MiB.
$(BLOCK_FIXTURES)/gpt-openv.img: $(BLOCK_MK) | $(BLOCK_FIXTURES)
	rm -f $@.tmp && truncate -s 326M $@.tmp
	$(BLOCK_SGDISK) -Z -U 6f70656e-7600-4000-8000-000000000000 \
		-n1:2048:34815 -t1:bc13c2ff-59e6-4262-a352-b275fd6f7172 \
		-u1:6f70656e-7600-4000-8000-000000000001 -c1:boot \
		-n2:34816:133119 -t2:72ec70a6-cf74-40e6-bd49-4bda08e8f224 \
		-u2:6f70656e-7600-4000-8000-000000000002 -c2:root \
		-n3:133120:141311 -t3:b6ed5582-440b-4209-b8da-5ff7c419ea3d \
		-u3:6f70656e-7600-4000-8000-000000000003 -c3:root-verity \
		-n4:141312:665599 -t4:0fc63daf-8483-4772-8e79-3d69d8477de4 \
		-u4:6f70656e-7600-4000-8000-000000000004 -c4:data \
		-A1:set:2 $@.tmp >/dev/null
	mv $@.tmp $@

# 4 MiB, three partitions, one with a non-ASCII name.
$(BLOCK_FIXTURES)/gpt-small.img: $(BLOCK_MK) | $(BLOCK_FIXTURES)
	rm -f $@.tmp && truncate -s 4M $@.tmp
	$(BLOCK_SGDISK) -Z -U 6f70656e-7600-4000-8000-0000000000a0 \
		-n1:2048:4095 -t1:bc13c2ff-59e6-4262-a352-b275fd6f7172 -c1:boot \
		-u1:6f70656e-7600-4000-8000-0000000000a1 \
		-n2:4096:6143 -u2:6f70656e-7600-4000-8000-0000000000a2 -c2:root \
		-n3:6144:6655 -u3:6f70656e-7600-4000-8000-0000000000a3 -c3:données \
		-A1:set:2 $@.tmp >/dev/null
	mv $@.tmp $@

# 20 partitions of 64 sectors: more than the 15 a disk's minors can name.
$(BLOCK_FIXTURES)/gpt-many.img: $(BLOCK_MK) | $(BLOCK_FIXTURES)
	rm -f $@.tmp && truncate -s 4M $@.tmp
	$(BLOCK_SGDISK) -Z -a 1 $$(for i in $$(seq 1 20); do \
		s=$$((2048 + 64 * (i - 1))); printf -- '-n%d:%d:%d -c%d:part%d ' \
		$$i $$s $$((s + 63)) $$i $$i; done) $@.tmp >/dev/null
	mv $@.tmp $@

# 64 KiB, two partitions: small enough to seed tests/fuzz/fuzz_gpt.c (max_len 65536).
$(BLOCK_FIXTURES)/gpt-tiny.img: $(BLOCK_MK) | $(BLOCK_FIXTURES)
	rm -f $@.tmp && truncate -s 64K $@.tmp
	$(BLOCK_SGDISK) -Z -a 1 -n1:40:59 -c1:one -n2:60:79 -c2:two $@.tmp >/dev/null
	mv $@.tmp $@

$(BLOCK_DIR) $(BLOCK_FIXTURES):
	mkdir -p $@

# ---- Entry points ----------------------------------------------------------------

.PHONY: unit-block unit-block-build unit-block-cross

unit-block-build: $(BLOCK_BINS) $(BLOCK_FIXTURE_FILES)

# Run every test even if one fails, then fail if any did.
unit-block: unit-block-build unit-block-cross
	@failed=""; \
	for t in $(BLOCK_BINS); do \
		echo "== $$t"; \
		$$t || failed="$$failed $$(basename $$t)"; \
	done; \
	if [ -n "$$failed" ]; then echo "unit-block: FAILED:$$failed"; exit 1; fi; \
	echo "unit-block: all $(words $(BLOCK_TESTS)) test programs passed"

# The kernel builds these with its own rules; this guards that they stay freestanding-clean
# under the kernel's flags (the block layer and virtio drivers included).
BLOCK_CROSS_SRCS := kernel/lib/gpt.c kernel/lib/crc32.c kernel/lib/sha256.c kernel/lib/verity.c \
	kernel/lib/dm_table.c $(wildcard kernel/drivers/md/*.c) \
	$(wildcard kernel/block/*.c) $(wildcard kernel/drivers/virtio/*.c)
BLOCK_CROSS_OBJS := $(patsubst %.c,$(BLOCK_DIR)/cross/%.o,$(BLOCK_CROSS_SRCS))
$(BLOCK_DIR)/cross/%.o: %.c $(BLOCK_HEADERS)
	@mkdir -p $(@D)
	$(BLOCK_CROSS_CC) $(BLOCK_CROSS_CFLAGS) -c -o $@ $<
unit-block-cross: $(BLOCK_CROSS_OBJS)

.DEFAULT_GOAL := $(BLOCK_SAVED_GOAL)
