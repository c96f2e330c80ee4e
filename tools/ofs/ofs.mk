# OFS host side: the tools (mkfs.ofs, fsck.ofs) and the host unit tests of the OFS core.
#
# Included by the top-level Makefile (from the repo root); also usable alone:
#     make -f tools/ofs/ofs.mk ofs-tools unit-ofs
#
# Targets:
#   ofs-tools   build/tools/mkfs.ofs and build/tools/fsck.ofs (host binaries)
#   unit-ofs    build and run build/unit/ofs/test_ofs (cmocka, ASan/UBSan): format code, core
#               operations, fsck, and the crash-consistency replay
#   ofs-guest-tools  static riscv64 musl mkfs.ofs and fsck.ofs for the guest
#               (build/ofs-guest/sbin/; the image build decides whether to ship them)
#   crash-test  N=1000 [SEED=s]: the QEMU crash test (tests/integration/test_ofs.py) with N
#               crash points, half of them SIGKILLs of QEMU over a plain image file and half
#               power cuts of a disk with a volatile write cache; the two halves run at once
#
# The OFS core (kernel/fs/ofs) is freestanding C shared with the kernel; on the host it gets
# kmalloc/printk from tools/ofs/ofs_host.c. -iquote keeps the kernel's headers away from the
# host's <...> includes.

OFS_MK_INCLUDED := 1
OFS_MK_SAVED_GOAL := $(.DEFAULT_GOAL)
BUILD ?= build

OFS_TOOLS_DIR := $(BUILD)/tools
OFS_CORE_SRCS := kernel/fs/ofs/ofs_format.c kernel/fs/ofs/ofs_tree.c kernel/fs/ofs/ofs_space.c \
	kernel/fs/ofs/ofs_super.c kernel/fs/ofs/ofs_file.c kernel/fs/ofs/ofs_dir.c kernel/lib/crc32.c
OFS_HOST_SRCS := $(OFS_CORE_SRCS) tools/ofs/ofs_host.c
OFS_HEADERS := $(wildcard kernel/fs/ofs/*.h tools/ofs/*.h tests/unit/ofs/*.h) \
	kernel/include/crc32.h kernel/include/types.h kernel/include/errno.h
OFS_HOST_CC ?= gcc
OFS_HOST_CFLAGS := -std=c11 -Wall -Wextra -Werror -O2 -g -D_GNU_SOURCE -iquote kernel/include
OFS_TEST_CFLAGS := -std=c11 -Wall -Wextra -Werror -g -O1 -D_GNU_SOURCE -iquote kernel/include \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

.PHONY: ofs-tools unit-ofs crash-test ofs-guest-tools
ofs-tools: $(OFS_TOOLS_DIR)/mkfs.ofs $(OFS_TOOLS_DIR)/fsck.ofs ## mkfs.ofs and fsck.ofs for the host (build/tools)

$(OFS_TOOLS_DIR)/mkfs.ofs: tools/ofs/mkfs.ofs.c tools/ofs/ofs_filedev.c $(OFS_HOST_SRCS) $(OFS_HEADERS)
	@mkdir -p $(@D)
	$(OFS_HOST_CC) $(OFS_HOST_CFLAGS) -o $@ tools/ofs/mkfs.ofs.c tools/ofs/ofs_filedev.c $(OFS_HOST_SRCS)

$(OFS_TOOLS_DIR)/fsck.ofs: tools/ofs/fsck.ofs.c tools/ofs/ofs_check.c tools/ofs/ofs_repair.c tools/ofs/ofs_filedev.c \
		$(OFS_HOST_SRCS) $(OFS_HEADERS)
	@mkdir -p $(@D)
	$(OFS_HOST_CC) $(OFS_HOST_CFLAGS) -o $@ tools/ofs/fsck.ofs.c tools/ofs/ofs_check.c tools/ofs/ofs_repair.c \
		tools/ofs/ofs_filedev.c $(OFS_HOST_SRCS)

OFS_GUEST_DIR := $(BUILD)/ofs-guest/sbin
OFS_MUSL_CC ?= $(BUILD)/toolchain/bin/riscv64-linux-musl-gcc
OFS_GUEST_CFLAGS := -std=c11 -Wall -Wextra -Werror -O2 -static -D_GNU_SOURCE -iquote kernel/include
ofs-guest-tools: $(OFS_GUEST_DIR)/mkfs.ofs $(OFS_GUEST_DIR)/fsck.ofs

$(OFS_GUEST_DIR)/mkfs.ofs: tools/ofs/mkfs.ofs.c tools/ofs/ofs_filedev.c $(OFS_HOST_SRCS) $(OFS_HEADERS) $(OFS_MUSL_CC)
	@mkdir -p $(@D)
	$(OFS_MUSL_CC) $(OFS_GUEST_CFLAGS) -o $@ tools/ofs/mkfs.ofs.c tools/ofs/ofs_filedev.c $(OFS_HOST_SRCS)

$(OFS_GUEST_DIR)/fsck.ofs: tools/ofs/fsck.ofs.c tools/ofs/ofs_check.c tools/ofs/ofs_repair.c tools/ofs/ofs_filedev.c \
		$(OFS_HOST_SRCS) $(OFS_HEADERS) $(OFS_MUSL_CC)
	@mkdir -p $(@D)
	$(OFS_MUSL_CC) $(OFS_GUEST_CFLAGS) -o $@ tools/ofs/fsck.ofs.c tools/ofs/ofs_check.c tools/ofs/ofs_repair.c \
		tools/ofs/ofs_filedev.c $(OFS_HOST_SRCS)

OFS_TEST_SRCS := tests/unit/ofs/test_ofs.c tests/unit/ofs/ofs_dump.c tools/ofs/ofs_check.c \
	tools/ofs/ofs_repair.c \
	$(OFS_HOST_SRCS)

$(BUILD)/unit/ofs/test_ofs: $(OFS_TEST_SRCS) $(OFS_HEADERS)
	@mkdir -p $(@D)
	$(OFS_HOST_CC) $(OFS_TEST_CFLAGS) -o $@ $(OFS_TEST_SRCS) -lcmocka

# The tools are built too, and checked end to end: same input, same image; fsck clean; fsck
# fails on damaged metadata; with the root node of the newest commit damaged (mkfs.ofs -d
# leaves commit 2 in slot 0, whose root pointer is at byte 32), fsck exits 1 and fsck -y
# goes back to commit 1 and exits 3, after which fsck is clean. A flipped byte in a file's
# data block (found with fsck.ofs -l): fsck names the block, exits 1, and -y writes nothing.
unit-ofs: $(BUILD)/unit/ofs/test_ofs ofs-tools
	$(BUILD)/unit/ofs/test_ofs
	@d=$(BUILD)/unit/ofs; rm -rf $$d/tree; mkdir -p $$d/tree/sub; \
	echo hello > $$d/tree/a; ln -sf a $$d/tree/link; ln -f $$d/tree/a $$d/tree/sub/hard; \
	SOURCE_DATE_EPOCH=1 $(OFS_TOOLS_DIR)/mkfs.ofs -q -s 8M -d $$d/tree $$d/one.img; \
	SOURCE_DATE_EPOCH=1 $(OFS_TOOLS_DIR)/mkfs.ofs -q -s 8M -d $$d/tree $$d/two.img; \
	cmp $$d/one.img $$d/two.img; \
	$(OFS_TOOLS_DIR)/fsck.ofs $$d/one.img; \
	for b in 2 3 4 5 6 7 8 9 10; do \
		printf '\x55' | dd of=$$d/one.img bs=1 seek=$$((4096 * b + 100)) conv=notrunc status=none; \
	done; \
	if $(OFS_TOOLS_DIR)/fsck.ofs -q $$d/one.img >/dev/null 2>&1; then \
		echo "unit-ofs: fsck.ofs missed damaged metadata"; exit 1; fi; \
	root=$$(od -An -t u8 -j 32 -N 8 $$d/two.img | tr -d ' '); \
	printf '\x55' | dd of=$$d/two.img bs=1 seek=$$((4096 * root + 100)) conv=notrunc status=none; \
	rc=0; $(OFS_TOOLS_DIR)/fsck.ofs -q $$d/two.img >/dev/null 2>&1 || rc=$$?; test $$rc = 1 || \
		{ echo "unit-ofs: fsck.ofs missed a damaged newest commit"; exit 1; }; \
	rc=0; $(OFS_TOOLS_DIR)/fsck.ofs -q -y $$d/two.img >/dev/null 2>&1 || rc=$$?; test $$rc = 3 || \
		{ echo "unit-ofs: fsck.ofs -y did not go back to the older commit"; exit 1; }; \
	$(OFS_TOOLS_DIR)/fsck.ofs -q $$d/two.img; \
	SOURCE_DATE_EPOCH=1 $(OFS_TOOLS_DIR)/mkfs.ofs -q -s 8M -d $$d/tree $$d/three.img; \
	p=$$($(OFS_TOOLS_DIR)/fsck.ofs -l /sub/hard $$d/three.img | sed -n 's/^inode [0-9]* block 0 physical //p'); \
	printf '\x55' | dd of=$$d/three.img bs=1 seek=$$((4096 * p + 3)) conv=notrunc status=none; \
	cp $$d/three.img $$d/three.before; \
	rc=0; $(OFS_TOOLS_DIR)/fsck.ofs -y $$d/three.img > $$d/three.out 2>&1 || rc=$$?; \
	{ test $$rc = 1 && grep -q "block 0 (physical $$p): data checksum mismatch" $$d/three.out && \
	  grep -q "nothing to repair" $$d/three.out && cmp -s $$d/three.img $$d/three.before; } || \
		{ cat $$d/three.out; echo "unit-ofs: fsck.ofs missed damaged file data"; exit 1; }; \
	echo "unit-ofs: mkfs.ofs deterministic, fsck.ofs clean on good and failing on damaged images," \
		"fsck.ofs -y repairs a damaged newest commit, the scrub finds damaged data"

# A long run boots a copy of the kernel, initramfs and fsck.ofs taken at its start, so that
# rebuilding meanwhile does not change what it tests.
CRASH_BUILD := $(BUILD)/crash-test
CRASH_LOGS := $(CRASH_BUILD)/test-logs
crash-test: kernel initramfs ofs-tools ## OFS crash consistency in QEMU, N crash points (make crash-test N=1000 [SEED=s])
	@rm -rf $(CRASH_BUILD); mkdir -p $(CRASH_LOGS) $(CRASH_BUILD)/kernel $(CRASH_BUILD)/tools; \
	cp $(BUILD)/kernel/Image $(CRASH_BUILD)/kernel/; cp $(BUILD)/initramfs.cpio $(CRASH_BUILD)/; \
	cp $(OFS_TOOLS_DIR)/fsck.ofs $(CRASH_BUILD)/tools/; \
	n=$(or $(N),100); seed=$(or $(SEED),1); \
	echo "crash-test: $$((n / 2)) SIGKILLs and $$((n - n / 2)) power cuts of a volatile cache," \
	     "seed $$seed (logs: $(CRASH_LOGS)/crash-{file,volatile}.log)"; \
	run() { BUILD=$(CRASH_BUILD) OFS_CRASH_FROZEN=1 OFS_CRASH_N=$$1 OFS_CRASH_SEED=$$seed OFS_CRASH_DEVICE=$$2 \
		$(or $(PYTHON),/usr/bin/python3) -m pytest -q -s tests/integration/test_ofs.py \
		-k crash_consistency > $(CRASH_LOGS)/crash-$$2.log 2>&1; }; \
	run $$((n / 2)) file & a=$$!; run $$((n - n / 2)) volatile & b=$$!; \
	rc=0; wait $$a || rc=1; wait $$b || rc=1; \
	grep -h -E "ofs crash test:|^volatile cache:|^E  |passed|failed" \
		$(CRASH_LOGS)/crash-file.log $(CRASH_LOGS)/crash-volatile.log; \
	if [ $$rc = 0 ]; then echo "crash-test: $$n crash points, 0 failures"; \
	else echo "crash-test: FAILED (the logs above say where; rerun with the same SEED)"; exit 1; fi

.DEFAULT_GOAL := $(OFS_MK_SAVED_GOAL)
