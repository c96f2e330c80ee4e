/* ext2 core: the on-disk logic, independent of the VFS and of the block layer.
 *
 * The core reaches storage only through struct ext2_io (whole filesystem blocks addressed by
 * byte offset) and memory only through kmalloc/kfree, so it runs unchanged in a host process
 * (tests/unit/ext2) and in the kernel (ext2_vfs.c maps the I/O onto the buffer cache).
 *
 * Concurrency: the core is not reentrant; the caller serialises all calls on one struct
 * ext2_fs (the VFS glue holds one mutex per filesystem).
 *
 * Errors: every on-disk number is range-checked before use. Corruption gives -EUCLEAN (or
 * -EIO from the device) and a log line naming the inode or block; from then on the filesystem
 * refuses writes (errors=remount-ro). Nothing here panics or loops without a bound. */
#pragma once
#include "types.h"
#include "errno.h"
#include "ext2_fs.h"

struct ext2_io {
    void *ctx;
    /* Read/write `len` bytes at byte offset `off` of the device: 0 or -errno. The core only
     * asks for whole filesystem blocks (and the 1 KiB superblock at offset 1024). */
    int (*read)(void *ctx, uint64_t off, void *buf, size_t len);
    int (*write)(void *ctx, uint64_t off, const void *buf, size_t len);
    /* The same for regular files' data blocks (may be NULL: read/write). The kernel sends
     * them around its block cache, which the page cache already holds the data for. */
    int (*read_data)(void *ctx, uint64_t off, void *buf, size_t len);
    int (*write_data)(void *ctx, uint64_t off, const void *buf, size_t len);
    int (*flush)(void *ctx);          /* may be NULL */
    uint64_t dev_size;                /* bytes; 0 = unknown (no check) */
    /* Seconds since the epoch for timestamps (may be NULL: 0). */
    int64_t (*now)(void *ctx);
    /* Told the filesystem block size once the superblock is validated, before any block
     * I/O (may be NULL): a block cache can then use it as its buffer size. */
    void (*set_block_size)(void *ctx, uint32_t size);
};

struct ext2_fs {
    struct ext2_io io;
    struct ext2_super_block sb;       /* in-memory copy; written back by ext2_sync */
    struct ext2_group_desc *gd;       /* all group descriptors */
    uint32_t block_size;
    uint32_t log_block_size;          /* log2(block_size) */
    uint32_t groups;
    uint32_t blocks_per_group, inodes_per_group;
    uint32_t inode_size, first_ino;
    uint32_t addr_per_block;          /* block numbers per indirect block */
    uint32_t gdt_blocks;              /* blocks of the group descriptor table */
    uint32_t first_data_block;
    uint64_t max_file_blocks;         /* logical blocks the 15 pointers can map */
    bool readonly;                    /* mounted read-only, or made so by an error */
    bool mounted_rw;                  /* the superblock was marked in use at mount */
    bool errors;                      /* corruption was seen */
    bool sb_dirty, gd_dirty;
};

/* An inode as the core handles it: the number and its first 128 on-disk bytes. */
struct ext2_inode_mem {
    uint32_t ino;
    struct ext2_inode d;
};

/* ---- ext2_super.c ---- */
#define EXT2_MOUNT_RDONLY 1u
/* Read and validate the superblock and descriptors. *ro_out (may be NULL) tells whether the
 * filesystem was forced read-only by unknown RO_COMPAT features. 0 or -errno. */
int ext2_mount(const struct ext2_io *io, unsigned flags, struct ext2_fs **out);
/* Write back the superblock and descriptors (if rw), flush, free. */
int ext2_unmount(struct ext2_fs *fs);
int ext2_sync(struct ext2_fs *fs);
/* Switch between read-only and read-write (remount). */
int ext2_remount(struct ext2_fs *fs, bool readonly);
struct ext2_statfs {
    uint64_t blocks, bfree, bavail, files, ffree;
    uint32_t bsize;
};
void ext2_statfs(struct ext2_fs *fs, struct ext2_statfs *st);
/* Log corruption (inode 0: none) and turn the filesystem read-only. Returns -EUCLEAN. */
int ext2_error(struct ext2_fs *fs, uint32_t ino, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int ext2_read_block(struct ext2_fs *fs, uint32_t blk, void *buf);
int ext2_write_block(struct ext2_fs *fs, uint32_t blk, const void *buf);
/* The same for a regular file's data block (io.read_data/write_data). */
int ext2_read_data(struct ext2_fs *fs, uint32_t blk, void *buf);
int ext2_write_data(struct ext2_fs *fs, uint32_t blk, const void *buf);
/* True if blk may hold file data or indirect blocks: inside the filesystem and not in any
 * group's superblock, descriptor table, bitmaps or inode table. */
bool ext2_data_block_ok(struct ext2_fs *fs, uint32_t blk);
bool ext2_group_has_super(struct ext2_fs *fs, uint32_t group);
int ext2_check_writable(struct ext2_fs *fs);    /* 0 or -EROFS */
uint32_t ext2_now(struct ext2_fs *fs);
void *ext2_blk_alloc(struct ext2_fs *fs);       /* a zeroed block-sized buffer, or NULL */

/* ---- ext2_alloc.c ---- */
/* Allocate a block near `goal` (0: anywhere); marks it used. 0 or -ENOSPC/-EUCLEAN. */
int ext2_new_block(struct ext2_fs *fs, uint32_t goal, uint32_t *out);
int ext2_free_block(struct ext2_fs *fs, uint32_t ino, uint32_t blk);
/* Allocate an inode number (near the parent's group); counts a directory if dir. */
int ext2_new_inode_nr(struct ext2_fs *fs, uint32_t parent, bool dir, uint32_t *out);
int ext2_free_inode_nr(struct ext2_fs *fs, uint32_t ino, bool dir);

/* ---- ext2_inode.c ---- */
int ext2_iget(struct ext2_fs *fs, uint32_t ino, struct ext2_inode_mem *out);
int ext2_iwrite(struct ext2_fs *fs, const struct ext2_inode_mem *in);
/* Write a newly allocated inode (also clears the on-disk bytes past the first 128). */
int ext2_iwrite_new(struct ext2_fs *fs, const struct ext2_inode_mem *in);
uint64_t ext2_isize(const struct ext2_inode_mem *in);
void ext2_set_isize(struct ext2_fs *fs, struct ext2_inode_mem *in, uint64_t size);
uint32_t ext2_iuid(const struct ext2_inode_mem *in);
uint32_t ext2_igid(const struct ext2_inode_mem *in);
void ext2_set_iuid(struct ext2_inode_mem *in, uint32_t uid);
void ext2_set_igid(struct ext2_inode_mem *in, uint32_t gid);
/* Device numbers in i_block (old 8:8 encoding in i_block[0], new one in i_block[1]). */
void ext2_get_dev(const struct ext2_inode_mem *in, unsigned *major, unsigned *minor);
void ext2_set_dev(struct ext2_inode_mem *in, unsigned major, unsigned minor);
/* Map logical block lblk: *pblk = 0 for a hole. create allocates (and writes the inode's
 * i_blocks into `in`, not to disk). */
int ext2_bmap(struct ext2_fs *fs, struct ext2_inode_mem *in, uint64_t lblk, bool create,
              uint32_t *pblk);
/* Read up to len bytes at off (stops at the size). Returns bytes read or -errno. */
ssize_t ext2_read(struct ext2_fs *fs, struct ext2_inode_mem *in, uint64_t off, void *buf,
                  size_t len);
/* Write, allocating blocks and growing the size; writes the inode. Returns bytes written
 * (short on ENOSPC after some progress) or -errno. */
ssize_t ext2_write(struct ext2_fs *fs, struct ext2_inode_mem *in, uint64_t off,
                   const void *buf, size_t len);
/* Change the size; shrinking frees blocks (and emptied indirect blocks). Writes the inode. */
int ext2_truncate(struct ext2_fs *fs, struct ext2_inode_mem *in, uint64_t size);
/* Release everything of an inode with no links left: blocks, xattr block, the inode number
 * (dtime set, mode kept as Linux does). */
int ext2_free_inode(struct ext2_fs *fs, struct ext2_inode_mem *in);
bool ext2_is_fast_symlink(struct ext2_fs *fs, const struct ext2_inode_mem *in);
/* The symlink target, NUL-terminated, into buf; returns its length or -errno. */
int ext2_readlink(struct ext2_fs *fs, struct ext2_inode_mem *in, char *buf, size_t size);
uint64_t ext2_max_size(struct ext2_fs *fs);
/* Store a symlink target of len (< block size) in the inode's first data block. */
int ext2_write_slow_symlink(struct ext2_fs *fs, struct ext2_inode_mem *in, const char *target,
                            size_t len);

/* ---- ext2_dir.c ---- */
/* Find name in dir: 0 and *ino, or -ENOENT/-errno. */
int ext2_lookup(struct ext2_fs *fs, struct ext2_inode_mem *dir, const char *name, size_t len,
                uint32_t *ino);
/* Iterate from byte offset *pos; the callback returns false to stop (then *pos is the entry
 * it refused). next_pos is the offset of the following entry (getdents64 d_off). */
typedef bool (*ext2_filldir_t)(void *ctx, const char *name, size_t len, uint64_t next_pos,
                               uint32_t ino, unsigned file_type);
int ext2_readdir(struct ext2_fs *fs, struct ext2_inode_mem *dir, uint64_t *pos,
                 ext2_filldir_t fill, void *ctx);
unsigned ext2_mode_to_ft(uint32_t mode);

struct ext2_new_attrs {
    uint32_t mode;        /* with the file type */
    uint32_t uid, gid;
    unsigned major, minor;  /* devices */
};
/* Create a non-directory (regular, device, FIFO, socket) `name` in dir; *out is the new
 * inode. -EEXIST if the name exists. */
int ext2_create(struct ext2_fs *fs, struct ext2_inode_mem *dir, const char *name, size_t len,
                const struct ext2_new_attrs *a, struct ext2_inode_mem *out);
int ext2_mkdir(struct ext2_fs *fs, struct ext2_inode_mem *dir, const char *name, size_t len,
               const struct ext2_new_attrs *a, struct ext2_inode_mem *out);
int ext2_symlink(struct ext2_fs *fs, struct ext2_inode_mem *dir, const char *name, size_t len,
                 const char *target, const struct ext2_new_attrs *a, struct ext2_inode_mem *out);
/* A new name for `in` (not a directory); increments and writes its link count. */
int ext2_link(struct ext2_fs *fs, struct ext2_inode_mem *dir, const char *name, size_t len,
              struct ext2_inode_mem *in);
/* Remove the entry and drop a link of `in` (written). The caller frees the inode with
 * ext2_free_inode once nobody uses it and i_links_count is 0. */
int ext2_unlink(struct ext2_fs *fs, struct ext2_inode_mem *dir, const char *name, size_t len,
                struct ext2_inode_mem *in);
/* Remove an empty directory (-ENOTEMPTY otherwise): its links go to 0, dir loses one. */
int ext2_rmdir(struct ext2_fs *fs, struct ext2_inode_mem *dir, const char *name, size_t len,
               struct ext2_inode_mem *in);
/* Move oname in odir to nname in ndir. `in` is the moved inode; `victim` (NULL if nname
 * does not exist) the replaced one, whose link count drops (to 0 for a directory, which must
 * be empty). odir and ndir may be the same object. */
int ext2_rename(struct ext2_fs *fs, struct ext2_inode_mem *odir, const char *oname, size_t olen,
                struct ext2_inode_mem *ndir, const char *nname, size_t nlen,
                struct ext2_inode_mem *in, struct ext2_inode_mem *victim);
/* -ENOTEMPTY, 0 if only "." and "..", or -errno. */
int ext2_dir_empty(struct ext2_fs *fs, struct ext2_inode_mem *dir);
