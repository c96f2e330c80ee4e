/* clone(): fork, vfork and threads. riscv64 argument order: flags, newsp, parent_tidptr,
 * tls, child_tidptr.
 *
 * As in Linux, kernel_clone() checks the flags, has copy_process() build the child (its
 * address space, files, fs, signal handlers, registers, pid and place in the process tree)
 * while it cannot run yet, then tells the parent its tid, starts the child and, for a vfork,
 * waits until the child execs or exits. */
#include "kernel.h"
#include "task.h"
#include "smp.h"
#include "vm.h"
#include "fs.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"
#include "procinfo.h"
#include "ipc.h"
#include "syscall.h"
#include "uapi/sched.h"
#include "asm/csr.h"
#include "asm/cpu.h"
#include "asm/entry.h"

/* Namespaces: not supported. */
#define CLONE_NEWMASK (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | \
                       CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

/* What clone() asks for (Linux's struct kernel_clone_args). */
struct kernel_clone_args {
    unsigned long flags;
    int exit_signal;           /* sent to the parent at exit (CSIGNAL of the flags) */
    unsigned long stack;       /* the child's sp; 0: the parent's */
    unsigned long tls;         /* CLONE_SETTLS: the child's tp */
    uaddr_t parent_tid;        /* CLONE_PARENT_SETTID: where the parent gets the child's tid */
    uaddr_t child_tid;         /* CLONE_CHILD_SETTID, CLONE_CHILD_CLEARTID */
};

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
 * reaped) whose real uid is uid; a new one may not take the count past the limit.
 * Root (real uid 0, or euid 0 standing in for CAP_SYS_RESOURCE) is exempt. A scan rather
 * than a per-user counter: fork is rare next to the work it does, and the scan keeps
 * setuid() free of bookkeeping. */
static uint64_t nproc_count(uid_t uid)
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

struct process *process_alloc_init(struct task *t) { return process_new(NULL, t); }

/* The child's address space, open files, fs root and cwd, and signal handlers: shared with
 * the parent or copied, as the flags say. 0 or -ENOMEM; whatever was taken is in t, for
 * copy_process to drop. */
static int copy_mm(unsigned long flags, struct task *t)
{
    if (flags & CLONE_VM) {
        mm_get(current->mm);
        t->mm = current->mm;
        return 0;
    }
    t->mm = mm_fork(current->mm);
    return t->mm ? 0 : -ENOMEM;
}

static int copy_files(unsigned long flags, struct task *t)
{
    if (flags & CLONE_FILES) {
        files_get(current->files);
        t->files = current->files;
    } else if (current->files && !(t->files = files_dup(current->files))) {
        return -ENOMEM;
    }
    return 0;
}

static int copy_fs(unsigned long flags, struct task *t)
{
    if (flags & CLONE_FS) {
        fs_struct_get(current->fs);
        t->fs = current->fs;
    } else if (current->fs && !(t->fs = fs_struct_dup(current->fs))) {
        return -ENOMEM;
    }
    return 0;
}

static int copy_sighand(unsigned long flags, struct task *t)
{
    struct task_private *cp = current->priv, *p = t->priv;
    if (flags & CLONE_SIGHAND) {
        __atomic_add_fetch(&cp->sighand->refcount, 1, __ATOMIC_RELAXED);
        p->sighand = cp->sighand;
        return 0;
    }
    p->sighand = sighand_copy(cp->sighand);
    return p->sighand ? 0 : -ENOMEM;
}

/* The child's registers: the parent's, returning 0, on its own stack and TLS if asked. It
 * starts at task_entry (entry.S), which leaves through this trapframe. */
static void copy_thread(const struct kernel_clone_args *args, struct task *t)
{
    struct task_private *p = t->priv;
    struct trapframe *tf = task_tf(t);
    *tf = *current_tf();
    tf->regs[10] = 0;
    if (args->stack)
        tf->regs[2] = args->stack;
    if (args->flags & CLONE_SETTLS)
        tf->regs[4] = args->tls;
    if ((tf->status & SR_FS) != SR_FS_OFF) {   /* the parent's live FP registers */
        fpu_save(&p->fp);
        tf->status = (tf->status & ~SR_FS) | SR_FS_CLEAN;
    }
    p->ctx.ra = (unsigned long)task_entry;
    p->ctx.sp = (unsigned long)tf;
    p->ctx.s[1] = (unsigned long)tf;
}

/* Gives t a tid and its place in the process tree: proc (a new process, among the children
 * of the caller or, with CLONE_PARENT, of the caller's parent), or for CLONE_THREAD
 * (proc NULL) the caller's process. Entering t in the pid table makes it visible, so this
 * comes last. 0, or -EAGAIN when every pid is taken. */
static int attach_pid(const struct kernel_clone_args *args, struct task *t, struct process *proc)
{
    struct task *cur = current;
    struct process *cproc = proc_of(cur);
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    pid_t tid = pid_alloc();
    if (tid < 0) {
        spin_unlock_irqrestore(&proc_lock, f);
        return tid;
    }
    t->tid = tid;
    if (args->flags & CLONE_THREAD) {
        proc = cproc;
        proc->refcount++;
        t->tgid = cur->tgid;
    } else {
        t->tgid = tid;
        proc->pid = tid;
        proc->parent = (args->flags & CLONE_PARENT) ? cproc->parent : cproc;
        proc->pgid = cproc->pgid;
        proc->sid = cproc->sid;
        proc->ctty = cproc->ctty;
        memcpy(proc->rlim, cproc->rlim, sizeof proc->rlim);
        proc->exit_signal = args->exit_signal;
        list_add_tail(&proc->sibling, &proc->parent->children);
        list_add_tail(&proc->all_node, &all_processes);
    }
    t->priv->proc = proc;
    list_add_tail(&t->priv->thread_node, &proc->threads);
    proc->nr_threads++;
    tid_set(tid, t);
    spin_unlock_irqrestore(&proc_lock, f);
    return 0;
}

/* Builds the child the (already checked) flags describe: in the pid table and its process,
 * but not yet runnable. Returns it, or -errno cast to a pointer (IS_ERR_VALUE), having
 * undone everything. */
static struct task *copy_process(const struct kernel_clone_args *args)
{
    unsigned long flags = args->flags;
    struct task *cur = current;
    struct task_private *cp = cur->priv;

    if (cp->proc->group_exiting || over_nproc_limit(cur))
        return (struct task *)(long)-EAGAIN;
    struct task *t = task_alloc();
    if (!t)
        return (struct task *)(long)-ENOMEM;
    struct task_private *p = t->priv;
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

    long err = -ENOMEM;
    if (copy_mm(flags, t) || copy_files(flags, t) || copy_fs(flags, t) ||
        copy_sighand(flags, t) || copy_semundo(flags, t))
        goto fail;
    struct process *proc = NULL;
    if (!(flags & CLONE_THREAD) && !(proc = process_new(NULL, t)))
        goto fail;
    copy_thread(args, t);
    if (flags & CLONE_CHILD_SETTID)
        p->set_child_tid = args->child_tid;
    if (flags & CLONE_CHILD_CLEARTID)
        p->clear_child_tid = args->child_tid;
    err = attach_pid(args, t, proc);
    if (err) {
        kfree(proc);
        goto fail;
    }
    return t;

fail:
    if (t->mm)
        mm_put(t->mm);
    if (t->files)
        files_put(t->files);
    if (t->fs)
        fs_struct_put(t->fs);
    if (p->sighand)
        sighand_put(p->sighand);
    exit_sem(t);
    task_free(t);
    return (struct task *)err;
}

static void wait_for_vfork_done(struct vfork_done *vd)
{
    for (;;) {
        set_current_state(TASK_UNINTERRUPTIBLE);
        if (vd->done)
            break;
        schedule();
    }
    set_current_state(TASK_RUNNING);
}

static long kernel_clone(const struct kernel_clone_args *args)
{
    unsigned long flags = args->flags;
    if (flags & CLONE_NEWMASK)
        return -EINVAL;
    if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
        return -EINVAL;
    if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
        return -EINVAL;
    if ((flags & CLONE_PARENT) && proc_of(current) == init_process)
        return -EINVAL;

    struct task *t = copy_process(args);
    if (IS_ERR_VALUE(t))
        return (long)t;
    /* Once runnable the child may exit and be freed (on another hart): keep its tid. */
    pid_t tid = t->tid;
    if (flags & CLONE_PARENT_SETTID)
        put_user_u32((uint32_t)tid, args->parent_tid);
    struct vfork_done vd = { .done = false, .parent = current };
    if (flags & CLONE_VFORK)
        t->priv->vfork = &vd;
    cpustat_note_fork();
    sched_add_new(t);
    if (flags & CLONE_VFORK)
        wait_for_vfork_done(&vd);
    return tid;
}

SYSCALL_DEFINE5(clone, unsigned long, clone_flags, unsigned long, newsp, uaddr_t, parent_tidptr,
                unsigned long, tls, uaddr_t, child_tidptr)
{
    struct kernel_clone_args args = {
        .flags = clone_flags,
        .exit_signal = (int)(clone_flags & CSIGNAL),
        .stack = newsp,
        .tls = tls,
        .parent_tid = parent_tidptr,
        .child_tid = child_tidptr,
    };
    return kernel_clone(&args);
}
