/* Symmetric multiprocessing: which harts run, inter-processor interrupts, cross-hart TLB
 * and instruction-cache maintenance, and the big kernel lock.
 *
 * Harts: the boot hart is cpu 0; `maxcpus=N` on the command line (default: every hart the
 * FDT lists) bounds how many are started through SBI HSM. A cpu number indexes cpus[] (asm/cpu.h).
 *
 * The big kernel lock (BKL) serialises kernel code that runs on behalf of tasks, so the
 * kernel's single-hart reasoning ("the kernel is not preempted") holds while user code runs
 * on every hart at once. A task takes it when it enters the kernel from user mode and drops
 * it on the way back out; schedule() drops it while the task sleeps and takes it back when
 * the task runs again. Interrupt handlers, the idle loops and the scheduler core never take
 * it: they rely on spinlocks, as before. The BKL is off (every call a no-op) until a second
 * hart comes online, so a one-hart system behaves exactly as without SMP. */
#pragma once
#include "types.h"

struct mm_struct;

unsigned nr_cpus_online(void);          /* harts running the scheduler (>= 1) */
bool cpu_is_online(int cpu);
unsigned long cpus_online_mask(void);   /* bit n = cpu n */
int smp_cpu_id(void);                   /* this hart's cpu number */

/* Boot: start the other harts (kmain, before PID 1 exists). */
struct fdt_platform;
void smp_boot_secondaries(const struct fdt_platform *plat);

/* IPIs. */
#define IPI_RESCHEDULE 1u     /* set need_resched */
#define IPI_TIMER 2u          /* re-program the timer (a kernel timer was armed elsewhere) */
#define IPI_STOP 4u           /* panic: stop */
#define IPI_WAKE 8u           /* nothing to do: ends a wfi (a big-kernel-lock sleeper) */
void smp_send_ipi(int cpu, uint32_t what);
void smp_handle_ipi(void);     /* the supervisor software interrupt */
void smp_stop_others(void);    /* panic */

/* TLB and instruction cache: flush here and on every other hart that has `mm` in satp. */
void flush_tlb_mm_page(struct mm_struct *mm, unsigned long va);
void flush_tlb_mm(struct mm_struct *mm);
void flush_icache_mm(struct mm_struct *mm);

/* The big kernel lock (see above). */
/* The lock is taken and dropped on every trap from user mode, so the one-hart case (the
 * lock is off until a second hart runs tasks) is decided inline. */
extern volatile bool bkl_enabled;
void bkl_lock_slow(void);
void bkl_unlock_slow(void);
static inline void bkl_lock(void)      /* current task; no-op while one hart runs */
{
    if (bkl_enabled)
        bkl_lock_slow();
}
static inline void bkl_unlock(void)    /* no-op unless current holds it */
{
    if (bkl_enabled)
        bkl_unlock_slow();
}
bool bkl_active(void);
void bkl_enable(void);   /* before a second hart can run a task */
