/* Forced-included (-include) into host builds of kernel/fs: sched.h reads `current` from the
 * RISC-V tp register; on the host it is one static task. */
#pragma once
#include "sched.h"
#undef current
struct task *host_get_current(void);
#define current (host_get_current())
