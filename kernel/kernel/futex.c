/* Futexes: FUTEX_WAIT/WAKE (+_BITSET), REQUEUE/CMP_REQUEUE, with private and shared keys;
 * priority-inheritance futexes (LOCK_PI, LOCK_PI2, TRYLOCK_PI, UNLOCK_PI, WAIT_REQUEUE_PI,
 * CMP_REQUEUE_PI); and the robust-list cleanup at thread exit.
 *
 * PI futexes keep Linux's user protocol: the word holds the owner's TID, FUTEX_WAITERS when
 * the kernel has waiters, FUTEX_OWNER_DIED when the owner died holding it. Every change of a
 * word is a compare-and-swap on the user word (futex_atomic_cmpxchg_user, LR/SC). Waiters
 * queue in FIFO order; UNLOCK_PI hands the lock to the first (its TID | FUTEX_WAITERS goes
 * into the word before it is woken). There is no priority boosting: the scheduler has nice
 * weights, not real-time priorities, so an owner's priority has nothing to inherit.
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
    bool pi;                  /* waits for a PI lock (LOCK_PI, or requeued to one) */
    bool acquired;            /* pi: the lock was handed to it */
    bool requeue_pi;          /* WAIT_REQUEUE_PI, not yet requeued: key2 is the PI lock */
    struct futex_key key2;
    pid_t owner;              /* pi: the owner it waits behind (owner-died handoff) */
    uaddr_t uaddr;            /* pi: the lock word in mm */
    struct mm_struct *mm;
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

/* The word must be writable: read it and swap it with itself (a write fault resolves
 * copy-on-write) before the lock is taken, so the accesses under it do not sleep. */
static int prefault_word(uaddr_t uaddr)
{
    uint32_t v, found;
    if (get_user_u32(&v, uaddr) || futex_atomic_cmpxchg_user(uaddr, v, v, &found))
        return -EFAULT;
    return 0;
}

/* Faults the word in (for writing too if `writable`: the PI paths swap it), takes futex_lock
 * and reads the word again under it, closing the race with a waker. The read is one load
 * (get_user_u32): user space may change the word on another hart meanwhile, and must be seen
 * before or after, never half of each. 0 with futex_lock held, or -EFAULT without it. */
static int lock_and_read_word(uaddr_t uaddr, bool writable, uint32_t *v)
{
    if (writable ? prefault_word(uaddr) : get_user_u32(v, uaddr))
        return -EFAULT;
    spin_lock(&futex_lock);
    if (get_user_u32(v, uaddr)) {
        spin_unlock(&futex_lock);
        return -EFAULT;
    }
    return 0;
}

/* lock_and_read_word, then the word must still be `val`: 0 with futex_lock held, else
 * -EAGAIN or -EFAULT without it. */
static int lock_if_word_is(uaddr_t uaddr, uint32_t val)
{
    uint32_t cur;
    if (lock_and_read_word(uaddr, false, &cur))
        return -EFAULT;
    if (cur != val) {
        spin_unlock(&futex_lock);
        return -EAGAIN;
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
    struct futex_waiter w = { .task = current, .key = key, .bitset = bitset, .woken = false };
    r = lock_if_word_is(uaddr, val);
    if (r)
        return r;
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
        if (!key_eq(&w->key, key) || !(w->bitset & bitset) || w->pi || w->requeue_pi)
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
    if (cmp) {
        r = lock_if_word_is(u1, val);
        if (r)
            return r;
    } else {
        spin_lock(&futex_lock);
    }
    int woke = wake_key(&k1, nwake, FUTEX_BITSET_MATCH_ANY), moved = 0;
    struct futex_waiter *w, *tmp;
    list_for_each_entry_safe(w, tmp, bucket(&k1), node) {
        if (moved >= nmove)
            break;
        if (!key_eq(&w->key, &k1) || w->pi || w->requeue_pi)
            continue;
        list_del(&w->node);
        w->key = k2;
        list_add_tail(&w->node, bucket(&k2));
        moved++;
    }
    spin_unlock(&futex_lock);
    return woke + moved;
}

/* ---- PI futexes ---- */

static struct futex_waiter *first_pi_waiter(const struct futex_key *key, struct futex_waiter *after)
{
    struct list_head *b = bucket(key);
    struct list_head *pos = after ? after->node.next : b->next;
    for (; pos != b; pos = pos->next) {
        struct futex_waiter *w = list_entry(pos, struct futex_waiter, node);
        if (w->pi && !w->acquired && key_eq(&w->key, key))
            return w;
    }
    return NULL;
}

/* Gives the lock at uaddr (whose word is cur) to the first PI waiter of key: its TID |
 * FUTEX_WAITERS | `keep` goes into the word, then it is woken. With no waiter the word
 * becomes `keep` alone. 0, 1 if the word changed under us (retry), -EFAULT. futex_lock. */
static int pi_handoff(uaddr_t uaddr, const struct futex_key *key, uint32_t cur, uint32_t keep)
{
    struct futex_waiter *w = first_pi_waiter(key, NULL);
    uint32_t nv = w ? ((uint32_t)w->task->tid | FUTEX_WAITERS | keep) : keep, found;
    if (futex_atomic_cmpxchg_user(uaddr, cur, nv, &found))
        return -EFAULT;
    if (found != cur)
        return 1;
    if (w) {
        list_del(&w->node);
        w->acquired = true;
        wake_up_process(w->task);
        /* The ones behind now wait for the new owner. */
        for (struct futex_waiter *o = first_pi_waiter(key, NULL); o; o = first_pi_waiter(key, o))
            o->owner = w->task->tid;
    }
    return 0;
}

/* Sleeps as a PI waiter of key until the lock is handed over, the deadline passes or a
 * signal comes. 0 (acquired), 1 (woken otherwise: look again), -ETIMEDOUT, -EINTR. The
 * waiter is queued and futex_lock held on entry; futex_lock is released. */
static int pi_sleep(struct futex_waiter *w, uint64_t deadline)
{
    set_current_state(TASK_INTERRUPTIBLE);
    spin_unlock(&futex_lock);
    int in_time = 1;
    if (!signal_pending(current))
        in_time = schedule_timeout(deadline);
    set_current_state(TASK_RUNNING);
    spin_lock(&futex_lock);
    bool acquired = w->acquired;
    if (!acquired && (w->pi || w->requeue_pi))
        list_del(&w->node);
    spin_unlock(&futex_lock);
    if (acquired)
        return 0;
    if (!in_time && deadline)
        return -ETIMEDOUT;
    if (signal_pending(current))
        return -EINTR;
    return 1;
}

/* LOCK_PI, LOCK_PI2, TRYLOCK_PI. deadline: absolute monotonic ns, 0 = none. */
static int futex_lock_pi(uaddr_t uaddr, bool private, uint64_t deadline, bool trylock)
{
    futex_init_once();
    struct futex_key key;
    int r = get_key(uaddr, private, &key);
    if (r)
        return r;
    pid_t tid = current->tid;
    for (;;) {
        uint32_t v, found;
        if (lock_and_read_word(uaddr, true, &v))
            return -EFAULT;
        uint32_t owner = v & FUTEX_TID_MASK;
        if (owner == (uint32_t)tid) {
            spin_unlock(&futex_lock);
            return -EDEADLK;
        }
        bool waiters = first_pi_waiter(&key, NULL) != NULL;
        if (owner == 0) {
            /* Free (perhaps after an owner died: the bit stays for user space to see). */
            uint32_t nv = (uint32_t)tid | (v & FUTEX_OWNER_DIED) | (waiters ? FUTEX_WAITERS : 0);
            r = futex_atomic_cmpxchg_user(uaddr, v, nv, &found);
            spin_unlock(&futex_lock);
            if (r)
                return -EFAULT;
            if (found == v)
                return 0;
            continue;
        }
        if (trylock) {
            spin_unlock(&futex_lock);
            return -EAGAIN;
        }
        irqflags_t f = spin_lock_irqsave(&proc_lock);
        struct task *ot = task_by_tid((pid_t)owner);
        bool exiting = ot && ot->priv->exiting;
        spin_unlock_irqrestore(&proc_lock, f);
        if (!waiters && !ot) {
            spin_unlock(&futex_lock);
            return -ESRCH;      /* no owner to wait for, and no kernel state (Linux) */
        }
        if (exiting) {
            /* The owner is in do_exit and may already have handed over its locks: wait
             * until it is gone, then look again (Linux's handle_exit_race). */
            spin_unlock(&futex_lock);
            set_current_state(TASK_INTERRUPTIBLE);
            uint64_t soon = ktime_mono_ns() + 1000000;
            schedule_timeout(deadline && deadline < soon ? deadline : soon);
            set_current_state(TASK_RUNNING);
            if (deadline && ktime_mono_ns() >= deadline)
                return -ETIMEDOUT;
            if (signal_pending(current))
                return -ERESTARTNOINTR;
            continue;
        }
        if (!(v & FUTEX_WAITERS)) {
            r = futex_atomic_cmpxchg_user(uaddr, v, v | FUTEX_WAITERS, &found);
            if (r || found != v) {
                spin_unlock(&futex_lock);
                if (r)
                    return -EFAULT;
                continue;
            }
        }
        struct futex_waiter w = { .task = current, .key = key, .bitset = FUTEX_BITSET_MATCH_ANY,
                                  .pi = true, .owner = (pid_t)owner, .uaddr = uaddr,
                                  .mm = current->mm };
        list_add_tail(&w.node, bucket(&key));
        r = pi_sleep(&w, deadline);
        if (r == 0)
            return 0;
        if (r == -ETIMEDOUT)
            return r;
        if (r == -EINTR)
            return -ERESTARTNOINTR;   /* LOCK_PI is always restarted, as in Linux */
    }
}

static int futex_unlock_pi(uaddr_t uaddr, bool private)
{
    futex_init_once();
    struct futex_key key;
    int r = get_key(uaddr, private, &key);
    if (r)
        return r;
    for (;;) {
        uint32_t v;
        if (lock_and_read_word(uaddr, true, &v))
            return -EFAULT;
        if ((v & FUTEX_TID_MASK) != (uint32_t)current->tid) {
            spin_unlock(&futex_lock);
            return -EPERM;
        }
        r = pi_handoff(uaddr, &key, v, 0);
        spin_unlock(&futex_lock);
        if (r <= 0)
            return r;
    }
}

/* WAIT_REQUEUE_PI: wait on uaddr (a condition) until CMP_REQUEUE_PI moves us to the PI lock
 * uaddr2 and we own it. */
static int futex_wait_requeue_pi(uaddr_t uaddr, bool private, uint32_t val, uint64_t deadline,
                                 uaddr_t uaddr2)
{
    futex_init_once();
    if (uaddr == uaddr2)
        return -EINVAL;
    struct futex_key key, key2;
    int r = get_key(uaddr, private, &key);
    if (!r)
        r = get_key(uaddr2, private, &key2);
    if (r)
        return r;
    if (prefault_word(uaddr2))
        return -EFAULT;
    r = lock_if_word_is(uaddr, val);
    if (r)
        return r;
    struct futex_waiter w = { .task = current, .key = key, .bitset = FUTEX_BITSET_MATCH_ANY,
                              .requeue_pi = true, .key2 = key2, .uaddr = uaddr2,
                              .mm = current->mm };
    list_add_tail(&w.node, bucket(&key));
    r = pi_sleep(&w, deadline);
    if (r == 0)
        return 0;
    if (r == -ETIMEDOUT)
        return r;
    if (!w.pi)   /* still on the condition: interrupted before the requeue */
        return r == -EINTR ? -ERESTARTNOINTR : -EAGAIN;
    if (r == -EINTR)
        return -EAGAIN;   /* requeued, then interrupted: Linux says EWOULDBLOCK */
    /* Requeued and woken without the lock: take it the ordinary way. */
    return futex_lock_pi(uaddr2, private, deadline, false);
}

/* CMP_REQUEUE_PI: if *uaddr == val3, give the PI lock uaddr2 to the first WAIT_REQUEUE_PI
 * waiter if it is free, and move up to nr_requeue others (all of them to uaddr2) to wait for
 * it. Returns how many were woken or moved. */
static int futex_cmp_requeue_pi(uaddr_t uaddr, uaddr_t uaddr2, bool private, int nr_wake,
                                int nr_requeue, uint32_t val3)
{
    futex_init_once();
    if (uaddr == uaddr2 || nr_wake != 1 || nr_requeue < 0)
        return -EINVAL;
    struct futex_key k1, k2;
    int r = get_key(uaddr, private, &k1);
    if (!r)
        r = get_key(uaddr2, private, &k2);
    if (r)
        return r;
    if (prefault_word(uaddr2))
        return -EFAULT;
    r = lock_if_word_is(uaddr, val3);
    if (r)
        return r;
    int count = 0;
    struct futex_waiter *w, *tmp;
    list_for_each_entry_safe(w, tmp, bucket(&k1), node) {
        if (!key_eq(&w->key, &k1))
            continue;
        if (!w->requeue_pi || !key_eq(&w->key2, &k2)) {
            r = -EINVAL;      /* a waiter that did not ask for this lock */
            break;
        }
        uint32_t v, found;
        if (get_user_u32(&v, uaddr2)) {
            r = -EFAULT;
            break;
        }
        if (count == 0 && !(v & FUTEX_TID_MASK)) {
            /* Free: the first waiter takes it at once. */
            uint32_t nv = (uint32_t)w->task->tid | (v & FUTEX_OWNER_DIED);
            if (tmp && &tmp->node != bucket(&k1))
                nv |= FUTEX_WAITERS;  /* others may follow it onto the lock */
            if (futex_atomic_cmpxchg_user(uaddr2, v, nv, &found) || found != v) {
                r = -EAGAIN;
                break;
            }
            list_del(&w->node);
            w->requeue_pi = false;
            w->pi = true;
            w->key = k2;
            w->acquired = true;
            wake_up_process(w->task);
            count++;
            continue;
        }
        if (count >= nr_requeue + 1)
            break;
        if (!(v & FUTEX_WAITERS) &&
            (futex_atomic_cmpxchg_user(uaddr2, v, v | FUTEX_WAITERS, &found) || found != v)) {
            r = -EAGAIN;
            break;
        }
        list_del(&w->node);
        w->requeue_pi = false;
        w->pi = true;
        w->key = k2;
        w->owner = (pid_t)(v & FUTEX_TID_MASK);
        list_add_tail(&w->node, bucket(&k2));
        count++;
    }
    spin_unlock(&futex_lock);
    return count ? count : r;
}

/* A thread exits: PI locks it still holds with kernel waiters go to their first waiter, with
 * FUTEX_OWNER_DIED, as Linux's exit_pi_state_list does (the robust list only covers robust
 * mutexes). Only waiters in this address space can be found by their lock word here; others
 * are reached through the robust list. */
static void exit_pi_locks(struct task *t)
{
    futex_init_once();
    for (;;) {
        spin_lock(&futex_lock);
        struct futex_waiter *hit = NULL;
        for (int i = 0; i < NBUCKETS && !hit; i++) {
            struct futex_waiter *w;
            list_for_each_entry(w, &buckets[i], node)
                if (w->pi && !w->acquired && w->owner == t->tid && w->mm == t->mm) {
                    hit = w;
                    break;
                }
        }
        if (!hit) {
            spin_unlock(&futex_lock);
            return;
        }
        uint32_t v;
        int r = get_user_u32(&v, hit->uaddr);
        if (!r && (v & FUTEX_TID_MASK) == (uint32_t)t->tid)
            r = pi_handoff(hit->uaddr, &hit->key, v, FUTEX_OWNER_DIED);
        else if (!r)
            hit->owner = (pid_t)(v & FUTEX_TID_MASK);   /* not ours after all */
        spin_unlock(&futex_lock);
        if (r < 0)
            return;
    }
}

/* The timeout of a waiting operation as an absolute CLOCK_MONOTONIC deadline in ns (0: none):
 * FUTEX_WAIT's is relative; LOCK_PI's (always) and any with FUTEX_CLOCK_REALTIME are absolute
 * CLOCK_REALTIME; the others absolute CLOCK_MONOTONIC. */
static int futex_deadline(uaddr_t utime, int cmd, bool realtime, uint64_t *deadline)
{
    *deadline = 0;
    if (!utime)
        return 0;
    struct kernel_timespec ts;
    if (copy_from_user(&ts, utime, sizeof ts))
        return -EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (int64_t)NSEC_PER_SEC)
        return -EINVAL;
    uint64_t ns = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
    if (cmd == FUTEX_WAIT) {
        *deadline = ktime_mono_ns() + ns;
    } else if (realtime || cmd == FUTEX_LOCK_PI) {
        struct kernel_timespec now;
        ktime_real(&now);
        uint64_t rn = (uint64_t)now.tv_sec * NSEC_PER_SEC + (uint64_t)now.tv_nsec;
        *deadline = ktime_mono_ns() + (ns > rn ? ns - rn : 0);
    } else {
        *deadline = ns;
    }
    if (*deadline == 0)
        *deadline = 1;
    return 0;
}

SYSCALL_DEFINE6(futex, uaddr_t, uaddr, int, op, uint32_t, val, uaddr_t, utime, uaddr_t, uaddr2,
                uint32_t, val3)
{
    bool private = op & FUTEX_PRIVATE_FLAG;
    bool realtime = op & FUTEX_CLOCK_REALTIME;
    int cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    bool timed = cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_LOCK_PI ||
                 cmd == FUTEX_LOCK_PI2 || cmd == FUTEX_WAIT_REQUEUE_PI;
    uint64_t deadline = 0;
    if (timed) {              /* the timeout is checked first, as Linux does */
        int r = futex_deadline(utime, cmd, realtime, &deadline);
        if (r)
            return r;
    }
    if (realtime && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT &&
        cmd != FUTEX_WAIT_REQUEUE_PI && cmd != FUTEX_LOCK_PI2)
        return -ENOSYS;
    switch (cmd) {
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2:
        return futex_lock_pi(uaddr, private, deadline, false);
    case FUTEX_WAIT_REQUEUE_PI:
        return futex_wait_requeue_pi(uaddr, private, val, deadline, uaddr2);
    case FUTEX_TRYLOCK_PI:
        return futex_lock_pi(uaddr, private, 0, true);
    case FUTEX_UNLOCK_PI:
        return futex_unlock_pi(uaddr, private);
    case FUTEX_CMP_REQUEUE_PI:
        if ((int)(uint32_t)utime < 0)
            return -EINVAL;
        return futex_cmp_requeue_pi(uaddr, uaddr2, private, (int)val, (int)(uint32_t)utime, val3);
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
        return futex_wait(uaddr, private, val, deadline,
                          cmd == FUTEX_WAIT ? FUTEX_BITSET_MATCH_ANY : val3);
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

/* SysRq 't' (sysrq.c): the queued waiters, read without futex_lock (its holder may be the
 * stuck one). A task asleep in sys_futex that is not listed here was dequeued by a wake-up
 * that did not make it runnable. */
void futex_show_waiters(bool may_sleep)
{
    if (!futex_ready)
        return;
    pr_err("  futex waiters (tid: key base, addr; flags; the word now):\n");
    for (int i = 0; i < NBUCKETS; i++) {
        struct futex_waiter *w;
        list_for_each_entry(w, &buckets[i], node) {
            /* The word, read through the waiter's mm (a private key's base). */
            uint32_t word = 0;
            bool have_word = may_sleep && w->key.base &&
                             mm_read_remote((struct mm_struct *)w->key.base, w->key.addr, &word,
                                            sizeof word) == sizeof word;
            pr_err("    %5d: %lx %llx%s%s%s word %s%x\n", w->task->tid,
                   (unsigned long)w->key.base, (unsigned long long)w->key.addr,
                   w->pi ? " pi" : "", w->requeue_pi ? " requeue-pi" : "",
                   w->woken ? " woken" : "", have_word ? "" : "? ", word);
        }
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

/* Linux's handle_futex_death: a robust futex the dying thread holds gets FUTEX_OWNER_DIED
 * (and keeps FUTEX_WAITERS) by compare-and-swap; a waiter is woken (a PI one is handed the
 * lock). A pending operation on a free, non-PI word wakes one waiter too. */
static void handle_dead_owner(uaddr_t uaddr, pid_t tid, bool pi, bool pending)
{
    for (int tries = 0; tries < 1000; tries++) {
        uint32_t v, found;
        if ((uaddr & 3) || get_user_u32(&v, uaddr))
            return;
        if (pending && !pi && !v) {
            futex_wake_addr(uaddr, 1);
            return;
        }
        if ((v & FUTEX_TID_MASK) != (uint32_t)tid)
            return;
        uint32_t nv = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
        if (futex_atomic_cmpxchg_user(uaddr, v, nv, &found))
            return;
        if (found != v)
            continue;       /* a waiter set FUTEX_WAITERS meanwhile: again */
        if (v & FUTEX_WAITERS) {
            /* PI waiters (whatever the entry's PI bit says: musl does not set it) get the
             * lock handed over; the others are woken to find the bit. */
            struct futex_key shared_key, private_key;
            bool have_shared = get_key(uaddr, false, &shared_key) == 0;
            bool have_private = get_key(uaddr, true, &private_key) == 0;
            spin_lock(&futex_lock);
            const struct futex_key *key = NULL;
            if (have_shared && first_pi_waiter(&shared_key, NULL))
                key = &shared_key;
            else if (have_private && first_pi_waiter(&private_key, NULL))
                key = &private_key;
            int r = key ? 1 : 0;
            while (r == 1 && !get_user_u32(&v, uaddr) && !(v & FUTEX_TID_MASK))
                r = pi_handoff(uaddr, key, v, FUTEX_OWNER_DIED);
            spin_unlock(&futex_lock);
            if (!key && !pi)
                futex_wake_addr(uaddr, 1);
        }
        return;
    }
}

/* The robust list (struct robust_list_head at head): each entry's low bit says PI; at most
 * ROBUST_LIST_LIMIT entries are walked, as in Linux. */
#define ROBUST_LIST_LIMIT 2048
void exit_robust_list(struct task *t)
{
    uaddr_t head = t->priv->robust_list;
    if (head) {
        uint64_t next, offset, pending;
        if (get_user_u64(&next, head) || get_user_u64(&offset, head + 8) ||
            get_user_u64(&pending, head + 16))
            goto pi;
        for (int limit = ROBUST_LIST_LIMIT; next != head && limit > 0; limit--) {
            uint64_t n2;
            int rc = get_user_u64(&n2, next & ~1UL);
            if ((next & ~1UL) != (pending & ~1UL))
                handle_dead_owner((next & ~1UL) + offset, t->tid, next & 1, false);
            if (rc)
                break;
            next = n2;
        }
        if (pending)
            handle_dead_owner((pending & ~1UL) + offset, t->tid, pending & 1, true);
    }
pi:
    exit_pi_locks(t);
}
