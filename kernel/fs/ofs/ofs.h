/* OFS core: the copy-on-write tree, the space map, the commit, and the file and directory
 * operations, independent of the VFS and of the block layer.
 *
 * The core reaches storage only through struct ofs_io (whole 4096-byte blocks plus a flush)
 * and memory only through kmalloc/kfree, so the same code runs in the kernel (ofs_vfs.c over
 * the buffer cache), in the host tools (mkfs.ofs, fsck.ofs) and in the host tests.
 *
 * Transactions. Every change goes into an in-memory transaction on top of the last commit:
 * tree nodes that change are copied (never overwritten on disk), data blocks that belong to
 * the last commit are rewritten to new blocks, and a block the last commit uses is never
 * written until a newer commit is durable. ofs_commit() makes the whole transaction durable
 * at once (docs/ofs.md: "Commit protocol"). After a crash the filesystem is exactly the last
 * commit: fsync/sync = ofs_commit.
 *
 * Errors. Each operation checks its arguments and reserves space before it changes anything,
 * so ENOENT, EEXIST, ENOTEMPTY, ENOSPC... leave no trace. Corruption (a bad checksum or an
 * invalid structure: -EUCLEAN) or a device error in the middle of a change makes the
 * filesystem read-only with a log line: the transaction is dropped, the disk keeps the last
 * commit. Nothing here panics or loops without a bound.
 *
 * Concurrency: not reentrant; the caller serialises all calls on one struct ofs_fs. */
#pragma once
#include "types.h"
#include "errno.h"
#include "ofs_format.h"

struct ofs_io {
    void *ctx;
    /* One whole block (OFS_BLOCK_SIZE bytes) at block number blk: 0 or -errno. */
    int (*read)(void *ctx, uint64_t blk, void *buf);
    int (*write)(void *ctx, uint64_t blk, const void *buf);
    /* The same for file data blocks (may be NULL: read/write). The kernel sends them around
     * its block cache, which the page cache already holds the data for. */
    int (*read_data)(void *ctx, uint64_t blk, void *buf);
    int (*write_data)(void *ctx, uint64_t blk, const void *buf);
    /* Every write that returned before this call is durable when it returns 0. */
    int (*flush)(void *ctx);
    uint64_t nblocks;                 /* device size in blocks */
    /* Wall-clock time for timestamps (NULL: 0). */
    void (*now)(void *ctx, struct ofs_timespec *ts);
    /* Told after each successful commit (may be NULL; the host crash tests snapshot the
     * committed state here, including commits the core makes on its own). */
    void (*committed)(void *ctx, uint64_t seq);
};

struct ofs_node;

struct ofs_fs {
    struct ofs_io io;
    struct ofs_super sb;              /* the last commit's superblock */
    struct ofs_node *root;
    /* Space map: one bit per block, 1 = used. `work` is the transaction's view, `commit` the
     * last commit's. A block may be allocated only if free in both. */
    uint8_t *bm_work, *bm_commit;
    uint64_t *chunk_blk;              /* where each bitmap block of the last commit lives */
    uint32_t *chunk_crc;
    uint8_t *chunk_state;             /* CHUNK_DIRTY / CHUNK_MOVED during a commit */
    uint64_t free_work;               /* zero bits in bm_work */
    uint64_t avail;                   /* blocks free in both maps */
    uint64_t dirty_nodes;             /* tree nodes that need a block at commit */
    uint64_t cached_nodes;
    uint64_t next_ino, inode_count;
    uint64_t alloc_cursor;
    unsigned height;                  /* root level + 1 */
    bool readonly;                    /* mounted read-only, or after an error */
    bool errors;                      /* corruption or an I/O error was seen */
    bool dirty;                       /* the transaction is not empty */
    uint64_t commits;                 /* statistics */
    uint64_t data_errors;             /* data checksum mismatches seen by reads */
    unsigned dirty_limit;             /* commit on our own above this many dirty nodes */
    uint8_t *blockbuf;                /* scratch block for the commit and mount */
    uint8_t *iobuf;                   /* scratch block for partial data blocks */
};

/* ---- Mount, commit, format (ofs_super.c) ---- */
#define OFS_MOUNT_RDONLY 1u
/* Pick the newest valid superblock, load the space map, check the root. A read-write mount
 * also finishes the removal of orphans (unlinked inodes that were still open at a crash).
 * 0 or -errno (-EUCLEAN: no valid superblock or the newest commit is damaged). */
int ofs_mount(const struct ofs_io *io, unsigned flags, struct ofs_fs **out);
/* Commit (if read-write) and free everything. Returns the commit's result. */
int ofs_unmount(struct ofs_fs *fs);
/* Make the current transaction durable (fsync, sync). 0 if there was nothing to do. */
int ofs_commit(struct ofs_fs *fs);
/* Drop cached clean tree nodes (memory pressure; called after commits). */
void ofs_shrink_cache(struct ofs_fs *fs);

struct ofs_format_params {
    uint64_t blocks;                  /* 0: the whole device */
    uint8_t uuid[OFS_UUID_LEN];
    char label[OFS_LABEL_LEN];
    struct ofs_timespec time;         /* timestamps of the root directory and mkfs_time */
    uint32_t root_mode;               /* permission bits of / (0: 0755) */
    uint32_t root_uid, root_gid;
};
/* Write a new empty filesystem (commit 1 in slot 1; slot 0 zeroed). Deterministic: the
 * bytes written depend only on the parameters. 0 or -errno. */
int ofs_format(const struct ofs_io *io, const struct ofs_format_params *p);

/* statfs's f_type for OFS ("OFS1"). */
#define OFS_SUPER_MAGIC 0x4f465331ul

struct ofs_statfs {
    uint64_t blocks, bfree, bavail, files, ffree;
    uint32_t bsize, namelen;
};
void ofs_statfs(struct ofs_fs *fs, struct ofs_statfs *st);

/* Log corruption (ino 0: not about one inode), make the filesystem read-only. Returns err. */
int ofs_error(struct ofs_fs *fs, uint64_t ino, int err, const char *what);
void ofs_now(struct ofs_fs *fs, struct ofs_timespec *ts);
/* Log a data checksum mismatch of inode ino, logical block lblk at physical block pblk
 * (rate-limited) and count it. The filesystem stays as it is: its structure is intact.
 * Returns -EIO. */
int ofs_data_error(struct ofs_fs *fs, uint64_t ino, uint64_t lblk, uint64_t pblk);

/* ---- The tree (ofs_tree.c) ---- */
/* Exact lookup: copies the value (at most cap bytes; *len is its full length). -ENOENT. */
int ofs_tree_lookup(struct ofs_fs *fs, const struct ofs_key *key, void *val, size_t cap,
                    size_t *len);
/* The first item with a key >= *key: its key in *found. -ENOENT if none. */
int ofs_tree_next(struct ofs_fs *fs, const struct ofs_key *key, struct ofs_key *found,
                  void *val, size_t cap, size_t *len);
/* Insert (replace: overwrite an existing item; otherwise -EEXIST). len <= OFS_MAX_VALUE. */
int ofs_tree_insert(struct ofs_fs *fs, const struct ofs_key *key, const void *val, size_t len,
                    bool replace);
int ofs_tree_delete(struct ofs_fs *fs, const struct ofs_key *key);
/* Write every dirty node to a newly allocated block (part of the commit). */
int ofs_tree_write(struct ofs_fs *fs, struct ofs_ptr *root_out, unsigned *level_out);
/* Load the root of a committed tree; free the whole in-memory tree. */
int ofs_tree_load_root(struct ofs_fs *fs, const struct ofs_ptr *root, unsigned level);
void ofs_tree_free(struct ofs_fs *fs);
/* A fresh empty leaf as the root (format). */
int ofs_tree_init_empty(struct ofs_fs *fs);
/* Visit every node of the committed tree reachable from `root`, reading from the device:
 * the callback gets the block number, its bytes (checksum and structure checked), its level
 * and the key range the parent allows ([lo, hi); NULL: unbounded). A block that fails the
 * checks is reported with block NULL and the reason in why, and its subtree is skipped.
 * The callback returns 0 to descend, 1 to skip the node's subtree, < 0 to stop the walk.
 * Used by fsck. Returns the first negative callback result, or 0. */
typedef int (*ofs_node_visit_t)(void *ctx, uint64_t blk, const uint8_t *block, unsigned level,
                                const struct ofs_key *lo, const struct ofs_key *hi,
                                const char *why);
int ofs_tree_walk_disk(struct ofs_fs *fs, const struct ofs_ptr *root, unsigned level,
                       ofs_node_visit_t visit, void *ctx);

/* ---- Space (ofs_space.c) ---- */
int ofs_alloc_block(struct ofs_fs *fs, uint64_t goal, uint64_t *out);
void ofs_free_block(struct ofs_fs *fs, uint64_t blk);
bool ofs_block_committed(struct ofs_fs *fs, uint64_t blk);
/* Reserve room for an operation before it changes anything: `data` new data blocks and
 * `tree_ops` tree insertions/deletions. May commit first to turn freed blocks into free ones.
 * 0, -ENOSPC or -EROFS. */
int ofs_begin(struct ofs_fs *fs, uint64_t data, unsigned tree_ops);
/* Load the committed space map (mount). */
int ofs_space_load(struct ofs_fs *fs);
/* Write the space map for a commit: moves every changed bitmap block and the index to new
 * blocks; fills in sb->bmap. */
int ofs_space_write(struct ofs_fs *fs, struct ofs_ptr *bmap_out);
/* After a durable commit: the working map becomes the committed one. */
void ofs_space_committed(struct ofs_fs *fs);
int ofs_space_init(struct ofs_fs *fs, uint64_t total_blocks);
void ofs_space_free(struct ofs_fs *fs);
static inline bool ofs_bit(const uint8_t *map, uint64_t b) { return (map[b >> 3] >> (b & 7)) & 1; }

/* ---- Inodes and files (ofs_file.c) ---- */
struct ofs_inode {
    uint64_t ino;
    struct ofs_dinode d;
};
int ofs_iget(struct ofs_fs *fs, uint64_t ino, struct ofs_inode *out);
int ofs_iput(struct ofs_fs *fs, const struct ofs_inode *in);   /* write the inode item */
/* Read up to len bytes at off (stops at the size). Returns bytes read or -errno. */
ssize_t ofs_read(struct ofs_fs *fs, struct ofs_inode *in, uint64_t off, void *buf, size_t len);
/* Write, growing the size; updates mtime/ctime and *in. Returns bytes written (short after
 * some progress when the filesystem fills up) or -errno. */
ssize_t ofs_write(struct ofs_fs *fs, struct ofs_inode *in, uint64_t off, const void *buf,
                  size_t len);
/* ofs_write for a caller that already reserved the space with ofs_begin (so no commit can
 * separate its own change from this write: a new symlink and its target). */
ssize_t ofs_write_reserved(struct ofs_fs *fs, struct ofs_inode *in, uint64_t off,
                           const void *buf, size_t len);
#define OFS_MAX_FILE_SIZE (1ull << 50)
#define OFS_SET_MODE 1u
#define OFS_SET_UID 2u
#define OFS_SET_GID 4u
#define OFS_SET_SIZE 8u
#define OFS_SET_ATIME 16u
#define OFS_SET_MTIME 32u
#define OFS_SET_CTIME 64u      /* explicit ctime; otherwise any change sets ctime to now */
struct ofs_setattr {
    unsigned mask;
    uint32_t mode, uid, gid;        /* mode: permission bits only */
    uint64_t size;
    struct ofs_timespec atime, mtime, ctime;
};
int ofs_setattr(struct ofs_fs *fs, struct ofs_inode *in, const struct ofs_setattr *sa);
/* Free everything of an inode with no links left (called when nobody uses it any more). */
int ofs_evict(struct ofs_fs *fs, uint64_t ino);
/* Version 1 -> 2: checksum every extent that has none (read-write mount; may commit).
 * *converted: data blocks checksummed. The caller sets the version and commits. */
int ofs_add_datasums(struct ofs_fs *fs, uint64_t *converted);
/* Map logical block lblk: *pblk = 0 for a hole; *run = blocks contiguous from there. */
int ofs_bmap(struct ofs_fs *fs, uint64_t ino, uint64_t lblk, uint64_t *pblk, uint64_t *run);
/* Check n data blocks of ino from lblk, read by the caller into buf (holes as zeros),
 * against their checksums: the number of leading good blocks (a bad one after the first is
 * left to a later read to report), or -EIO (logged and counted as ofs_read does) if the
 * first block is bad. */
ssize_t ofs_check_data(struct ofs_fs *fs, uint64_t ino, uint64_t lblk, uint64_t n,
                       const void *buf);

/* ---- Directories (ofs_dir.c) ---- */
int ofs_lookup(struct ofs_fs *fs, struct ofs_inode *dir, const char *name, size_t len,
               uint64_t *ino);
/* Emit entries from *pos on ("." at 0, ".." at 1, then in hash order). The callback returns
 * false to stop; *pos is then the refused entry's position. next_pos is the getdents64 d_off. */
typedef bool (*ofs_filldir_t)(void *ctx, const char *name, size_t len, uint64_t ino,
                              unsigned dtype, uint64_t next_pos);
#define OFS_DIR_EOF (1ull << 41)
int ofs_readdir(struct ofs_fs *fs, struct ofs_inode *dir, uint64_t *pos, ofs_filldir_t fill,
                void *ctx);
struct ofs_attrs {
    uint32_t mode;                  /* with the file type */
    uint32_t uid, gid;
    uint64_t rdev;
};
/* Create a non-directory, non-symlink inode `name` in dir (-EEXIST if it exists). */
int ofs_create(struct ofs_fs *fs, struct ofs_inode *dir, const char *name, size_t len,
               const struct ofs_attrs *a, struct ofs_inode *out);
int ofs_mkdir(struct ofs_fs *fs, struct ofs_inode *dir, const char *name, size_t len,
              const struct ofs_attrs *a, struct ofs_inode *out);
int ofs_symlink(struct ofs_fs *fs, struct ofs_inode *dir, const char *name, size_t len,
                const char *target, size_t tlen, const struct ofs_attrs *a,
                struct ofs_inode *out);
int ofs_readlink(struct ofs_fs *fs, struct ofs_inode *in, char *buf, size_t size);
/* A new name for in (not a directory). */
int ofs_link(struct ofs_fs *fs, struct ofs_inode *dir, const char *name, size_t len,
             struct ofs_inode *in);
/* Remove a non-directory name; *in (the inode it named) is updated. When its nlink reaches 0
 * it becomes an orphan: call ofs_evict once nobody holds it. */
int ofs_unlink(struct ofs_fs *fs, struct ofs_inode *dir, const char *name, size_t len,
               struct ofs_inode *in);
/* Remove an empty directory (-ENOTEMPTY): it becomes an orphan (evict it afterwards). */
int ofs_rmdir(struct ofs_fs *fs, struct ofs_inode *dir, const char *name, size_t len,
              struct ofs_inode *in);
/* Move oname in odir to nname in ndir, replacing what nname named (rename(2) rules; the
 * replaced inode, if its links reach 0, becomes an orphan and its number is stored in
 * *victim, else *victim = 0). odir and ndir may be the same object. Atomic: a commit sees the
 * old or the new state. */
int ofs_rename(struct ofs_fs *fs, struct ofs_inode *odir, const char *oname, size_t olen,
               struct ofs_inode *ndir, const char *nname, size_t nlen, uint64_t *victim);
int ofs_dir_empty(struct ofs_fs *fs, uint64_t dir);   /* 0 if empty, -ENOTEMPTY, -errno */
