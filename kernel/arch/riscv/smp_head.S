/* Entry of a secondary hart, started by smp.c through SBI HSM hart_start.
 *
 * The SBI enters here at the physical address, in S-mode with the MMU off: a0 = hart id,
 * a1 = the opaque value, the kernel virtual address of this hart's struct cpu. The kernel's
 * own root table no longer maps the kernel's physical addresses (vm_init drops that), so the
 * switch to high addresses goes through smp_boot_pgdir: the kernel table plus that identity
 * gigapage (smp.c fills it). Then satp becomes the kernel table proper (secondary_main). */
#include "memlayout.h"
#include "asm/csr.h"

#define CPU_BOOT_SP 56      /* offsetof(struct cpu, boot_sp), asserted in asm/cpu.h */

    .text
    .balign 4
    .globl secondary_entry
secondary_entry:
    csrw sie, zero
    csrw sip, zero
    lla t0, smp_boot_pgdir          /* pc is physical: lla yields the physical address */
    srli t0, t0, 12
    li t1, SATP_SV39
    or t0, t0, t1
    sfence.vma
    csrw satp, t0
    sfence.vma
    lla t0, 1f
    li t1, PAGE_OFFSET
    add t0, t0, t1
    jr t0
1:  mv tp, a1
    csrw sscratch, zero
    ld sp, CPU_BOOT_SP(tp)
    mv s0, zero                     /* ends the frame-pointer chain for backtraces */
    mv a0, tp
    call secondary_main
2:  wfi
    j 2b
