/* Sv39 page tables: three levels of 512 entries. The kernel half of every root table is a
 * copy of kernel_pgdir's entries 256..511 (gigapage leaves of the direct map), so it never
 * changes after boot and needs no synchronisation. */
#include "kernel.h"
#include "mm.h"
#include "vm.h"
#include "string.h"
#include "pgtable.h"

pte_t *pt_walk(unsigned long *pgdir, uaddr_t va, bool alloc)
{
    pte_t *table = pgdir;
    for (int level = 2; level > 0; level--) {
        pte_t *e = &table[(va >> (12 + 9 * level)) & 0x1ff];
        if (*e & PTE_V) {
            table = pte_page(*e);
        } else {
            if (!alloc)
                return NULL;
            void *next = page_alloc();
            if (!next)
                return NULL;
            *e = make_pte(next, PTE_V);
            table = next;
        }
    }
    return &table[(va >> 12) & 0x1ff];
}

unsigned long pte_prot_bits(unsigned prot, bool writable, bool exec_side)
{
    unsigned long f = PTE_U | PTE_A | PTE_D | PTE_SW_PAGE;
    if (prot & (PROT_READ | PROT_WRITE | PROT_EXEC))
        f |= PTE_V;
    if (prot & (PROT_READ | PROT_WRITE))
        f |= PTE_R;
    bool w = (prot & PROT_WRITE) && writable;
    bool x = (prot & PROT_EXEC) != 0;
    if (w && x) {   /* W^X: one or the other, flipped on the next fault */
        if (exec_side)
            w = false;
        else
            x = false;
    }
    if (w)
        f |= PTE_W;
    if (x)
        f |= PTE_X;
    return f;
}
