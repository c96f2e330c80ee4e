/* ppoll and pselect6. A poll table registers the caller on every wait queue a file's poll()
 * names (holding a reference on the file, so the queue outlives the wait), then sleeps until
 * a wake-up, a signal or the deadline. */
#include "fs.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"
#include "signal.h"
#include "syscall.h"
#include "poll_internal.h"

struct poll_entry {
    struct file *file;
    struct wait_queue *wq;
    struct wait_entry we;
};

#define DEFAULT_POLLMASK (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)

#define ENTRIES_PER_CHUNK ((PAGE_SIZE - 16) / sizeof(struct poll_entry))
struct poll_chunk {
    struct poll_chunk *next;
    size_t used;
    struct poll_entry entries[ENTRIES_PER_CHUNK];
};

/* ppoll/pselect6's table: the entries queued so far, in page-sized chunks. */
struct poll_wqueues {
    struct poll_table pt;           /* qproc: NULL once we know we will not sleep */
    struct poll_chunk *chunks;
    int error;
};

void poll_wait(struct file *f, struct wait_queue *wq, struct poll_table *pt)
{
    if (pt && pt->qproc && wq)
        pt->qproc(f, wq, pt);
}

unsigned vfs_poll(struct file *f, struct poll_table *pt)
{
    return f->ops->poll ? f->ops->poll(f, pt) : DEFAULT_POLLMASK;
}

static void pollwait_queue_task(struct file *f, struct wait_queue *wq, struct poll_table *pt)
{
    struct poll_wqueues *pw = container_of(pt, struct poll_wqueues, pt);
    struct poll_chunk *c = pw->chunks;
    if (!c || c->used == ENTRIES_PER_CHUNK) {
        c = page_alloc();
        if (!c) {
            pw->error = -ENOMEM;
            return;
        }
        c->next = pw->chunks;
        pw->chunks = c;
    }
    struct poll_entry *e = &c->entries[c->used++];
    e->file = f;
    file_get(f);
    e->wq = wq;
    /* Queue the entry without touching current->state: do_poll set TASK_INTERRUPTIBLE before
     * polling the first file, and a wake-up that came since (an interrupt making an earlier
     * file ready) has set it back to running; prepare_to_wait() would undo that and the
     * wake-up would be lost. So the entry is only queued. */
    add_wait_queue(wq, &e->we);
}

static void poll_table_free(struct poll_wqueues *pw)
{
    struct poll_chunk *c = pw->chunks;
    while (c) {
        for (size_t i = 0; i < c->used; i++) {
            finish_wait(c->entries[i].wq, &c->entries[i].we);
            file_put(c->entries[i].file);
        }
        struct poll_chunk *next = c->next;
        page_free(c);
        c = next;
    }
    pw->chunks = NULL;
}

/* deadline: monotonic ns; 0 = wait forever; ~0 = do not wait. Returns count or -errno. */

static long do_poll(struct pollfd *fds, size_t nfds, uint64_t deadline)
{
    struct poll_wqueues pw = { .pt.qproc = deadline != NO_WAIT ? pollwait_queue_task : NULL };
    long count;
    for (;;) {
        if (deadline != NO_WAIT)
            set_current_state(TASK_INTERRUPTIBLE);
        count = 0;
        for (size_t i = 0; i < nfds; i++) {
            struct pollfd *p = &fds[i];
            p->revents = 0;
            if (p->fd < 0)
                continue;
            struct file *f = fget(p->fd);
            if (!f) {
                p->revents = POLLNVAL;
                count++;
                continue;
            }
            unsigned mask = vfs_poll(f, &pw.pt);
            file_put(f);
            mask &= (unsigned)(uint16_t)p->events | POLLERR | POLLHUP;
            p->revents = (short)mask;
            if (mask) {
                count++;
                pw.pt.qproc = NULL;   /* we will not sleep: stop queueing */
            }
        }
        pw.pt.qproc = NULL;
        if (count || deadline == NO_WAIT || pw.error)
            break;
        if (signal_pending(current)) {
            count = -ERESTARTNOHAND;
            break;
        }
        if (deadline && ktime_mono_ns() >= deadline)
            break;
        schedule_timeout(deadline);
        /* Evaluate once more after any wake-up (including the deadline passing). */
        if (deadline && ktime_mono_ns() >= deadline)
            deadline = NO_WAIT;
    }
    set_current_state(TASK_RUNNING);
    poll_table_free(&pw);
    if (!count && pw.error)
        return pw.error;
    return count;
}

/* A relative timespec from user space to a deadline; NULL pointer = forever. */
int poll_timeout_to_deadline(uaddr_t uts, uint64_t *deadline)
{
    if (!uts) {
        *deadline = 0;
        return 0;
    }
    struct kernel_timespec ts;
    if (copy_from_user(&ts, uts, sizeof(ts)) < 0)
        return -EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (int64_t)NSEC_PER_SEC)
        return -EINVAL;
    if (ts.tv_sec == 0 && ts.tv_nsec == 0) {
        *deadline = NO_WAIT;
        return 0;
    }
    uint64_t now = ktime_mono_ns();
    uint64_t rel = (uint64_t)ts.tv_sec > (UINT64_MAX / 2) / NSEC_PER_SEC
                       ? UINT64_MAX / 2
                       : (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
    *deadline = now + rel;
    if (*deadline == 0 || *deadline == NO_WAIT)
        *deadline = NO_WAIT - 1;
    return 0;
}

static void write_remaining(uaddr_t uts, uint64_t deadline)
{
    if (!uts || deadline == 0)
        return;
    uint64_t now = ktime_mono_ns();
    uint64_t left = deadline == NO_WAIT || now >= deadline ? 0 : deadline - now;
    struct kernel_timespec ts = { (int64_t)(left / NSEC_PER_SEC), (int64_t)(left % NSEC_PER_SEC) };
    copy_to_user(uts, &ts, sizeof(ts));
}

int poll_install_sigmask(uaddr_t umask, size_t size, bool *installed)
{
    *installed = false;
    if (!umask)
        return 0;
    if (size != 8)
        return -EINVAL;
    uint64_t mask;
    if (copy_from_user(&mask, umask, 8) < 0)
        return -EFAULT;
    if (sigmask_swap_for_wait(mask) == 0)
        *installed = true;
    return 0;
}

/* nfds is taken whole (Linux truncates it to unsigned int first). */
SYSCALL_DEFINE5(ppoll, uaddr_t, ufds, size_t, nfds, uaddr_t, tsp, uaddr_t, sigmask,
                size_t, sigsetsize)
{
    if (nfds > NR_OPEN_DEFAULT)
        return -EINVAL;
    uint64_t deadline;
    int err = poll_timeout_to_deadline(tsp, &deadline);
    if (err)
        return err;
    struct pollfd *fds = NULL;
    if (nfds) {
        fds = kmalloc(nfds * sizeof(*fds));
        if (!fds)
            return -ENOMEM;
        if (copy_from_user(fds, ufds, nfds * sizeof(*fds)) < 0) {
            kfree(fds);
            return -EFAULT;
        }
    }
    bool masked;
    err = poll_install_sigmask(sigmask, sigsetsize, &masked);
    if (err) {
        kfree(fds);
        return err;
    }
    long ret = do_poll(fds, nfds, deadline);
    if (masked)
        sigmask_restore_after_wait(ret == -ERESTARTNOHAND);
    if (ret >= 0) {
        for (size_t i = 0; i < nfds; i++) {
            if (copy_to_user(ufds + i * sizeof(*fds) + offsetof(struct pollfd, revents),
                             &fds[i].revents, sizeof(fds[i].revents)) < 0) {
                ret = -EFAULT;
                break;
            }
        }
    }
    if (ret == -ERESTARTNOHAND)
        ret = -EINTR;      /* ppoll is never restarted with a relative timeout */
    kfree(fds);
    return ret;
}

#define FDSET_WORDS(n) (((n) + 63) / 64)
#define POLLIN_SET (POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR)
#define POLLOUT_SET (POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR)
#define POLLEX_SET POLLPRI

SYSCALL_DEFINE6(pselect6, int, n, uaddr_t, inp, uaddr_t, outp, uaddr_t, exp, uaddr_t, tsp,
                uaddr_t, sig)
{
    if (n < 0)
        return -EINVAL;
    if (n > NR_OPEN_DEFAULT)
        n = NR_OPEN_DEFAULT;
    uaddr_t uset[3] = { inp, outp, exp };
    uint64_t deadline;
    int err = poll_timeout_to_deadline(tsp, &deadline);
    if (err)
        return err;
    size_t words = FDSET_WORDS((size_t)n);
    uint64_t in[3][FDSET_WORDS(NR_OPEN_DEFAULT)];
    memset(in, 0, sizeof(in));
    for (int s = 0; s < 3; s++)
        if (uset[s] && words && copy_from_user(in[s], uset[s], words * 8) < 0)
            return -EFAULT;
    /* The sigmask argument is { const sigset_t *ss; size_t ss_len; }. */
    uaddr_t umask = 0;
    size_t masksize = 0;
    if (sig) {
        uint64_t pair[2];
        if (copy_from_user(pair, sig, sizeof(pair)) < 0)
            return -EFAULT;
        umask = (uaddr_t)pair[0];
        masksize = (size_t)pair[1];
    }
    /* One pollfd per descriptor named in any set. */
    size_t count = 0;
    for (int fd = 0; fd < n; fd++)
        if (((in[0][fd / 64] | in[1][fd / 64] | in[2][fd / 64]) >> (fd % 64)) & 1)
            count++;
    struct pollfd *fds = count ? kmalloc(count * sizeof(*fds)) : NULL;
    if (count && !fds)
        return -ENOMEM;
    size_t k = 0;
    for (int fd = 0; fd < n; fd++) {
        short ev = 0;
        if ((in[0][fd / 64] >> (fd % 64)) & 1) ev |= POLLIN_SET;
        if ((in[1][fd / 64] >> (fd % 64)) & 1) ev |= POLLOUT_SET;
        if ((in[2][fd / 64] >> (fd % 64)) & 1) ev |= POLLEX_SET;
        if (ev) {
            fds[k].fd = fd;
            fds[k].events = ev;
            k++;
        }
    }
    bool masked;
    err = poll_install_sigmask(umask, masksize, &masked);
    if (err) {
        kfree(fds);
        return err;
    }
    long ret = do_poll(fds, count, deadline);
    if (masked)
        sigmask_restore_after_wait(ret == -ERESTARTNOHAND);
    if (ret >= 0) {
        uint64_t out[3][FDSET_WORDS(NR_OPEN_DEFAULT)];
        memset(out, 0, sizeof(out));
        ret = 0;
        for (size_t i = 0; i < count; i++) {
            int fd = fds[i].fd;
            unsigned r = (uint16_t)fds[i].revents;
            if (r & POLLNVAL) {
                ret = -EBADF;
                break;
            }
            uint64_t bit = (uint64_t)1 << (fd % 64);
            if ((r & POLLIN_SET) && (fds[i].events & POLLIN)) { out[0][fd / 64] |= bit; ret++; }
            if ((r & POLLOUT_SET) && (fds[i].events & POLLOUT)) { out[1][fd / 64] |= bit; ret++; }
            if ((r & POLLEX_SET) && (fds[i].events & POLLPRI)) { out[2][fd / 64] |= bit; ret++; }
        }
        if (ret >= 0)
            for (int s = 0; s < 3; s++)
                if (uset[s] && words && copy_to_user(uset[s], out[s], words * 8) < 0)
                    ret = -EFAULT;
    }
    write_remaining(tsp, deadline);
    if (ret == -ERESTARTNOHAND)
        ret = -EINTR;
    kfree(fds);
    return ret;
}
