/* When the block layer may sleep: a real task (not the idle task, which must never block) is
 * running on this hart and interrupts are on, so a completion interrupt can wake it. Before
 * that (early boot, or with interrupts masked) waits poll the driver instead. Kept apart from
 * blkdev.c so the host tests can supply their own. */
#include "kernel.h"
#include "blkdev.h"
#include "sched.h"
#include "asm/csr.h"
#include "asm/cpu.h"

bool blk_can_sleep(void)
{
    if (!(csr_read(sstatus) & SR_SIE))
        return false;
    struct cpu *c = this_cpu();
    struct task *t = current;   /* the same as c's, read the usual way */
    return t != NULL && t != c->idle;
}
