/* Futexes: FUTEX_WAIT/WAKE (+_BITSET), REQUEUE/CMP_REQUEUE, with private and shared keys,
 * and the robust-list cleanup at thread exit.
 *
 * Key: (mm, address) for private futexes and private mappings (as Linux: a "shared" futex in
 * a private mapping is keyed by mm and address too); the physical address for MAP_SHARED
 * memory, so processes sharing the page meet on the same key. */
#include "kernel.h"
#include "task.h"
#include "vm.h"
#include "uaccess.h"
#include "time.h"
#include "syscall.h"
#include "uapi/futex.h"

struct futex_key {
    uintptr_t base;   /* mm, or 0 for a physical key */
    uint64_t addr;
};

struct futex_waiter {
    struct list_head node;
    struct task *task;
    struct futex_key key;
    uint32_t bitset;
    bool woken;
};

#define NBUCKETS 64
static struct list_head buckets[NBUCKETS];
static spinlock_t futex_lock = SPINLOCK_INIT("futex");
static bool futex_ready;

static void futex_init_once(void)
{
    if (futex_ready)
        return;
    for (int i = 0; i < NBUCKETS; i++)
        list_init(&buckets[i]);
    futex_ready = true;
}

static struct list_head *bucket(const struct futex_key *k)
{
    return &buckets[((k->addr >> 2) ^ (k->base >> 6)) % NBUCKETS];
}

static bool key_eq(const struct futex_key *a, const struct futex_key *b)
{
    return a->base == b->base && a->addr == b->addr;
}

static int get_key(uaddr_t uaddr, bool private, struct futex_key *k)
{
    if (uaddr & 3)
        return -EINVAL;
    if (uaddr >= USER_TOP)
        return -EFAULT;
    struct mm_struct *mm = current->mm;
    k->base = (uintptr_t)mm;
    k->addr = uaddr;
    if (private)
        return 0;
    /* A shared key needs the page, as Linux's get_futex_key pins it: an unmapped or
     * PROT_NONE address is -EFAULT even for a wake, which never reads the word. */
    paddr_t pa;
    if (user_addr_to_pa(uaddr, &pa))
        return -EFAULT;
    if (vma_is_shared(mm, uaddr)) {
        k->base = 0;
        k->addr = pa;
    }
    return 0;
}

static int futex_wait(uaddr_t uaddr, bool private, uint32_t val, uint64_t deadline, uint32_t bitset)
{
    futex_init_once();
    if (!bitset)
        return -EINVAL;
    struct futex_key key;
    int r = get_key(uaddr, private, &key);
    if (r)
        return r;
    uint32_t cur;
    if (get_user_u32(&cur, uaddr))
        return -EFAULT;
    struct futex_waiter w = { .task = current, .key = key, .bitset = bitset, .woken = false };
    spin_lock(&futex_lock);
    /* The page is present now; reading again under the lock closes the race with a waker. */
    if (get_user_u32(&cur, uaddr)) {
        spin_unlock(&futex_lock);
        return -EFAULT;
    }
    if (cur != val) {
        spin_unlock(&futex_lock);
        return -EAGAIN;
    }
    list_add_tail(&w.node, bucket(&key));
    set_current_state(TASK_INTERRUPTIBLE);
    spin_unlock(&futex_lock);
    int timed_out = 0;
    if (!signal_pending(current))
        timed_out = !schedule_timeout(deadline);
    set_current_state(TASK_RUNNING);
    spin_lock(&futex_lock);
    bool woken = w.woken;
    if (!woken)
        list_del(&w.node);
    spin_unlock(&futex_lock);
    if (woken)
        return 0;
    if (timed_out && deadline)
        return -ETIMEDOUT;
    if (signal_pending(current))
        return deadline ? -EINTR : -ERESTARTSYS;
    return 0;   /* spurious: the caller re-checks its condition */
}

static int wake_key(const struct futex_key *key, int n, uint32_t bitset)
{
    int woke = 0;
    struct futex_waiter *w, *tmp;
    list_for_each_entry_safe(w, tmp, bucket(key), node) {
        if (woke >= n)
            break;
        if (!key_eq(&w->key, key) || !(w->bitset & bitset))
            continue;
        list_del(&w->node);
        w->woken = true;
        wake_up_process(w->task);
        woke++;
    }
    return woke;
}

static int futex_wake(uaddr_t uaddr, bool private, int n, uint32_t bitset)
{
    futex_init_once();
    if (!bitset)
        return -EINVAL;
    struct futex_key key;
    int r = get_key(uaddr, private, &key);
    if (r)
        return r;
    spin_lock(&futex_lock);
    int woke = wake_key(&key, n, bitset);
    spin_unlock(&futex_lock);
    return woke;
}

void futex_wake_addr(uaddr_t uaddr, int n) { futex_wake(uaddr, false, n, FUTEX_BITSET_MATCH_ANY); }

static int futex_requeue(uaddr_t u1, uaddr_t u2, bool private, int nwake, int nmove, bool cmp, uint32_t val)
{
    futex_init_once();
    struct futex_key k1, k2;
    int r = get_key(u1, private, &k1);
    if (!r)
        r = get_key(u2, private, &k2);
    if (r)
        return r;
    uint32_t cur;
    if (cmp && get_user_u32(&cur, u1))
        return -EFAULT;
    spin_lock(&futex_lock);
    if (cmp && (get_user_u32(&cur, u1) || cur != val)) {
        spin_unlock(&futex_lock);
        return -EAGAIN;
    }
    int woke = wake_key(&k1, nwake, FUTEX_BITSET_MATCH_ANY), moved = 0;
    struct futex_waiter *w, *tmp;
    list_for_each_entry_safe(w, tmp, bucket(&k1), node) {
        if (moved >= nmove)
            break;
        if (!key_eq(&w->key, &k1))
            continue;
        list_del(&w->node);
        w->key = k2;
        list_add_tail(&w->node, bucket(&k2));
        moved++;
    }
    spin_unlock(&futex_lock);
    return woke + moved;
}

SYSCALL_DEFINE6(futex, uaddr_t, uaddr, int, op, uint32_t, val, uaddr_t, utime, uaddr_t, uaddr2,
                uint32_t, val3)
{
    bool private = op & FUTEX_PRIVATE_FLAG;
    bool realtime = op & FUTEX_CLOCK_REALTIME;
    int cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    if (realtime && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT)
        return -ENOSYS;
    switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
        uint64_t deadline = 0;
        if (utime) {
            struct kernel_timespec ts;
            if (copy_from_user(&ts, utime, sizeof ts))
                return -EFAULT;
            if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (int64_t)NSEC_PER_SEC)
                return -EINVAL;
            uint64_t ns = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
            if (cmd == FUTEX_WAIT) {
                deadline = ktime_mono_ns() + ns;
            } else if (realtime) {   /* absolute CLOCK_REALTIME: convert to monotonic */
                struct kernel_timespec now;
                ktime_real(&now);
                uint64_t rn = (uint64_t)now.tv_sec * NSEC_PER_SEC + (uint64_t)now.tv_nsec;
                deadline = ktime_mono_ns() + (ns > rn ? ns - rn : 0);
            } else {
                deadline = ns;
            }
            if (deadline == 0)
                deadline = 1;
        }
        return futex_wait(uaddr, private, val, deadline,
                          cmd == FUTEX_WAIT ? FUTEX_BITSET_MATCH_ANY : val3);
    }
    case FUTEX_WAKE:
        return futex_wake(uaddr, private, (int)MIN(val, (uint32_t)INT32_MAX), FUTEX_BITSET_MATCH_ANY);
    case FUTEX_WAKE_BITSET:
        return futex_wake(uaddr, private, (int)MIN(val, (uint32_t)INT32_MAX), val3);
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
        if ((int)val < 0 || (int)utime < 0)
            return -EINVAL;
        return futex_requeue(uaddr, uaddr2, private, (int)val, (int)(uint32_t)utime,
                             cmd == FUTEX_CMP_REQUEUE, val3);
    default:
        return -ENOSYS;
    }
}

/* ---- robust futexes ---- */

SYSCALL_DEFINE2(set_robust_list, uaddr_t, head, size_t, len)
{
    if (len != sizeof(struct robust_list_head))
        return -EINVAL;
    current->priv->robust_list = head;
    current->priv->robust_len = len;
    return 0;
}

SYSCALL_DEFINE3(get_robust_list, int, pid, uaddr_t, head_ptr, uaddr_t, len_ptr)
{
    struct task *t = pid ? task_by_tid(pid) : current;
    if (!t)
        return -ESRCH;
    if (put_user_u64(t->priv->robust_list, head_ptr) ||
        put_user_u64(sizeof(struct robust_list_head), len_ptr))
        return -EFAULT;
    return 0;
}

static void handle_dead_owner(uaddr_t uaddr, pid_t tid)
{
    uint32_t v;
    if (get_user_u32(&v, uaddr) || (v & FUTEX_TID_MASK) != (uint32_t)tid)
        return;
    uint32_t nv = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
    if (put_user_u32(nv, uaddr))
        return;
    if (v & FUTEX_WAITERS)
        futex_wake_addr(uaddr, 1);
}

void exit_robust_list(struct task *t)
{
    uaddr_t head = t->priv->robust_list;
    if (!head)
        return;
    uint64_t next, offset, pending;
    if (get_user_u64(&next, head) || get_user_u64(&offset, head + 8) || get_user_u64(&pending, head + 16))
        return;
    for (int limit = 2048; next != head && limit > 0; limit--) {
        uint64_t n2;
        if (get_user_u64(&n2, next & ~1UL))
            return;
        if ((next & ~1UL) != pending)
            handle_dead_owner((next & ~1UL) + offset, t->tid);
        next = n2;
    }
    if (pending)
        handle_dead_owner((pending & ~1UL) + offset, t->tid);
}
