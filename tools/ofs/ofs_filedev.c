/* Image files (or block devices) as OFS devices for mkfs.ofs and fsck.ofs (ofs_host.h).
 * Build with -D_GNU_SOURCE -iquote kernel/include: the host's own errno.h and time.h. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "ofs_host.h"

#ifndef BLKGETSIZE64
#define BLKGETSIZE64 _IOR(0x12, 114, size_t)
#endif

static int fd_read(void *ctx, uint64_t blk, void *buf)
{
    struct ofs_filedev *d = ctx;
    if (blk >= d->nblocks)
        return -EIO;
    ssize_t n = pread(d->fd, buf, OFS_BLOCK_SIZE, (off_t)(blk * OFS_BLOCK_SIZE));
    return n == OFS_BLOCK_SIZE ? 0 : -EIO;
}

static int fd_write(void *ctx, uint64_t blk, const void *buf)
{
    struct ofs_filedev *d = ctx;
    if (blk >= d->nblocks)
        return -EIO;
    ssize_t n = pwrite(d->fd, buf, OFS_BLOCK_SIZE, (off_t)(blk * OFS_BLOCK_SIZE));
    return n == OFS_BLOCK_SIZE ? 0 : -EIO;
}

static int fd_flush(void *ctx)
{
    struct ofs_filedev *d = ctx;
    return fsync(d->fd) == 0 || errno == EINVAL ? 0 : -EIO;
}

static void host_now(void *ctx, struct ofs_timespec *ts)
{
    (void)ctx;
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    ts->sec = t.tv_sec;
    ts->nsec = (uint32_t)t.tv_nsec;
}

int ofs_filedev_open(struct ofs_filedev *d, const char *path, int writable)
{
    d->fd = open(path, writable ? O_RDWR : O_RDONLY);
    if (d->fd < 0)
        return -errno;
    struct stat st;
    if (fstat(d->fd, &st) < 0) {
        close(d->fd);
        return -errno;
    }
    uint64_t bytes = (uint64_t)st.st_size;
    if (S_ISBLK(st.st_mode) && ioctl(d->fd, BLKGETSIZE64, &bytes) < 0) {
        int e = errno;
        close(d->fd);
        return -e;
    }
    d->nblocks = bytes / OFS_BLOCK_SIZE;
    return 0;
}

void ofs_filedev_close(struct ofs_filedev *d)
{
    close(d->fd);
}

struct ofs_io ofs_filedev_io(struct ofs_filedev *d)
{
    struct ofs_io io = { .ctx = d, .read = fd_read, .write = fd_write, .flush = fd_flush,
                         .nblocks = d->nblocks, .now = host_now };
    return io;
}

