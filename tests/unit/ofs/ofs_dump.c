/* Canonical dump of an OFS tree (ofs_dump.h). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "ofs_dump.h"
#include "crc32.h"

uint64_t ofs_dump_max_bytes = 64u << 20;

struct sbuf {
    char *s;
    size_t len, cap;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->len + (size_t)n + 1 > b->cap) {
        b->cap = (b->len + (size_t)n + 1) * 2;
        b->s = realloc(b->s, b->cap);
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

struct ent {
    char name[OFS_NAME_MAX + 1];
    uint64_t ino;
};
struct list {
    struct ent *e;
    size_t n, cap;
    unsigned max;
};

static bool collect(void *ctx, const char *name, size_t len, uint64_t ino, unsigned dtype,
                    uint64_t next)
{
    (void)dtype;
    (void)next;
    struct list *l = ctx;
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return true;
    if (l->n >= l->max)
        return false;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->e = realloc(l->e, l->cap * sizeof(*l->e));
    }
    memcpy(l->e[l->n].name, name, len);
    l->e[l->n].name[len] = 0;
    l->e[l->n].ino = ino;
    l->n++;
    return true;
}

static int cmp_ent(const void *a, const void *b)
{
    return strcmp(((const struct ent *)a)->name, ((const struct ent *)b)->name);
}

static int dump_dir(struct ofs_fs *fs, struct sbuf *out, const char *path, uint64_t dino,
                    unsigned depth, unsigned *budget)
{
    if (depth > 32)
        return -ELOOP;
    struct ofs_inode dir = { .ino = dino };
    struct list l = { .max = *budget };
    uint64_t pos = 0;
    int r = ofs_readdir(fs, &dir, &pos, collect, &l);
    if (r == 0 && pos != OFS_DIR_EOF && l.n >= l.max)
        r = -E2BIG;
    if (r < 0) {
        free(l.e);
        return r;
    }
    *budget -= (unsigned)l.n;
    if (l.n)
        qsort(l.e, l.n, sizeof(*l.e), cmp_ent);
    uint8_t *buf = malloc(1 << 16);
    for (size_t i = 0; i < l.n && r == 0; i++) {
        struct ofs_inode in;
        r = ofs_iget(fs, l.e[i].ino, &in);
        if (r < 0)
            break;
        char *p = malloc(strlen(path) + strlen(l.e[i].name) + 2);
        sprintf(p, "%s/%s", path, l.e[i].name);
        uint32_t type = in.d.mode & 0170000u;
        sb_printf(out, "%s mode=%o uid=%u gid=%u", p, in.d.mode, in.d.uid, in.d.gid);
        if (type == 0040000u) {
            sb_printf(out, " nlink=%u\n", in.d.nlink);
            r = dump_dir(fs, out, p, in.ino, depth + 1, budget);
        } else if (type == 0120000u) {
            char t[OFS_BLOCK_SIZE];
            int n = ofs_readlink(fs, &in, t, sizeof(t));
            if (n < 0)
                r = n;
            else
                sb_printf(out, " -> %s\n", t);
        } else {
            uint32_t crc = 0;
            uint64_t off = 0, size = in.d.size;
            /* Bounded: at most ofs_dump_max_bytes of content per file. */
            while (off < size && off < ofs_dump_max_bytes) {
                ssize_t n = ofs_read(fs, &in, off, buf, 1 << 16);
                if (n <= 0) {
                    r = n < 0 ? (int)n : -EIO;
                    break;
                }
                crc = crc32c(crc, buf, (size_t)n);
                off += (uint64_t)n;
            }
            sb_printf(out, " nlink=%u size=%llu crc=%08x\n", in.d.nlink,
                      (unsigned long long)size, crc);
        }
        free(p);
    }
    free(buf);
    free(l.e);
    return r;
}

char *ofs_dump(struct ofs_fs *fs, unsigned max_entries, int *err)
{
    struct sbuf out = { 0 };
    sb_printf(&out, "/\n");
    unsigned budget = max_entries;
    int r = dump_dir(fs, &out, "", OFS_ROOT_INO, 0, &budget);
    if (r < 0) {
        if (err)
            *err = r;
        free(out.s);
        return NULL;
    }
    return out.s;
}
