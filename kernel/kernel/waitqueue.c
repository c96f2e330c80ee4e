/* Wait queues (sched.h): tasks sleeping until an event, and function entries (epoll) that
 * the event calls instead of waking a task.
 *
 * A wake-up runs every entry that is not exclusive, and of the exclusive ones (epoll's
 * EPOLLEXCLUSIVE) only until one says it woke a task: Linux's __wake_up with
 * nr_exclusive = 1. Plain entries never end the walk, wherever they sit in the queue, so a
 * task queued with prepare_to_wait (at the tail, behind exclusive entries) still sees every
 * wake-up. The walk is independent of the order of the entries on purpose: task entries are
 * added at the tail, function entries at the head or the tail, and an early stop at the first
 * exclusive taker used to leave poll() and read() sleepers queued behind it asleep. */
#include "kernel.h"
#include "sched.h"

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

static void queue_task_entry(struct wait_queue *wq, struct wait_entry *e)
{
    if (!on_queue(wq, e)) {
        e->task = current;
        e->func = NULL;
        e->exclusive = false;
        list_add_tail(&e->node, &wq->waiters);
    }
}

/* The entry may be uninitialised on the first call (the wait_event pattern reuses it): the
 * queue is searched rather than trusting the entry. */
void prepare_to_wait(struct wait_queue *wq, struct wait_entry *e, int state)
{
    irqflags_t f = spin_lock_irqsave(&wq->lock);
    queue_task_entry(wq, e);
    current->state = state;
    spin_unlock_irqrestore(&wq->lock, f);
}

void add_wait_queue(struct wait_queue *wq, struct wait_entry *e)
{
    irqflags_t f = spin_lock_irqsave(&wq->lock);
    queue_task_entry(wq, e);
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

void wake_up_key(struct wait_queue *wq, unsigned key)
{
    irqflags_t f = spin_lock_irqsave(&wq->lock);
    bool exclusive_taken = false;
    struct wait_entry *e, *n;
    list_for_each_entry_safe(e, n, &wq->waiters, node) {
        if (!e->func)
            wake_up_process(e->task);
        else if (!e->exclusive)
            e->func(e, key);
        else if (!exclusive_taken)
            exclusive_taken = e->func(e, key) != 0;
    }
    spin_unlock_irqrestore(&wq->lock, f);
}

void wake_up(struct wait_queue *wq) { wake_up_key(wq, 0); }

/* Plain function entries go first, exclusive ones last (Linux's add_wait_queue and
 * add_wait_queue_exclusive), so each exclusive wake-up goes to the oldest exclusive entry
 * that takes it. */
void add_wait_queue_func(struct wait_queue *wq, struct wait_entry *e, wait_func_t func,
                         bool exclusive)
{
    irqflags_t f = spin_lock_irqsave(&wq->lock);
    e->task = NULL;
    e->func = func;
    e->exclusive = exclusive;
    if (exclusive)
        list_add_tail(&e->node, &wq->waiters);
    else
        list_add(&e->node, &wq->waiters);
    spin_unlock_irqrestore(&wq->lock, f);
}

void remove_wait_queue(struct wait_queue *wq, struct wait_entry *e)
{
    irqflags_t f = spin_lock_irqsave(&wq->lock);
    if (on_queue(wq, e))
        list_del(&e->node);
    spin_unlock_irqrestore(&wq->lock, f);
}
