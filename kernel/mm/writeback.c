/* When dirty page-cache pages are written back besides sync and fsync: include/pagemap.h
 * ("Write-back requests") says what the flusher and the writers do.
 *
 * The cache never calls a filesystem, so write-back is asked of the flusher (diskfs's
 * page-flush thread), which sleeps in filemap_flusher_wait between rounds. Rounds are counted:
 * a round that had already begun when write-back was asked may have passed the asker's pages,
 * so the asker waits for the end of the next round to begin (Linux's wb_wait_for_completion in
 * spirit). Every wait is bounded: a writer may hold a lock the flusher needs (a fault taken
 * under a filesystem lock), and then it goes on after the bound instead of deadlocking. */
#include "kernel.h"
#include "mm.h"
#include "pagemap.h"
#include "sched.h"
#include "time.h"
#include "spinlock.h"

/* Linux's vm.dirty_ratio and dirty_background_ratio are 20% and 10% of available memory;
 * with no swap and small machines a lower bound leaves more room for reclaim. */
#define DIRTY_LIMIT_FRACTION 8           /* of RAM: a writer past it waits for write-back */
#define DIRTY_BACKGROUND_FRACTION 16     /* of RAM: past it the flusher is woken early */
#define THROTTLE_WAIT_NS (5 * NSEC_PER_SEC)

static spinlock_t wb_lock = SPINLOCK_INIT("writeback");
static struct wait_queue flusher_wq = {
    .lock = SPINLOCK_INIT("flusher-wq"), .waiters = LIST_HEAD_INIT(flusher_wq.waiters),
};
static struct wait_queue done_wq = {
    .lock = SPINLOCK_INIT("writeback-done"), .waiters = LIST_HEAD_INIT(done_wq.waiters),
};
static uint64_t rounds_begun, rounds_done;
static bool requested;

static size_t dirty_pages(void)
{
    struct filemap_stats st;
    filemap_get_stats(&st);
    return st.dirty;
}

void filemap_flusher_wait(uint64_t deadline_ns)
{
    struct wait_entry e;
    for (;;) {
        prepare_to_wait(&flusher_wq, &e, TASK_INTERRUPTIBLE);  /* no signal reaches a kthread */
        spin_lock(&wb_lock);
        bool go = requested || ktime_mono_ns() >= deadline_ns;
        if (go) {
            requested = false;
            rounds_begun++;
        }
        spin_unlock(&wb_lock);
        if (go)
            break;
        schedule_timeout(deadline_ns);
    }
    finish_wait(&flusher_wq, &e);
}

void filemap_flusher_done(void)
{
    spin_lock(&wb_lock);
    rounds_done++;
    spin_unlock(&wb_lock);
    wake_up(&done_wq);
}

/* Ask for a round; returns the count rounds_done must reach for it to be over. */
static uint64_t request_round(void)
{
    spin_lock(&wb_lock);
    requested = true;
    uint64_t target = rounds_begun + 1;
    spin_unlock(&wb_lock);
    wake_up(&flusher_wq);
    return target;
}

/* Sleep until the round `target` is over, `until` says stop, or the deadline. */
static void wait_round(uint64_t target, bool (*until)(void), uint64_t deadline_ns)
{
    struct wait_entry e;
    for (;;) {
        prepare_to_wait(&done_wq, &e, TASK_INTERRUPTIBLE);
        spin_lock(&wb_lock);
        bool over = rounds_done >= target;
        spin_unlock(&wb_lock);
        if (over || (until && until()) || signal_pending(current) ||
            ktime_mono_ns() >= deadline_ns)
            break;
        schedule_timeout(deadline_ns);
    }
    finish_wait(&done_wq, &e);
}

void filemap_writeback_wait(uint64_t timeout_ns)
{
    wait_round(request_round(), NULL, ktime_mono_ns() + timeout_ns);
}

static bool below_limit(void)
{
    return dirty_pages() <= pages_total() / DIRTY_LIMIT_FRACTION;
}

void balance_dirty_pages(void)
{
    size_t dirty = dirty_pages();
    if (dirty <= pages_total() / DIRTY_BACKGROUND_FRACTION)
        return;
    uint64_t target = request_round();
    /* Past the limit the writer waits until the flusher has brought it back below, so dirty
     * pages (which only write-back can free) never crowd out the rest of memory. */
    if (!below_limit())
        wait_round(target, below_limit, ktime_mono_ns() + THROTTLE_WAIT_NS);
}
