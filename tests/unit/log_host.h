/* printk for host tests of kernel code: every message goes into a buffer the tests search
 * (log_host.c), and to stderr as well when HOST_LOG_VERBOSE is set. Used by the block and
 * PCI tests and the PCI fuzz target. */
#pragma once
#include <stdbool.h>

#define HOST_LOG_SIZE (1 << 17)
/* Everything printk'd since host_log_clear(), one message a line. */
extern char host_log[HOST_LOG_SIZE];
void host_log_clear(void);
/* Does the log hold @text? (The kernel's string.h, which the tests see, has no strstr.) */
bool host_log_has(const char *text);
