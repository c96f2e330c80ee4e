/* Host stand-ins for the kernel services the ext2 core uses, an in-memory device, and a
 * bounded walk over a whole filesystem. */
#include "ratelimit.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ext2_host.h"
#include "kprintf.h"

void *kmalloc(size_t n) { return malloc(n ? n : 1); }
void *kzalloc(size_t n) { return calloc(1, n ? n : 1); }
void kfree(void *p) { free(p); }

unsigned host_printk_lines;

/* Every message is printed on the host: tests count them. */
bool ___ratelimit(struct ratelimit_state *rs, const char *func)
{
    (void)rs;
    (void)func;
    return true;
}

int printk(const char *fmt, ...)
{
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("EXT2_TEST_VERBOSE") != NULL;
    host_printk_lines++;
    if (!verbose)
        return 0;
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(stderr, fmt, ap);
    va_end(ap);
    return n;
}

static int md_fail(struct memdev *md)
{
    if (md->fail_after > 0 && md->reads + md->writes >= (uint64_t)md->fail_after)
        return -EIO;
    return 0;
}

static int md_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct memdev *md = ctx;
    if (md_fail(md))
        return -EIO;
    md->reads++;
    if (off > md->size || len > md->size - off)
        return -EIO;
    memcpy(buf, md->data + off, len);
    return 0;
}

static int md_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
    struct memdev *md = ctx;
    if (md_fail(md))
        return -EIO;
    md->writes++;
    if (off > md->size || len > md->size - off)
        return -EIO;
    memcpy(md->data + off, buf, len);
    return 0;
}

static int64_t md_now(void *ctx)
{
    (void)ctx;
    return 1700000000;
}

struct ext2_io memdev_io(struct memdev *md)
{
    struct ext2_io io = { .ctx = md, .read = md_read, .write = md_write, .flush = NULL,
                          .dev_size = md->size, .now = md_now };
    return io;
}

/* ---- Walk ---- */

struct walk {
    struct ext2_fs *fs;
    unsigned visited, max;
    uint32_t *todo;
    unsigned ntodo, cap;
};

static bool walk_fill(void *ctx, const char *name, size_t len, uint64_t next, uint32_t ino,
                      unsigned ft)
{
    struct walk *w = ctx;
    (void)next; (void)ft;
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return true;
    if (w->visited + w->ntodo >= w->max)
        return false;
    if (w->ntodo == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 64;
        w->todo = realloc(w->todo, w->cap * sizeof(*w->todo));
    }
    w->todo[w->ntodo++] = ino;
    return true;
}

static void visit(struct walk *w, uint32_t ino)
{
    struct ext2_inode_mem in;
    w->visited++;
    if (ext2_iget(w->fs, ino, &in) < 0)
        return;
    static char buf[65536];
    uint64_t size = ext2_isize(&in);
    switch (in.d.i_mode & 0170000) {
    case 0100000:
        ext2_read(w->fs, &in, 0, buf, sizeof(buf));
        if (size > sizeof(buf))
            ext2_read(w->fs, &in, size - 100, buf, 100);
        break;
    case 0120000:
        ext2_readlink(w->fs, &in, buf, 4096);
        break;
    case 0040000: {
        uint64_t pos = 0, last = 0;
        for (int rounds = 0; rounds < 100000; rounds++) {
            if (ext2_readdir(w->fs, &in, &pos, walk_fill, w) < 0 || pos == last)
                break;
            last = pos;
            if (pos >= size)
                break;
        }
        break;
    }
    default: {
        unsigned ma, mi;
        ext2_get_dev(&in, &ma, &mi);
    }
    }
}

unsigned ext2_walk_all(struct ext2_fs *fs, unsigned max_entries)
{
    struct walk w = { .fs = fs, .max = max_entries };
    visit(&w, EXT2_ROOT_INO);
    /* Breadth-first with a bounded number of visits: a directory loop cannot hang it. */
    while (w.ntodo && w.visited < w.max) {
        uint32_t ino = w.todo[--w.ntodo];
        visit(&w, ino);
    }
    free(w.todo);
    return w.visited;
}
