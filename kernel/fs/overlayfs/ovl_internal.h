/* overlayfs internals: the superblock and directory state shared by the files of this folder
 * (README.md says how the layers, whiteouts and copy-up work). */
#pragma once
#include "fs.h"

#define OVERLAYFS_SUPER_MAGIC 0x794c7630UL   /* Linux's */
#define OVL_MAX_LOWER 4
/* A directory that hides its lower layers: this (hidden) file in its upper directory. The
 * aufs/OCI image-layer name; Linux's overlayfs sets the trusted.overlay.opaque xattr instead,
 * which OFS has no room for. */
#define OVL_OPAQUE_NAME ".wh..wh..opq"

struct ovl_sb {
    struct path upper;                 /* upperdir (mnt NULL: a read-only overlay) */
    struct path work;                  /* workdir, on the upper's mount */
    int nlower;
    struct path lower[OVL_MAX_LOWER];  /* lowerdir=a:b: a is on top */
    unsigned tmp_seq;                  /* names of files being copied up in workdir */
    /* Lower inodes a dentry showed before its copy-up: kept until unmount, since a system
     * call on another hart may have read the dentry's inode pointer just before the switch. */
    spinlock_t retired_lock;
    struct ovl_retired *retired;
};
struct ovl_retired {
    struct ovl_retired *next;
    struct inode *inode;
};

/* The private state of an overlay directory inode: its directory in each layer. Regular files,
 * symlinks and devices have no overlay inode: their dentries point at the real inode. */
struct ovl_dir {
    struct path upper;                 /* mnt NULL until the directory is copied up */
    int nlower;
    struct path lower[OVL_MAX_LOWER];
    bool opaque;                       /* the lower layers are hidden */
};

static inline struct ovl_sb *OVL(struct super_block *sb) { return sb->fs_info; }
static inline struct ovl_dir *OVL_DIR(struct inode *inode) { return inode->private; }

/* ovl_inode.c */
extern const struct inode_operations ovl_dir_iops;
extern const struct file_operations ovl_dir_fops;
struct inode *ovl_dir_inode(struct super_block *sb, struct ovl_dir *od);
bool ovl_is_whiteout(const struct inode *inode);
bool ovl_is_opaque(struct dentry *upper_dir);
/* The real entry `name` in a layer directory (+ref), or NULL (err set on failure). */
struct dentry *ovl_real_lookup(struct dentry *dir, const char *name, size_t len, int *err);

/* ovl_readdir.c: the merged entries of a directory. */
struct ovl_ent {
    ino_t ino;
    unsigned char type;
    bool hidden;                       /* a whiteout or a name covered by the upper layer */
    unsigned short len;
    char name[];
};
struct ovl_list {
    char *buf;
    size_t used, cap;
    size_t count;                      /* visible entries */
};
int ovl_collect(struct ovl_dir *od, struct ovl_list *out);
void ovl_list_free(struct ovl_list *l);
/* Iterate entries: returns the next one after *off (0 = the first), or NULL. */
struct ovl_ent *ovl_list_next(struct ovl_list *l, size_t *off);

/* ovl_copy_up.c (vfs_ns_lock held) */
int ovl_copy_up_dir(struct dentry *d);
int ovl_copy_up_locked(struct dentry *d);
int ovl_copy_up(struct dentry *d);     /* super_operations.copy_up */
int ovl_make_whiteout(struct super_block *sb, struct dentry *upper_dir, const char *name,
                      size_t len);
/* Real namespace operations on the upper layer (the VFS has checked permissions on the
 * overlay; the upper is changed with the filesystem's own operations). */
int ovl_real_create(struct dentry *dir, const char *name, size_t len, mode_t mode, dev_t rdev,
                    const char *target, struct dentry **out);
int ovl_real_rename(struct dentry *odir, struct dentry *od, struct dentry *ndir,
                    const char *name, size_t len);
int ovl_real_remove(struct dentry *dir, struct dentry *d);
int ovl_tmp_name(struct super_block *sb, char *buf, size_t size);
