# cloud-init/: the first-boot provisioning agent. Included by the top-level Makefile.
#
#   make cloud-init        the static riscv64 binary, build/cloud-init/cloud-init (links libyaml
#                          from packages/libyaml)
#   make unit-cloud-init   host unit tests (cmocka, Debian's libyaml-dev), ASan and UBSan
#
# Sources: every .c in cloud-init/src and cloud-init/src/modules. Host tests: every
# tests/unit/cloud-init/test_*.c, each linked with all agent sources but main.c.

CI_SRC_DIR := cloud-init/src
CI_SRCS := $(sort $(wildcard $(CI_SRC_DIR)/*.c $(CI_SRC_DIR)/modules/*.c))
CI_HDRS := $(sort $(wildcard $(CI_SRC_DIR)/*.h $(CI_SRC_DIR)/modules/*.h))
CI_LIB_SRCS := $(filter-out $(CI_SRC_DIR)/main.c,$(CI_SRCS))
CI_CFLAGS := -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -I$(CI_SRC_DIR)

CI_UNIT_DIR := $(BUILD)/unit/cloud-init
CI_UNIT_TESTS := $(sort $(basename $(notdir $(wildcard tests/unit/cloud-init/test_*.c))))
CI_UNIT_BINS := $(addprefix $(CI_UNIT_DIR)/,$(CI_UNIT_TESTS))
CI_UNIT_CFLAGS := $(CI_CFLAGS) -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -Itests/unit/cloud-init -DCI_TEST_DATA='"tests/unit/cloud-init/data"'

.PHONY: unit-cloud-init
unit-cloud-init: $(CI_UNIT_BINS)
	@set -e; for t in $(CI_UNIT_BINS); do echo "unit-cloud-init: $$t"; $$t; done

$(CI_UNIT_DIR)/%: tests/unit/cloud-init/%.c $(CI_LIB_SRCS) $(CI_HDRS) $(wildcard tests/unit/cloud-init/*.h)
	@mkdir -p $(@D)
	$(CC) $(CI_UNIT_CFLAGS) -o $@ $< $(CI_LIB_SRCS) -lyaml -lcmocka -lcrypt

# The guest binary: static riscv64 musl, libyaml from packages/libyaml (built, or taken from the
# package cache, by pkgtool).
CI_GUEST := $(BUILD)/cloud-init/cloud-init
CI_LIBYAML := $(BUILD)/pkg/libyaml
CI_GUEST_CFLAGS := $(CI_CFLAGS) -Os -ffile-prefix-map=$(CURDIR)=. -I$(CI_LIBYAML)/include

.PHONY: cloud-init libyaml
cloud-init: $(CI_GUEST) ## the cloud-init agent, static riscv64 (build/cloud-init/cloud-init)

libyaml: toolchain
	@$(PKGTOOL) build libyaml $(BUILD)/work $(CI_LIBYAML) >/dev/null

$(CI_GUEST): $(CI_SRCS) $(CI_HDRS) cloud-init/cloud-init.mk release/VERSION | libyaml
	@mkdir -p $(@D)
	$(MUSL_CC) $(CI_GUEST_CFLAGS) -DCI_VERSION='"$(shell cat release/VERSION)"' -static -o $@.tmp \
	    $(CI_SRCS) -L$(CI_LIBYAML)/lib -lyaml
	$(TOOLCHAIN)/bin/riscv64-linux-musl-strip $@.tmp
	@mv $@.tmp $@
