/* The memory devices of major 1: null, zero, full, random, urandom, kmsg. */
#include "fs.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"
#include "random.h"
#include "ratelimit.h"

/* ---- Devices ---- */

static loff_t mem_lseek(struct file *f, loff_t off, int whence)
{
    (void)off; (void)whence;
    f->pos = 0;
    return 0;
}

static ssize_t read_eof(struct file *f, struct uio *to, loff_t *pos)
{
    (void)f; (void)to; (void)pos;
    return 0;
}

static ssize_t write_sink(struct file *f, struct uio *from, loff_t *pos)
{
    (void)f; (void)pos;
    size_t n = from->resid;
    from->resid = 0;
    return (ssize_t)n;
}

static ssize_t read_zero(struct file *f, struct uio *to, loff_t *pos)
{
    (void)f; (void)pos;
    size_t n = to->resid;
    if (to->kernel) {
        memset(to->kbase, 0, n);
    } else if (clear_user(to->ubase, n) < 0) {
        return -EFAULT;
    }
    to->resid = 0;
    return (ssize_t)n;
}

static ssize_t write_full(struct file *f, struct uio *from, loff_t *pos)
{
    (void)f; (void)from; (void)pos;
    return -ENOSPC;
}

static ssize_t read_random(struct file *f, struct uio *to, loff_t *pos)
{
    (void)f; (void)pos;
    uint8_t buf[256];
    size_t done = 0;
    while (to->resid) {
        size_t n = MIN(sizeof(buf), to->resid);
        get_random_bytes(buf, n);
        if (uio_copyout(to, buf, n) < 0)
            return done ? (ssize_t)done : -EFAULT;
        done += n;
        if (done >= 65536 && signal_pending(current))
            break;
    }
    memset(buf, 0, sizeof(buf));
    return (ssize_t)done;
}

/* An open /dev/kmsg: where its reader is in the log, and its writer's rate limit (Linux's
 * printk_devkmsg=ratelimit: lines past the limit are dropped, the write still succeeds). */
struct kmsg_user {
    uint64_t seq;
    struct ratelimit_state rs;
};

/* Reading needs what syslog(2) needs to read the whole log (dmesg_restrict); writing does
 * not, as in Linux's devkmsg_open. */
static int open_kmsg(struct inode *inode, struct file *f)
{
    (void)inode;
    if ((f->flags & O_ACCMODE) != O_WRONLY) {
        int err = kmsg_open_permitted();
        if (err)
            return err;
    }
    struct kmsg_user *u = kzalloc(sizeof *u);
    if (!u)
        return -ENOMEM;
    u->rs = (struct ratelimit_state)RATELIMIT_STATE_INIT;
    f->private_data = u;
    return 0;
}

static void release_kmsg(struct file *f)
{
    kfree(f->private_data);
    f->private_data = NULL;
}

static ssize_t read_kmsg(struct file *f, struct uio *to, loff_t *pos)
{
    (void)pos;
    struct kmsg_user *u = f->private_data;
    char buf[512];
    int n = log_read(&u->seq, buf, MIN(sizeof(buf), to->resid));
    if (n < 0)
        return n;
    if (n == 0)
        return (f->flags & O_NONBLOCK) ? -EAGAIN : 0;
    if (uio_copyout(to, buf, (size_t)n) < 0)
        return -EFAULT;
    return n;
}

static ssize_t write_kmsg(struct file *f, struct uio *from, loff_t *pos)
{
    (void)pos;
    struct kmsg_user *u = f->private_data;
    char buf[256];
    size_t total = from->resid;
    while (from->resid) {
        size_t n = MIN(sizeof(buf) - 1, from->resid);
        if (uio_copyin(buf, from, n) < 0)
            return -EFAULT;
        buf[n] = 0;
        if (___ratelimit(&u->rs, "kmsg"))
            printk("%s", buf);
    }
    return (ssize_t)total;
}

static const struct file_operations null_fops = { .read = read_eof, .write = write_sink, .llseek = mem_lseek };
static const struct file_operations zero_fops = { .read = read_zero, .write = write_sink, .llseek = mem_lseek };
static const struct file_operations full_fops = { .read = read_zero, .write = write_full, .llseek = mem_lseek };
static const struct file_operations random_fops = { .read = read_random, .write = write_sink, .llseek = mem_lseek };
static const struct file_operations kmsg_fops = {
    .open = open_kmsg, .release = release_kmsg,
    .read = read_kmsg, .write = write_kmsg, .llseek = mem_lseek,
};

void memdev_init(void)
{
    register_chrdev(1, 3, "null", &null_fops);
    register_chrdev(1, 5, "zero", &zero_fops);
    register_chrdev(1, 7, "full", &full_fops);
    register_chrdev(1, 8, "random", &random_fops);
    register_chrdev(1, 9, "urandom", &random_fops);
    register_chrdev(1, 11, "kmsg", &kmsg_fops);   /* 0644: root alone writes the log (devfs.c) */
}
