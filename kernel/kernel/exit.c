/* Exit, zombies, reparenting, and the wait family. */
#include "kernel.h"
#include "task.h"
#include "ipc.h"
#include "vm.h"
#include "fs.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"
#include "tty.h"
#include "syscall.h"
#include "uapi/wait.h"
#include "uapi/resource.h"

/* Frees a reaped process (proc_lock held). */
void release_process(struct process *p)
{
    list_del(&p->sibling);
    list_del(&p->all_node);
    pid_free(p->pid);
    if (--p->refcount == 0)
        kfree(p);
}

/* Sends SIGHUP then SIGCONT to a newly orphaned process group that has stopped members. */
static void kill_orphaned_pgrp(pid_t pgrp, const struct process *exiting)
{
    struct process *q;
    bool stopped = false;
    list_for_each_entry(q, &all_processes, all_node)
        if (q != exiting && q->pgid == pgrp && q->stopped)
            stopped = true;
    if (!stopped || !pgrp_is_orphaned_locked(pgrp, exiting))
        return;
    list_for_each_entry(q, &all_processes, all_node)
        if (q != exiting && q->pgid == pgrp && q->state == PROC_ALIVE) {
            struct task_private *tp;
            list_for_each_entry(tp, &q->threads, thread_node) {
                do_send_signal(tp->task, SIGHUP, NULL, true);
                do_send_signal(tp->task, SIGCONT, NULL, true);
                break;
            }
        }
}

/* The last thread is gone: the process becomes a zombie for its parent (proc_lock held). */
static void process_exit_locked(struct process *p)
{
    /* Children go to init; zombies among them are announced to init. */
    struct process *c, *n;
    list_for_each_entry_safe(c, n, &p->children, sibling) {
        list_del(&c->sibling);
        c->parent = init_process;
        list_add_tail(&c->sibling, &init_process->children);
        if (c->pgid != p->pgid && c->sid == p->sid)
            kill_orphaned_pgrp(c->pgid, p);
        if (c->state == PROC_ZOMBIE)
            wake_up(&init_process->child_wait);
    }
    struct process *par = p->parent;
    if (par && par->pgid != p->pgid && par->sid == p->sid)
        kill_orphaned_pgrp(p->pgid, p);
    p->state = PROC_ZOMBIE;
    p->leader = NULL;
    notify_parent_exit(p);   /* may reap it at once (SIGCHLD ignored) */
}

__noreturn void do_exit(int code)
{
    struct task *t = current;
    struct task_private *tp = t->priv;
    struct process *p = tp->proc;
    if (p == init_process && p->nr_threads == 1)
        panic("Attempted to kill init! exitcode=0x%08x", code);
    tp->exiting = true;
    tp->exit_code = code;

    exit_sem(t);          /* the last thread sharing the SEM_UNDO list applies it */
    if (t->mm) {
        exit_robust_list(t);
        if (tp->clear_child_tid) {
            put_user_u32(0, tp->clear_child_tid);
            futex_wake_addr(tp->clear_child_tid, 1);
        }
    }
    vfork_release(t);
    /* Detach under proc_lock, drop outside it: procfs takes references to these under the
     * lock (procinfo_get_mm and friends), so it never sees one that is being freed. */
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct mm_struct *mm = t->mm;
    struct files_struct *files = t->files;
    struct fs_struct *fs = t->fs;
    t->mm = NULL;
    t->files = NULL;
    t->fs = NULL;
    spin_unlock_irqrestore(&proc_lock, f);
    if (mm) {
        mm_activate(NULL);
        mm_put(mm);
    }
    if (files)
        files_put(files);
    if (fs)
        fs_struct_put(fs);
    /* A session leader's exit hangs up its controlling terminal (SIGHUP to the foreground
     * group), as in Linux's disassociate_ctty(). */
    if (p->nr_threads == 1 && p->sid == p->pid && p->ctty)
        tty_session_leader_exit(p->ctty);

    f = spin_lock_irqsave(&proc_lock);
    tid_set(t->tid, NULL);
    if (t->tid != p->pid)
        pid_free(t->tid);
    list_del(&tp->thread_node);
    p->utime_ns += tp->utime_ns;
    p->stime_ns += tp->stime_ns;
    sigpending_flush(&tp->pending);
    struct sighand *sh = tp->sighand;
    tp->sighand = NULL;
    bool last = --p->nr_threads == 0;
    if (p->exec_task && p->exec_task != t)
        wake_up_process(p->exec_task);
    if (last) {
        memcpy(p->comm, t->comm, sizeof p->comm);
        p->zombie_uid = t->cred.uid;
        ktimer_cancel(&p->real_timer);
        sigpending_flush(&p->shared_pending);
        if (!p->group_exiting)
            p->exit_status = code;
        process_exit_locked(p);
    } else if (p->stop_pending_count > 0 && p->stopped == false) {
        /* a group stop in progress no longer waits for this thread */
    }
    /* The thread's reference goes: from here on p may be freed at any moment (the parent
     * reaps a zombie on another hart), while this task still runs until schedule() and
     * takes timer ticks with interrupts on. Nothing may reach p through it any more: the
     * tick charged ITIMER_PROF to the freed struct process, whose 1 KiB slab slot had become
     * a new thread's task_private, and its "expired" reload zeroed that thread's
     * clear_child_tid (the same offset), so musl's thread-list lock was never released at
     * its exit (tools/soak_smp.py: pthread_join hung at -smp 4 under host load). */
    tp->proc = NULL;
    if (--p->refcount == 0)
        kfree(p);
    t->state = TASK_DEAD;
    spin_unlock_irqrestore(&proc_lock, f);
    if (sh)
        sighand_put(sh);
    schedule();
    panic("dead task %d scheduled", t->tid);
}

/* Every thread of the process exits with `status` (a wait status). */
__noreturn void do_group_exit(int status)
{
    struct process *p = proc_of(current);
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    if (!p->group_exiting) {
        p->group_exiting = true;
        p->exit_status = status;
        struct task_private *tp;
        list_for_each_entry(tp, &p->threads, thread_node) {
            if (tp->task != current) {
                tp->pending.set |= sigmask(SIGKILL);
                wake_up_state(tp->task, (1u << TASK_INTERRUPTIBLE) | (1u << TASK_STOPPED));
            }
        }
    }
    spin_unlock_irqrestore(&proc_lock, f);
    do_exit(status);
}

SYSCALL_DEFINE1(exit, int, error_code)
{
    do_exit((error_code & 0xff) << 8);
}

SYSCALL_DEFINE1(exit_group, int, error_code)
{
    do_group_exit((error_code & 0xff) << 8);
}

/* ---- wait ---- */

struct wait_result {
    pid_t pid;
    uid_t uid;
    int status;      /* wait status */
    int code;        /* CLD_* */
    int si_status;
    uint64_t utime, stime;
};

static bool wait_match(struct process *c, int idtype, pid_t id, unsigned options, pid_t mypgid)
{
    switch (idtype) {
    case P_PID:
        if (c->pid != id)
            return false;
        break;
    case P_PGID:
        if (c->pgid != (id ? id : mypgid))
            return false;
        break;
    default:
        break;
    }
    if (options & __WALL)
        return true;
    bool clone_child = c->exit_signal != SIGCHLD;
    return clone_child == !!(options & __WCLONE);
}

static void status_to_result(struct process *c, struct wait_result *r)
{
    int st = c->exit_status;
    r->pid = c->pid;
    r->status = st;
    r->utime = c->utime_ns + c->cutime_ns;
    r->stime = c->stime_ns + c->cstime_ns;
    if ((st & 0x7f) == 0) {
        r->code = CLD_EXITED;
        r->si_status = (st >> 8) & 0xff;
    } else {
        r->code = (st & 0x80) ? CLD_DUMPED : CLD_KILLED;
        r->si_status = st & 0x7f;
    }
}

/* Returns the pid found (result filled), 0 for WNOHANG with nothing, or -errno. */
static long do_wait(int idtype, pid_t id, unsigned options, struct wait_result *r)
{
    struct process *me = proc_of(current);
    struct wait_entry we;
    r->uid = 0;
    for (;;) {
        prepare_to_wait(&me->child_wait, &we, TASK_INTERRUPTIBLE);
        irqflags_t f = spin_lock_irqsave(&proc_lock);
        bool any = false;
        struct process *c;
        list_for_each_entry(c, &me->children, sibling) {
            if (!wait_match(c, idtype, id, options, me->pgid))
                continue;
            any = true;
            if (c->state == PROC_ZOMBIE && (options & WEXITED)) {
                status_to_result(c, r);
                if (!(options & WNOWAIT)) {
                    me->cutime_ns += r->utime;
                    me->cstime_ns += r->stime;
                    c->state = PROC_DEAD;
                    release_process(c);
                }
                spin_unlock_irqrestore(&proc_lock, f);
                finish_wait(&me->child_wait, &we);
                return r->pid;
            }
            if ((options & WUNTRACED) && c->stopped && c->report_stopped && c->state == PROC_ALIVE) {
                if (!(options & WNOWAIT))
                    c->report_stopped = false;
                r->pid = c->pid;
                r->status = (c->stop_signal << 8) | 0x7f;
                r->code = CLD_STOPPED;
                r->si_status = c->stop_signal;
                r->utime = c->utime_ns;
                r->stime = c->stime_ns;
                spin_unlock_irqrestore(&proc_lock, f);
                finish_wait(&me->child_wait, &we);
                return r->pid;
            }
            if ((options & WCONTINUED) && c->report_continued && c->state == PROC_ALIVE) {
                if (!(options & WNOWAIT))
                    c->report_continued = false;
                r->pid = c->pid;
                r->status = 0xffff;
                r->code = CLD_CONTINUED;
                r->si_status = SIGCONT;
                r->utime = c->utime_ns;
                r->stime = c->stime_ns;
                spin_unlock_irqrestore(&proc_lock, f);
                finish_wait(&me->child_wait, &we);
                return r->pid;
            }
        }
        spin_unlock_irqrestore(&proc_lock, f);
        if (!any) {
            finish_wait(&me->child_wait, &we);
            return -ECHILD;
        }
        if (options & WNOHANG) {
            finish_wait(&me->child_wait, &we);
            return 0;
        }
        if (signal_pending(current)) {
            finish_wait(&me->child_wait, &we);
            return -ERESTARTSYS;
        }
        schedule();
    }
}

static int put_rusage(uaddr_t ru, uint64_t utime, uint64_t stime)
{
    struct rusage k;
    memset(&k, 0, sizeof k);
    k.ru_utime.tv_sec = (int64_t)(utime / NSEC_PER_SEC);
    k.ru_utime.tv_usec = (int64_t)(utime % NSEC_PER_SEC / 1000);
    k.ru_stime.tv_sec = (int64_t)(stime / NSEC_PER_SEC);
    k.ru_stime.tv_usec = (int64_t)(stime % NSEC_PER_SEC / 1000);
    return copy_to_user(ru, &k, sizeof k);
}

SYSCALL_DEFINE4(wait4, pid_t, upid, uaddr_t, stat_addr, unsigned, options, uaddr_t, ru)
{
    if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE))
        return -EINVAL;
    int idtype = P_ALL;
    pid_t id = 0;
    if (upid > 0) {
        idtype = P_PID;
        id = upid;
    } else if (upid == 0) {
        idtype = P_PGID;
    } else if (upid < -1) {
        if (upid == INT32_MIN)
            return -ESRCH;
        idtype = P_PGID;
        id = -upid;
    }
    struct wait_result r;
    long ret = do_wait(idtype, id, options | WEXITED, &r);
    if (ret > 0) {
        if (stat_addr && put_user_u32((uint32_t)r.status, stat_addr))
            return -EFAULT;
        if (ru && put_rusage(ru, r.utime, r.stime))
            return -EFAULT;
    }
    return ret;
}

SYSCALL_DEFINE5(waitid, int, which, pid_t, upid, uaddr_t, infop, unsigned, options, uaddr_t, ru)
{
    pid_t id = upid;
    if (options & ~(WNOHANG | WUNTRACED | WEXITED | WCONTINUED | WNOWAIT | __WNOTHREAD | __WALL |
                    __WCLONE))
        return -EINVAL;
    if (!(options & (WEXITED | WUNTRACED | WCONTINUED)))
        return -EINVAL;
    if (which == P_ALL)
        id = 0;
    else if (which == P_PID || which == P_PGID) {
        if (id < 0 || (which == P_PID && id == 0))
            return -EINVAL;
    } else {
        return -EINVAL;
    }
    struct wait_result r;
    long ret = do_wait(which, id, options, &r);
    if (ret < 0)
        return ret;
    struct ksiginfo si;
    memset(&si, 0, sizeof si);
    if (ret > 0) {
        si.si_signo = SIGCHLD;
        si.si_code = r.code;
        si.proc.pid = r.pid;
        si.proc.uid = r.uid;
        si.proc.status = r.si_status;
    }
    if (infop && copy_to_user(infop, &si, sizeof si))
        return -EFAULT;
    if (ru && put_rusage(ru, ret > 0 ? r.utime : 0, ret > 0 ? r.stime : 0))
        return -EFAULT;
    return 0;
}
