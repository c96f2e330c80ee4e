/* Tasks and processes: allocation, the pid table, lookups. */
#include "kernel.h"
#include "task.h"
#include "mm.h"
#include "string.h"
#include "asm/cpu.h"
#include "asm/entry.h"

spinlock_t proc_lock = SPINLOCK_INIT("proc");
LIST_HEAD(all_processes);
struct process *init_process;
static struct task *tid_table[PID_MAX];
static uint64_t pid_used[PID_MAX / 64];   /* a pid stays used until its process is reaped */
static pid_t last_pid;

/* A free pid (proc_lock held), or -EAGAIN. */
pid_t pid_alloc(void)
{
    for (int i = 0; i < PID_MAX; i++) {
        pid_t p = last_pid + 1;
        if (p >= PID_MAX)
            p = 2;
        last_pid = p;
        if (!(pid_used[p / 64] & (1UL << (p % 64)))) {
            pid_used[p / 64] |= 1UL << (p % 64);
            return p;
        }
    }
    return -EAGAIN;
}

pid_t pid_last_allocated(void) { return READ_ONCE(last_pid); }

void pid_free(pid_t p)
{
    if (p > 0 && p < PID_MAX)
        pid_used[p / 64] &= ~(1UL << (p % 64));
}

void tid_set(pid_t tid, struct task *t) { tid_table[tid] = t; }

struct task *task_by_tid(pid_t tid)
{
    return tid > 0 && tid < PID_MAX ? tid_table[tid] : NULL;
}

struct process *process_by_pid(pid_t pid)
{
    struct task *t = task_by_tid(pid);
    if (t && t->priv->proc->pid == pid)
        return t->priv->proc;
    struct process *p;
    list_for_each_entry(p, &all_processes, all_node)
        if (p->pid == pid)
            return p;
    return NULL;
}

void sigpending_init(struct sigpending *p)
{
    p->set = 0;
    list_init(&p->queue);
}

struct task_alloc_unit {
    struct task task;
    struct task_private priv;
};

struct task *task_alloc(void)
{
    struct task_alloc_unit *u = kzalloc(sizeof *u);
    if (!u)
        return NULL;
    void *stack = page_alloc_contig_raw(KSTACK_SIZE / PAGE_SIZE);
    if (!stack) {
        kfree(u);
        return NULL;
    }
    struct task *t = &u->task;
    struct task_private *p = &u->priv;
    t->priv = p;
    p->task = t;
    p->kstack = stack;
    list_init(&p->thread_node);
    list_init(&p->run_node);
    sigpending_init(&p->pending);
    ktimer_init(&p->sleep_timer, NULL);
    return t;
}

void task_free(struct task *t)
{
    page_free_contig(t->priv->kstack, KSTACK_SIZE / PAGE_SIZE);
    kfree(container_of(t, struct task_alloc_unit, task));
}

/* The boot context becomes the idle task of hart 0. */
static struct task_alloc_unit idle0;

void task_init_idle(void)
{
    struct task *t = &idle0.task;
    t->priv = &idle0.priv;
    idle0.priv.task = t;
    idle0.priv.kstack = (void *)((uintptr_t)boot_stack_top - KSTACK_SIZE);
    list_init(&idle0.priv.thread_node);
    list_init(&idle0.priv.run_node);
    sigpending_init(&idle0.priv.pending);
    strlcpy(t->comm, "swapper", sizeof t->comm);
    t->state = TASK_RUNNING;
    cpus[0].cur_task = t;
    cpus[0].idle = t;
}

/* Process groups and sessions (sched.h). */
pid_t task_pgid(struct task *t) { return t->priv->proc->pgid; }
pid_t task_sid(struct task *t) { return t->priv->proc->sid; }
struct tty *task_ctty(struct task *t) { return t->priv->proc->ctty; }

void task_set_ctty(struct task *t, struct tty *tty)
{
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    pid_t sid = t->priv->proc->sid;
    struct process *p;
    list_for_each_entry(p, &all_processes, all_node)
        if (p->sid == sid)
            p->ctty = tty;
    spin_unlock_irqrestore(&proc_lock, f);
}

/* A zombie still holds its process group until it is reaped, as in Linux: ash's pipeline
 * children call tcsetpgrp() for a group whose leader may already have exited. */
bool pgrp_exists_in_session(pid_t pgrp, pid_t sid)
{
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    bool found = false;
    struct process *p;
    list_for_each_entry(p, &all_processes, all_node)
        if (p->pgid == pgrp && p->sid == sid && p->state != PROC_DEAD) {
            found = true;
            break;
        }
    spin_unlock_irqrestore(&proc_lock, f);
    return found;
}

/* A process group is orphaned when no member has a parent in the same session but another
 * process group (POSIX). proc_lock held. */
bool pgrp_is_orphaned_locked(pid_t pgrp, const struct process *ignore)
{
    struct process *p;
    list_for_each_entry(p, &all_processes, all_node) {
        if (p == ignore || p->pgid != pgrp || p->state != PROC_ALIVE)
            continue;
        struct process *par = p->parent;
        if (par && par != ignore && par->pgid != pgrp && par->sid == p->sid)
            return false;
    }
    return true;
}

bool pgrp_is_orphaned(pid_t pgrp)
{
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    bool r = pgrp_is_orphaned_locked(pgrp, NULL);
    spin_unlock_irqrestore(&proc_lock, f);
    return r;
}

void session_clear_ctty(pid_t sid)
{
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct process *p;
    list_for_each_entry(p, &all_processes, all_node)
        if (p->sid == sid)
            p->ctty = NULL;
    spin_unlock_irqrestore(&proc_lock, f);
}
