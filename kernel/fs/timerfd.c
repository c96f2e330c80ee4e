/* timerfd_create, timerfd_settime, timerfd_gettime (Linux's fs/timerfd.c): a kernel timer
 * whose expirations are counted; read() returns the count (8 bytes) and resets it, blocking
 * (or EAGAIN) while it is 0.
 *
 * Every clock is kept as a CLOCK_MONOTONIC deadline on a ktimer: CLOCK_BOOTTIME is the
 * monotonic clock here (the machine never suspends), and an absolute CLOCK_REALTIME time is
 * turned into a monotonic one with the offset of the moment. As in Linux, an interval timer is
 * not re-armed by its expiry but by the next read() or timerfd_gettime(), which count the
 * periods missed meanwhile: one wake-up (one epoll edge) per read. With TFD_TIMER_CANCEL_ON_SET,
 * clock_settime() cancels such a timer: read() then fails with ECANCELED. */
#include "fs.h"
#include "mm.h"
#include "uaccess.h"
#include "syscall.h"
#include "ktimer.h"
#include "uapi/timerfd.h"
#include "pseudofs.h"

struct timerfd_ctx {
    struct ktimer timer;
    spinlock_t lock;                /* the fields below; the callback runs in interrupts */
    int clockid;
    uint64_t expires;               /* (last) expiry, monotonic ns; 0: disarmed */
    bool expired;                   /* an interval timer fired and waits to be re-armed */
    uint64_t interval;              /* ns; 0: one-shot */
    uint64_t ticks;                 /* expirations not yet read */
    bool cancel_on_set;             /* armed absolute on CLOCK_REALTIME with CANCEL_ON_SET */
    bool canceled;                  /* ... and the clock was set since */
    int settime_flags;              /* of the last settime (fdinfo) */
    struct list_head cancel_node;   /* cancel_list while cancel_on_set */
    struct wait_queue wq;
};

/* Timers that clock_settime() must cancel (process context only: the BKL orders it). */
static LIST_HEAD(cancel_list);

static void timerfd_fire(struct ktimer *t)
{
    struct timerfd_ctx *ctx = container_of(t, struct timerfd_ctx, timer);
    irqflags_t f = spin_lock_irqsave(&ctx->lock);
    if (ctx->expires) {
        ctx->ticks++;
        if (ctx->interval)
            ctx->expired = true;
        else
            ctx->expires = 0;
    }
    spin_unlock_irqrestore(&ctx->lock, f);
    wake_up(&ctx->wq);
}

/* An interval timer that fired: move the expiry past now, count the periods skipped beyond
 * the one already counted, and re-arm (Linux's hrtimer_forward_now; ctx->lock held). */
static void timerfd_rearm_locked(struct timerfd_ctx *ctx)
{
    if (!ctx->expired || !ctx->interval)
        return;
    uint64_t now = ktime_mono_ns();
    if (now >= ctx->expires) {
        uint64_t n = (now - ctx->expires) / ctx->interval + 1;
        ctx->expires += n * ctx->interval;
        ctx->ticks += n - 1;
    }
    ctx->expired = false;
    ktimer_arm(&ctx->timer, ctx->expires);
}

void timerfd_clock_was_set(void)
{
    struct timerfd_ctx *ctx;
    list_for_each_entry(ctx, &cancel_list, cancel_node) {
        irqflags_t f = spin_lock_irqsave(&ctx->lock);
        if (ctx->expires || ctx->interval) {
            ctx->canceled = true;
            ctx->expires = 0;
            ctx->interval = 0;
            ctx->expired = false;
        }
        spin_unlock_irqrestore(&ctx->lock, f);
        ktimer_cancel(&ctx->timer);
        wake_up(&ctx->wq);
    }
}

static ssize_t timerfd_read(struct file *f, struct uio *to, loff_t *pos)
{
    (void)pos;
    struct timerfd_ctx *ctx = f->private_data;
    if (to->resid < sizeof(uint64_t))
        return -EINVAL;
    for (;;) {
        irqflags_t fl = spin_lock_irqsave(&ctx->lock);
        if (ctx->ticks)
            timerfd_rearm_locked(ctx);
        uint64_t ticks = ctx->ticks;
        bool canceled = ctx->canceled;
        ctx->ticks = 0;
        ctx->canceled = false;
        spin_unlock_irqrestore(&ctx->lock, fl);
        if (canceled)
            return -ECANCELED;
        if (ticks) {
            if (uio_copyout(to, &ticks, sizeof(ticks)) < 0) {
                fl = spin_lock_irqsave(&ctx->lock);
                ctx->ticks += ticks;    /* not consumed */
                spin_unlock_irqrestore(&ctx->lock, fl);
                return -EFAULT;
            }
            return sizeof(ticks);
        }
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        int err = wait_event_interruptible(&ctx->wq,
                                           READ_ONCE(ctx->ticks) || READ_ONCE(ctx->canceled));
        if (err)
            return err;
    }
}

static unsigned timerfd_poll(struct file *f, struct poll_table *pt)
{
    struct timerfd_ctx *ctx = f->private_data;
    poll_wait(f, &ctx->wq, pt);
    return READ_ONCE(ctx->ticks) || READ_ONCE(ctx->canceled) ? POLLIN | POLLRDNORM : 0;
}

static void timerfd_release(struct file *f)
{
    struct timerfd_ctx *ctx = f->private_data;
    ktimer_cancel_sync(&ctx->timer);
    if (ctx->cancel_on_set)
        list_del(&ctx->cancel_node);
    kfree(ctx);
}

/* Linux's timerfd_show: it_value is what is left (0 once due: no re-arm here). */
static void timerfd_show_fdinfo(struct pseudo_buf *b, struct file *f)
{
    struct timerfd_ctx *ctx = f->private_data;
    irqflags_t fl = spin_lock_irqsave(&ctx->lock);
    uint64_t now = ktime_mono_ns();
    uint64_t left = ctx->expires > now ? ctx->expires - now : 0;
    uint64_t ticks = ctx->ticks, interval = ctx->interval;
    int settime_flags = ctx->settime_flags;
    spin_unlock_irqrestore(&ctx->lock, fl);
    pb_printf(b, "clockid: %d\nticks: %llu\nsettime flags: 0%o\nit_value: (%llu, %llu)\n"
              "it_interval: (%llu, %llu)\n", ctx->clockid, (unsigned long long)ticks,
              (unsigned)settime_flags, (unsigned long long)(left / NSEC_PER_SEC),
              (unsigned long long)(left % NSEC_PER_SEC),
              (unsigned long long)(interval / NSEC_PER_SEC),
              (unsigned long long)(interval % NSEC_PER_SEC));
}

static const struct file_operations timerfd_fops = {
    .read = timerfd_read,
    .poll = timerfd_poll,
    .release = timerfd_release,
    .llseek = noop_llseek,
    .show_fdinfo = timerfd_show_fdinfo,
};

SYSCALL_DEFINE2(timerfd_create, int, clockid, int, flags)
{
    if (flags & ~(TFD_CLOEXEC | TFD_NONBLOCK))
        return -EINVAL;
    if (clockid != CLOCK_MONOTONIC && clockid != CLOCK_REALTIME && clockid != CLOCK_BOOTTIME &&
        clockid != CLOCK_REALTIME_ALARM && clockid != CLOCK_BOOTTIME_ALARM)
        return -EINVAL;
    /* The alarm clocks need CAP_WAKE_ALARM. */
    if ((clockid == CLOCK_REALTIME_ALARM || clockid == CLOCK_BOOTTIME_ALARM) &&
        current->cred.euid != 0)
        return -EPERM;
    struct timerfd_ctx *ctx = kzalloc(sizeof(*ctx));
    if (!ctx)
        return -ENOMEM;
    ktimer_init(&ctx->timer, timerfd_fire);
    spin_init(&ctx->lock, "timerfd");
    ctx->clockid = clockid;
    wait_queue_init(&ctx->wq);
    struct file *f = anon_inode_file_new("[timerfd]", &timerfd_fops, ctx,
                                         O_RDWR | (flags & TFD_NONBLOCK));
    if (!f) {
        kfree(ctx);
        return -ENFILE;
    }
    int fd = fd_install_new(f, flags & TFD_CLOEXEC ? O_CLOEXEC : 0);
    if (fd < 0)
        file_put(f);
    return fd;
}

static bool is_realtime(int clockid)
{
    return clockid == CLOCK_REALTIME || clockid == CLOCK_REALTIME_ALARM;
}

static bool timespec_valid(const struct kernel_timespec *ts)
{
    return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < (int64_t)NSEC_PER_SEC;
}

static uint64_t ts_to_ns(const struct kernel_timespec *ts)
{
    if ((uint64_t)ts->tv_sec >= (UINT64_MAX / 4) / NSEC_PER_SEC)
        return UINT64_MAX / 4;   /* centuries: never, in practice */
    return (uint64_t)ts->tv_sec * NSEC_PER_SEC + (uint64_t)ts->tv_nsec;
}

static void ns_to_ts(uint64_t ns, struct kernel_timespec *ts)
{
    ts->tv_sec = (int64_t)(ns / NSEC_PER_SEC);
    ts->tv_nsec = (int64_t)(ns % NSEC_PER_SEC);
}

/* The file behind fd if it is a timerfd: +1 reference, or NULL with *err set. */
static struct file *timerfd_fget(int fd, int *err)
{
    struct file *f = fget(fd);
    if (!f) {
        *err = -EBADF;
        return NULL;
    }
    if (f->ops != &timerfd_fops) {
        file_put(f);
        *err = -EINVAL;
        return NULL;
    }
    return f;
}

/* The current setting (ctx->lock held). */
static void timerfd_get_locked(struct timerfd_ctx *ctx, struct kernel_itimerspec *cur)
{
    timerfd_rearm_locked(ctx);
    uint64_t now = ktime_mono_ns();
    uint64_t left = ctx->expires ? (ctx->expires > now ? ctx->expires - now : 1) : 0;
    ns_to_ts(left, &cur->it_value);
    ns_to_ts(ctx->interval, &cur->it_interval);
}

SYSCALL_DEFINE4(timerfd_settime, int, fd, int, flags, uaddr_t, unew, uaddr_t, uold)
{
    struct kernel_itimerspec nv, old;
    if (copy_from_user(&nv, unew, sizeof(nv)) < 0)
        return -EFAULT;
    if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
        return -EINVAL;
    if (!timespec_valid(&nv.it_value) || !timespec_valid(&nv.it_interval))
        return -EINVAL;
    int err;
    struct file *f = timerfd_fget(fd, &err);
    if (!f)
        return err;
    struct timerfd_ctx *ctx = f->private_data;
    ktimer_cancel_sync(&ctx->timer);
    uint64_t value = ts_to_ns(&nv.it_value);
    uint64_t now = ktime_mono_ns();
    uint64_t expires = 0;
    if (value) {
        if (!(flags & TFD_TIMER_ABSTIME)) {
            expires = now + value;
        } else if (is_realtime(ctx->clockid)) {
            int64_t mono = (int64_t)value - ktime_real_offset_ns();
            expires = mono > 0 ? (uint64_t)mono : 1;
        } else {
            expires = value ? value : 1;
        }
    }
    bool cancel = value && (flags & TFD_TIMER_ABSTIME) && (flags & TFD_TIMER_CANCEL_ON_SET) &&
                  is_realtime(ctx->clockid);
    if (cancel && !ctx->cancel_on_set)
        list_add_tail(&ctx->cancel_node, &cancel_list);
    else if (!cancel && ctx->cancel_on_set)
        list_del(&ctx->cancel_node);
    irqflags_t fl = spin_lock_irqsave(&ctx->lock);
    timerfd_get_locked(ctx, &old);
    ctx->cancel_on_set = cancel;
    ctx->settime_flags = flags & (TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET);
    ctx->canceled = false;
    ctx->ticks = 0;
    ctx->expired = false;
    ctx->expires = expires;
    ctx->interval = value ? ts_to_ns(&nv.it_interval) : 0;
    if (expires)
        ktimer_arm(&ctx->timer, expires);
    spin_unlock_irqrestore(&ctx->lock, fl);
    file_put(f);
    if (uold && copy_to_user(uold, &old, sizeof(old)) < 0)
        return -EFAULT;
    return 0;
}

SYSCALL_DEFINE2(timerfd_gettime, int, fd, uaddr_t, ucur)
{
    int err;
    struct file *f = timerfd_fget(fd, &err);
    if (!f)
        return err;
    struct timerfd_ctx *ctx = f->private_data;
    struct kernel_itimerspec cur;
    irqflags_t fl = spin_lock_irqsave(&ctx->lock);
    timerfd_get_locked(ctx, &cur);
    spin_unlock_irqrestore(&ctx->lock, fl);
    file_put(f);
    return copy_to_user(ucur, &cur, sizeof(cur)) < 0 ? -EFAULT : 0;
}
