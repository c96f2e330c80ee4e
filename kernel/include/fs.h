/* The VFS: the one header for everything that uses or implements files.
 *
 * For the whole kernel: open files and their operations, per-process file state, and what
 * exec, mmap, sockets and device drivers need. For filesystems and the VFS itself (second
 * half): inodes, dentries, superblocks, mounts, paths, filesystem types and the helpers
 * filesystem implementations share (fs/README.md says how a filesystem plugs in).
 *
 * Object lifetimes:
 *  - an inode lives while it has references (dentries, open files, pipes hold them); when the
 *    last goes and nlink is 0 the filesystem's evict op frees its data;
 *  - a dentry holds one reference on its inode and one on its parent; a dentry that is in its
 *    parent's child list (hashed) is found by lookups. tmpfs-like filesystems keep their tree
 *    entirely in dentries and pin every linked dentry with an extra reference (DENTRY_PINNED);
 *    synthetic filesystems (procfs) create dentries on lookup and mark them DENTRY_NOCACHE so
 *    they are unhashed and freed when the last user lets go;
 *  - a path is (mount, dentry) with a reference on both.
 *
 * Locking: `vfs_ns_lock` (a mutex) serialises every change to the namespace (create, link,
 * unlink, rename, mount); `dcache_lock` (a spinlock) protects child lists and the dentry
 * hash; each inode's mutex protects its data and attributes. */
#pragma once
#include "types.h"
#include "spinlock.h"
#include "sched.h"
#include "uapi/fcntl.h"
#include "uapi/fs.h"
#include "uapi/limits.h"
#include "uapi/poll.h"
#include "uapi/stat.h"
#include "kernel.h"
#include "list.h"
#include "mutex.h"
#include "time.h"
#include "uapi/dirent.h"
#include "uapi/mount.h"

/* The most one read() or write() moves: INT_MAX rounded down to a page, as Linux. */
#define MAX_RW_COUNT 0x7ffff000UL

struct inode;
struct dentry;
struct mount;
struct poll_table;
struct dir_context;

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
struct pseudo_buf;
struct file_operations {
    ssize_t (*read)(struct file *f, struct uio *to, loff_t *pos);
    ssize_t (*write)(struct file *f, struct uio *from, loff_t *pos);
    loff_t (*llseek)(struct file *f, loff_t off, int whence);     /* NULL: generic */
    long (*ioctl)(struct file *f, unsigned int cmd, unsigned long arg);  /* NULL: -ENOTTY */
    unsigned (*poll)(struct file *f, struct poll_table *pt);       /* NULL: always ready */
    int (*open)(struct inode *inode, struct file *f);
    void (*release)(struct file *f);                               /* last reference gone */
    int (*fsync)(struct file *f);
    /* Directories: emit entries from ctx->pos on (dir_emit, below). */
    int (*iterate)(struct file *f, struct dir_context *ctx);
    /* mmap support: the page-cache page backing page `pgoff` of the file, with one extra
     * reference for the caller (page_free drops it); allocated (zeroed) if it is a hole.
     * NULL: the file cannot be mapped (-ENODEV). */
    int (*get_page)(struct file *f, uint64_t pgoff, void **page);
    /* A shared writable mapping is about to write page pgoff (from get_page): the filesystem
     * marks it dirty for write-back. NULL: the page is the file itself (tmpfs), mapped
     * writable at once. Set: mappings map it read-only until the first write faults. */
    void (*page_mkwrite)(struct file *f, uint64_t pgoff);
    /* /proc/<pid>/fdinfo/<fd>: the lines of this kind of file after pos, flags, mnt_id and
     * ino (Linux's show_fdinfo), with pb_printf (fs/pseudofs.h). NULL: none. */
    void (*show_fdinfo)(struct pseudo_buf *b, struct file *f);
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
    const char *anon_name;              /* anon_inode_file_new's name, else NULL */
    struct list_head ep_links;          /* epoll items watching this file (fs/eventpoll.c) */
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

/* Poll support (Linux's f_op->poll + poll_table): a file's poll() calls poll_wait() for each
 * queue whose wake-up can change its readiness, then returns the POLL* mask that holds now.
 * poll_wait hands each queue to the table's qproc, which queues a waiter on it: ppoll and
 * pselect6 queue the sleeping task (fs/poll.c), epoll a callback that marks the watched item
 * ready (fs/eventpoll.c). A NULL table, or one with no qproc, only asks for the mask. */
typedef void (*poll_queue_proc)(struct file *f, struct wait_queue *wq, struct poll_table *pt);
struct poll_table {
    poll_queue_proc qproc;
};
void poll_wait(struct file *f, struct wait_queue *wq, struct poll_table *pt);
/* The mask a file reports now (files without a poll op are always ready); pt may be NULL. */
unsigned vfs_poll(struct file *f, struct poll_table *pt);

/* Files with no name of their own (epoll, eventfd, timerfd, signalfd, inotify): Linux's
 * anon_inode_getfile. `name` ("[eventfd]") is what /proc/<pid>/fd shows after "anon_inode:";
 * fstat sees a mode of 0600 with no file type, as on Linux. */
struct file *anon_inode_file_new(const char *name, const struct file_operations *ops,
                                 void *private_data, unsigned flags);
/* inotify (fs/inotify.c): the VFS reports each change after it succeeded. mask: IN_* of
 * uapi/inotify.h. fsnotify_dentry reports to the inode's watches and, with the name, to its
 * parent directory's; fsnotify_file does so for an open file (IN_MODIFY, IN_ACCESS, IN_OPEN,
 * IN_CLOSE_*); fsnotify_inode only to the inode's own watches. fsnotify_delete gets the
 * removed dentry (still held by the caller); dput calls fsnotify_last_dput as a dentry goes
 * (IN_DELETE_SELF once an inode without a name loses its last dentry), and
 * generic_shutdown_super calls fsnotify_sb_delete (IN_UNMOUNT) before put_super. */
void fsnotify_dentry(struct dentry *d, uint32_t mask);
void fsnotify_file(struct file *f, uint32_t mask);
void fsnotify_inode(struct inode *inode, uint32_t mask);
void fsnotify_create(struct inode *dir, struct dentry *d);
void fsnotify_link(struct inode *dir, struct dentry *d, struct inode *inode);
void fsnotify_delete(struct inode *dir, const char *name, size_t len, struct dentry *d);
void fsnotify_last_dput(struct inode *inode);
struct super_block;
void fsnotify_sb_delete(struct super_block *sb);
void fsnotify_move(struct inode *odir, const char *oname, size_t olen, struct inode *ndir,
                   const char *nname, size_t nlen, struct inode *moved, struct inode *replaced);

/* Linux's noop_llseek: lseek succeeds and changes nothing (anon-inode files). */
loff_t noop_llseek(struct file *f, loff_t off, int whence);
/* epoll (fs/eventpoll.c): the last reference to a watched file is going: drop its watches. */
void eventpoll_release_file(struct file *f);
bool file_is_epoll(const struct file *f);

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
/* /dev/<name> as a symlink to target, subdirectories made as needed, replacing what was there
 * (/dev/rtc -> rtc0 as udev makes it; /dev/disk/by-label/...): 0 or -errno. */
int devfs_symlink(const char *name, const char *target);
/* Register the memory devices of major 1: null, zero, full, random, urandom, kmsg (fs/memdev.c;
 * devfs_init calls it). */
void memdev_init(void);

/* Per-process file state, created and shared or copied by fork/clone. */
struct files_struct *files_new(void);
struct files_struct *files_dup(struct files_struct *old);    /* fork without CLONE_FILES */
void files_get(struct files_struct *fs);                     /* clone with CLONE_FILES */
void files_put(struct files_struct *fs);
void files_close_on_exec(struct files_struct *fs);
loff_t file_size(struct file *f);                            /* its inode's size now */
struct file *fget(int fd);                                   /* from current's table, +1 ref */
int fd_install_new(struct file *f, unsigned flags);          /* lowest free fd (O_CLOEXEC) */
/* openat(2) and dup3(2) for the kernel's own use (the boot code's console): the path is a
 * kernel string. The new fd, or -errno. */
long do_openat(int dirfd, const char *name, unsigned flags, mode_t mode);
int do_dup3(int oldfd, int newfd, unsigned flags);
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

/* The socket layer's side of readv/writev (net/socket.c): one sendmsg/recvmsg for the whole
 * vector (`iov`: n struct iovec), so a datagram is not split per segment. -ENOTSOCK if f is
 * not a socket. */
ssize_t sock_iov_rw(struct file *f, const void *iov, unsigned n, bool write);

/* ---- For filesystems and the VFS itself ---- */

struct super_block;
struct inode;
struct dentry;
struct kstatfs;
struct pipe;
struct path;
struct block_device;

struct inode_operations {
    /* Synthesise the child `d` (already named, unhashed) of dir: d_instantiate and return 0,
     * or -ENOENT. NULL: the dentry tree is complete (tmpfs). */
    int (*lookup)(struct inode *dir, struct dentry *d);
    /* Create a non-directory (regular, device, FIFO, socket) named by the negative d. */
    int (*create)(struct inode *dir, struct dentry *d, mode_t mode, dev_t rdev);
    int (*mkdir)(struct inode *dir, struct dentry *d, mode_t mode);
    int (*symlink)(struct inode *dir, struct dentry *d, const char *target);
    int (*link)(struct dentry *old, struct inode *dir, struct dentry *d);
    int (*unlink)(struct inode *dir, struct dentry *d);
    int (*rmdir)(struct inode *dir, struct dentry *d);
    /* The namespace checks are done; move/exchange per flags (RENAME_*). */
    int (*rename)(struct inode *odir, struct dentry *od, struct inode *ndir, struct dentry *nd,
                  unsigned flags);
    /* The symlink target into buf (NUL-terminated); returns its length or -errno. */
    int (*get_link)(struct dentry *d, char *buf, size_t size);
    /* Optional, for procfs's "magic" links (/proc/<pid>/fd/N, exe, cwd, root): the target
     * of the link at `link` as a path (+refs), followed without re-walking the text
     * get_link shows, as Linux does; -errno on failure, -EOPNOTSUPP to fall back to walking
     * get_link's text. */
    int (*get_link_path)(const struct path *link, struct path *out);
    /* Change the size (truncate/ftruncate/O_TRUNC). */
    int (*setsize)(struct inode *inode, loff_t size);
    /* Allocate [off, off+len) (fallocate mode 0 / KEEP_SIZE). */
    int (*fallocate)(struct inode *inode, int mode, loff_t off, loff_t len);
    /* Optional: a check before the mode bits (procfs's ptrace rule for fdinfo); 0 or -errno.
     * inode_permission() asks it first, then the mode bits as always. */
    int (*permission)(struct inode *inode, int mask);
};

struct super_operations {
    void (*evict)(struct inode *inode);             /* free the data of a dead inode */
    void (*statfs)(struct super_block *sb, struct kstatfs *st);
    void (*put_super)(struct super_block *sb);
    /* Write everything dirty (metadata, cached blocks) to stable storage: sync(2), syncfs(2),
     * shutdown. NULL: nothing to write (memory filesystems). 0 or -errno. */
    int (*sync_fs)(struct super_block *sb);
    /* mount -o remount: switch the superblock to `flags & MS_RDONLY` before the VFS records
     * it (a filesystem that cannot go read-write refuses with -EROFS). NULL: always fine. */
    int (*remount)(struct super_block *sb, unsigned long flags);
    /* A stacking filesystem (overlay): before the VFS changes the data or attributes of the
     * file d names (open for writing, truncate, chmod, chown, utimes), move it to the
     * writable layer and point d at it. NULL: nothing to do. 0 or -errno. */
    int (*copy_up)(struct dentry *d);
};

struct kstatfs {
    long type, bsize;
    uint64_t blocks, bfree, bavail, files, ffree;
    long namelen, frsize;
};

/* A lock record (fs/locks.c). */
struct file_lock;

struct inode {
    ino_t ino;
    mode_t mode;
    uid_t uid;
    gid_t gid;
    unsigned nlink;
    loff_t size;
    struct kernel_timespec atime, mtime, ctime;
    dev_t rdev;
    uint64_t blocks;                     /* 512-byte blocks allocated */
    const struct inode_operations *iops;
    const struct file_operations *fops;  /* what open() installs */
    struct super_block *sb;
    int refcount;                        /* atomic */
    struct mutex lock;                   /* data and attributes */
    void *private;                       /* the filesystem's */
    struct pipe *pipe;                   /* FIFOs: the pipe, while open */
    struct list_head locks;              /* POSIX and flock locks (fs/locks.c) */
    struct wait_queue lock_wait;
    struct list_head inotify_watches;    /* fs/inotify.c */
};

#define DENTRY_PINNED 1u    /* the tree holds a reference (tmpfs) */
#define DENTRY_NOCACHE 2u   /* synthesised: unhash when unused */
#define DENTRY_HASHED 4u    /* in the parent's child list */

struct dentry {
    int refcount;                  /* atomic */
    unsigned flags;
    struct dentry *parent;         /* itself for a filesystem root */
    struct inode *inode;           /* NULL: negative (only while being created) */
    struct super_block *sb;
    char *name;                    /* kmalloc'd, or inline_name */
    size_t name_len;
    uint32_t hash;
    struct list_head child;        /* in parent->children */
    struct list_head children;
    struct list_head hash_link;    /* in the dcache hash */
    uint64_t cookie;               /* readdir position within the parent */
    uint64_t next_cookie;          /* for children */
    int mounted;                   /* mounts on this dentry */
    struct list_head lru;          /* in the unused-dentry list while cached and unused */
    char inline_name[24];
};

struct file_system_type {
    const char *name;
    /* A filesystem without a device (nodev: tmpfs, proc...): make (or find) a superblock for
     * `source` and the options `data`; returns 0 and the sb with a reference. */
    int (*get_sb)(struct file_system_type *type, const char *source, unsigned long flags,
                  const void *data, struct super_block **out);
    /* A filesystem on a block device: set up the new superblock `sb` that get_sb_bdev made
     * for sb->bdev, with sb->flags & MS_RDONLY as asked and fs_info_size zeroed bytes at
     * sb->fs_info: sb->magic, sb->sops and sb->root (a read-only filesystem corrects
     * sb->flags). 0, or -errno with nothing left to undo; -EINVAL (-EUCLEAN when damaged) if
     * the device does not hold this filesystem. */
    int (*fill_super)(struct super_block *sb, const void *data);
    size_t fs_info_size;
    bool nodev;                   /* needs no block device (tmpfs, proc) */
    struct file_system_type *next;
};

struct super_block {
    struct file_system_type *type;
    dev_t dev;
    unsigned long magic;
    struct dentry *root;
    const struct super_operations *sops;
    void *fs_info;
    int refcount;                 /* mounts using it */
    unsigned long flags;          /* MS_RDONLY ... on the superblock */
    uint64_t next_ino;
    /* Names looked up stay cached after their last user (disk filesystems): without it every
     * path walk reads and scans the directories again. */
    bool cache_dentries;
    struct block_device *bdev;    /* a filesystem on a block device: the device, else NULL */
    struct list_head bdev_link;   /* in super_bdev.c's list while bdev is set */
};

struct mount {
    struct super_block *sb;
    struct dentry *root;          /* the mounted tree (the sb root, or a subtree for binds) */
    struct mount *parent;         /* itself for the namespace root */
    struct dentry *mountpoint;
    unsigned long flags;          /* MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | ... */
    int refcount;                 /* paths and files using it, +1 while attached */
    char *source;                 /* the "device" shown in /proc/mounts */
    struct list_head link;        /* in the mount list */
    bool attached;
    int id;                       /* mountinfo's mount ID */
    /* Propagation (pnode.c; changed under vfs_ns_lock). Private: share empty, master NULL. */
    struct list_head share;       /* ring of the peer group (shared mounts) */
    int group;                    /* the peer group's ID while shared, else 0 */
    struct mount *master;         /* slave: a mount of the group it receives from */
    struct list_head slaves;      /* mounts whose master is this one */
    struct list_head slave_node;  /* in master->slaves */
    bool unbindable;
};

/* An inode's device as Linux's fdinfo lines print it ("sdev:%x"): the kernel's own dev_t
 * encoding, major << 20 | minor. */
static inline unsigned fdinfo_sdev(const struct inode *inode)
{
    dev_t d = inode->sb ? inode->sb->dev : 0;
    return (MAJOR(d) << 20) | (MINOR(d) & 0xfffffu);
}

struct path {
    struct mount *mnt;
    struct dentry *dentry;
};

struct fs_struct {
    int refcount;
    spinlock_t lock;
    struct path root, cwd;
    mode_t umask;
};

/* ---- vfs.c: objects ---- */
extern struct mutex vfs_ns_lock;
extern spinlock_t dcache_lock;
struct inode *inode_new(struct super_block *sb, mode_t mode);   /* ino, times, cred owner */
void iget(struct inode *inode);
void iput(struct inode *inode);
struct dentry *d_alloc(struct dentry *parent, const char *name, size_t len);
struct dentry *d_alloc_root(struct super_block *sb, struct inode *inode);
void d_instantiate(struct dentry *d, struct inode *inode);   /* consumes the inode ref */
void d_add(struct dentry *d);                    /* hash it into its parent */
void d_drop(struct dentry *d);                   /* unhash (unlink) */
void d_pin(struct dentry *d);                    /* tree reference (tmpfs) */
void d_unpin(struct dentry *d);
struct dentry *d_lookup(struct dentry *parent, const char *name, size_t len);  /* +1 ref */
void d_move(struct dentry *d, struct dentry *newparent, struct dentry *target); /* take target's name */
void d_exchange(struct dentry *a, struct dentry *b);
struct dentry *dget(struct dentry *d);
void dput(struct dentry *d);
/* Free unused cached dentries (and so their inodes), oldest first: those of sb (NULL: of
 * every filesystem), at most max of them; returns how many went. */
size_t d_prune_unused(struct super_block *sb, size_t max);
bool d_is_ancestor(struct dentry *ancestor, struct dentry *d);
void path_get(struct path *p);
void path_put(struct path *p);
struct mount *mntget(struct mount *m);
void mntput(struct mount *m);
void inode_touch(struct inode *inode, bool mtime, bool ctime);   /* set times to now */
void fs_now(struct kernel_timespec *ts);
ino_t sb_next_ino(struct super_block *sb);
dev_t anon_dev_alloc(void);
struct super_block *sb_new(struct file_system_type *type, unsigned long magic,
                           const struct super_operations *sops);
/* The same with info_size zeroed bytes for the filesystem at sb->fs_info, freed with the
 * superblock (so they outlive put_super and the root's eviction). */
struct super_block *sb_new_with_info(struct file_system_type *type, unsigned long magic,
                                     const struct super_operations *sops, size_t info_size);

int register_filesystem(struct file_system_type *type);
struct file_system_type *find_filesystem(const char *name);
int filesystem_disk_types(char *buf, size_t size);     /* NUL-separated names; returns count */

/* ---- mount.c ---- */
struct mount *lookup_mnt(struct mount *parent, struct dentry *mountpoint);
int mount_attach_root(struct super_block *sb, const char *source);
extern struct mount *root_mount;
/* Mount `fstype` from `source` on `where` (vfs_ns_lock held): a filesystem on a block device
 * takes the block special file `source` names, the others take `source` as it is and the
 * options `data` (mount(2)'s, text; NULL for none). */
int vfs_kern_mount_data(struct path *where, const char *fstype, const char *source,
                        unsigned long flags, const char *data);
int vfs_kern_mount(struct path *where, const char *fstype, const char *source,
                   unsigned long flags);
bool mnt_readonly(struct mount *m);
/* Mount `fstype` from the block device `bdev` on `where` (vfs_ns_lock held), shown as
 * `source` in /proc/mounts; *out (may be NULL) is the new mount. */
int vfs_mount_bdev(struct path *where, const char *fstype, struct block_device *bdev,
                   const char *source, unsigned long flags, struct mount **out);
/* The last reference to sb is gone: its put_super, then its root (a filesystem on a block
 * device: kill_block_super does this and more). */
void generic_shutdown_super(struct super_block *sb);
/* sync(2): every mounted filesystem's sync_fs, then every block device. 0 or the first error. */
int vfs_sync_all(void);

/* ---- rootmount.c ---- */
/* The root filesystem from root=: 0 when mounted and made current's root (panics when there
 * is no usable root). */
int mount_root(void);

/* ---- Filesystems on block devices, registered at boot after vfs_init() ---- */
void ext2_init(void);
void ofs_init(void);
void isofs_init(void);          /* iso9660, read-only (fs/isofs) */
void vfat_init(void);           /* vfat, read-only for now (fs/fat) */
void overlayfs_init(void);      /* overlay: a writable layer over read-only ones (fs/overlayfs) */

/* ---- super_bdev.c: superblocks of filesystems on block devices ---- */
/* The superblock for a mount of `bdev` by `type` (Linux's get_tree_bdev): the one already
 * mounted from the device, shared with a new reference (a second instance of the filesystem
 * would run a second, conflicting allocator over the same blocks), or a new one that
 * type->fill_super sets up and that holds the device (blkdev_get) until kill_block_super.
 * A read-only device is mounted read-only. -EBUSY, as in Linux, if the device is mounted
 * with another type or with the other read-only state, or is being unmounted right now. */
int get_sb_bdev(struct file_system_type *type, struct block_device *bdev, unsigned long flags,
                const void *data, struct super_block **out);
/* The last reference to a superblock from get_sb_bdev is gone: generic_shutdown_super, then
 * the device is released and the superblock freed (Linux's kill_block_super). */
void kill_block_super(struct super_block *sb);

/* ---- diskfs.c: the VFS side of a disk filesystem (ext2, OFS) ----
 *
 * A disk filesystem is a core (the on-disk logic: independent of the VFS, not reentrant,
 * working on its own copy of each on-disk inode) under glue that diskfs.c provides once:
 *  - one mutex per mounted filesystem (diskfs_sb.lock) serialises every call into the core;
 *    it is taken inside the VFS's locks (vfs_ns_lock, inode->lock) and never the other way
 *    round, and no iput() happens while it is held (eviction takes it);
 *  - one struct inode per live on-disk inode (the VFS makes a dentry per lookup, and every
 *    dentry of an inode must share one size, one link count, one set of locks), holding the
 *    core's copy of the on-disk inode (diskfs_core());
 *  - attribute changes the VFS makes on its own (chmod, chown, utimens) are handed to the
 *    core before its next operation on the inode, at sync and at eviction (write_attrs);
 *  - regular files' data goes through the page cache (include/pagemap.h): read(2) and mmap
 *    fill it from the core, write(2) writes through to the core and into the cached pages,
 *    pages a shared mapping wrote go back to the core at fsync, msync, sync, syncfs, eviction
 *    and unmount; a file's cached pages outlive its inode (until it is deleted, the cache is
 *    reclaimed or the filesystem unmounted), so a program run again reads nothing; no lock
 *    is held while user memory is touched (a page fault may need the filesystem);
 *  - the inode, file, directory and superblock operations of every inode are diskfs's.
 * A filesystem supplies struct diskfs_operations and a fill_super that mounts its core,
 * calls diskfs_init() and diskfs_set_root(); its fs_info starts with a struct diskfs_sb.
 * Every operation is called with the lock held and only while the core is mounted; the
 * errors they return go to user space as they are. */
struct diskfs_new {                   /* a new inode, as the VFS asks for it */
    mode_t mode;                      /* with the file type */
    uid_t uid;
    gid_t gid;
    dev_t rdev;                       /* character and block devices */
    const char *target;               /* symlinks (NULL otherwise) */
};

struct diskfs_operations {
    size_t core_inode_size;           /* bytes of the core's copy of an on-disk inode */
    size_t io_chunk;                  /* file data bytes per read/write call */
    /* Inodes. The core's copy `core` is core_inode_size bytes. */
    int (*read_inode)(struct super_block *sb, ino_t ino, void *core);
    ino_t (*core_ino)(const void *core);
    void (*to_vfs)(struct inode *inode);           /* core -> VFS: attributes and rdev */
    int (*write_attrs)(struct inode *inode);       /* VFS -> core: what the VFS changed */
    void (*evict_inode)(struct inode *inode);      /* the last reference is gone */
    /* Before any change: 0, or -EROFS. */
    int (*writable)(struct super_block *sb);
    /* Namespace. write_attrs has run on every inode named, to_vfs runs after. */
    int (*lookup)(struct inode *dir, const char *name, size_t len, ino_t *ino);
    /* A non-directory, a directory or (a->target) a symlink: the new inode into core. */
    int (*create)(struct inode *dir, const char *name, size_t len, const struct diskfs_new *a,
                  void *core);
    int (*link)(struct inode *dir, const char *name, size_t len, struct inode *inode);
    int (*unlink)(struct inode *dir, const char *name, size_t len, struct inode *inode,
                  bool isdir);
    /* od->inode moves to nd's name, replacing nd->inode (NULL: none). */
    int (*rename)(struct inode *odir, const struct dentry *od, struct inode *ndir,
                  const struct dentry *nd);
    int (*readlink)(struct inode *inode, char *buf, size_t size);
    int (*setsize)(struct inode *inode, uint64_t size);
    /* Data: bytes moved (read: 0 at the end of the file), or -errno. */
    ssize_t (*read)(struct inode *inode, uint64_t pos, void *buf, size_t len);
    ssize_t (*write)(struct inode *inode, uint64_t pos, const void *buf, size_t len);
    /* Emit entries from *pos with diskfs_emit-style calls; *pos is where to go on. */
    int (*readdir)(struct inode *dir, uint64_t *pos, struct dir_context *ctx);
    /* Optional (with diskfs_sb.data_bsize): the page cache reads regular files' data straight
     * from the device. map_blocks: the device blocks of file blocks [lblk, lblk + n) into
     * pblk (0: a hole): how many it mapped (fewer on an error after the first), or -errno.
     * check_data (may be NULL): those blocks as read into buf are sound: how many leading
     * ones are (a bad one after the first is left for a later read), or -errno. */
    ssize_t (*map_blocks)(struct inode *inode, uint64_t lblk, size_t n, uint64_t *pblk);
    ssize_t (*check_data)(struct inode *inode, uint64_t lblk, size_t n, const void *buf);
    int (*fsync)(struct inode *inode);
    /* The superblock. statfs fills everything but the type (sb->magic). */
    void (*statfs)(struct super_block *sb, struct kstatfs *st);
    int (*sync_fs)(struct super_block *sb);
    int (*remount)(struct super_block *sb, unsigned long flags);
    /* Unmount: before_unmount (optional) runs without the lock, then, with it, every live
     * inode's write_attrs and unmount. */
    void (*before_unmount)(struct super_block *sb);
    int (*unmount)(struct super_block *sb);
};

/* Buckets of the per-filesystem tables by inode number: a lookup of a name in a tree of
 * thousands of cached files must not walk all of them. */
#define DISKFS_HASH_BUCKETS 128
struct diskfs_sb {                    /* at the start of the filesystem's fs_info */
    struct mutex lock;                /* serialises every call into the core */
    struct list_head inodes;          /* live struct diskfs_inode's */
    struct list_head mappings;        /* page caches of regular files, live or not */
    struct list_head inode_hash[DISKFS_HASH_BUCKETS];     /* the live ones by number */
    struct list_head mapping_hash[DISKFS_HASH_BUCKETS];   /* the mappings by number */
    struct list_head flush_link;      /* in the page flusher's list while mounted */
    struct super_block *sb;
    const struct diskfs_operations *ops;
    bool mounted;                     /* the core is mounted (late evicts only free memory) */
    /* File data block size in bytes (a power of two, 512..PAGE_SIZE) when the filesystem's
     * data goes around the block cache (map_blocks; diskfs_read_data); 0: through its read. */
    uint32_t data_bsize;
};

static inline struct diskfs_sb *DISKFS(struct super_block *sb) { return sb->fs_info; }
static inline void diskfs_lock(struct super_block *sb) { mutex_lock(&DISKFS(sb)->lock); }
static inline void diskfs_unlock(struct super_block *sb) { mutex_unlock(&DISKFS(sb)->lock); }
/* The core's copy of inode's on-disk inode. */
void *diskfs_core(struct inode *inode);
/* fill_super: first (fs_info's diskfs_sb), and once the core is mounted (reads the root
 * directory `ino`: 0, or -errno and the filesystem is to be unmounted). */
void diskfs_init(struct super_block *sb, const struct diskfs_operations *ops);
int diskfs_set_root(struct super_block *sb, unsigned long magic, ino_t ino);
/* Every live inode's write_attrs (lock held): the first error. */
int diskfs_write_inodes(struct super_block *sb);
/* File data around the block cache (fs/diskfs_data.c), for the core's I/O: n blocks of
 * data_bsize bytes from device block blk. Any block-cache copy goes first (a dirty one is
 * written first by a read, dropped by a write, which supersedes it), so neither cache ever
 * shows stale bytes. 0 or -errno. */
int diskfs_read_data(struct super_block *sb, uint64_t blk, uint64_t n, void *buf);
int diskfs_write_data(struct super_block *sb, uint64_t blk, uint64_t n, const void *buf);
/* The page cache's fill (lock held): pages[0..n) become file pages index.. of inode, read
 * through map_blocks in as few device requests as the layout allows. Returns how many pages
 * from the first were filled (an error past the first only shortens the run), or -errno. */
#define DISKFS_READAHEAD_PAGES 16     /* 64 KiB, Linux's initial read-ahead window */
int diskfs_fill_pages(struct inode *inode, uint64_t index, void **pages, unsigned n);
/* A readdir callback (the shape of the cores'): emit one entry, ctx is the dir_context. */
bool diskfs_emit(void *ctx, const char *name, size_t len, uint64_t ino, unsigned dtype,
                 uint64_t next_pos);

/* ---- diskfs_ro.c: a read-only disk filesystem (iso9660, vfat) over diskfs ----
 * Such a filesystem's core reads the device through a struct byte_io (include/byte_io.h)
 * that diskfs_ro maps onto the buffer cache in io_block-sized blocks. It supplies its
 * struct diskfs_operations (inodes, lookup, readlink, read, readdir, statfs) with the
 * diskfs_ro_* operations below for everything that would change the disk, and a struct
 * diskfs_ro_type; its fill_super is diskfs_ro_fill_super() and its fs_info_size
 * sizeof(struct diskfs_ro_sb). A read-write mount or remount is refused with EROFS (BusyBox's
 * mount then retries read-only). */
struct byte_io;
struct diskfs_ro_type {
    const char *log_name;             /* the prefix of its log lines */
    unsigned io_block;                /* buffer-cache block size of the core's reads */
    unsigned long magic;              /* statfs f_type */
    const struct diskfs_operations *ops;
    /* Parse the mount options `data` and mount the core over io: 0 and *core, -EINVAL
     * (bad options, or not this filesystem: nothing logged here), -errno. */
    int (*mount)(const struct byte_io *io, const char *data, void **core);
    void (*unmount)(void *core);
    ino_t (*root_ino)(const void *core);
    /* What the "mounted" log line says about the volume (label, variant). */
    void (*describe)(const void *core, char *buf, size_t size);
};

struct diskfs_ro_sb {                 /* the fs_info of a read-only disk filesystem */
    struct diskfs_sb df;              /* first: diskfs's part */
    const struct diskfs_ro_type *type;
    void *core;                       /* what type->mount gave */
};

static inline void *diskfs_ro_core(struct super_block *sb)
{
    return ((struct diskfs_ro_sb *)sb->fs_info)->core;
}
int diskfs_ro_fill_super(struct super_block *sb, const void *data,
                         const struct diskfs_ro_type *type);
/* The diskfs_operations that are the same for every read-only filesystem. */
int diskfs_ro_write_attrs(struct inode *inode);
void diskfs_ro_evict_inode(struct inode *inode);
int diskfs_ro_writable(struct super_block *sb);
int diskfs_ro_fsync(struct inode *inode);
int diskfs_ro_sync_fs(struct super_block *sb);
int diskfs_ro_remount(struct super_block *sb, unsigned long flags);
int diskfs_ro_unmount(struct super_block *sb);

/* ---- cred.c: permissions ---- */
#define MAY_EXEC 1
#define MAY_WRITE 2
#define MAY_READ 4
const struct cred *fs_cred(void);
bool in_group(const struct cred *c, gid_t gid);
int inode_permission(struct inode *inode, int mask);      /* 0 or -EACCES */
bool fs_capable(void);                                    /* fsuid == 0 */
bool inode_owner_or_capable(struct inode *inode);

/* ---- namei.c ---- */
#define LOOKUP_FOLLOW 1u        /* follow a final symlink */
#define LOOKUP_DIRECTORY 2u     /* the result must be a directory */
#define LOOKUP_EMPTY 4u         /* "" names dirfd itself */
int fs_get_root(struct path *root);      /* current's root (+ref) */
int fs_get_cwd(struct path *cwd);
/* Resolve a kernel path string relative to dirfd. */
int path_lookupat(int dirfd, const char *name, unsigned flags, struct path *out);
/* Resolve all but the last component: parent (+ref), last (points into name), its length.
 * last_len 0 means the name was "/" or ended in "." or ".." (EEXIST/EBUSY for creates). */
struct last_component {
    const char *name;
    size_t len;
    bool trailing_slash;
    int type;                   /* LAST_NORM, LAST_DOT, LAST_DOTDOT, LAST_ROOT */
};
#define LAST_NORM 0
#define LAST_ROOT 1
#define LAST_DOT 2
#define LAST_DOTDOT 3
int path_parentat(int dirfd, const char *name, struct path *parent, struct last_component *last);
/* Look up (or synthesise) `name` in dir; +1 ref, or NULL when absent. Under vfs_ns_lock or not. */
struct dentry *lookup_child(struct dentry *dir, const char *name, size_t len, int *err);
void follow_mounts(struct path *p);
/* User path helpers: copy from user and resolve. */
int user_path_at(int dirfd, uaddr_t upath, unsigned flags, struct path *out);
/* The file behind dirfd as a starting directory (+ref), checking it is a directory. */
int dirfd_path(int dirfd, struct path *out);
/* Kernel-side namespace operations (also used by initramfs). */
int vfs_mknod_at(int dirfd, const char *name, mode_t mode, dev_t rdev, struct dentry **out);
int vfs_mkdir_at(int dirfd, const char *name, mode_t mode);
int vfs_symlink_at(const char *target, int dirfd, const char *name);
int vfs_link_at(int olddirfd, const char *oldname, int newdirfd, const char *newname, int flags);
int vfs_getcwd(char *buf, size_t size);
/* Absolute name of a path as seen from `root`, into the end of buf; returns start or ERR. */
int path_to_string(const struct path *p, const struct path *root, char *buf, size_t size);

/* Create a non-directory named `last` in parent (vfs_ns_lock held): checks permissions,
 * applies no umask (callers do). Returns the new dentry (+1 ref) or -errno. */
int vfs_create_locked(struct path *parent, const char *name, size_t len, mode_t mode, dev_t rdev,
                      struct dentry **out);
int may_create(struct path *parent);
mode_t current_umask(void);

/* ---- file.c ---- */
struct file *file_alloc(struct path *p, unsigned flags);    /* takes path refs */
int file_open_path(struct path *p, unsigned flags, struct file **out);  /* consumes path refs */
/* A nameless file on `inode` (takes its own inode reference). */
struct file *file_new_inode(struct inode *inode, const struct file_operations *ops, unsigned flags);
int do_truncate(struct inode *inode, loff_t size);
/* Before changing what d names: its filesystem's copy_up (overlay), else nothing. */
int vfs_copy_up(struct dentry *d);
loff_t generic_llseek(struct file *f, loff_t off, int whence);

/* ---- fdtable.c ---- */
int fd_close(int fd);
int fd_install_at(int fd, struct file *f, unsigned flags);   /* dup3-style replace */
void fd_set_cloexec(int fd, bool on);
int fd_get_cloexec(int fd);
int fd_alloc_from(struct file *f, int minfd, unsigned flags);
struct file *fget_raw(int fd);     /* includes O_PATH files */
/* Another process's table (procfs; hold a files_get reference): the file at fd with a
 * reference, or NULL; and the lowest open fd >= from, or -1. */
struct file *files_peek(struct files_struct *fs, int fd, bool *cloexec);
int files_next_fd(struct files_struct *fs, int from);

/* ---- readdir ---- */
struct dir_context {
    /* Returns false when the buffer is full (stop). */
    bool (*actor)(struct dir_context *ctx, const char *name, size_t len, loff_t next_pos,
                  ino_t ino, unsigned type);
    loff_t pos;
};
static inline unsigned mode_to_dtype(mode_t m) { return (m >> 12) & 15; }
/* Emit "." and ".." for positions 0 and 1; returns false if the buffer filled. */
bool dir_emit_dots(struct file *f, struct dir_context *ctx);
/* Directory iteration over a dentry tree's child list (tmpfs, devfs): positions are cookies. */
int dcache_readdir(struct file *f, struct dir_context *ctx);

/* ---- tmpfs.c ---- */
struct super_block *tmpfs_new_sb(struct file_system_type *type);
extern const struct file_operations tmpfs_dir_fops;
void tmpfs_init(void);
size_t tmpfs_pages_used(void);     /* data pages of all tmpfs files (/proc/meminfo) */
/* Create an unlinked regular file (memfd_create, O_TMPFILE). */
struct file *tmpfs_anon_file(const char *name, unsigned flags);
/* special-file inode setup shared with other filesystems */
void init_special_inode(struct inode *inode, mode_t mode, dev_t rdev);

/* ---- devfs.c / chrdev ---- */
extern const struct file_operations chrdev_open_fops;
void devfs_init(void);
void devfs_mount_boot(void);

/* ---- pipe.c ---- */
extern const struct file_operations fifo_fops;
void pipe_release_inode(struct inode *inode);
long pipe_fcntl_size(struct file *f);

/* ---- locks.c ---- */
void locks_remove_posix_owner(struct file *f, void *owner);   /* a close through that fd table */
void locks_remove_flock(struct file *f);     /* last reference */
long fcntl_getlk(struct file *f, uaddr_t arg);
long fcntl_setlk(struct file *f, uaddr_t arg, bool wait);

/* ---- procfs ---- */
void procfs_init(void);

/* ---- sysfs ---- */
void sysfs_init(void);

/* ---- internal syscall helpers ---- */
ssize_t vfs_read(struct file *f, struct uio *u, loff_t *pos);
ssize_t vfs_write(struct file *f, struct uio *u, loff_t *pos);

#define MNT_USER_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | \
                        MS_NODIRATIME | MS_RELATIME | MS_SYNCHRONOUS | MS_DIRSYNC)

static inline int atomic_inc_return(int *v) { return __atomic_add_fetch(v, 1, __ATOMIC_ACQ_REL); }
static inline int atomic_dec_return(int *v) { return __atomic_sub_fetch(v, 1, __ATOMIC_ACQ_REL); }
/* Take a reference unless the count is 0 (the object is being freed): true if taken. */
static inline bool atomic_inc_not_zero(int *v)
{
    int c = READ_ONCE(*v);
    while (c > 0 && !__atomic_compare_exchange_n(v, &c, c + 1, false, __ATOMIC_ACQ_REL,
                                                 __ATOMIC_RELAXED))
        ;
    return c > 0;
}
