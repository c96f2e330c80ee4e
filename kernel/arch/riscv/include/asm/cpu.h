/* Per-hart data. The kernel keeps a pointer to its hart's struct cpu in `tp`; while a hart
 * runs user code, sscratch holds it instead (entry.S swaps them). */
#pragma once
#include "types.h"
#include "trapframe.h"

#define NR_CPUS 8

struct task;
struct mm_struct;
struct cpu {
    unsigned long scratch_sp;   /* entry.S: the interrupted sp while switching stacks */
    unsigned long kernel_sp;    /* entry.S: top of the current task's kernel stack */
    struct task *cur_task;      /* the running task (sched.h's `current`) */
    struct task *idle;          /* runs when nothing else is runnable */
    unsigned long hartid;
    int id;
    volatile bool need_resched; /* set by the tick or a wake-up; checked on return to user */
    int irq_depth;
    unsigned long boot_sp;      /* smp_head.S: the idle stack a secondary hart starts on */
    volatile bool online;       /* the hart runs the scheduler */
    struct mm_struct *volatile active_mm;   /* the address space in satp (TLB shootdown) */
    volatile uint32_t ipi_pending;          /* IPI_* bits for this hart (smp.c) */
    struct task *last_prev;     /* sched.c: the task switched away from, for schedule_tail */
    uint64_t next_tick;         /* timer.c: this hart's next scheduler tick (timebase) */
};
_Static_assert(__builtin_offsetof(struct cpu, scratch_sp) == CPU_SCRATCH_SP, "cpu layout");
_Static_assert(__builtin_offsetof(struct cpu, kernel_sp) == CPU_KERNEL_SP, "cpu layout");
_Static_assert(__builtin_offsetof(struct cpu, cur_task) == CPU_CURRENT, "cpu layout");

_Static_assert(__builtin_offsetof(struct cpu, boot_sp) == 56, "cpu layout (smp_head.S)");

extern struct cpu cpus[NR_CPUS];

/* volatile: a task that sleeps may wake up on another hart, so the value must not be reused
 * across a call to schedule(). */
static inline struct cpu *this_cpu(void)
{
    struct cpu *c;
    __asm__ volatile("mv %0, tp" : "=r"(c));
    return c;
}
