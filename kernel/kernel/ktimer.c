/* Kernel timers: a list sorted by deadline, run from the timer interrupt of whichever hart
 * finds them due. */
#include "kernel.h"
#include "ktimer.h"
#include "spinlock.h"
#include "ksyms.h"
#include "asm/cpu.h"

static LIST_HEAD(timers);
static spinlock_t timer_lock = SPINLOCK_INIT("ktimer");
static struct ktimer *running[NR_CPUS];   /* the callback each hart is in (timer_lock) */

void ktimer_init(struct ktimer *t, void (*fn)(struct ktimer *))
{
    list_init(&t->node);
    t->fn = fn;
    t->armed = false;
    t->deadline = 0;
}

static void arm_locked(struct ktimer *t, uint64_t deadline)
{
    if (t->armed)
        list_del(&t->node);
    t->deadline = deadline;
    struct list_head *pos;
    list_for_each(pos, &timers) {
        if (list_entry(pos, struct ktimer, node)->deadline > deadline)
            break;
    }
    __list_add(&t->node, pos->prev, pos);
    t->armed = true;
}

void ktimer_arm(struct ktimer *t, uint64_t deadline_ns)
{
    irqflags_t f = spin_lock_irqsave(&timer_lock);
    arm_locked(t, deadline_ns);
    bool first = timers.next == &t->node;
    spin_unlock_irqrestore(&timer_lock, f);
    if (first)
        timer_reprogram();
}

static bool running_elsewhere(struct ktimer *t)
{
    int me = this_cpu()->id;
    for (int c = 0; c < NR_CPUS; c++)
        if (c != me && READ_ONCE(running[c]) == t)
            return true;
    return false;
}

void ktimer_cancel(struct ktimer *t)
{
    irqflags_t f = spin_lock_irqsave(&timer_lock);
    if (t->armed) {
        list_del(&t->node);
        t->armed = false;
    }
    spin_unlock_irqrestore(&timer_lock, f);
}

/* On return the timer is disarmed and its callback is not running on another hart (so its
 * owner may be freed); a callback that re-arms its timer is disarmed again after it ends.
 * Must not be called holding a lock the callback takes. */
void ktimer_cancel_sync(struct ktimer *t)
{
    for (;;) {
        irqflags_t f = spin_lock_irqsave(&timer_lock);
        if (t->armed) {
            list_del(&t->node);
            t->armed = false;
        }
        bool busy = running_elsewhere(t);
        spin_unlock_irqrestore(&timer_lock, f);
        if (!busy)
            return;
        while (running_elsewhere(t))
            ;
    }
}

uint64_t ktimer_next_deadline(void)
{
    irqflags_t f = spin_lock_irqsave(&timer_lock);
    uint64_t d = list_empty(&timers) ? UINT64_MAX
                                     : list_first_entry(&timers, struct ktimer, node)->deadline;
    spin_unlock_irqrestore(&timer_lock, f);
    return d;
}

/* Callbacks that came back with interrupts on, each reported once. */
#define IRQ_LEAKERS_MAX 8
static void (*irq_leakers[IRQ_LEAKERS_MAX])(struct ktimer *);

static void report_irq_leak(void (*fn)(struct ktimer *))
{
    for (int i = 0; i < IRQ_LEAKERS_MAX; i++) {
        if (irq_leakers[i] == fn)
            return;
        if (!irq_leakers[i]) {
            irq_leakers[i] = fn;
            break;
        }
    }
    unsigned long off = 0;
    const char *name = ksym_lookup((unsigned long)fn, &off);
    pr_warn("ktimer: callback %s+%#lx returned with interrupts enabled (turned off again)\n",
            name ? name : "?", off);
}

/* Runs one callback with interrupts off, as ktimer.h promises every callback. One that comes
 * back with them on (it enabled them, or restored a state saved in another context) would let
 * this hart's next timer interrupt in while ktimers_run holds timer_lock again: "recursive
 * lock" (a panic seen at -smp 4). They are turned off again here, and the callback named. */
static void run_callback(struct ktimer *t)
{
    void (*fn)(struct ktimer *) = t->fn;    /* t may be re-armed or freed once fn returns */
    if (!fn)
        return;
    fn(t);
    if (irqs_enabled()) {
        (void)local_irq_save();
        report_irq_leak(fn);
    }
}

void ktimers_run(uint64_t now)
{
    irqflags_t f = spin_lock_irqsave(&timer_lock);
    while (!list_empty(&timers)) {
        struct ktimer *t = list_first_entry(&timers, struct ktimer, node);
        if (t->deadline > now)
            break;
        list_del(&t->node);
        t->armed = false;
        int me = this_cpu()->id;
        running[me] = t;
        spin_unlock(&timer_lock);
        run_callback(t);
        spin_lock(&timer_lock);
        running[me] = NULL;
    }
    spin_unlock_irqrestore(&timer_lock, f);
}
