/* The trap vector and the return to the interrupted context.
 *
 * In the kernel, tp points at this hart's struct cpu and sscratch is 0. In user mode sscratch
 * holds the struct cpu pointer and tp is the user's. So `csrrw tp, sscratch, tp` tells the two
 * cases apart (tp != 0: we came from user) and leaves the cpu pointer in tp either way.
 * A trap from user saves the state in the trapframe at the top of the task's kernel stack
 * (cpu->kernel_sp); a trap from the kernel pushes one on the current kernel stack. */
#include "asm/trapframe.h"
#include "asm/csr.h"

    .macro SAVE_GPRS
    sd x1, TF_REG(1)(sp)
    sd x3, TF_REG(3)(sp)
    .irp n, 5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    sd x\n, TF_REG(\n)(sp)
    .endr
    .endm

    /* Not tp (x4): ret_from_trap loads it only on the way back to user mode. */
    .macro RESTORE_GPRS
    ld x1, TF_REG(1)(sp)
    ld x3, TF_REG(3)(sp)
    .irp n, 5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    ld x\n, TF_REG(\n)(sp)
    .endr
    .endm

    .text
    .balign 4
    .globl trap_entry
trap_entry:
    csrrw tp, sscratch, tp
    bnez tp, 1f
    /* From the kernel: take tp back and stay on this stack. */
    csrr tp, sscratch
    sd sp, CPU_KERNEL_SP(tp)
1:  sd sp, CPU_SCRATCH_SP(tp)
    ld sp, CPU_KERNEL_SP(tp)
    addi sp, sp, -TF_SIZE
    SAVE_GPRS
    ld t0, CPU_SCRATCH_SP(tp)
    sd t0, TF_REG(2)(sp)
    csrrw t0, sscratch, zero        /* the interrupted tp; sscratch = 0 while in the kernel */
    sd t0, TF_REG(4)(sp)
    csrr t0, sepc
    csrr t1, sstatus
    csrr t3, scause
    sd t0, TF_REG(0)(sp)
    sd t1, TF_STATUS(sp)
    sd t3, TF_CAUSE(sp)
    /* A trap taken inside a user copy (a page fault, an interrupt) finds sstatus.SUM set:
     * close user memory for the handler, which may sleep and let other tasks run, as Linux
     * does; ret_from_trap puts the saved sstatus back, SUM included. Only when it is set:
     * under QEMU every change of SUM empties the hart's software TLB. */
    li t2, SR_SUM
    and t2, t1, t2
    beqz t2, 5f
    csrc sstatus, t2
5:
    /* A frame-pointer chain that ends here lets panic() walk through the trap. */
    mv s0, zero
    mv a0, sp
    la ra, ret_from_trap
    /* Every CSR access ends a translated block under QEMU and costs as much as dozens of
     * instructions: read stval only for exceptions that set it, not for system calls and
     * interrupts (scause < 0), which are most traps. */
    li t2, EXC_ECALL_U
    beq t3, t2, 3f
    bltz t3, 4f
    csrr t2, stval
    sd t2, TF_BADADDR(sp)
    j trap_handler
3:  sd zero, TF_BADADDR(sp)
    j syscall_from_user             /* the hot path: no general dispatch */
4:  sd zero, TF_BADADDR(sp)
    j trap_handler

    .globl ret_from_trap
ret_from_trap:                      /* sp = the trapframe to resume; interrupts are off */
    /* Back to the kernel, tp stays as it is: this hart's struct cpu. The handler may have
     * slept (a page fault in a user copy does) and woken on another hart; the tp saved in
     * the frame is then the old hart's, and loading it would give two harts one identity
     * (current, this_cpu(), spinlock owners: "recursive lock" panics, a wrong task's fs). */
    ld t1, TF_STATUS(sp)
    andi t0, t1, SR_SPP
    bnez t0, 2f
    /* Back to user: the next trap starts at the top of this stack, and sscratch holds the
     * cpu pointer again so trap_entry recognises a trap from user. */
    addi t0, sp, TF_SIZE
    sd t0, CPU_KERNEL_SP(tp)
    csrw sscratch, tp
    ld tp, TF_REG(4)(sp)            /* the user's thread pointer */
2:  ld t0, TF_REG(0)(sp)
    /* Drop any load reservation, as Linux does: one left by the interrupted context (a trap
     * between its lr and sc) or by a kernel compare-and-swap that branched around its sc must
     * not let the resumed context's sc succeed on a word it never reserved. The store puts
     * back the value just read (the saved pc, TF_REG(0) == 0(sp)), so it changes nothing. */
    sc.d x0, t0, (sp)
    csrw sstatus, t1
    csrw sepc, t0
    RESTORE_GPRS
    ld sp, TF_REG(2)(sp)
    sret

/* A new task starts here (its context's ra): finish the switch, then leave through its
 * trapframe, which sits at the top of its kernel stack (s1 = trapframe). */
    .globl task_entry
task_entry:
    call fork_child_start
    mv sp, s1
    csrci sstatus, SR_SIE
    j ret_from_trap

/* A kernel thread starts here: s2 = function, s3 = argument. */
    .globl kthread_entry
kthread_entry:
    call schedule_tail
    csrsi sstatus, SR_SIE
    call bkl_lock_slow              /* kernel work for a task (smp.h); enter_user drops it */
    mv a0, s3
    jalr s2
1:  j 1b
