# Our U-Boot (bootloader/README.md): packages/u-boot built for qemu-riscv64_smode with
# packages/u-boot/openv.config, cached by the package's build key like every package.
BOOTLOADER := $(BUILD)/bootloader
SIGNED_UBOOT := $(BOOTLOADER)/u-boot.bin
# The control DTB of `make run`'s machine (-m $(QEMU_MEM) -smp $(QEMU_SMP)) with the image's key.
CTRL_DTB := $(BUILD)/ctrl.dtb

.PHONY: bootloader ctrl-dtb
bootloader: ## our U-Boot, FIT signatures required (build/bootloader/u-boot.bin; cached)
	@$(PKGTOOL) build u-boot $(BUILD)/work $(BOOTLOADER) >/dev/null
	@echo "bootloader: $(SIGNED_UBOOT) (+ bin/mkimage, bin/fit_check_sign)"

# Not made from `image` (a prerequisite would rebuild the image without make run's DEV_SSH_KEY):
# from the key the last `make image` signed with.
ctrl-dtb: ## the control DTB: QEMU's tree for make run's -m/-smp + the image's public key (build/ctrl.dtb)
	@[ -e $(BUILD)/openv-key.dtb ] || { echo "ctrl-dtb: no $(BUILD)/openv-key.dtb: run 'make image' first" >&2; exit 1; }
	@QEMU="$(QEMU)" bootloader/ctrl-dtb.sh $(BUILD)/openv-key.dtb $(CTRL_DTB) -M virt -m $(QEMU_MEM) -smp $(QEMU_SMP)
	@echo "bootloader: $(CTRL_DTB) (QEMU -dtb; -M virt -m $(QEMU_MEM) -smp $(QEMU_SMP), key from $(BUILD)/openv-key.dtb)"
