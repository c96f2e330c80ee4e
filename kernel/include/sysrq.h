/* Magic SysRq (kernel/sysrq.c): a key that makes the kernel print its state to the console,
 * even while user space is stuck. The serial console (a BREAK, then the key) and
 * /proc/sysrq-trigger feed it. */
#pragma once
#include "types.h"

/* may_sleep: called from a process (/proc/sysrq-trigger), so the report may take sleeping
 * locks to show more (futex words); false from an interrupt. */
void handle_sysrq(char key, bool may_sleep);
