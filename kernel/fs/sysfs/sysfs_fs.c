/* sysfs: the superblock, inodes, and the generic operations every node shares (directory
 * lookup and listing, reading generated attribute text). What the nodes contain is in the
 * other files of this directory (sysfs_internal.h). Nothing here is writable: opening an
 * attribute for writing fails with EACCES, as Linux's kernfs does for a file without a store
 * method, and directories have no create/mkdir/unlink operations. */
#include "sysfs_internal.h"
#include "mm.h"
#include "string.h"

struct sysfs_inode {
    const struct sysfs_entry *entry;
    struct sysfs_ctx ctx;
};

static inline struct sysfs_inode *SI(struct inode *inode) { return inode->private; }

static const struct inode_operations sysfs_dir_iops;
static const struct file_operations sysfs_file_fops, sysfs_dir_fops;

/* Inode numbers: a child's number is its parent's followed by one base-256 digit (static
 * entries 1..64, system children 65 + key), so they are stable and distinct in a tree that
 * is at most five levels deep. */
#define SLOT_STATIC_MAX 64
static ino_t child_ino(ino_t parent, unsigned slot)
{
    return parent * 256 + 1 + slot;
}

static struct inode *make_inode(struct super_block *sb, const struct sysfs_entry *e,
                                const struct sysfs_ctx *c, ino_t ino)
{
    struct sysfs_inode *si = kmalloc(sizeof *si);
    struct inode *inode = si ? inode_new(sb, e->mode) : NULL;
    if (!inode) {
        kfree(si);
        return NULL;
    }
    si->entry = e;
    si->ctx = *c;
    inode->private = si;
    inode->ino = ino;
    inode->uid = 0;
    inode->gid = 0;
    if (S_ISDIR(e->mode)) {
        inode->iops = &sysfs_dir_iops;
        inode->fops = &sysfs_dir_fops;
        inode->nlink = 2;
    } else {
        inode->fops = &sysfs_file_fops;
    }
    return inode;
}

/* ---- directories ---- */

static bool name_is(const char *name, const struct dentry *d)
{
    return strlen(name) == d->name_len && memcmp(name, d->name, d->name_len) == 0;
}

static int instantiate(struct inode *dir, struct dentry *d, const struct sysfs_entry *e,
                       const struct sysfs_ctx *c, unsigned slot)
{
    struct inode *inode = make_inode(dir->sb, e, c, child_ino(dir->ino, slot));
    if (!inode)
        return -ENOMEM;
    d_instantiate(d, inode);
    return 0;
}

static int sysfs_lookup(struct inode *dir, struct dentry *d)
{
    struct sysfs_inode *si = SI(dir);
    const struct sysfs_dir *sd = si->entry->dir;
    for (size_t i = 0; i < sd->nentries; i++)
        if (name_is(sd->entries[i].name, d))
            return instantiate(dir, d, &sd->entries[i], &si->ctx, (unsigned)i);
    if (!sd->next_child)
        return -ENOENT;
    char name[SYSFS_NAME_MAX];
    struct sysfs_ctx child;
    const struct sysfs_entry *e;
    for (long key = 0; (key = sd->next_child(&si->ctx, key, name, &child, &e)) >= 0; key++)
        if (name_is(name, d))
            return instantiate(dir, d, e, &child, SLOT_STATIC_MAX + (unsigned)key);
    return -ENOENT;
}

static const struct inode_operations sysfs_dir_iops = {
    .lookup = sysfs_lookup,
};

/* Positions: 0 and 1 are the dots, then the static entries, then system children at
 * 2 + nentries + key (so a position survives children coming and going). */
static int sysfs_iterate(struct file *f, struct dir_context *ctx)
{
    if (!dir_emit_dots(f, ctx))
        return 0;
    struct inode *dir = f->inode;
    struct sysfs_inode *si = SI(dir);
    const struct sysfs_dir *sd = si->entry->dir;
    loff_t base = 2 + (loff_t)sd->nentries;
    while (ctx->pos < base) {
        size_t i = (size_t)(ctx->pos - 2);
        const struct sysfs_entry *e = &sd->entries[i];
        if (!ctx->actor(ctx, e->name, strlen(e->name), ctx->pos + 1,
                        child_ino(dir->ino, (unsigned)i), mode_to_dtype(e->mode)))
            return 0;
        ctx->pos++;
    }
    if (!sd->next_child)
        return 0;
    for (;;) {
        char name[SYSFS_NAME_MAX];
        struct sysfs_ctx child;
        const struct sysfs_entry *e;
        long key = ctx->pos - base < SYSFS_MAX_KEY
                       ? sd->next_child(&si->ctx, (long)(ctx->pos - base), name, &child, &e)
                       : -1;
        if (key < 0) {
            ctx->pos = base + SYSFS_MAX_KEY;   /* the end */
            return 0;
        }
        if (!ctx->actor(ctx, name, strlen(name), base + key + 1,
                        child_ino(dir->ino, SLOT_STATIC_MAX + (unsigned)key),
                        mode_to_dtype(e->mode)))
            return 0;
        ctx->pos = base + key + 1;
    }
}

static const struct file_operations sysfs_dir_fops = {
    .iterate = sysfs_iterate,
};

/* ---- attribute files ---- */

struct attr_text {
    size_t len;
    bool valid;
    char buf[SYSFS_ATTR_MAX];
};

static int sysfs_file_open(struct inode *inode, struct file *f)
{
    (void)inode;
    if (f->fmode & FMODE_WRITE)
        return -EACCES;            /* every attribute here is read-only (0444) */
    struct attr_text *t = kmalloc(sizeof *t);
    if (!t)
        return -ENOMEM;
    t->len = 0;
    t->valid = false;
    f->private_data = t;
    return 0;
}

static void sysfs_file_release(struct file *f)
{
    kfree(f->private_data);
}

static ssize_t sysfs_file_read(struct file *f, struct uio *to, loff_t *pos)
{
    struct sysfs_inode *si = SI(f->inode);
    struct attr_text *t = f->private_data;
    mutex_lock(&f->inode->lock);
    if (*pos == 0 || !t->valid) {
        /* A read from the start takes a fresh snapshot. */
        int n = si->entry->show(&si->ctx, t->buf, sizeof t->buf);
        if (n < 0) {
            t->valid = false;
            mutex_unlock(&f->inode->lock);
            return n;
        }
        t->len = MIN((size_t)n, sizeof t->buf - 1);
        t->valid = true;
    }
    ssize_t n = 0;
    if ((uint64_t)*pos < t->len) {
        size_t len = MIN(to->resid, t->len - (size_t)*pos);
        if (uio_copyout(to, t->buf + *pos, len) < 0) {
            mutex_unlock(&f->inode->lock);
            return -EFAULT;
        }
        *pos += (loff_t)len;
        n = (ssize_t)len;
    }
    mutex_unlock(&f->inode->lock);
    return n;
}

static const struct file_operations sysfs_file_fops = {
    .open = sysfs_file_open,
    .read = sysfs_file_read,
    .release = sysfs_file_release,
};

/* ---- the superblock ---- */

static void sysfs_evict(struct inode *inode)
{
    kfree(inode->private);
    inode->private = NULL;
}

static void sysfs_statfs(struct super_block *sb, struct kstatfs *st)
{
    (void)sb;
    st->type = SYSFS_MAGIC;
    st->bsize = PAGE_SIZE;
    st->frsize = PAGE_SIZE;
    st->namelen = NAME_MAX;
}

static const struct super_operations sysfs_sops = {
    .evict = sysfs_evict,
    .statfs = sysfs_statfs,
};

static const struct sysfs_entry sysfs_root_entry = {
    .name = "/", .mode = S_IFDIR | 0555, .dir = &sysfs_root_dir,
};

/* One tree for every mount, as Linux has one per network namespace. */
static struct super_block *sysfs_sb;

static int sysfs_get_sb(struct file_system_type *type, const char *source, unsigned long flags,
                        const void *data, struct super_block **out)
{
    (void)source; (void)flags; (void)data;
    if (!sysfs_sb) {
        struct super_block *sb = sb_new(type, SYSFS_MAGIC, &sysfs_sops);
        if (!sb)
            return -ENOMEM;
        struct sysfs_ctx none;
        memset(&none, 0, sizeof none);
        struct inode *root = make_inode(sb, &sysfs_root_entry, &none, 1);
        sb->root = root ? d_alloc_root(sb, root) : NULL;
        if (!sb->root) {
            if (root)
                iput(root);
            kfree(sb);
            return -ENOMEM;
        }
        sb->refcount++;            /* kept for the kernel's lifetime */
        sysfs_sb = sb;
    }
    atomic_inc_return(&sysfs_sb->refcount);
    *out = sysfs_sb;
    return 0;
}

static struct file_system_type sysfs_type = {
    .name = "sysfs",
    .get_sb = sysfs_get_sb,
    .nodev = true,
};

void sysfs_init(void)
{
    register_filesystem(&sysfs_type);
}
