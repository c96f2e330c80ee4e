/* The scheduler: one run queue, round robin, time slices weighted by nice (so equal-nice
 * CPU-bound tasks get equal time), preemption of user code by the tick. The kernel itself is
 * not preempted: a task in the kernel runs until it sleeps or returns to user mode.
 * Wait queues and sleeping (sched.h) are here too. */
#include "kernel.h"
#include "sched.h"
#include "task.h"
#include "vm.h"
#include "mm.h"
#include "asm/cpu.h"
#include "asm/csr.h"

struct cpu cpus[NR_CPUS];
static LIST_HEAD(runqueue);
static spinlock_t rq_lock = SPINLOCK_INIT("runqueue");

void switch_context(struct context *prev, struct context *next);
void fpu_save(struct fpstate *fp);
void fpu_restore(struct fpstate *fp);

/* Linux's nice-to-weight table, scaled: ticks per slice for nice -20..19. */
static int slice_ticks(int nice)
{
    static const uint32_t weight[40] = {
        88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916,
        9548, 7620, 6100, 4904, 3906, 3121, 2501, 1991, 1586, 1277,
        1024, 820, 655, 526, 423, 335, 272, 215, 172, 137,
        110, 87, 70, 56, 45, 36, 29, 23, 18, 15,
    };
    int w = weight[MAX(-20, MIN(19, nice)) + 20];
    int t = (int)(3L * w / 1024);     /* nice 0: 3 ticks = 12 ms */
    return MAX(1, MIN(t, 50));
}

static void enqueue_locked(struct task *t)
{
    struct task_private *p = t->priv;
    if (p->on_rq || t == this_cpu()->idle)
        return;
    list_add_tail(&p->run_node, &runqueue);
    p->on_rq = true;
}

void sched_add_new(struct task *t)
{
    irqflags_t f = spin_lock_irqsave(&rq_lock);
    t->state = TASK_RUNNING;
    t->priv->slice = slice_ticks(t->priv->nice);
    enqueue_locked(t);
    spin_unlock_irqrestore(&rq_lock, f);
}

void wake_up_state(struct task *t, unsigned states)
{
    irqflags_t f = spin_lock_irqsave(&rq_lock);
    if (states & (1u << t->state)) {
        t->state = TASK_RUNNING;
        if (t != this_cpu()->cur_task) {
            enqueue_locked(t);
            this_cpu()->need_resched = true;
        }
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
void switch_fpu(struct task *prev, struct task *next)
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

static struct task *last_prev;   /* the task switched away from, for schedule_tail */

/* Runs in the task that was switched to, right after the switch. */
void schedule_tail(void)
{
    struct task *prev = last_prev;
    last_prev = NULL;
    if (prev && prev->state == TASK_DEAD)
        task_free(prev);
}

void schedule(void)
{
    struct cpu *cpu = this_cpu();
    struct task *prev = cpu->cur_task;
    irqflags_t f = local_irq_save();
    spin_lock(&rq_lock);
    cpu->need_resched = false;
    if (prev->state == TASK_RUNNING)
        enqueue_locked(prev);
    struct task *next = cpu->idle;
    if (!list_empty(&runqueue)) {
        struct task_private *p = list_first_entry(&runqueue, struct task_private, run_node);
        list_del(&p->run_node);
        p->on_rq = false;
        next = p->task;
    }
    if (next == prev) {
        spin_unlock(&rq_lock);
        local_irq_restore(f);
        return;
    }
    next->priv->slice = slice_ticks(next->priv->nice);
    cpu->cur_task = next;
    spin_unlock(&rq_lock);
    if (next->mm && next->mm != prev->mm)
        mm_activate(next->mm);
    switch_fpu(prev, next);
    last_prev = prev;
    switch_context(&prev->priv->ctx, &next->priv->ctx);
    schedule_tail();
    local_irq_restore(f);
}

void sched_yield_now(void)
{
    this_cpu()->need_resched = true;
    schedule();
}

/* Timer tick: CPU time accounting and the end of the time slice. */
void sched_tick(bool user)
{
    struct cpu *cpu = this_cpu();
    struct task *t = cpu->cur_task;
    if (t == cpu->idle) {
        if (!list_empty(&runqueue))
            cpu->need_resched = true;
        return;
    }
    uint64_t ns = NSEC_PER_SEC / HZ;
    if (user)
        t->priv->utime_ns += ns;
    else
        t->priv->stime_ns += ns;
    if (--t->priv->slice <= 0)
        cpu->need_resched = true;
}

long sys_sched_yield(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a0; (void)a1; (void)a2; (void)a3; (void)a4; (void)a5;
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
        ktimer_cancel(&p->sleep_timer);
        if (ktime_mono_ns() >= deadline_ns)
            return 0;
    }
    return 1;
}

/* ---- wait queues ---- */

void wait_queue_init(struct wait_queue *wq)
{
    spin_init(&wq->lock, "waitqueue");
    list_init(&wq->waiters);
}

static bool on_queue(struct wait_queue *wq, struct wait_entry *e)
{
    struct list_head *pos;
    list_for_each(pos, &wq->waiters)
        if (pos == &e->node)
            return true;
    return false;
}

/* The entry may be uninitialised on the first call (the wait_event pattern reuses it): the
 * queue is searched rather than trusting the entry. */
void prepare_to_wait(struct wait_queue *wq, struct wait_entry *e, int state)
{
    irqflags_t f = spin_lock_irqsave(&wq->lock);
    if (!on_queue(wq, e)) {
        e->task = current;
        list_add_tail(&e->node, &wq->waiters);
    }
    current->state = state;
    spin_unlock_irqrestore(&wq->lock, f);
}

void finish_wait(struct wait_queue *wq, struct wait_entry *e)
{
    current->state = TASK_RUNNING;
    irqflags_t f = spin_lock_irqsave(&wq->lock);
    if (on_queue(wq, e))
        list_del(&e->node);
    spin_unlock_irqrestore(&wq->lock, f);
}

void wake_up(struct wait_queue *wq)
{
    irqflags_t f = spin_lock_irqsave(&wq->lock);
    struct wait_entry *e;
    list_for_each_entry(e, &wq->waiters, node)
        wake_up_process(e->task);
    spin_unlock_irqrestore(&wq->lock, f);
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
