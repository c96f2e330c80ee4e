/* Host stand-ins for the kernel services the read-only filesystem cores use, an in-memory
 * device and a directory-name collector (memdev_host.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "errno.h"
#include "memdev_host.h"
#include "ratelimit.h"

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
        verbose = getenv("ROFS_TEST_VERBOSE") != NULL;
    host_printk_lines++;
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
    struct memdev *md = ctx;
    md->reads++;
    if (off > md->size || len > md->size - off)
        return -EIO;
    memcpy(buf, md->data + off, len);
    return 0;
}

struct byte_io memdev_io(struct memdev *md)
{
    struct byte_io io = { .ctx = md, .read = md_read, .dev_size = md->size };
    return io;
}

bool names_collect(void *ctx, const char *name, size_t len, uint64_t ino, unsigned dtype,
                   uint64_t next_pos)
{
    (void)ino, (void)dtype, (void)next_pos;
    struct names *nm = ctx;
    if (nm->n < NAMES_MAX) {
        memcpy(nm->list[nm->n], name, len);
        nm->list[nm->n++][len] = 0;
    }
    return true;
}

bool names_has(const struct names *nm, const char *name)
{
    for (unsigned i = 0; i < nm->n; i++)
        if (!strcmp(nm->list[i], name))
            return true;
    return false;
}
