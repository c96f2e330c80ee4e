/* The memory system calls: brk, mmap, munmap, mprotect, mremap, madvise, and friends. */
#include "kernel.h"
#include "mm.h"
#include "vm.h"
#include "fs.h"
#include "task.h"
#include "memlayout.h"
#include "pgtable.h"
#include "vm_internal.h"
#include "smp.h"
#include "syscall.h"

SYSCALL_DEFINE1(brk, uaddr_t, brk)
{
    struct mm_struct *mm = current->mm;
    mutex_lock(&mm->lock);
    uaddr_t cur = mm->brk;
    if (brk < mm->brk_start || brk >= USER_MMAP_BASE)
        goto out;
    uaddr_t old_end = ALIGN_UP(cur, PAGE_SIZE), new_end = ALIGN_UP(brk, PAGE_SIZE);
    if (new_end > old_end) {
        if (proc_of(current)->rlim[RLIMIT_DATA].cur != RLIM_INFINITY &&
            new_end - mm->brk_start > proc_of(current)->rlim[RLIMIT_DATA].cur)
            goto out;
        if (!range_is_free(mm, old_end, new_end))
            goto out;
        struct vma *v = old_end > mm->brk_start ? find_vma(mm, old_end - 1) : NULL;
        if (v && v->end == old_end && !v->file && v->prot == (PROT_READ | PROT_WRITE) && !v->flags) {
            v->end = new_end;
            mm->total_vm += new_end - old_end;
        } else if (mmap_region(mm, old_end, new_end - old_end, PROT_READ | PROT_WRITE, 0, NULL, 0, 0) < 0) {
            goto out;
        }
    } else if (new_end < old_end) {
        do_munmap(mm, new_end, old_end - new_end);
    }
    mm->brk = brk;
out:
    cur = mm->brk;
    mutex_unlock(&mm->lock);
    return (long)cur;
}

SYSCALL_DEFINE6(mmap, uaddr_t, addr, size_t, len, unsigned, prot, unsigned, flags, int, fd,
                uint64_t, offset)
{
    struct mm_struct *mm = current->mm;

    if (len == 0 || (offset & ~PAGE_MASK) ||
        (prot & ~(unsigned)(PROT_READ | PROT_WRITE | PROT_EXEC)))
        return -EINVAL;
    unsigned type = flags & MAP_TYPE;
    if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE)
        return -EINVAL;
    if (len > USER_TOP)
        return -ENOMEM;
    size_t alen = ALIGN_UP(len, PAGE_SIZE);
    bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
    if (fixed && ((addr & ~PAGE_MASK) || addr < USER_BASE || addr + alen > USER_TOP || addr + alen < addr))
        return addr & ~PAGE_MASK ? -EINVAL : -ENOMEM;

    struct file *file = NULL;
    if (!(flags & MAP_ANONYMOUS)) {
        file = fget(fd);
        if (!file)
            return -EBADF;
        unsigned acc = file->flags & O_ACCMODE;
        if (acc == O_WRONLY || (type != MAP_PRIVATE && (prot & PROT_WRITE) && acc != O_RDWR)) {
            file_put(file);
            return -EACCES;
        }
    }
    unsigned vmflags = 0;
    if (type != MAP_PRIVATE) {
        if (!file || file->ops->get_page) {
            vmflags |= VM_SHARED;   /* the file's own page-cache pages are mapped */
        } else if (prot & PROT_WRITE) {
            file_put(file);         /* no page cache to share writes through */
            return -ENODEV;
        }
        /* else: a read-only shared view of a file without a page cache is a private copy. */
    }
    if (flags & MAP_GROWSDOWN)
        vmflags |= VM_GROWSDOWN;

    mutex_lock(&mm->lock);
    long r;
    if (proc_of(current)->rlim[RLIMIT_AS].cur != RLIM_INFINITY &&
        mm->total_vm + alen > proc_of(current)->rlim[RLIMIT_AS].cur) {
        r = -ENOMEM;
    } else if ((flags & MAP_FIXED_NOREPLACE) && !(flags & MAP_FIXED) &&
               !range_is_free(mm, addr, addr + alen)) {
        r = -EEXIST;
    } else {
        if (!fixed) {
            addr = ALIGN_DOWN(addr, PAGE_SIZE);
            if (addr < USER_BASE || addr + alen > USER_TOP || addr + alen < addr ||
                !range_is_free(mm, addr, addr + alen))
                addr = 0;
        }
        r = mmap_region(mm, addr, alen, prot, vmflags, file, offset, UINT64_MAX);
    }
    mutex_unlock(&mm->lock);
    if (file)
        file_put(file);
    return r;
}

SYSCALL_DEFINE2(munmap, uaddr_t, addr, size_t, len)
{
    struct mm_struct *mm = current->mm;
    mutex_lock(&mm->lock);
    int r = do_munmap(mm, addr, len);
    mutex_unlock(&mm->lock);
    return r;
}

/* Splits VMAs so that [start, end) is covered by whole VMAs; -ENOMEM if part is unmapped. */
static int isolate_range(struct mm_struct *mm, uaddr_t start, uaddr_t end)
{
    uaddr_t at = start;
    struct vma *v = find_vma(mm, start);
    while (at < end) {
        if (!v || v->start > at)
            return -ENOMEM;
        if (v->start < at) {
            v = vma_split(v, at);
            if (!v)
                return -ENOMEM;
        }
        if (v->end > end && !vma_split(v, end))
            return -ENOMEM;
        at = v->end;
        v = v->node.next != &mm->vmas ? list_entry(v->node.next, struct vma, node) : NULL;
    }
    return 0;
}

SYSCALL_DEFINE3(mprotect, uaddr_t, start, size_t, len, unsigned, prot)
{
    len = ALIGN_UP(len, PAGE_SIZE);
    prot &= ~(unsigned)(PROT_GROWSDOWN | PROT_GROWSUP);     /* accepted, ignored */
    if ((start & ~PAGE_MASK) || (prot & ~(unsigned)(PROT_READ | PROT_WRITE | PROT_EXEC)))
        return -EINVAL;
    if (len == 0)
        return 0;
    uaddr_t end = start + len;
    if (end > USER_TOP || end < start)
        return -ENOMEM;
    struct mm_struct *mm = current->mm;
    mutex_lock(&mm->lock);
    int r = isolate_range(mm, start, end);
    if (r == 0) {
        struct vma *v = find_vma(mm, start);
        for (; v && v->start < end; v = v->node.next != &mm->vmas ? list_entry(v->node.next, struct vma, node) : NULL) {
            if (v->flags & VM_SPECIAL)
                continue;
            v->prot = prot;
            for (uaddr_t va = v->start; va < v->end; va += PAGE_SIZE) {
                pte_t *pte = pt_walk(mm->pgdir, va, false);
                if (!pte || !pte_has_page(*pte))
                    continue;
                bool w = (*pte & PTE_W) != 0, x = (*pte & PTE_X) != 0;
                *pte = make_pte(pte_page(*pte), pte_prot_bits(prot, w, x || !w));
            }
        }
        flush_tlb_mm(mm);
        flush_icache_mm(mm);
    }
    mutex_unlock(&mm->lock);
    return r;
}

static void move_ptes(struct mm_struct *mm, uaddr_t from, uaddr_t to, size_t len)
{
    for (size_t off = 0; off < len; off += PAGE_SIZE) {
        pte_t *src = pt_walk(mm->pgdir, from + off, false);
        if (!src || !pte_has_page(*src))
            continue;
        pte_t *dst = pt_walk(mm->pgdir, to + off, true);
        if (!dst)
            continue;   /* out of memory: the page is dropped with the old range */
        *dst = *src;
        *src = 0;
    }
    flush_tlb_mm(mm);
}

SYSCALL_DEFINE5(mremap, uaddr_t, addr, size_t, old_len, size_t, new_len, unsigned, flags,
                uaddr_t, new_addr)
{
    uaddr_t old = addr, newaddr = new_addr;
    size_t oldlen = ALIGN_UP(old_len, PAGE_SIZE), newlen = ALIGN_UP(new_len, PAGE_SIZE);
    if ((old & ~PAGE_MASK) || (flags & ~(unsigned)(MREMAP_MAYMOVE | MREMAP_FIXED)) ||
        newlen == 0 ||
        ((flags & MREMAP_FIXED) && (!(flags & MREMAP_MAYMOVE) || (newaddr & ~PAGE_MASK))))
        return -EINVAL;
    if (old >= USER_TOP || oldlen > USER_TOP - old || newlen > USER_TOP)
        return -EFAULT;
    struct mm_struct *mm = current->mm;
    mutex_lock(&mm->lock);
    long r;
    struct vma *v = find_vma(mm, old);
    if (!v || v->start > old || v->end < old + oldlen || oldlen == 0 || (v->flags & VM_SPECIAL)) {
        r = -EFAULT;
        goto out;
    }
    if (!(flags & MREMAP_FIXED) && newlen <= oldlen) {
        if (newlen < oldlen)
            do_munmap(mm, old + newlen, oldlen - newlen);
        r = (long)old;
        goto out;
    }
    if (!(flags & MREMAP_FIXED) && v->end == old + oldlen &&
        range_is_free(mm, old + oldlen, old + newlen) && old + newlen <= USER_TOP) {
        v->end = old + newlen;
        mm->total_vm += newlen - oldlen;
        r = (long)old;
        goto out;
    }
    if (!(flags & MREMAP_MAYMOVE)) {
        r = -ENOMEM;
        goto out;
    }
    /* Move: a new VMA like the old one, the pages' PTEs moved over, the old range unmapped. */
    size_t movelen = MIN(oldlen, newlen);
    uint64_t pgoff = v->pgoff + (old - v->start);
    if (flags & MREMAP_FIXED) {
        if (newaddr < USER_BASE || newaddr + newlen > USER_TOP ||
            (newaddr < old + oldlen && old < newaddr + newlen)) {
            r = -EINVAL;
            goto out;
        }
        do_munmap(mm, newaddr, newlen);
    } else {
        newaddr = 0;
    }
    unsigned vmflags = v->flags & ~VM_SHARED;   /* shared pages are moved, not re-populated */
    r = mmap_region(mm, newaddr, newlen, v->prot, vmflags, v->file, pgoff, v->file_end);
    if (r < 0)
        goto out;
    struct vma *nv = find_vma(mm, (uaddr_t)r);
    nv->flags = v->flags;
    move_ptes(mm, old, (uaddr_t)r, movelen);
    do_munmap(mm, old, oldlen);
out:
    mutex_unlock(&mm->lock);
    return r;
}

/* Advice Linux knows (uapi/mman.h's MADV_*): every other value is -EINVAL, as in Linux. All
 * but MADV_DONTNEED are hints that need no action here. */
static bool madvise_known(long behavior)
{
    return (behavior >= MADV_NORMAL && behavior <= MADV_DONTNEED) ||
           (behavior >= MADV_FREE && behavior <= MADV_POPULATE_WRITE);
}

/* behavior is compared whole (Linux truncates it to int first). */
SYSCALL_DEFINE3(madvise, uaddr_t, start, size_t, len_in, long, behavior)
{
    size_t len = ALIGN_UP(len_in, PAGE_SIZE);
    if (start & ~PAGE_MASK)
        return -EINVAL;
    if (!madvise_known(behavior))
        return -EINVAL;
    if (behavior != MADV_DONTNEED)
        return 0;
    uaddr_t end = start + len;
    if (end > USER_TOP || end < start)
        return -EINVAL;
    struct mm_struct *mm = current->mm;
    mutex_lock(&mm->lock);
    struct vma *v;
    list_for_each_entry(v, &mm->vmas, node) {
        if (v->end <= start || (v->flags & (VM_SHARED | VM_SPECIAL)))
            continue;
        if (v->start >= end)
            break;
        unmap_pages(mm, MAX(v->start, start), MIN(v->end, end));
    }
    mutex_unlock(&mm->lock);
    return 0;
}

/* The whole cache of every hart running this process is flushed, so the range (start, end)
 * and the flags do not matter. */
SYSCALL_DEFINE0(riscv_flush_icache)
{
    flush_icache_mm(current->mm);
    return 0;
}

/* MS_SYNC writes back the files of the shared file mappings in the range (their fsync: the
 * page cache's dirty pages, then the filesystem's own); MS_ASYNC leaves it to the next sync.
 * flags is checked whole (Linux truncates it to int first). */
#define MSYNC_MAX_FILES 16
SYSCALL_DEFINE3(msync, uaddr_t, start, size_t, len, long, flags)
{
    if ((start & ~PAGE_MASK) || (flags & ~(long)(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) ||
        ((flags & MS_ASYNC) && (flags & MS_SYNC)))
        return -EINVAL;
    if (!(flags & MS_SYNC))
        return 0;
    uaddr_t end = start + ALIGN_UP(len, PAGE_SIZE);
    if (end < start)
        return -ENOMEM;
    /* The files are collected under mm->lock and synced without it (a sync may fault), a
     * batch at a time. */
    struct mm_struct *mm = current->mm;
    long err = 0;
    while (start < end) {
        struct file *files[MSYNC_MAX_FILES];
        size_t n = 0;
        uaddr_t next = end;
        mutex_lock(&mm->lock);
        struct vma *v;
        list_for_each_entry(v, &mm->vmas, node) {
            if (v->end <= start || !v->file || !(v->flags & VM_SHARED))
                continue;
            if (v->start >= end)
                break;
            if (n == MSYNC_MAX_FILES) {
                next = v->start;
                break;
            }
            file_get(v->file);
            files[n++] = v->file;
        }
        mutex_unlock(&mm->lock);
        for (size_t i = 0; i < n; i++) {
            if (files[i]->ops->fsync) {
                int e = files[i]->ops->fsync(files[i]);
                if (!err)
                    err = e;
            }
            file_put(files[i]);
        }
        start = next;
    }
    return err;
}

/* Nothing is ever paged out: locking and unlocking always succeed, whatever the arguments. */
SYSCALL_DEFINE0(mlock)
{
    return 0;
}

SYSCALL_DEFINE0(munlock)
{
    return 0;
}

SYSCALL_DEFINE0(mlockall)
{
    return 0;
}

SYSCALL_DEFINE0(munlockall)
{
    return 0;
}
