/* Pipes and FIFOs: a 64 KiB ring of 16 lazily allocated pages, blocking and non-blocking
 * reads and writes, PIPE_BUF atomicity, EOF and EPIPE/SIGPIPE, poll, and the FIFO open rules
 * (a blocking open waits for the other side; O_NONBLOCK write-only open without readers fails
 * with ENXIO). */
#include "fs.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"
#include "signal.h"
#include "syscall.h"
#include "uapi/ioctls.h"
#include "uapi/statfs.h"

#define PIPE_PAGES 16
#define PIPE_SIZE (PIPE_PAGES * PAGE_SIZE)

struct pipe {
    struct mutex lock;
    struct wait_queue rd_wait;      /* readers wait for data / writers */
    struct wait_queue wr_wait;      /* writers wait for room / readers */
    char *pages[PIPE_PAGES];
    uint64_t head, tail;            /* bytes written / read, ever */
    int readers, writers;
    unsigned r_counter, w_counter;  /* opens for reading / writing, ever (FIFO open waits) */
};

static const struct file_operations pipe_fops;

static struct pipe *pipe_alloc(void)
{
    struct pipe *p = kzalloc(sizeof(*p));
    if (!p)
        return NULL;
    mutex_init(&p->lock);
    wait_queue_init(&p->rd_wait);
    wait_queue_init(&p->wr_wait);
    return p;
}

static void pipe_free(struct pipe *p)
{
    for (int i = 0; i < PIPE_PAGES; i++)
        if (p->pages[i])
            page_free(p->pages[i]);
    kfree(p);
}

void pipe_release_inode(struct inode *inode)
{
    if (inode->pipe) {
        pipe_free(inode->pipe);
        inode->pipe = NULL;
    }
}

static size_t pipe_used(struct pipe *p) { return (size_t)(p->head - p->tail); }

static ssize_t pipe_read(struct file *f, struct uio *to, loff_t *pos)
{
    (void)pos;
    struct pipe *p = f->inode->pipe;
    if (to->resid == 0)
        return 0;
    mutex_lock(&p->lock);
    while (pipe_used(p) == 0) {
        if (p->writers == 0) {
            mutex_unlock(&p->lock);
            return 0;
        }
        if (f->flags & O_NONBLOCK) {
            mutex_unlock(&p->lock);
            return -EAGAIN;
        }
        mutex_unlock(&p->lock);
        int err = wait_event_interruptible(&p->rd_wait,
                                           READ_ONCE(p->head) != READ_ONCE(p->tail) ||
                                           READ_ONCE(p->writers) == 0);
        if (err)
            return err;
        mutex_lock(&p->lock);
    }
    size_t done = 0;
    while (to->resid && pipe_used(p)) {
        size_t off = (size_t)(p->tail % PIPE_SIZE);
        size_t in = off & (PAGE_SIZE - 1);
        size_t n = MIN(MIN(PAGE_SIZE - in, pipe_used(p)), to->resid);
        if (uio_copyout(to, p->pages[off / PAGE_SIZE] + in, n) < 0) {
            if (!done) {
                mutex_unlock(&p->lock);
                return -EFAULT;
            }
            break;
        }
        p->tail += n;
        done += n;
    }
    mutex_unlock(&p->lock);
    wake_up(&p->wr_wait);
    return (ssize_t)done;
}

static ssize_t pipe_write(struct file *f, struct uio *from, loff_t *pos)
{
    (void)pos;
    struct pipe *p = f->inode->pipe;
    size_t total = from->resid;
    if (total == 0)
        return 0;
    /* Writes of at most PIPE_BUF bytes are never interleaved with other writes. */
    bool atomic = total <= PIPE_BUF;
    size_t done = 0;
    ssize_t ret = 0;
    mutex_lock(&p->lock);
    for (;;) {
        if (p->readers == 0) {
            send_signal(current, SIGPIPE);
            ret = -EPIPE;
            break;
        }
        size_t room = PIPE_SIZE - pipe_used(p);
        if (room >= (atomic ? from->resid : 1)) {
            while (from->resid && pipe_used(p) < PIPE_SIZE) {
                size_t off = (size_t)(p->head % PIPE_SIZE);
                size_t in = off & (PAGE_SIZE - 1);
                char **page = &p->pages[off / PAGE_SIZE];
                if (!*page && !(*page = page_alloc())) {
                    ret = -ENOMEM;
                    break;
                }
                size_t n = MIN(MIN(PAGE_SIZE - in, PIPE_SIZE - pipe_used(p)), from->resid);
                if (uio_copyin(*page + in, from, n) < 0) {
                    ret = -EFAULT;
                    break;
                }
                p->head += n;
                done += n;
            }
            wake_up(&p->rd_wait);
            if (ret || from->resid == 0)
                break;
        }
        if (f->flags & O_NONBLOCK) {
            ret = -EAGAIN;
            break;
        }
        mutex_unlock(&p->lock);
        size_t need = atomic ? from->resid : 1;
        int err = wait_event_interruptible(&p->wr_wait,
                                           PIPE_SIZE - (size_t)(READ_ONCE(p->head) - READ_ONCE(p->tail)) >= need ||
                                           READ_ONCE(p->readers) == 0);
        mutex_lock(&p->lock);
        if (err) {
            ret = err;
            break;
        }
    }
    mutex_unlock(&p->lock);
    (void)total;
    return done ? (ssize_t)done : ret;
}

static unsigned pipe_poll(struct file *f, struct poll_table *pt)
{
    struct pipe *p = f->inode->pipe;
    if (f->fmode & FMODE_READ)
        poll_wait(f, &p->rd_wait, pt);
    if (f->fmode & FMODE_WRITE)
        poll_wait(f, &p->wr_wait, pt);
    unsigned mask = 0;
    size_t used = pipe_used(p);
    if (f->fmode & FMODE_READ) {
        if (used)
            mask |= POLLIN | POLLRDNORM;
        /* A FIFO reader sees a hang-up only once a writer has come and gone (f->pos keeps the
         * writer count at open: pipes have no position). */
        if (p->writers == 0 && (unsigned)f->pos != p->w_counter)
            mask |= POLLHUP;
    }
    if (f->fmode & FMODE_WRITE) {
        if (PIPE_SIZE - used >= PIPE_BUF)
            mask |= POLLOUT | POLLWRNORM;
        if (p->readers == 0)
            mask |= POLLERR;
    }
    return mask;
}

static long pipe_ioctl(struct file *f, unsigned cmd, unsigned long arg)
{
    struct pipe *p = f->inode->pipe;
    if (cmd != FIONREAD)
        return -ENOTTY;
    return put_user_u32((uint32_t)pipe_used(p), arg) < 0 ? -EFAULT : 0;
}

static loff_t pipe_llseek(struct file *f, loff_t off, int whence)
{
    (void)f; (void)off; (void)whence;
    return -ESPIPE;
}

static void pipe_release(struct file *f)
{
    struct inode *inode = f->inode;
    struct pipe *p = inode->pipe;
    mutex_lock(&inode->lock);
    mutex_lock(&p->lock);
    if (f->fmode & FMODE_READ)
        p->readers--;
    if (f->fmode & FMODE_WRITE)
        p->writers--;
    bool gone = p->readers == 0 && p->writers == 0;
    mutex_unlock(&p->lock);
    wake_up(&p->rd_wait);
    wake_up(&p->wr_wait);
    if (gone) {
        /* A FIFO keeps no data once nobody has it open. */
        inode->pipe = NULL;
        pipe_free(p);
    }
    mutex_unlock(&inode->lock);
}

long pipe_fcntl_size(struct file *f)
{
    if (f->ops != &pipe_fops)
        return -EBADF;
    return PIPE_SIZE;
}

static const struct file_operations pipe_fops = {
    .read = pipe_read,
    .write = pipe_write,
    .poll = pipe_poll,
    .ioctl = pipe_ioctl,
    .llseek = pipe_llseek,
    .release = pipe_release,
};

/* ---- FIFOs ---- */

static struct super_block *pipe_sb;

static int fifo_open(struct inode *inode, struct file *f)
{
    /* An anonymous pipe reopened through /proc/<pid>/fd never waits for the other side
     * (Linux's is_pipe case). */
    bool is_pipe = inode->sb == pipe_sb;
    mutex_lock(&inode->lock);
    if (!inode->pipe && !(inode->pipe = pipe_alloc())) {
        mutex_unlock(&inode->lock);
        return -ENOMEM;
    }
    struct pipe *p = inode->pipe;
    f->ops = &pipe_fops;
    bool nonblock = f->flags & O_NONBLOCK;
    int err = 0;
    unsigned want;
    mutex_lock(&p->lock);
    f->pos = p->w_counter;
    switch (f->fmode & (FMODE_READ | FMODE_WRITE)) {
    case FMODE_READ:
        p->readers++;
        p->r_counter++;
        want = p->w_counter;
        mutex_unlock(&p->lock);
        wake_up(&p->wr_wait);
        mutex_unlock(&inode->lock);
        if (p->writers == 0 && !nonblock && !is_pipe)
            err = wait_event_interruptible(&p->rd_wait, READ_ONCE(p->w_counter) != want);
        break;
    case FMODE_WRITE:
        if (nonblock && p->readers == 0 && !is_pipe) {
            mutex_unlock(&p->lock);
            err = -ENXIO;
            goto undo_unlocked;
        }
        p->writers++;
        p->w_counter++;
        want = p->r_counter;
        mutex_unlock(&p->lock);
        wake_up(&p->rd_wait);
        mutex_unlock(&inode->lock);
        if (p->readers == 0 && !is_pipe)
            err = wait_event_interruptible(&p->wr_wait, READ_ONCE(p->r_counter) != want);
        break;
    case FMODE_READ | FMODE_WRITE:
        /* Never blocks: this open is both sides. */
        p->readers++;
        p->writers++;
        p->r_counter++;
        p->w_counter++;
        f->pos = p->w_counter;
        mutex_unlock(&p->lock);
        wake_up(&p->rd_wait);
        wake_up(&p->wr_wait);
        mutex_unlock(&inode->lock);
        break;
    default:
        mutex_unlock(&p->lock);
        err = -EINVAL;
        goto undo_unlocked;
    }
    if (err)
        pipe_release(f);        /* interrupted while waiting: as if closed */
    return err;
undo_unlocked:
    if (p->readers == 0 && p->writers == 0) {
        inode->pipe = NULL;
        pipe_free(p);
    }
    mutex_unlock(&inode->lock);
    return err;
}

const struct file_operations fifo_fops = {
    .open = fifo_open,
};

/* ---- pipe2 ---- */

static struct file_system_type pipefs_type = { .name = "pipefs", .nodev = true };
static const struct super_operations pipefs_sops = { .evict = pipe_release_inode };

SYSCALL_DEFINE2(pipe2, uaddr_t, fildes, unsigned, flags)
{
    if (flags & ~(unsigned)(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
        return -EINVAL;
    if (!pipe_sb && !(pipe_sb = sb_new(&pipefs_type, PIPEFS_MAGIC, &pipefs_sops)))
        return -ENOMEM;
    struct inode *inode = inode_new(pipe_sb, S_IFIFO | 0600);
    if (!inode)
        return -ENFILE;
    inode->pipe = pipe_alloc();
    if (!inode->pipe) {
        iput(inode);
        return -ENFILE;
    }
    inode->pipe->readers = inode->pipe->writers = 1;
    inode->pipe->r_counter = inode->pipe->w_counter = 1;
    inode->fops = &fifo_fops;     /* reopened through /proc/<pid>/fd/N like a FIFO */
    unsigned fl = flags & O_NONBLOCK;
    struct file *rf = file_new_inode(inode, &pipe_fops, O_RDONLY | fl);
    struct file *wf = file_new_inode(inode, &pipe_fops, O_WRONLY | fl);
    iput(inode);
    if (!rf || !wf) {
        if (rf)
            file_put(rf);
        if (wf)
            file_put(wf);
        return -ENFILE;
    }
    rf->pos = wf->pos = 0;
    int fds[2];
    fds[0] = fd_install_new(rf, flags & O_CLOEXEC);
    if (fds[0] < 0) {
        file_put(rf);
        file_put(wf);
        return fds[0];
    }
    fds[1] = fd_install_new(wf, flags & O_CLOEXEC);
    if (fds[1] < 0) {
        fd_close(fds[0]);
        file_put(wf);
        return fds[1];
    }
    if (copy_to_user(fildes, fds, sizeof(fds)) < 0) {
        fd_close(fds[0]);
        fd_close(fds[1]);
        return -EFAULT;
    }
    return 0;
}
