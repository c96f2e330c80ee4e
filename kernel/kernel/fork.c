/* clone(): fork, vfork and threads. riscv64 argument order: flags, newsp, parent_tidptr,
 * tls, child_tidptr. */
#include "kernel.h"
#include "task.h"
#include "smp.h"
#include "vm.h"
#include "fs.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"
#include "procinfo.h"
#include "asm/csr.h"
#include "asm/cpu.h"

#define CSIGNAL 0x000000ff
#define CLONE_VM 0x00000100
#define CLONE_FS 0x00000200
#define CLONE_FILES 0x00000400
#define CLONE_SIGHAND 0x00000800
#define CLONE_PIDFD 0x00001000
#define CLONE_PTRACE 0x00002000
#define CLONE_VFORK 0x00004000
#define CLONE_PARENT 0x00008000
#define CLONE_THREAD 0x00010000
#define CLONE_NEWNS 0x00020000
#define CLONE_SYSVSEM 0x00040000
#define CLONE_SETTLS 0x00080000
#define CLONE_PARENT_SETTID 0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_DETACHED 0x00400000
#define CLONE_UNTRACED 0x00800000
#define CLONE_CHILD_SETTID 0x01000000
#define CLONE_NEWMASK 0x7e020000   /* namespaces: not supported */

pid_t pid_alloc(void);
void pid_free(pid_t p);
void tid_set(pid_t tid, struct task *t);
void task_entry(void);
void schedule_tail(void);
void fpu_save(struct fpstate *fp);

struct vfork_done {
    volatile bool done;
    struct task *parent;
};

/* First C code of a new user task (entry.S task_entry), then out through its trapframe. */
void fork_child_start(void)
{
    schedule_tail();
    struct task_private *p = current->priv;
    if (p->set_child_tid) {
        csr_set(sstatus, SR_SIE);
        bkl_lock();            /* the store may fault and page in: kernel work (smp.h) */
        put_user_u32((uint32_t)current->tid, p->set_child_tid);
        bkl_unlock();
        csr_clear(sstatus, SR_SIE);
        p->set_child_tid = 0;
    }
}

/* Wakes a vfork parent (the child exec'd or exited). */
void vfork_release(struct task *t)
{
    struct task_private *p = t->priv;
    if (!p->vfork)
        return;
    struct vfork_done *vd = p->vfork;
    p->vfork = NULL;
    vd->done = true;
    wake_up_process(vd->parent);
}

static struct process *process_new(struct process *parent, struct task *leader)
{
    struct process *p = kzalloc(sizeof *p);
    if (!p)
        return NULL;
    p->refcount = 2;   /* the first thread, and the parent's claim until it is reaped */
    p->leader = leader;
    p->parent = parent;
    list_init(&p->children);
    list_init(&p->sibling);
    list_init(&p->threads);
    sigpending_init(&p->shared_pending);
    wait_queue_init(&p->child_wait);
    ktimer_init(&p->real_timer, NULL);
    p->start_ns = ktime_mono_ns();
    return p;
}

/* RLIMIT_NPROC, as Linux counts it: the tasks (threads included, and zombies until they are
 * reaped) whose real uid is the caller's; a new one may not take the count past the limit.
 * Root (real uid 0, or euid 0 standing in for CAP_SYS_RESOURCE) is exempt. A scan rather
 * than a per-user counter: fork is rare next to the work it does, and the scan keeps
 * setuid() free of bookkeeping. */
uint64_t nproc_count(uid_t uid)
{
    uint64_t n = 0;
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct process *q;
    list_for_each_entry(q, &all_processes, all_node) {
        if (q->state == PROC_ZOMBIE && q->zombie_uid == uid)
            n++;
        struct task_private *tp;
        list_for_each_entry(tp, &q->threads, thread_node)
            if (tp->task->cred.uid == uid && !tp->exiting)
                n++;
    }
    spin_unlock_irqrestore(&proc_lock, f);
    return n;
}

static bool over_nproc_limit(struct task *cur)
{
    uint64_t limit = proc_of(cur)->rlim[RLIMIT_NPROC].cur;
    uid_t uid = cur->cred.uid;
    if (limit == RLIM_INFINITY || uid == 0 || cur->cred.euid == 0)
        return false;
    return nproc_count(uid) >= limit;
}

/* Linux checks at set*uid() time without the caller (it still counts as its old user), and
 * again at execve() with it. Programs rarely check set*uid()'s result, so the refusal
 * comes at the exec that would start the user's work. */
void nproc_check_setuid(const struct cred *old, const struct cred *n)
{
    if (n->uid == old->uid)
        return;
    uint64_t limit = proc_of(current)->rlim[RLIMIT_NPROC].cur;
    current->priv->nproc_exceeded = n->uid != 0 && limit != RLIM_INFINITY &&
                                    nproc_count(n->uid) > limit;
}

int nproc_check_exec(void)
{
    struct task_private *tp = current->priv;
    if (tp->nproc_exceeded && nproc_count(current->cred.uid) >
                              proc_of(current)->rlim[RLIMIT_NPROC].cur)
        return -EAGAIN;
    tp->nproc_exceeded = false;
    return 0;
}

struct process *process_alloc_init(struct task *t);   /* for PID 1 */
struct process *process_alloc_init(struct task *t) { return process_new(NULL, t); }

long sys_clone(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a5;
    unsigned long flags = (unsigned long)a0;
    uaddr_t newsp = (uaddr_t)a1, ptid = (uaddr_t)a2, tls = (uaddr_t)a3, ctid = (uaddr_t)a4;
    struct task *cur = current;
    struct task_private *cp = cur->priv;
    struct process *cproc = cp->proc;

    if (flags & CLONE_NEWMASK)
        return -EINVAL;
    if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
        return -EINVAL;
    if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
        return -EINVAL;
    if ((flags & CLONE_PARENT) && cproc == init_process)
        return -EINVAL;
    if (cproc->group_exiting)
        return -EAGAIN;
    if (over_nproc_limit(cur))
        return -EAGAIN;

    struct task *t = task_alloc();
    if (!t)
        return -ENOMEM;
    struct task_private *p = t->priv;
    long err = -ENOMEM;
    t->cred = cur->cred;
    memcpy(t->comm, cur->comm, sizeof t->comm);
    p->nice = cp->nice;
    p->cpus_allowed = cp->cpus_allowed;   /* affinity is inherited */
    p->blocked = cp->blocked;
    if (!(flags & CLONE_VM) || (flags & CLONE_VFORK)) {
        p->ss_sp = cp->ss_sp;
        p->ss_size = cp->ss_size;
        p->ss_flags = cp->ss_flags;
    } else {
        p->ss_flags = SS_DISABLE;
    }

    if (flags & CLONE_VM) {
        mm_get(cur->mm);
        t->mm = cur->mm;
    } else if (!(t->mm = mm_fork(cur->mm))) {
        goto fail;
    }
    if (flags & CLONE_FILES) {
        files_get(cur->files);
        t->files = cur->files;
    } else if (cur->files && !(t->files = files_dup(cur->files))) {
        goto fail;
    }
    if (flags & CLONE_FS) {
        fs_struct_get(cur->fs);
        t->fs = cur->fs;
    } else if (cur->fs && !(t->fs = fs_struct_dup(cur->fs))) {
        goto fail;
    }
    if (flags & CLONE_SIGHAND) {
        __atomic_add_fetch(&cp->sighand->refcount, 1, __ATOMIC_RELAXED);
        p->sighand = cp->sighand;
    } else if (!(p->sighand = sighand_copy(cp->sighand))) {
        goto fail;
    }

    struct process *proc = NULL;
    if (!(flags & CLONE_THREAD)) {
        proc = process_new(NULL, t);
        if (!proc)
            goto fail;
    }

    /* The child's registers: the parent's, returning 0, on its own stack and TLS if asked. */
    struct trapframe *tf = task_tf(t);
    *tf = *current_tf();
    tf->regs[10] = 0;
    if (newsp)
        tf->regs[2] = newsp;
    if (flags & CLONE_SETTLS)
        tf->regs[4] = tls;
    if ((tf->status & SR_FS) != SR_FS_OFF) {   /* the parent's live FP registers */
        fpu_save(&p->fp);
        tf->status = (tf->status & ~SR_FS) | SR_FS_CLEAN;
    }
    p->ctx.ra = (unsigned long)task_entry;
    p->ctx.sp = (unsigned long)tf;
    p->ctx.s[1] = (unsigned long)tf;
    if (flags & CLONE_CHILD_SETTID)
        p->set_child_tid = ctid;
    if (flags & CLONE_CHILD_CLEARTID)
        p->clear_child_tid = ctid;

    irqflags_t f = spin_lock_irqsave(&proc_lock);
    pid_t tid = pid_alloc();
    if (tid < 0) {
        spin_unlock_irqrestore(&proc_lock, f);
        kfree(proc);
        err = tid;
        goto fail;
    }
    t->tid = tid;
    if (flags & CLONE_THREAD) {
        proc = cproc;
        proc->refcount++;
        t->tgid = cur->tgid;
    } else {
        t->tgid = tid;
        proc->pid = tid;
        proc->parent = (flags & CLONE_PARENT) ? cproc->parent : cproc;
        proc->pgid = cproc->pgid;
        proc->sid = cproc->sid;
        proc->ctty = cproc->ctty;
        memcpy(proc->rlim, cproc->rlim, sizeof proc->rlim);
        proc->exit_signal = (int)(flags & CSIGNAL);
        list_add_tail(&proc->sibling, &proc->parent->children);
        list_add_tail(&proc->all_node, &all_processes);
    }
    p->proc = proc;
    list_add_tail(&p->thread_node, &proc->threads);
    proc->nr_threads++;
    tid_set(tid, t);
    spin_unlock_irqrestore(&proc_lock, f);

    if (flags & CLONE_PARENT_SETTID)
        put_user_u32((uint32_t)tid, ptid);

    struct vfork_done vd = { .done = false, .parent = cur };
    if (flags & CLONE_VFORK)
        p->vfork = &vd;
    cpustat_note_fork();
    sched_add_new(t);
    if (flags & CLONE_VFORK) {
        for (;;) {
            set_current_state(TASK_UNINTERRUPTIBLE);
            if (vd.done)
                break;
            schedule();
        }
        set_current_state(TASK_RUNNING);
    }
    return tid;

fail:
    if (t->mm)
        mm_put(t->mm);
    if (t->files)
        files_put(t->files);
    if (t->fs)
        fs_struct_put(t->fs);
    if (p->sighand)
        sighand_put(p->sighand);
    task_free(t);
    return err;
}
