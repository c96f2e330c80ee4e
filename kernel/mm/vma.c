/* Address spaces: the sorted VMA list, mapping and unmapping, fork's copy-on-write copy. */
#include "kernel.h"
#include "mm.h"
#include "vm.h"
#include "fs.h"
#include "string.h"
#include "memlayout.h"
#include "pgtable.h"
#include "vm_internal.h"
#include "smp.h"
#include "asm/cpu.h"
#include "procinfo.h"

static void *trampoline_page;

/* The signal return trampoline: li a7, 139; ecall (rt_sigreturn). */
void vm_init(void)
{
    kernel_pgdir[2] = 0;   /* the boot identity map is no longer needed */
    local_flush_tlb_all();
    trampoline_page = page_alloc();
    if (!trampoline_page)
        panic("no memory for the sigreturn trampoline");
    uint32_t *code = trampoline_page;
    code[0] = 0x08b00893;   /* addi a7, zero, 139 */
    code[1] = 0x00000073;   /* ecall */
    local_flush_icache();
}

struct vma *vma_alloc(void) { return kzalloc(sizeof(struct vma)); }

void vma_free(struct vma *v)
{
    if (v->ops && v->ops->close)
        v->ops->close(v);
    if (v->file)
        file_put(v->file);
    kfree(v);
}

/* The first VMA that ends above addr, or NULL. */
struct vma *find_vma(struct mm_struct *mm, uaddr_t addr)
{
    struct vma *v;
    list_for_each_entry(v, &mm->vmas, node)
        if (v->end > addr)
            return v;
    return NULL;
}

void vma_insert(struct mm_struct *mm, struct vma *nv)
{
    struct list_head *pos;
    list_for_each(pos, &mm->vmas) {
        if (list_entry(pos, struct vma, node)->start >= nv->end)
            break;
    }
    __list_add(&nv->node, pos->prev, pos);
    mm->total_vm += nv->end - nv->start;
}

/* Splits v at addr (strictly inside it); returns the upper part, or NULL without memory. */
struct vma *vma_split(struct vma *v, uaddr_t addr)
{
    struct vma *hi = vma_alloc();
    if (!hi)
        return NULL;
    *hi = *v;
    hi->start = addr;
    if (v->file) {
        hi->pgoff = v->pgoff + (addr - v->start);
        file_get(v->file);
    }
    v->end = addr;
    __list_add(&hi->node, &v->node, v->node.next);
    if (hi->ops) {
        hi->pgoff = v->pgoff + (addr - v->start);
        if (hi->ops->open)
            hi->ops->open(hi);
    }
    return hi;
}

#define PT_SPAN (1UL << 21)   /* what one level-0 table maps */

/* Frees unmapped pages once no hart can reach them through its TLB. One flush for a batch:
 * each sfence.vma empties QEMU's whole software TLB, so flushing page by page made every
 * munmap and exit pay for it many times over. */
static void unmap_flush(struct mm_struct *mm, void **pages, unsigned n, uaddr_t last_va)
{
    if (n == 0)
        return;
    if (n == 1)
        flush_tlb_mm_page(mm, last_va);
    else
        flush_tlb_mm(mm);
    for (unsigned i = 0; i < n; i++)
        page_free(pages[i]);
}

/* Drops the pages mapped in [start, end) (page tables stay). */
void unmap_pages(struct mm_struct *mm, uaddr_t start, uaddr_t end)
{
    void *batch[64];
    unsigned n = 0;
    uaddr_t last_va = 0;
    for (uaddr_t va = start; va < end;) {
        uaddr_t span_end = MIN(end, ALIGN_DOWN(va, PT_SPAN) + PT_SPAN);
        pte_t *pte = pt_walk(mm->pgdir, va, false);
        if (!pte) {   /* no level-0 table here */
            va = span_end;
            continue;
        }
        for (; va < span_end; va += PAGE_SIZE, pte++) {
            if (!pte_has_page(*pte))
                continue;
            if (n == ARRAY_SIZE(batch)) {
                unmap_flush(mm, batch, n, last_va);
                n = 0;
            }
            batch[n++] = pte_page(*pte);
            last_va = va;
            *pte = 0;
        }
    }
    unmap_flush(mm, batch, n, last_va);
}

int do_munmap(struct mm_struct *mm, uaddr_t addr, size_t len)
{
    if ((addr & ~PAGE_MASK) || addr >= USER_TOP)
        return -EINVAL;
    len = ALIGN_UP(len, PAGE_SIZE);
    if (len == 0 || len > USER_TOP - addr)
        return -EINVAL;
    uaddr_t end = addr + len;
    struct vma *v, *n;
    list_for_each_entry_safe(v, n, &mm->vmas, node) {
        if (v->end <= addr)
            continue;
        if (v->start >= end)
            break;
        if (v->start < addr) {          /* keep the head */
            struct vma *hi = vma_split(v, addr);
            if (!hi)
                return -ENOMEM;
            n = hi;                     /* continue with the part inside the range */
            continue;
        }
        if (v->end > end) {             /* keep the tail */
            if (!vma_split(v, end))
                return -ENOMEM;
        }
        unmap_pages(mm, v->start, v->end);
        mm->total_vm -= v->end - v->start;
        list_del(&v->node);
        vma_free(v);
    }
    return 0;
}

/* Lowest free gap of len bytes at or above `from`. */
static uaddr_t find_free_area(struct mm_struct *mm, uaddr_t from, size_t len)
{
    uaddr_t cand = from;
    struct vma *v;
    list_for_each_entry(v, &mm->vmas, node) {
        if (v->end <= cand)
            continue;
        if (v->start >= cand + len)
            break;
        cand = v->end;
    }
    if (cand + len > SIGRETURN_TRAMPOLINE - (USER_STACK_MAX + (1UL << 20)) || cand + len < cand)
        return 0;
    return cand;
}

bool range_is_free(struct mm_struct *mm, uaddr_t start, uaddr_t end)
{
    struct vma *v = find_vma(mm, start);
    return !v || v->start >= end;
}

long mmap_region(struct mm_struct *mm, uaddr_t addr, size_t len, unsigned prot, unsigned vmflags,
                 struct file *file, uint64_t pgoff, uint64_t file_end)
{
    len = ALIGN_UP(len, PAGE_SIZE);
    if (addr == 0) {
        addr = find_free_area(mm, mm->mmap_base, len);
        if (!addr)
            return -ENOMEM;
    } else {
        int r = do_munmap(mm, addr, len);   /* MAP_FIXED replaces */
        if (r)
            return r;
    }
    struct vma *v = vma_alloc();
    if (!v)
        return -ENOMEM;
    v->start = addr;
    v->end = addr + len;
    v->prot = prot;
    v->flags = vmflags;
    v->file = file;
    if (file)
        file_get(file);
    v->pgoff = pgoff;
    v->file_end = file_end;
    vma_insert(mm, v);
    if (vmflags & VM_SHARED && !file) {
        /* Shared anonymous memory has no backing object: populate it now, so fork shares
         * the very pages. */
        for (uaddr_t va = v->start; va < v->end; va += PAGE_SIZE) {
            pte_t *pte = pt_walk(mm->pgdir, va, true);
            void *pg = pte ? page_alloc() : NULL;
            if (!pg) {
                do_munmap(mm, v->start, len);
                return -ENOMEM;
            }
            *pte = make_pte(pg, pte_prot_bits(prot, true, false));
        }
    }
    return (long)addr;
}

long mmap_pages(struct mm_struct *mm, uaddr_t addr, size_t len, unsigned prot, void **pages,
                uint64_t pgoff, const struct vm_operations *ops, void *private)
{
    len = ALIGN_UP(len, PAGE_SIZE);
    if (addr == 0) {
        addr = find_free_area(mm, mm->mmap_base, len);
        if (!addr)
            return -ENOMEM;
    } else {
        int r = do_munmap(mm, addr, len);
        if (r)
            return r;
    }
    struct vma *v = vma_alloc();
    if (!v)
        return -ENOMEM;
    /* Page tables first: a failure leaves nothing mapped. */
    for (uaddr_t va = addr; va < addr + len; va += PAGE_SIZE) {
        if (!pt_walk(mm->pgdir, va, true)) {
            kfree(v);
            return -ENOMEM;
        }
    }
    v->start = addr;
    v->end = addr + len;
    v->prot = prot;
    v->flags = VM_SHARED | ((prot & PROT_WRITE) ? 0 : VM_NOMAYWRITE);
    v->pgoff = pgoff;
    v->ops = ops;
    v->private = private;
    vma_insert(mm, v);
    for (size_t i = 0; i < len / PAGE_SIZE; i++) {
        pte_t *pte = pt_walk(mm->pgdir, addr + i * PAGE_SIZE, false);
        page_get(pages[i]);
        *pte = make_pte(pages[i], pte_prot_bits(prot, true, false));
    }
    if (ops && ops->open)
        ops->open(v);
    return (long)addr;
}

struct mm_struct *mm_create(void)
{
    struct mm_struct *mm = kzalloc(sizeof *mm);
    if (!mm)
        return NULL;
    mm->pgdir = page_alloc();
    if (!mm->pgdir) {
        kfree(mm);
        return NULL;
    }
    memcpy(mm->pgdir + 256, kernel_pgdir + 256, 256 * sizeof(pte_t));
    mm->refcount = 1;
    mutex_init(&mm->lock);
    list_init(&mm->vmas);
    mm->mmap_base = USER_MMAP_BASE;
    /* The trampoline: a one-page special VMA, its page shared by every process. */
    struct vma *v = vma_alloc();
    pte_t *pte = pt_walk(mm->pgdir, SIGRETURN_TRAMPOLINE, true);
    if (!v || !pte) {
        kfree(v);
        mm_put(mm);
        return NULL;
    }
    v->start = SIGRETURN_TRAMPOLINE;
    v->end = SIGRETURN_TRAMPOLINE + PAGE_SIZE;
    v->prot = PROT_READ | PROT_EXEC;
    v->flags = VM_SHARED | VM_SPECIAL;
    vma_insert(mm, v);
    page_get(trampoline_page);
    *pte = make_pte(trampoline_page, pte_prot_bits(v->prot, false, true));
    return mm;
}

void mm_get(struct mm_struct *mm) { __atomic_add_fetch(&mm->refcount, 1, __ATOMIC_RELAXED); }

static void free_table(pte_t *table, int level)
{
    for (int i = 0; i < 512; i++) {
        pte_t e = table[i];
        if (!(e & PTE_V) || level == 0)
            continue;
        if (!(e & (PTE_R | PTE_W | PTE_X)))
            free_table(pte_page(e), level - 1);
    }
    page_free(table);
}

void mm_put(struct mm_struct *mm)
{
    if (__atomic_sub_fetch(&mm->refcount, 1, __ATOMIC_ACQ_REL))
        return;
    struct vma *v, *n;
    list_for_each_entry_safe(v, n, &mm->vmas, node) {
        unmap_pages(mm, v->start, v->end);
        list_del(&v->node);
        vma_free(v);
    }
    for (int i = 0; i < 256; i++)
        if (mm->pgdir[i] & PTE_V)
            free_table(pte_page(mm->pgdir[i]), 1);
    page_free(mm->pgdir);
    if (mm->exe_file)
        file_put(mm->exe_file);
    kfree(mm);
}

void mm_activate(struct mm_struct *mm)
{
    unsigned long *root = mm ? mm->pgdir : kernel_pgdir;
    /* Published before satp changes, for TLB shootdowns (smp.c). */
    this_cpu()->active_mm = mm;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    csr_write(satp, SATP_SV39 | (va_to_pa(root) >> 12));
    local_flush_tlb_all();
}

/* fork: the same VMAs; private writable pages become read-only in both and shared (COW),
 * shared pages are simply shared. */
struct mm_struct *mm_fork(struct mm_struct *old)
{
    struct mm_struct *mm = kzalloc(sizeof *mm);
    if (!mm)
        return NULL;
    mm->pgdir = page_alloc();
    if (!mm->pgdir) {
        kfree(mm);
        return NULL;
    }
    memcpy(mm->pgdir + 256, kernel_pgdir + 256, 256 * sizeof(pte_t));
    mm->refcount = 1;
    mutex_init(&mm->lock);
    list_init(&mm->vmas);
    mutex_lock(&old->lock);
    mm->brk_start = old->brk_start;
    mm->brk = old->brk;
    mm->mmap_base = old->mmap_base;
    mm->arg_start = old->arg_start;
    mm->arg_end = old->arg_end;
    mm->env_start = old->env_start;
    mm->env_end = old->env_end;
    mm->exe_file = old->exe_file;
    if (mm->exe_file)
        file_get(mm->exe_file);
    struct vma *v;
    list_for_each_entry(v, &old->vmas, node) {
        struct vma *nv = vma_alloc();
        if (!nv)
            goto fail;
        *nv = *v;
        if (nv->file)
            file_get(nv->file);
        if (nv->ops && nv->ops->open)
            nv->ops->open(nv);
        list_add_tail(&nv->node, &mm->vmas);
        mm->total_vm += v->end - v->start;
        /* Level-0 tables hold a 2 MiB span's entries side by side: walk once per span. */
        for (uaddr_t va = v->start; va < v->end;) {
            uaddr_t span_start = va, span_end = MIN(v->end, ALIGN_DOWN(va, PT_SPAN) + PT_SPAN);
            pte_t *src = pt_walk(old->pgdir, va, false), *dst = NULL;
            if (!src) {
                va = span_end;
                continue;
            }
            for (; va < span_end; va += PAGE_SIZE, src++) {
                if (!pte_has_page(*src))
                    continue;
                if (!dst && !(dst = pt_walk(mm->pgdir, span_start, true)))
                    goto fail;
                if (!(v->flags & VM_SHARED))
                    *src &= ~PTE_W;
                page_get(pte_page(*src));
                dst[(va - span_start) >> PAGE_SHIFT] = *src;
            }
        }
    }
    mutex_unlock(&old->lock);
    flush_tlb_mm(old);   /* its other threads may run on other harts */
    return mm;
fail:
    mutex_unlock(&old->lock);
    flush_tlb_mm(old);
    mm_put(mm);
    return NULL;
}

bool vma_is_shared(struct mm_struct *mm, uaddr_t addr)
{
    mutex_lock(&mm->lock);
    struct vma *v = find_vma(mm, addr);
    bool shared = v && v->start <= addr && (v->flags & VM_SHARED) && !(v->flags & VM_SPECIAL);
    mutex_unlock(&mm->lock);
    return shared;
}

/* Call fn on every process's address space with its mm->lock held, until fn returns false.
 * There is no reverse map: file-page changes that must reach every mapping walk them all. */
static void for_each_mm_locked(bool (*fn)(struct mm_struct *mm, void *ctx), void *ctx)
{
    pid_t pids[32];
    for (pid_t next = 1;;) {
        int n = procinfo_list_pids(next, pids, ARRAY_SIZE(pids));
        if (n <= 0)
            return;
        for (int i = 0; i < n; i++) {
            struct mm_struct *mm = procinfo_get_mm(pids[i]);
            if (!mm)
                continue;
            mutex_lock(&mm->lock);
            bool more = fn(mm, ctx);
            mutex_unlock(&mm->lock);
            mm_put(mm);
            if (!more)
                return;
        }
        next = pids[n - 1] + 1;
    }
}

struct unmap_file_ctx {
    struct inode *inode;
    uint64_t from;
};

static bool unmap_file_in(struct mm_struct *mm, void *arg)
{
    struct unmap_file_ctx *c = arg;
    struct vma *v;
    list_for_each_entry(v, &mm->vmas, node) {
        if (!v->file || v->file->inode != c->inode || v->pgoff + (v->end - v->start) <= c->from)
            continue;
        unmap_pages(mm, c->from > v->pgoff ? v->start + (c->from - v->pgoff) : v->start, v->end);
    }
    return true;
}

void unmap_file_pages(struct inode *inode, uint64_t from)
{
    struct unmap_file_ctx c = { inode, ALIGN_UP(from, (uint64_t)PAGE_SIZE) };
    for_each_mm_locked(unmap_file_in, &c);
}

struct wrprotect_ctx {
    struct super_block *sb;
    struct inode *inode;
};

static bool wrprotect_in(struct mm_struct *mm, void *arg)
{
    struct wrprotect_ctx *c = arg;
    bool changed = false;
    struct vma *v;
    list_for_each_entry(v, &mm->vmas, node) {
        if (!v->file || !(v->flags & VM_SHARED) || !(v->prot & PROT_WRITE) ||
            (c->inode ? v->file->inode != c->inode : v->file->inode->sb != c->sb))
            continue;
        for (uaddr_t va = v->start; va < v->end;) {
            pte_t *pte = pt_walk(mm->pgdir, va, false);
            if (!pte) {       /* no level-0 table here */
                va = ALIGN_DOWN(va, PT_SPAN) + PT_SPAN;
                continue;
            }
            if (pte_has_page(*pte) && (*pte & PTE_W)) {
                /* Not writable, so executable if the mapping is (W^X, as mprotect). */
                *pte = make_pte(pte_page(*pte), pte_prot_bits(v->prot, false, true));
                changed = true;
            }
            va += PAGE_SIZE;
        }
    }
    if (changed)
        flush_tlb_mm(mm);
    return true;
}

void wrprotect_file_pages(struct super_block *sb, struct inode *inode)
{
    struct wrprotect_ctx c = { sb, inode };
    for_each_mm_locked(wrprotect_in, &c);
}

/* One address space's part of unmap_clean_file_pages (mm->lock held): up to `want` pages. */
static size_t unmap_clean_in(struct mm_struct *mm, size_t want)
{
    void *batch[64];
    unsigned n = 0;
    uaddr_t last_va = 0;
    size_t done = 0;
    struct vma *v;
    list_for_each_entry(v, &mm->vmas, node) {
        if (!v->file || !(v->flags & VM_SHARED) || !v->file->ops->page_mkwrite)
            continue;
        for (uaddr_t va = v->start; va < v->end && done < want;) {
            pte_t *pte = pt_walk(mm->pgdir, va, false);
            if (!pte) {       /* no level-0 table here */
                va = ALIGN_DOWN(va, PT_SPAN) + PT_SPAN;
                continue;
            }
            /* Writable: maybe dirty since the last write-back, so it stays. */
            if (pte_has_page(*pte) && !(*pte & PTE_W)) {
                if (n == ARRAY_SIZE(batch)) {
                    unmap_flush(mm, batch, n, last_va);
                    n = 0;
                }
                batch[n++] = pte_page(*pte);
                last_va = va;
                *pte = 0;
                done++;
            }
            va += PAGE_SIZE;
        }
    }
    unmap_flush(mm, batch, n, last_va);
    return done;
}

struct unmap_clean_ctx {
    size_t want, done;
};

static bool unmap_clean_step(struct mm_struct *mm, void *arg)
{
    struct unmap_clean_ctx *c = arg;
    c->done += unmap_clean_in(mm, c->want - c->done);
    return c->done < c->want;
}

size_t unmap_clean_file_pages(size_t want)
{
    struct unmap_clean_ctx c = { want, 0 };
    if (want)
        for_each_mm_locked(unmap_clean_step, &c);
    return c.done;
}
