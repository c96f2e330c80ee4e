/* signalfd4 (Linux's fs/signalfd.c): read() takes pending signals of the file's mask from the
 * reading thread (its own, then its process's) as struct signalfd_siginfo records. The file
 * does not own signals: it reads those of whoever reads it, and it is readable while the
 * poller has one pending. The mask is normally also blocked, or the signal is delivered first.
 * Wake-ups come from one queue that every queued signal wakes (kernel/signal.c). */
#include "fs.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"
#include "signal.h"
#include "syscall.h"
#include "uapi/signalfd.h"
#include "pseudofs.h"

struct signalfd_ctx {
    ksigset_t mask;
};

/* Linux's siginfo_layout(): which union members a siginfo carries. */
static void fill_siginfo(struct signalfd_siginfo *o, const struct ksiginfo *in)
{
    memset(o, 0, sizeof(*o));
    o->ssi_signo = (uint32_t)in->si_signo;
    o->ssi_errno = in->si_errno;
    o->ssi_code = in->si_code;
    int sig = in->si_signo, code = in->si_code;
    bool fault_sig = sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGTRAP ||
                     sig == SIGFPE;
    if (code > SI_USER && code < SI_KERNEL && fault_sig) {
        o->ssi_addr = in->addr;
    } else if (code > SI_USER && code < SI_KERNEL && sig == SIGCHLD) {
        o->ssi_pid = (uint32_t)in->proc.pid;
        o->ssi_uid = in->proc.uid;
        o->ssi_status = in->proc.status;
        o->ssi_utime = (uint64_t)in->proc.utime;
        o->ssi_stime = (uint64_t)in->proc.stime;
    } else if (code == SI_TIMER) {
        /* timer_create's siginfo: tid, overrun, value (not produced by openv yet) */
        o->ssi_ptr = in->proc.value;
        o->ssi_int = (int32_t)in->proc.value;
    } else if (code < 0 && code != SI_SIGIO) {
        o->ssi_pid = (uint32_t)in->proc.pid;
        o->ssi_uid = in->proc.uid;
        o->ssi_ptr = in->proc.value;
        o->ssi_int = (int32_t)in->proc.value;
    } else if (code != SI_SIGIO) {
        o->ssi_pid = (uint32_t)in->proc.pid;   /* kill(): SI_USER, or SI_KERNEL */
        o->ssi_uid = in->proc.uid;
    }
}

static ssize_t signalfd_read(struct file *f, struct uio *to, loff_t *pos)
{
    (void)pos;
    struct signalfd_ctx *ctx = f->private_data;
    size_t n = to->resid / sizeof(struct signalfd_siginfo);
    if (!n)
        return -EINVAL;
    ssize_t done = 0;
    bool nonblock = f->flags & O_NONBLOCK;
    while (n--) {
        struct ksiginfo info;
        int sig = signal_dequeue_in(ctx->mask, &info);
        if (!sig) {
            if (done || nonblock)
                break;
            int err = wait_event_interruptible(&signalfd_wait,
                                               signal_pending_in(ctx->mask) != 0);
            if (err)
                return err;
            n++;
            continue;
        }
        struct signalfd_siginfo out;
        fill_siginfo(&out, &info);
        if (uio_copyout(to, &out, sizeof(out)) < 0)
            return done ? done : -EFAULT;
        done += (ssize_t)sizeof(out);
    }
    return done ? done : -EAGAIN;
}

static unsigned signalfd_poll(struct file *f, struct poll_table *pt)
{
    struct signalfd_ctx *ctx = f->private_data;
    poll_wait(f, &signalfd_wait, pt);
    return signal_pending_in(ctx->mask) ? POLLIN | POLLRDNORM : 0;
}

static void signalfd_release(struct file *f)
{
    kfree(f->private_data);
}

/* Linux's render_sigset_t: signal 1 is the lowest bit of the last digit. */
static void signalfd_show_fdinfo(struct pseudo_buf *b, struct file *f)
{
    struct signalfd_ctx *ctx = f->private_data;
    pb_printf(b, "sigmask:\t%016llx\n", (unsigned long long)READ_ONCE(ctx->mask));
}

static const struct file_operations signalfd_fops = {
    .read = signalfd_read,
    .poll = signalfd_poll,
    .release = signalfd_release,
    .llseek = noop_llseek,
    .show_fdinfo = signalfd_show_fdinfo,
};

SYSCALL_DEFINE4(signalfd4, int, ufd, uaddr_t, umask, size_t, sizemask, int, flags)
{
    if (flags & ~(SFD_CLOEXEC | SFD_NONBLOCK))
        return -EINVAL;
    if (sizemask != sizeof(ksigset_t))
        return -EINVAL;
    ksigset_t mask;
    if (copy_from_user(&mask, umask, sizeof(mask)) < 0)
        return -EFAULT;
    mask &= ~SIG_KERNEL_ONLY;
    if (ufd != -1) {
        struct file *f = fget(ufd);
        if (!f)
            return -EBADF;
        if (f->ops != &signalfd_fops) {
            file_put(f);
            return -EINVAL;
        }
        ((struct signalfd_ctx *)f->private_data)->mask = mask;
        file_put(f);
        wake_up(&signalfd_wait);     /* pollers see the new mask */
        return ufd;
    }
    struct signalfd_ctx *ctx = kzalloc(sizeof(*ctx));
    if (!ctx)
        return -ENOMEM;
    ctx->mask = mask;
    struct file *f = anon_inode_file_new("[signalfd]", &signalfd_fops, ctx,
                                         O_RDWR | (flags & SFD_NONBLOCK));
    if (!f) {
        kfree(ctx);
        return -ENFILE;
    }
    int fd = fd_install_new(f, flags & SFD_CLOEXEC ? O_CLOEXEC : 0);
    if (fd < 0)
        file_put(f);
    return fd;
}
