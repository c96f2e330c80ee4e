/* Identity, process groups and sessions, and the small process-wide system calls: uname,
 * hostnames, rlimits, prctl, sysinfo, priorities, affinity, reboot. */
#include "kernel.h"
#include "task.h"
#include "vm.h"
#include "fs.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"
#include "asm/sbi.h"
#include "asm/cpu.h"
#include "memlayout.h"
#include "procinfo.h"
#include "syscall.h"
#include "uapi/prctl.h"
#include "uapi/reboot.h"
#include "uapi/resource.h"
#include "uapi/sched.h"
#include "uapi/sysinfo.h"
#include "uapi/utsname.h"

/* ---- credentials (Linux rules: root may set anything; others only to their real, effective
 * or saved ids) ---- */

static bool capable(void) { return current->cred.euid == 0; }

SYSCALL_DEFINE0(getuid) { return current->cred.uid; }
SYSCALL_DEFINE0(geteuid) { return current->cred.euid; }
SYSCALL_DEFINE0(getgid) { return current->cred.gid; }
SYSCALL_DEFINE0(getegid) { return current->cred.egid; }
SYSCALL_DEFINE0(getpid) { return current->tgid; }
SYSCALL_DEFINE0(gettid) { return current->tid; }

SYSCALL_DEFINE0(getppid)
{
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

SYSCALL_DEFINE1(setuid, uid_t, uid)
{
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

SYSCALL_DEFINE1(setgid, gid_t, gid)
{
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

SYSCALL_DEFINE2(setreuid, uid_t, ruid, uid_t, euid)
{
    struct cred o = current->cred, n = o;
    if (ruid != (uid_t)-1) {
        if (!capable() && ruid != o.uid && ruid != o.euid)
            return -EPERM;
        n.uid = ruid;
    }
    if (euid != (uid_t)-1) {
        if (!capable() && !uid_is_one_of(euid, &o))
            return -EPERM;
        n.euid = euid;
    }
    if (ruid != (uid_t)-1 || (euid != (uid_t)-1 && euid != o.uid))
        n.suid = n.euid;
    n.fsuid = n.euid;
    nproc_check_setuid(&current->cred, &n);
    set_cred_all(&n);
    return 0;
}

SYSCALL_DEFINE2(setregid, gid_t, rgid, gid_t, egid)
{
    struct cred o = current->cred, n = o;
    if (rgid != (gid_t)-1) {
        if (!capable() && rgid != o.gid && rgid != o.egid)
            return -EPERM;
        n.gid = rgid;
    }
    if (egid != (gid_t)-1) {
        if (!capable() && !gid_is_one_of(egid, &o))
            return -EPERM;
        n.egid = egid;
    }
    if (rgid != (gid_t)-1 || (egid != (gid_t)-1 && egid != o.gid))
        n.sgid = n.egid;
    n.fsgid = n.egid;
    set_cred_all(&n);
    return 0;
}

SYSCALL_DEFINE3(setresuid, uid_t, ruid, uid_t, euid, uid_t, suid)
{
    struct cred o = current->cred, n = o;
    if (!capable() && ((ruid != (uid_t)-1 && !uid_is_one_of(ruid, &o)) ||
                       (euid != (uid_t)-1 && !uid_is_one_of(euid, &o)) ||
                       (suid != (uid_t)-1 && !uid_is_one_of(suid, &o))))
        return -EPERM;
    if (ruid != (uid_t)-1)
        n.uid = ruid;
    if (euid != (uid_t)-1)
        n.euid = euid;
    if (suid != (uid_t)-1)
        n.suid = suid;
    n.fsuid = n.euid;
    nproc_check_setuid(&current->cred, &n);
    set_cred_all(&n);
    return 0;
}

SYSCALL_DEFINE3(setresgid, gid_t, rgid, gid_t, egid, gid_t, sgid)
{
    struct cred o = current->cred, n = o;
    if (!capable() && ((rgid != (gid_t)-1 && !gid_is_one_of(rgid, &o)) ||
                       (egid != (gid_t)-1 && !gid_is_one_of(egid, &o)) ||
                       (sgid != (gid_t)-1 && !gid_is_one_of(sgid, &o))))
        return -EPERM;
    if (rgid != (gid_t)-1)
        n.gid = rgid;
    if (egid != (gid_t)-1)
        n.egid = egid;
    if (sgid != (gid_t)-1)
        n.sgid = sgid;
    n.fsgid = n.egid;
    set_cred_all(&n);
    return 0;
}

SYSCALL_DEFINE3(getresuid, uaddr_t, ruidp, uaddr_t, euidp, uaddr_t, suidp)
{
    const struct cred *c = &current->cred;
    if (put_user_u32(c->uid, ruidp) || put_user_u32(c->euid, euidp) ||
        put_user_u32(c->suid, suidp))
        return -EFAULT;
    return 0;
}

SYSCALL_DEFINE3(getresgid, uaddr_t, rgidp, uaddr_t, egidp, uaddr_t, sgidp)
{
    const struct cred *c = &current->cred;
    if (put_user_u32(c->gid, rgidp) || put_user_u32(c->egid, egidp) ||
        put_user_u32(c->sgid, sgidp))
        return -EFAULT;
    return 0;
}

SYSCALL_DEFINE1(setfsuid, uid_t, uid)
{
    struct cred n = current->cred;
    uid_t old = n.fsuid;
    if (uid != (uid_t)-1 && (capable() || uid_is_one_of(uid, &n) || uid == n.fsuid)) {
        n.fsuid = uid;
        set_cred_all(&n);
    }
    return old;
}

SYSCALL_DEFINE1(setfsgid, gid_t, gid)
{
    struct cred n = current->cred;
    gid_t old = n.fsgid;
    if (gid != (gid_t)-1 && (capable() || gid_is_one_of(gid, &n) || gid == n.fsgid)) {
        n.fsgid = gid;
        set_cred_all(&n);
    }
    return old;
}

SYSCALL_DEFINE2(getgroups, int, gidsetsize, uaddr_t, grouplist)
{
    const struct cred *c = &current->cred;
    if (gidsetsize < 0)
        return -EINVAL;
    if (gidsetsize == 0)
        return c->ngroups;
    if (gidsetsize < c->ngroups)
        return -EINVAL;
    if (copy_to_user(grouplist, c->groups, (size_t)c->ngroups * sizeof(gid_t)))
        return -EFAULT;
    return c->ngroups;
}

SYSCALL_DEFINE2(setgroups, int, gidsetsize, uaddr_t, grouplist)
{
    if (!capable())
        return -EPERM;
    if (gidsetsize < 0 || gidsetsize > NGROUPS_MAX)
        return -EINVAL;
    struct cred n = current->cred;
    if (gidsetsize && copy_from_user(n.groups, grouplist, (size_t)gidsetsize * sizeof(gid_t)))
        return -EFAULT;
    n.ngroups = gidsetsize;
    set_cred_all(&n);
    return 0;
}

/* ---- process groups and sessions ---- */

SYSCALL_DEFINE2(setpgid, pid_t, pid, pid_t, pgid)
{
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

SYSCALL_DEFINE1(getpgid, pid_t, pid)
{
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct process *p = pid ? process_by_pid(pid) : proc_of(current);
    long r = p ? p->pgid : -ESRCH;
    spin_unlock_irqrestore(&proc_lock, f);
    return r;
}

SYSCALL_DEFINE1(getsid, pid_t, pid)
{
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct process *p = pid ? process_by_pid(pid) : proc_of(current);
    long r = p ? p->sid : -ESRCH;
    spin_unlock_irqrestore(&proc_lock, f);
    return r;
}

SYSCALL_DEFINE0(setsid)
{
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

static char hostname[__NEW_UTS_LEN + 1] = "openv";
static char domainname[__NEW_UTS_LEN + 1] = "(none)";

/* The release (release/VERSION), passed by kernel.mk: `uname -v` is "#1 SMP openv 0.1.0". */
#ifndef OPENV_VERSION
#error "OPENV_VERSION is not defined (kernel.mk passes release/VERSION)"
#endif

SYSCALL_DEFINE1(uname, uaddr_t, name)
{
    struct new_utsname u;
    memset(&u, 0, sizeof u);
    strlcpy(u.sysname, "Linux", sizeof u.sysname);   /* what programs check for */
    strlcpy(u.nodename, hostname, sizeof u.nodename);
    strlcpy(u.release, "6.1.0-openv", sizeof u.release);
    strlcpy(u.version, "#1 SMP openv " OPENV_VERSION, sizeof u.version);
    strlcpy(u.machine, "riscv64", sizeof u.machine);
    strlcpy(u.domainname, domainname, sizeof u.domainname);
    return copy_to_user(name, &u, sizeof u) ? -EFAULT : 0;
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
    if (len < 0 || len > __NEW_UTS_LEN)
        return -EINVAL;
    char tmp[__NEW_UTS_LEN + 1];
    if (copy_from_user(tmp, src, (size_t)len))
        return -EFAULT;
    tmp[len] = 0;
    memcpy(dst, tmp, (size_t)len + 1);
    return 0;
}

/* len is the whole register (Linux truncates it to int), as it always was here. */
SYSCALL_DEFINE2(sethostname, uaddr_t, name, long, len)
{
    return set_name(hostname, name, len);
}

SYSCALL_DEFINE2(setdomainname, uaddr_t, name, long, len)
{
    return set_name(domainname, name, len);
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
        if (n.rlim_cur > n.rlim_max)
            return -EINVAL;
        if (n.rlim_max > p->rlim[res].max && !capable())
            return -EPERM;
        if (res == RLIMIT_NOFILE && n.rlim_max > 1024 * 1024)
            return -EPERM;
    }
    struct rlimit64 old = { p->rlim[res].cur, p->rlim[res].max };
    if (unew)
        p->rlim[res] = (struct krlimit){ n.rlim_cur, n.rlim_max };
    if (uold && copy_to_user(uold, &old, sizeof old))
        return -EFAULT;
    return 0;
}

SYSCALL_DEFINE4(prlimit64, pid_t, pid, unsigned, resource, uaddr_t, new_rlim, uaddr_t, old_rlim)
{
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
    return do_prlimit(p, resource, new_rlim, old_rlim);
}

/* struct rlimit is struct rlimit64 on 64-bit. */
SYSCALL_DEFINE2(getrlimit, unsigned, resource, uaddr_t, rlim)
{
    return do_prlimit(proc_of(current), resource, 0, rlim);
}

SYSCALL_DEFINE2(setrlimit, unsigned, resource, uaddr_t, rlim)
{
    return do_prlimit(proc_of(current), resource, rlim, 0);
}

/* The limits init starts with, as Linux gives them. RLIMIT_NPROC and RLIMIT_SIGPENDING are
 * half of Linux's max_threads: the threads whose kernel stacks would fill an eighth of RAM. */
void rlimits_init_defaults(struct krlimit *r)
{
    uint64_t max_threads = (uint64_t)pages_total() * PAGE_SIZE / (8 * KSTACK_SIZE);
    max_threads = MAX(20ULL, MIN(max_threads, (uint64_t)PID_MAX));
    for (int i = 0; i < RLIM_NLIMITS; i++)
        r[i] = (struct krlimit){ RLIM_INFINITY, RLIM_INFINITY };
    r[RLIMIT_STACK] = (struct krlimit){ USER_STACK_MAX, RLIM_INFINITY };
    r[RLIMIT_CORE] = (struct krlimit){ 0, RLIM_INFINITY };
    r[RLIMIT_NOFILE] = (struct krlimit){ 1024, 4096 };
    r[RLIMIT_NPROC] = (struct krlimit){ max_threads / 2, max_threads / 2 };
    r[RLIMIT_SIGPENDING] = r[RLIMIT_NPROC];
    r[RLIMIT_MEMLOCK] = (struct krlimit){ 8UL << 20, 8UL << 20 };
    r[RLIMIT_MSGQUEUE] = (struct krlimit){ 819200, 819200 };
    r[RLIMIT_NICE] = (struct krlimit){ 0, 0 };
    r[RLIMIT_RTPRIO] = (struct krlimit){ 0, 0 };
}

/* ---- misc ---- */

SYSCALL_DEFINE2(prctl, int, option, unsigned long, arg2)
{
    switch (option) {
    case PR_SET_NAME: {
        char name[16];
        long n = strncpy_from_user(name, arg2, sizeof name);
        if (n == -EFAULT)
            return -EFAULT;
        name[15] = 0;
        memcpy(current->comm, name, sizeof name);
        return 0;
    }
    case PR_GET_NAME:
        return copy_to_user(arg2, current->comm, 16) ? -EFAULT : 0;
    case PR_SET_PDEATHSIG:
        return arg2 > _NSIG ? -EINVAL : 0;
    case PR_GET_PDEATHSIG:
        return put_user_u32(0, arg2) ? -EFAULT : 0;
    case PR_GET_DUMPABLE:
        return 1;
    case PR_SET_DUMPABLE:
        return (arg2 == 0 || arg2 == 1) ? 0 : -EINVAL;
    case PR_SET_NO_NEW_PRIVS:
        return arg2 == 1 ? 0 : -EINVAL;
    case PR_GET_NO_NEW_PRIVS:
        return 0;
    default:
        return -EINVAL;
    }
}

SYSCALL_DEFINE1(sysinfo, uaddr_t, info)
{
    struct sysinfo s;
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
    return copy_to_user(info, &s, sizeof s) ? -EFAULT : 0;
}

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
 * turns it back into a nice value), or -ESRCH. who (and setpriority's niceval) is the whole
 * register, as it always was here: Linux truncates them to int. */
SYSCALL_DEFINE2(getpriority, int, which, long, who)
{
    if (which != PRIO_PROCESS && which != PRIO_PGRP && which != PRIO_USER)
        return -EINVAL;
    long r = -ESRCH;
    who = prio_who(which, who);
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
SYSCALL_DEFINE3(setpriority, int, which, long, who, long, niceval)
{
    if (which != PRIO_PROCESS && which != PRIO_PGRP && which != PRIO_USER)
        return -EINVAL;
    int nice = (int)MAX(-20L, MIN(19L, niceval));
    long r = -ESRCH;
    who = prio_who(which, who);
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

/* Every task, whatever its pid, is SCHED_NORMAL. */
SYSCALL_DEFINE0(sched_getscheduler)
{
    return SCHED_NORMAL;
}

SYSCALL_DEFINE2(getcpu, uaddr_t, cpu, uaddr_t, node)
{
    if (cpu && put_user_u32((uint32_t)this_cpu()->id, cpu))
        return -EFAULT;
    if (node && put_user_u32(0, node))
        return -EFAULT;
    return 0;
}

SYSCALL_DEFINE1(set_tid_address, uaddr_t, tidptr)
{
    current->priv->clear_child_tid = tidptr;
    return current->tid;
}

/* ---- reboot ---- */

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

/* Linux's kernel_restart() for in-kernel callers (dm-verity's restart_on_corruption): says
 * why, then resets; nothing is written back (the data cannot be trusted). */
__noreturn void kernel_restart(const char *why)
{
    printk(KERN_EMERG "Restarting system with command '%s'", why);
    machine_reset(false);
}

SYSCALL_DEFINE3(reboot, unsigned, magic1, unsigned, magic2, unsigned, cmd)
{
    if (!capable())
        return -EPERM;
    if (magic1 != LINUX_REBOOT_MAGIC1 ||
        (magic2 != LINUX_REBOOT_MAGIC2 && magic2 != LINUX_REBOOT_MAGIC2A &&
         magic2 != LINUX_REBOOT_MAGIC2B && magic2 != LINUX_REBOOT_MAGIC2C))
        return -EINVAL;
    if (cmd == LINUX_REBOOT_CMD_RESTART || cmd == LINUX_REBOOT_CMD_HALT ||
        cmd == LINUX_REBOOT_CMD_POWER_OFF) {
        /* Unlike Linux, write back the disks' caches even for `poweroff -f -n`: there is no
         * journal, and a virtual disk's volatile cache dies with QEMU. */
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
