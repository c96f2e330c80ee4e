/* Clocks, sleeping and interval timers. CLOCK_REALTIME is the monotonic clock plus an offset,
 * set from the RTC at boot (drivers/rtc, Linux's hctosys) and by root; the CPU-time clocks come from tick accounting. */
#include "kernel.h"
#include "task.h"
#include "time.h"
#include "ktimer.h"
#include "uaccess.h"
#include "memlayout.h"
#include "string.h"
#include "syscall.h"
#include "uapi/resource.h"
#include "uapi/times.h"

static int64_t realtime_offset_ns;   /* realtime = monotonic + offset */

void ktime_set_real_ns(uint64_t ns)
{
    WRITE_ONCE(realtime_offset_ns, (int64_t)ns - (int64_t)ktime_mono_ns());
}

static void ns_to_ts(uint64_t ns, struct kernel_timespec *ts)
{
    ts->tv_sec = (int64_t)(ns / NSEC_PER_SEC);
    ts->tv_nsec = (int64_t)(ns % NSEC_PER_SEC);
}

int64_t ktime_real_offset_ns(void) { return realtime_offset_ns; }

void ktime_real(struct kernel_timespec *ts)
{
    int64_t ns = (int64_t)ktime_mono_ns() + realtime_offset_ns;
    ns_to_ts(ns < 0 ? 0 : (uint64_t)ns, ts);
}

static uint64_t process_cputime(struct task *t)
{
    struct process *p = proc_of(t);
    uint64_t ns = p->utime_ns + p->stime_ns;
    struct task_private *x;
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    list_for_each_entry(x, &p->threads, thread_node)
        ns += x->utime_ns + x->stime_ns;
    spin_unlock_irqrestore(&proc_lock, f);
    return ns;
}

static int clock_get(int clk, uint64_t *ns)
{
    switch (clk) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_REALTIME_ALARM: {
        int64_t v = (int64_t)ktime_mono_ns() + realtime_offset_ns;
        *ns = v < 0 ? 0 : (uint64_t)v;
        return 0;
    }
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
    case CLOCK_BOOTTIME_ALARM:
        *ns = ktime_mono_ns();
        return 0;
    case CLOCK_PROCESS_CPUTIME_ID:
        *ns = process_cputime(current);
        return 0;
    case CLOCK_THREAD_CPUTIME_ID:
        *ns = current->priv->utime_ns + current->priv->stime_ns;
        return 0;
    default:
        return -EINVAL;
    }
}

SYSCALL_DEFINE2(clock_gettime, int, which_clock, uaddr_t, tp)
{
    uint64_t ns;
    int r = clock_get(which_clock, &ns);
    if (r)
        return r;
    struct kernel_timespec ts;
    ns_to_ts(ns, &ts);
    return copy_to_user(tp, &ts, sizeof ts) ? -EFAULT : 0;
}

SYSCALL_DEFINE2(clock_getres, int, which_clock, uaddr_t, tp)
{
    uint64_t ns;
    int r = clock_get(which_clock, &ns);
    if (r)
        return r;
    if (!tp)
        return 0;
    struct kernel_timespec ts = { 0, 1 };
    if (which_clock == CLOCK_REALTIME_COARSE || which_clock == CLOCK_MONOTONIC_COARSE ||
        which_clock == CLOCK_PROCESS_CPUTIME_ID || which_clock == CLOCK_THREAD_CPUTIME_ID)
        ts.tv_nsec = NSEC_PER_SEC / HZ;
    return copy_to_user(tp, &ts, sizeof ts) ? -EFAULT : 0;
}

static int settime(uint64_t ns)
{
    if (current->cred.euid != 0)
        return -EPERM;
    ktime_set_real_ns(ns);
    timerfd_clock_was_set();
    return 0;
}

SYSCALL_DEFINE2(clock_settime, int, which_clock, uaddr_t, tp)
{
    struct kernel_timespec ts;
    if (copy_from_user(&ts, tp, sizeof ts))
        return -EFAULT;
    if (which_clock != CLOCK_REALTIME)
        return -EINVAL;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (int64_t)NSEC_PER_SEC)
        return -EINVAL;
    return settime((uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec);
}

SYSCALL_DEFINE2(gettimeofday, uaddr_t, tv, uaddr_t, tz)
{
    if (tv) {
        struct kernel_timespec ts;
        ktime_real(&ts);
        struct kernel_old_timeval ktv = { ts.tv_sec, ts.tv_nsec / 1000 };
        if (copy_to_user(tv, &ktv, sizeof ktv))
            return -EFAULT;
    }
    if (tz) {
        struct kernel_timezone ktz = { 0, 0 };
        if (copy_to_user(tz, &ktz, sizeof ktz))
            return -EFAULT;
    }
    return 0;
}

SYSCALL_DEFINE1(settimeofday, uaddr_t, tv)
{
    if (!tv)
        return 0;
    struct kernel_old_timeval ktv;
    if (copy_from_user(&ktv, tv, sizeof ktv))
        return -EFAULT;
    if (ktv.tv_sec < 0 || ktv.tv_usec < 0 || ktv.tv_usec >= 1000000)
        return -EINVAL;
    return settime((uint64_t)ktv.tv_sec * NSEC_PER_SEC + (uint64_t)ktv.tv_usec * 1000);
}

/* Sleeps until the monotonic deadline; 0, or -ERESTARTSYS-style interruption (returns the
 * time left through *left_ns). */
static int sleep_until(uint64_t deadline, uint64_t *left_ns)
{
    for (;;) {
        set_current_state(TASK_INTERRUPTIBLE);
        if (signal_pending(current)) {
            set_current_state(TASK_RUNNING);
            uint64_t now = ktime_mono_ns();
            *left_ns = deadline > now ? deadline - now : 0;
            return -EINTR;
        }
        if (!schedule_timeout(deadline)) {
            set_current_state(TASK_RUNNING);
            return 0;
        }
    }
}

static long do_nanosleep(int clk, int flags, uaddr_t ureq, uaddr_t urem)
{
    struct kernel_timespec ts;
    if (copy_from_user(&ts, ureq, sizeof ts))
        return -EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (int64_t)NSEC_PER_SEC)
        return -EINVAL;
    uint64_t ns = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
    uint64_t now;
    int r = clock_get(clk, &now);
    if (r)
        return r;
    if (clk == CLOCK_PROCESS_CPUTIME_ID || clk == CLOCK_THREAD_CPUTIME_ID)
        return -EINVAL;
    uint64_t deadline;
    if (flags & TIMER_ABSTIME)
        deadline = ktime_mono_ns() + (ns > now ? ns - now : 0);
    else
        deadline = ktime_mono_ns() + ns;
    if (deadline == 0)
        deadline = 1;
    uint64_t left;
    r = sleep_until(deadline, &left);
    if (r == -EINTR) {
        if (flags & TIMER_ABSTIME)
            return -ERESTARTNOHAND;
        if (urem) {
            struct kernel_timespec rem;
            ns_to_ts(left, &rem);
            if (copy_to_user(urem, &rem, sizeof rem))
                return -EFAULT;
        }
        return -EINTR;
    }
    return 0;
}

SYSCALL_DEFINE2(nanosleep, uaddr_t, rqtp, uaddr_t, rmtp)
{
    return do_nanosleep(CLOCK_MONOTONIC, 0, rqtp, rmtp);
}

SYSCALL_DEFINE4(clock_nanosleep, int, which_clock, int, flags, uaddr_t, rqtp, uaddr_t, rmtp)
{
    return do_nanosleep(which_clock, flags, rqtp, rmtp);
}

/* ---- interval timers ---- */

static void real_timer_fn(struct ktimer *kt)
{
    struct process *p = container_of(kt, struct process, real_timer);
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    if (p->state == PROC_ALIVE && !list_empty(&p->threads)) {
        struct ksiginfo info;
        memset(&info, 0, sizeof info);
        info.si_code = SI_TIMER;
        do_send_signal(list_first_entry(&p->threads, struct task_private, thread_node)->task,
                       SIGALRM, &info, true);
        /* Re-armed under proc_lock: the exit path cancels the timer under it too, so on
         * another hart it cannot be re-armed after the process's last thread exits. */
        if (p->real_interval_ns)
            ktimer_arm(kt, kt->deadline + p->real_interval_ns);
    }
    spin_unlock_irqrestore(&proc_lock, f);
}

static uint64_t tv_ns(const struct kernel_old_timeval *tv)
{
    return (uint64_t)tv->tv_sec * NSEC_PER_SEC + (uint64_t)tv->tv_usec * 1000;
}

static void ns_tv(uint64_t ns, struct kernel_old_timeval *tv)
{
    tv->tv_sec = (int64_t)(ns / NSEC_PER_SEC);
    tv->tv_usec = (int64_t)(ns % NSEC_PER_SEC / 1000);
}

/* ITIMER_VIRTUAL and ITIMER_PROF count CPU time, so they are charged by the tick (index 0
 * and 1 of the process's cpu_itimer arrays). */
static const int cpu_itimer_signal[2] = { SIGVTALRM, SIGPROF };

static void charge_cpu_itimer(struct process *p, struct task *t, int i, uint64_t ns)
{
    if (!READ_ONCE(p->cpu_itimer_left_ns[i]))
        return;
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    uint64_t left = p->cpu_itimer_left_ns[i];
    if (left > ns) {
        p->cpu_itimer_left_ns[i] = left - ns;
    } else if (left) {
        p->cpu_itimer_left_ns[i] = p->cpu_itimer_interval_ns[i];
        struct ksiginfo info;
        memset(&info, 0, sizeof info);
        info.si_code = SI_KERNEL;
        do_send_signal(t, cpu_itimer_signal[i], &info, true);
    }
    spin_unlock_irqrestore(&proc_lock, f);
}

void itimer_cpu_tick(struct task *t, bool user, uint64_t ns)
{
    struct process *p = proc_of(t);
    if (user)
        charge_cpu_itimer(p, t, ITIMER_VIRTUAL - 1, ns);
    charge_cpu_itimer(p, t, ITIMER_PROF - 1, ns);
}

static void get_cpu_itimer(struct process *p, int which, struct kernel_old_itimerval *v)
{
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    ns_tv(p->cpu_itimer_left_ns[which - 1], &v->it_value);
    ns_tv(p->cpu_itimer_interval_ns[which - 1], &v->it_interval);
    spin_unlock_irqrestore(&proc_lock, f);
}

static void set_cpu_itimer(struct process *p, int which, const struct kernel_old_itimerval *v)
{
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    p->cpu_itimer_left_ns[which - 1] = tv_ns(&v->it_value);
    p->cpu_itimer_interval_ns[which - 1] = tv_ns(&v->it_interval);
    spin_unlock_irqrestore(&proc_lock, f);
}

static void get_real(struct process *p, struct kernel_old_itimerval *v)
{
    memset(v, 0, sizeof *v);
    if (p->real_timer.armed) {
        uint64_t now = ktime_mono_ns();
        uint64_t left = p->real_timer.deadline > now ? p->real_timer.deadline - now : 1000;
        ns_tv(left, &v->it_value);
    }
    ns_tv(p->real_interval_ns, &v->it_interval);
}

/* which is compared as the whole register, as it always was here (Linux truncates it to int
 * first). */
SYSCALL_DEFINE2(getitimer, long, which, uaddr_t, value)
{
    struct kernel_old_itimerval v;
    memset(&v, 0, sizeof v);
    if (which == ITIMER_REAL)
        get_real(proc_of(current), &v);
    else if (which == ITIMER_VIRTUAL || which == ITIMER_PROF)
        get_cpu_itimer(proc_of(current), (int)which, &v);
    else
        return -EINVAL;
    return copy_to_user(value, &v, sizeof v) ? -EFAULT : 0;
}

SYSCALL_DEFINE3(setitimer, long, which, uaddr_t, value, uaddr_t, ovalue)
{
    struct kernel_old_itimerval nv, ov;
    memset(&ov, 0, sizeof ov);
    if (value && copy_from_user(&nv, value, sizeof nv))
        return -EFAULT;
    if (!value)
        memset(&nv, 0, sizeof nv);
    if (nv.it_value.tv_sec < 0 || nv.it_value.tv_usec < 0 || nv.it_value.tv_usec >= 1000000 ||
        nv.it_interval.tv_sec < 0 || nv.it_interval.tv_usec < 0 || nv.it_interval.tv_usec >= 1000000)
        return -EINVAL;
    if (which == ITIMER_REAL) {
        struct process *p = proc_of(current);
        get_real(p, &ov);
        ktimer_cancel_sync(&p->real_timer);
        p->real_timer.fn = real_timer_fn;
        p->real_interval_ns = tv_ns(&nv.it_interval);
        uint64_t v = tv_ns(&nv.it_value);
        if (v)
            ktimer_arm(&p->real_timer, ktime_mono_ns() + v);
    } else if (which == ITIMER_VIRTUAL || which == ITIMER_PROF) {
        get_cpu_itimer(proc_of(current), (int)which, &ov);
        set_cpu_itimer(proc_of(current), (int)which, &nv);
    } else {
        return -EINVAL;
    }
    if (ovalue && copy_to_user(ovalue, &ov, sizeof ov))
        return -EFAULT;
    return 0;
}

/* ---- CPU time ---- */

static int64_t to_clk(uint64_t ns) { return (int64_t)(ns / (NSEC_PER_SEC / USER_HZ)); }

SYSCALL_DEFINE1(times, uaddr_t, tbuf)
{
    if (tbuf) {
        struct process *p = proc_of(current);
        uint64_t u = p->utime_ns, s = p->stime_ns;
        struct task_private *x;
        irqflags_t f = spin_lock_irqsave(&proc_lock);
        list_for_each_entry(x, &p->threads, thread_node) {
            u += x->utime_ns;
            s += x->stime_ns;
        }
        spin_unlock_irqrestore(&proc_lock, f);
        struct tms t = { to_clk(u), to_clk(s), to_clk(p->cutime_ns), to_clk(p->cstime_ns) };
        if (copy_to_user(tbuf, &t, sizeof t))
            return -EFAULT;
    }
    return (long)to_clk(ktime_mono_ns()) + 1;
}

SYSCALL_DEFINE2(getrusage, int, who, uaddr_t, ru)
{
    struct rusage kru;
    memset(&kru, 0, sizeof kru);
    struct process *p = proc_of(current);
    uint64_t u = 0, s = 0;
    if (who == RUSAGE_SELF) {
        u = p->utime_ns;
        s = p->stime_ns;
        struct task_private *x;
        irqflags_t f = spin_lock_irqsave(&proc_lock);
        list_for_each_entry(x, &p->threads, thread_node) {
            u += x->utime_ns;
            s += x->stime_ns;
        }
        spin_unlock_irqrestore(&proc_lock, f);
    } else if (who == RUSAGE_CHILDREN) {
        u = p->cutime_ns;
        s = p->cstime_ns;
    } else if (who == RUSAGE_THREAD) {
        u = current->priv->utime_ns;
        s = current->priv->stime_ns;
    } else {
        return -EINVAL;
    }
    ns_tv(u, &kru.ru_utime);
    ns_tv(s, &kru.ru_stime);
    return copy_to_user(ru, &kru, sizeof kru) ? -EFAULT : 0;
}
