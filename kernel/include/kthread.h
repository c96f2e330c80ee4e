/* Kernel threads: tasks that run only kernel code (background flushers, workers).
 *
 * A kernel thread has no address space, no process, no pid and no open files: it is invisible
 * to user space (not in /proc, no signal reaches it, kill(-1) skips it) and runs with root's
 * credentials. Like any kernel work done for a task it holds the big kernel lock (smp.h)
 * while it runs, and schedule() drops the lock while it sleeps. Kernel code is not preempted,
 * so a kernel thread must sleep (schedule_timeout, a wait queue, a mutex, block I/O) rather
 * than spin, and should do bounded work between sleeps.
 *
 * Returning from fn ends the thread (its stack is freed by the next task on that hart). */
#pragma once
#include "kernel.h"

struct task;

/* Create a kernel thread named `name` (shown in panics and logs) that runs fn(arg), and make it
 * runnable. NULL when out of memory. */
struct task *kthread_run(const char *name, void (*fn)(void *arg), void *arg);

/* End the calling kernel thread. */
__noreturn void kthread_exit(void);
