/* Signals with Linux semantics: generation (kill, faults, SIGCHLD), per-thread and
 * process-wide pending sets with queued siginfo, default actions including job-control
 * stops, delivery on return to user mode through Linux's riscv64 rt_sigframe, rt_sigreturn,
 * and system-call restarts. All signal state is under proc_lock (irqsave). */
#include "kernel.h"
#include "task.h"
#include "vm.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"
#include "memlayout.h"
#include "asm/csr.h"
#include "asm/cpu.h"
#include "asm/entry.h"
#include "syscall.h"
#include "uapi/times.h"

#define SIG_DEFAULT_IGNORE (sigmask(SIGCHLD) | sigmask(SIGURG) | sigmask(SIGWINCH) | sigmask(SIGCONT))
#define SIG_DEFAULT_CORE (sigmask(SIGQUIT) | sigmask(SIGILL) | sigmask(SIGTRAP) | sigmask(SIGABRT) | \
                          sigmask(SIGBUS) | sigmask(SIGFPE) | sigmask(SIGSEGV) | sigmask(SIGXCPU) | \
                          sigmask(SIGXFSZ) | sigmask(SIGSYS))

static inline bool valid_sig(int sig) { return sig >= 1 && sig <= _NSIG; }

/* ---- handler tables and pending sets ---- */

struct sighand *sighand_new(void)
{
    struct sighand *sh = kzalloc(sizeof *sh);
    if (sh)
        sh->refcount = 1;
    return sh;
}

struct sighand *sighand_copy(struct sighand *old)
{
    struct sighand *sh = kmalloc(sizeof *sh);
    if (!sh)
        return NULL;
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    memcpy(sh->action, old->action, sizeof sh->action);
    spin_unlock_irqrestore(&proc_lock, f);
    sh->refcount = 1;
    return sh;
}

void sighand_put(struct sighand *sh)
{
    if (__atomic_sub_fetch(&sh->refcount, 1, __ATOMIC_ACQ_REL) == 0)
        kfree(sh);
}

void sigpending_flush(struct sigpending *p)
{
    struct sigqueue *q, *n;
    list_for_each_entry_safe(q, n, &p->queue, node) {
        list_del(&q->node);
        kfree(q);
    }
    p->set = 0;
}

static void sigpending_remove(struct sigpending *p, ksigset_t mask)
{
    struct sigqueue *q, *n;
    list_for_each_entry_safe(q, n, &p->queue, node) {
        if (sigmask(q->info.si_signo) & mask) {
            list_del(&q->node);
            kfree(q);
        }
    }
    p->set &= ~mask;
}

static struct sighand *proc_sighand(struct process *p)
{
    if (list_empty(&p->threads))
        return NULL;
    return list_first_entry(&p->threads, struct task_private, thread_node)->sighand;
}

/* ---- generation ---- */

static bool sig_ignored(struct task *t, int sig)
{
    struct sighand *sh = t->priv->sighand;
    if (!sh)
        return true;
    uint64_t h = sh->action[sig - 1].handler;
    /* A blocked signal is kept: it may be unblocked, or taken by rt_sigtimedwait, which
     * lifts the mask it waits with but must still see signals whose default is to ignore
     * (init waits for SIGCHLD this way). */
    if ((t->priv->blocked | t->priv->real_blocked) & sigmask(sig))
        return false;
    return h == SIG_IGN || (h == SIG_DFL && (SIG_DEFAULT_IGNORE & sigmask(sig)) && sig != SIGCONT);
}

static void signal_wake(struct task *t, bool fatal)
{
    unsigned states = 1u << TASK_INTERRUPTIBLE;
    if (fatal)
        states |= 1u << TASK_STOPPED;
    wake_up_state(t, states);
    sched_kick(t);   /* running on another hart: make it trap and see the signal */
}

static void notify_parent_stop(struct process *p, int why);

/* proc_lock held. group: to the process (any thread may take it), else to thread t. */
int do_send_signal(struct task *t, int sig, const struct ksiginfo *info, bool group)
{
    struct task_private *tp = t->priv;
    struct process *p = tp->proc;
    if (p->state != PROC_ALIVE || p->group_exiting)
        return 0;
    ksigset_t m = sigmask(sig);

    if (m & SIG_STOP_SET) {
        struct task_private *q;
        sigpending_remove(&p->shared_pending, sigmask(SIGCONT));
        list_for_each_entry(q, &p->threads, thread_node)
            sigpending_remove(&q->pending, sigmask(SIGCONT));
    } else if (sig == SIGCONT) {
        struct task_private *q;
        sigpending_remove(&p->shared_pending, SIG_STOP_SET);
        list_for_each_entry(q, &p->threads, thread_node)
            sigpending_remove(&q->pending, SIG_STOP_SET);
        if (p->stopped) {
            p->stopped = false;
            p->report_continued = true;
            p->report_stopped = false;
            list_for_each_entry(q, &p->threads, thread_node)
                wake_up_state(q->task, 1u << TASK_STOPPED);
            notify_parent_stop(p, CLD_CONTINUED);
        }
    }
    if (sig_ignored(t, sig))
        return 0;

    struct sigpending *pend = group ? &p->shared_pending : &tp->pending;
    if (sig < SIGRTMIN && (pend->set & m))
        return 0;   /* standard signals do not queue */
    pend->set |= m;
    struct sigqueue *q = kmalloc(sizeof *q);
    if (q) {
        if (info) {
            q->info = *info;
        } else {
            memset(&q->info, 0, sizeof q->info);
            q->info.si_code = SI_KERNEL;
        }
        q->info.si_signo = sig;
        list_add_tail(&q->node, &pend->queue);
    }
    wake_up(&signalfd_wait);

    if (sig == SIGKILL) {   /* fatal at once: the whole group goes */
        p->group_exiting = true;
        p->exit_status = SIGKILL;
        p->stopped = false;
        struct task_private *x;
        list_for_each_entry(x, &p->threads, thread_node) {
            x->pending.set |= sigmask(SIGKILL);
            signal_wake(x->task, true);
        }
        return 0;
    }
    /* Wake a thread that can take it. */
    if (!group) {
        if (!(tp->blocked & m))
            signal_wake(t, false);
        return 0;
    }
    struct task_private *x;
    list_for_each_entry(x, &p->threads, thread_node) {
        if (!(x->blocked & m)) {
            signal_wake(x->task, false);
            break;
        }
    }
    return 0;
}

int send_signal_info(struct task *t, int sig, const struct ksiginfo *info, bool group)
{
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    int r = do_send_signal(t, sig, info, group);
    spin_unlock_irqrestore(&proc_lock, f);
    return r;
}

void send_signal(struct task *t, int sig)
{
    if (valid_sig(sig))
        send_signal_info(t, sig, NULL, false);
}

static struct task *proc_any_thread(struct process *p)
{
    if (list_empty(&p->threads))
        return NULL;
    return list_first_entry(&p->threads, struct task_private, thread_node)->task;
}

int kill_pgrp(pid_t pgrp, int sig)
{
    if (!valid_sig(sig) || pgrp <= 0)
        return -EINVAL;
    struct ksiginfo info;
    memset(&info, 0, sizeof info);
    info.si_code = SI_KERNEL;
    int found = 0;
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct process *p;
    list_for_each_entry(p, &all_processes, all_node) {
        struct task *t = proc_any_thread(p);
        if (p->pgid == pgrp && t) {
            do_send_signal(t, sig, &info, true);
            found++;
        }
    }
    spin_unlock_irqrestore(&proc_lock, f);
    return found ? 0 : -ESRCH;
}

bool signal_is_ignored_or_blocked(struct task *t, int sig)
{
    if (!valid_sig(sig) || !t->priv->sighand)
        return true;
    if (t->priv->blocked & sigmask(sig))
        return true;
    return t->priv->sighand->action[sig - 1].handler == SIG_IGN;
}

bool signal_pending(struct task *t) { return task_signal_pending(t); }

void force_sig_fault(int sig, int code, uaddr_t addr)
{
    struct task *t = current;
    struct ksiginfo info;
    memset(&info, 0, sizeof info);
    info.si_signo = sig;
    info.si_code = code;
    info.addr = addr;
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct k_sigaction *ka = &t->priv->sighand->action[sig - 1];
    if (ka->handler == SIG_IGN || (t->priv->blocked & sigmask(sig))) {
        ka->handler = SIG_DFL;
        t->priv->blocked &= ~sigmask(sig);
    }
    do_send_signal(t, sig, &info, false);
    spin_unlock_irqrestore(&proc_lock, f);
}

/* ---- SIGCHLD ---- */

static void sigchld_to_parent(struct process *p, int code, int status)
{
    struct process *par = p->parent;
    struct task *pt = par ? proc_any_thread(par) : NULL;
    if (!pt)
        return;
    struct ksiginfo info;
    memset(&info, 0, sizeof info);
    info.si_signo = SIGCHLD;
    info.si_code = code;
    info.proc.pid = p->pid;
    info.proc.status = status;
    info.proc.utime = (int64_t)(p->utime_ns / (NSEC_PER_SEC / USER_HZ));
    info.proc.stime = (int64_t)(p->stime_ns / (NSEC_PER_SEC / USER_HZ));
    do_send_signal(pt, SIGCHLD, &info, true);
}

/* proc_lock held. */
static void notify_parent_stop(struct process *p, int why)
{
    struct process *par = p->parent;
    if (!par)
        return;
    struct sighand *sh = proc_sighand(par);
    if (sh && !(sh->action[SIGCHLD - 1].flags & SA_NOCLDSTOP))
        sigchld_to_parent(p, why, why == CLD_CONTINUED ? SIGCONT : p->stop_signal);
    wake_up(&par->child_wait);
}

/* proc_lock held; p just became a zombie. */
void notify_parent_exit(struct process *p)
{
    struct process *par = p->parent;
    int st = p->exit_status;
    int code = (st & 0x7f) == 0 ? CLD_EXITED : (st & 0x80) ? CLD_DUMPED : CLD_KILLED;
    int status = (st & 0x7f) == 0 ? (st >> 8) & 0xff : st & 0x7f;
    struct sighand *sh = par ? proc_sighand(par) : NULL;
    bool autoreap = false;
    if (sh && p->exit_signal == SIGCHLD) {
        struct k_sigaction *ka = &sh->action[SIGCHLD - 1];
        autoreap = ka->handler == SIG_IGN || (ka->flags & SA_NOCLDWAIT);
    }
    if (p->exit_signal && !autoreap) {
        if (p->exit_signal == SIGCHLD)
            sigchld_to_parent(p, code, status);
        else if (par && proc_any_thread(par))
            do_send_signal(proc_any_thread(par), p->exit_signal, NULL, true);
    }
    if (par)
        wake_up(&par->child_wait);
    if (autoreap) {
        p->state = PROC_DEAD;
        release_process(p);
    }
}

/* ---- delivery ---- */

static int lowest_sig(ksigset_t s)   /* no Zbb: no ctz instruction, and no libgcc */
{
    int sig = 1;
    while (!(s & 1)) {
        s >>= 1;
        sig++;
    }
    return sig;
}

/* Takes the next deliverable signal (SIGKILL first, then the lowest number); proc_lock held. */
static int dequeue_signal(struct task_private *tp, ksigset_t allowed, struct ksiginfo *info)
{
    struct sigpending *sets[2] = { &tp->pending, &tp->proc->shared_pending };
    for (int i = 0; i < 2; i++) {
        ksigset_t ready = sets[i]->set & allowed;
        if (!ready)
            continue;
        int sig = (ready & sigmask(SIGKILL)) ? SIGKILL : lowest_sig(ready);
        struct sigqueue *q, *found = NULL;
        bool more = false;
        list_for_each_entry(q, &sets[i]->queue, node) {
            if (q->info.si_signo == sig) {
                if (found) {
                    more = true;
                    break;
                }
                found = q;
            }
        }
        if (found) {
            *info = found->info;
            list_del(&found->node);
            kfree(found);
        } else {
            memset(info, 0, sizeof *info);
            info->si_signo = sig;
            info->si_code = SI_KERNEL;
        }
        if (!more)
            sets[i]->set &= ~sigmask(sig);
        return sig;
    }
    return 0;
}

struct wait_queue signalfd_wait = {
    .lock = SPINLOCK_INIT("signalfd"),
    .waiters = LIST_HEAD_INIT(signalfd_wait.waiters),
};

ksigset_t signal_pending_in(ksigset_t mask)
{
    struct task_private *tp = current->priv;
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    ksigset_t set = (tp->pending.set | tp->proc->shared_pending.set) & mask;
    spin_unlock_irqrestore(&proc_lock, f);
    return set;
}

int signal_dequeue_in(ksigset_t mask, struct ksiginfo *info)
{
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    int sig = dequeue_signal(current->priv, mask & ~SIG_KERNEL_ONLY, info);
    spin_unlock_irqrestore(&proc_lock, f);
    return sig;
}

static bool on_sig_stack(struct task_private *tp, uint64_t sp)
{
    return tp->ss_size && sp > tp->ss_sp && sp - tp->ss_sp <= tp->ss_size;
}

static bool setup_rt_frame(int sig, const struct ksiginfo *info, const struct k_sigaction *ka,
                           struct trapframe *tf)
{
    struct task_private *tp = current->priv;
    uint64_t sp = tf->regs[2];
    if ((ka->flags & SA_ONSTACK) && !(tp->ss_flags & SS_DISABLE) && tp->ss_size && !on_sig_stack(tp, sp))
        sp = tp->ss_sp + tp->ss_size;
    sp = (sp - sizeof(struct rt_sigframe)) & ~15UL;

    /* Built on the kernel stack (about 1 KiB): delivering a signal must not fail for want of
     * memory, which would turn into a SIGSEGV (and take init down under memory pressure). */
    struct rt_sigframe frame;
    struct rt_sigframe *fr = &frame;
    memset(fr, 0, sizeof *fr);
    fr->info = *info;
    fr->uc.uc_stack.ss_sp = tp->ss_sp;
    fr->uc.uc_stack.ss_size = tp->ss_size;
    fr->uc.uc_stack.ss_flags = tp->ss_size == 0 || (tp->ss_flags & SS_DISABLE) ? SS_DISABLE
                               : on_sig_stack(tp, tf->regs[2]) ? SS_ONSTACK : 0;
    fr->uc.uc_sigmask = tp->restore_mask ? tp->saved_mask : tp->blocked;
    memcpy(fr->uc.uc_mcontext.gregs, tf->regs, sizeof tf->regs);
    if ((tf->status & SR_FS) != SR_FS_OFF) {
        struct fpstate fp;
        fpu_save(&fp);
        memcpy(fr->uc.uc_mcontext.fp.f, fp.f, sizeof fp.f);
        fr->uc.uc_mcontext.fp.fcsr = fp.fcsr;
    }
    if (copy_to_user(sp, fr, sizeof *fr))
        return false;

    tf->regs[0] = ka->handler;
    tf->regs[1] = SIGRETURN_TRAMPOLINE;
    tf->regs[2] = sp;
    tf->regs[10] = (unsigned long)sig;
    tf->regs[11] = sp + __builtin_offsetof(struct rt_sigframe, info);
    tf->regs[12] = sp + __builtin_offsetof(struct rt_sigframe, uc);
    return true;
}

/* What the interrupted system call returns, given whether a handler will run. */
static void syscall_restart(struct trapframe *tf, const struct k_sigaction *ka)
{
    if (tf->cause != EXC_ECALL_U)
        return;
    long r = (long)tf->regs[10];
    bool restart = false;
    switch (r) {
    case -ERESTARTNOHAND:
    case -ERESTART_RESTARTBLOCK:
        restart = !ka;
        break;
    case -ERESTARTSYS:
        restart = !ka || (ka->flags & SA_RESTART);
        break;
    case -ERESTARTNOINTR:
        restart = true;
        break;
    default:
        return;
    }
    if (restart && r != -ERESTART_RESTARTBLOCK) {
        tf->regs[10] = tf->orig_a0;
        tf->regs[0] -= 4;
    } else {
        tf->regs[10] = (unsigned long)-EINTR;
    }
    tf->cause = ~0UL;   /* handled: never twice */
}

void syscall_restart_fixup(struct trapframe *tf) { syscall_restart(tf, NULL); }

static int sig_exit_status(int sig) { return (SIG_DEFAULT_CORE & sigmask(sig)) ? (sig | 0x80) : sig; }

void signal_return_to_user(struct trapframe *tf)
{
    struct task *t = current;
    struct task_private *tp = t->priv;
    struct process *p = tp->proc;
    for (;;) {
        irqflags_t f = spin_lock_irqsave(&proc_lock);
        if (p->group_exiting || (tp->pending.set & sigmask(SIGKILL))) {
            int st = p->group_exiting ? p->exit_status : SIGKILL;
            bool exec_kill = p->exec_task && p->exec_task != t && !p->group_exiting;
            spin_unlock_irqrestore(&proc_lock, f);
            if (exec_kill)   /* another thread is exec'ing: only this thread goes */
                do_exit(SIGKILL);
            do_group_exit(st);
        }
        if (p->stopped) {
            t->state = TASK_STOPPED;
            spin_unlock_irqrestore(&proc_lock, f);
            schedule();
            continue;
        }
        struct ksiginfo info;
        int sig = dequeue_signal(tp, ~tp->blocked, &info);
        if (!sig) {
            spin_unlock_irqrestore(&proc_lock, f);
            break;
        }
        struct k_sigaction ka = tp->sighand->action[sig - 1];
        if (ka.handler == SIG_IGN) {
            spin_unlock_irqrestore(&proc_lock, f);
            continue;
        }
        if (ka.handler == SIG_DFL) {
            ksigset_t m = sigmask(sig);
            if (SIG_DEFAULT_IGNORE & m) {
                spin_unlock_irqrestore(&proc_lock, f);
                continue;
            }
            if (SIG_STOP_SET & m) {
                if (sig != SIGSTOP && pgrp_is_orphaned_locked(p->pgid, NULL)) {
                    spin_unlock_irqrestore(&proc_lock, f);
                    continue;
                }
                p->stopped = true;
                p->stop_signal = sig;
                p->report_stopped = true;
                p->report_continued = false;
                struct task_private *x;
                list_for_each_entry(x, &p->threads, thread_node)
                    if (x != tp)
                        signal_wake(x->task, false);
                notify_parent_stop(p, CLD_STOPPED);
                spin_unlock_irqrestore(&proc_lock, f);
                continue;   /* the top of the loop stops this thread */
            }
            spin_unlock_irqrestore(&proc_lock, f);
            syscall_restart(tf, NULL);
            do_group_exit(sig_exit_status(sig));
        }
        /* A handler. */
        if (ka.flags & SA_RESETHAND)
            tp->sighand->action[sig - 1].handler = SIG_DFL;
        spin_unlock_irqrestore(&proc_lock, f);
        syscall_restart(tf, &ka);
        if (!setup_rt_frame(sig, &info, &ka, tf)) {
            /* No room for the frame (a stack overflow, say): SIGSEGV with the default
             * action, or this would loop delivering to the same handler. */
            f = spin_lock_irqsave(&proc_lock);
            tp->sighand->action[SIGSEGV - 1].handler = SIG_DFL;
            spin_unlock_irqrestore(&proc_lock, f);
            force_sig_fault(SIGSEGV, SI_KERNEL, 0);
            continue;
        }
        f = spin_lock_irqsave(&proc_lock);
        if (tp->restore_mask) {
            tp->blocked = tp->saved_mask;
            tp->restore_mask = false;
        }
        tp->blocked |= ka.mask;
        if (!(ka.flags & SA_NODEFER))
            tp->blocked |= sigmask(sig);
        tp->blocked &= ~SIG_KERNEL_ONLY;
        spin_unlock_irqrestore(&proc_lock, f);
        return;
    }
    syscall_restart(tf, NULL);
    if (tp->restore_mask) {
        tp->blocked = tp->saved_mask;
        tp->restore_mask = false;
    }
}

SYSCALL_DEFINE0(rt_sigreturn)
{
    struct trapframe *tf = current_tf();
    struct task_private *tp = current->priv;
    uint64_t sp = tf->regs[2];
    struct rt_sigframe frame;       /* on the kernel stack, as in setup_rt_frame */
    struct rt_sigframe *fr = &frame;
    if ((sp & 15) || copy_from_user(fr, sp, sizeof *fr)) {
        force_sig_fault(SIGSEGV, SI_KERNEL, 0);
        return (long)tf->regs[10];
    }
    memcpy(&tf->regs[0], fr->uc.uc_mcontext.gregs, sizeof tf->regs);
    if ((tf->status & SR_FS) != SR_FS_OFF) {
        struct fpstate fp;
        memcpy(fp.f, fr->uc.uc_mcontext.fp.f, sizeof fp.f);
        fp.fcsr = fr->uc.uc_mcontext.fp.fcsr;
        fpu_restore(&fp);
        tf->status = (tf->status & ~SR_FS) | SR_FS_DIRTY;
    }
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    tp->blocked = fr->uc.uc_sigmask & ~SIG_KERNEL_ONLY;
    spin_unlock_irqrestore(&proc_lock, f);
    tf->cause = ~0UL;   /* not a system call any more: no restart logic */
    return (long)tf->regs[10];
}

/* ---- exec ---- */

void signals_reset_on_exec(void)
{
    struct task_private *tp = current->priv;
    struct sighand *sh = tp->sighand;
    if (sh->refcount > 1) {
        struct sighand *n = sighand_copy(sh);
        if (n) {
            tp->sighand = n;
            sighand_put(sh);
            sh = n;
        }
    }
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    for (int i = 0; i < _NSIG; i++) {
        if (sh->action[i].handler != SIG_IGN)
            sh->action[i].handler = SIG_DFL;
        sh->action[i].flags = 0;
        sh->action[i].mask = 0;
    }
    tp->ss_sp = 0;
    tp->ss_size = 0;
    tp->ss_flags = SS_DISABLE;
    spin_unlock_irqrestore(&proc_lock, f);
}

/* ---- system calls ---- */

SYSCALL_DEFINE4(rt_sigaction, int, sig, uaddr_t, act, uaddr_t, oact, size_t, sigsetsize)
{
    if (sigsetsize != sizeof(ksigset_t))
        return -EINVAL;
    if (!valid_sig(sig))
        return -EINVAL;
    struct user_sigaction nu = { 0 }, ou;
    if (act && copy_from_user(&nu, act, USER_SIGACTION_SIZE_LINUX))
        return -EFAULT;
    uint64_t new_mask = nu.word2, new_restorer = 0;
    if (act && (nu.flags & SA_RESTORER)) {
        /* musl <= 1.2.3's layout: the mask follows the restorer. */
        if (copy_from_user(&nu.word3, act + USER_SIGACTION_SIZE_LINUX, sizeof nu.word3))
            return -EFAULT;
        new_restorer = nu.word2;
        new_mask = nu.word3;
    }
    if (act && (sig == SIGKILL || sig == SIGSTOP))
        return -EINVAL;
    struct sighand *sh = current->priv->sighand;
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct k_sigaction *ka = &sh->action[sig - 1];
    /* The old action goes back in the layout it came in; a Linux-layout one also repeats the
     * mask in the fourth word, where a musl 1.2.3 caller reads it (its buffer is 32 bytes). */
    ou.handler = ka->handler;
    ou.flags = ka->flags;
    ou.word2 = (ka->flags & SA_RESTORER) ? ka->restorer : ka->mask;
    ou.word3 = ka->mask;
    if (act) {
        ka->handler = nu.handler;
        ka->flags = nu.flags;
        ka->restorer = new_restorer;
        ka->mask = new_mask & ~SIG_KERNEL_ONLY;
        /* POSIX: setting SIG_IGN (or SIG_DFL for a default-ignored signal) discards it. */
        if (nu.handler == SIG_IGN || (nu.handler == SIG_DFL && (SIG_DEFAULT_IGNORE & sigmask(sig)))) {
            struct process *p = proc_of(current);
            sigpending_remove(&p->shared_pending, sigmask(sig));
            struct task_private *x;
            list_for_each_entry(x, &p->threads, thread_node)
                sigpending_remove(&x->pending, sigmask(sig));
        }
    }
    spin_unlock_irqrestore(&proc_lock, f);
    if (oact && copy_to_user(oact, &ou, sizeof ou))
        return -EFAULT;
    return 0;
}

SYSCALL_DEFINE4(rt_sigprocmask, int, how, uaddr_t, nset, uaddr_t, oset, size_t, sigsetsize)
{
    if (sigsetsize != sizeof(ksigset_t))
        return -EINVAL;
    struct task_private *tp = current->priv;
    ksigset_t old = tp->blocked, n;
    if (nset) {
        if (copy_from_user(&n, nset, sizeof n))
            return -EFAULT;
        n &= ~SIG_KERNEL_ONLY;
        irqflags_t f = spin_lock_irqsave(&proc_lock);
        switch (how) {
        case SIG_BLOCK:
            tp->blocked |= n;
            break;
        case SIG_UNBLOCK:
            tp->blocked &= ~n;
            break;
        case SIG_SETMASK:
            tp->blocked = n;
            break;
        default:
            spin_unlock_irqrestore(&proc_lock, f);
            return -EINVAL;
        }
        spin_unlock_irqrestore(&proc_lock, f);
    }
    if (oset && copy_to_user(oset, &old, sizeof old))
        return -EFAULT;
    return 0;
}

SYSCALL_DEFINE2(rt_sigpending, uaddr_t, uset, size_t, sigsetsize)
{
    if (sigsetsize != sizeof(ksigset_t))
        return -EINVAL;
    struct task_private *tp = current->priv;
    ksigset_t s = (tp->pending.set | tp->proc->shared_pending.set) & tp->blocked;
    return copy_to_user(uset, &s, sizeof s) ? -EFAULT : 0;
}

SYSCALL_DEFINE2(rt_sigsuspend, uaddr_t, unewset, size_t, sigsetsize)
{
    if (sigsetsize != sizeof(ksigset_t))
        return -EINVAL;
    ksigset_t n;
    if (copy_from_user(&n, unewset, sizeof n))
        return -EFAULT;
    struct task_private *tp = current->priv;
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    tp->saved_mask = tp->blocked;
    tp->restore_mask = true;
    tp->blocked = n & ~SIG_KERNEL_ONLY;
    spin_unlock_irqrestore(&proc_lock, f);
    for (;;) {
        set_current_state(TASK_INTERRUPTIBLE);
        if (signal_pending(current))
            break;
        schedule();
    }
    set_current_state(TASK_RUNNING);
    return -ERESTARTNOHAND;
}

SYSCALL_DEFINE4(rt_sigtimedwait, uaddr_t, uthese, uaddr_t, uinfo, uaddr_t, uts,
                size_t, sigsetsize)
{
    if (sigsetsize != sizeof(ksigset_t))
        return -EINVAL;
    ksigset_t set;
    if (copy_from_user(&set, uthese, sizeof set))
        return -EFAULT;
    set &= ~SIG_KERNEL_ONLY;
    uint64_t deadline = 0;
    bool poll = false;
    if (uts) {
        struct kernel_timespec ts;
        if (copy_from_user(&ts, uts, sizeof ts))
            return -EFAULT;
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (int64_t)NSEC_PER_SEC)
            return -EINVAL;
        uint64_t ns = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
        if (ns == 0)
            poll = true;
        else
            deadline = ktime_mono_ns() + ns;
    }
    struct task_private *tp = current->priv;
    struct ksiginfo info;
    int sig;
    ksigset_t saved = tp->blocked;
    for (;;) {
        irqflags_t f = spin_lock_irqsave(&proc_lock);
        sig = dequeue_signal(tp, set, &info);
        if (sig || poll) {
            tp->blocked = saved;
            tp->real_blocked = 0;
            spin_unlock_irqrestore(&proc_lock, f);
            break;
        }
        /* Let the awaited signals wake us while we sleep. */
        tp->real_blocked = saved;
        tp->blocked = saved & ~set;
        current->state = TASK_INTERRUPTIBLE;
        bool pend = signal_pending(current);
        spin_unlock_irqrestore(&proc_lock, f);
        if (pend) {
            f = spin_lock_irqsave(&proc_lock);
            sig = dequeue_signal(tp, set, &info);
            tp->blocked = saved;
            tp->real_blocked = 0;
            spin_unlock_irqrestore(&proc_lock, f);
            current->state = TASK_RUNNING;
            if (sig)
                break;
            return -EINTR;
        }
        int woke = schedule_timeout(deadline);
        current->state = TASK_RUNNING;
        if (!woke && deadline) {
            f = spin_lock_irqsave(&proc_lock);
            sig = dequeue_signal(tp, set, &info);
            tp->blocked = saved;
            tp->real_blocked = 0;
            spin_unlock_irqrestore(&proc_lock, f);
            if (!sig)
                return -EAGAIN;
            break;
        }
    }
    if (!sig)
        return -EAGAIN;
    if (uinfo && copy_to_user(uinfo, &info, sizeof info))
        return -EFAULT;
    return sig;
}

static bool kill_permitted(struct task *target, int sig)
{
    const struct cred *c = &current->cred, *tc = &target->cred;
    if (c->euid == 0)
        return true;
    if (c->euid == tc->suid || c->euid == tc->uid || c->uid == tc->suid || c->uid == tc->uid)
        return true;
    return sig == SIGCONT && proc_of(current)->sid == proc_of(target)->sid;
}

static int kill_process(struct process *p, int sig, const struct ksiginfo *info)
{
    struct task *t = proc_any_thread(p);
    if (!t || p->state != PROC_ALIVE)
        return p->state == PROC_ZOMBIE ? 0 : -ESRCH;
    if (!kill_permitted(t, sig))
        return -EPERM;
    if (sig == 0)
        return 0;
    return do_send_signal(t, sig, info, true);
}

static void user_info(struct ksiginfo *info, int sig, int code)
{
    memset(info, 0, sizeof *info);
    info->si_signo = sig;
    info->si_code = code;
    info->proc.pid = current->tgid;
    info->proc.uid = current->cred.uid;
}

SYSCALL_DEFINE2(kill, pid_t, pid, int, sig)
{
    if (sig < 0 || sig > _NSIG)
        return -EINVAL;
    struct ksiginfo info;
    user_info(&info, sig, SI_USER);
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    int r = -ESRCH;
    if (pid > 0) {
        struct process *p = process_by_pid(pid);
        if (p)
            r = kill_process(p, sig, &info);
    } else {
        pid_t pgrp = pid == 0 ? proc_of(current)->pgid : -pid;
        if (pid == INT32_MIN) {
            spin_unlock_irqrestore(&proc_lock, f);
            return -ESRCH;
        }
        struct process *p;
        if (pid == -1) {
            /* Linux's kill_something_info: every process but init and the caller; EPERM
             * from one the caller may not signal does not count against it, so the answer
             * is 0 once there is any other process, unless a signal could not be queued. */
            int count = 0, err = 0;
            list_for_each_entry(p, &all_processes, all_node) {
                if (p->state == PROC_DEAD || p->pid <= 1 || p == proc_of(current))
                    continue;
                int e = kill_process(p, sig, &info);
                count++;
                if (e != -EPERM)
                    err = e;
            }
            r = count ? err : -ESRCH;
        } else {
            /* __kill_pgrp_info: 0 if any member was signalled, else the last error. */
            int ok = 0, err = -ESRCH;
            list_for_each_entry(p, &all_processes, all_node) {
                if (p->state != PROC_ALIVE || p->pgid != pgrp)
                    continue;
                int e = kill_process(p, sig, &info);
                if (e == 0)
                    ok++;
                else
                    err = e;
            }
            r = ok ? 0 : err;
        }
    }
    spin_unlock_irqrestore(&proc_lock, f);
    return r;
}

static long do_tkill(pid_t tgid, pid_t tid, int sig)
{
    if (tid <= 0 || sig < 0 || sig > _NSIG)
        return -EINVAL;
    struct ksiginfo info;
    user_info(&info, sig, SI_TKILL);
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct task *t = task_by_tid(tid);
    long r;
    if (!t || (tgid > 0 && t->tgid != tgid) || t->priv->exiting)
        r = -ESRCH;
    else if (!kill_permitted(t, sig))
        r = -EPERM;
    else
        r = sig ? do_send_signal(t, sig, &info, false) : 0;
    spin_unlock_irqrestore(&proc_lock, f);
    return r;
}

SYSCALL_DEFINE2(tkill, pid_t, pid, int, sig)
{
    return do_tkill(-1, pid, sig);
}

SYSCALL_DEFINE3(tgkill, pid_t, tgid, pid_t, pid, int, sig)
{
    if (tgid <= 0)
        return -EINVAL;
    return do_tkill(tgid, pid, sig);
}

static long queueinfo(pid_t tgid, pid_t tid, int sig, uaddr_t uinfo)
{
    struct ksiginfo info;
    if (copy_from_user(&info, uinfo, sizeof info))
        return -EFAULT;
    if (!valid_sig(sig))
        return -EINVAL;
    if ((info.si_code >= 0 || info.si_code == SI_TKILL) && (tgid != current->tgid))
        return -EPERM;
    info.si_signo = sig;
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    long r = -ESRCH;
    if (tid > 0) {
        struct task *t = task_by_tid(tid);
        if (t && t->tgid == tgid)
            r = kill_permitted(t, sig) ? do_send_signal(t, sig, &info, false) : -EPERM;
    } else {
        struct process *p = process_by_pid(tgid);
        if (p)
            r = kill_process(p, sig, &info);
    }
    spin_unlock_irqrestore(&proc_lock, f);
    return r;
}

SYSCALL_DEFINE3(rt_sigqueueinfo, pid_t, pid, int, sig, uaddr_t, uinfo)
{
    return queueinfo(pid, 0, sig, uinfo);
}

SYSCALL_DEFINE4(rt_tgsigqueueinfo, pid_t, tgid, pid_t, pid, int, sig, uaddr_t, uinfo)
{
    return queueinfo(tgid, pid, sig, uinfo);
}

SYSCALL_DEFINE2(sigaltstack, uaddr_t, uss, uaddr_t, uoss)
{
    struct task_private *tp = current->priv;
    uint64_t sp = current_tf()->regs[2];
    struct user_stack old = {
        .ss_sp = tp->ss_sp, .ss_size = tp->ss_size,
        .ss_flags = (tp->ss_flags & SS_DISABLE) || !tp->ss_size ? SS_DISABLE
                    : on_sig_stack(tp, sp) ? SS_ONSTACK : 0,
    };
    if (uss) {
        struct user_stack ss;
        if (copy_from_user(&ss, uss, sizeof ss))
            return -EFAULT;
        if (on_sig_stack(tp, sp))
            return -EPERM;
        int mode = ss.ss_flags & ~(int)SS_AUTODISARM;
        if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK)
            return -EINVAL;
        if (mode == SS_DISABLE) {
            tp->ss_sp = 0;
            tp->ss_size = 0;
            tp->ss_flags = SS_DISABLE;
        } else {
            if (ss.ss_size < MINSIGSTKSZ)
                return -ENOMEM;
            tp->ss_sp = ss.ss_sp;
            tp->ss_size = ss.ss_size;
            tp->ss_flags = 0;
        }
    }
    if (uoss && copy_to_user(uoss, &old, sizeof old))
        return -EFAULT;
    return 0;
}

/* pselect6/ppoll (fs/poll.c, signal.h): install a temporary mask for the wait. If the wait
 * was interrupted, the original mask comes back only after the handler has run
 * (restore_mask), as in Linux; otherwise at once. */
int sigmask_swap_for_wait(uint64_t mask)
{
    struct task_private *tp = current->priv;
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    tp->saved_mask = tp->blocked;
    tp->blocked = mask & ~SIG_KERNEL_ONLY;
    tp->restore_mask = true;
    spin_unlock_irqrestore(&proc_lock, f);
    return 0;
}

void sigmask_restore_after_wait(bool interrupted)
{
    struct task_private *tp = current->priv;
    if (interrupted)
        return;
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    tp->blocked = tp->saved_mask;
    tp->restore_mask = false;
    spin_unlock_irqrestore(&proc_lock, f);
}
