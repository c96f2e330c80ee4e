/* User address spaces (mm/): VMAs, page tables, faults, and the mmap family.
 *
 * An mm_struct is shared by the threads of a process (CLONE_VM) and copied copy-on-write by
 * fork. Its root page table's upper half is the kernel's (shared), the lower half is the
 * user's. mm->lock (a mutex) protects the VMA list and the user page tables; it is never held
 * across a user copy. */
#pragma once
#include "types.h"
#include "list.h"
#include "mutex.h"
#include "uapi/mman.h"

#define VM_SHARED 0x1        /* pages are shared, not COW, across fork */
#define VM_GROWSDOWN 0x2     /* the stack */
#define VM_SPECIAL 0x4       /* the sigreturn trampoline */
#define VM_NOMAYWRITE 0x8    /* mprotect may not add PROT_WRITE (a SHM_RDONLY attachment) */

struct file;
struct vma;
/* What a mapping's owner hears about its VMAs (SysV shared memory counts attachments so). */
struct vm_operations {
    void (*open)(struct vma *v);    /* v is a new copy of a VMA (fork, split, mremap move) */
    void (*close)(struct vma *v);   /* v goes away (munmap, exit, exec) */
};
struct vma {
    struct list_head node;    /* mm->vmas, sorted by address */
    uaddr_t start, end;       /* page aligned, [start, end) */
    unsigned prot;            /* PROT_* */
    unsigned flags;           /* VM_* */
    struct file *file;        /* NULL: anonymous */
    uint64_t pgoff;           /* file offset of start */
    uint64_t file_end;        /* file offset beyond which the mapping reads zeros (ELF bss) */
    const struct vm_operations *ops;   /* NULL for ordinary mappings */
    void *private;            /* the owner's (ops) */
};

struct mm_struct {
    int refcount;
    struct mutex lock;
    unsigned long *pgdir;     /* root page table (kernel virtual address) */
    struct list_head vmas;
    uaddr_t brk_start, brk;
    uaddr_t mmap_base;
    uaddr_t arg_start, arg_end, env_start, env_end;
    size_t total_vm;          /* bytes mapped */
    struct file *exe_file;    /* the program exec'd into it (/proc/<pid>/exe), or NULL */
};

#define FAULT_READ 0
#define FAULT_WRITE 1
#define FAULT_EXEC 2

void vm_init(void);                                   /* boot: drop the identity map */
struct mm_struct *mm_create(void);                    /* empty, trampoline mapped */
struct mm_struct *mm_fork(struct mm_struct *old);     /* copy-on-write copy */
void mm_get(struct mm_struct *mm);
void mm_put(struct mm_struct *mm);
void mm_activate(struct mm_struct *mm);               /* satp; NULL: kernel only */

/* 0, or -EFAULT (no mapping: SEGV_MAPERR), -EACCES (SEGV_ACCERR), -ENOMEM, -EIO (SIGBUS). */
int handle_mm_fault(struct mm_struct *mm, uaddr_t addr, int access);

/* Map [addr, addr+len) (exec, mmap). Returns the address or -errno. mm->lock held. */
long mmap_region(struct mm_struct *mm, uaddr_t addr, size_t len, unsigned prot, unsigned vmflags,
                 struct file *file, uint64_t pgoff, uint64_t file_end);
int do_munmap(struct mm_struct *mm, uaddr_t addr, size_t len);   /* mm->lock held */
/* Map existing pages (len / PAGE_SIZE of them) shared at addr (0: anywhere free), as shared
 * anonymous memory is, with ops->open called for the new VMA; pgoff is the byte offset of
 * pages[0] in the owner's object. Each page gets a reference. Returns the address or -errno.
 * mm->lock held. */
long mmap_pages(struct mm_struct *mm, uaddr_t addr, size_t len, unsigned prot, void **pages,
                uint64_t pgoff, const struct vm_operations *ops, void *private);
struct vma *find_vma(struct mm_struct *mm, uaddr_t addr);   /* first ending above addr */
/* The physical address behind a user address (faulting it in for write if needed): futex. */
int user_addr_to_pa(uaddr_t addr, paddr_t *pa);
bool vma_is_shared(struct mm_struct *mm, uaddr_t addr);   /* inside a MAP_SHARED mapping? */
/* Truncate: unmap the pages of inode's file from offset `from` (rounded up to a page) on, in
 * every address space, private copies included, so the next access finds the new end of the
 * file (SIGBUS), as in Linux. Takes each mm->lock: call it without one. */
struct inode;
void unmap_file_pages(struct inode *inode, uint64_t from);
/* Before write-back: make every shared writable mapping of inode (NULL: of every file of sb)
 * read-only, so the next write to a page faults and marks it dirty again (page_mkwrite),
 * as Linux's page_mkclean. Takes each mm->lock: call it without one. */
struct super_block;
void wrprotect_file_pages(struct super_block *sb, struct inode *inode);
/* Memory pressure: drop up to `want` clean pages of shared mappings of page-cached files
 * (read-only PTEs: a writable one may be dirty) from the address spaces that map them, so
 * reclaim can take them; the next access faults them back in. No reverse map: the processes
 * are walked, as wrprotect_file_pages. Returns how many. Takes each mm->lock. */
size_t unmap_clean_file_pages(size_t want);

/* Reports for procfs (mm/mm_report.c). Sizes in bytes, resident counts in pages. */
struct mm_usage {
    uint64_t vsize, text, data, stack, lib;
    uint64_t rss_pages, rss_anon_pages, rss_file_pages, shared_pages;
    uaddr_t start_code, end_code, start_data, end_data, start_brk, brk, start_stack;
    uaddr_t arg_start, arg_end, env_start, env_end;
};
void mm_report_usage(struct mm_struct *mm, struct mm_usage *u);
/* A copy of the VMA list: at most max entries; each file has a reference (file_put it). */
struct vma_report {
    uaddr_t start, end;
    unsigned prot, flags;
    uint64_t pgoff;
    struct file *file;
    bool is_heap;
    uint64_t rss_pages, shared_pages;     /* resident; of those, mapped more than once */
};
int mm_report_vmas(struct mm_struct *mm, struct vma_report *out, int max);
/* Copy up to n bytes of mm's memory at addr into buf, stopping at the first page that was
 * never populated. Returns the bytes copied. */
size_t mm_read_remote(struct mm_struct *mm, uaddr_t addr, void *buf, size_t n);
