/* The VFS as the rest of the kernel sees it: open files, their operations, per-process file
 * state, and what exec, mmap and device drivers need. The VFS's own internals (inodes,
 * dentries, mounts, filesystem types) are in fs/vfs.h. */
#pragma once
#include "types.h"
#include "spinlock.h"
#include "sched.h"

struct inode;
struct dentry;
struct mount;
struct poll_table;
struct dir_context;

/* open() flags (asm-generic/fcntl.h, which riscv64 uses). */
#define O_ACCMODE 00000003
#define O_RDONLY 00000000
#define O_WRONLY 00000001
#define O_RDWR 00000002
#define O_CREAT 00000100
#define O_EXCL 00000200
#define O_NOCTTY 00000400
#define O_TRUNC 00001000
#define O_APPEND 00002000
#define O_NONBLOCK 00004000
#define O_DSYNC 00010000
#define O_DIRECT 00040000
#define O_LARGEFILE 00100000
#define O_DIRECTORY 00200000
#define O_NOFOLLOW 00400000
#define O_NOATIME 01000000
#define O_CLOEXEC 02000000
#define O_SYNC 04010000
#define O_PATH 010000000
#define O_TMPFILE 020200000

/* File types and permission bits (stat.h). */
#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define S_IFLNK 0120000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define S_ISUID 0004000
#define S_ISGID 0002000
#define S_ISVTX 0001000
#define S_ISREG(m) (((m) & S_IFMT) == S_IFREG)
#define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)
#define S_ISCHR(m) (((m) & S_IFMT) == S_IFCHR)
#define S_ISBLK(m) (((m) & S_IFMT) == S_IFBLK)
#define S_ISFIFO(m) (((m) & S_IFMT) == S_IFIFO)
#define S_ISLNK(m) (((m) & S_IFMT) == S_IFLNK)
#define S_ISSOCK(m) (((m) & S_IFMT) == S_IFSOCK)

#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_EACCESS 0x200
#define AT_REMOVEDIR 0x200
#define AT_SYMLINK_FOLLOW 0x400
#define AT_EMPTY_PATH 0x1000

#define PATH_MAX 4096
#define NAME_MAX 255

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
    /* Directories: emit entries from ctx->pos on (fs/vfs.h: dir_emit). */
    int (*iterate)(struct file *f, struct dir_context *ctx);
    /* mmap support: the page-cache page backing page `pgoff` of the file, with one extra
     * reference for the caller (page_free drops it); allocated (zeroed) if it is a hole.
     * NULL: the file cannot be mapped (-ENODEV). */
    int (*get_page)(struct file *f, uint64_t pgoff, void **page);
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
    struct mount *mnt;                  /* the mount it was opened through (NULL: anon) */
    unsigned fmode;                     /* FMODE_* below */
};
#define FMODE_READ 1u
#define FMODE_WRITE 2u
#define FMODE_PATH 4u       /* O_PATH: no I/O */
void file_get(struct file *f);
void file_put(struct file *f);
ssize_t kernel_read(struct file *f, void *buf, size_t n, loff_t pos);
ssize_t kernel_write(struct file *f, const void *buf, size_t n, loff_t pos);

/* A file not reachable by any name (sockets, eventfd, ...): a fresh inode of the given type
 * (S_IFSOCK, say, so fstat reports it) with ops and private_data. flags: O_RDWR|O_NONBLOCK...
 * Returns a file with one reference or NULL. */
struct file *anon_file_new(mode_t type, const struct file_operations *ops, void *private_data,
                           unsigned flags);

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
#define POLLRDBAND 0x080
#define POLLWRNORM 0x100
#define POLLWRBAND 0x200
#define POLLRDHUP 0x2000

/* Character devices: a driver registers the operations for a (major, minor); opening a device
 * node with that number calls them. Numbers as in Linux's devices.txt. The name may contain
 * one directory ("pts/0"); the node appears in /dev with mode 0666 (0620 for ttys is up to the
 * driver: chmod through vfs is not needed, use devfs_set_owner). Returns 0 or -errno. */
int register_chrdev(unsigned major, unsigned minor, const char *name,
                    const struct file_operations *ops);
/* Remove the registration and the /dev node (a pty slave going away). */
void unregister_chrdev(unsigned major, unsigned minor);
/* Set the mode bits and owner of a registered node (ptys: 0620, owner = opener). */
int devfs_set_owner(unsigned major, unsigned minor, mode_t perm, uid_t uid, gid_t gid);

/* Per-process file state, created and shared or copied by fork/clone. */
struct files_struct *files_new(void);
struct files_struct *files_dup(struct files_struct *old);    /* fork without CLONE_FILES */
void files_get(struct files_struct *fs);                     /* clone with CLONE_FILES */
void files_put(struct files_struct *fs);
void files_close_on_exec(struct files_struct *fs);
loff_t file_size(struct file *f);                            /* its inode's size now */
struct file *fget(int fd);                                   /* from current's table, +1 ref */
int fd_install_new(struct file *f, unsigned flags);          /* lowest free fd (O_CLOEXEC) */
/* The most file descriptors a table can ever hold. */
#define NR_OPEN_DEFAULT 1024
/* Current's RLIMIT_NOFILE soft limit (the process code provides it): new fds stay below it. */
int current_nofile_limit(void);

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
/* True if the file was opened through a nosuid mount (exec must ignore set-id bits). */
bool file_on_nosuid_mount(struct file *f);

/* /proc/mounts text ("dev dir type opts 0 0\n" per mount, as seen from current's root): into
 * buf, returns the full length (may exceed size, like snprintf). */
int vfs_mounts_show(char *buf, size_t size);
/* /proc/<pid>/mountinfo, Linux's format (IDs, root in the filesystem, propagation). */
int vfs_mountinfo_show(char *buf, size_t size);
/* /proc/filesystems text ("nodev\tproc\n", "\text2\n" per registered type). Same contract. */
int vfs_filesystems_show(char *buf, size_t size);

/* Boot. */
void vfs_init(void);                                  /* mount the tmpfs root, /dev, ... */
int initramfs_unpack(const void *data, size_t len);   /* into the root; 0 or -errno */

/* Services the VFS expects from the rest of the kernel. fs/ holds weak fallbacks so the kernel
 * links before they exist; the real (strong) definitions replace them. */
void get_random_bytes(void *buf, size_t n);           /* core: CSPRNG (/dev/urandom) */
/* core: copy kernel log bytes starting at sequence *seq into buf; advance *seq; returns bytes
 * (0 = nothing new). Used by /dev/kmsg and /proc/kmsg. */
int log_read(uint64_t *seq, char *buf, size_t size);
/* core: pselect6/ppoll temporarily install a user signal mask for the wait. Swap in `mask`
 * (returns 0), and afterwards restore the old one; `interrupted` says the wait ended with
 * -EINTR/-ERESTARTNOHAND, in which case the old mask must be restored only after the signal
 * handler ran (Linux's restore_saved_sigmask_unless). */
int sigmask_swap_for_wait(uint64_t mask);
void sigmask_restore_after_wait(bool interrupted);
