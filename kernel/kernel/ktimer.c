/* Kernel timers: a list sorted by deadline, run from the timer interrupt. */
#include "kernel.h"
#include "ktimer.h"
#include "spinlock.h"

static LIST_HEAD(timers);
static spinlock_t timer_lock = SPINLOCK_INIT("ktimer");

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

void ktimer_cancel(struct ktimer *t)
{
    irqflags_t f = spin_lock_irqsave(&timer_lock);
    if (t->armed) {
        list_del(&t->node);
        t->armed = false;
    }
    spin_unlock_irqrestore(&timer_lock, f);
}

uint64_t ktimer_next_deadline(void)
{
    irqflags_t f = spin_lock_irqsave(&timer_lock);
    uint64_t d = list_empty(&timers) ? UINT64_MAX
                                     : list_first_entry(&timers, struct ktimer, node)->deadline;
    spin_unlock_irqrestore(&timer_lock, f);
    return d;
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
        spin_unlock(&timer_lock);
        t->fn(t);
        spin_lock(&timer_lock);
    }
    spin_unlock_irqrestore(&timer_lock, f);
}
