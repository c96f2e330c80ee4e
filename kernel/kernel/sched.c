/* The scheduler: one run queue, preemption of user code by the tick. The kernel itself is
 * not preempted: a task in the kernel runs until it sleeps or returns to user mode.
 * Sleeping (sched.h) is here too; wait queues are in waitqueue.c.
 *
 * Fairness is CFS's idea, kept small: every task has a virtual runtime, the CPU time it used
 * scaled by 1024 / its weight (Linux's nice-to-weight table, so each nice step is ~10% of
 * CPU), charged by the tick. schedule() runs the queued task with the least virtual runtime,
 * found by a scan of the queue (short in practice). A task waking from sleep is placed no
 * further back than a little before the queue's minimum, so an interactive task that sleeps
 * most of the time runs first when it wakes, yet cannot bank sleep time for a later burst;
 * a new task starts a slice after the minimum (Linux's START_DEBIT), so forking does not buy
 * CPU. A task runs for a time slice (longer for lower nice) unless woken tasks preempt it.
 *
 * SMP: every hart takes tasks from the one queue (the least virtual runtime among those its
 * affinity allows; min_vruntime is shared, so placement is fair across harts). The queue
 * lock is held across the context switch and released by the next task (schedule_tail), so
 * a task that is still switching out on one hart cannot be picked up by another, and
 * `on_cpu` (set and cleared under the lock) tells a waker the task is on a hart, where it
 * will see its state go back to TASK_RUNNING. A wake-up kicks an idle hart with an IPI. */
#include "kernel.h"
#include "sched.h"
#include "task.h"
#include "vm.h"
#include "mm.h"
#include "procinfo.h"
#include "smp.h"
#include "asm/cpu.h"
#include "syscall.h"
#include "asm/csr.h"
#include "asm/entry.h"

struct cpu cpus[NR_CPUS];
static LIST_HEAD(runqueue);
static spinlock_t rq_lock = SPINLOCK_INIT("runqueue");

/* Linux's nice-to-weight table (nice -20..19; nice 0 is 1024). */
static uint32_t nice_weight(int nice)
{
    static const uint32_t weight[40] = {
        88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916,
        9548, 7620, 6100, 4904, 3906, 3121, 2501, 1991, 1586, 1277,
        1024, 820, 655, 526, 423, 335, 272, 215, 172, 137,
        110, 87, 70, 56, 45, 36, 29, 23, 18, 15,
    };
    return weight[MAX(-20, MIN(19, nice)) + 20];
}

#define NICE_0_SLICE_TICKS 3                       /* 12 ms */
#define NICE_0_SLICE_NS (NICE_0_SLICE_TICKS * (NSEC_PER_SEC / HZ))
#define SLEEPER_CREDIT_NS (NICE_0_SLICE_NS / 2)   /* how far before the minimum a waker goes */

/* Ticks per slice: longer for heavier tasks, so fewer switches between unequal ones. */
static int slice_ticks(int nice)
{
    int t = (int)((uint64_t)NICE_0_SLICE_TICKS * nice_weight(nice) / 1024);
    return MAX(1, MIN(t, 50));
}

/* The smallest virtual runtime the queue has seen run; only grows (rq_lock held). */
static uint64_t min_vruntime;

/* A task coming back from sleep: never behind where it was, never far ahead of the rest. */
static void place_woken(struct task_private *p)
{
    uint64_t floor = min_vruntime > SLEEPER_CREDIT_NS ? min_vruntime - SLEEPER_CREDIT_NS : 0;
    if (p->vruntime < floor)
        p->vruntime = floor;
}

static bool cpu_allowed(const struct task_private *p, int cpu)
{
    return !p->cpus_allowed || (p->cpus_allowed >> cpu & 1);
}

static void enqueue_locked(struct task *t)
{
    struct task_private *p = t->priv;
    if (p->on_rq || p->is_idle || t == this_cpu()->idle)
        return;
    list_add_tail(&p->run_node, &runqueue);
    p->on_rq = true;
}

/* A task was queued: have a hart pick it up. With one hart that is this one at its next
 * return to user mode (the woken task preempts the waker, round robin); otherwise an idle
 * hart the task may run on, else this hart if allowed (others find it at their next tick).
 * rq_lock held. */
static void kick_for(struct task_private *p)
{
    struct cpu *me = this_cpu();
    if (nr_cpus_online() > 1) {
        if (me->cur_task == me->idle && cpu_allowed(p, me->id)) {
            me->need_resched = true;
            return;
        }
        for (int c = 0; c < NR_CPUS; c++) {
            struct cpu *o = &cpus[c];
            if (c != me->id && cpu_is_online(c) && o->cur_task == o->idle && !o->need_resched &&
                cpu_allowed(p, c)) {
                o->need_resched = true;
                smp_send_ipi(c, IPI_RESCHEDULE);
                return;
            }
        }
        if (!cpu_allowed(p, me->id))
            return;
    }
    me->need_resched = true;
}

void sched_add_new(struct task *t)
{
    irqflags_t f = spin_lock_irqsave(&rq_lock);
    t->state = TASK_RUNNING;
    t->priv->slice = slice_ticks(t->priv->nice);
    t->priv->vruntime = min_vruntime + NICE_0_SLICE_NS;
    enqueue_locked(t);
    if (nr_cpus_online() > 1)
        kick_for(t->priv);
    spin_unlock_irqrestore(&rq_lock, f);
}

void wake_up_state(struct task *t, unsigned states)
{
    irqflags_t f = spin_lock_irqsave(&rq_lock);
    if (states & (1u << t->state)) {
        t->state = TASK_RUNNING;
        if (!t->priv->on_cpu) {
            place_woken(t->priv);
            enqueue_locked(t);
            kick_for(t->priv);
        }
    }
    spin_unlock_irqrestore(&rq_lock, f);
}

/* A signal for a task running in user mode on another hart: interrupt it so that it notices
 * (Linux's kick_process); on this hart the return to user mode handles it. */
void sched_kick(struct task *t)
{
    if (nr_cpus_online() <= 1)
        return;
    irqflags_t f = spin_lock_irqsave(&rq_lock);
    if (t->priv->on_cpu)
        for (int c = 0; c < NR_CPUS; c++)
            if (c != this_cpu()->id && cpus[c].cur_task == t)
                smp_send_ipi(c, 0);
    spin_unlock_irqrestore(&rq_lock, f);
}

/* sched_setaffinity: the new mask applies from the task's next schedule(). A running task
 * that may no longer run where it is gets rescheduled. */
void sched_set_affinity(struct task *t, unsigned long mask)
{
    irqflags_t f = spin_lock_irqsave(&rq_lock);
    t->priv->cpus_allowed = mask;
    if (t->priv->on_cpu) {
        for (int c = 0; c < NR_CPUS; c++)
            if (cpus[c].cur_task == t && !cpu_allowed(t->priv, c)) {
                if (c == this_cpu()->id)
                    cpus[c].need_resched = true;
                else
                    smp_send_ipi(c, IPI_RESCHEDULE);
            }
    } else if (t->priv->on_rq) {
        kick_for(t->priv);
    }
    spin_unlock_irqrestore(&rq_lock, f);
}

void wake_up_process(struct task *t)
{
    wake_up_state(t, (1u << TASK_INTERRUPTIBLE) | (1u << TASK_UNINTERRUPTIBLE));
}

void set_current_state(int state) { current->state = state; }

/* The user FP registers stay in the hart while the kernel runs (it never uses them); they
 * are saved only when another task is switched in, and only if the task used them. */
static void switch_fpu(struct task *prev, struct task *next)
{
    if (prev->mm) {
        struct trapframe *tf = task_tf(prev);
        if ((tf->status & SR_FS) == SR_FS_DIRTY) {
            fpu_save(&prev->priv->fp);
            tf->status = (tf->status & ~SR_FS) | SR_FS_CLEAN;
        }
    }
    if (next->mm) {
        struct trapframe *tf = task_tf(next);
        if ((tf->status & SR_FS) != SR_FS_OFF && (tf->status & SR_FS) != SR_FS_INITIAL) {
            csr_set(sstatus, SR_FS_CLEAN);
            fpu_restore(&next->priv->fp);
        }
    }
}

/* Runs in the task that was switched to, right after the switch (also the first code of a new
 * task): the switched-away task is off the hart now; the queue lock taken by schedule() on
 * this hart is released. */
void schedule_tail(void)
{
    struct cpu *cpu = this_cpu();
    struct task *prev = cpu->last_prev;
    cpu->last_prev = NULL;
    bool dead = prev && prev->state == TASK_DEAD;
    if (prev)
        prev->priv->on_cpu = false;
    spin_unlock(&rq_lock);
    if (dead)
        task_free(prev);
}

void schedule(void)
{
    struct task *prev = current;
    /* Sleeping gives up the big kernel lock (smp.h); the task takes it back when it runs. */
    bool had_bkl = prev->priv->holds_bkl;
    if (had_bkl)
        bkl_unlock();
    irqflags_t f = local_irq_save();
    struct cpu *cpu = this_cpu();
    spin_lock(&rq_lock);
    cpu->need_resched = false;
    if (prev->state == TASK_RUNNING) {
        enqueue_locked(prev);
        if (!cpu_allowed(prev->priv, cpu->id))
            kick_for(prev->priv);     /* its affinity changed: another hart must take it */
    }
    /* The least virtual runtime goes next (the first queued on a tie). A task that yields
     * lets any other go first and then queues behind it. */
    bool yielded = prev->priv->yielded;
    prev->priv->yielded = false;
    struct task_private *p, *best = NULL;
    list_for_each_entry(p, &runqueue, run_node) {
        if (!cpu_allowed(p, cpu->id) || (yielded && p->task == prev))
            continue;
        if (!best || p->vruntime < best->vruntime)
            best = p;
    }
    if (!best && yielded && prev->priv->on_rq && cpu_allowed(prev->priv, cpu->id))
        best = prev->priv;
    struct task *next = cpu->idle;
    if (best) {
        list_del(&best->run_node);
        best->on_rq = false;
        next = best->task;
        if (best->vruntime > min_vruntime)
            min_vruntime = best->vruntime;
        if (yielded && next != prev && prev->priv->vruntime < best->vruntime)
            prev->priv->vruntime = best->vruntime;
    }
    if (next == prev) {
        spin_unlock(&rq_lock);
        local_irq_restore(f);
        if (had_bkl)
            bkl_lock();
        return;
    }
    next->priv->slice = slice_ticks(next->priv->nice);
    next->priv->on_cpu = true;
    cpu->cur_task = next;
    cpustat_note_context_switch();
    /* /proc/<pid>/status: switches away while still runnable were forced (preemption).
     * A dead task's process may already be freed. */
    if (prev != cpu->idle && prev->state != TASK_DEAD && prev->priv->proc) {
        if (prev->state == TASK_RUNNING)
            prev->priv->proc->nivcsw++;
        else
            prev->priv->proc->nvcsw++;
    }
    if (next->mm && (next->mm != prev->mm || cpu->active_mm != next->mm))
        mm_activate(next->mm);
    else if (!next->mm && cpu->active_mm && nr_cpus_online() > 1)
        mm_activate(NULL);   /* the address space may be freed on another hart meanwhile */
    /* Code written to memory on another hart (exec, a page fault) is fetched correctly here
     * only after a fence.i on this hart. */
    if (next->mm && next->priv->last_cpu != cpu->id)
        local_flush_icache();
    next->priv->last_cpu = cpu->id;
    /* User memory is open (sstatus.SUM) only inside the copy routines, and a trap taken in
     * one closes it for its handler (entry.S): open here, it would leak into the next
     * task's kernel code. */
    if (csr_read(sstatus) & SR_SUM) {
        static bool reported;
        if (!reported) {
            reported = true;
            pr_err("sched: switching with user memory open (sstatus.SUM), closed\n");
        }
        csr_clear(sstatus, SR_SUM);
    }
    switch_fpu(prev, next);
    cpu->last_prev = prev;
    switch_context(&prev->priv->ctx, &next->priv->ctx);
    /* Back in prev, possibly on another hart: `cpu` is stale from here on. */
    schedule_tail();
    local_irq_restore(f);
    if (had_bkl)
        bkl_lock();
}

static void sched_yield_now(void)
{
    current->priv->yielded = true;
    this_cpu()->need_resched = true;
    schedule();
}

/* Timer tick: CPU time accounting and the end of the time slice. */
void sched_tick(bool user)
{
    struct cpu *cpu = this_cpu();
    struct task *t = cpu->cur_task;
    uint64_t ns = NSEC_PER_SEC / HZ;
    /* System-wide CPU time for /proc/stat (and the load average). */
    cpustat_tick(cpu->id, t == cpu->idle ? CPUSTAT_IDLE : !user ? CPUSTAT_SYSTEM :
                 t->priv->nice > 0 ? CPUSTAT_NICE : CPUSTAT_USER, ns);
    if (t == cpu->idle) {
        if (!list_empty(&runqueue))
            cpu->need_resched = true;
        return;
    }
    if (user)
        t->priv->utime_ns += ns;
    else
        t->priv->stime_ns += ns;
    if (t->priv->proc)
        itimer_cpu_tick(t, user, ns);
    t->priv->vruntime += ns * 1024 / nice_weight(t->priv->nice);
    if (--t->priv->slice <= 0)
        cpu->need_resched = true;
}

SYSCALL_DEFINE0(sched_yield)
{
    sched_yield_now();
    return 0;
}

/* ---- sleeping ---- */

static void sleep_timer_fn(struct ktimer *kt)
{
    struct task_private *p = container_of(kt, struct task_private, sleep_timer);
    wake_up_process(p->task);
}

int schedule_timeout(uint64_t deadline_ns)
{
    struct task_private *p = current->priv;
    if (deadline_ns) {
        if (ktime_mono_ns() >= deadline_ns) {
            current->state = TASK_RUNNING;
            return 0;
        }
        ktimer_init(&p->sleep_timer, sleep_timer_fn);
        ktimer_arm(&p->sleep_timer, deadline_ns);
    }
    schedule();
    if (deadline_ns) {
        ktimer_cancel_sync(&p->sleep_timer);
        if (ktime_mono_ns() >= deadline_ns)
            return 0;
    }
    return 1;
}

/* ---- sleeping locks ---- */

void mutex_init(struct mutex *m)
{
    spin_init(&m->lock, "mutex");
    m->owner = NULL;
    list_init(&m->waiters);
}

void mutex_lock(struct mutex *m)
{
    struct wait_entry e;
    for (;;) {
        irqflags_t f = spin_lock_irqsave(&m->lock);
        if (!m->owner) {
            m->owner = current;
            spin_unlock_irqrestore(&m->lock, f);
            return;
        }
        if (m->owner == current)
            panic("mutex %p: recursive lock", (void *)m);
        e.task = current;
        e.func = NULL;
        e.exclusive = false;
        list_add_tail(&e.node, &m->waiters);
        current->state = TASK_UNINTERRUPTIBLE;
        spin_unlock_irqrestore(&m->lock, f);
        schedule();
        f = spin_lock_irqsave(&m->lock);
        list_del(&e.node);
        spin_unlock_irqrestore(&m->lock, f);
    }
}

void mutex_unlock(struct mutex *m)
{
    irqflags_t f = spin_lock_irqsave(&m->lock);
    m->owner = NULL;
    if (!list_empty(&m->waiters))
        wake_up_process(list_first_entry(&m->waiters, struct wait_entry, node)->task);
    spin_unlock_irqrestore(&m->lock, f);
}
