/* CPU affinity: sched_getaffinity / sched_setaffinity (BusyBox taskset, nproc). A mask is one
 * unsigned long (bit n = cpu n), as Linux's cpumask_size() with NR_CPUS <= 64. */
#include "kernel.h"
#include "task.h"
#include "smp.h"
#include "uaccess.h"
#include "syscall.h"
#include "asm/cpu.h"

#define CPUMASK_BYTES 8
#define ALL_CPUS ((NR_CPUS >= 64) ? ~0UL : (1UL << NR_CPUS) - 1)

static bool may_change(struct task *t)
{
    const struct cred *c = &current->cred;
    return c->euid == 0 || t->cred.uid == c->euid || t->cred.euid == c->euid;
}

/* pid is tested for 0 (the caller) before it is truncated to pid_t, as it always was here
 * (Linux truncates first). */
SYSCALL_DEFINE3(sched_getaffinity, long, pid, size_t, len, uaddr_t, user_mask_ptr)
{
    if (len * 8 < NR_CPUS || (len & (sizeof(unsigned long) - 1)))
        return -EINVAL;
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct task *t = pid ? task_by_tid((pid_t)pid) : current;
    unsigned long allowed = t ? t->priv->cpus_allowed : 0;
    spin_unlock_irqrestore(&proc_lock, f);
    if (!t)
        return -ESRCH;
    unsigned long mask = (allowed ? allowed : ALL_CPUS) & cpus_online_mask();
    if (copy_to_user(user_mask_ptr, &mask, CPUMASK_BYTES))
        return -EFAULT;
    return CPUMASK_BYTES;
}

SYSCALL_DEFINE3(sched_setaffinity, long, pid, size_t, len, uaddr_t, user_mask_ptr)
{
    unsigned long mask = 0;
    /* Shorter masks are zero-extended, longer ones cut to the bits the kernel has. */
    if (copy_from_user(&mask, user_mask_ptr, MIN(len, (size_t)CPUMASK_BYTES)))
        return -EFAULT;
    mask &= ALL_CPUS;
    if (!(mask & cpus_online_mask()))
        return -EINVAL;
    if (mask == ALL_CPUS)
        mask = 0;   /* "anywhere" */
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct task *t = pid ? task_by_tid((pid_t)pid) : current;
    long r = 0;
    if (!t)
        r = -ESRCH;
    else if (!may_change(t))
        r = -EPERM;
    else
        sched_set_affinity(t, mask);
    spin_unlock_irqrestore(&proc_lock, f);
    return r;
}
