/* epoll: epoll_create1, epoll_ctl, epoll_pwait, epoll_pwait2 (Linux's fs/eventpoll.c).
 *
 * An epoll instance keeps one item per watched (file, fd) pair. When an item is added, the
 * file's poll() is called with a table whose qproc queues a callback entry on every wait queue
 * the file names (the same poll_wait() hooks ppoll uses); a wake-up on any of them runs
 * ep_poll_callback, which puts the item on the ready list and wakes the epoll_wait sleepers and
 * whoever polls the epoll file itself (nesting). epoll_wait takes items off the ready list,
 * polls each file again for the real mask, reports it, and puts level-triggered items back
 * (edge-triggered ones come back only with the next wake-up; one-shot ones are disarmed).
 *
 * Registrations belong to the open file description, not the fd: an item holds no reference on
 * its file; closing one fd of a dup'd file leaves the item in place, and the file's last
 * file_put() calls eventpoll_release_file(), which removes it from every instance.
 *
 * Locking: the ready list and each item's `ready` flag are under ep->lock (a spinlock: the
 * callbacks run in wake-ups, possibly in interrupts). Everything else about an instance (its
 * item list, scanning) is under ep->mtx; epmutex, outside every ep->mtx, serialises adding and
 * removing items (and so the file->ep_links lists and the loop checks). A scan polls files while
 * holding ep->mtx: a file whose last reference goes meanwhile waits in eventpoll_release_file()
 * for that mutex before it is freed. */
#include "fs.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"
#include "signal.h"
#include "syscall.h"
#include "poll_internal.h"
#include "memlayout.h"
#include "uapi/eventpoll.h"
#include "pseudofs.h"

/* Bits that are not events: never reported, and an item whose events hold only these is
 * disarmed (a fired EPOLLONESHOT). */
#define EP_PRIVATE_BITS (EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE)
#define EPOLLINOUT_BITS (EPOLLIN | EPOLLOUT)
#define EPOLLEXCLUSIVE_OK_BITS (EPOLLINOUT_BITS | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | \
                                EPOLLEXCLUSIVE)
/* How deep epoll instances may nest (Linux's EP_MAX_NESTS): a chain of 5 instances at most. */
#define EP_MAX_NESTS 4
/* The most events one epoll_wait gathers (it returns fewer when more are ready; the rest stay
 * on the ready list for the next call). */
#define EP_BATCH 256
#define EP_MAX_EVENTS (0x7fffffff / (int)sizeof(struct epoll_event))

struct eventpoll {
    spinlock_t lock;                /* rdllist, epitem.ready */
    struct mutex mtx;               /* items, scans */
    struct list_head items;
    struct list_head rdllist;
    struct wait_queue wq;           /* epoll_wait sleepers */
    struct wait_queue poll_wq;      /* pollers of this epoll file (ppoll, outer epolls) */
    struct file *file;
};

struct epitem;
struct ep_pwq {                     /* one wait queue an item's file registered */
    struct list_head node;          /* epitem.pwqs */
    struct wait_entry we;
    struct wait_queue *wq;
    struct epitem *epi;
};

struct epitem {
    struct list_head ep_node;       /* eventpoll.items */
    struct list_head rdl_node;      /* eventpoll.rdllist (or a scan's list) while ready */
    bool ready;
    bool hit;                       /* woken while a scan had it off the ready list */
    struct list_head file_node;     /* file.ep_links */
    struct list_head pwqs;
    bool pwq_failed;
    struct eventpoll *ep;
    struct file *file;
    int fd;
    uint32_t events;
    uint64_t data;
};

static struct mutex epmutex;
static bool epmutex_ready;

static void epmutex_lock(void)
{
    if (!epmutex_ready) {
        mutex_init(&epmutex);
        epmutex_ready = true;
    }
    mutex_lock(&epmutex);
}

static const struct file_operations eventpoll_fops;

bool file_is_epoll(const struct file *f) { return f->ops == &eventpoll_fops; }

/* ---- wake-ups ---- */

/* Put an item on the ready list (ep->lock held); true if it was not there. */
static bool ep_set_ready(struct eventpoll *ep, struct epitem *epi)
{
    if (epi->ready)
        return false;
    list_add_tail(&epi->rdl_node, &ep->rdllist);
    epi->ready = true;
    return true;
}

/* A wait queue of a watched file was woken. Returns nonzero if it woke an epoll_wait sleeper
 * (what ends an exclusive wake-up), or always for a non-exclusive item. */
static int ep_poll_callback(struct wait_entry *we, unsigned key)
{
    struct ep_pwq *pwq = container_of(we, struct ep_pwq, we);
    struct epitem *epi = pwq->epi;
    struct eventpoll *ep = epi->ep;
    int woke = !(epi->events & EPOLLEXCLUSIVE);
    irqflags_t f = spin_lock_irqsave(&ep->lock);
    if (!(epi->events & ~EP_PRIVATE_BITS) || (key && !(key & epi->events))) {
        spin_unlock_irqrestore(&ep->lock, f);
        return 0;
    }
    if (!ep_set_ready(ep, epi))
        epi->hit = true;
    if (!list_empty(&ep->wq.waiters))
        woke = 1;
    spin_unlock_irqrestore(&ep->lock, f);
    wake_up(&ep->wq);
    wake_up(&ep->poll_wq);
    return woke;
}

struct ep_queue {
    struct poll_table pt;
    struct epitem *epi;
};

static void ep_ptable_queue_proc(struct file *f, struct wait_queue *wq, struct poll_table *pt)
{
    (void)f;
    struct epitem *epi = container_of(pt, struct ep_queue, pt)->epi;
    struct ep_pwq *pwq = kzalloc(sizeof(*pwq));
    if (!pwq) {
        epi->pwq_failed = true;
        return;
    }
    pwq->wq = wq;
    pwq->epi = epi;
    list_add_tail(&pwq->node, &epi->pwqs);
    add_wait_queue_func(wq, &pwq->we, ep_poll_callback, (epi->events & EPOLLEXCLUSIVE) != 0);
}

/* ---- polling items ---- */

static unsigned ep_eventpoll_poll_depth(struct file *f, struct poll_table *pt, int depth);

static unsigned ep_item_poll(struct epitem *epi, struct poll_table *pt, int depth)
{
    unsigned mask = file_is_epoll(epi->file) ? ep_eventpoll_poll_depth(epi->file, pt, depth + 1)
                                             : vfs_poll(epi->file, pt);
    return mask & epi->events;
}

/* Scan the ready list (ep->mtx held): each item is polled outside ep->lock, then `visit`
 * (under it) says what becomes of it. Wake-ups for an item during its scan set `hit`, so an
 * item dropped by the visit stays ready (Linux's ovflist). */
enum ep_scan { EP_SCAN_STOP, EP_SCAN_DROP, EP_SCAN_REQUEUE };
typedef enum ep_scan (*ep_visit_fn)(struct epitem *epi, unsigned mask, void *arg);

static void list_splice_tail_init(struct list_head *from, struct list_head *to)
{
    if (list_empty(from))
        return;
    struct list_head *first = from->next, *last = from->prev, *tail = to->prev;
    tail->next = first;
    first->prev = tail;
    last->next = to;
    to->prev = last;
    list_init(from);
}

static void ep_scan_ready(struct eventpoll *ep, int depth, ep_visit_fn visit, void *arg)
{
    struct list_head tx, requeue;
    list_init(&tx);
    list_init(&requeue);
    irqflags_t f = spin_lock_irqsave(&ep->lock);
    list_splice_tail_init(&ep->rdllist, &tx);
    spin_unlock_irqrestore(&ep->lock, f);
    while (!list_empty(&tx)) {
        struct epitem *epi = list_first_entry(&tx, struct epitem, rdl_node);
        f = spin_lock_irqsave(&ep->lock);
        epi->hit = false;
        spin_unlock_irqrestore(&ep->lock, f);
        unsigned mask = ep_item_poll(epi, NULL, depth);
        f = spin_lock_irqsave(&ep->lock);
        enum ep_scan what = visit(epi, mask, arg);
        if (what == EP_SCAN_DROP && epi->hit)
            what = EP_SCAN_REQUEUE;
        if (what == EP_SCAN_DROP) {
            list_del(&epi->rdl_node);
            epi->ready = false;
        } else if (what == EP_SCAN_REQUEUE) {
            list_del(&epi->rdl_node);
            list_add_tail(&epi->rdl_node, &requeue);
        }
        spin_unlock_irqrestore(&ep->lock, f);
        if (what == EP_SCAN_STOP)
            break;
    }
    /* Not visited: back in front, still ready; then what stays ready; then what the
     * callbacks queued meanwhile. */
    f = spin_lock_irqsave(&ep->lock);
    list_splice_tail_init(&requeue, &tx);
    list_splice_tail_init(&ep->rdllist, &tx);
    list_splice_tail_init(&tx, &ep->rdllist);
    spin_unlock_irqrestore(&ep->lock, f);
}

struct ep_send {
    struct epoll_event *buf;
    int max, n;
};

static enum ep_scan ep_send_one(struct epitem *epi, unsigned mask, void *arg)
{
    struct ep_send *s = arg;
    if (s->n >= s->max)
        return EP_SCAN_STOP;
    if (!mask)
        return EP_SCAN_DROP;
    s->buf[s->n].events = mask;
    s->buf[s->n].data = epi->data;
    s->n++;
    if (epi->events & EPOLLONESHOT) {
        epi->events &= EP_PRIVATE_BITS;
        return EP_SCAN_DROP;
    }
    /* Level-triggered items stay ready until a poll finds nothing; edge-triggered ones wait
     * for the next wake-up. */
    return epi->events & EPOLLET ? EP_SCAN_DROP : EP_SCAN_REQUEUE;
}

static int ep_send_events(struct eventpoll *ep, struct epoll_event *buf, int max)
{
    struct ep_send s = { .buf = buf, .max = max, .n = 0 };
    ep_scan_ready(ep, 0, ep_send_one, &s);
    return s.n;
}

/* ---- the epoll file itself ---- */

static enum ep_scan ep_any_ready(struct epitem *epi, unsigned mask, void *arg)
{
    (void)epi;
    if (!mask)
        return EP_SCAN_DROP;    /* not really ready: off the list, as Linux does */
    *(bool *)arg = true;
    return EP_SCAN_STOP;        /* stays ready */
}

static unsigned ep_eventpoll_poll_depth(struct file *f, struct poll_table *pt, int depth)
{
    struct eventpoll *ep = f->private_data;
    poll_wait(f, &ep->poll_wq, pt);
    if (depth > EP_MAX_NESTS)
        return 0;
    bool ready = false;
    mutex_lock(&ep->mtx);
    ep_scan_ready(ep, depth, ep_any_ready, &ready);
    mutex_unlock(&ep->mtx);
    return ready ? POLLIN | POLLRDNORM : 0;
}

static unsigned ep_eventpoll_poll(struct file *f, struct poll_table *pt)
{
    return ep_eventpoll_poll_depth(f, pt, 0);
}

/* ep->mtx held (and epmutex). */
static void ep_remove(struct eventpoll *ep, struct epitem *epi)
{
    struct ep_pwq *pwq, *n;
    list_for_each_entry_safe(pwq, n, &epi->pwqs, node) {
        remove_wait_queue(pwq->wq, &pwq->we);
        list_del(&pwq->node);
        kfree(pwq);
    }
    list_del(&epi->file_node);
    list_del(&epi->ep_node);
    irqflags_t f = spin_lock_irqsave(&ep->lock);
    if (epi->ready)
        list_del(&epi->rdl_node);
    spin_unlock_irqrestore(&ep->lock, f);
    kfree(epi);
}

static void ep_release(struct file *f)
{
    struct eventpoll *ep = f->private_data;
    epmutex_lock();
    mutex_lock(&ep->mtx);
    while (!list_empty(&ep->items))
        ep_remove(ep, list_first_entry(&ep->items, struct epitem, ep_node));
    mutex_unlock(&ep->mtx);
    mutex_unlock(&epmutex);
    kfree(ep);
}

void eventpoll_release_file(struct file *f)
{
    epmutex_lock();
    while (!list_empty(&f->ep_links)) {
        struct epitem *epi = list_first_entry(&f->ep_links, struct epitem, file_node);
        struct eventpoll *ep = epi->ep;
        mutex_lock(&ep->mtx);
        ep_remove(ep, epi);
        mutex_unlock(&ep->mtx);
    }
    mutex_unlock(&epmutex);
}

/* Linux's ep_show_fdinfo: one line per registration (events with the EPOLLERR | EPOLLHUP
 * that epoll_ctl adds). Linux lists them in its tree's order (by file address), this in the
 * order they were added. */
static void ep_show_fdinfo(struct pseudo_buf *b, struct file *f)
{
    struct eventpoll *ep = f->private_data;
    struct epitem *epi;
    mutex_lock(&ep->mtx);
    list_for_each_entry(epi, &ep->items, ep_node) {
        struct inode *inode = epi->file->inode;
        pb_printf(b, "tfd: %8d events: %8x data: %16llx  pos:%lld ino:%llx sdev:%x\n", epi->fd,
                  epi->events, (unsigned long long)epi->data, (long long)epi->file->pos,
                  (unsigned long long)inode->ino, fdinfo_sdev(inode));
    }
    mutex_unlock(&ep->mtx);
}

static const struct file_operations eventpoll_fops = {
    .poll = ep_eventpoll_poll,
    .release = ep_release,
    .llseek = noop_llseek,
    .show_fdinfo = ep_show_fdinfo,
};

SYSCALL_DEFINE1(epoll_create1, int, flags)
{
    if (flags & ~EPOLL_CLOEXEC)
        return -EINVAL;
    struct eventpoll *ep = kzalloc(sizeof(*ep));
    if (!ep)
        return -ENOMEM;
    spin_init(&ep->lock, "eventpoll");
    mutex_init(&ep->mtx);
    list_init(&ep->items);
    list_init(&ep->rdllist);
    wait_queue_init(&ep->wq);
    wait_queue_init(&ep->poll_wq);
    struct file *f = anon_inode_file_new("[eventpoll]", &eventpoll_fops, ep, O_RDWR);
    if (!f) {
        kfree(ep);
        return -ENFILE;
    }
    ep->file = f;
    int fd = fd_install_new(f, flags & EPOLL_CLOEXEC ? O_CLOEXEC : 0);
    if (fd < 0)
        file_put(f);
    return fd;
}

/* ---- epoll_ctl ---- */

static struct epitem *ep_find(struct eventpoll *ep, struct file *f, int fd)
{
    struct epitem *epi;
    list_for_each_entry(epi, &ep->items, ep_node)
        if (epi->file == f && epi->fd == fd)
            return epi;
    return NULL;
}

/* Linux's loop check (with the upward depth of newer kernels): how many levels of epoll lie
 * below `to`, INT_MAX if `inserting` is among them (a cycle). epmutex held. */
static int ep_depth_below(struct eventpoll *to, struct eventpoll *inserting, int depth)
{
    if (depth > EP_MAX_NESTS)
        return depth;
    int deepest = 0;
    struct epitem *epi;
    list_for_each_entry(epi, &to->items, ep_node) {
        if (!file_is_epoll(epi->file))
            continue;
        struct eventpoll *child = epi->file->private_data;
        if (child == inserting)
            return 0x7fffffff;
        int d = ep_depth_below(child, inserting, depth + 1);
        if (d == 0x7fffffff)
            return d;
        if (d + 1 > deepest)
            deepest = d + 1;
    }
    return deepest;
}

static int ep_depth_above(struct eventpoll *ep, int depth)
{
    if (depth > EP_MAX_NESTS)
        return depth;
    int highest = 0;
    struct epitem *epi;
    list_for_each_entry(epi, &ep->file->ep_links, file_node) {
        int d = ep_depth_above(epi->ep, depth + 1) + 1;
        if (d > highest)
            highest = d;
    }
    return highest;
}

static int ep_loop_check(struct eventpoll *ep, struct eventpoll *to)
{
    int below = ep_depth_below(to, ep, 0);
    if (below > EP_MAX_NESTS)
        return -ELOOP;
    return below + 1 + ep_depth_above(ep, 0) > EP_MAX_NESTS ? -ELOOP : 0;
}

static void ep_make_ready(struct eventpoll *ep, struct epitem *epi)
{
    irqflags_t f = spin_lock_irqsave(&ep->lock);
    ep_set_ready(ep, epi);
    spin_unlock_irqrestore(&ep->lock, f);
    wake_up(&ep->wq);
    wake_up(&ep->poll_wq);
}

static int ep_insert(struct eventpoll *ep, const struct epoll_event *ev, struct file *tf, int fd)
{
    struct epitem *epi = kzalloc(sizeof(*epi));
    if (!epi)
        return -ENOMEM;
    list_init(&epi->pwqs);
    epi->ep = ep;
    epi->file = tf;
    epi->fd = fd;
    epi->events = ev->events | EPOLLERR | EPOLLHUP;
    epi->data = ev->data;
    list_add_tail(&epi->file_node, &tf->ep_links);
    list_add_tail(&epi->ep_node, &ep->items);
    struct ep_queue q = { .pt.qproc = ep_ptable_queue_proc, .epi = epi };
    unsigned mask = ep_item_poll(epi, &q.pt, 0);
    if (epi->pwq_failed) {
        ep_remove(ep, epi);
        return -ENOMEM;
    }
    if (mask)
        ep_make_ready(ep, epi);
    return 0;
}

static void ep_modify(struct eventpoll *ep, struct epitem *epi, const struct epoll_event *ev)
{
    irqflags_t f = spin_lock_irqsave(&ep->lock);
    epi->events = ev->events | EPOLLERR | EPOLLHUP;
    epi->data = ev->data;
    spin_unlock_irqrestore(&ep->lock, f);
    if (ep_item_poll(epi, NULL, 0))
        ep_make_ready(ep, epi);
}

static int ep_ctl_locked(struct eventpoll *ep, int op, int fd, struct file *tf,
                         struct epoll_event *ev)
{
    if (op == EPOLL_CTL_ADD && file_is_epoll(tf)) {
        int err = ep_loop_check(ep, tf->private_data);
        if (err)
            return err;
    }
    struct epitem *epi = ep_find(ep, tf, fd);
    switch (op) {
    case EPOLL_CTL_ADD:
        return epi ? -EEXIST : ep_insert(ep, ev, tf, fd);
    case EPOLL_CTL_DEL:
        if (!epi)
            return -ENOENT;
        ep_remove(ep, epi);
        return 0;
    case EPOLL_CTL_MOD:
        if (!epi)
            return -ENOENT;
        if (epi->events & EPOLLEXCLUSIVE)
            return -EINVAL;
        ep_modify(ep, epi, ev);
        return 0;
    }
    return -EINVAL;
}

SYSCALL_DEFINE4(epoll_ctl, int, epfd, int, op, int, fd, uaddr_t, uevent)
{
    struct epoll_event ev = { 0 };
    if (op != EPOLL_CTL_DEL && copy_from_user(&ev, uevent, sizeof(ev)) < 0)
        return -EFAULT;
    struct file *f = fget(epfd);
    if (!f)
        return -EBADF;
    struct file *tf = fget(fd);
    long ret = -EBADF;
    if (!tf)
        goto out;
    ret = -EPERM;
    if (!tf->ops->poll || (tf->fmode & FMODE_PATH))
        goto out;
    ret = -EINVAL;
    if (f == tf || !file_is_epoll(f))
        goto out;
    if (op != EPOLL_CTL_DEL && (ev.events & EPOLLEXCLUSIVE)) {
        if (op == EPOLL_CTL_MOD)
            goto out;
        if (op == EPOLL_CTL_ADD &&
            (file_is_epoll(tf) || (ev.events & ~EPOLLEXCLUSIVE_OK_BITS)))
            goto out;
    }
    if (op != EPOLL_CTL_ADD && op != EPOLL_CTL_DEL && op != EPOLL_CTL_MOD)
        goto out;
    struct eventpoll *ep = f->private_data;
    epmutex_lock();
    mutex_lock(&ep->mtx);
    ret = ep_ctl_locked(ep, op, fd, tf, &ev);
    mutex_unlock(&ep->mtx);
    mutex_unlock(&epmutex);
out:
    if (tf)
        file_put(tf);
    file_put(f);
    return ret;
}

/* ---- epoll_wait ---- */

static long ep_poll(struct eventpoll *ep, struct epoll_event *buf, int max, uint64_t deadline)
{
    struct wait_entry we;
    for (;;) {
        if (!list_empty(&ep->rdllist)) {
            mutex_lock(&ep->mtx);
            int n = ep_send_events(ep, buf, max);
            mutex_unlock(&ep->mtx);
            if (n)
                return n;
        }
        if (deadline == NO_WAIT)
            return 0;
        prepare_to_wait(&ep->wq, &we, TASK_INTERRUPTIBLE);
        if (!list_empty(&ep->rdllist)) {
            finish_wait(&ep->wq, &we);
            continue;
        }
        if (signal_pending(current)) {
            finish_wait(&ep->wq, &we);
            return -EINTR;
        }
        if (deadline && ktime_mono_ns() >= deadline) {
            finish_wait(&ep->wq, &we);
            return 0;
        }
        schedule_timeout(deadline);
        finish_wait(&ep->wq, &we);
        if (deadline && ktime_mono_ns() >= deadline)
            deadline = NO_WAIT;     /* one last look at the ready list */
    }
}

static long do_epoll_wait(int epfd, uaddr_t uevents, int maxevents, uint64_t deadline,
                          uaddr_t sigmask, size_t sigsetsize)
{
    if (maxevents <= 0 || maxevents > EP_MAX_EVENTS)
        return -EINVAL;
    if (uevents + (uint64_t)maxevents * sizeof(struct epoll_event) < uevents ||
        uevents + (uint64_t)maxevents * sizeof(struct epoll_event) > USER_TOP)
        return -EFAULT;
    struct file *f = fget(epfd);
    if (!f)
        return -EBADF;
    long ret = -EINVAL;
    if (!file_is_epoll(f))
        goto out;
    bool masked = false;
    ret = poll_install_sigmask(sigmask, sigsetsize, &masked);
    if (ret)
        goto out;
    int max = maxevents < EP_BATCH ? maxevents : EP_BATCH;
    struct epoll_event *buf = kmalloc((size_t)max * sizeof(*buf));
    if (!buf) {
        ret = -ENOMEM;
    } else {
        ret = ep_poll(f->private_data, buf, max, deadline);
        if (ret > 0 && copy_to_user(uevents, buf, (size_t)ret * sizeof(*buf)) < 0)
            ret = -EFAULT;
        kfree(buf);
    }
    if (masked)
        sigmask_restore_after_wait(ret == -EINTR);
out:
    file_put(f);
    return ret;
}

SYSCALL_DEFINE6(epoll_pwait, int, epfd, uaddr_t, events, int, maxevents, int, timeout,
                uaddr_t, sigmask, size_t, sigsetsize)
{
    uint64_t deadline = 0;
    if (timeout == 0)
        deadline = NO_WAIT;
    else if (timeout > 0)
        deadline = ktime_mono_ns() + (uint64_t)timeout * 1000000ULL;
    return do_epoll_wait(epfd, events, maxevents, deadline, sigmask, sigsetsize);
}

SYSCALL_DEFINE6(epoll_pwait2, int, epfd, uaddr_t, events, int, maxevents, uaddr_t, timeout,
                uaddr_t, sigmask, size_t, sigsetsize)
{
    uint64_t deadline;
    int err = poll_timeout_to_deadline(timeout, &deadline);
    if (err)
        return err;
    return do_epoll_wait(epfd, events, maxevents, deadline, sigmask, sigsetsize);
}
