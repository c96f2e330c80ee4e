/* Per-hart data. The kernel keeps a pointer to its hart's struct cpu in `tp`; while a hart
 * runs user code, sscratch holds it instead (entry.S swaps them). */
#pragma once
#include "types.h"
#include "trapframe.h"

#define NR_CPUS 8

struct task;
struct cpu {
    unsigned long scratch_sp;   /* entry.S: the interrupted sp while switching stacks */
    unsigned long kernel_sp;    /* entry.S: top of the current task's kernel stack */
    struct task *cur_task;      /* the running task (sched.h's `current`) */
    struct task *idle;          /* runs when nothing else is runnable */
    unsigned long hartid;
    int id;
    volatile bool need_resched; /* set by the tick or a wake-up; checked on return to user */
    int irq_depth;
};
_Static_assert(__builtin_offsetof(struct cpu, scratch_sp) == CPU_SCRATCH_SP, "cpu layout");
_Static_assert(__builtin_offsetof(struct cpu, kernel_sp) == CPU_KERNEL_SP, "cpu layout");
_Static_assert(__builtin_offsetof(struct cpu, cur_task) == CPU_CURRENT, "cpu layout");

extern struct cpu cpus[NR_CPUS];

static inline struct cpu *this_cpu(void)
{
    struct cpu *c;
    __asm__("mv %0, tp" : "=r"(c));
    return c;
}
