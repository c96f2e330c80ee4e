/* Page faults on user addresses: demand-zero and file-backed pages, copy-on-write, the W^X
 * flip of write+exec mappings, and stack growth. Used for faults from user mode and for faults
 * of the kernel's user copies (uaccess). */
#include "kernel.h"
#include "mm.h"
#include "vm.h"
#include "fs.h"
#include "task.h"
#include "string.h"
#include "memlayout.h"
#include "pgtable.h"
#include "vm_internal.h"
#include "smp.h"

#define STACK_GUARD_GAP (256UL * PAGE_SIZE)

/* Grows the stack VMA `v` (VM_GROWSDOWN) down to cover addr, within RLIMIT_STACK and keeping
 * a guard gap above the next mapping below. */
static bool expand_stack(struct mm_struct *mm, struct vma *v, uaddr_t addr)
{
    if (!v || !(v->flags & VM_GROWSDOWN) || addr >= v->start)
        return false;
    uaddr_t new_start = ALIGN_DOWN(addr, PAGE_SIZE);
    uint64_t limit = current->priv ? proc_of(current)->rlim[RLIMIT_STACK].cur : USER_STACK_MAX;
    if (v->end - new_start > limit)
        return false;
    struct vma *prev = v->node.prev != &mm->vmas ? list_entry(v->node.prev, struct vma, node) : NULL;
    if (prev && prev->end + STACK_GUARD_GAP > new_start)
        return false;
    mm->total_vm += v->start - new_start;
    v->start = new_start;
    return true;
}

/* Fills a new private page of a file mapping. */
static int fill_from_file(struct vma *v, uaddr_t va, void *page)
{
    uint64_t off = v->pgoff + (va - v->start);
    if (off >= v->file_end)
        return 0;
    size_t n = (size_t)MIN((uint64_t)PAGE_SIZE, v->file_end - off);
    ssize_t r = kernel_read(v->file, page, n, (loff_t)off);
    if (r < 0)
        return -EIO;
    if (r == 0)
        return -EIO;   /* the page lies wholly past the end of the file: SIGBUS */
    return 0;          /* a short read leaves the rest of the page zero */
}

/* A shared file mapping's fault sets *shared (1: a page was mapped, 2: and made writable by
 * page_mkwrite), for balance_file_pages. */
static int fault_locked(struct mm_struct *mm, uaddr_t addr, int access, int *shared)
{
    struct vma *v = find_vma(mm, addr);
    if (!v)
        return -EFAULT;
    if (addr < v->start && !expand_stack(mm, v, addr))
        return -EFAULT;
    unsigned prot = v->prot;
    if ((access == FAULT_WRITE && !(prot & PROT_WRITE)) ||
        (access == FAULT_EXEC && !(prot & PROT_EXEC)) ||
        (access == FAULT_READ && !(prot & (PROT_READ | PROT_WRITE))))
        return -EACCES;
    uaddr_t va = ALIGN_DOWN(addr, PAGE_SIZE);
    pte_t *pte = pt_walk(mm->pgdir, va, true);
    if (!pte)
        return -ENOMEM;
    bool exec_side = access == FAULT_EXEC;

    if (!pte_has_page(*pte) && v->file && (v->flags & VM_SHARED)) {
        /* A shared file mapping maps the file's page itself, so writes reach the file and the
         * file's writes show through. Past the end of the file: SIGBUS, as in Linux. */
        uint64_t off = v->pgoff + (va - v->start);
        if ((loff_t)off >= file_size(v->file))
            return -EIO;
        void *page;
        int r = v->file->ops->get_page(v->file, off / PAGE_SIZE, &page);
        if (r)
            return r == -ENOMEM ? -ENOMEM : -EIO;
        /* A filesystem that writes pages back learns of each write: until the first one
         * the page is mapped read-only. */
        bool writable = access != FAULT_EXEC;
        if (v->file->ops->page_mkwrite) {
            writable = access == FAULT_WRITE;
            if (writable)
                v->file->ops->page_mkwrite(v->file, off / PAGE_SIZE);
            *shared = writable ? 2 : 1;
        }
        *pte = make_pte(page, pte_prot_bits(prot, writable, exec_side));
        if (prot & PROT_EXEC)
            flush_icache_mm(mm);
        flush_tlb_mm_page(mm, va);
        return 0;
    }
    if (!pte_has_page(*pte) && v->file && access != FAULT_WRITE && v->file->ops->get_page) {
        /* A private file page that is read or executed maps the page-cache page itself,
         * read-only: a write later copies it (the cache's reference makes it shared). Only
         * whole pages inside both the mapping's file range and the file qualify; the partial
         * last page of an ELF segment must read as zeros past its end, so it is copied. */
        uint64_t off = v->pgoff + (va - v->start);
        if (off + PAGE_SIZE <= v->file_end && (loff_t)(off + PAGE_SIZE) <= file_size(v->file)) {
            void *page;
            if (v->file->ops->get_page(v->file, off / PAGE_SIZE, &page) == 0) {
                *pte = make_pte(page, pte_prot_bits(prot, false, exec_side));
                if (prot & PROT_EXEC)
                    flush_icache_mm(mm);
                flush_tlb_mm_page(mm, va);
                return 0;
            }
        }
    }
    if (!pte_has_page(*pte)) {
        void *page = page_alloc();
        if (!page)
            return -ENOMEM;
        if (v->file) {
            int r = fill_from_file(v, va, page);
            if (r) {
                page_free(page);
                return r;
            }
        }
        /* A fresh private page is ours alone: writable at once unless exec was asked. */
        *pte = make_pte(page, pte_prot_bits(prot, access != FAULT_EXEC, exec_side));
        if (prot & PROT_EXEC)
            flush_icache_mm(mm);
        flush_tlb_mm_page(mm, va);
        return 0;
    }

    pte_t e = *pte;
    void *page = pte_page(e);
    if (access == FAULT_WRITE && !(e & PTE_W)) {
        if (!(v->flags & VM_SHARED) && page_refcount(page) > 1) {   /* copy on write */
            void *copy = page_alloc_raw();
            if (!copy)
                return -ENOMEM;
            memcpy(copy, page, PAGE_SIZE);
            page_free(page);
            page = copy;
        } else if ((v->flags & VM_SHARED) && v->file && v->file->ops->page_mkwrite) {
            v->file->ops->page_mkwrite(v->file, (v->pgoff + (va - v->start)) / PAGE_SIZE);
            *shared = 2;
        }
        *pte = make_pte(page, pte_prot_bits(prot, true, false));
    } else if (access == FAULT_EXEC && !(e & PTE_X)) {
        /* W^X flip to executable; a private page may still be COW-shared: keep W off. */
        *pte = make_pte(page, pte_prot_bits(prot, false, true));
        flush_icache_mm(mm);
    } else if (!(e & PTE_V) || (access == FAULT_READ && !(e & PTE_R))) {
        *pte = make_pte(page, pte_prot_bits(prot, (e & PTE_W) != 0, exec_side));
    }
    /* else: a stale TLB entry; the flush below is all it needs. */
    flush_tlb_mm_page(mm, va);
    return 0;
}

int handle_mm_fault(struct mm_struct *mm, uaddr_t addr, int access)
{
    if (!mm || addr >= USER_TOP)
        return -EFAULT;
    for (;;) {
        int shared = 0;
        mutex_lock(&mm->lock);
        int r = fault_locked(mm, addr, access, &shared);
        mutex_unlock(&mm->lock);
        /* Not under mm->lock: the flusher write-protects this very mm, and reclaim unmaps. */
        if (shared)
            balance_file_pages(shared == 2);
        /* Out of pages: the OOM killer frees some (or picks us), then try again. */
        if (r != -ENOMEM || !out_of_memory())
            return r;
    }
}

int user_addr_to_pa(uaddr_t addr, paddr_t *pa)
{
    struct mm_struct *mm = current->mm;
    if (!mm || addr >= USER_TOP)
        return -EFAULT;
    for (int tries = 0; tries < 2; tries++) {
        mutex_lock(&mm->lock);
        pte_t *pte = pt_walk(mm->pgdir, addr, false);
        if (pte && pte_has_page(*pte) && (*pte & PTE_V) && (*pte & PTE_R)) {
            *pa = pte_pa(*pte) + (addr & (PAGE_SIZE - 1));
            mutex_unlock(&mm->lock);
            return 0;
        }
        int shared = 0;
        int r = fault_locked(mm, addr, FAULT_READ, &shared);
        mutex_unlock(&mm->lock);
        if (r)
            return -EFAULT;
    }
    return -EFAULT;
}
