/* Reports on an address space for procfs: sizes and resident pages, a copy of its VMA list,
 * and reads of its memory (another process's argv and environment). Everything is done
 * under mm->lock; user memory is read through the page tables and the kernel's direct map,
 * never by switching address spaces. */
#include "kernel.h"
#include "mm.h"
#include "vm.h"
#include "fs.h"
#include "string.h"
#include "memlayout.h"
#include "pgtable.h"
#include "vm_internal.h"

/* The page backing addr if one is attached, else NULL (mm->lock held). */
static void *present_page(struct mm_struct *mm, uaddr_t addr)
{
    pte_t *pte = pt_walk(mm->pgdir, addr, false);
    return pte && pte_has_page(*pte) ? pte_page(*pte) : NULL;
}

/* Resident and shared pages in [start, end), skipping absent page tables 2 MiB at a time. */
static void count_resident(struct mm_struct *mm, uaddr_t start, uaddr_t end, uint64_t *rss,
                           uint64_t *shared)
{
    for (uaddr_t va = start; va < end;) {
        pte_t *pte = pt_walk(mm->pgdir, va, false);
        if (!pte) {
            va = ALIGN_DOWN(va, 1UL << 21) + (1UL << 21);
            continue;
        }
        if (pte_has_page(*pte)) {
            (*rss)++;
            if (page_refcount(pte_page(*pte)) > 1)
                (*shared)++;
        }
        va += PAGE_SIZE;
    }
}

void mm_report_usage(struct mm_struct *mm, struct mm_usage *u)
{
    memset(u, 0, sizeof *u);
    mutex_lock(&mm->lock);
    u->arg_start = mm->arg_start;
    u->arg_end = mm->arg_end;
    u->env_start = mm->env_start;
    u->env_end = mm->env_end;
    u->start_brk = mm->brk_start;
    u->brk = mm->brk;
    u->start_stack = mm->arg_start;
    struct vma *v;
    list_for_each_entry(v, &mm->vmas, node) {
        uint64_t size = v->end - v->start, rss = 0, shared = 0;
        u->vsize += size;
        count_resident(mm, v->start, v->end, &rss, &shared);
        u->rss_pages += rss;
        u->shared_pages += shared;
        if (v->file)
            u->rss_file_pages += rss;
        else
            u->rss_anon_pages += rss;
        bool exe = v->file && mm->exe_file && v->file->inode == mm->exe_file->inode;
        if (v->flags & VM_GROWSDOWN) {
            u->stack += size;
        } else if (exe && (v->prot & PROT_EXEC)) {
            u->text += size;
            if (!u->start_code || v->start < u->start_code)
                u->start_code = v->start;
            u->end_code = MAX(u->end_code, v->end);
        } else if (v->file && (v->prot & PROT_EXEC)) {
            u->lib += size;
        } else if ((v->prot & PROT_WRITE) && !(v->flags & VM_SHARED)) {
            u->data += size;
            if (exe) {
                if (!u->start_data || v->start < u->start_data)
                    u->start_data = v->start;
                u->end_data = MAX(u->end_data, v->end);
            }
        }
    }
    mutex_unlock(&mm->lock);
}

int mm_report_vmas(struct mm_struct *mm, struct vma_report *out, int max)
{
    int n = 0;
    mutex_lock(&mm->lock);
    struct vma *v;
    list_for_each_entry(v, &mm->vmas, node) {
        if (n == max)
            break;
        struct vma_report *r = &out[n++];
        r->start = v->start;
        r->end = v->end;
        r->prot = v->prot;
        r->flags = v->flags;
        r->pgoff = v->pgoff;
        r->file = v->file;
        if (r->file)
            file_get(r->file);
        r->is_heap = mm->brk > mm->brk_start && v->start <= mm->brk_start && v->end > mm->brk_start;
        r->rss_pages = r->shared_pages = 0;
        count_resident(mm, v->start, v->end, &r->rss_pages, &r->shared_pages);
    }
    mutex_unlock(&mm->lock);
    return n;
}

size_t mm_read_remote(struct mm_struct *mm, uaddr_t addr, void *buf, size_t n)
{
    size_t done = 0;
    if (addr >= USER_TOP || n > USER_TOP - addr)
        return 0;
    mutex_lock(&mm->lock);
    while (done < n) {
        uaddr_t va = addr + done;
        void *page = present_page(mm, va);
        if (!page)
            break;      /* never touched: nothing the process wrote is there */
        size_t off = va & (PAGE_SIZE - 1);
        size_t chunk = MIN(n - done, (size_t)PAGE_SIZE - off);
        memcpy((char *)buf + done, (char *)page + off, chunk);
        done += chunk;
    }
    mutex_unlock(&mm->lock);
    return done;
}
