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
    if (r == 0 && (prot & PROT_WRITE)) {
        /* Linux's VM_MAYWRITE: what was mapped read-only for good stays so (EACCES). */
        for (struct vma *v = find_vma(mm, start); v && v->start < end;
             v = v->node.next != &mm->vmas ? list_entry(v->node.next, struct vma, node) : NULL)
            if (v->flags & VM_NOMAYWRITE)
                r = -EACCES;
    }
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
    if (v->ops && newlen > oldlen) {
        r = -EINVAL;    /* an owner's object (SysV shm) does not grow with its mapping */
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
    if (v->ops) {       /* the owner hears of the copy before the old VMA's close */
        nv->ops = v->ops;
        nv->private = v->private;
        nv->pgoff = pgoff;
        if (nv->ops->open)
            nv->ops->open(nv);
    }
    move_ptes(mm, old, (uaddr_t)r, movelen);
    do_munmap(mm, old, oldlen);
out:
    mutex_unlock(&mm->lock);
    return r;
}

/* How far [start, end) is mapped: 0 if whole VMAs cover it, -ENOMEM if there is a hole
 * anywhere in it (what mlock, munlock, msync and madvise report; kernel addresses are beyond
 * every VMA, so they land here too). mm->lock held. */
static int range_mapped(struct mm_struct *mm, uaddr_t start, uaddr_t end)
{
    uaddr_t at = start;
    for (struct vma *v = find_vma(mm, start); v && at < end;
         v = v->node.next != &mm->vmas ? list_entry(v->node.next, struct vma, node) : NULL) {
        if (v->start > at)
            return -ENOMEM;
        at = v->end;
    }
    return at >= end ? 0 : -ENOMEM;
}

/* What each advice Linux (riscv64, no KSM, THP or memory-failure) accepts does here. Nothing
 * is ever paged out, so the access-pattern and paging hints have nothing to change. */
enum madv_action { MADV_INVALID = 0, MADV_HINT, MADV_DROP };
static const unsigned char madv_actions[] = {
    [MADV_NORMAL] = MADV_HINT,        [MADV_RANDOM] = MADV_HINT,
    [MADV_SEQUENTIAL] = MADV_HINT,    [MADV_WILLNEED] = MADV_HINT,
    [MADV_DONTNEED] = MADV_DROP,      [MADV_FREE] = MADV_DROP,
    [MADV_REMOVE] = MADV_HINT,        [MADV_DONTFORK] = MADV_HINT,
    [MADV_DOFORK] = MADV_HINT,        [MADV_DONTDUMP] = MADV_HINT,
    [MADV_DODUMP] = MADV_HINT,        [MADV_WIPEONFORK] = MADV_HINT,
    [MADV_KEEPONFORK] = MADV_HINT,    [MADV_COLD] = MADV_HINT,
    [MADV_PAGEOUT] = MADV_HINT,       [MADV_POPULATE_READ] = MADV_HINT,
    [MADV_POPULATE_WRITE] = MADV_HINT, [MADV_DONTNEED_LOCKED] = MADV_DROP,
};

/* behavior is an int, as in Linux: the upper half of the register is ignored. */
SYSCALL_DEFINE3(madvise, uaddr_t, start, size_t, len_in, int, behavior)
{
    if (behavior < 0 || (size_t)behavior >= ARRAY_SIZE(madv_actions) ||
        madv_actions[behavior] == MADV_INVALID)
        return -EINVAL;
    size_t len = ALIGN_UP(len_in, PAGE_SIZE);
    if ((start & ~PAGE_MASK) || (len_in && !len))
        return -EINVAL;
    uaddr_t end = start + len;
    if (end < start)
        return -EINVAL;
    if (end == start)
        return 0;
    struct mm_struct *mm = current->mm;
    mutex_lock(&mm->lock);
    int r = range_mapped(mm, start, end);
    if (madv_actions[behavior] == MADV_DROP) {
        /* The mapped parts are dropped even when there is a hole, as in Linux. */
        struct vma *v;
        list_for_each_entry(v, &mm->vmas, node) {
            if (v->end <= start || (v->flags & (VM_SHARED | VM_SPECIAL)))
                continue;
            if (v->start >= end)
                break;
            unmap_pages(mm, MAX(v->start, start), MIN(v->end, end));
        }
    }
    mutex_unlock(&mm->lock);
    return r;
}

/* The whole cache of every hart running this process is flushed, so the range (start, end)
 * and the flags do not matter. */
SYSCALL_DEFINE0(riscv_flush_icache)
{
    flush_icache_mm(current->mm);
    return 0;
}

/* The file of the first shared file mapping in [*at, end) that can be synced, with a
 * reference (file_put); *at moves past that mapping. NULL: none is left. */
static struct file *next_shared_file(struct mm_struct *mm, uaddr_t *at, uaddr_t end)
{
    struct file *f = NULL;
    mutex_lock(&mm->lock);
    for (struct vma *v = find_vma(mm, *at); v && v->start < end && !f;
         v = v->node.next != &mm->vmas ? list_entry(v->node.next, struct vma, node) : NULL) {
        *at = v->end;
        if ((v->flags & VM_SHARED) && v->file && v->file->ops->fsync) {
            f = v->file;
            file_get(f);
        }
    }
    mutex_unlock(&mm->lock);
    return f;
}

/* Shared mappings are the page cache itself; MS_SYNC writes back and makes durable the files
 * they map, as Linux's vfs_fsync_range for each shared file mapping of the range (the whole
 * file here: fsync is what the filesystems offer), outside mm->lock, which write-back's
 * write-protecting takes. MS_ASYNC has nothing to start: the flusher writes dirty pages
 * within seconds. flags is an int, as in Linux. */
SYSCALL_DEFINE3(msync, uaddr_t, start, size_t, len, int, flags)
{
    if ((start & ~PAGE_MASK) || (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) ||
        ((flags & MS_ASYNC) && (flags & MS_SYNC)))
        return -EINVAL;
    uaddr_t end = start + ALIGN_UP(len, PAGE_SIZE);
    if (end < start)
        return -ENOMEM;
    if (end == start)
        return 0;
    struct mm_struct *mm = current->mm;
    mutex_lock(&mm->lock);
    int r = range_mapped(mm, start, end);
    mutex_unlock(&mm->lock);
    if (!(flags & MS_SYNC))
        return r;
    struct file *f;
    for (uaddr_t at = start; (f = next_shared_file(mm, &at, end));) {
        int e = f->ops->fsync(f);
        file_put(f);
        if (e) {
            r = e;
            break;
        }
    }
    return r;
}

/* Nothing is ever paged out, so a lock has nothing to hold; mlock still checks the range as
 * Linux does and faults the pages in, which is what "resident" means here. RLIMIT_MEMLOCK
 * applies to each call on its own: locked pages are not accounted across calls. */
static long lock_range(uaddr_t start, size_t len, bool populate)
{
    uint64_t memlock = proc_of(current)->rlim[RLIMIT_MEMLOCK].cur;
    bool root = current->cred.euid == 0;
    if (populate && memlock == 0 && !root)
        return -EPERM;
    size_t off = start & ~PAGE_MASK;
    len = (len + off + PAGE_SIZE - 1) & PAGE_MASK;   /* wraps for huge lengths, as in Linux */
    start -= off;
    if (populate && !root && memlock != RLIM_INFINITY && len / PAGE_SIZE > memlock / PAGE_SIZE)
        return -ENOMEM;
    uaddr_t end = start + len;
    if (end < start)
        return -EINVAL;
    if (end == start)
        return 0;
    struct mm_struct *mm = current->mm;
    mutex_lock(&mm->lock);
    int r = range_mapped(mm, start, end);
    mutex_unlock(&mm->lock);
    if (r || !populate)
        return r;
    for (uaddr_t va = start; va < end; va += PAGE_SIZE) {
        mutex_lock(&mm->lock);
        struct vma *v = find_vma(mm, va);
        unsigned prot = v && v->start <= va ? v->prot : 0;
        bool write = (prot & PROT_WRITE) && !(v->flags & VM_SHARED);
        pte_t *pte = pt_walk(mm->pgdir, va, false);
        bool present = pte && pte_has_page(*pte) && (!write || (*pte & PTE_W));
        mutex_unlock(&mm->lock);
        if (present || !(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
            continue;   /* PROT_NONE is locked without pages, as in Linux */
        if (handle_mm_fault(mm, va, write ? FAULT_WRITE : FAULT_READ) == -ENOMEM)
            return -EAGAIN;
    }
    return 0;
}

SYSCALL_DEFINE2(mlock, uaddr_t, start, size_t, len)
{
    return lock_range(start, len, true);
}

SYSCALL_DEFINE2(munlock, uaddr_t, start, size_t, len)
{
    return lock_range(start, len, false);
}

SYSCALL_DEFINE1(mlockall, int, flags)
{
    if (!flags || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || flags == MCL_ONFAULT)
        return -EINVAL;
    if (proc_of(current)->rlim[RLIMIT_MEMLOCK].cur == 0 && current->cred.euid != 0)
        return -EPERM;
    return 0;
}

SYSCALL_DEFINE0(munlockall)
{
    return 0;
}
