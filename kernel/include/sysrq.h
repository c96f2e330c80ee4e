/* Magic SysRq (kernel/sysrq.c): a key that makes the kernel print its state to the console,
 * even while user space is stuck. The serial console (a BREAK, then the key) and
 * /proc/sysrq-trigger feed it. */
#pragma once

void handle_sysrq(char key);
