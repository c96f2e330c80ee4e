# libFuzzer targets for the kernel's parsers.
#
# Included by the top-level Makefile after tests/unit/unit.mk (whose
# fixtures seed the corpora); also usable alone:
#     make -f tests/fuzz/fuzz.mk fuzz-smoke
#
# Targets:
#   fuzz-build   build $(BUILD)/fuzz/fuzz_{fdt,elf,cpio}
#   fuzz-smoke   run each for FUZZ_TIME seconds (default 20); fails on any
#                crash, leak, sanitizer report or timeout.  Crashing
#                inputs are left as $(BUILD)/fuzz/<target>-crash-*.
# Longer runs: make fuzz-smoke FUZZ_TIME=600

# Do not become the includer's default goal (restored at the end).
FUZZ_SAVED_GOAL := $(.DEFAULT_GOAL)

BUILD ?= build
ifndef UNIT_MK_INCLUDED
include tests/unit/unit.mk
endif
ifndef OFS_MK_INCLUDED
include tools/ofs/ofs.mk
endif
ifndef BLOCK_MK
include tests/unit/block/block.mk
endif

FUZZ_DIR := $(BUILD)/fuzz
FUZZ_CC ?= clang
FUZZ_CFLAGS ?= -std=c11 -Wall -Wextra -Werror -g -O1 \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_TIME ?= 20

# ---- Targets: name -> sources, seed files ---------------------------------------

FUZZ_TARGETS := fuzz_fdt fuzz_elf fuzz_cpio fuzz_gpt fuzz_ext2 fuzz_ofs fuzz_cmsg
FUZZ_TARGETS += fuzz_netlink fuzz_pci fuzz_isofs fuzz_fat fuzz_verity
FUZZ_TARGETS += fuzz_ci_mime fuzz_ci_userdata fuzz_ci_modules fuzz_ci_netcfg

fuzz_fdt_SRCS  := tests/fuzz/fuzz_fdt.c kernel/lib/fdt.c
fuzz_fdt_SEEDS := $(UNIT_DTBS)
fuzz_elf_SRCS  := tests/fuzz/fuzz_elf.c kernel/lib/elf.c
fuzz_elf_SEEDS := $(UNIT_ELFS)
fuzz_cpio_SRCS  := tests/fuzz/fuzz_cpio.c kernel/lib/cpio.c
fuzz_cpio_SEEDS := $(UNIT_CPIOS)
fuzz_gpt_SRCS  := tests/fuzz/fuzz_gpt.c kernel/lib/gpt.c kernel/lib/crc32.c
fuzz_gpt_SEEDS := $(BUILD)/unit/block/fixtures/gpt-tiny.img
fuzz_ext2_SRCS := tests/fuzz/fuzz_ext2.c tests/unit/ext2/ext2_host.c \
	kernel/fs/ext2/ext2_super.c kernel/fs/ext2/ext2_alloc.c kernel/fs/ext2/ext2_inode.c \
	kernel/fs/ext2/ext2_dir.c kernel/lib/kprintf.c
fuzz_ext2_SEEDS := $(FUZZ_DIR)/seeds/ext2-tiny.img
fuzz_ofs_SRCS := tests/fuzz/fuzz_ofs.c tests/unit/ofs/ofs_dump.c tools/ofs/ofs_check.c \
	tools/ofs/ofs_repair.c tools/ofs/ofs_host.c $(OFS_CORE_SRCS)
fuzz_ofs_SEEDS := $(FUZZ_DIR)/seeds/ofs-tiny.img
fuzz_cmsg_SRCS := tests/fuzz/fuzz_cmsg.c kernel/net/cmsg.c
fuzz_cmsg_SEEDS := $(FUZZ_DIR)/seeds/cmsg-rights-creds.bin
fuzz_netlink_SRCS := tests/fuzz/fuzz_netlink.c kernel/net/netlink/nlattr.c \
	kernel/net/netlink/rtnl_parse.c
fuzz_netlink_SEEDS := $(FUZZ_DIR)/seeds/netlink-newaddr-newroute.bin
# PCI enumeration and assignment over the unit tests' fake ECAM (layout in fuzz_pci.c), and
# the virtio-pci capability parser on what it finds.
fuzz_pci_SRCS := tests/fuzz/fuzz_pci.c tests/unit/pci/fake_ecam.c tests/unit/log_host.c \
	kernel/drivers/pci/pci_dt.c \
	kernel/drivers/pci/pci_probe.c kernel/drivers/pci/pci_assign.c kernel/drivers/pci/pci_lib.c \
	kernel/lib/fdt.c kernel/lib/kprintf.c kernel/drivers/virtio/virtio_pci_caps.c
fuzz_pci_CFLAGS := -Ikernel/drivers/pci -Ikernel/drivers/virtio -Itests/unit/pci -Itests/unit
fuzz_pci_SEEDS := $(FUZZ_DIR)/seeds/pci-qemu.bin

# The iso9660 core: mount with each name mapping and walk everything.
fuzz_isofs_SRCS := tests/fuzz/fuzz_isofs.c tests/unit/isofs/iso_host.c tests/unit/rofs/memdev_host.c \
	$(ISOFS_CORE_SRCS)
fuzz_isofs_SEEDS := $(FUZZ_DIR)/seeds/iso-rock.iso

# The FAT core: mount and walk everything.
fuzz_fat_SRCS := tests/fuzz/fuzz_fat.c tests/unit/fat/fat_host.c tests/unit/rofs/memdev_host.c \
	$(FAT_CORE_SRCS)
fuzz_fat_SEEDS := $(FUZZ_DIR)/seeds/fat12.img

# dm-mod.create=, the verity target and the command line merge; the seed is the image's kind
# of table over the unit tests' veritysetup tree (hash device = the rest of the input).
fuzz_verity_SRCS := tests/fuzz/fuzz_verity.c kernel/lib/verity.c kernel/lib/dm_table.c \
	kernel/lib/sha256.c kernel/lib/bootargs.c
fuzz_verity_SEEDS := $(FUZZ_DIR)/seeds/verity-table.bin
$(FUZZ_DIR)/seeds/verity-table.bin: $(BUILD)/unit/block/fixtures/verity-data.img tests/fuzz/fuzz.mk
	@mkdir -p $(@D)
	printf 'v,,,ro,0 2400 verity 1 a b 4096 4096 300 1 sha256 %s %s 1 ignore_zero_blocks\n' \
		$$(cat $(BUILD)/unit/block/fixtures/verity-root.txt) \
		$$(cat $(BUILD)/unit/block/fixtures/verity-salt.txt) > $@
	cat $(BUILD)/unit/block/fixtures/verity-hash.img >> $@

# QEMU's recorded config spaces (tests/unit/pci), one device behind the bridge.
$(FUZZ_DIR)/seeds/pci-qemu.bin: tests/unit/pci/fixtures/qemu-virt-pci.cfg tests/fuzz/pci_seed.py
	@mkdir -p $(@D)
	tests/fuzz/pci_seed.py $< > $@

# SCM_RIGHTS with two fds, then SCM_CREDENTIALS (little-endian struct cmsghdr layout).
$(FUZZ_DIR)/seeds/cmsg-rights-creds.bin: tests/fuzz/fuzz.mk
	@mkdir -p $(@D)
	printf '\030\0\0\0\0\0\0\0\1\0\0\0\1\0\0\0\3\0\0\0\4\0\0\0\034\0\0\0\0\0\0\0\1\0\0\0\2\0\0\0\1\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0' > $@

# RTM_NEWADDR 10.0.2.99/24 on ifindex 2 (IFA_LOCAL, IFA_ADDRESS), then RTM_NEWROUTE default via
# 10.0.2.2 (RTA_GATEWAY, RTA_OIF 2): little-endian nlmsghdr, ifaddrmsg and rtmsg layouts.
$(FUZZ_DIR)/seeds/netlink-newaddr-newroute.bin: tests/fuzz/fuzz.mk
	@mkdir -p $(@D)
	printf '\050\0\0\0\024\0\005\006\1\0\0\0\0\0\0\0\2\030\0\0\2\0\0\0\010\0\2\0\012\0\2\143\010\0\1\0\012\0\2\143' > $@
	printf '\054\0\0\0\030\0\005\006\2\0\0\0\0\0\0\0\2\0\0\0\376\3\0\1\0\0\0\0\010\0\5\0\012\0\2\2\010\0\4\0\2\0\0\0' >> $@

# A small ext2 with a file, a directory and symlinks (fixed UUID and times: repeatable).
$(FUZZ_DIR)/seeds/ext2-tiny.img: tests/fuzz/fuzz.mk
	@mkdir -p $(@D) $(FUZZ_DIR)/seeds/ext2-root/d
	@echo hello > $(FUZZ_DIR)/seeds/ext2-root/f
	@ln -sf f $(FUZZ_DIR)/seeds/ext2-root/d/s
	@rm -f $@
	E2FSPROGS_FAKE_TIME=$(SOURCE_DATE_EPOCH) mke2fs -q -t ext2 -b 1024 -N 32 \
		-U 6f70656e-7600-4000-8000-0000000000f0 -E root_owner=0:0 \
		-d $(FUZZ_DIR)/seeds/ext2-root $@ 128k

# A small Rock Ridge + Joliet volume: a file, a directory, a symlink, a name long enough for a
# CE continuation area (genisoimage pads to 300 KiB; fuzz_isofs reads what it is given).
$(FUZZ_DIR)/seeds/iso-rock.iso: tests/fuzz/fuzz.mk
	@rm -rf $(FUZZ_DIR)/seeds/iso-root && mkdir -p $(FUZZ_DIR)/seeds/iso-root/d
	@echo hello > $(FUZZ_DIR)/seeds/iso-root/f
	@ln -sf ../f $(FUZZ_DIR)/seeds/iso-root/d/s
	@echo long > $(FUZZ_DIR)/seeds/iso-root/$$(printf 'n%.0s' $$(seq 1 180))
	genisoimage -quiet -V FUZZ -J -R -o $@.full $(FUZZ_DIR)/seeds/iso-root
	head -c 65536 $@.full > $@

# A small FAT12 volume: a file, a directory, a long name (64 KiB: all of it).
$(FUZZ_DIR)/seeds/fat12.img: tests/fuzz/fuzz.mk
	@mkdir -p $(@D)
	@rm -rf $(FUZZ_DIR)/seeds/fat-root $@ && mkdir -p $(FUZZ_DIR)/seeds/fat-root/d
	@echo hello > $(FUZZ_DIR)/seeds/fat-root/f
	@echo long > "$(FUZZ_DIR)/seeds/fat-root/d/a long file name.text"
	mkfs.vfat -C -F 12 -n FUZZ -i 6f70656e $@ 64 >/dev/null
	MTOOLS_SKIP_CHECK=1 mcopy -s -i $@ $(FUZZ_DIR)/seeds/fat-root/* ::/

# A 1 MiB OFS with a file, a directory, a symlink and a hard link (fixed UUID and times);
# all its blocks in use sit in the first 64 KiB, which is the seed (fuzz_ofs pads with zeros).
$(FUZZ_DIR)/seeds/ofs-tiny.img: $(OFS_TOOLS_DIR)/mkfs.ofs tests/fuzz/fuzz.mk
	@mkdir -p $(@D)
	@rm -rf $(FUZZ_DIR)/seeds/ofs-root && mkdir -p $(FUZZ_DIR)/seeds/ofs-root/d
	@echo hello > $(FUZZ_DIR)/seeds/ofs-root/f
	@ln -sf ../f $(FUZZ_DIR)/seeds/ofs-root/d/s
	@ln -f $(FUZZ_DIR)/seeds/ofs-root/f $(FUZZ_DIR)/seeds/ofs-root/d/h
	SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) $(OFS_TOOLS_DIR)/mkfs.ofs -q -s 1M \
		-U 6f70656e-7600-4000-8000-0000000000f1 -d $(FUZZ_DIR)/seeds/ofs-root $@.full
	head -c 65536 $@.full > $@

# The cloud-init agent's seed parsers (cloud-init/src): the MIME splitter alone, and user-data,
# meta-data and HTTP responses through node.c over the host's libyaml (Debian libyaml-dev).
# User-space code: the C library's headers, not the kernel's (_INCLUDES replaces
# -Ikernel/include).
CI_FUZZ_CFLAGS := -D_GNU_SOURCE
fuzz_ci_mime_INCLUDES := -Icloud-init/src
fuzz_ci_userdata_INCLUDES := -Icloud-init/src
fuzz_ci_mime_SRCS := tests/fuzz/fuzz_ci_mime.c cloud-init/src/mime.c
fuzz_ci_mime_CFLAGS := $(CI_FUZZ_CFLAGS)
fuzz_ci_mime_SEEDS := tests/unit/cloud-init/data/make-mime.txt
fuzz_ci_userdata_SRCS := tests/fuzz/fuzz_ci_userdata.c cloud-init/src/userdata.c \
	cloud-init/src/mime.c cloud-init/src/node.c cloud-init/src/metadata.c cloud-init/src/util.c \
	cloud-init/src/state.c cloud-init/src/http.c cloud-init/src/gunzip.c
fuzz_ci_userdata_CFLAGS := $(CI_FUZZ_CFLAGS)
fuzz_ci_userdata_LIBS := -lyaml
fuzz_ci_userdata_SEEDS := tests/unit/cloud-init/data/make-mime.txt \
	tests/unit/cloud-init/data/cloud-config.yaml tests/unit/cloud-init/data/meta-data.json \
	tests/unit/cloud-init/data/cloud-config.yaml.gz tests/unit/cloud-init/data/script-fixed.gz

# network-config (netcfg.c) against a temporary root; ci_run only records commands there.
fuzz_ci_netcfg_INCLUDES := -Icloud-init/src
fuzz_ci_netcfg_SRCS := tests/fuzz/fuzz_ci_netcfg.c cloud-init/src/netcfg.c cloud-init/src/node.c \
	cloud-init/src/util.c cloud-init/src/run.c
fuzz_ci_netcfg_CFLAGS := $(CI_FUZZ_CFLAGS)
fuzz_ci_netcfg_LIBS := -lyaml
fuzz_ci_netcfg_SEEDS := tests/unit/cloud-init/data/network-config-v1.yaml \
	tests/unit/cloud-init/data/network-config-v2.yaml

# The config modules on a fuzzed #cloud-config, against a temporary root (fuzz_ci_modules.c).
fuzz_ci_modules_INCLUDES := -Icloud-init/src
fuzz_ci_modules_SRCS := tests/fuzz/fuzz_ci_modules.c $(sort $(wildcard cloud-init/src/modules/*.c)) \
	cloud-init/src/node.c cloud-init/src/util.c cloud-init/src/run.c cloud-init/src/gunzip.c
fuzz_ci_modules_CFLAGS := $(CI_FUZZ_CFLAGS)
fuzz_ci_modules_LIBS := -lyaml -lcrypt
fuzz_ci_modules_SEEDS := tests/fuzz/ci-modules-seeds/cloud-config.yaml

FUZZ_BINS := $(addprefix $(FUZZ_DIR)/,$(FUZZ_TARGETS))

define fuzz_target_rule
$(FUZZ_DIR)/$(1): $$($(1)_SRCS) $$(wildcard kernel/include/*.h cloud-init/src/*.h)
	@mkdir -p $$(@D)
	$$(FUZZ_CC) $$(FUZZ_CFLAGS) $$($(1)_CFLAGS) $$(or $$($(1)_INCLUDES),-Ikernel/include) -o $$@ $$($(1)_SRCS) $$($(1)_LIBS)

# Fresh corpus each run: seeds only, so the smoke test is repeatable.
.PHONY: fuzz-run-$(1)
fuzz-run-$(1): $(FUZZ_DIR)/$(1) $$($(1)_SEEDS)
	rm -rf $(FUZZ_DIR)/corpus-$(1)
	mkdir -p $(FUZZ_DIR)/corpus-$(1)
	cp $$($(1)_SEEDS) $(FUZZ_DIR)/corpus-$(1)/
	$(FUZZ_DIR)/$(1) -max_total_time=$(FUZZ_TIME) -timeout=10 \
		-rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
		-artifact_prefix=$(FUZZ_DIR)/$(1)- $(FUZZ_DIR)/corpus-$(1)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_target_rule,$(t))))

.PHONY: fuzz-build fuzz-smoke
fuzz-build: $(FUZZ_BINS)
fuzz-smoke: $(addprefix fuzz-run-,$(FUZZ_TARGETS))

.DEFAULT_GOAL := $(FUZZ_SAVED_GOAL)
