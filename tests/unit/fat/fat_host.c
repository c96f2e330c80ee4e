/* A bounded walk over a whole FAT volume (the kernel stand-ins and the in-memory device are
 * ../rofs/memdev_host.c). */
#include "fat_host.h"
#include "uapi/stat.h"

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
