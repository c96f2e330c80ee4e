# openv: top-level build. `make help` lists the targets.
#
# Everything that runs in the guest is built with the static riscv64 musl toolchain from
# packages/musl; third-party sources come pinned and verified through packages/pkgtool.py and
# are cached outside the tree ($(OPENV_CACHE), default ~/.cache/openv).

.DEFAULT_GOAL := help
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

BUILD ?= build
JOBS ?= 2
# Debian's python3 (pytest and pexpect are Debian packages); another python3 on PATH (pyenv,
# a venv) would not see them.
PYTHON ?= /usr/bin/python3
OPENV_CACHE ?= $(HOME)/.cache/openv
QEMU ?= qemu-system-riscv64
QEMU_SMP ?= 1
QEMU_MEM ?= 512M
# `make run`: the virtio transport of the disk (and the rng) and of the network, mmio or pci, and
# the host port forwarded to the guest's SSH server.
QEMU_DISK ?= mmio
QEMU_NET ?= mmio
SSH_PORT ?= 2222
# `make run SEED=seed.iso`: a cloud-init seed (cloud-localds) attached as a second, read-only disk.
SEED ?=
# `make run SEED_URL=http://10.0.2.2:8000/`: a NoCloud seed over HTTP (ds=nocloud;s=URL, -append).
SEED_URL ?=
# `make run`'s U-Boot: ours (build/bootloader/u-boot.bin: a signed FIT only, key in the -dtb it is
# given), or UBOOT=/usr/lib/u-boot/qemu-riscv64_smode/uboot.elf, Debian's (sha256-checked FIT).
STOCK_UBOOT := /usr/lib/u-boot/qemu-riscv64_smode/uboot.elf
UBOOT ?= $(BUILD)/bootloader/u-boot.bin

export OPENV_CACHE JOBS
export LC_ALL := C
export TZ := UTC
# One fixed epoch for every timestamp that ends up in an artefact (scripts read the same file).
export SOURCE_DATE_EPOCH ?= $(shell cat release/SOURCE_DATE_EPOCH)

PKGTOOL := $(PYTHON) packages/pkgtool.py
TOOLCHAIN := $(BUILD)/toolchain
MUSL_CC := $(TOOLCHAIN)/bin/riscv64-linux-musl-gcc
GUEST_PACKAGES := busybox dropbear openssh lwip opendoas

##@ Start here
.PHONY: help deps run test
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^##@/ {printf "\n%s\n", substr($$0, 5)} \
	     /^[a-zA-Z0-9_.-]+:.*## / {printf "  make %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo
	@echo "Variables of make run (make run NAME=value ...)"
	@echo "  QEMU_DISK=mmio|pci   the disk's (and the rng's) virtio transport: virtio-blk-device or"
	@echo "                       virtio-blk-pci (default mmio)"
	@echo "  QEMU_NET=mmio|pci    the network's: virtio-net-device or virtio-net-pci (default mmio)"
	@echo "  SSH_PORT=N           the host port forwarded to the guest's SSH server (default 2222)"
	@echo "  SEED=seed.iso        a cloud-init seed (cloud-localds) as a second, read-only disk"
	@echo "  SEED_URL=url         a NoCloud seed over HTTP: ds=nocloud;s=url on the command line"
	@echo "  UBOOT=path           the U-Boot to boot: ours (default, signed FIT required) or"
	@echo "                       $(STOCK_UBOOT) (Debian's: sha256-checked FIT)"
	@echo "  QEMU_SMP=N QEMU_MEM=M  harts and memory (default 1, 512M); DEV_SSH_KEY=key.pub root's"
	@echo "                       login key (default ~/.ssh/id_*.pub, else build/dev-ssh/id_ed25519)"
	@echo

deps: ## install the Debian host packages the build and tests need (root or sudo)
	@tools/deps.sh

run: ## build what is missing and boot build/openv.img through our signed U-Boot (Ctrl-A x quits)
	@MAKE="$(MAKE)" BUILD="$(BUILD)" IMAGE="$(IMAGE)" QEMU="$(QEMU)" QEMU_MEM="$(QEMU_MEM)" \
	    QEMU_SMP="$(QEMU_SMP)" UBOOT="$(UBOOT)" DEV_SSH_KEY="$(DEV_SSH_KEY)" \
	    QEMU_DISK="$(QEMU_DISK)" QEMU_NET="$(QEMU_NET)" SSH_PORT="$(SSH_PORT)" SEED="$(SEED)" \
	    SEED_URL="$(SEED_URL)" tools/run-image.sh

test: test-unit test-fuzz test-integration test-smp4 ## run all tests (unit, fuzz smoke, integration, again at -smp 4)

##@ Packages (pinned third-party sources, verified by sha256, cached outside the tree)
.PHONY: fetch packages toolchain
fetch: ## download and verify every package's sources into the cache
	@$(PKGTOOL) fetch

toolchain: ## the static riscv64 musl toolchain (build/toolchain)
	@$(PKGTOOL) build musl $(BUILD)/work $(TOOLCHAIN) >/dev/null

packages: toolchain ## BusyBox, Dropbear, OpenSSH's sftp-server and lwIP, OpenDoas (build/pkg/NAME; cached by build key)
	@for p in $(GUEST_PACKAGES); do $(PKGTOOL) build $$p $(BUILD)/work $(BUILD)/pkg/$$p >/dev/null; done
	@echo "packages: ready in $(BUILD)/pkg ($(GUEST_PACKAGES))"

$(MUSL_CC):
	@$(MAKE) --no-print-directory toolchain

##@ Kernel and boot
.PHONY: initramfs run-initramfs
-include kernel/kernel.mk
-include bootloader/bootloader.mk
-include cloud-init/cloud-init.mk

INITRAMFS := $(BUILD)/initramfs.cpio
INITRAMFS_INPUTS := $(shell find rootfs image/initramfs tests/integration/guest-scripts -type f 2>/dev/null | sort)

initramfs: $(INITRAMFS) ## the initramfs: BusyBox, Dropbear, rootfs/, guest tests (build/initramfs.cpio)

$(INITRAMFS): packages cloud-init ofs-guest-tools guest-tests bench-progs go-tests $(INITRAMFS_INPUTS) image/mkinitramfs.py release/VERSION
	@$(PYTHON) image/mkinitramfs.py --build $(BUILD) --out $@

run-initramfs: kernel initramfs ## boot the kernel with the initramfs straight from QEMU (-kernel)
	@echo "openv: booting $(BUILD)/kernel/Image with $(INITRAMFS) — quit with Ctrl-A x"
	$(QEMU) -M virt -m $(QEMU_MEM) -smp $(QEMU_SMP) -nographic -no-reboot \
	    -kernel $(BUILD)/kernel/Image -initrd $(INITRAMFS) \
	    -append "console=ttyS0 rdinit=/init"

IMAGE := $(BUILD)/openv.img
.PHONY: image
image: $(IMAGE) ## the disk image: GPT, FIT boot partition, ext2 root (build/openv.img)

# A development SSH key baked into the image (make image DEV_SSH_KEY=~/.ssh/id_ed25519.pub; never
# in release builds). Its copy changes only when the key does, so the image rebuilds only then.
DEV_SSH_KEY ?=
DEV_KEY_COPY := $(BUILD)/image-dev-key.pub
.PHONY: FORCE
$(DEV_KEY_COPY): FORCE
	@mkdir -p $(@D)
	@if [ -n "$(DEV_SSH_KEY)" ]; then cmp -s "$(DEV_SSH_KEY)" $@ || cp "$(DEV_SSH_KEY)" $@; \
	 elif [ ! -e $@ ] || [ -s $@ ]; then : > $@; fi

# The FIT's signing key: SIGNING_KEY_DIR=dir (dir/openv.key, a release key), else build/keys (a
# development key made on first use; docs/verified-boot.md). The image rebuilds when it changes.
SIGNING_KEY_DIR ?=
export SIGNING_KEY_DIR
SIGNING_KEY_STAMP := $(BUILD)/image-signing-key-dir
$(SIGNING_KEY_STAMP): FORCE
	@mkdir -p $(@D)
	@echo "$(SIGNING_KEY_DIR)" | cmp -s - $@ || echo "$(SIGNING_KEY_DIR)" > $@

$(IMAGE): kernel packages cloud-init ofs-guest-tools $(INITRAMFS_INPUTS) image/mkimage.py image/mkinitramfs.py image/verity.py $(DEV_KEY_COPY) $(SIGNING_KEY_STAMP) release/VERSION
	@DEV_SSH_KEY=$$([ -s $(DEV_KEY_COPY) ] && echo $(DEV_KEY_COPY)) \
	    $(PYTHON) image/mkimage.py --build $(BUILD) --kernel $(BUILD)/kernel/Image --out $@

##@ Release
.PHONY: release
RELEASE_KEY ?=
SBOM_VALIDATOR := $(OPENV_CACHE)/sbom-validator/node_modules
release: image bootloader ## build/release/openv-VERSION-riscv64: image.xz, qcow2, SBOM, buildinfo, signed SHA256SUMS (RELEASE_KEY=ed25519 key)
	@RELEASE_KEY="$(RELEASE_KEY)" $(PYTHON) tools/release.py --build $(BUILD)
	@NODE_PATH=$(SBOM_VALIDATOR) node tools/sbom/validate.js $(BUILD)/release/openv-$(shell cat release/VERSION)-riscv64/sbom.cdx.json

# Rebuild RELEASE=DIR from its commit with an empty package cache under varied conditions and
# compare every artefact with its SHA256SUMS (tools/rebuild_check.py, docs/release.md).
# REBUILD_VARY=all (default) | none | name,name...; REBUILD_DIR=where (default build/rebuild-check).
.PHONY: rebuild-check
RELEASE ?=
REBUILD_VARY ?= all
REBUILD_DIR ?=
rebuild-check: ## rebuild RELEASE=DIR from source (empty cache, varied conditions) and compare it
	@$(PYTHON) tools/rebuild_check.py --release "$(RELEASE)" --build $(BUILD) --vary $(REBUILD_VARY) \
	    $(if $(REBUILD_DIR),--work "$(REBUILD_DIR)")

##@ Tests
.PHONY: test-unit test-integration test-unit-py test-fuzz test-smp4
-include tests/unit/unit.mk
-include tests/unit/tty/tty.mk
-include tests/unit/block/block.mk
-include tests/unit/pci/pci.mk
-include tools/ofs/ofs.mk
-include tests/fuzz/fuzz.mk
-include tests/guest/guest.mk
-include tests/go/go.mk
-include tests/bench/bench.mk

test-unit: test-unit-py unit-c unit-tty unit-block unit-pci unit-ofs unit-cloud-init ## host unit tests (cmocka and pytest)

test-fuzz: ## a short run of every fuzz target (FUZZ_TIME seconds each; longer: make fuzz-smoke FUZZ_TIME=600)
	@$(MAKE) --no-print-directory fuzz-smoke FUZZ_TIME=$(or $(TEST_FUZZ_TIME),5)

test-unit-py:
	$(PYTHON) -m pytest -q tests/unit

# The -smp 1 pass boots one single-hart QEMU per pytest worker, a worker per host core
# (TEST_JOBS), each test file on one worker (its shared boot stays shared). Run afterwards,
# alone: the files that run `make` in this tree (make run rebuilds build/openv.img), and
# test_smp.py, whose four-hart guests want the host's cores to themselves (beside another
# worker's QEMU, one copy of `threads` in its parallel run has hung twice: under study), and
# test_rebuild_check.py, a full rebuild from source (OPENV_SKIP_REBUILD_CHECK=1 skips it).
TEST_JOBS ?= $(shell nproc)
# The slowest tests of each pass, so a CI log shows where the time goes.
TEST_DURATIONS ?= --durations=15
SERIAL_TESTS := tests/integration/test_make_run.py tests/integration/test_packages.py \
	tests/integration/test_smp.py tests/integration/test_rebuild_check.py
test-integration: packages kernel initramfs bootloader ## integration tests (pytest; boot QEMU, run guest binaries)
	$(PYTHON) -m pytest -q $(TEST_DURATIONS) -n $(TEST_JOBS) --dist loadfile tests/integration \
	    $(addprefix --ignore=,$(SERIAL_TESTS))
	$(PYTHON) -m pytest -q $(TEST_DURATIONS) $(SERIAL_TESTS)

# The whole integration suite again with four harts, but for what the hart count cannot change
# (marked same_at_any_smp: host-side builds and checks). The OFS crash test runs 10 points per
# disk here (25 in the -smp 1 pass); the BusyBox testsuite runs as two copies at once.
test-smp4: packages kernel initramfs bootloader ## the integration suite again at -smp 4
	OPENV_TEST_SMP=4 OFS_CRASH_N=10 $(PYTHON) -m pytest -q $(TEST_DURATIONS) tests/integration

# Our syscall fuzzer for longer than the 20 s of `make test` (tests/guest/syscall_fuzz.c):
# random calls as uid 1000, a batch per child; prints the seed and batch of any failure.
.PHONY: fuzz-syscalls
fuzz-syscalls: packages kernel initramfs ## fuzz system calls as uid 1000 in QEMU (make fuzz-syscalls MINUTES=60 [SEED=s])
	$(PYTHON) tools/fuzz_syscalls.py --minutes $(or $(MINUTES),60) $(if $(SEED),--seed $(SEED))

# Damaged ext2 and OFS disks against the kernel, four per initramfs boot (tools/fuzz_disks.py);
# `make test` runs one boot of it (tests/integration/test_fuzz_disks.py).
.PHONY: fuzz-disks
fuzz-disks: packages kernel initramfs ofs-tools ## damaged-filesystem boot loop (make fuzz-disks N=200 [SEED=s])
	$(PYTHON) tools/fuzz_disks.py -n $(or $(N),200) $(if $(SEED),--seed $(SEED))

##@ Benchmarks
.PHONY: bench bench-disk
bench: kernel initramfs $(if $(filter 1,$(BENCH_SKIP_SYSTEM)),$(if $(filter 1,$(BENCH_SKIP_DISK)),,image),image bootloader) ## openv vs Linux, same initramfs and disk image, + openv image/SSH/OFS figures (build/bench.json)
	@$(PYTHON) tools/bench.py

# The disk-root figures of `make bench` alone (tools/bench_disk.py), both kernels, about 1 minute.
bench-disk: kernel initramfs image ## openv vs Linux on the disk image's ext2 root only (build/bench-disk.json)
	@$(PYTHON) tools/bench_disk.py

##@ Housekeeping
.PHONY: clean distclean
clean: ## remove build/ (the package cache stays)
	rm -rf $(BUILD)

distclean: clean ## also remove the package build cache (downloads stay)
	rm -rf $(OPENV_CACHE)/pkg
