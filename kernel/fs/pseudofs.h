/* pseudofs: the core shared by procfs and sysfs, synthetic filesystems whose nodes are
 * described by static tables rather than stored anywhere.
 *
 * A node is an entry (each filesystem's entry struct starts with a `struct pseudo_entry`)
 * plus a context saying what it is about (a process, an interface ...; at most
 * PSEUDO_CTX_MAX bytes, copied into the inode). A directory lists its static entries, then
 * children the filesystem produces on demand (pids, interfaces ...). Nothing is cached:
 * lookup makes a fresh dentry and inode (DENTRY_NOCACHE), and a file's text is generated into
 * a pseudo_buf when it is read from offset 0 (later reads continue that snapshot), as Linux's
 * seq_file does. Files open read-only (EACCES for writing) unless the filesystem has a store
 * operation and the node's mode a write bit (a sysctl); every mount shares one superblock. Files: pseudofs.c (inodes, directories, files, superblock), pseudofs_buf.c. */
#pragma once
#include "fs.h"
#include "kprintf.h"

/* ---- pseudofs_buf.c: the generated text of a file ---- */
struct pseudo_buf {
    char *buf;
    size_t len, cap;
    int error;                 /* -ENOMEM once growing failed */
};
void pb_init(struct pseudo_buf *b);
void pb_free(struct pseudo_buf *b);
void pb_reset(struct pseudo_buf *b);
void pb_printf(struct pseudo_buf *b, const char *fmt, ...) KPRINTF_FORMAT(2, 3);
void pb_write(struct pseudo_buf *b, const void *data, size_t n);
/* Appends the output of an snprintf-like producer (returns the full length). */
void pb_fill(struct pseudo_buf *b, int (*produce)(char *buf, size_t size));

/* ---- nodes ---- */
struct pseudo_entry {
    const char *name;
    mode_t mode;               /* S_IFREG | 0444, S_IFDIR | 0555, S_IFLNK | 0777 ... */
};

#define PSEUDO_CTX_MAX 32
#define PSEUDO_CTX union { uint64_t align; unsigned char ctx[PSEUDO_CTX_MAX]; }

struct pseudo_inode {
    const struct pseudo_entry *entry;
    PSEUDO_CTX;
};
static inline struct pseudo_inode *PSI(struct inode *inode) { return inode->private; }

/* A child a filesystem produces beyond a directory's static entries. */
struct pseudo_child {
    const char *name;          /* may point at namebuf */
    char namebuf[32];
    const struct pseudo_entry *entry;
    unsigned slot;             /* passed to ino() */
    PSEUDO_CTX;
};

struct pseudofs {
    struct file_system_type type;
    unsigned long magic;
    size_t ctx_size;
    const struct pseudo_entry *root;
    const void *root_ctx;
    /* The i-th static entry of directory dir, or NULL past the last. */
    const struct pseudo_entry *(*entry_at)(const struct pseudo_entry *dir, size_t i);
    /* The inode number of a child of dir (slot: the static index, or the child's slot). */
    ino_t (*ino)(struct inode *dir, const void *child_ctx, unsigned slot);
    /* Produced children, optional. next: the one at the smallest position >= from (positions
     * below 1 << 40, stable while children come and go), or -1. lookup: the one named so,
     * 0 or -errno; NULL: search with next. */
    long (*next)(struct inode *dir, long from, struct pseudo_child *out);
    int (*lookup)(struct inode *dir, const char *name, size_t len, struct pseudo_child *out);
    /* Optional: whether the thing a context is about still exists (its nodes disappear). */
    bool (*alive)(const void *ctx);
    /* Optional: the owner of a node; -errno if it cannot be made now. Default: root. */
    int (*owner)(const void *ctx, uid_t *uid, gid_t *gid);
    /* Files: generate the text into b; 0 or -errno. */
    int (*show)(struct inode *inode, struct pseudo_buf *b);
    /* Writable files (a node whose mode has a write bit), optional: take the bytes written
     * at offset 0 (at most a page); 0 or -errno. */
    int (*store)(struct inode *inode, const char *buf, size_t len);
    const struct inode_operations *link_iops;    /* symlinks, if any */
    /* Optional: may the caller use this directory at all (inode_permission asks before the
     * mode bits)? 0 or -errno. */
    int (*dir_permission)(struct inode *dir, int mask);
    struct super_block *sb;    /* the one superblock, made at the first mount */
};

/* The inode of a node, with a copy of its context. */
struct inode *pseudofs_make_inode(struct super_block *sb, const struct pseudo_entry *e,
                                  const void *ctx, ino_t ino);
/* Whether an inode's node still exists. */
bool pseudofs_alive(struct inode *inode);
/* Registers the filesystem. */
void pseudofs_register(struct pseudofs *fs);
