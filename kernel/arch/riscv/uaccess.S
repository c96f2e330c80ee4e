/* The only instructions that touch user memory. Each load/store that may fault on a user
 * address is listed in __ex_table with a fixup; the trap handler first tries to resolve the
 * fault as a user fault would be (demand paging, COW, stack growth) and retries, and
 * otherwise resumes at the fixup, which returns the number of bytes not done.
 * sstatus.SUM is set only inside these routines. */
#include "asm/csr.h"

    .macro EX insn, fixup
100:
    \insn
    .pushsection __ex_table, "a"
    .balign 8
    .dword 100b, \fixup
    .popsection
    .endm

    .text
/* unsigned long __uaccess_copy(void *dst, const void *src, unsigned long n): 0 or bytes left */
    .globl __uaccess_copy
__uaccess_copy:
    li t6, SR_SUM
    csrs sstatus, t6
    beqz a2, .Lcopy_done
    xor t0, a0, a1
    andi t0, t0, 7
    bnez t0, .Lcopy_misaligned      /* different alignments: merged words */
    /* same alignment: bytes up to an 8-byte boundary, then words */
.Lcopy_head:
    andi t0, a0, 7
    beqz t0, .Lcopy_words
    EX "lb t1, 0(a1)", .Lcopy_fault
    EX "sb t1, 0(a0)", .Lcopy_fault
    addi a0, a0, 1
    addi a1, a1, 1
    addi a2, a2, -1
    beqz a2, .Lcopy_done
    j .Lcopy_head
.Lcopy_words:
    li t2, 32
.Lcopy_w4:
    bltu a2, t2, .Lcopy_w1
    EX "ld t1, 0(a1)", .Lcopy_fault
    EX "ld t3, 8(a1)", .Lcopy_fault
    EX "ld t4, 16(a1)", .Lcopy_fault
    EX "ld t5, 24(a1)", .Lcopy_fault
    EX "sd t1, 0(a0)", .Lcopy_fault
    EX "sd t3, 8(a0)", .Lcopy_fault
    EX "sd t4, 16(a0)", .Lcopy_fault
    EX "sd t5, 24(a0)", .Lcopy_fault
    addi a0, a0, 32
    addi a1, a1, 32
    addi a2, a2, -32
    j .Lcopy_w4
.Lcopy_w1:
    li t2, 8
    bltu a2, t2, .Lcopy_bytes
    EX "ld t1, 0(a1)", .Lcopy_fault
    EX "sd t1, 0(a0)", .Lcopy_fault
    addi a0, a0, 8
    addi a1, a1, 8
    addi a2, a2, -8
    j .Lcopy_w1
/* Different alignments (a packet's payload at offset 54 against a user buffer): bytes up to
 * the destination's 8-byte boundary, then each destination word merged from two aligned
 * source words, so no access is misaligned. An aligned source word always holds a byte that
 * is copied, so it faults only where that byte would. t0 = the source's misalignment in bits
 * (never 0 here), t3 = 64 - t0, t4 = the aligned source word, t1 = its value. */
.Lcopy_misaligned:
    li t2, 16
    bltu a2, t2, .Lcopy_bytes
.Lmis_head:
    andi t0, a0, 7
    beqz t0, .Lmis_words
    EX "lb t1, 0(a1)", .Lcopy_fault
    EX "sb t1, 0(a0)", .Lcopy_fault
    addi a0, a0, 1
    addi a1, a1, 1
    addi a2, a2, -1
    j .Lmis_head
.Lmis_words:
    andi t0, a1, 7
    slli t0, t0, 3
    li t3, 64
    sub t3, t3, t0
    andi t4, a1, -8
    EX "ld t1, 0(t4)", .Lcopy_fault
    li t2, 8
.Lmis_loop:
    bltu a2, t2, .Lcopy_bytes
    EX "ld t5, 8(t4)", .Lcopy_fault
    srl t1, t1, t0
    sll a3, t5, t3
    or t1, t1, a3
    EX "sd t1, 0(a0)", .Lcopy_fault
    mv t1, t5
    addi t4, t4, 8
    addi a0, a0, 8
    addi a1, a1, 8
    addi a2, a2, -8
    j .Lmis_loop
.Lcopy_bytes:
    beqz a2, .Lcopy_done
    EX "lb t1, 0(a1)", .Lcopy_fault
    EX "sb t1, 0(a0)", .Lcopy_fault
    addi a0, a0, 1
    addi a1, a1, 1
    addi a2, a2, -1
    j .Lcopy_bytes
.Lcopy_done:
.Lcopy_fault:
    csrc sstatus, t6
    mv a0, a2
    ret

/* unsigned long __uaccess_clear(void *dst, unsigned long n): 0 or bytes left */
    .globl __uaccess_clear
__uaccess_clear:
    li t6, SR_SUM
    csrs sstatus, t6
.Lclear_head:
    beqz a1, .Lclear_done
    andi t0, a0, 7
    beqz t0, .Lclear_words
    EX "sb zero, 0(a0)", .Lclear_done
    addi a0, a0, 1
    addi a1, a1, -1
    j .Lclear_head
.Lclear_words:
    li t2, 8
1:  bltu a1, t2, .Lclear_tail
    EX "sd zero, 0(a0)", .Lclear_done
    addi a0, a0, 8
    addi a1, a1, -8
    j 1b
.Lclear_tail:
    beqz a1, .Lclear_done
    EX "sb zero, 0(a0)", .Lclear_done
    addi a0, a0, 1
    addi a1, a1, -1
    j .Lclear_tail
.Lclear_done:
    csrc sstatus, t6
    mv a0, a1
    ret

/* long __uaccess_strncpy(char *dst, const char *src, unsigned long max):
 * the string length (NUL copied), max if no NUL within max bytes, or -1 on a fault. */
    .globl __uaccess_strncpy
__uaccess_strncpy:
    li t6, SR_SUM
    csrs sstatus, t6
    li t0, 0
1:  beq t0, a2, 2f
    add t2, a1, t0
    EX "lbu t1, 0(t2)", .Lstr_fault
    add t3, a0, t0
    sb t1, 0(t3)
    beqz t1, 2f
    addi t0, t0, 1
    j 1b
2:  csrc sstatus, t6
    mv a0, t0
    ret
.Lstr_fault:
    csrc sstatus, t6
    li a0, -1
    ret

/* unsigned long __uaccess_get32(const u32 *uaddr, u32 *val), __uaccess_get64, __uaccess_put32
 * (u32 *uaddr, u32 val), __uaccess_put64: one naturally aligned user word moved by a single
 * load or store (the caller checks the alignment), so a word that another hart changes at the
 * same time is seen whole, old or new, never a mix of their bytes (__uaccess_copy moves short
 * or odd pieces byte by byte): futex words, CLONE_CHILD_CLEARTID, robust-list pointers. 0, or
 * 1 on an unresolved fault. */
    .globl __uaccess_get32
__uaccess_get32:
    li t6, SR_SUM
    csrs sstatus, t6
    EX "lw t0, 0(a0)", .Lone_fault
    csrc sstatus, t6
    sw t0, 0(a1)
    li a0, 0
    ret

    .globl __uaccess_get64
__uaccess_get64:
    li t6, SR_SUM
    csrs sstatus, t6
    EX "ld t0, 0(a0)", .Lone_fault
    csrc sstatus, t6
    sd t0, 0(a1)
    li a0, 0
    ret

    .globl __uaccess_put32
__uaccess_put32:
    li t6, SR_SUM
    csrs sstatus, t6
    EX "sw a1, 0(a0)", .Lone_fault
    csrc sstatus, t6
    li a0, 0
    ret

    .globl __uaccess_put64
__uaccess_put64:
    li t6, SR_SUM
    csrs sstatus, t6
    EX "sd a1, 0(a0)", .Lone_fault
    csrc sstatus, t6
    li a0, 0
    ret

.Lone_fault:
    csrc sstatus, t6
    li a0, 1
    ret

/* unsigned long __uaccess_cmpxchg32(u32 *uaddr, u32 old, u32 new, u32 *found): an atomic
 * compare-and-swap of a user word (futexes): LR/SC, retried while the reservation is lost.
 * *found is the value seen (== old: the swap happened). 0, or 1 on an unresolved fault. A
 * fault at the SC (copy-on-write, say) is resolved like any other and the SC retried; it
 * fails without its reservation and the loop starts again at the LR. uaddr is 4-aligned
 * (the caller checks: a misaligned LR is not a page fault). */
    .globl __uaccess_cmpxchg32
__uaccess_cmpxchg32:
    li t6, SR_SUM
    csrs sstatus, t6
    sext.w a1, a1                   /* lr.w sign-extends what it loads */
.Lcx_retry:
    EX "lr.w.aqrl t0, (a0)", .Lcx_fault
    bne t0, a1, .Lcx_done
    EX "sc.w.aqrl t1, a2, (a0)", .Lcx_fault
    bnez t1, .Lcx_retry
.Lcx_done:
    sw t0, 0(a3)
    csrc sstatus, t6
    li a0, 0
    ret
.Lcx_fault:
    csrc sstatus, t6
    li a0, 1
    ret
