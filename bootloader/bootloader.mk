# Our U-Boot (bootloader/README.md): packages/u-boot built for qemu-riscv64_smode with
# packages/u-boot/openv.config, cached by the package's build key like every package.
BOOTLOADER := $(BUILD)/bootloader
SIGNED_UBOOT := $(BOOTLOADER)/u-boot.bin
.PHONY: bootloader
bootloader: ## our U-Boot, FIT signatures required (build/bootloader/u-boot.bin; cached)
	@$(PKGTOOL) build u-boot $(BUILD)/work $(BOOTLOADER) >/dev/null
	@echo "bootloader: $(SIGNED_UBOOT) (+ bin/mkimage, bin/fit_check_sign)"
