/* VFS internals shared by the files of fs/: inodes, dentries, superblocks, mounts, paths,
 * filesystem types, and the helpers the file-system implementations use.
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
#include "kernel.h"
#include "fs.h"
#include "list.h"
#include "mutex.h"
#include "time.h"

struct super_block;
struct inode;
struct dentry;
struct kstatfs;
struct pipe;
struct path;

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
    char inline_name[24];
};

struct file_system_type {
    const char *name;
    /* Make (or find) a superblock for `source`; returns 0 and the sb with a reference. */
    int (*get_sb)(struct file_system_type *type, const char *source, unsigned long flags,
                  const void *data, struct super_block **out);
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
/* The same with filesystem options (mount(2)'s data, text; NULL for none). */
int vfs_kern_mount_data(struct path *where, const char *fstype, const char *source,
                        unsigned long flags, const char *data);
int vfs_kern_mount(struct path *where, const char *fstype, const char *source,
                   unsigned long flags);
bool mnt_readonly(struct mount *m);
/* Mount `fstype` on `where` with an explicit block-device spec for filesystems that need one
 * (blkdev_resolve syntax: "254:2", "PARTUUID=..."), shown as `source` in /proc/mounts. */
int vfs_mount_blkdev(struct path *where, const char *fstype, const char *devspec,
                     const char *source, unsigned long flags, struct mount **out);
/* sync(2): every mounted filesystem's sync_fs, then every block device. 0 or the first error. */
int vfs_sync_all(void);
/* The root filesystem from root= (rootmount.c): 0 when mounted and made current's root. */
int mount_root(void);

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
#define DT_UNKNOWN 0
#define DT_FIFO 1
#define DT_CHR 2
#define DT_DIR 4
#define DT_BLK 6
#define DT_REG 8
#define DT_LNK 10
#define DT_SOCK 12
static inline unsigned mode_to_dtype(mode_t m) { return (m >> 12) & 15; }
/* Emit "." and ".." for positions 0 and 1; returns false if the buffer filled. */
bool dir_emit_dots(struct file *f, struct dir_context *ctx);
/* Directory iteration over a dentry tree's child list (tmpfs, devfs): positions are cookies. */
int dcache_readdir(struct file *f, struct dir_context *ctx);

/* ---- tmpfs.c ---- */
#define TMPFS_MAGIC 0x01021994
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

#define RENAME_NOREPLACE 1u
#define RENAME_EXCHANGE 2u
#define RENAME_WHITEOUT 4u

#define MS_RDONLY 1ul
#define MS_NOSUID 2ul
#define MS_NODEV 4ul
#define MS_NOEXEC 8ul
#define MS_SYNCHRONOUS 16ul
#define MS_REMOUNT 32ul
#define MS_MANDLOCK 64ul
#define MS_DIRSYNC 128ul
#define MS_NOSYMFOLLOW 256ul
#define MS_NOATIME 1024ul
#define MS_NODIRATIME 2048ul
#define MS_BIND 4096ul
#define MS_MOVE 8192ul
#define MS_REC 16384ul
#define MS_SILENT 32768ul
#define MS_UNBINDABLE (1ul << 17)
#define MS_PRIVATE (1ul << 18)
#define MS_SLAVE (1ul << 19)
#define MS_SHARED (1ul << 20)
#define MS_RELATIME (1ul << 21)
#define MS_STRICTATIME (1ul << 24)
#define MS_LAZYTIME (1ul << 25)
#define MNT_USER_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | \
                        MS_NODIRATIME | MS_RELATIME | MS_SYNCHRONOUS | MS_DIRSYNC)

/* ERR_PTR-style helpers. */
static inline void *ERR_PTR(long e) { return (void *)e; }
static inline long PTR_ERR(const void *p) { return (long)p; }
static inline bool IS_ERR(const void *p) { return IS_ERR_VALUE((unsigned long)p); }

static inline int atomic_inc_return(int *v) { return __atomic_add_fetch(v, 1, __ATOMIC_ACQ_REL); }
static inline int atomic_dec_return(int *v) { return __atomic_sub_fetch(v, 1, __ATOMIC_ACQ_REL); }
