/* vfat core: inodes from 8.3 directory entries (the root from the boot sector), and file and
 * directory data through their cluster chains. */
#include "fat.h"
#include "rtc_lib.h"
#include "kernel.h"
#include "mm.h"
#include "string.h"
#include "uapi/stat.h"

/* A DOS date and time (local time on the writer's machine; taken as UTC, as with tz=UTC). */
static int64_t dos_time(uint16_t date, uint16_t time)
{
    unsigned y = 1980 + (date >> 9), m = (date >> 5) & 15, d = date & 31;
    unsigned h = time >> 11, mi = (time >> 5) & 63, s = (time & 31) * 2;
    if (m < 1 || m > 12 || d < 1 || h > 23 || mi > 59 || s > 59)
        return 315532800;             /* 1980-01-01, FAT's epoch */
    return days_from_civil(y, (int)m, (int)d) * 86400 + h * 3600 + mi * 60 + s;
}

static int root_inode(struct fat_fs *fs, struct fat_inode *out)
{
    out->mode = S_IFDIR | (0777 & ~fs->opt.dmask);
    out->nlink = 2;
    if (fs->bits != 32) {
        out->size = (uint64_t)fs->root_entries * FAT_DE_SIZE;
        return 0;
    }
    out->start = fs->root_cluster;
    int err = fat_chain_len(fs, FAT_ROOT_INO, out->start, &out->chain_len);
    out->size = (uint64_t)out->chain_len * fs->cluster_size;
    return err;
}

int fat_iget(struct fat_fs *fs, uint64_t ino, struct fat_inode *out)
{
    memset(out, 0, sizeof(*out));
    out->ino = ino;
    out->uid = fs->opt.uid;
    out->gid = fs->opt.gid;
    if (ino == FAT_ROOT_INO)
        return root_inode(fs, out);
    uint8_t de[FAT_DE_SIZE];
    if (ino < fs->root_start || ino % FAT_DE_SIZE || fat_read_bytes(fs, ino, de, sizeof de))
        return fat_error(fs, ino, "no directory entry there");
    uint8_t attr = de[11];
    if (de[0] == 0 || de[0] == 0xe5 || (attr & FAT_ATTR_LFN) == FAT_ATTR_LFN ||
        (attr & FAT_ATTR_VOLUME))
        return fat_error(fs, ino, "not a file entry");
    out->start = get_le16(de + 26) | (fs->bits == 32 ? (uint32_t)get_le16(de + 20) << 16 : 0);
    out->mtime = dos_time(get_le16(de + 24), get_le16(de + 22));
    out->ctime = dos_time(get_le16(de + 16), get_le16(de + 14));
    out->atime = dos_time(get_le16(de + 18), 0);
    int err = fat_chain_len(fs, ino, out->start, &out->chain_len);
    if (err)
        return err;
    if (attr & FAT_ATTR_DIR) {
        if (!out->start)
            return fat_error(fs, ino, "directory without clusters");
        out->mode = S_IFDIR | (0777 & ~fs->opt.dmask);
        out->nlink = 2;
        out->size = (uint64_t)out->chain_len * fs->cluster_size;
        return 0;
    }
    out->mode = S_IFREG | (0777 & ~fs->opt.fmask);
    if (attr & FAT_ATTR_RO)
        out->mode &= ~0222u;
    out->nlink = 1;
    out->size = get_le32(de + 28);
    uint64_t need = (out->size + fs->cluster_size - 1) / fs->cluster_size;
    if (need > out->chain_len)
        return fat_error(fs, ino, "cluster chain (%u) shorter than the file (%llu bytes)",
                         (unsigned)out->chain_len, (unsigned long long)out->size);
    return 0;
}

int fat_map(struct fat_fs *fs, struct fat_inode *in, uint64_t pos, uint64_t *dev)
{
    if (in->ino == FAT_ROOT_INO && fs->bits != 32) {
        if (pos >= in->size)
            return -EIO;
        *dev = fs->root_start + pos;
        return 0;
    }
    uint64_t index = pos / fs->cluster_size;
    if (index >= in->chain_len || !in->start)
        return fat_error(fs, in->ino, "offset %llu past the cluster chain",
                         (unsigned long long)pos);
    if (!in->cache_cluster || in->cache_index > index) {
        in->cache_index = 0;
        in->cache_cluster = in->start;
    }
    /* chain_len was validated loop-free at iget; the walk is still checked link by link. */
    while (in->cache_index < index) {
        uint32_t next;
        int err = fat_next(fs, in->cache_cluster, &next);
        if (err)
            return err;
        if (!next)
            return fat_error(fs, in->ino, "cluster chain ended early");
        in->cache_cluster = next;
        in->cache_index++;
    }
    *dev = fat_cluster_off(fs, in->cache_cluster) + pos % fs->cluster_size;
    return 0;
}

ssize_t fat_read(struct fat_fs *fs, struct fat_inode *in, uint64_t off, void *buf, size_t len)
{
    if (!S_ISREG(in->mode))
        return -EINVAL;
    if (off >= in->size)
        return 0;
    len = (size_t)MIN((uint64_t)len, in->size - off);
    size_t done = 0;
    while (done < len) {
        uint64_t pos = off + done, dev;
        size_t n = (size_t)MIN((uint64_t)(len - done),
                               fs->cluster_size - pos % fs->cluster_size);
        int err = fat_map(fs, in, pos, &dev);
        if (!err && (err = fat_read_bytes(fs, dev, (char *)buf + done, n)))
            fat_error(fs, in->ino, "cannot read %zu bytes at %llu", n, (unsigned long long)dev);
        if (err)
            return done ? (ssize_t)done : -EIO;
        done += n;
    }
    return (ssize_t)done;
}
