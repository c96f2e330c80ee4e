/* Host stand-ins for the kernel services the FAT core uses, an in-memory device, and a
 * bounded walk over a whole volume. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fat_host.h"
#include "uapi/stat.h"

void *kmalloc(size_t n) { return malloc(n ? n : 1); }
void *kzalloc(size_t n) { return calloc(1, n ? n : 1); }
void kfree(void *p) { free(p); }

unsigned fat_printk_lines;

int printk(const char *fmt, ...)
{
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("FAT_TEST_VERBOSE") != NULL;
    fat_printk_lines++;
    if (!verbose)
        return 0;
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(stderr, fmt, ap);
    va_end(ap);
    return n;
}

static int md_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct fat_memdev *md = ctx;
    md->reads++;
    if (off > md->size || len > md->size - off)
        return -EIO;
    memcpy(buf, md->data + off, len);
    return 0;
}

struct fat_io fat_memdev_io(struct fat_memdev *md)
{
    struct fat_io io = { .ctx = md, .read = md_read, .dev_size = md->size };
    return io;
}

/* ---- Walk ---- */

struct walk {
    struct fat_fs *fs;
    unsigned seen, max;
    uint64_t todo[64];
    unsigned ntodo;
};

static bool walk_fill(void *ctx, const char *name, size_t len, uint64_t ino, unsigned dtype,
                      uint64_t next_pos)
{
    (void)next_pos, (void)dtype;
    struct walk *w = ctx;
    if (++w->seen > w->max)
        return false;
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return true;
    struct fat_inode in;
    if (fat_iget(w->fs, ino, &in) != 0)
        return true;
    static char buf[8192];
    if (S_ISREG(in.mode)) {
        for (uint64_t off = 0; off < in.size && off < (1u << 20); off += sizeof buf)
            if (fat_read(w->fs, &in, off, buf, sizeof buf) <= 0)
                break;
    } else if (S_ISDIR(in.mode) && w->ntodo < 64) {
        w->todo[w->ntodo++] = ino;
    }
    return true;
}

unsigned fat_walk_all(struct fat_fs *fs, unsigned max_entries)
{
    struct walk w = { .fs = fs, .max = max_entries };
    w.todo[w.ntodo++] = FAT_ROOT_INO;
    for (unsigned i = 0; i < w.ntodo && w.seen <= w.max; i++) {
        struct fat_inode dir;
        if (fat_iget(fs, w.todo[i], &dir) != 0 || !S_ISDIR(dir.mode))
            continue;
        uint64_t pos = 0;
        fat_readdir(fs, &dir, &pos, walk_fill, &w);
    }
    return w.seen;
}
