/* Growable text buffers that pseudofs files (procfs, sysfs) are generated into. */
#include "pseudofs.h"
#include "mm.h"
#include "string.h"

#define PB_INITIAL 1024
#define PB_MAX (4u << 20)      /* argv + environment can reach 2 MiB each */

void pb_init(struct pseudo_buf *b)
{
    memset(b, 0, sizeof *b);
}

void pb_free(struct pseudo_buf *b)
{
    kfree(b->buf);
    pb_init(b);
}

void pb_reset(struct pseudo_buf *b)
{
    b->len = 0;
    b->error = 0;
}

/* Room for n more bytes; false (and b->error) when that is impossible. */
static bool pb_reserve(struct pseudo_buf *b, size_t n)
{
    if (b->error)
        return false;
    if (b->len + n <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : PB_INITIAL;
    while (cap < b->len + n && cap <= PB_MAX)
        cap *= 2;
    if (cap < b->len + n) {
        b->error = -ENOMEM;
        return false;
    }
    char *nb = kmalloc(cap);
    if (!nb) {
        b->error = -ENOMEM;
        return false;
    }
    if (b->len)
        memcpy(nb, b->buf, b->len);
    kfree(b->buf);
    b->buf = nb;
    b->cap = cap;
    return true;
}

void pb_write(struct pseudo_buf *b, const void *data, size_t n)
{
    if (!n || !pb_reserve(b, n))
        return;
    memcpy(b->buf + b->len, data, n);
    b->len += n;
}

static void pb_sink(void *ctx, const char *s, size_t n)
{
    pb_write(ctx, s, n);
}

void pb_printf(struct pseudo_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvformat(pb_sink, b, fmt, ap);
    va_end(ap);
}

void pb_fill(struct pseudo_buf *b, int (*produce)(char *buf, size_t size))
{
    size_t room = 4096;
    for (int tries = 0; tries < 8; tries++) {
        if (!pb_reserve(b, room + 1))
            return;
        int n = produce(b->buf + b->len, b->cap - b->len);
        if (n < 0) {
            b->error = n;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        room = (size_t)n + 1;      /* it did not fit: grow to the reported length */
    }
    b->error = -ENOMEM;
}
