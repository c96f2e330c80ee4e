/* Snapshots of processes for procfs and other reporters (procinfo.h). Everything is read
 * under proc_lock, so a snapshot never mixes two states of a process; the address space, fd
 * table and fs_struct are handed out with a reference instead of being copied. */
#include "kernel.h"
#include "procinfo.h"
#include "task.h"
#include "fs.h"
#include "vm.h"
#include "tty.h"
#include "string.h"

/* The Linux state letter of one thread. */
static char thread_state_letter(const struct task *t)
{
    switch (t->state) {
    case TASK_RUNNING: return 'R';
    case TASK_INTERRUPTIBLE: return 'S';
    case TASK_UNINTERRUPTIBLE: return 'D';
    case TASK_STOPPED: return 'T';
    case TASK_ZOMBIE: return 'Z';
    default: return 'X';
    }
}

/* The first live thread of a process (proc_lock held), or NULL for a zombie. The leader
 * pointer is not used: a leader thread may exit while others run on. */
static struct task *first_thread(struct process *p)
{
    if (list_empty(&p->threads))
        return NULL;
    return list_first_entry(&p->threads, struct task_private, thread_node)->task;
}

static struct task *thread_of(struct process *p, pid_t tid)
{
    struct task_private *tp;
    list_for_each_entry(tp, &p->threads, thread_node)
        if (tp->task->tid == tid)
            return tp->task;
    return NULL;
}

/* Keeps out[0..*n) as the smallest `max` values seen, ascending (insertion). */
static void insert_sorted(pid_t v, pid_t *out, int *n, int max)
{
    if (max <= 0)
        return;
    int i = *n;
    if (i == max) {
        if (v >= out[max - 1])
            return;
        i--;                       /* the largest falls off */
    } else {
        (*n)++;
    }
    while (i > 0 && out[i - 1] > v) {
        out[i] = out[i - 1];
        i--;
    }
    out[i] = v;
}

int procinfo_list_pids(pid_t from, pid_t *out, int max)
{
    int n = 0;
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct process *p;
    list_for_each_entry(p, &all_processes, all_node)
        if (p->pid >= from && p->state != PROC_DEAD)
            insert_sorted(p->pid, out, &n, max);
    spin_unlock_irqrestore(&proc_lock, f);
    return n;
}

int procinfo_list_tids(pid_t pid, pid_t from, pid_t *out, int max)
{
    int n = 0;
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct process *p = process_by_pid(pid);
    if (!p) {
        spin_unlock_irqrestore(&proc_lock, f);
        return -ESRCH;
    }
    struct task_private *tp;
    list_for_each_entry(tp, &p->threads, thread_node)
        if (tp->task->tid >= from)
            insert_sorted(tp->task->tid, out, &n, max);
    spin_unlock_irqrestore(&proc_lock, f);
    return n;
}

bool procinfo_exists(pid_t pid, pid_t tid)
{
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct process *p = process_by_pid(pid);
    bool ok = p && p->state != PROC_DEAD && (!tid || thread_of(p, tid));
    spin_unlock_irqrestore(&proc_lock, f);
    return ok;
}

pid_t procinfo_tgid_of(pid_t tid)
{
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct task *t = task_by_tid(tid);
    pid_t tgid = t ? t->tgid : -ESRCH;
    spin_unlock_irqrestore(&proc_lock, f);
    return tgid;
}

pid_t procinfo_self_pid(void) { return current->tgid; }
pid_t procinfo_self_tid(void) { return current->tid; }

/* Ignored and caught signals from a handler table. */
static void signal_dispositions(const struct sighand *sh, uint64_t *ignored, uint64_t *caught)
{
    *ignored = *caught = 0;
    if (!sh)
        return;
    for (int sig = 1; sig <= _NSIG; sig++) {
        uint64_t h = sh->action[sig - 1].handler;
        if (h == SIG_IGN)
            *ignored |= sigmask(sig);
        else if (h != SIG_DFL)
            *caught |= sigmask(sig);
    }
}

int procinfo_get(pid_t pid, pid_t tid, struct proc_info *out)
{
    memset(out, 0, sizeof *out);
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct process *p = process_by_pid(pid);
    struct task *t = NULL;
    if (!p || p->state == PROC_DEAD || (tid && !(t = thread_of(p, tid)))) {
        spin_unlock_irqrestore(&proc_lock, f);
        return -ESRCH;
    }
    bool whole = !tid;
    if (whole)
        t = first_thread(p);
    out->pid = p->pid;
    out->tid = whole ? p->pid : tid;
    out->ppid = p->parent ? p->parent->pid : 0;
    out->pgid = p->pgid;
    out->sid = p->sid;
    out->nr_threads = p->nr_threads;
    out->start_ns = p->start_ns;
    out->cutime_ns = p->cutime_ns;
    out->cstime_ns = p->cstime_ns;
    out->exit_signal = p->exit_signal;
    out->sig_shared = p->shared_pending.set;
    out->tty_pgrp = -1;
    if (p->ctty) {
        out->tty_dev = tty_user_devnum(p->ctty);
        out->tty_pgrp = tty_foreground_pgrp(p->ctty);
    }
    if (p->state == PROC_ZOMBIE || !t) {
        out->state = 'Z';
        memcpy(out->comm, p->comm, sizeof out->comm);
        out->utime_ns = p->utime_ns;
        out->stime_ns = p->stime_ns;
        out->nvcsw = p->nvcsw;
        out->nivcsw = p->nivcsw;
        spin_unlock_irqrestore(&proc_lock, f);
        return 0;
    }
    struct task_private *tp = t->priv;
    memcpy(out->comm, t->comm, sizeof out->comm);
    out->comm[sizeof out->comm - 1] = 0;
    out->cred = t->cred;
    out->nice = tp->nice;
    out->sig_blocked = tp->blocked;
    out->sig_pending = tp->pending.set;
    signal_dispositions(tp->sighand, &out->sig_ignored, &out->sig_caught);
    if (whole) {
        /* The process: a running thread makes it R, as Linux's leader-based view would
         * mostly show; times add up every thread, live and dead. */
        out->state = thread_state_letter(t);
        out->utime_ns = p->utime_ns;
        out->stime_ns = p->stime_ns;
        list_for_each_entry(tp, &p->threads, thread_node) {
            if (tp->task->state == TASK_RUNNING)
                out->state = 'R';
            out->utime_ns += tp->utime_ns;
            out->stime_ns += tp->stime_ns;
        }
        if (p->stopped)
            out->state = 'T';
        out->nvcsw = p->nvcsw;
        out->nivcsw = p->nivcsw;
    } else {
        out->state = thread_state_letter(t);
        out->utime_ns = tp->utime_ns;
        out->stime_ns = tp->stime_ns;
    }
    spin_unlock_irqrestore(&proc_lock, f);
    return 0;
}

/* The resources of a process's first live thread. exit and exec detach them under
 * proc_lock before dropping their reference, so one seen here is still alive and the
 * reference taken under the lock is safe. */
static struct task *live_thread(pid_t pid)
{
    struct process *p = process_by_pid(pid);
    return p && p->state == PROC_ALIVE ? first_thread(p) : NULL;
}

struct mm_struct *procinfo_get_mm(pid_t pid)
{
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct task *t = live_thread(pid);
    struct mm_struct *mm = t ? t->mm : NULL;
    if (mm)
        mm_get(mm);
    spin_unlock_irqrestore(&proc_lock, f);
    return mm;
}

struct files_struct *procinfo_get_files(pid_t pid)
{
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct task *t = live_thread(pid);
    struct files_struct *files = t ? t->files : NULL;
    if (files)
        files_get(files);
    spin_unlock_irqrestore(&proc_lock, f);
    return files;
}

struct fs_struct *procinfo_get_fs(pid_t pid)
{
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct task *t = live_thread(pid);
    struct fs_struct *fs = t ? t->fs : NULL;
    if (fs)
        fs_struct_get(fs);
    spin_unlock_irqrestore(&proc_lock, f);
    return fs;
}

void procinfo_counts(struct procinfo_counts *c)
{
    memset(c, 0, sizeof *c);
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct process *p;
    list_for_each_entry(p, &all_processes, all_node) {
        if (p->state != PROC_ALIVE)
            continue;
        c->processes++;
        struct task_private *tp;
        list_for_each_entry(tp, &p->threads, thread_node) {
            c->threads++;
            int s = tp->task->state;
            if (s == TASK_RUNNING)
                c->running++;
            else if (s == TASK_UNINTERRUPTIBLE)
                c->blocked++;
        }
    }
    c->last_pid = pid_last_allocated();
    spin_unlock_irqrestore(&proc_lock, f);
}
