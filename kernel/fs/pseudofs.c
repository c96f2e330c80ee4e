/* pseudofs: inodes, directory lookup and listing, generated files and the shared superblock
 * of procfs and sysfs (pseudofs.h). What the nodes contain is each filesystem's own. */
#include "pseudofs.h"
#include "mm.h"
#include "string.h"

static const struct inode_operations pseudo_dir_iops;
static const struct file_operations pseudo_file_fops, pseudo_dir_fops;

static struct pseudofs *FS(struct super_block *sb)
{
    return container_of(sb->type, struct pseudofs, type);
}

struct inode *pseudofs_make_inode(struct super_block *sb, const struct pseudo_entry *e,
                                  const void *ctx, ino_t ino)
{
    struct pseudofs *fs = FS(sb);
    uid_t uid = 0;
    gid_t gid = 0;
    if (fs->owner && fs->owner(ctx, &uid, &gid) < 0)
        return NULL;
    struct pseudo_inode *pi = kmalloc(sizeof *pi);
    struct inode *inode = pi ? inode_new(sb, e->mode) : NULL;
    if (!inode) {
        kfree(pi);
        return NULL;
    }
    pi->entry = e;
    memcpy(pi->ctx, ctx, fs->ctx_size);
    inode->private = pi;
    inode->ino = ino;
    inode->uid = uid;
    inode->gid = gid;
    if (S_ISDIR(e->mode)) {
        inode->iops = &pseudo_dir_iops;
        inode->fops = &pseudo_dir_fops;
        inode->nlink = 2;
    } else if (S_ISLNK(e->mode)) {
        inode->iops = fs->link_iops;
        inode->size = 64;
    } else {
        inode->fops = &pseudo_file_fops;
    }
    return inode;
}

bool pseudofs_alive(struct inode *inode)
{
    struct pseudofs *fs = FS(inode->sb);
    return !fs->alive || fs->alive(PSI(inode)->ctx);
}

/* ---- directories ---- */

static int instantiate(struct inode *dir, struct dentry *d, const struct pseudo_entry *e,
                       const void *ctx, unsigned slot)
{
    struct inode *inode = pseudofs_make_inode(dir->sb, e, ctx, FS(dir->sb)->ino(dir, ctx, slot));
    if (!inode)
        return -ENOENT;        /* what it is about went away meanwhile (or no memory) */
    d_instantiate(d, inode);
    return 0;
}

static bool name_is(const char *name, const struct dentry *d)
{
    return strlen(name) == d->name_len && memcmp(name, d->name, d->name_len) == 0;
}

static int pseudo_lookup(struct inode *dir, struct dentry *d)
{
    struct pseudofs *fs = FS(dir->sb);
    struct pseudo_inode *pi = PSI(dir);
    if (!pseudofs_alive(dir))
        return -ENOENT;
    const struct pseudo_entry *e;
    for (size_t i = 0; (e = fs->entry_at(pi->entry, i)); i++)
        if (name_is(e->name, d))
            return instantiate(dir, d, e, pi->ctx, (unsigned)i);
    struct pseudo_child c;
    if (fs->lookup) {
        int r = fs->lookup(dir, d->name, d->name_len, &c);
        return r < 0 ? r : instantiate(dir, d, c.entry, c.ctx, c.slot);
    }
    for (long pos = 0; fs->next && (pos = fs->next(dir, pos, &c)) >= 0; pos++)
        if (name_is(c.name, d))
            return instantiate(dir, d, c.entry, c.ctx, c.slot);
    return -ENOENT;
}

static int pseudo_dir_permission(struct inode *dir, int mask)
{
    struct pseudofs *fs = FS(dir->sb);
    return fs->dir_permission ? fs->dir_permission(dir, mask) : 0;
}

static const struct inode_operations pseudo_dir_iops = {
    .lookup = pseudo_lookup,
    .permission = pseudo_dir_permission,
};

/* Positions: 0 and 1 are the dots, then the static entries, then the produced children at
 * 2 + nentries + their position (so a position survives children coming and going). */
static int pseudo_iterate(struct file *f, struct dir_context *ctx)
{
    if (!dir_emit_dots(f, ctx))
        return 0;
    struct inode *dir = f->inode;
    struct pseudofs *fs = FS(dir->sb);
    struct pseudo_inode *pi = PSI(dir);
    if (!pseudofs_alive(dir))
        return 0;
    const struct pseudo_entry *e;
    size_t n = 0;
    while (fs->entry_at(pi->entry, n))
        n++;
    loff_t base = 2 + (loff_t)n;
    for (; ctx->pos < base; ctx->pos++) {
        size_t i = (size_t)(ctx->pos - 2);
        e = fs->entry_at(pi->entry, i);
        if (!ctx->actor(ctx, e->name, strlen(e->name), ctx->pos + 1,
                        fs->ino(dir, pi->ctx, (unsigned)i), mode_to_dtype(e->mode)))
            return 0;
    }
    if (!fs->next)
        return 0;
    for (;;) {
        struct pseudo_child c;
        long pos = fs->next(dir, (long)(ctx->pos - base), &c);
        if (pos < 0) {
            ctx->pos = base + (1L << 40);   /* the end */
            return 0;
        }
        if (!ctx->actor(ctx, c.name, strlen(c.name), base + pos + 1, fs->ino(dir, c.ctx, c.slot),
                        mode_to_dtype(c.entry->mode)))
            return 0;
        ctx->pos = base + pos + 1;
    }
}

static const struct file_operations pseudo_dir_fops = {
    .iterate = pseudo_iterate,
};

/* ---- files ---- */

static int pseudo_file_open(struct inode *inode, struct file *f)
{
    if ((f->fmode & FMODE_WRITE) && (!FS(inode->sb)->store || !(inode->mode & 0222)))
        return -EACCES;            /* only a few nodes take writes (store) */
    if ((f->fmode & FMODE_READ) && !(inode->mode & 0444))
        return -EACCES;            /* write-only, even for root, as Linux's sysctls */
    struct pseudo_buf *b = kmalloc(sizeof *b);
    if (!b)
        return -ENOMEM;
    pb_init(b);
    f->private_data = b;
    return 0;
}

static void pseudo_file_release(struct file *f)
{
    struct pseudo_buf *b = f->private_data;
    if (b) {
        pb_free(b);
        kfree(b);
    }
}

static ssize_t pseudo_file_read(struct file *f, struct uio *to, loff_t *pos)
{
    struct pseudo_buf *b = f->private_data;
    mutex_lock(&f->inode->lock);
    if (*pos == 0 || !b->buf) {
        /* A read from the start takes a fresh snapshot. */
        pb_reset(b);
        int r = FS(f->inode->sb)->show(f->inode, b);
        if (!r)
            r = b->error;
        if (r < 0) {
            pb_reset(b);
            mutex_unlock(&f->inode->lock);
            return r;
        }
        if (!b->buf)
            pb_write(b, "", 0);
    }
    ssize_t n = 0;
    if ((uint64_t)*pos < b->len) {
        size_t len = MIN(to->resid, b->len - (size_t)*pos);
        if (uio_copyout(to, b->buf + *pos, len) < 0) {
            mutex_unlock(&f->inode->lock);
            return -EFAULT;
        }
        *pos += (loff_t)len;
        n = (ssize_t)len;
    }
    mutex_unlock(&f->inode->lock);
    return n;
}

/* A write is taken whole at offset 0 (a later offset is ignored, as Linux's strict sysctl
 * writes are); more than a page is -EINVAL. */
static ssize_t pseudo_file_write(struct file *f, struct uio *from, loff_t *pos)
{
    size_t len = from->resid;
    if (*pos != 0) {
        from->resid = 0;
        *pos += (loff_t)len;
        return (ssize_t)len;
    }
    if (len == 0)
        return 0;                  /* an empty write changes nothing, as Linux's sysctls */
    if (len > PAGE_SIZE)
        return -EINVAL;
    char *buf = kmalloc(len + 1);
    if (!buf)
        return -ENOMEM;
    int r = uio_copyin(buf, from, len);
    if (r == 0) {
        buf[len] = 0;
        mutex_lock(&f->inode->lock);
        r = FS(f->inode->sb)->store(f->inode, buf, len);
        mutex_unlock(&f->inode->lock);
    }
    kfree(buf);
    if (r < 0)
        return r;
    *pos += (loff_t)len;
    return (ssize_t)len;
}

static const struct file_operations pseudo_file_fops = {
    .open = pseudo_file_open,
    .read = pseudo_file_read,
    .write = pseudo_file_write,
    .release = pseudo_file_release,
};

/* ---- the superblock ---- */

static void pseudo_evict(struct inode *inode)
{
    kfree(inode->private);
    inode->private = NULL;
}

static void pseudo_statfs(struct super_block *sb, struct kstatfs *st)
{
    st->type = sb->magic;
    st->bsize = PAGE_SIZE;
    st->frsize = PAGE_SIZE;
    st->namelen = NAME_MAX;
}

static const struct super_operations pseudo_sops = {
    .evict = pseudo_evict,
    .statfs = pseudo_statfs,
};

/* One tree for every mount, as Linux has one per pid (procfs) or network (sysfs) namespace. */
static int pseudo_get_sb(struct file_system_type *type, const char *source, unsigned long flags,
                         const void *data, struct super_block **out)
{
    (void)source; (void)flags; (void)data;
    struct pseudofs *fs = container_of(type, struct pseudofs, type);
    if (!fs->sb) {
        struct super_block *sb = sb_new(type, fs->magic, &pseudo_sops);
        if (!sb)
            return -ENOMEM;
        struct inode *root = pseudofs_make_inode(sb, fs->root, fs->root_ctx, 1);
        sb->root = root ? d_alloc_root(sb, root) : NULL;
        if (!sb->root) {
            if (root)
                iput(root);
            kfree(sb);
            return -ENOMEM;
        }
        sb->refcount++;            /* kept for the kernel's lifetime */
        fs->sb = sb;
    }
    atomic_inc_return(&fs->sb->refcount);
    *out = fs->sb;
    return 0;
}

void pseudofs_register(struct pseudofs *fs)
{
    fs->type.get_sb = pseudo_get_sb;
    fs->type.nodev = true;
    register_filesystem(&fs->type);
}
