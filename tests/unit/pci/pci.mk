# Host unit tests (cmocka) for the PCI core: device tree parsing, enumeration, BAR sizing and
# assignment, capabilities, INTx routing, the driver model (kernel/drivers/pci, all but the
# ECAM glue in pci.c); and the virtio-pci transport's capability parser
# (kernel/drivers/virtio/virtio_pci_caps.c), a driver's view of the same functions.
#
# Included by the top-level Makefile (from the repo root); also usable alone:
#     make -f tests/unit/pci/pci.mk unit-pci
#
# Targets:
#   unit-pci            build every test into $(BUILD)/unit/pci/ and run them all;
#                       fails if any test fails
#   unit-pci-build      build tests and fixtures without running
#   unit-pci-cross      compile kernel/drivers/pci with the kernel's cross flags
#
# Fixtures: device trees from tests/unit/fixtures (QEMU's recorded ones, qemu-virt-aplic and
# the hand-written pci-hosts; compiled by unit.mk) and config spaces recorded from QEMU in
# tests/unit/pci/fixtures (record_config.py writes them).

# Do not become the includer's default goal (restored at the end).
PCI_SAVED_GOAL := $(.DEFAULT_GOAL)

BUILD ?= build
ifndef UNIT_MK_INCLUDED
include tests/unit/unit.mk
endif

PCI_DIR := $(BUILD)/unit/pci
PCI_SRC := tests/unit/pci

PCI_CC ?= gcc
PCI_CFLAGS ?= -std=c11 -Wall -Wextra -Werror -g -O1 \
	-fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
PCI_CPPFLAGS := -Ikernel/include -Ikernel/drivers/pci -Ikernel/drivers/virtio -Itests/unit \
	-I$(PCI_SRC) \
	-DUNIT_FIXTURES='"$(UNIT_FIXTURES)"' -DPCI_FIXTURES='"$(PCI_SRC)/fixtures"'
PCI_LDLIBS := -lcmocka

PCI_CROSS_CC ?= riscv64-linux-gnu-gcc
PCI_CROSS_CFLAGS := -std=c11 -ffreestanding -fno-builtin -nostdlib \
	-mcmodel=medany -march=rv64imac_zicsr_zifencei -mabi=lp64 \
	-Wall -Wextra -Werror -O2 -Ikernel/include -Ikernel/arch/riscv/include

# ---- Tests: name -> sources ----------------------------------------------------

# The pure core (everything in kernel/drivers/pci but the driver model and the kernel glue).
PCI_CORE_SRCS := kernel/drivers/pci/pci_dt.c kernel/drivers/pci/pci_probe.c \
	kernel/drivers/pci/pci_assign.c kernel/drivers/pci/pci_lib.c \
	kernel/lib/fdt.c kernel/lib/kprintf.c $(PCI_SRC)/fake_ecam.c tests/unit/log_host.c

PCI_TESTS := test_pci_dt test_pci_scan test_pci_driver test_virtio_pci_caps

test_pci_dt_SRCS := $(PCI_SRC)/test_pci_dt.c $(PCI_CORE_SRCS)
test_pci_scan_SRCS := $(PCI_SRC)/test_pci_scan.c $(PCI_CORE_SRCS)
# The driver model, with kzalloc, spinlocks and irq_register stood in for in the test.
test_pci_driver_SRCS := $(PCI_SRC)/test_pci_driver.c kernel/drivers/pci/pci_driver.c \
	$(PCI_CORE_SRCS)
# The virtio-pci transport's capability parser, a PCI driver's view of the same functions.
test_virtio_pci_caps_SRCS := $(PCI_SRC)/test_virtio_pci_caps.c \
	kernel/drivers/virtio/virtio_pci_caps.c $(PCI_CORE_SRCS)

PCI_HEADERS := $(wildcard kernel/include/*.h) $(wildcard kernel/drivers/pci/*.h) \
	kernel/drivers/virtio/virtio_pci.h \
	$(wildcard $(PCI_SRC)/*.h) tests/unit/test_util.h tests/unit/log_host.h
PCI_BINS := $(addprefix $(PCI_DIR)/,$(PCI_TESTS))
PCI_DTBS := $(addprefix $(UNIT_FIXTURES)/,qemu-virt-smp1.dtb qemu-virt-smp4.dtb \
	qemu-virt-bootargs.dtb qemu-virt-aplic.dtb pci-hosts.dtb)
PCI_FIXTURE_FILES := $(PCI_DTBS) $(wildcard $(PCI_SRC)/fixtures/*.cfg)

define pci_test_rule
$(PCI_DIR)/$(1): $$($(1)_SRCS) $$(PCI_HEADERS) | $(PCI_DIR)
	$$(PCI_CC) $$(PCI_CFLAGS) $$(PCI_CPPFLAGS) -o $$@ $$($(1)_SRCS) $$(PCI_LDLIBS)
endef
$(foreach t,$(PCI_TESTS),$(eval $(call pci_test_rule,$(t))))

$(PCI_DIR):
	mkdir -p $@

# ---- Entry points ----------------------------------------------------------------

.PHONY: unit-pci unit-pci-build unit-pci-cross

unit-pci-build: $(PCI_BINS) $(PCI_FIXTURE_FILES)

# Run every test even if one fails, then fail if any did.
unit-pci: unit-pci-build unit-pci-cross
	@failed=""; \
	for t in $(PCI_BINS); do \
		echo "== $$t"; \
		$$t || failed="$$failed $$(basename $$t)"; \
	done; \
	if [ -n "$$failed" ]; then echo "unit-pci: FAILED:$$failed"; exit 1; fi; \
	echo "unit-pci: all $(words $(PCI_TESTS)) test programs passed"

# The kernel builds these with its own rules; this guards that the whole driver, glue
# included, stays freestanding-clean under the kernel's flags.
PCI_CROSS_SRCS := $(wildcard kernel/drivers/pci/*.c)
PCI_CROSS_OBJS := $(patsubst %.c,$(PCI_DIR)/cross/%.o,$(PCI_CROSS_SRCS))
$(PCI_DIR)/cross/%.o: %.c $(PCI_HEADERS)
	@mkdir -p $(@D)
	$(PCI_CROSS_CC) $(PCI_CROSS_CFLAGS) -c -o $@ $<
unit-pci-cross: $(PCI_CROSS_OBJS)

.DEFAULT_GOAL := $(PCI_SAVED_GOAL)
