/* Host stand-ins for kernel services, and the memory block device (ofs_host.h). Only
 * headers the kernel's include directory does not shadow, so this also builds with
 * -Ikernel/include (the fuzz targets' flags); image files are in ofs_filedev.c. */
#include "ratelimit.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ofs_host.h"

int ofs_host_verbose = -1;
unsigned ofs_host_log_lines;

void *kmalloc(size_t n) { return malloc(n ? n : 1); }
void *kzalloc(size_t n) { return calloc(1, n ? n : 1); }
void kfree(void *p) { free(p); }

/* Every message is printed on the host: tests count them. */
bool ___ratelimit(struct ratelimit_state *rs, const char *func)
{
    (void)rs;
    (void)func;
    return true;
}

int printk(const char *fmt, ...)
{
    if (ofs_host_verbose < 0)
        ofs_host_verbose = getenv("OFS_VERBOSE") != NULL;
    ofs_host_log_lines++;
    if (!ofs_host_verbose)
        return 0;
    /* Strip the "<n>" log level prefix. */
    if (fmt[0] == '<' && fmt[1] && fmt[2] == '>')
        fmt += 3;
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(stderr, fmt, ap);
    va_end(ap);
    return n;
}

/* ---- Memory ---- */

static int md_read(void *ctx, uint64_t blk, void *buf)
{
    struct ofs_memdev *d = ctx;
    if (blk >= d->nblocks)
        return -EIO;
    d->reads++;
    memcpy(buf, d->data + blk * OFS_BLOCK_SIZE, OFS_BLOCK_SIZE);
    return 0;
}

static int md_write(void *ctx, uint64_t blk, const void *buf)
{
    struct ofs_memdev *d = ctx;
    if (blk >= d->nblocks)
        return -EIO;
    d->writes++;
    memcpy(d->data + blk * OFS_BLOCK_SIZE, buf, OFS_BLOCK_SIZE);
    return 0;
}

static int md_flush(void *ctx)
{
    struct ofs_memdev *d = ctx;
    d->flushes++;
    return 0;
}

struct ofs_io ofs_memdev_io(struct ofs_memdev *d)
{
    struct ofs_io io = { .ctx = d, .read = md_read, .write = md_write, .flush = md_flush,
                         .nblocks = d->nblocks, .now = NULL };
    return io;
}
