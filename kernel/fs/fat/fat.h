/* vfat core: the on-disk logic of FAT12/16/32 volumes with VFAT long names, read-only for
 * now, independent of the VFS and of the block layer.
 *
 * The core reaches storage only through struct byte_io (any byte range by offset) and memory
 * only through kmalloc/kfree, so it runs unchanged in a host process (tests/unit/fat,
 * tests/fuzz/fuzz_fat.c) and in the kernel (fat_vfs.c maps the I/O onto the buffer cache).
 *
 * Inode numbers are the byte offset of a file's 8.3 directory entry on the device (the root,
 * which has none, is FAT_ROOT_INO); each inode is re-read and re-validated from its entry.
 *
 * Cluster chains are walked with Brent's cycle detection and never further than the volume
 * has clusters: a chain that loops, leaves the data area, hits a free or bad cluster, or ends
 * before the file's size gives -EIO and a log line, never a hang. Not reentrant: the caller
 * serialises calls on one struct fat_fs. */
#pragma once
#include "types.h"
#include "errno.h"
#include "byte_io.h"
#include "byteorder.h"

#define FAT_ROOT_INO 1u
#define FAT_NAME_MAX 255u             /* longest name handed out (bytes of UTF-8) */
#define MSDOS_SUPER_MAGIC 0x4d44

/* Mount options, spelled as Linux's: uid=, gid=, umask=, fmask=, dmask= (octal); ro, utf8 and
 * iocharset=utf8 (what we do anyway) are accepted. The default mask is 022. */
struct fat_options {
    uint32_t uid, gid;
    uint32_t fmask, dmask;
};
int fat_parse_options(const char *data, struct fat_options *out);

struct fat_fs {
    struct byte_io io;
    struct fat_options opt;
    unsigned bits;                    /* 12, 16 or 32 */
    uint32_t sector_size, cluster_size;
    uint64_t fat_start;               /* byte offset of the first FAT */
    uint64_t root_start;              /* FAT12/16: byte offset of the fixed root directory */
    uint32_t root_entries;            /* FAT12/16: its entries */
    uint64_t data_start;              /* byte offset of cluster 2 */
    uint32_t nclusters;               /* data clusters: valid numbers are 2 .. nclusters+1 */
    uint32_t root_cluster;            /* FAT32 */
    uint64_t limit;                   /* bytes: nothing at or past this is read */
    uint64_t total_bytes;
    char label[12];                   /* volume label, trailing spaces trimmed ("" if none) */
};

struct fat_inode {
    uint64_t ino;
    uint32_t mode, nlink, uid, gid;
    uint64_t size;
    int64_t atime, mtime, ctime;
    uint32_t start;                   /* first cluster, 0 for an empty file */
    uint32_t chain_len;               /* clusters in its (validated) chain */
    /* Where the last read left the chain: clusters are found from here going forward. */
    uint32_t cache_index, cache_cluster;
};

/* ---- fat_super.c ---- */
/* Read and validate the boot sector: 0, -EINVAL (not FAT), -EIO, -ENOMEM. */
int fat_mount(const struct byte_io *io, const struct fat_options *opt, struct fat_fs **out);
void fat_unmount(struct fat_fs *fs);
int fat_read_bytes(struct fat_fs *fs, uint64_t off, void *buf, size_t len);
int fat_error(struct fat_fs *fs, uint64_t ino, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The cluster after cl in its chain: 0 and *next (0 at the end of the chain), or -EIO. */
int fat_next(struct fat_fs *fs, uint32_t cl, uint32_t *next);
/* Walk the chain from start: its length in clusters, or -EIO (loops, bad links). */
int fat_chain_len(struct fat_fs *fs, uint64_t ino, uint32_t start, uint32_t *len);
uint64_t fat_cluster_off(const struct fat_fs *fs, uint32_t cl);

/* ---- fat_inode.c ---- */
int fat_iget(struct fat_fs *fs, uint64_t ino, struct fat_inode *out);
/* Up to len bytes of file data at off (0 at the end). Bytes read or -errno. */
ssize_t fat_read(struct fat_fs *fs, struct fat_inode *in, uint64_t off, void *buf, size_t len);
/* Byte offset on the device of byte `pos` of in's data (a directory or file): 0 or -EIO. */
int fat_map(struct fat_fs *fs, struct fat_inode *in, uint64_t pos, uint64_t *dev);

/* ---- fat_dir.c ---- */
typedef bool (*fat_filldir_t)(void *ctx, const char *name, size_t len, uint64_t ino,
                              unsigned dtype, uint64_t next_pos);
/* Entries from *pos ("." and ".." first), updating it. */
int fat_readdir(struct fat_fs *fs, struct fat_inode *dir, uint64_t *pos, fat_filldir_t fill,
                void *ctx);
/* Case-insensitive (ASCII), against the long name and the 8.3 name: 0 and *ino, -ENOENT. */
int fat_lookup(struct fat_fs *fs, struct fat_inode *dir, const char *name, size_t len,
               uint64_t *ino);
/* The label from the root directory's volume label entry, if it has one (into fs->label). */
int fat_read_root_label(struct fat_fs *fs);

/* Directory entry fields. */
#define FAT_DE_SIZE 32u
#define FAT_ATTR_RO 0x01
#define FAT_ATTR_VOLUME 0x08
#define FAT_ATTR_DIR 0x10
#define FAT_ATTR_LFN 0x0f
