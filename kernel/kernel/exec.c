/* execve/execveat: static ELF programs (ET_EXEC and static-PIE) and "#!" scripts.
 * Dynamically linked programs (PT_INTERP) are refused with -ENOEXEC: there is no loader
 * (after the interpreter's lookup, whose error comes first, as in Linux). */
#include "ratelimit.h"
#include "kernel.h"
#include "task.h"
#include "vm.h"
#include "fs.h"
#include "mm.h"
#include "elf.h"
#include "string.h"
#include "uaccess.h"
#include "memlayout.h"
#include "random.h"
#include "syscall.h"
#include "uapi/auxvec.h"
#include "uapi/times.h"
#include "asm/csr.h"
#include "asm/entry.h"

#define MAX_ARG_STRLEN (32 * PAGE_SIZE)
#define MAX_SCRIPT_DEPTH 4

/* argv then envp strings, each NUL-terminated, packed in one kmalloc'd buffer. */
struct exec_args {
    char *buf;
    size_t len, cap, limit;
    int argc, envc;
};

/* Makes room for `need` more bytes (the limit is checked by the callers). */
static int args_reserve(struct exec_args *a, size_t need)
{
    if (a->len + need <= a->cap)
        return 0;
    size_t cap = MIN(MAX(a->cap * 2, ALIGN_UP(a->len + need, PAGE_SIZE)), ALIGN_UP(a->limit, PAGE_SIZE));
    if (cap < a->len + need)
        return -E2BIG;
    char *nb = kmalloc(cap);
    if (!nb)
        return -ENOMEM;
    if (a->buf) {
        memcpy(nb, a->buf, a->len);
        kfree(a->buf);
    }
    a->buf = nb;
    a->cap = cap;
    return 0;
}

static int args_add(struct exec_args *a, const char *s, size_t n)   /* n excludes the NUL */
{
    if (a->len + n + 1 > a->limit)
        return -E2BIG;
    int r = args_reserve(a, n + 1);
    if (r)
        return r;
    memcpy(a->buf + a->len, s, n);
    a->buf[a->len + n] = 0;
    a->len += n + 1;
    return 0;
}

/* Copies a user string vector straight into the packed buffer: no bounce buffer, since
 * exec is hot (every `sh -c`) and a MAX_ARG_STRLEN scratch allocation would dominate it. */
static int args_from_user(struct exec_args *a, uaddr_t uvec, int *count)
{
    *count = 0;
    if (!uvec)
        return 0;
    for (;;) {
        uint64_t p;
        if (get_user_u64(&p, uvec + (uaddr_t)*count * 8))
            return -EFAULT;
        if (!p)
            return 0;
        if (*count >= 0x7fffffff / 8)
            return -E2BIG;
        for (;;) {
            /* Each string, with its NUL, must fit both MAX_ARG_STRLEN and the total limit. */
            size_t max = MIN(a->cap - a->len, MIN(a->limit - a->len, (size_t)MAX_ARG_STRLEN));
            long n = max ? strncpy_from_user(a->buf + a->len, p, max) : -ENAMETOOLONG;
            if (n >= 0) {
                a->len += (size_t)n + 1;
                break;
            }
            if (n != -ENAMETOOLONG)
                return -EFAULT;
            if (a->len + max >= a->limit || max >= MAX_ARG_STRLEN)
                return -E2BIG;
            int r = args_reserve(a, max + 1);
            if (r)
                return r;
        }
        (*count)++;
    }
}

/* Replaces argv[0] by interp [arg] path (a "#!" script). */
static int args_script(struct exec_args *a, const char *interp, size_t ilen, const char *arg,
                       size_t alen, const char *path)
{
    struct exec_args n = { .limit = a->limit };
    size_t skip = a->argc > 0 ? strlen(a->buf) + 1 : 0;
    int r = args_add(&n, interp, ilen);
    if (!r && arg)
        r = args_add(&n, arg, alen);
    if (!r)
        r = args_add(&n, path, strlen(path));
    if (!r && a->len > skip) {
        if (n.len + a->len - skip > n.limit)
            r = -E2BIG;
        else {
            /* the rest as one block */
            size_t rest = a->len - skip;
            if (n.len + rest > n.cap) {
                char *nb = kmalloc(ALIGN_UP(n.len + rest, PAGE_SIZE));
                if (!nb)
                    r = -ENOMEM;
                else {
                    memcpy(nb, n.buf, n.len);
                    kfree(n.buf);
                    n.buf = nb;
                    n.cap = ALIGN_UP(n.len + rest, PAGE_SIZE);
                }
            }
            if (!r) {
                memcpy(n.buf + n.len, a->buf + skip, rest);
                n.len += rest;
            }
        }
    }
    if (r) {
        kfree(n.buf);
        return r;
    }
    n.argc = (a->argc > 0 ? a->argc - 1 : 0) + 2 + (arg ? 1 : 0);
    n.envc = a->envc;
    kfree(a->buf);
    *a = n;
    return 0;
}

/* Kills the other threads of the process and waits until they are gone. */
static void de_thread(void)
{
    struct task *me = current;
    struct process *p = proc_of(me);
    irqflags_t f = spin_lock_irqsave(&proc_lock);
    if (p->nr_threads > 1) {
        p->exec_task = me;
        struct task_private *x;
        list_for_each_entry(x, &p->threads, thread_node)
            if (x->task != me) {
                x->pending.set |= sigmask(SIGKILL);
                wake_up_state(x->task, (1u << TASK_INTERRUPTIBLE) | (1u << TASK_STOPPED));
            }
        while (p->nr_threads > 1) {
            me->state = TASK_UNINTERRUPTIBLE;
            spin_unlock_irqrestore(&proc_lock, f);
            schedule();
            f = spin_lock_irqsave(&proc_lock);
        }
        p->exec_task = NULL;
    }
    if (me->tid != p->pid) {   /* a non-leader thread takes over the process's pid */
        tid_set(me->tid, NULL);
        pid_free(me->tid);
        me->tid = p->pid;
        tid_set(me->tid, me);
        p->leader = me;
    }
    spin_unlock_irqrestore(&proc_lock, f);
}

/* AT_HWCAP: the ISA every openv machine has, RV64IMAFDC. */
#define ELF_HWCAP (COMPAT_HWCAP_ISA_I | COMPAT_HWCAP_ISA_M | COMPAT_HWCAP_ISA_A | \
                   COMPAT_HWCAP_ISA_F | COMPAT_HWCAP_ISA_D | COMPAT_HWCAP_ISA_C)

/* Maps the program's segments into mm. Returns 0 and the load bias, or -errno. */
static int map_segments(struct mm_struct *mm, struct file *file, const struct elf_image *img,
                        uint64_t bias, uaddr_t *brk_start)
{
    uaddr_t prev_end = 0, top = 0;
    unsigned prev_prot = 0;
    for (unsigned i = 0; i < img->nsegs; i++) {
        const struct elf_segment *s = &img->segs[i];
        uaddr_t vstart = s->vaddr + bias, fend = vstart + s->filesz, mend = vstart + s->memsz;
        uaddr_t start = ALIGN_DOWN(vstart, PAGE_SIZE);
        uint64_t pgoff = ALIGN_DOWN(s->offset, PAGE_SIZE);
        if (start < prev_end) {
            /* Shares its first page with the previous segment: that page gets both
             * protections and reads both segments' bytes (they are congruent in the file). */
            do_munmap(mm, start, PAGE_SIZE);
            long r = mmap_region(mm, start, PAGE_SIZE, prev_prot | s->prot, 0, file, pgoff,
                                 s->filesz ? s->offset + s->filesz : pgoff + PAGE_SIZE);
            if (r < 0)
                return (int)r;
            start += PAGE_SIZE;
            pgoff += PAGE_SIZE;
        }
        uaddr_t fpage_end = ALIGN_UP(fend, PAGE_SIZE);
        /* Only bytes between filesz and memsz must read as zero (.bss). A segment without
         * them maps its last page whole, as Linux does, so a program's text can be the
         * page-cache page itself: a private copy per exec would also make QEMU translate
         * all its code again every time. */
        uint64_t file_end = s->offset + s->filesz;
        if (s->memsz == s->filesz)
            file_end = ALIGN_UP(file_end, PAGE_SIZE);
        if (s->filesz && fpage_end > start) {
            long r = mmap_region(mm, start, fpage_end - start, s->prot, 0, file, pgoff,
                                 file_end);
            if (r < 0)
                return (int)r;
        }
        uaddr_t zstart = MAX(fpage_end, start), zend = ALIGN_UP(mend, PAGE_SIZE);
        if (zend > zstart) {
            long r = mmap_region(mm, zstart, zend - zstart, s->prot, 0, NULL, 0, 0);
            if (r < 0)
                return (int)r;
        }
        prev_end = MAX(zend, fpage_end);
        prev_prot = s->prot;
        top = MAX(top, prev_end);
    }
    *brk_start = top;
    return 0;
}

static uaddr_t phdr_address(const struct elf_image *img, uint64_t bias)
{
    if (img->phdr_mapped)
        return img->phdr_vaddr + bias;
    for (unsigned i = 0; i < img->nsegs; i++) {
        const struct elf_segment *s = &img->segs[i];
        if (img->phoff >= s->offset && img->phoff < s->offset + s->filesz)
            return s->vaddr + bias + (img->phoff - s->offset);
    }
    return 0;
}

/* Builds argc/argv/envp/auxv on the new stack; returns the initial sp or -errno. */
static long setup_stack(struct mm_struct *mm, const struct exec_args *a, const char *execfn,
                        const struct elf_image *img, uint64_t bias, bool secure)
{
    uaddr_t top = USER_STACK_TOP;
    size_t fnlen = strlen(execfn) + 1;
    uaddr_t p_execfn = top - fnlen;
    uaddr_t p_strings = ALIGN_DOWN(p_execfn - a->len, 8);
    uaddr_t p_random = p_strings - 16;
    uaddr_t p_platform = p_random - 8;
    const int nauxv = 18;
    size_t nptr = 1 + (size_t)a->argc + 1 + (size_t)a->envc + 1 + 2 * nauxv;
    uaddr_t sp = ALIGN_DOWN(p_platform - nptr * 8, 16);
    if (USER_STACK_TOP - sp > proc_of(current)->rlim[RLIMIT_STACK].cur / 4 * 3)
        return -E2BIG;

    long r = mmap_region(mm, ALIGN_DOWN(MIN(sp, USER_STACK_TOP - 32 * PAGE_SIZE), PAGE_SIZE),
                         USER_STACK_TOP - ALIGN_DOWN(MIN(sp, USER_STACK_TOP - 32 * PAGE_SIZE), PAGE_SIZE),
                         PROT_READ | PROT_WRITE | (img->exec_stack ? PROT_EXEC : 0), VM_GROWSDOWN,
                         NULL, 0, 0);
    if (r < 0)
        return r;
    uint64_t *v = kmalloc(nptr * 8);
    if (!v)
        return -ENOMEM;
    size_t k = 0;
    v[k++] = (uint64_t)a->argc;
    size_t off = 0;
    for (int i = 0; i < a->argc; i++) {
        v[k++] = p_strings + off;
        off += strlen(a->buf + off) + 1;
    }
    v[k++] = 0;
    mm->arg_start = p_strings;
    mm->arg_end = p_strings + off;
    for (int i = 0; i < a->envc; i++) {
        v[k++] = p_strings + off;
        off += strlen(a->buf + off) + 1;
    }
    v[k++] = 0;
    mm->env_start = mm->arg_end;
    mm->env_end = p_strings + off;
    const struct cred *c = &current->cred;
#define AUX(t, val) do { v[k++] = (t); v[k++] = (uint64_t)(val); } while (0)
    AUX(AT_PHDR, phdr_address(img, bias));
    AUX(AT_PHENT, img->phentsize);
    AUX(AT_PHNUM, img->phnum);
    AUX(AT_PAGESZ, PAGE_SIZE);
    AUX(AT_BASE, 0);
    AUX(AT_FLAGS, 0);
    AUX(AT_ENTRY, img->entry + bias);
    AUX(AT_UID, c->uid);
    AUX(AT_EUID, c->euid);
    AUX(AT_GID, c->gid);
    AUX(AT_EGID, c->egid);
    AUX(AT_SECURE, secure);
    AUX(AT_RANDOM, p_random);
    AUX(AT_HWCAP, ELF_HWCAP);
    AUX(AT_CLKTCK, USER_HZ);
    AUX(AT_PLATFORM, p_platform);
    AUX(AT_EXECFN, p_execfn);
    AUX(AT_NULL, 0);
#undef AUX
    BUG_ON(k != nptr);
    uint8_t rnd[16];
    get_random_bytes(rnd, sizeof rnd);
    int e = copy_to_user(p_execfn, execfn, fnlen) || copy_to_user(p_strings, a->buf, a->len) ||
            copy_to_user(p_random, rnd, 16) || copy_to_user(p_platform, "riscv64", 8) ||
            copy_to_user(sp, v, nptr * 8);
    kfree(v);
    return e ? -EFAULT : (long)sp;
}

static const char *basename_of(const char *p)
{
    const char *s = strrchr(p, '/');
    return s && s[1] ? s + 1 : p;
}

/* A PT_INTERP program: the interpreter is looked up as Linux's load_elf_binary does, so a
 * missing or unusable one gives its error (ENOENT, EACCES...); an interpreter that exists
 * still gives -ENOEXEC, as there is no dynamic loader. */
static int check_interp(struct file *file, const struct elf_image *img, const char *path)
{
    char *name = kmalloc(img->interp_size);
    if (!name)
        return -ENOMEM;
    int r = -ENOEXEC;
    ssize_t n = kernel_read(file, name, img->interp_size, (loff_t)img->interp_offset);
    if (n < 0) {
        r = (int)n;
    } else if ((uint64_t)n == img->interp_size && name[n - 1] == '\0') {
        struct file *interp;
        r = exec_open(AT_FDCWD, name, 0, &interp);
        if (r == 0) {
            file_put(interp);
            pr_warn_ratelimited("exec %s: dynamically linked programs are not supported", path);
            r = -ENOEXEC;
        }
    }
    kfree(name);
    return r;
}

static int do_execve(int dirfd, const char *path, struct exec_args *a, int flags)
{
    int nproc = nproc_check_exec();
    if (nproc)
        return nproc;
    char *hdr = kmalloc(ELF_HEADER_BUF);
    char *cur_path = kstrdup(path), *orig_path = kstrdup(path);
    struct file *file = NULL;
    struct elf_image *img = kmalloc(sizeof *img);
    int r = -ENOMEM;
    if (!hdr || !cur_path || !orig_path || !img)
        goto out;
    for (int depth = 0;; depth++) {
        r = exec_open(dirfd, cur_path, flags, &file);
        if (r)
            goto out;
        ssize_t n = kernel_read(file, hdr, ELF_HEADER_BUF, 0);
        if (n < 0) {
            r = (int)n;
            goto out;
        }
        if (n >= 2 && hdr[0] == '#' && hdr[1] == '!') {
            const char *interp, *arg;
            size_t ilen, alen;
            if (depth >= MAX_SCRIPT_DEPTH) {
                r = -ELOOP;
                goto out;
            }
            r = shebang_parse(hdr, (size_t)n, &interp, &ilen, &arg, &alen);
            if (r)
                goto out;
            /* The script path as the interpreter sees it; relative to dirfd is only
             * meaningful for AT_FDCWD. */
            r = args_script(a, interp, ilen, arg, alen, cur_path);
            if (r)
                goto out;
            char *ni = kmalloc(ilen + 1);
            if (!ni) {
                r = -ENOMEM;
                goto out;
            }
            memcpy(ni, interp, ilen);
            ni[ilen] = 0;
            kfree(cur_path);
            cur_path = ni;
            file_put(file);
            file = NULL;
            dirfd = AT_FDCWD;
            flags = 0;
            continue;
        }
        r = elf_parse(hdr, (size_t)n, UINT64_MAX / 4, USER_TOP, img);
        if (r)
            goto out;
        if (img->has_interp) {
            r = check_interp(file, img, cur_path);
            goto out;
        }
        break;
    }

    uint64_t bias = 0;
    if (img->type == ET_DYN && (r = elf_load_bias(img, USER_PIE_BASE, USER_TOP, &bias)))
        goto out;
    struct mm_struct *mm = mm_create();
    if (!mm) {
        r = -ENOMEM;
        goto out;
    }
    file_get(file);
    mm->exe_file = file;         /* /proc/<pid>/exe */
    uaddr_t brk_start = 0;
    mutex_lock(&mm->lock);
    r = map_segments(mm, file, img, bias, &brk_start);
    mutex_unlock(&mm->lock);
    if (r) {
        mm_put(mm);
        goto out;
    }

    /* The point of no return. */
    struct task *t = current;
    de_thread();
    bool setuid = false, setgid = false;
    uid_t fuid = 0;
    gid_t fgid = 0;
    file_exec_ids(file, &setuid, &fuid, &setgid, &fgid);
    if (setuid)
        t->cred.euid = fuid;
    if (setgid)
        t->cred.egid = fgid;
    t->cred.suid = t->cred.fsuid = t->cred.euid;
    t->cred.sgid = t->cred.fsgid = t->cred.egid;
    bool secure = t->cred.uid != t->cred.euid || t->cred.gid != t->cred.egid;

    irqflags_t f = spin_lock_irqsave(&proc_lock);   /* procinfo_get_mm reads t->mm */
    struct mm_struct *old = t->mm;
    t->mm = mm;
    spin_unlock_irqrestore(&proc_lock, f);
    mm_activate(mm);
    if (old)
        mm_put(old);
    mm->brk_start = mm->brk = brk_start;
    long sp = setup_stack(mm, a, orig_path, img, bias, secure);
    if (sp < 0) {
        pr_warn_ratelimited("exec %s: cannot set up the stack (%ld)", orig_path, sp);
        do_exit(SIGSEGV);
    }
    vfork_release(t);
    if (t->files)
        files_close_on_exec(t->files);
    signals_reset_on_exec();
    strlcpy(t->comm, basename_of(orig_path), sizeof t->comm);
    proc_of(t)->execed = true;
    t->priv->set_child_tid = t->priv->clear_child_tid = 0;
    t->priv->robust_list = 0;

    struct trapframe *tf = current_tf();
    memset(tf, 0, sizeof *tf);
    tf->regs[0] = img->entry + bias;
    tf->regs[2] = (unsigned long)sp;
    tf->status = SR_SPIE | SR_FS_INITIAL;
    tf->cause = ~0UL;
    static struct fpstate zero_fp;
    csr_set(sstatus, SR_FS_CLEAN);
    fpu_restore(&zero_fp);
    memset(&t->priv->fp, 0, sizeof t->priv->fp);
    r = 0;
out:
    if (file)
        file_put(file);
    kfree(hdr);
    kfree(cur_path);
    kfree(orig_path);
    kfree(img);
    return r;
}

static long execve_user(int dirfd, uaddr_t upath, uaddr_t uargv, uaddr_t uenvp, int flags)
{
    char *path = getname(upath);
    if (IS_ERR_VALUE(path)) {
        if ((long)path == -ENOENT && (flags & AT_EMPTY_PATH)) {
            path = kstrdup("");
            if (!path)
                return -ENOMEM;
        } else {
            return (long)path;
        }
    }
    struct exec_args a = { .limit = MIN(proc_of(current)->rlim[RLIMIT_STACK].cur / 4, 2UL << 20) };
    if (a.limit < 128 * 1024)
        a.limit = 128 * 1024;
    int r = args_from_user(&a, uargv, &a.argc);
    if (!r)
        r = args_from_user(&a, uenvp, &a.envc);
    if (!r)
        r = do_execve(dirfd, path, &a, flags);
    kfree(a.buf);
    kfree(path);
    return r;
}

SYSCALL_DEFINE3(execve, uaddr_t, filename, uaddr_t, argv, uaddr_t, envp)
{
    return execve_user(AT_FDCWD, filename, argv, envp, 0);
}

SYSCALL_DEFINE5(execveat, int, fd, uaddr_t, filename, uaddr_t, argv, uaddr_t, envp, int, flags)
{
    if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
        return -EINVAL;
    return execve_user(fd, filename, argv, envp, flags);
}

/* For PID 1: exec with kernel strings. */
int kernel_execve(const char *path, const char *const *argv, const char *const *envp)
{
    struct exec_args a = { .limit = 128 * 1024 };
    int r = 0;
    for (; argv && argv[a.argc] && !r; a.argc++)
        r = args_add(&a, argv[a.argc], strlen(argv[a.argc]));
    for (; envp && envp[a.envc] && !r; a.envc++)
        r = args_add(&a, envp[a.envc], strlen(envp[a.envc]));
    if (!r)
        r = do_execve(AT_FDCWD, path, &a, 0);
    kfree(a.buf);
    return r;
}
