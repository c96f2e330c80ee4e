/* /proc/<pid> and /proc/<pid>/task/<tid>: one process (or thread) as Linux shows it. The
 * values come from procinfo.h snapshots and the mm reports (vm.h), never from the process
 * code's own structures. */
#include "proc_internal.h"
#include "procinfo.h"
#include "vm.h"
#include "mm.h"
#include "string.h"

#define PAGE_KB (PAGE_SIZE / 1024)

static const char *state_name(char s)
{
    switch (s) {
    case 'R': return "R (running)";
    case 'S': return "S (sleeping)";
    case 'D': return "D (disk sleep)";
    case 'T': return "T (stopped)";
    case 'Z': return "Z (zombie)";
    default: return "X (dead)";
    }
}

/* May the caller see the process's exe, cwd, root and environment? Linux asks
 * ptrace_may_access(PTRACE_MODE_READ): root, or the same real and effective user. */
static bool may_inspect(const struct proc_info *info)
{
    const struct cred *me = &current->cred;
    return me->euid == 0 || (me->uid == info->cred.uid && me->uid == info->cred.euid &&
                             me->uid == info->cred.suid);
}

bool proc_may_inspect(pid_t pid)
{
    if (pid == procinfo_self_pid())
        return true;
    struct proc_info in;
    return procinfo_get(pid, 0, &in) == 0 && may_inspect(&in);
}

/* ---- stat, statm, status ---- */

static int show_stat(struct pseudo_buf *b, const struct proc_ctx *c)
{
    struct proc_info in;
    if (procinfo_get(c->pid, c->tid, &in) < 0)
        return -ESRCH;
    struct mm_usage u;
    memset(&u, 0, sizeof u);
    struct mm_struct *mm = procinfo_get_mm(c->pid);
    if (mm) {
        mm_report_usage(mm, &u);
        mm_put(mm);
    }
    pb_printf(b, "%d (%s) %c %d %d %d %llu %d 0 0 0 0 0 %llu %llu %llu %llu %d %d %d 0 %llu ",
              in.tid, in.comm, in.state, in.ppid, in.pgid, in.sid,
              (unsigned long long)in.tty_dev, in.tty_pgrp,
              ns_to_clock_t(in.utime_ns), ns_to_clock_t(in.stime_ns),
              ns_to_clock_t(in.cutime_ns), ns_to_clock_t(in.cstime_ns),
              20 + in.nice, in.nice, in.nr_threads, ns_to_clock_t(in.start_ns));
    pb_printf(b, "%llu %llu 18446744073709551615 %llu %llu %llu 0 0 ",
              (unsigned long long)u.vsize, (unsigned long long)u.rss_pages,
              (unsigned long long)u.start_code, (unsigned long long)u.end_code,
              (unsigned long long)u.start_stack);
    pb_printf(b, "%llu %llu %llu %llu 0 0 0 %d 0 0 0 0 0 0 %llu %llu %llu %llu %llu %llu %llu 0\n",
              (unsigned long long)(in.sig_pending | in.sig_shared),
              (unsigned long long)in.sig_blocked, (unsigned long long)in.sig_ignored,
              (unsigned long long)in.sig_caught, in.exit_signal,
              (unsigned long long)u.start_data, (unsigned long long)u.end_data,
              (unsigned long long)u.start_brk, (unsigned long long)u.arg_start,
              (unsigned long long)u.arg_end, (unsigned long long)u.env_start,
              (unsigned long long)u.env_end);
    return 0;
}

static int show_statm(struct pseudo_buf *b, const struct proc_ctx *c)
{
    struct mm_usage u;
    memset(&u, 0, sizeof u);
    struct mm_struct *mm = procinfo_get_mm(c->pid);
    if (mm) {
        mm_report_usage(mm, &u);
        mm_put(mm);
    } else if (!procinfo_exists(c->pid, c->tid)) {
        return -ESRCH;
    }
    pb_printf(b, "%llu %llu %llu %llu 0 %llu 0\n", (unsigned long long)(u.vsize / PAGE_SIZE),
              (unsigned long long)u.rss_pages, (unsigned long long)u.rss_file_pages,
              (unsigned long long)(u.text / PAGE_SIZE),
              (unsigned long long)((u.data + u.stack) / PAGE_SIZE));
    return 0;
}

static int show_status(struct pseudo_buf *b, const struct proc_ctx *c)
{
    struct proc_info in;
    if (procinfo_get(c->pid, c->tid, &in) < 0)
        return -ESRCH;
    struct fs_struct *fs = procinfo_get_fs(c->pid);
    if (fs) {
        pb_printf(b, "Name:\t%s\nUmask:\t%04o\n", in.comm, (unsigned)fs->umask);
        fs_struct_put(fs);
    } else {
        pb_printf(b, "Name:\t%s\n", in.comm);
    }
    pb_printf(b, "State:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n",
              state_name(in.state), in.pid, in.tid, in.ppid);
    const struct cred *cr = &in.cred;
    pb_printf(b, "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n", cr->uid, cr->euid, cr->suid,
              cr->fsuid, cr->gid, cr->egid, cr->sgid, cr->fsgid);
    struct files_struct *files = procinfo_get_files(c->pid);
    int fdsize = 0;
    if (files) {
        for (int fd = files_next_fd(files, 0); fd >= 0; fd = files_next_fd(files, fd + 1))
            fdsize = fd + 1;
        files_put(files);
        fdsize = (int)ALIGN_UP((unsigned)fdsize, 64u);
        if (!fdsize)
            fdsize = 64;
    }
    pb_printf(b, "FDSize:\t%d\nGroups:\t", fdsize);
    for (int i = 0; i < cr->ngroups && i < NGROUPS_MAX; i++)
        pb_printf(b, "%u ", cr->groups[i]);
    pb_printf(b, "\nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n", in.pid, in.tid, in.pgid,
              in.sid);
    struct mm_struct *mm = procinfo_get_mm(c->pid);
    if (mm) {
        struct mm_usage u;
        mm_report_usage(mm, &u);
        mm_put(mm);
        unsigned long long rss = u.rss_pages * PAGE_KB;
        pb_printf(b, "VmPeak:\t%8llu kB\nVmSize:\t%8llu kB\nVmLck:\t%8u kB\nVmPin:\t%8u kB\n"
                  "VmHWM:\t%8llu kB\nVmRSS:\t%8llu kB\nRssAnon:\t%8llu kB\nRssFile:\t%8llu kB\n"
                  "RssShmem:\t%8u kB\nVmData:\t%8llu kB\nVmStk:\t%8llu kB\nVmExe:\t%8llu kB\n"
                  "VmLib:\t%8llu kB\nVmPTE:\t%8u kB\nVmSwap:\t%8u kB\n",
                  (unsigned long long)u.vsize / 1024, (unsigned long long)u.vsize / 1024, 0u, 0u,
                  rss, rss, (unsigned long long)u.rss_anon_pages * PAGE_KB,
                  (unsigned long long)u.rss_file_pages * PAGE_KB, 0u,
                  (unsigned long long)u.data / 1024, (unsigned long long)u.stack / 1024,
                  (unsigned long long)u.text / 1024, (unsigned long long)u.lib / 1024, 0u, 0u);
    }
    pb_printf(b, "Threads:\t%d\nSigQ:\t0/0\nSigPnd:\t%016llx\nShdPnd:\t%016llx\nSigBlk:\t%016llx\n"
              "SigIgn:\t%016llx\nSigCgt:\t%016llx\n", in.nr_threads,
              (unsigned long long)in.sig_pending, (unsigned long long)in.sig_shared,
              (unsigned long long)in.sig_blocked, (unsigned long long)in.sig_ignored,
              (unsigned long long)in.sig_caught);
    /* Root has every capability, others none (there are no file capabilities). */
    const char *caps = cr->euid == 0 ? "000001ffffffffff" : "0000000000000000";
    pb_printf(b, "CapInh:\t0000000000000000\nCapPrm:\t%s\nCapEff:\t%s\nCapBnd:\t000001ffffffffff\n"
              "CapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\n", caps, caps);
    pb_printf(b, "Cpus_allowed:\t1\nCpus_allowed_list:\t0\nvoluntary_ctxt_switches:\t%llu\n"
              "nonvoluntary_ctxt_switches:\t%llu\n", (unsigned long long)in.nvcsw,
              (unsigned long long)in.nivcsw);
    return 0;
}

/* ---- comm, cmdline, environ ---- */

static int show_comm(struct pseudo_buf *b, const struct proc_ctx *c)
{
    struct proc_info in;
    if (procinfo_get(c->pid, c->tid, &in) < 0)
        return -ESRCH;
    pb_printf(b, "%s\n", in.comm);
    return 0;
}

/* The bytes [start, end) of the process's memory (argv or the environment); empty for a
 * zombie or kernel thread, as in Linux. */
static int show_memory_range(struct pseudo_buf *b, const struct proc_ctx *c, bool env)
{
    struct mm_struct *mm = procinfo_get_mm(c->pid);
    if (!mm)
        return procinfo_exists(c->pid, c->tid) ? 0 : -ESRCH;
    struct mm_usage u;
    mm_report_usage(mm, &u);
    uaddr_t start = env ? u.env_start : u.arg_start, end = env ? u.env_end : u.arg_end;
    if (end > start && end - start <= (4u << 20)) {
        size_t len = end - start;
        char *tmp = kmalloc(len);
        if (!tmp) {
            mm_put(mm);
            return -ENOMEM;
        }
        size_t got = mm_read_remote(mm, start, tmp, len);
        pb_write(b, tmp, got);
        kfree(tmp);
    }
    mm_put(mm);
    return 0;
}

static int show_cmdline(struct pseudo_buf *b, const struct proc_ctx *c)
{
    return show_memory_range(b, c, false);
}

static int show_environ(struct pseudo_buf *b, const struct proc_ctx *c)
{
    struct proc_info in;
    if (procinfo_get(c->pid, c->tid, &in) < 0)
        return -ESRCH;
    if (!may_inspect(&in))
        return -EACCES;
    return show_memory_range(b, c, true);
}

/* ---- maps ---- */

#define MAPS_MAX 256

/* smaps: the maps line, then the page counts of the VMA (Linux's field set). */
static void smaps_counts(struct pseudo_buf *b, const struct vma_report *v)
{
    unsigned long long kb = (v->end - v->start) / 1024, rss = v->rss_pages * PAGE_KB;
    unsigned long long shared = v->shared_pages * PAGE_KB, priv = rss - shared;
    bool anon = !v->file;
    pb_printf(b, "Size:           %8llu kB\nKernelPageSize: %8u kB\nMMUPageSize:    %8u kB\n"
              "Rss:            %8llu kB\nPss:            %8llu kB\n", kb, (unsigned)PAGE_KB,
              (unsigned)PAGE_KB, rss, priv + shared / 2);
    /* Dirty or clean is not tracked: private writable pages count as dirty. */
    bool dirty = v->prot & PROT_WRITE;
    pb_printf(b, "Shared_Clean:   %8llu kB\nShared_Dirty:   %8llu kB\nPrivate_Clean:  %8llu kB\n"
              "Private_Dirty:  %8llu kB\nReferenced:     %8llu kB\nAnonymous:      %8llu kB\n",
              dirty ? 0 : shared, dirty ? shared : 0, dirty ? 0 : priv, dirty ? priv : 0, rss,
              anon ? rss : 0);
    pb_printf(b, "LazyFree:              0 kB\nAnonHugePages:         0 kB\n"
              "ShmemPmdMapped:        0 kB\nFilePmdMapped:         0 kB\n"
              "Shared_Hugetlb:        0 kB\nPrivate_Hugetlb:       0 kB\n"
              "Swap:                  0 kB\nSwapPss:               0 kB\n"
              "Locked:                0 kB\nTHPeligible:    0\nVmFlags: %s%s%s%s%s\n",
              (v->prot & PROT_READ) ? "rd " : "", (v->prot & PROT_WRITE) ? "wr " : "",
              (v->prot & PROT_EXEC) ? "ex " : "", (v->flags & VM_SHARED) ? "sh " : "",
              (v->flags & VM_GROWSDOWN) ? "gd " : "");
}

static int show_vmas(struct pseudo_buf *b, const struct proc_ctx *c, bool smaps)
{
    struct mm_struct *mm = procinfo_get_mm(c->pid);
    if (!mm)
        return procinfo_exists(c->pid, c->tid) ? 0 : -ESRCH;
    struct vma_report *v = kmalloc(sizeof *v * MAPS_MAX);
    char *path = kmalloc(PATH_MAX);
    if (!v || !path) {
        kfree(v);
        kfree(path);
        mm_put(mm);
        return -ENOMEM;
    }
    int n = mm_report_vmas(mm, v, MAPS_MAX);
    mm_put(mm);
    for (int i = 0; i < n; i++) {
        unsigned long long dev_major = 0, dev_minor = 0, ino = 0;
        const char *name = "";
        if (v[i].file) {
            struct inode *inode = v[i].file->inode;
            uint64_t dev = inode->sb ? dev_to_user(inode->sb->dev) : 0;
            dev_major = (dev >> 8) & 0xfff;
            dev_minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
            ino = inode->ino;
            if (file_path(v[i].file, path, PATH_MAX) >= 0)
                name = path;
        } else if (v[i].flags & VM_SPECIAL) {
            name = "[sigpage]";
        } else if (v[i].flags & VM_GROWSDOWN) {
            name = "[stack]";
        } else if (v[i].is_heap) {
            name = "[heap]";
        }
        bool shared = (v[i].flags & VM_SHARED) && !(v[i].flags & VM_SPECIAL);
        size_t before = b->len;
        pb_printf(b, "%08llx-%08llx %c%c%c%c %08llx %02llx:%02llx %llu ",
                  (unsigned long long)v[i].start, (unsigned long long)v[i].end,
                  (v[i].prot & PROT_READ) ? 'r' : '-', (v[i].prot & PROT_WRITE) ? 'w' : '-',
                  (v[i].prot & PROT_EXEC) ? 'x' : '-', shared ? 's' : 'p',
                  (unsigned long long)v[i].pgoff, dev_major, dev_minor, ino);
        if (*name) {
            /* Linux pads the name to column 73 on 64-bit. */
            for (size_t col = b->len - before; col < 73; col++)
                pb_write(b, " ", 1);
            pb_printf(b, "%s", name);
        }
        pb_write(b, "\n", 1);
        if (smaps)
            smaps_counts(b, &v[i]);
        if (v[i].file)
            file_put(v[i].file);
    }
    kfree(v);
    kfree(path);
    return 0;
}

static int show_maps(struct pseudo_buf *b, const struct proc_ctx *c)
{
    return show_vmas(b, c, false);
}

static int show_smaps(struct pseudo_buf *b, const struct proc_ctx *c)
{
    return show_vmas(b, c, true);
}

/* ---- exe, cwd, root ---- */

static int exe_path(const struct proc_ctx *c, struct path *out)
{
    struct proc_info in;
    if (procinfo_get(c->pid, c->tid, &in) < 0)
        return -ENOENT;
    if (!may_inspect(&in))
        return -EACCES;
    struct mm_struct *mm = procinfo_get_mm(c->pid);
    if (!mm)
        return -ENOENT;
    struct file *f = mm->exe_file;
    int r = -ENOENT;
    if (f && f->mnt && f->dentry) {
        out->mnt = f->mnt;
        out->dentry = f->dentry;
        path_get(out);
        r = 0;
    }
    mm_put(mm);
    return r;
}

static int fs_path(const struct proc_ctx *c, bool root, struct path *out)
{
    struct proc_info in;
    if (procinfo_get(c->pid, c->tid, &in) < 0)
        return -ENOENT;
    if (!may_inspect(&in))
        return -EACCES;
    struct fs_struct *fs = procinfo_get_fs(c->pid);
    if (!fs)
        return -ENOENT;
    spin_lock(&fs->lock);
    *out = root ? fs->root : fs->cwd;
    path_get(out);
    spin_unlock(&fs->lock);
    fs_struct_put(fs);
    return 0;
}

static int cwd_path(const struct proc_ctx *c, struct path *out) { return fs_path(c, false, out); }
static int root_path(const struct proc_ctx *c, struct path *out) { return fs_path(c, true, out); }

static int exe_follow(const struct path *link, const struct proc_ctx *c, struct path *out)
{
    (void)link;
    return exe_path(c, out);
}

static int cwd_follow(const struct path *link, const struct proc_ctx *c, struct path *out)
{
    (void)link;
    return cwd_path(c, out);
}

static int root_follow(const struct path *link, const struct proc_ctx *c, struct path *out)
{
    (void)link;
    return root_path(c, out);
}

/* A path as text, as seen from the caller's root (Linux's d_path). */
static int path_text(struct path *p, char *buf, size_t size)
{
    char *tmp = kmalloc(PATH_MAX);
    if (!tmp)
        return -ENOMEM;
    struct path myroot;
    fs_get_root(&myroot);
    int off = path_to_string(p, &myroot, tmp, PATH_MAX);
    path_put(&myroot);
    int r = off < 0 ? off : proc_copy_link(buf, size, tmp + off);
    kfree(tmp);
    return r;
}

static int link_from_path(int (*get)(const struct proc_ctx *, struct path *),
                          const struct proc_ctx *c, char *buf, size_t size)
{
    struct path p;
    int r = get(c, &p);
    if (r < 0)
        return r;
    r = path_text(&p, buf, size);
    path_put(&p);
    return r;
}

static int exe_link(const struct proc_ctx *c, char *buf, size_t size)
{
    return link_from_path(exe_path, c, buf, size);
}

static int cwd_link(const struct proc_ctx *c, char *buf, size_t size)
{
    return link_from_path(cwd_path, c, buf, size);
}

static int root_link(const struct proc_ctx *c, char *buf, size_t size)
{
    return link_from_path(root_path, c, buf, size);
}

/* ---- the directories ---- */

#define FILE(n, m, fn) { .base = { n, S_IFREG | (m) }, .show = fn }
#define LINK(n, fn, pfn) { .base = { n, S_IFLNK | 0777 }, .link = fn, .link_path = pfn }
#define PER_THREAD_ENTRIES                                                \
    FILE("cmdline", 0444, show_cmdline),                                  \
    FILE("comm", 0444, show_comm),                                        \
    LINK("cwd", cwd_link, cwd_follow),                                    \
    FILE("environ", 0400, show_environ),                                  \
    LINK("exe", exe_link, exe_follow),                                    \
    { .base = { "fd", S_IFDIR | 0500 }, .dir = &proc_fd_dir },        \
    { .base = { "fdinfo", S_IFDIR | 0555 }, .dir = &proc_fdinfo_dir }, \
    FILE("maps", 0444, show_maps),                                        \
    FILE("mounts", 0444, proc_show_mounts),                               \
    FILE("mountinfo", 0444, proc_show_mountinfo),                         \
    LINK("root", root_link, root_follow),                                 \
    FILE("smaps", 0444, show_smaps),                                      \
    FILE("stat", 0444, show_stat),                                        \
    FILE("statm", 0444, show_statm),                                      \
    FILE("status", 0444, show_status)

static const struct proc_entry pid_entries[] = {
    PER_THREAD_ENTRIES,
    { .base = { "task", S_IFDIR | 0555 }, .dir = &proc_task_dir },
};

static const struct proc_entry tid_entries[] = {
    PER_THREAD_ENTRIES,
};

const struct proc_dir proc_pid_dir = {
    .entries = pid_entries,
    .nentries = ARRAY_SIZE(pid_entries),
    .ino_base = 0x80,
};

const struct proc_dir proc_tid_dir = {
    .entries = tid_entries,
    .nentries = ARRAY_SIZE(tid_entries),
    .ino_base = 0xa0,
};

const struct proc_entry proc_pid_entry = {
    .base = { "<pid>", S_IFDIR | 0555 }, .dir = &proc_pid_dir,
};
const struct proc_entry proc_tid_entry = {
    .base = { "<tid>", S_IFDIR | 0555 }, .dir = &proc_tid_dir,
};

static long next_tid(const struct proc_ctx *c, long from)
{
    pid_t tid;
    if (from > 0x7fffffffL)
        return -1;
    return procinfo_list_tids(c->pid, (pid_t)from, &tid, 1) == 1 ? tid : -1;
}

static int tid_child(const struct proc_ctx *c, long key, struct proc_ctx *child,
                     const struct proc_entry **entry)
{
    if (key <= 0 || key > 0x7fffffffL || !procinfo_exists(c->pid, (pid_t)key))
        return -ENOENT;
    child->pid = c->pid;
    child->tid = (pid_t)key;
    child->fd = -1;
    *entry = &proc_tid_entry;
    return 0;
}

const struct proc_dir proc_task_dir = {
    .ino_base = 0xe0,
    .next_key = next_tid,
    .key_child = tid_child,
};
