/* eventfd2: a 64-bit counter as a file (Linux's fs/eventfd.c). write() adds to it, blocking
 * (or EAGAIN) while the sum would reach 2^64 - 1; read() returns it and resets it to 0, or with
 * EFD_SEMAPHORE returns 1 and decrements it, blocking (or EAGAIN) while it is 0. Readable while
 * nonzero, writable while at least 1 can be added. */
#include "fs.h"
#include "mm.h"
#include "uaccess.h"
#include "syscall.h"
#include "uapi/eventfd.h"
#include "pseudofs.h"

#define EVENTFD_MAX UINT64_MAX      /* the counter never reaches it */

struct eventfd_ctx {
    uint64_t count;
    bool semaphore;
    int id;                         /* fdinfo's eventfd-id: the lowest free, as Linux's ida */
    struct list_head node;          /* eventfds, by id */
    struct wait_queue wq;           /* readers and writers both wait here */
};

static LIST_HEAD(eventfds);
static spinlock_t eventfds_lock = SPINLOCK_INIT("eventfd ids");

/* Give ctx the lowest id no live eventfd has, keeping the list sorted by id. */
static void eventfd_id_get(struct eventfd_ctx *ctx)
{
    spin_lock(&eventfds_lock);
    int id = 0;
    struct list_head *pos = &eventfds;
    struct eventfd_ctx *e;
    list_for_each_entry(e, &eventfds, node) {
        if (e->id != id)
            break;
        id++;
        pos = &e->node;
    }
    ctx->id = id;
    list_add(&ctx->node, pos);
    spin_unlock(&eventfds_lock);
}

static ssize_t eventfd_read(struct file *f, struct uio *to, loff_t *pos)
{
    (void)pos;
    struct eventfd_ctx *ctx = f->private_data;
    if (to->resid < sizeof(uint64_t))
        return -EINVAL;
    if (!ctx->count) {
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        int err = wait_event_interruptible(&ctx->wq, READ_ONCE(ctx->count) != 0);
        if (err)
            return err;
    }
    uint64_t v = ctx->semaphore ? 1 : ctx->count;
    ctx->count -= v;
    wake_up(&ctx->wq);
    if (uio_copyout(to, &v, sizeof(v)) < 0) {
        ctx->count += v;        /* nothing was read */
        return -EFAULT;
    }
    return sizeof(v);
}

static ssize_t eventfd_write(struct file *f, struct uio *from, loff_t *pos)
{
    (void)pos;
    struct eventfd_ctx *ctx = f->private_data;
    if (from->resid < sizeof(uint64_t))
        return -EINVAL;
    uint64_t v;
    if (uio_copyin(&v, from, sizeof(v)) < 0)
        return -EFAULT;
    if (v == EVENTFD_MAX)
        return -EINVAL;
    if (EVENTFD_MAX - ctx->count <= v) {
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        int err = wait_event_interruptible(&ctx->wq, EVENTFD_MAX - READ_ONCE(ctx->count) > v);
        if (err)
            return err;
    }
    ctx->count += v;
    if (v)
        wake_up(&ctx->wq);
    return sizeof(v);
}

static unsigned eventfd_poll(struct file *f, struct poll_table *pt)
{
    struct eventfd_ctx *ctx = f->private_data;
    poll_wait(f, &ctx->wq, pt);
    uint64_t count = READ_ONCE(ctx->count);
    unsigned mask = 0;
    if (count > 0)
        mask |= POLLIN | POLLRDNORM;
    if (count == EVENTFD_MAX)
        mask |= POLLERR;
    if (EVENTFD_MAX - 1 > count)
        mask |= POLLOUT | POLLWRNORM;
    return mask;
}

static void eventfd_release(struct file *f)
{
    struct eventfd_ctx *ctx = f->private_data;
    spin_lock(&eventfds_lock);
    list_del(&ctx->node);
    spin_unlock(&eventfds_lock);
    kfree(ctx);
}

static void eventfd_show_fdinfo(struct pseudo_buf *b, struct file *f)
{
    struct eventfd_ctx *ctx = f->private_data;
    pb_printf(b, "eventfd-count: %16llx\neventfd-id: %d\n",
              (unsigned long long)READ_ONCE(ctx->count), ctx->id);
}

static const struct file_operations eventfd_fops = {
    .read = eventfd_read,
    .write = eventfd_write,
    .poll = eventfd_poll,
    .release = eventfd_release,
    .llseek = noop_llseek,
    .show_fdinfo = eventfd_show_fdinfo,
};

SYSCALL_DEFINE2(eventfd2, unsigned, initval, int, flags)
{
    if (flags & ~(EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK))
        return -EINVAL;
    struct eventfd_ctx *ctx = kzalloc(sizeof(*ctx));
    if (!ctx)
        return -ENOMEM;
    ctx->count = initval;
    ctx->semaphore = flags & EFD_SEMAPHORE;
    wait_queue_init(&ctx->wq);
    struct file *f = anon_inode_file_new("[eventfd]", &eventfd_fops, ctx,
                                         O_RDWR | (flags & EFD_NONBLOCK));
    if (!f) {
        kfree(ctx);
        return -ENFILE;
    }
    eventfd_id_get(ctx);
    int fd = fd_install_new(f, flags & EFD_CLOEXEC ? O_CLOEXEC : 0);
    if (fd < 0)
        file_put(f);
    return fd;
}
