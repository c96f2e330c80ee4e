/* SysV IPC (kernel/ipc): what the rest of the kernel calls. */
#pragma once
#include "types.h"

struct task;
void ipc_init(void);                               /* boot, after vfs_init (procfs) */
/* SEM_UNDO lists: a clone with CLONE_SYSVSEM shares the parent's (0 or -ENOMEM), any other
 * child starts without one; each exiting thread drops its share, the last applies it. */
int copy_semundo(unsigned long clone_flags, struct task *child);
void exit_sem(struct task *t);
