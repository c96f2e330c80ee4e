/* procfs internals: the nodes of /proc over the pseudofs core (../pseudofs.h).
 *
 * Every node is a `struct proc_entry` (a file with a show function, a symlink with a link
 * function, or a directory with a `struct proc_dir`) plus a `struct proc_ctx` saying which
 * process, thread or fd it is about. Directories list their static entries first, then
 * entries other subsystems registered, then numbered children (pids, tids, fds) that come and
 * go with the processes.
 *
 * Files: proc_fs.c (procfs's part of the pseudofs operations: inode numbers, owners,
 * numbered children, links), proc_root.c (/proc itself, self, thread-self), proc_system.c
 * (system-wide files), proc_sys.c (/proc/sys), proc_pid.c (/proc/<pid> and task/<tid>),
 * proc_fd.c (fd, fdinfo), proc_extra.c (registered files). */
#pragma once
#include "../pseudofs.h"
#include "uapi/statfs.h"

/* ---- nodes ---- */
struct proc_ctx {
    pid_t pid;                 /* 0: not about a process */
    pid_t tid;                 /* 0: the whole process */
    int fd;                    /* -1: not about an fd */
};

struct proc_dir;
struct proc_entry {
    struct pseudo_entry base;  /* name and mode */
    /* Files: append the text. 0 or -errno (-ESRCH: the process is gone). */
    int (*show)(struct pseudo_buf *b, const struct proc_ctx *c);
    /* Writable files (sysctls; mode with a write bit), optional: act on one write(2) of text
     * (NUL-terminated). 0 or -errno. */
    int (*store)(const char *buf, size_t len);
    /* Files registered by other subsystems (procfs.h): snprintf-like, instead of show. */
    int (*fill)(char *buf, size_t size);
    /* Symlinks: the target text into buf (NUL-terminated); its length or -errno. */
    int (*link)(const struct proc_ctx *c, char *buf, size_t size);
    /* Symlinks, optional: the target as a path (+refs), followed without a name walk;
     * `link` is where the link itself is. */
    int (*link_path)(const struct path *link, const struct proc_ctx *c, struct path *out);
    /* Directories. */
    const struct proc_dir *dir;
};

struct proc_dir {
    const struct proc_entry *entries;
    size_t nentries;
    unsigned ino_base;         /* distinguishes this directory's children in inode numbers */
    /* Numbered children, optional: the smallest existing key >= from, or -1; and the child
     * of key `key` (its context and entry), 0 or -ENOENT. */
    long (*next_key)(const struct proc_ctx *c, long from);
    int (*key_child)(const struct proc_ctx *c, long key, struct proc_ctx *child,
                     const struct proc_entry **entry);
    /* Entries registered at run time, optional: the i-th, or NULL past the last. */
    const struct proc_entry *(*extra)(size_t i);
    /* Optional: may the caller list or walk through this directory (beyond its mode)? */
    bool (*may_access)(const struct proc_ctx *c);
};
#define PROC_MAX_EXTRA 32

/* proc_fs.c */
/* Copy a path into a proc link buffer; its length or -ENAMETOOLONG. */
int proc_copy_link(char *buf, size_t size, const char *text);

/* proc_pid.c: may the caller inspect process pid (its fdinfo, environment, exe, cwd, root)?
 * Linux's ptrace_may_access(PTRACE_MODE_READ): itself, root, or a process of the same real,
 * effective and saved user. */
bool proc_may_inspect(pid_t pid);

/* The directories. */
extern const struct proc_dir proc_root_dir;       /* proc_root.c */
extern const struct proc_dir proc_sys_dir;        /* proc_sys.c */
extern const struct proc_dir proc_sys_kernel_dir;
extern const struct proc_dir proc_net_dir;        /* proc_extra.c */
extern const struct proc_dir proc_sysvipc_dir;
const struct proc_entry *proc_root_extra(size_t i);
const struct proc_entry *proc_sys_kernel_extra(size_t i);
void proc_extra_init(void);                       /* at procfs_init, before any registration */
extern const struct proc_dir proc_pid_dir;        /* proc_pid.c */
extern const struct proc_dir proc_tid_dir;
extern const struct proc_dir proc_task_dir;
extern const struct proc_dir proc_fd_dir;         /* proc_fd.c */
extern const struct proc_dir proc_fdinfo_dir;
extern const struct proc_entry proc_pid_entry;    /* a /proc/<pid> directory */
extern const struct proc_entry proc_tid_entry;    /* a /proc/<pid>/task/<tid> directory */

/* What uname(2) reports as release and version (kernel/kernel/sys.c says the same):
 * /proc/version, /proc/sys/kernel/osrelease. OPENV_VERSION is release/VERSION, passed by
 * kernel/kernel.mk (and tests/unit/unit.mk). */
#ifndef OPENV_VERSION
#error "OPENV_VERSION is not defined (kernel.mk passes release/VERSION)"
#endif
#define OPENV_RELEASE "6.1.0-openv"
#define OPENV_UTS_VERSION "#1 SMP openv " OPENV_VERSION

/* proc_system.c: the system-wide files of /proc */
int proc_show_meminfo(struct pseudo_buf *b, const struct proc_ctx *c);
int proc_show_stat(struct pseudo_buf *b, const struct proc_ctx *c);
int proc_show_uptime(struct pseudo_buf *b, const struct proc_ctx *c);
int proc_show_loadavg(struct pseudo_buf *b, const struct proc_ctx *c);
int proc_show_version(struct pseudo_buf *b, const struct proc_ctx *c);
int proc_show_cmdline(struct pseudo_buf *b, const struct proc_ctx *c);
int proc_show_cpuinfo(struct pseudo_buf *b, const struct proc_ctx *c);
int proc_show_filesystems(struct pseudo_buf *b, const struct proc_ctx *c);
int proc_show_mounts(struct pseudo_buf *b, const struct proc_ctx *c);
int proc_show_mountinfo(struct pseudo_buf *b, const struct proc_ctx *c);
int proc_show_partitions(struct pseudo_buf *b, const struct proc_ctx *c);
int proc_show_swaps(struct pseudo_buf *b, const struct proc_ctx *c);
int proc_show_interrupts(struct pseudo_buf *b, const struct proc_ctx *c);

/* proc_pid.c: formatting helpers shared with the host tests */
/* Linux's clock ticks (USER_HZ) from nanoseconds. */
static inline unsigned long long ns_to_clock_t(uint64_t ns) { return ns / (1000000000ULL / 100); }
