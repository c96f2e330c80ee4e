/* SysV shared memory: shmget, shmat, shmdt, shmctl (Linux's ipc/shm.c).
 *
 * A segment owns its pages (allocated, zeroed, at the first attach). shmat maps them the way
 * MAP_SHARED anonymous memory is mapped (mmap_pages: a VM_SHARED VMA whose page-table
 * entries point at the segment's pages), with vm_operations that count attachments: fork
 * copies the VMA (open), munmap, exit and exec drop it (close). IPC_RMID of an attached
 * segment marks it SHM_DEST and hides its key; the last detach frees it. */
#include "util.h"
#include "task.h"
#include "vm.h"
#include "mm.h"
#include "string.h"
#include "kprintf.h"
#include "uaccess.h"
#include "syscall.h"
#include "memlayout.h"
#include "uapi/shm.h"
#include "uapi/mman.h"

struct shm_segment {
    struct kern_ipc_perm perm;       /* first: the ids list holds it */
    uint64_t segsz;
    size_t npages;
    void **pages;                    /* NULL until the first attach */
    int64_t atime, dtime, ctime;
    pid_t cpid, lpid;
    uint64_t nattch;                 /* VMAs mapping it (+ an attach in progress) */
};

static struct ipc_ids shm_ids;
static uint64_t shm_tot;             /* pages of every segment */

void shm_init(void)
{
    ipc_ids_init(&shm_ids);
}

static struct shm_segment *to_seg(struct kern_ipc_perm *p) { return (struct shm_segment *)p; }

static void free_seg(struct kern_ipc_perm *p)
{
    struct shm_segment *seg = to_seg(p);
    if (seg->pages) {
        for (size_t i = 0; i < seg->npages; i++)
            if (seg->pages[i])
                page_free(seg->pages[i]);
        kfree(seg->pages);
    }
    shm_tot -= seg->npages;
    kfree(seg);
}

static void destroy(struct shm_segment *seg)
{
    if (!seg->perm.deleted)
        ipc_rmid(&shm_ids, &seg->perm);
    ipc_put(&seg->perm, free_seg);
}

static void destroy_if_unused(struct shm_segment *seg)
{
    if (seg->nattch == 0 && (seg->perm.mode & SHM_DEST))
        destroy(seg);
}

static long newseg(int32_t key, int flg, unsigned long size)
{
    uint64_t npages = ((uint64_t)size + PAGE_SIZE - 1) / PAGE_SIZE;
    if (size < SHMMIN || size > ipc_limits.shmmax)
        return -EINVAL;
    if (npages * PAGE_SIZE < size)
        return -ENOSPC;
    if (shm_tot + npages < shm_tot || shm_tot + npages > ipc_limits.shmall)
        return -ENOSPC;
    if (flg & SHM_HUGETLB)
        return -ENOSYS;     /* no hugetlbfs (Linux without CONFIG_HUGETLBFS says the same) */
    struct shm_segment *seg = kzalloc(sizeof *seg);
    if (!seg)
        return -ENOMEM;
    ipc_init_perm(&seg->perm, key, flg);
    seg->segsz = size;
    seg->npages = npages;
    seg->cpid = current->tgid;
    seg->ctime = ipc_now();
    int r = ipc_addid(&shm_ids, &seg->perm, (int)MIN(ipc_limits.shmmni, (uint64_t)IPCMNI));
    if (r) {
        kfree(seg);
        return r;
    }
    shm_tot += npages;
    return seg->perm.id;
}

static int shm_more_checks(struct kern_ipc_perm *p, unsigned long size)
{
    return to_seg(p)->segsz < size ? -EINVAL : 0;
}

static const struct ipc_get_ops shm_get_ops = { .getnew = newseg, .more_checks = shm_more_checks };

SYSCALL_DEFINE3(shmget, int32_t, key, size_t, size, int, shmflg)
{
    return ipcget(&shm_ids, key, shmflg, size, &shm_get_ops);
}

/* ---- attachments ---- */

static void shm_vma_open(struct vma *v)
{
    struct shm_segment *seg = v->private;
    mutex_lock(&ipc_mutex);
    seg->atime = ipc_now();
    seg->lpid = current->tgid;
    seg->nattch++;
    mutex_unlock(&ipc_mutex);
}

static void shm_vma_close(struct vma *v)
{
    struct shm_segment *seg = v->private;
    mutex_lock(&ipc_mutex);
    seg->dtime = ipc_now();
    seg->lpid = current->tgid;
    seg->nattch--;
    destroy_if_unused(seg);
    mutex_unlock(&ipc_mutex);
}

static const struct vm_operations shm_vm_ops = { .open = shm_vma_open, .close = shm_vma_close };

static int populate(struct shm_segment *seg)
{
    if (seg->pages)
        return 0;
    void **pages = kzalloc(sizeof *pages * seg->npages);
    if (!pages)
        return -ENOMEM;
    for (size_t i = 0; i < seg->npages; i++) {
        if (!(pages[i] = page_alloc())) {
            while (i-- > 0)
                page_free(pages[i]);
            kfree(pages);
            return -ENOMEM;
        }
    }
    seg->pages = pages;
    return 0;
}

SYSCALL_DEFINE3(shmat, int, shmid, uaddr_t, shmaddr, int, shmflg)
{
    uaddr_t addr = shmaddr;
    if (shmid < 0)
        return -EINVAL;
    if (addr) {
        if (addr & (SHMLBA - 1)) {
            if (!(shmflg & SHM_RND))
                return -EINVAL;
            addr &= ~(uaddr_t)(SHMLBA - 1);
            if (!addr && (shmflg & SHM_REMAP))
                return -EINVAL;
        }
    } else if (shmflg & SHM_REMAP) {
        return -EINVAL;
    }
    unsigned prot = PROT_READ;
    int acc = S_IRUGO;
    if (!(shmflg & SHM_RDONLY)) {
        prot |= PROT_WRITE;
        acc |= S_IWUGO;
    }
    if (shmflg & SHM_EXEC) {
        prot |= PROT_EXEC;
        acc |= S_IXUGO;
    }
    mutex_lock(&ipc_mutex);
    struct kern_ipc_perm *p = ipc_obtain(&shm_ids, shmid);
    long r = 0;
    if (!p)
        r = -EINVAL;
    else if (!ipc_permitted(p, acc))
        r = -EACCES;
    else
        r = populate(to_seg(p));
    if (r) {
        mutex_unlock(&ipc_mutex);
        return r;
    }
    struct shm_segment *seg = to_seg(p);
    seg->nattch++;                   /* held while mapping, as Linux does */
    mutex_unlock(&ipc_mutex);

    size_t len = ALIGN_UP(seg->segsz, PAGE_SIZE);
    struct mm_struct *mm = current->mm;
    mutex_lock(&mm->lock);
    if (addr) {
        struct vma *v = find_vma(mm, addr);
        if (addr + len < addr)
            r = -EINVAL;
        else if (addr < USER_BASE)
            r = -EPERM;
        else if (addr + len > USER_TOP)
            r = -ENOMEM;
        else if (!(shmflg & SHM_REMAP) && v && v->start < addr + len)
            r = -EINVAL;
    }
    if (!r)
        r = mmap_pages(mm, addr, len, prot, seg->pages, 0, &shm_vm_ops, seg);
    mutex_unlock(&mm->lock);

    mutex_lock(&ipc_mutex);
    seg->nattch--;
    destroy_if_unused(seg);
    mutex_unlock(&ipc_mutex);
    return r;
}

/* Detaches the attachment at shmaddr: the VMA that maps its segment from offset 0 there,
 * and the pieces of it that mprotect or munmap split off (Linux's rule). */
SYSCALL_DEFINE1(shmdt, uaddr_t, shmaddr)
{
    if (shmaddr & ~PAGE_MASK)
        return -EINVAL;
    struct mm_struct *mm = current->mm;
    mutex_lock(&mm->lock);
    struct shm_segment *seg = NULL;
    for (struct vma *v = find_vma(mm, shmaddr); v;
         v = v->node.next != &mm->vmas ? list_entry(v->node.next, struct vma, node) : NULL) {
        if (v->ops == &shm_vm_ops && v->start - shmaddr == v->pgoff) {
            seg = v->private;
            break;
        }
    }
    if (seg) {
        uaddr_t end = shmaddr + ALIGN_UP(seg->segsz, PAGE_SIZE);
        for (;;) {
            struct vma *v = find_vma(mm, shmaddr), *hit = NULL;
            for (; v && v->start < end;
                 v = v->node.next != &mm->vmas ? list_entry(v->node.next, struct vma, node) : NULL) {
                if (v->ops == &shm_vm_ops && v->private == seg && v->start - shmaddr == v->pgoff) {
                    hit = v;
                    break;
                }
            }
            if (!hit)
                break;
            do_munmap(mm, hit->start, hit->end - hit->start);
        }
    }
    mutex_unlock(&mm->lock);
    return seg ? 0 : -EINVAL;
}

/* ---- shmctl ---- */

static void fill_stat(struct shm_segment *seg, struct shmid64_ds *out)
{
    memset(out, 0, sizeof *out);
    ipc_fill_perm(&seg->perm, &out->shm_perm);
    out->shm_segsz = seg->segsz;
    out->shm_atime = seg->atime;
    out->shm_dtime = seg->dtime;
    out->shm_ctime = seg->ctime;
    out->shm_cpid = seg->cpid;
    out->shm_lpid = seg->lpid;
    out->shm_nattch = seg->nattch;
}

static uint64_t resident_pages(void)
{
    uint64_t n = 0;
    struct kern_ipc_perm *p;
    list_for_each_entry(p, &shm_ids.all, node)
        n += to_seg(p)->pages ? to_seg(p)->npages : 0;
    return n;
}

static long shmctl_info(int cmd, uaddr_t buf)
{
    mutex_lock(&ipc_mutex);
    int max = ipc_max_idx(&shm_ids);
    long r = 0;
    if (cmd == IPC_INFO) {
        struct shminfo64 si = {
            .shmmax = ipc_limits.shmmax, .shmmin = SHMMIN, .shmmni = ipc_limits.shmmni,
            .shmseg = ipc_limits.shmmni, .shmall = ipc_limits.shmall,
        };
        mutex_unlock(&ipc_mutex);
        r = copy_to_user(buf, &si, sizeof si);
    } else {
        struct shm_info si = { .used_ids = shm_ids.in_use, .shm_tot = shm_tot,
                               .shm_rss = resident_pages() };
        mutex_unlock(&ipc_mutex);
        r = copy_to_user(buf, &si, sizeof si);
    }
    if (r)
        return -EFAULT;
    return max < 0 ? 0 : max;
}

static long shmctl_stat(int shmid, int cmd, uaddr_t buf)
{
    struct shmid64_ds ds;
    mutex_lock(&ipc_mutex);
    struct kern_ipc_perm *p = cmd == IPC_STAT ? ipc_obtain(&shm_ids, shmid)
                                              : ipc_by_index(&shm_ids, shmid);
    long r;
    if (!p)
        r = -EINVAL;
    else if (cmd != SHM_STAT_ANY && !ipc_permitted(p, S_IRUGO))
        r = -EACCES;
    else {
        fill_stat(to_seg(p), &ds);
        r = cmd == IPC_STAT ? 0 : p->id;
    }
    mutex_unlock(&ipc_mutex);
    if (r >= 0 && copy_to_user(buf, &ds, sizeof ds))
        return -EFAULT;
    return r;
}

SYSCALL_DEFINE3(shmctl, int, shmid, int, cmd, uaddr_t, buf)
{
    if (cmd < 0 || shmid < 0)
        return -EINVAL;
    switch (cmd) {
    case IPC_INFO:
    case SHM_INFO:
        return shmctl_info(cmd, buf);
    case IPC_STAT:
    case SHM_STAT:
    case SHM_STAT_ANY:
        return shmctl_stat(shmid, cmd, buf);
    case IPC_SET:
    case IPC_RMID:
    case SHM_LOCK:
    case SHM_UNLOCK:
        break;
    default:
        return -EINVAL;
    }
    struct shmid64_ds ds;
    if (cmd == IPC_SET && copy_from_user(&ds, buf, sizeof ds))
        return -EFAULT;
    mutex_lock(&ipc_mutex);
    struct kern_ipc_perm *p = ipc_obtain(&shm_ids, shmid);
    long r = 0;
    if (!p) {
        r = -EINVAL;
    } else if (cmd == SHM_LOCK || cmd == SHM_UNLOCK) {
        uid_t euid = current->cred.euid;
        if (euid != 0 && ((euid != p->uid && euid != p->cuid) ||
                          (cmd == SHM_LOCK && proc_of(current)->rlim[RLIMIT_MEMLOCK].cur == 0)))
            r = -EPERM;
        else if (cmd == SHM_LOCK)
            p->mode |= SHM_LOCKED;   /* nothing is ever swapped: the flag is all there is */
        else
            p->mode &= ~(mode_t)SHM_LOCKED;
    } else if (!(r = ipc_owner_check(p))) {
        struct shm_segment *seg = to_seg(p);
        if (cmd == IPC_RMID) {
            p->mode |= SHM_DEST;
            p->key = IPC_PRIVATE;    /* not found by key any more */
            destroy_if_unused(seg);
        } else if (!(r = ipc_set_perm(p, &ds.shm_perm))) {
            seg->ctime = ipc_now();
        }
    }
    mutex_unlock(&ipc_mutex);
    return r;
}

/* /proc/sysvipc/shm, in Linux's (64-bit) format. */
int shm_proc_show(char *buf, size_t size)
{
    size_t len = 0;
#define OUT(...) (len += (size_t)ksnprintf(buf + MIN(len, size), size - MIN(len, size), __VA_ARGS__))
    OUT("       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid"
        "  cgid      atime      dtime      ctime                   rss                  swap\n");
    mutex_lock(&ipc_mutex);
    struct kern_ipc_perm *p;
    list_for_each_entry(p, &shm_ids.all, node) {
        struct shm_segment *seg = to_seg(p);
        uint64_t rss = seg->pages ? seg->npages * PAGE_SIZE : 0;
        OUT("%10d %10d  %4o %21llu %5u %5u  %5llu %5u %5u %5u %5u %10llu %10llu %10llu %21llu %21llu\n",
            p->key, p->id, p->mode, (unsigned long long)seg->segsz, (unsigned)seg->cpid,
            (unsigned)seg->lpid, (unsigned long long)seg->nattch, p->uid, p->gid, p->cuid, p->cgid,
            (unsigned long long)seg->atime, (unsigned long long)seg->dtime,
            (unsigned long long)seg->ctime, (unsigned long long)rss, 0ULL);
    }
    mutex_unlock(&ipc_mutex);
#undef OUT
    return (int)len;
}
