/* Directory reading: getdents64 and the dentry-tree iterator tmpfs and devfs use. */
#include "fs.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"
#include "syscall.h"
#include "uapi/dirent.h"

bool dir_emit_dots(struct file *f, struct dir_context *ctx)
{
    if (ctx->pos == 0) {
        if (!ctx->actor(ctx, ".", 1, 1, f->inode->ino, DT_DIR))
            return false;
        ctx->pos = 1;
    }
    if (ctx->pos == 1) {
        struct dentry *d = f->dentry;
        ino_t ino = d && d->parent && d->parent->inode ? d->parent->inode->ino : f->inode->ino;
        if (!ctx->actor(ctx, "..", 2, 2, ino, DT_DIR))
            return false;
        ctx->pos = 2;
    }
    return true;
}

/* Children are kept in creation order with increasing cookies, so a position is "the next
 * cookie to show". The file remembers the last dentry shown to resume without a rescan. */
int dcache_readdir(struct file *f, struct dir_context *ctx)
{
    if (!dir_emit_dots(f, ctx))
        return 0;
    struct dentry *dir = f->dentry;
    struct dentry *cursor = f->private_data, *last = NULL;
    spin_lock(&dcache_lock);
    struct list_head *it;
    if (cursor && cursor->parent == dir && (cursor->flags & DENTRY_HASHED) &&
        cursor->cookie + 1 == (uint64_t)ctx->pos) {
        it = cursor->child.next;
    } else {
        for (it = dir->children.next; it != &dir->children; it = it->next)
            if (list_entry(it, struct dentry, child)->cookie >= (uint64_t)ctx->pos)
                break;
    }
    for (; it != &dir->children; it = it->next) {
        struct dentry *c = list_entry(it, struct dentry, child);
        if (!c->inode)
            continue;
        if (!ctx->actor(ctx, c->name, c->name_len, (loff_t)c->cookie + 1, c->inode->ino,
                        mode_to_dtype(c->inode->mode)))
            break;
        ctx->pos = (loff_t)c->cookie + 1;
        last = c;
    }
    if (last)
        dget(last);
    spin_unlock(&dcache_lock);
    if (last) {
        f->private_data = last;
        if (cursor)
            dput(cursor);
    }
    return 0;
}

struct getdents_ctx {
    struct dir_context ctx;
    char *buf;
    size_t size, used;
    int error;
};

static bool filldir64(struct dir_context *ctx, const char *name, size_t len, loff_t next_pos,
                      ino_t ino, unsigned type)
{
    struct getdents_ctx *g = container_of(ctx, struct getdents_ctx, ctx);
    size_t reclen = ALIGN_UP(offsetof(struct linux_dirent64, d_name) + len + 1, 8);
    if (g->used + reclen > g->size) {
        if (g->used == 0)
            g->error = -EINVAL;
        return false;
    }
    struct linux_dirent64 *d = (struct linux_dirent64 *)(g->buf + g->used);
    d->d_ino = ino;
    d->d_off = next_pos;
    d->d_reclen = (uint16_t)reclen;
    d->d_type = (uint8_t)type;
    memcpy(d->d_name, name, len);
    memset(d->d_name + len, 0, reclen - offsetof(struct linux_dirent64, d_name) - len);
    g->used += reclen;
    return true;
}

#define GETDENTS_MAX 32768

SYSCALL_DEFINE3(getdents64, int, fd, uaddr_t, dirent, unsigned, count)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    long ret;
    if (!f->ops->iterate) {
        ret = -ENOTDIR;
        goto out;
    }
    struct getdents_ctx g = { .ctx = { .actor = filldir64 },
                              .size = MIN((size_t)count, (size_t)GETDENTS_MAX) };
    g.buf = kmalloc(g.size ? g.size : 1);
    if (!g.buf) {
        ret = -ENOMEM;
        goto out;
    }
    struct inode *inode = f->inode;
    mutex_lock(&inode->lock);
    g.ctx.pos = f->pos;
    ret = f->ops->iterate(f, &g.ctx);
    f->pos = g.ctx.pos;
    mutex_unlock(&inode->lock);
    if (ret >= 0) {
        if (g.error && g.used == 0)
            ret = g.error;
        else if (copy_to_user(dirent, g.buf, g.used) < 0)
            ret = -EFAULT;
        else
            ret = (long)g.used;
    }
    kfree(g.buf);
out:
    file_put(f);
    return ret;
}
