/* Regular files' data of a disk filesystem, around the block cache (include/fs.h,
 * "diskfs_data.c"): the page cache holds file contents, so a copy in the block cache too would
 * only be memory spent twice. Metadata stays in the block cache; the two meet only when a
 * block changes role (freed metadata reused for data or the reverse), which bcache_forget
 * settles before every direct transfer. */
#include "fs.h"
#include "blkdev.h"
#include "mm.h"
#include "string.h"

/* Blocks of a read-ahead window at the smallest block size. */
#define MAX_WINDOW_BLOCKS (DISKFS_READAHEAD_PAGES * (PAGE_SIZE / SECTOR_SIZE))

int diskfs_read_data(struct super_block *sb, uint64_t blk, uint64_t n, void *buf)
{
    uint32_t bs = DISKFS(sb)->data_bsize;
    int err = bcache_forget(sb->bdev, blk, n, bs, true);
    if (err)
        return err;
    return blkdev_read(sb->bdev, blk * (bs >> SECTOR_SHIFT), buf, n * bs);
}

int diskfs_write_data(struct super_block *sb, uint64_t blk, uint64_t n, const void *buf)
{
    uint32_t bs = DISKFS(sb)->data_bsize;
    if (sb->bdev->read_only)
        return -EROFS;
    bcache_forget(sb->bdev, blk, n, bs, false);
    return blkdev_write(sb->bdev, blk * (bs >> SECTOR_SHIFT), buf, n * bs);
}

/* Blocks [0, n) of the window as mapped in pblk into buf: one request per run of blocks
 * that lie one after the other on the device, holes as zeros. How many leading blocks were
 * read, or -errno if not even the first. */
static ssize_t read_runs(struct super_block *sb, const uint64_t *pblk, size_t n, char *buf)
{
    uint32_t bs = DISKFS(sb)->data_bsize;
    size_t i = 0;
    while (i < n) {
        size_t j = i + 1;
        if (!pblk[i]) {
            while (j < n && !pblk[j])
                j++;
            memset(buf + i * bs, 0, (j - i) * bs);
        } else {
            while (j < n && pblk[j] == pblk[j - 1] + 1)
                j++;
            int err = diskfs_read_data(sb, pblk[i], j - i, buf + i * bs);
            if (err)
                return i ? (ssize_t)i : err;
        }
        i = j;
    }
    return (ssize_t)n;
}

int diskfs_fill_pages(struct inode *inode, uint64_t index, void **pages, unsigned n)
{
    struct super_block *sb = inode->sb;
    const struct diskfs_operations *ops = DISKFS(sb)->ops;
    uint32_t bs = DISKFS(sb)->data_bsize;
    size_t bpp = PAGE_SIZE / bs;
    uint64_t pblk[MAX_WINDOW_BLOCKS];
    n = MIN(n, (unsigned)DISKFS_READAHEAD_PAGES);
    uint64_t lblk = index * bpp;
    ssize_t got = ops->map_blocks(inode, lblk, n * bpp, pblk);
    if (got < 0)
        return (int)got;
    n = MIN(n, (unsigned)((size_t)got / bpp));
    if (n == 0)
        return -EIO;
    /* One page goes straight into place; a window through one buffer, in one request per
     * contiguous run. */
    char *buf = n == 1 ? pages[0] : kmalloc((size_t)n * PAGE_SIZE);
    if (!buf) {
        n = 1;
        buf = pages[0];
    }
    got = read_runs(sb, pblk, n * bpp, buf);
    if (got < (ssize_t)(n * bpp) && n > 1) {
        /* A request of the window failed as a whole (dm-verity refuses one with a single bad
         * block in it): the pages before the bad block still read, one request each. */
        size_t k = got > 0 ? (size_t)got / bpp : 0;
        for (; k < n; k++) {
            ssize_t r = read_runs(sb, pblk + k * bpp, bpp, buf + k * PAGE_SIZE);
            if (r < (ssize_t)bpp) {
                if (k == 0)
                    got = r < 0 ? r : -EIO;
                break;
            }
        }
        if (k)
            got = (ssize_t)(k * bpp);
    }
    if (got >= 0 && ops->check_data)
        got = ops->check_data(inode, lblk, (size_t)got, buf);
    if (got >= 0 && (size_t)got < bpp)
        got = -EIO;
    if (got < 0) {
        if (buf != pages[0])
            kfree(buf);
        return (int)got;
    }
    n = (unsigned)((size_t)got / bpp);
    if (buf != pages[0]) {
        for (unsigned i = 0; i < n; i++)
            memcpy(pages[i], buf + (size_t)i * PAGE_SIZE, PAGE_SIZE);
        kfree(buf);
    }
    /* Past the end of the file a page reads as zeros, whatever the device holds there. */
    uint64_t end = (uint64_t)inode->size;
    uint64_t last = (index + n - 1) * PAGE_SIZE;
    if (end < last + PAGE_SIZE && end > last)
        memset((char *)pages[n - 1] + (end - last), 0, (size_t)(last + PAGE_SIZE - end));
    return (int)n;
}
