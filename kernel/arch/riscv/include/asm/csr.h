/* RISC-V supervisor CSRs, page-table entry bits and the small inline helpers around them. */
#pragma once

#define SR_SIE (1UL << 1)
#define SR_SPIE (1UL << 5)
#define SR_SPP (1UL << 8)
#define SR_FS (3UL << 13)
#define SR_FS_OFF (0UL << 13)
#define SR_FS_INITIAL (1UL << 13)
#define SR_FS_CLEAN (2UL << 13)
#define SR_FS_DIRTY (3UL << 13)
#define SR_SUM (1UL << 18)
#define SR_MXR (1UL << 19)

#define IE_SSIE (1UL << 1)
#define IE_STIE (1UL << 5)
#define IE_SEIE (1UL << 9)

#define SCAUSE_INTR (1UL << 63)
#define IRQ_S_SOFT 1
#define IRQ_S_TIMER 5
#define IRQ_S_EXT 9

#define EXC_INST_MISALIGNED 0
#define EXC_INST_ACCESS 1
#define EXC_ILLEGAL_INST 2
#define EXC_BREAKPOINT 3
#define EXC_LOAD_MISALIGNED 4
#define EXC_LOAD_ACCESS 5
#define EXC_STORE_MISALIGNED 6
#define EXC_STORE_ACCESS 7
#define EXC_ECALL_U 8
#define EXC_ECALL_S 9
#define EXC_INST_PAGE_FAULT 12
#define EXC_LOAD_PAGE_FAULT 13
#define EXC_STORE_PAGE_FAULT 15

#define SATP_SV39 (8UL << 60)

/* Page-table entry bits (Sv39). */
#define PTE_V (1UL << 0)
#define PTE_R (1UL << 1)
#define PTE_W (1UL << 2)
#define PTE_X (1UL << 3)
#define PTE_U (1UL << 4)
#define PTE_G (1UL << 5)
#define PTE_A (1UL << 6)
#define PTE_D (1UL << 7)
#define PTE_PPN_SHIFT 10
/* A kernel leaf: RWX, global, accessed and dirty preset (no A/D faults). */
#define PTE_KERNEL (PTE_V | PTE_R | PTE_W | PTE_X | PTE_G | PTE_A | PTE_D)

#ifndef __ASSEMBLER__
#include "types.h"

#define csr_read(csr)                                                                    \
    ({                                                                                   \
        unsigned long __v;                                                               \
        __asm__ volatile("csrr %0, " #csr : "=r"(__v) : : "memory");                     \
        __v;                                                                             \
    })
#define csr_write(csr, val)                                                              \
    ({ __asm__ volatile("csrw " #csr ", %0" : : "rK"((unsigned long)(val)) : "memory"); })
#define csr_set(csr, val)                                                                \
    ({ __asm__ volatile("csrs " #csr ", %0" : : "rK"((unsigned long)(val)) : "memory"); })
#define csr_clear(csr, val)                                                              \
    ({ __asm__ volatile("csrc " #csr ", %0" : : "rK"((unsigned long)(val)) : "memory"); })
#define csr_read_clear(csr, val)                                                         \
    ({                                                                                   \
        unsigned long __v;                                                               \
        __asm__ volatile("csrrc %0, " #csr ", %1" : "=r"(__v) : "rK"((unsigned long)(val)) : "memory"); \
        __v;                                                                             \
    })

static inline void local_flush_tlb_all(void) { __asm__ volatile("sfence.vma" ::: "memory"); }
static inline void local_flush_tlb_page(unsigned long va)
{
    __asm__ volatile("sfence.vma %0, zero" : : "r"(va) : "memory");
}
static inline void local_flush_icache(void) { __asm__ volatile("fence.i" ::: "memory"); }
static inline void wait_for_interrupt(void) { __asm__ volatile("wfi"); }
static inline uint64_t rdtime(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}
#endif
