/* CPU affinity: sched_getaffinity / sched_setaffinity (BusyBox taskset, nproc). A mask is one
 * unsigned long (bit n = cpu n), as Linux's cpumask_size() with NR_CPUS <= 64. */
#include "kernel.h"
#include "task.h"
#include "smp.h"
#include "uaccess.h"
#include "asm/cpu.h"

void sched_set_affinity(struct task *t, unsigned long mask);

#define CPUMASK_BYTES 8
#define ALL_CPUS ((NR_CPUS >= 64) ? ~0UL : (1UL << NR_CPUS) - 1)

static bool may_change(struct task *t)
{
    const struct cred *c = &current->cred;
    return c->euid == 0 || t->cred.uid == c->euid || t->cred.euid == c->euid;
}

long sys_sched_getaffinity(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a3; (void)a4; (void)a5;
    size_t len = (size_t)a1;
    if (len * 8 < NR_CPUS || (len & (sizeof(unsigned long) - 1)))
        return -EINVAL;
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct task *t = a0 ? task_by_tid((pid_t)a0) : current;
    unsigned long allowed = t ? t->priv->cpus_allowed : 0;
    spin_unlock_irqrestore(&proc_lock, f);
    if (!t)
        return -ESRCH;
    unsigned long mask = (allowed ? allowed : ALL_CPUS) & cpus_online_mask();
    if (copy_to_user((uaddr_t)a2, &mask, CPUMASK_BYTES))
        return -EFAULT;
    return CPUMASK_BYTES;
}

long sys_sched_setaffinity(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a3; (void)a4; (void)a5;
    size_t len = (size_t)a1;
    unsigned long mask = 0;
    /* Shorter masks are zero-extended, longer ones cut to the bits the kernel has. */
    if (copy_from_user(&mask, (uaddr_t)a2, MIN(len, (size_t)CPUMASK_BYTES)))
        return -EFAULT;
    mask &= ALL_CPUS;
    if (!(mask & cpus_online_mask()))
        return -EINVAL;
    if (mask == ALL_CPUS)
        mask = 0;   /* "anywhere" */
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    struct task *t = a0 ? task_by_tid((pid_t)a0) : current;
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
