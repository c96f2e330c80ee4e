/* Identity, process groups and sessions, and the small process-wide system calls: uname,
 * hostnames, rlimits, prctl, sysinfo, priorities, affinity, reboot. */
#include "kernel.h"
#include "task.h"
#include "vm.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"
#include "asm/sbi.h"
#include "asm/cpu.h"
#include "memlayout.h"
#include "procinfo.h"

/* ---- credentials (Linux rules: root may set anything; others only to their real, effective
 * or saved ids) ---- */

static bool capable(void) { return current->cred.euid == 0; }

long sys_getuid(long a0, long a1, long a2, long a3, long a4, long a5) { (void)a0; (void)a1; (void)a2; (void)a3; (void)a4; (void)a5; return current->cred.uid; }
long sys_geteuid(long a0, long a1, long a2, long a3, long a4, long a5) { (void)a0; (void)a1; (void)a2; (void)a3; (void)a4; (void)a5; return current->cred.euid; }
long sys_getgid(long a0, long a1, long a2, long a3, long a4, long a5) { (void)a0; (void)a1; (void)a2; (void)a3; (void)a4; (void)a5; return current->cred.gid; }
long sys_getegid(long a0, long a1, long a2, long a3, long a4, long a5) { (void)a0; (void)a1; (void)a2; (void)a3; (void)a4; (void)a5; return current->cred.egid; }
long sys_getpid(long a0, long a1, long a2, long a3, long a4, long a5) { (void)a0; (void)a1; (void)a2; (void)a3; (void)a4; (void)a5; return current->tgid; }
long sys_gettid(long a0, long a1, long a2, long a3, long a4, long a5) { (void)a0; (void)a1; (void)a2; (void)a3; (void)a4; (void)a5; return current->tid; }

long sys_getppid(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a0; (void)a1; (void)a2; (void)a3; (void)a4; (void)a5;
    struct process *par = proc_of(current)->parent;
    return par ? par->pid : 0;
}

/* Apply a uid change to all threads of the process (POSIX: credentials are per process). */
static void set_cred_all(struct cred *n)
{
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct task_private *x;
    list_for_each_entry(x, &proc_of(current)->threads, thread_node)
        x->task->cred = *n;
    spin_unlock_irqrestore(&proc_lock, f);
}

static bool uid_is_one_of(uid_t v, const struct cred *c) { return v == c->uid || v == c->euid || v == c->suid; }
static bool gid_is_one_of(gid_t v, const struct cred *c) { return v == c->gid || v == c->egid || v == c->sgid; }

long sys_setuid(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a1; (void)a2; (void)a3; (void)a4; (void)a5;
    uid_t uid = (uid_t)a0;
    if (uid == (uid_t)-1)
        return -EINVAL;
    struct cred n = current->cred;
    if (capable()) {
        n.uid = n.euid = n.suid = n.fsuid = uid;
    } else if (uid == n.uid || uid == n.suid) {
        n.euid = n.fsuid = uid;
    } else {
        return -EPERM;
    }
    nproc_check_setuid(&current->cred, &n);
    set_cred_all(&n);
    return 0;
}

long sys_setgid(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a1; (void)a2; (void)a3; (void)a4; (void)a5;
    gid_t gid = (gid_t)a0;
    if (gid == (gid_t)-1)
        return -EINVAL;
    struct cred n = current->cred;
    if (capable()) {
        n.gid = n.egid = n.sgid = n.fsgid = gid;
    } else if (gid == n.gid || gid == n.sgid) {
        n.egid = n.fsgid = gid;
    } else {
        return -EPERM;
    }
    set_cred_all(&n);
    return 0;
}

long sys_setreuid(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a2; (void)a3; (void)a4; (void)a5;
    uid_t r = (uid_t)a0, e = (uid_t)a1;
    struct cred o = current->cred, n = o;
    if (r != (uid_t)-1) {
        if (!capable() && r != o.uid && r != o.euid)
            return -EPERM;
        n.uid = r;
    }
    if (e != (uid_t)-1) {
        if (!capable() && !uid_is_one_of(e, &o))
            return -EPERM;
        n.euid = e;
    }
    if (r != (uid_t)-1 || (e != (uid_t)-1 && e != o.uid))
        n.suid = n.euid;
    n.fsuid = n.euid;
    nproc_check_setuid(&current->cred, &n);
    set_cred_all(&n);
    return 0;
}

long sys_setregid(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a2; (void)a3; (void)a4; (void)a5;
    gid_t r = (gid_t)a0, e = (gid_t)a1;
    struct cred o = current->cred, n = o;
    if (r != (gid_t)-1) {
        if (!capable() && r != o.gid && r != o.egid)
            return -EPERM;
        n.gid = r;
    }
    if (e != (gid_t)-1) {
        if (!capable() && !gid_is_one_of(e, &o))
            return -EPERM;
        n.egid = e;
    }
    if (r != (gid_t)-1 || (e != (gid_t)-1 && e != o.gid))
        n.sgid = n.egid;
    n.fsgid = n.egid;
    set_cred_all(&n);
    return 0;
}

long sys_setresuid(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a3; (void)a4; (void)a5;
    uid_t r = (uid_t)a0, e = (uid_t)a1, s = (uid_t)a2;
    struct cred o = current->cred, n = o;
    if (!capable() && ((r != (uid_t)-1 && !uid_is_one_of(r, &o)) ||
                       (e != (uid_t)-1 && !uid_is_one_of(e, &o)) ||
                       (s != (uid_t)-1 && !uid_is_one_of(s, &o))))
        return -EPERM;
    if (r != (uid_t)-1)
        n.uid = r;
    if (e != (uid_t)-1)
        n.euid = e;
    if (s != (uid_t)-1)
        n.suid = s;
    n.fsuid = n.euid;
    nproc_check_setuid(&current->cred, &n);
    set_cred_all(&n);
    return 0;
}

long sys_setresgid(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a3; (void)a4; (void)a5;
    gid_t r = (gid_t)a0, e = (gid_t)a1, s = (gid_t)a2;
    struct cred o = current->cred, n = o;
    if (!capable() && ((r != (gid_t)-1 && !gid_is_one_of(r, &o)) ||
                       (e != (gid_t)-1 && !gid_is_one_of(e, &o)) ||
                       (s != (gid_t)-1 && !gid_is_one_of(s, &o))))
        return -EPERM;
    if (r != (gid_t)-1)
        n.gid = r;
    if (e != (gid_t)-1)
        n.egid = e;
    if (s != (gid_t)-1)
        n.sgid = s;
    n.fsgid = n.egid;
    set_cred_all(&n);
    return 0;
}

long sys_getresuid(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a3; (void)a4; (void)a5;
    const struct cred *c = &current->cred;
    if (put_user_u32(c->uid, (uaddr_t)a0) || put_user_u32(c->euid, (uaddr_t)a1) || put_user_u32(c->suid, (uaddr_t)a2))
        return -EFAULT;
    return 0;
}

long sys_getresgid(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a3; (void)a4; (void)a5;
    const struct cred *c = &current->cred;
    if (put_user_u32(c->gid, (uaddr_t)a0) || put_user_u32(c->egid, (uaddr_t)a1) || put_user_u32(c->sgid, (uaddr_t)a2))
        return -EFAULT;
    return 0;
}

long sys_setfsuid(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a1; (void)a2; (void)a3; (void)a4; (void)a5;
    struct cred n = current->cred;
    uid_t old = n.fsuid, u = (uid_t)a0;
    if (u != (uid_t)-1 && (capable() || uid_is_one_of(u, &n) || u == n.fsuid)) {
        n.fsuid = u;
        set_cred_all(&n);
    }
    return old;
}

long sys_setfsgid(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a1; (void)a2; (void)a3; (void)a4; (void)a5;
    struct cred n = current->cred;
    gid_t old = n.fsgid, g = (gid_t)a0;
    if (g != (gid_t)-1 && (capable() || gid_is_one_of(g, &n) || g == n.fsgid)) {
        n.fsgid = g;
        set_cred_all(&n);
    }
    return old;
}

long sys_getgroups(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a2; (void)a3; (void)a4; (void)a5;
    int size = (int)a0;
    const struct cred *c = &current->cred;
    if (size < 0)
        return -EINVAL;
    if (size == 0)
        return c->ngroups;
    if (size < c->ngroups)
        return -EINVAL;
    if (copy_to_user((uaddr_t)a1, c->groups, (size_t)c->ngroups * sizeof(gid_t)))
        return -EFAULT;
    return c->ngroups;
}

long sys_setgroups(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a2; (void)a3; (void)a4; (void)a5;
    int size = (int)a0;
    if (!capable())
        return -EPERM;
    if (size < 0 || size > NGROUPS_MAX)
        return -EINVAL;
    struct cred n = current->cred;
    if (size && copy_from_user(n.groups, (uaddr_t)a1, (size_t)size * sizeof(gid_t)))
        return -EFAULT;
    n.ngroups = size;
    set_cred_all(&n);
    return 0;
}

/* ---- process groups and sessions ---- */

long sys_setpgid(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a2; (void)a3; (void)a4; (void)a5;
    pid_t pid = (pid_t)a0, pgid = (pid_t)a1;
    struct process *me = proc_of(current);
    if (pgid < 0)
        return -EINVAL;
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    long r = 0;
    struct process *p = pid ? process_by_pid(pid) : me;
    if (!p || p->state != PROC_ALIVE || (p != me && p->parent != me)) {
        r = -ESRCH;
        goto out;
    }
    if (!pgid)
        pgid = p->pid;
    if (p->parent == me && p != me) {
        if (p->sid != me->sid) {
            r = -EPERM;
            goto out;
        }
        if (p->execed) {
            r = -EACCES;
            goto out;
        }
    }
    if (p->pid == p->sid) {   /* a session leader */
        r = -EPERM;
        goto out;
    }
    if (pgid != p->pid) {
        bool found = false;
        struct process *q;
        /* A zombie member still makes the group exist (Linux): ash's pipeline children
         * join the group of a first command that may have exited already. */
        list_for_each_entry(q, &all_processes, all_node)
            if (q->pgid == pgid && q->sid == me->sid && q->state != PROC_DEAD) {
                found = true;
                break;
            }
        if (!found) {
            r = -EPERM;
            goto out;
        }
    }
    p->pgid = pgid;
out:
    spin_unlock_irqrestore(&proc_lock, f);
    return r;
}

long sys_getpgid(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a1; (void)a2; (void)a3; (void)a4; (void)a5;
    pid_t pid = (pid_t)a0;
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct process *p = pid ? process_by_pid(pid) : proc_of(current);
    long r = p ? p->pgid : -ESRCH;
    spin_unlock_irqrestore(&proc_lock, f);
    return r;
}

long sys_getsid(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a1; (void)a2; (void)a3; (void)a4; (void)a5;
    pid_t pid = (pid_t)a0;
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct process *p = pid ? process_by_pid(pid) : proc_of(current);
    long r = p ? p->sid : -ESRCH;
    spin_unlock_irqrestore(&proc_lock, f);
    return r;
}

long sys_setsid(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a0; (void)a1; (void)a2; (void)a3; (void)a4; (void)a5;
    struct process *me = proc_of(current);
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct process *q;
    list_for_each_entry(q, &all_processes, all_node)
        if (q->pgid == me->pid && q->state != PROC_DEAD) {
            spin_unlock_irqrestore(&proc_lock, f);
            return -EPERM;
        }
    me->sid = me->pgid = me->pid;
    me->ctty = NULL;
    spin_unlock_irqrestore(&proc_lock, f);
    return me->pid;
}

/* ---- names ---- */

static char hostname[65] = "openv";
static char domainname[65] = "(none)";

struct new_utsname {
    char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

long sys_uname(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a1; (void)a2; (void)a3; (void)a4; (void)a5;
    struct new_utsname u;
    memset(&u, 0, sizeof u);
    strlcpy(u.sysname, "Linux", sizeof u.sysname);   /* what programs check for */
    strlcpy(u.nodename, hostname, sizeof u.nodename);
    strlcpy(u.release, "6.1.0-openv", sizeof u.release);
    strlcpy(u.version, "#1 SMP openv", sizeof u.version);
    strlcpy(u.machine, "riscv64", sizeof u.machine);
    strlcpy(u.domainname, domainname, sizeof u.domainname);
    return copy_to_user((uaddr_t)a0, &u, sizeof u) ? -EFAULT : 0;
}

/* For /proc/sys/kernel/{hostname,domainname} (procinfo.h). */
void uts_get_names(char *host, char *domain, size_t size)
{
    strlcpy(host, hostname, size);
    strlcpy(domain, domainname, size);
}

static long set_name(char *dst, uaddr_t src, long len)
{
    if (!capable())
        return -EPERM;
    if (len < 0 || len > 64)
        return -EINVAL;
    char tmp[65];
    if (copy_from_user(tmp, src, (size_t)len))
        return -EFAULT;
    tmp[len] = 0;
    memcpy(dst, tmp, (size_t)len + 1);
    return 0;
}

long sys_sethostname(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a2; (void)a3; (void)a4; (void)a5;
    return set_name(hostname, (uaddr_t)a0, a1);
}

long sys_setdomainname(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a2; (void)a3; (void)a4; (void)a5;
    return set_name(domainname, (uaddr_t)a0, a1);
}

/* ---- resource limits ---- */

int current_nofile_limit(void)
{
    uint64_t cur = proc_of(current)->rlim[RLIMIT_NOFILE].cur;
    return cur > INT32_MAX ? INT32_MAX : (int)cur;
}

static long do_prlimit(struct process *p, unsigned res, uaddr_t unew, uaddr_t uold)
{
    if (res >= RLIM_NLIMITS)
        return -EINVAL;
    struct rlimit64 n;
    if (unew) {
        if (copy_from_user(&n, unew, sizeof n))
            return -EFAULT;
        if (n.cur > n.max)
            return -EINVAL;
        if (n.max > p->rlim[res].max && !capable())
            return -EPERM;
        if (res == RLIMIT_NOFILE && n.max > 1024 * 1024)
            return -EPERM;
    }
    struct rlimit64 old = p->rlim[res];
    if (unew)
        p->rlim[res] = n;
    if (uold && copy_to_user(uold, &old, sizeof old))
        return -EFAULT;
    return 0;
}

long sys_prlimit64(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a4; (void)a5;
    pid_t pid = (pid_t)a0;
    struct process *p = proc_of(current);
    if (pid) {
        irqflags_t f = spin_lock_irqsave(&proc_lock);
        p = process_by_pid(pid);
        spin_unlock_irqrestore(&proc_lock, f);
        if (!p)
            return -ESRCH;
        if (p != proc_of(current) && !capable())
            return -EPERM;
    }
    return do_prlimit(p, (unsigned)a1, (uaddr_t)a2, (uaddr_t)a3);
}

long sys_getrlimit(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a2; (void)a3; (void)a4; (void)a5;
    return do_prlimit(proc_of(current), (unsigned)a0, 0, (uaddr_t)a1);
}

long sys_setrlimit(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a2; (void)a3; (void)a4; (void)a5;
    return do_prlimit(proc_of(current), (unsigned)a0, (uaddr_t)a1, 0);
}

/* The limits init starts with, as Linux gives them. RLIMIT_NPROC and RLIMIT_SIGPENDING are
 * half of Linux's max_threads: the threads whose kernel stacks would fill an eighth of RAM. */
void rlimits_init_defaults(struct rlimit64 *r)
{
    uint64_t max_threads = (uint64_t)pages_total() * PAGE_SIZE / (8 * KSTACK_SIZE);
    max_threads = MAX(20ULL, MIN(max_threads, (uint64_t)PID_MAX));
    for (int i = 0; i < RLIM_NLIMITS; i++)
        r[i] = (struct rlimit64){ RLIM_INFINITY, RLIM_INFINITY };
    r[RLIMIT_STACK] = (struct rlimit64){ USER_STACK_MAX, RLIM_INFINITY };
    r[RLIMIT_CORE] = (struct rlimit64){ 0, RLIM_INFINITY };
    r[RLIMIT_NOFILE] = (struct rlimit64){ 1024, 4096 };
    r[RLIMIT_NPROC] = (struct rlimit64){ max_threads / 2, max_threads / 2 };
    r[RLIMIT_SIGPENDING] = r[RLIMIT_NPROC];
    r[RLIMIT_MEMLOCK] = (struct rlimit64){ 8UL << 20, 8UL << 20 };
    r[RLIMIT_MSGQUEUE] = (struct rlimit64){ 819200, 819200 };
    r[RLIMIT_NICE] = (struct rlimit64){ 0, 0 };
    r[RLIMIT_RTPRIO] = (struct rlimit64){ 0, 0 };
}

/* ---- misc ---- */

#define PR_SET_PDEATHSIG 1
#define PR_GET_PDEATHSIG 2
#define PR_GET_DUMPABLE 3
#define PR_SET_DUMPABLE 4
#define PR_SET_NAME 15
#define PR_GET_NAME 16
#define PR_SET_NO_NEW_PRIVS 38
#define PR_GET_NO_NEW_PRIVS 39

long sys_prctl(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a2; (void)a3; (void)a4; (void)a5;
    switch ((int)a0) {
    case PR_SET_NAME: {
        char name[16];
        long n = strncpy_from_user(name, (uaddr_t)a1, sizeof name);
        if (n == -EFAULT)
            return -EFAULT;
        name[15] = 0;
        memcpy(current->comm, name, sizeof name);
        return 0;
    }
    case PR_GET_NAME:
        return copy_to_user((uaddr_t)a1, current->comm, 16) ? -EFAULT : 0;
    case PR_SET_PDEATHSIG:
        return (a1 < 0 || a1 > NSIG) ? -EINVAL : 0;
    case PR_GET_PDEATHSIG:
        return put_user_u32(0, (uaddr_t)a1) ? -EFAULT : 0;
    case PR_GET_DUMPABLE:
        return 1;
    case PR_SET_DUMPABLE:
        return (a1 == 0 || a1 == 1) ? 0 : -EINVAL;
    case PR_SET_NO_NEW_PRIVS:
        return a1 == 1 ? 0 : -EINVAL;
    case PR_GET_NO_NEW_PRIVS:
        return 0;
    default:
        return -EINVAL;
    }
}

struct sysinfo_k {
    int64_t uptime;
    uint64_t loads[3];
    uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    uint16_t procs, pad;
    uint32_t pad2;
    uint64_t totalhigh, freehigh;
    uint32_t mem_unit;
    char _f[4];
};

long sys_sysinfo(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a1; (void)a2; (void)a3; (void)a4; (void)a5;
    struct sysinfo_k s;
    memset(&s, 0, sizeof s);
    s.uptime = (int64_t)(ktime_mono_ns() / NSEC_PER_SEC);
    cpustat_loadavg(s.loads);
    s.totalram = pages_total() * PAGE_SIZE;
    s.freeram = pages_free() * PAGE_SIZE;
    s.mem_unit = 1;
    unsigned n = 0;
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct process *p;
    list_for_each_entry(p, &all_processes, all_node)
        n += (unsigned)p->nr_threads;
    spin_unlock_irqrestore(&proc_lock, f);
    s.procs = (uint16_t)n;
    return copy_to_user((uaddr_t)a0, &s, sizeof s) ? -EFAULT : 0;
}

#define PRIO_PROCESS 0
#define PRIO_PGRP 1
#define PRIO_USER 2

/* Does task t fall under (which, who)? who has had its 0 replaced by the caller's own id.
 * PRIO_PROCESS names one thread, as in Linux. proc_lock held. */
static bool prio_matches(struct task *t, int which, long who)
{
    switch (which) {
    case PRIO_PROCESS: return t->tid == who;
    case PRIO_PGRP: return t->priv->proc->pgid == who;
    default: return t->cred.uid == who;   /* PRIO_USER: the real uid */
    }
}

static long prio_who(int which, long who)
{
    if (who)
        return who;
    return which == PRIO_PROCESS ? current->tid : which == PRIO_PGRP ? proc_of(current)->pgid
                                                                      : (long)current->cred.uid;
}

/* Returns 20 - nice of the highest-priority (lowest nice) task matched, as Linux does (libc
 * turns it back into a nice value), or -ESRCH. */
long sys_getpriority(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a2; (void)a3; (void)a4; (void)a5;
    int which = (int)a0;
    if (which != PRIO_PROCESS && which != PRIO_PGRP && which != PRIO_USER)
        return -EINVAL;
    long who = prio_who(which, a1), r = -ESRCH;
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct process *p;
    list_for_each_entry(p, &all_processes, all_node) {
        struct task_private *tp;
        list_for_each_entry(tp, &p->threads, thread_node)
            if (prio_matches(tp->task, which, who))
                r = MAX(r, 20L - tp->nice);
    }
    spin_unlock_irqrestore(&proc_lock, f);
    return r;
}

/* Linux's set_one_prio: the caller must own the task (its euid is the task's uid or euid)
 * unless privileged; lowering nice needs privilege or RLIMIT_NICE (20 - nice <= limit).
 * The result of the last task tried is returned; -ESRCH if none matched. */
long sys_setpriority(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a3; (void)a4; (void)a5;
    int which = (int)a0;
    if (which != PRIO_PROCESS && which != PRIO_PGRP && which != PRIO_USER)
        return -EINVAL;
    int nice = (int)MAX(-20L, MIN(19L, a2));
    long who = prio_who(which, a1), r = -ESRCH;
    const struct cred *me = &current->cred;
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct process *p;
    list_for_each_entry(p, &all_processes, all_node) {
        struct task_private *tp;
        list_for_each_entry(tp, &p->threads, thread_node) {
            struct task *t = tp->task;
            if (!prio_matches(t, which, who))
                continue;
            if (t->cred.uid != me->euid && t->cred.euid != me->euid && !capable())
                r = -EPERM;
            else if (nice < tp->nice && 20U - nice > p->rlim[RLIMIT_NICE].cur && !capable())
                r = -EACCES;
            else {
                tp->nice = nice;
                if (r == -ESRCH)
                    r = 0;
            }
        }
    }
    spin_unlock_irqrestore(&proc_lock, f);
    return r;
}

/* sched_getaffinity and sched_setaffinity: kernel/kernel/affinity.c */

long sys_sched_getscheduler(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a0; (void)a1; (void)a2; (void)a3; (void)a4; (void)a5;
    return 0;   /* SCHED_OTHER */
}

long sys_getcpu(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a2; (void)a3; (void)a4; (void)a5;
    if (a0 && put_user_u32((uint32_t)this_cpu()->id, (uaddr_t)a0))
        return -EFAULT;
    if (a1 && put_user_u32(0, (uaddr_t)a1))
        return -EFAULT;
    return 0;
}

long sys_set_tid_address(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a1; (void)a2; (void)a3; (void)a4; (void)a5;
    current->priv->clear_child_tid = (uaddr_t)a0;
    return current->tid;
}

/* ---- reboot ---- */

#define LINUX_REBOOT_MAGIC1 0xfee1dead
#define LINUX_REBOOT_MAGIC2 672274793
#define LINUX_REBOOT_MAGIC2A 85072278
#define LINUX_REBOOT_MAGIC2B 369367448
#define LINUX_REBOOT_MAGIC2C 537993216
#define LINUX_REBOOT_CMD_RESTART 0x01234567
#define LINUX_REBOOT_CMD_HALT 0xCDEF0123
#define LINUX_REBOOT_CMD_CAD_ON 0x89ABCDEF
#define LINUX_REBOOT_CMD_CAD_OFF 0x00000000
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321FEDC

struct syscon_action_k {
    bool present;
    uint64_t addr;
    uint32_t value, mask;
};
static struct syscon_action_k syscon_poweroff, syscon_reboot;

void reboot_set_syscon(bool poweroff, uint64_t addr, uint32_t value, uint32_t mask)
{
    struct syscon_action_k *a = poweroff ? &syscon_poweroff : &syscon_reboot;
    a->present = true;
    a->addr = addr;
    a->value = value;
    a->mask = mask;
}

static __noreturn void machine_reset(bool poweroff)
{
    pr_notice("%s", poweroff ? "Power down" : "Restarting system");
    sbi_system_reset(poweroff ? SBI_SRST_SHUTDOWN : SBI_SRST_COLD_REBOOT, 0);
    struct syscon_action_k *a = poweroff ? &syscon_poweroff : &syscon_reboot;
    if (a->present) {
        volatile uint32_t *r = pa_to_va(a->addr);
        *r = (*r & ~a->mask) | (a->value & a->mask);
    }
    panic("%s failed", poweroff ? "power off" : "reboot");
}

long sys_reboot(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a3; (void)a4; (void)a5;
    if (!capable())
        return -EPERM;
    if ((uint32_t)a0 != LINUX_REBOOT_MAGIC1 ||
        ((uint32_t)a1 != LINUX_REBOOT_MAGIC2 && (uint32_t)a1 != LINUX_REBOOT_MAGIC2A &&
         (uint32_t)a1 != LINUX_REBOOT_MAGIC2B && (uint32_t)a1 != LINUX_REBOOT_MAGIC2C))
        return -EINVAL;
    uint32_t cmd = (uint32_t)a2;
    if (cmd == LINUX_REBOOT_CMD_RESTART || cmd == LINUX_REBOOT_CMD_HALT ||
        cmd == LINUX_REBOOT_CMD_POWER_OFF) {
        /* Unlike Linux, write back the disks' caches even for `poweroff -f -n`: there is no
         * journal, and a virtual disk's volatile cache dies with QEMU. */
        extern int vfs_sync_all(void) __attribute__((weak));
        if (vfs_sync_all)
            vfs_sync_all();
    }
    switch (cmd) {
    case LINUX_REBOOT_CMD_RESTART:
        machine_reset(false);
    case LINUX_REBOOT_CMD_HALT:
    case LINUX_REBOOT_CMD_POWER_OFF:
        machine_reset(true);
    case LINUX_REBOOT_CMD_CAD_ON:
    case LINUX_REBOOT_CMD_CAD_OFF:
        return 0;
    default:
        return -EINVAL;
    }
}
