/* The VFS as the rest of the kernel sees it: open files, their operations, per-process file
 * state, and what exec, mmap and device drivers need. The VFS's own internals (inodes,
 * dentries, mounts, filesystem types) are in fs/vfs.h. */
#pragma once
#include "types.h"
#include "spinlock.h"
#include "sched.h"

struct inode;
struct dentry;
struct poll_table;

/* A copy target or source: user memory (checked through uaccess.h) or kernel memory, so one
 * read()/write() implementation serves system calls and the kernel's own reads (exec). */
struct uio {
    union {
        uaddr_t ubase;
        void *kbase;
    };
    size_t resid;       /* bytes left */
    bool kernel;        /* kbase is a kernel pointer */
};
static inline struct uio uio_user(uaddr_t p, size_t n) { struct uio u = { .ubase = p, .resid = n, .kernel = false }; return u; }
static inline struct uio uio_kernel(void *p, size_t n) { struct uio u = { .kbase = p, .resid = n, .kernel = true }; return u; }
/* Copy n bytes into/out of the uio and advance it: 0 or -EFAULT. */
int uio_copyout(struct uio *to, const void *src, size_t n);
int uio_copyin(void *dst, struct uio *from, size_t n);

struct file;
struct file_operations {
    ssize_t (*read)(struct file *f, struct uio *to, loff_t *pos);
    ssize_t (*write)(struct file *f, struct uio *from, loff_t *pos);
    loff_t (*llseek)(struct file *f, loff_t off, int whence);     /* NULL: generic */
    long (*ioctl)(struct file *f, unsigned int cmd, unsigned long arg);  /* NULL: -ENOTTY */
    unsigned (*poll)(struct file *f, struct poll_table *pt);       /* NULL: always ready */
    int (*open)(struct inode *inode, struct file *f);
    void (*release)(struct file *f);                               /* last reference gone */
    int (*fsync)(struct file *f);
};

struct file {
    int refcount;                       /* atomic */
    unsigned int flags;                 /* O_ACCMODE | O_APPEND | O_NONBLOCK | ... */
    loff_t pos;
    const struct file_operations *ops;
    struct inode *inode;
    struct dentry *dentry;              /* the name it was opened by (NULL for pipes etc.) */
    void *private_data;
    spinlock_t lock;
};
void file_get(struct file *f);
void file_put(struct file *f);
ssize_t kernel_read(struct file *f, void *buf, size_t n, loff_t pos);

/* Poll support: a file's poll() calls poll_wait() for each queue whose wake-up can change its
 * readiness, then returns the POLL* mask that holds now. */
void poll_wait(struct file *f, struct wait_queue *wq, struct poll_table *pt);
#define POLLIN 0x001
#define POLLPRI 0x002
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020
#define POLLRDNORM 0x040
#define POLLWRNORM 0x100

/* Character devices: a driver registers the operations for a (major, minor); opening a device
 * node with that number calls them. Numbers as in Linux's devices.txt. */
int register_chrdev(unsigned major, unsigned minor, const char *name,
                    const struct file_operations *ops);

/* Per-process file state, created and shared or copied by fork/clone. */
struct files_struct *files_new(void);
struct files_struct *files_dup(struct files_struct *old);    /* fork without CLONE_FILES */
void files_get(struct files_struct *fs);                     /* clone with CLONE_FILES */
void files_put(struct files_struct *fs);
void files_close_on_exec(struct files_struct *fs);
struct file *fget(int fd);                                   /* from current's table, +1 ref */
int fd_install_new(struct file *f, unsigned flags);          /* lowest free fd (O_CLOEXEC) */

struct fs_struct *fs_struct_new_root(void);                  /* "/" as root and cwd, umask 022 */
struct fs_struct *fs_struct_dup(struct fs_struct *old);
void fs_struct_get(struct fs_struct *fs);
void fs_struct_put(struct fs_struct *fs);

/* Exec: open `path` (kernel string, relative to current's cwd, following symlinks), check it is
 * a regular file current may execute on a mount that allows it; returns 0 and a referenced file,
 * or -errno. Dirfd and flags as for execveat (AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW). */
int exec_open(int dirfd, const char *path, int flags, struct file **out);
/* The absolute path of an open file (for /proc/<pid>/exe, AT_EXECFN): into buf, returns len. */
int file_path(struct file *f, char *buf, size_t size);
/* Set-user-ID and set-group-ID bits, owner and group of the file, for exec. */
void file_exec_ids(struct file *f, bool *setuid, uid_t *uid, bool *setgid, gid_t *gid);

/* Boot. */
void vfs_init(void);                                  /* mount the tmpfs root, /dev, ... */
int initramfs_unpack(const void *data, size_t len);   /* into the root; 0 or -errno */
