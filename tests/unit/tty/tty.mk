# Host tests (cmocka) for the tty line discipline core, kernel/drivers/tty/n_tty.c.
#
#     make -f tests/unit/tty/tty.mk unit-tty       # build both tests into build/unit/tty, run them
#
# test_n_tty: the line discipline alone. n_tty.c needs only the compiler's own headers and
# uapi/termios.h, so it is built with the host libc; kernel/include is searched for quoted
# includes only (-iquote), so its string.h does not shadow libc's.
# test_tty_io: tty_io.c and pty.c against stubbed kernel services (in the test), with the
# kernel headers; host_kernel.h swaps the riscv `current` for a test variable.

BUILD ?= build
UNIT_TTY_DIR := $(BUILD)/unit/tty
UNIT_TTY_CC ?= gcc
UNIT_TTY_CFLAGS ?= -std=c11 -Wall -Wextra -Werror -g -O1 \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
UNIT_TTY_SRCS := tests/unit/tty/test_n_tty.c kernel/drivers/tty/n_tty.c
UNIT_TTY_IO_SRCS := tests/unit/tty/test_tty_io.c kernel/drivers/tty/tty_io.c \
	kernel/drivers/tty/pty.c kernel/drivers/tty/n_tty.c
UNIT_TTY_HDRS := $(wildcard kernel/drivers/tty/*.h kernel/include/*.h kernel/include/uapi/*.h) \
	tests/unit/tty/host_kernel.h

.PHONY: unit-tty
unit-tty: $(UNIT_TTY_DIR)/test_n_tty $(UNIT_TTY_DIR)/test_tty_io
	$(UNIT_TTY_DIR)/test_n_tty
	$(UNIT_TTY_DIR)/test_tty_io

$(UNIT_TTY_DIR)/test_n_tty: $(UNIT_TTY_SRCS) kernel/drivers/tty/n_tty.h \
		kernel/include/uapi/termios.h
	@mkdir -p $(@D)
	$(UNIT_TTY_CC) $(UNIT_TTY_CFLAGS) -Ikernel/drivers/tty -iquote kernel/include -o $@ \
		$(UNIT_TTY_SRCS) -lcmocka

$(UNIT_TTY_DIR)/test_tty_io: $(UNIT_TTY_IO_SRCS) $(UNIT_TTY_HDRS)
	@mkdir -p $(@D)
	$(UNIT_TTY_CC) $(UNIT_TTY_CFLAGS) -Ikernel/include -Ikernel/drivers/tty \
		-include tests/unit/tty/host_kernel.h -o $@ $(UNIT_TTY_IO_SRCS) -lcmocka
