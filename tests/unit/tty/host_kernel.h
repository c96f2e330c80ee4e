/* Force-included (-include) when tests/unit/tty builds tty_io.c and pty.c on the host: the
 * kernel headers as they are, except that `current` reads a test variable instead of the
 * riscv tp register. The kernel services themselves are stubbed in test_tty_io.c. */
#pragma once
#include "sched.h"

extern struct task *host_current;
#undef current
#define current (host_current)
