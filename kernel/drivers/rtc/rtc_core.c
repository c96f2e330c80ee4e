/* The RTC class (include/rtc.h): the registry, /dev/rtcN with Linux's ioctls, and the
 * system time set from rtc0 at boot (Linux's hctosys).
 *
 * ioctls, as Linux's rtc-dev for a clock without alarm or update interrupts:
 *   RTC_RD_TIME, RTC_SET_TIME (root, else EACCES; an invalid time EINVAL);
 *   RTC_ALM_*, RTC_WKALM_*, RTC_AIE_*, RTC_UIE_ON: EINVAL (the device lacks the feature);
 *   RTC_UIE_OFF: 0 (already off); anything else (periodic interrupts, epoch): ENOTTY.
 * One opener at a time (EBUSY), as Linux. read() waits for an interrupt record as Linux's does; none ever comes, so it blocks until
 * a signal (EAGAIN with O_NONBLOCK) and poll() never reports it readable. */
#include "kernel.h"
#include "fs.h"
#include "kprintf.h"
#include "mutex.h"
#include "rtc.h"
#include "rtc_lib.h"
#include "sched.h"
#include "task.h"
#include "time.h"
#include "uaccess.h"
#include "uapi/fcntl.h"
#include "uapi/rtc.h"

#define RTC_CHR_MAJOR 254          /* Linux's is dynamic; 254 is what it usually gets */

static struct rtc_device *rtcs[RTC_MAX];
static int nr_rtcs;
static struct mutex rtc_ops_lock;  /* one driver call at a time, as Linux's ops_lock */
static struct wait_queue rtc_irq_wait;   /* never woken: no interrupts are enabled */

struct rtc_device *rtc_get(int id)
{
    return id >= 0 && id < READ_ONCE(nr_rtcs) ? rtcs[id] : NULL;
}

int rtc_read_secs(struct rtc_device *rtc, int64_t *secs)
{
    mutex_lock(&rtc_ops_lock);
    int err = rtc->ops->read_time(rtc, secs);
    mutex_unlock(&rtc_ops_lock);
    return err;
}

int rtc_set_secs(struct rtc_device *rtc, int64_t secs)
{
    if (!rtc->ops->set_time)
        return -EOPNOTSUPP;
    mutex_lock(&rtc_ops_lock);
    int err = rtc->ops->set_time(rtc, secs);
    mutex_unlock(&rtc_ops_lock);
    return err;
}

static struct rtc_device *file_rtc(struct file *f)
{
    return rtc_get((int)MINOR(f->inode->rdev));
}

/* One opener at a time, as Linux's rtc-dev (its RTC_DEV_BUSY bit): EBUSY. */
static int rtc_open(struct inode *inode, struct file *f)
{
    (void)f;
    struct rtc_device *rtc = rtc_get((int)MINOR(inode->rdev));
    if (!rtc)
        return -ENXIO;
    return __atomic_exchange_n(&rtc->busy, 1, __ATOMIC_ACQ_REL) ? -EBUSY : 0;
}

static void rtc_release(struct file *f)
{
    __atomic_store_n(&file_rtc(f)->busy, 0, __ATOMIC_RELEASE);
}

static long rtc_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
    struct rtc_device *rtc = file_rtc(f);
    uaddr_t uarg = (uaddr_t)arg;
    struct rtc_time tm;
    int64_t secs;
    int err;
    switch (cmd) {
    case RTC_RD_TIME:
        err = rtc_read_secs(rtc, &secs);
        if (err)
            return err;
        rtc_time64_to_tm(secs, &tm);
        return copy_to_user(uarg, &tm, sizeof tm) ? -EFAULT : 0;
    case RTC_SET_TIME:
        if (current->cred.euid != 0)       /* CAP_SYS_TIME */
            return -EACCES;
        if (copy_from_user(&tm, uarg, sizeof tm))
            return -EFAULT;
        err = rtc_valid_tm(&tm);
        return err ? err : rtc_set_secs(rtc, rtc_tm_to_time64(&tm));
    case RTC_ALM_SET:
    case RTC_ALM_READ:
    case RTC_WKALM_SET:
    case RTC_WKALM_RD:
    case RTC_AIE_ON:
    case RTC_AIE_OFF:
    case RTC_UIE_ON:
        return -EINVAL;                    /* no RTC_FEATURE_ALARM / UPDATE_INTERRUPT */
    case RTC_UIE_OFF:
        return 0;                          /* update interrupts are off, as asked */
    default:
        return -ENOTTY;
    }
}

static ssize_t rtc_read(struct file *f, struct uio *to, loff_t *pos)
{
    (void)pos;
    if (to->resid < sizeof(unsigned long))
        return -EINVAL;
    if (f->flags & O_NONBLOCK)
        return -EAGAIN;
    int err = wait_event_interruptible(&rtc_irq_wait, false);
    return err ? err : -EINTR;
}

static unsigned rtc_poll(struct file *f, struct poll_table *pt)
{
    poll_wait(f, &rtc_irq_wait, pt);
    return 0;
}

static const struct file_operations rtc_fops = {
    .open = rtc_open,
    .release = rtc_release,
    .ioctl = rtc_ioctl,
    .read = rtc_read,
    .poll = rtc_poll,
};

/* Linux's hctosys: the system time from rtc0, logged as Linux logs it. */
static void hctosys(struct rtc_device *rtc)
{
    int64_t secs;
    int err = rtc_read_secs(rtc, &secs);
    if (err) {
        pr_err("%s: hctosys: unable to read the hardware clock (%d)\n", rtc->name, err);
        return;
    }
    ktime_set_real_ns((uint64_t)secs * NSEC_PER_SEC);
    rtc->hctosys = true;
    struct rtc_time tm;
    rtc_time64_to_tm(secs, &tm);
    pr_info("%s: setting system clock to %04d-%02d-%02dT%02d:%02d:%02d UTC (%lld)\n",
            rtc->name, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
            tm.tm_sec, (long long)secs);
}

int rtc_register(struct rtc_device *rtc)
{
    if (nr_rtcs == 0) {
        mutex_init(&rtc_ops_lock);
        wait_queue_init(&rtc_irq_wait);
    }
    if (nr_rtcs >= RTC_MAX)
        return -ENOSPC;
    rtc->id = nr_rtcs;
    char node[8];
    ksnprintf(node, sizeof node, "rtc%d", rtc->id);
    int err = register_chrdev(RTC_CHR_MAJOR, (unsigned)rtc->id, node, &rtc_fops);
    if (err)
        return err;
    /* crw------- root, as Linux's devtmpfs makes it: setting it is root's anyway. */
    devfs_set_owner(RTC_CHR_MAJOR, (unsigned)rtc->id, 0600, 0, 0);
    rtcs[rtc->id] = rtc;
    WRITE_ONCE(nr_rtcs, nr_rtcs + 1);
    pr_info("%s: registered as %s\n", rtc->name, node);
    if (rtc->id == 0) {
        devfs_symlink("rtc", "rtc0");      /* udev's link; BusyBox hwclock opens /dev/rtc */
        hctosys(rtc);
    }
    return 0;
}
