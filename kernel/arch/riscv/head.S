/* Kernel entry: the Linux RISC-V Image header, then the switch to the high virtual addresses.
 *
 * OpenSBI (QEMU -kernel) and U-Boot booti jump to the first byte of the image, loaded at
 * KERNEL_PBASE, in S-mode with the MMU off: a0 = hart id, a1 = physical address of the FDT.
 * Everything before the jump to high addresses must be position independent (medany code
 * addresses by pc, so `lla` yields physical addresses here). */
#include "memlayout.h"
#include "asm/csr.h"

    .section .head.text, "ax"
    .option push
    .option norvc
    .globl _start
_start:
    j _start_kernel                 /* code0: must be an uncompressed jump */
    .word 0                         /* code1 */
    .dword 0x200000                 /* text_offset from the 2 MiB aligned RAM start */
    .dword _image_size              /* image_size, bss included (kernel.ld) */
    .dword 0                        /* flags: little endian */
    .word 0x2                       /* header version 0.2 */
    .word 0
    .dword 0
    .ascii "RISCV\0\0\0"            /* magic (deprecated) */
    .ascii "RSC\x05"                /* magic2 at 0x38 */
    .word 0                         /* no PE/COFF header */
    .option pop

_start_kernel:
    csrw sie, zero
    csrw sip, zero
    /* Only the first hart to arrive boots; SBI HSM normally starts just one, but a firmware
     * that releases every hart must not run two kernels. */
    lla t0, boot_lottery
    li t1, 1
    amoadd.w t1, t1, (t0)
    bnez t1, .Lpark

    mv s0, a0
    mv s1, a1

    /* The early root table: gigapage 2 maps 0x80000000 to itself so the next instructions
     * still run once paging is on; entries 256..271 map physical 0..16 GiB at PAGE_OFFSET. */
    lla t0, kernel_pgdir
    li t1, ((0x80000000 >> 12) << PTE_PPN_SHIFT) | PTE_KERNEL
    sd t1, 16(t0)
    li t2, 0                        /* physical address */
    li t3, 16                       /* gigapages */
    li t4, 256 * 8
    add t4, t4, t0
    li t5, 1 << 30
1:  srli t1, t2, 2                  /* (pa >> 12) << 10 */
    ori t1, t1, PTE_KERNEL
    sd t1, 0(t4)
    addi t4, t4, 8
    add t2, t2, t5
    addi t3, t3, -1
    bnez t3, 1b

    srli t0, t0, 12
    li t1, SATP_SV39
    or t0, t0, t1
    sfence.vma
    csrw satp, t0
    sfence.vma

    lla t0, .Lhigh
    li t1, PAGE_OFFSET
    add t0, t0, t1
    jr t0

.Lhigh:
    /* pc is high now, so `lla` gives kernel virtual addresses. */
    lla sp, boot_stack_top
    lla t0, __bss_start
    lla t1, __bss_end
2:  bgeu t0, t1, 3f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 2b
3:  lla tp, cpus
    csrw sscratch, zero
    mv a0, s0
    mv a1, s1
    call kmain
.Lpark:
    wfi
    j .Lpark

    .section .data
    .balign 4096
    .globl kernel_pgdir
kernel_pgdir:                       /* the kernel's root page table (in .data: bss is cleared later) */
    .zero 4096
boot_lottery:
    .word 0

    .section .bss
    .balign 16
boot_stack:
    .zero 16384
    .globl boot_stack_top
boot_stack_top:
