/* procfs internals: a small table-driven synthetic filesystem.
 *
 * Every node is described by a `struct proc_entry` (a file with a show function, a symlink
 * with a link function, or a directory with a `struct proc_dir`) plus a `struct proc_ctx`
 * saying which process, thread or fd it is about. Directories list their static entries
 * first and then numbered children (pids, tids, fds) that come and go with the processes.
 * Nothing is cached: lookup makes a fresh dentry and inode (DENTRY_NOCACHE), and a file's
 * text is generated when it is read from offset 0 (later reads continue that snapshot), as
 * Linux's seq_file does.
 *
 * Files: proc_fs.c (superblock, inodes, generic operations), proc_buf.c (text buffers),
 * proc_root.c (/proc itself, self, thread-self), proc_system.c (system-wide files),
 * proc_sys.c (/proc/sys), proc_pid.c (/proc/<pid> and task/<tid>), proc_fd.c (fd, fdinfo). */
#pragma once
#include "../vfs.h"
#include "kprintf.h"

#define PROC_SUPER_MAGIC 0x9fa0

/* ---- proc_buf.c: the generated text of a file ---- */
struct proc_buf {
    char *buf;
    size_t len, cap;
    int error;                 /* -ENOMEM once growing failed */
};
void pb_init(struct proc_buf *b);
void pb_free(struct proc_buf *b);
void pb_reset(struct proc_buf *b);
void pb_printf(struct proc_buf *b, const char *fmt, ...) KPRINTF_FORMAT(2, 3);
void pb_write(struct proc_buf *b, const void *data, size_t n);
/* Appends the output of an snprintf-like producer (returns the full length). */
void pb_fill(struct proc_buf *b, int (*produce)(char *buf, size_t size));

/* ---- nodes ---- */
struct proc_ctx {
    pid_t pid;                 /* 0: not about a process */
    pid_t tid;                 /* 0: the whole process */
    int fd;                    /* -1: not about an fd */
};

struct proc_dir;
struct proc_entry {
    const char *name;
    mode_t mode;               /* S_IFREG | 0444, S_IFDIR | 0555, S_IFLNK | 0777 ... */
    /* Files: append the text. 0 or -errno (-ESRCH: the process is gone). */
    int (*show)(struct proc_buf *b, const struct proc_ctx *c);
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
};
#define PROC_MAX_EXTRA 32

/* proc_fs.c */
extern const struct inode_operations proc_dir_iops;
/* The inode of a node (owner: the process's euid/egid for process nodes, else root). */
struct inode *proc_make_inode(struct super_block *sb, const struct proc_entry *e,
                              const struct proc_ctx *c, unsigned ino_slot);
/* Copy a path into a proc link buffer; its length or -ENAMETOOLONG. */
int proc_copy_link(char *buf, size_t size, const char *text);

/* The directories. */
extern const struct proc_dir proc_root_dir;       /* proc_root.c */
extern const struct proc_dir proc_sys_dir;        /* proc_sys.c */
extern const struct proc_dir proc_net_dir;        /* proc_extra.c */
const struct proc_entry *proc_root_extra(size_t i);
void proc_extra_init(void);                       /* at procfs_init, before any registration */
extern const struct proc_dir proc_pid_dir;        /* proc_pid.c */
extern const struct proc_dir proc_tid_dir;
extern const struct proc_dir proc_task_dir;
extern const struct proc_dir proc_fd_dir;         /* proc_fd.c */
extern const struct proc_dir proc_fdinfo_dir;
extern const struct proc_entry proc_pid_entry;    /* a /proc/<pid> directory */
extern const struct proc_entry proc_tid_entry;    /* a /proc/<pid>/task/<tid> directory */

/* proc_system.c: the system-wide files of /proc */
int proc_show_meminfo(struct proc_buf *b, const struct proc_ctx *c);
int proc_show_stat(struct proc_buf *b, const struct proc_ctx *c);
int proc_show_uptime(struct proc_buf *b, const struct proc_ctx *c);
int proc_show_loadavg(struct proc_buf *b, const struct proc_ctx *c);
int proc_show_version(struct proc_buf *b, const struct proc_ctx *c);
int proc_show_cmdline(struct proc_buf *b, const struct proc_ctx *c);
int proc_show_cpuinfo(struct proc_buf *b, const struct proc_ctx *c);
int proc_show_filesystems(struct proc_buf *b, const struct proc_ctx *c);
int proc_show_mounts(struct proc_buf *b, const struct proc_ctx *c);
int proc_show_partitions(struct proc_buf *b, const struct proc_ctx *c);
int proc_show_swaps(struct proc_buf *b, const struct proc_ctx *c);
int proc_show_interrupts(struct proc_buf *b, const struct proc_ctx *c);

/* proc_pid.c: formatting helpers shared with the host tests */
/* Linux's clock ticks (USER_HZ) from nanoseconds. */
static inline unsigned long long ns_to_clock_t(uint64_t ns) { return ns / (1000000000ULL / 100); }
