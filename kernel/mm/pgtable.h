/* mm-internal: Sv39 page-table helpers. */
#pragma once
#include "types.h"
#include "asm/csr.h"
#include "asm/entry.h"     /* kernel_pgdir */

typedef unsigned long pte_t;
#define PTE_SW_PAGE (1UL << 8)   /* RSW bit: a page is attached (even when V is clear: PROT_NONE) */
#define PTE_FLAGS_MASK 0x3ffUL

static inline paddr_t pte_pa(pte_t p) { return (p >> PTE_PPN_SHIFT) << 12; }
static inline void *pte_page(pte_t p) { return pa_to_va(pte_pa(p)); }
static inline pte_t make_pte(void *page, unsigned long flags)
{
    return ((va_to_pa(page) >> 12) << PTE_PPN_SHIFT) | flags;
}
static inline bool pte_has_page(pte_t p) { return (p & PTE_SW_PAGE) != 0; }

pte_t *pt_walk(unsigned long *pgdir, uaddr_t va, bool alloc);
/* Hardware permission bits for a page of a VMA with `prot`; `write` and `exec` pick the side
 * of a W+X mapping (a user page is never writable and executable at once). */
unsigned long pte_prot_bits(unsigned prot, bool writable, bool exec_side);
