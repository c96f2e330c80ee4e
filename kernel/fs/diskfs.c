/* The VFS side of a disk filesystem (ext2, OFS): include/fs.h ("diskfs.c") says what it does and
 * what a filesystem supplies. Everything a filesystem's core needs from the VFS goes through
 * struct diskfs_operations, so the operation tables below serve every disk filesystem. */
#include "fs.h"
#include "blkdev.h"
#include "mm.h"
#include "kprintf.h"

struct diskfs_inode {
    struct inode *inode;
    struct list_head link;            /* in diskfs_sb.inodes */
    uint64_t core[];                  /* ops->core_inode_size bytes */
};

static const struct super_operations diskfs_sops;
static const struct inode_operations diskfs_dir_iops, diskfs_file_iops, diskfs_symlink_iops,
    diskfs_special_iops;
static const struct file_operations diskfs_dir_fops, diskfs_file_fops;

static const struct diskfs_operations *OPS(struct super_block *sb) { return DISKFS(sb)->ops; }

void *diskfs_core(struct inode *inode)
{
    return ((struct diskfs_inode *)inode->private)->core;
}

/* ---- Live inodes ---- */

static void set_ops(struct inode *inode)
{
    switch (inode->mode & S_IFMT) {
    case S_IFREG:
        inode->iops = &diskfs_file_iops;
        inode->fops = &diskfs_file_fops;
        break;
    case S_IFDIR:
        inode->iops = &diskfs_dir_iops;
        inode->fops = &diskfs_dir_fops;
        break;
    case S_IFLNK:
        inode->iops = &diskfs_symlink_iops;
        break;
    default:
        inode->iops = &diskfs_special_iops;
        init_special_inode(inode, inode->mode, inode->rdev);
    }
}

/* The live inode numbered ino with a new reference, or NULL. One whose count is 0 is being
 * evicted right now (iput waits for our lock): it is skipped, the caller's copy from the core
 * is current. */
static struct inode *find_live(struct super_block *sb, ino_t ino)
{
    struct diskfs_inode *di;
    list_for_each_entry(di, &DISKFS(sb)->inodes, link)
        if (di->inode->ino == ino && atomic_inc_not_zero(&di->inode->refcount))
            return di->inode;
    return NULL;
}

static struct diskfs_inode *alloc_core(struct super_block *sb)
{
    return kzalloc(sizeof(struct diskfs_inode) + OPS(sb)->core_inode_size);
}

/* The VFS inode for the core's inode in di (lock held): the live one (+1 ref; di is freed)
 * or a new one that takes di. NULL: no memory. */
static struct inode *inode_for(struct super_block *sb, struct diskfs_inode *di)
{
    ino_t ino = OPS(sb)->core_ino(di->core);
    struct inode *inode = find_live(sb, ino);
    if (inode) {
        kfree(di);
        return inode;
    }
    inode = inode_new(sb, 0);
    if (!inode) {
        kfree(di);
        return NULL;
    }
    di->inode = inode;
    inode->private = di;
    inode->ino = ino;
    OPS(sb)->to_vfs(inode);
    set_ops(inode);
    list_add(&di->link, &DISKFS(sb)->inodes);
    return inode;
}

/* Inode ino (lock held). */
static int diskfs_iget(struct super_block *sb, ino_t ino, struct inode **out)
{
    if ((*out = find_live(sb, ino)))
        return 0;
    struct diskfs_inode *di = alloc_core(sb);
    if (!di)
        return -ENOMEM;
    int err = OPS(sb)->read_inode(sb, ino, di->core);
    if (err) {
        kfree(di);
        return err;
    }
    *out = inode_for(sb, di);
    return *out ? 0 : -ENOMEM;
}

static void diskfs_evict(struct inode *inode)
{
    struct diskfs_inode *di = inode->private;
    if (!di)
        return;
    struct diskfs_sb *dfs = DISKFS(inode->sb);
    mutex_lock(&dfs->lock);
    if (dfs->mounted)
        dfs->ops->evict_inode(inode);
    list_del(&di->link);
    mutex_unlock(&dfs->lock);
    if (inode->pipe)
        pipe_release_inode(inode);
    kfree(di);
    inode->private = NULL;
}

int diskfs_write_inodes(struct super_block *sb)
{
    int err = 0;
    struct diskfs_inode *di;
    list_for_each_entry(di, &DISKFS(sb)->inodes, link) {
        int e = OPS(sb)->write_attrs(di->inode);
        if (!err)
            err = e;
    }
    return err;
}

/* Lock held: 0 if the filesystem may change now. */
static int begin_change(struct super_block *sb)
{
    return DISKFS(sb)->mounted ? OPS(sb)->writable(sb) : -EIO;
}

/* ---- Directory operations ---- */

static int diskfs_lookup(struct inode *dir, struct dentry *d)
{
    struct super_block *sb = dir->sb;
    diskfs_lock(sb);
    ino_t ino;
    struct inode *inode = NULL;
    int err = DISKFS(sb)->mounted ? OPS(sb)->lookup(dir, d->name, d->name_len, &ino) : -EIO;
    if (!err)
        err = diskfs_iget(sb, ino, &inode);
    diskfs_unlock(sb);
    if (err)
        return err;
    d_instantiate(d, inode);
    /* Hashed while in use, so a mount on it (or a second lookup) finds this very dentry;
     * the VFS marks it NOCACHE, so it goes when the last user does. */
    d_add(d);
    return 0;
}

/* A new name made by create, mkdir, symlink or link: in the cache while in use. */
static void link_dentry(struct dentry *d, struct inode *inode)
{
    d_instantiate(d, inode);
    d_add(d);
    d->flags |= DENTRY_NOCACHE;
}

static int make_node(struct inode *dir, struct dentry *d, mode_t mode, dev_t rdev,
                     const char *target)
{
    const struct cred *c = fs_cred();
    struct diskfs_new a = { .mode = mode, .uid = c->fsuid, .gid = c->fsgid, .rdev = rdev,
                            .target = target };
    /* Set-group-ID directories pass on their group (and the bit, to subdirectories). */
    if (dir->mode & S_ISGID) {
        a.gid = dir->gid;
        if (S_ISDIR(mode))
            a.mode |= S_ISGID;
    }
    struct super_block *sb = dir->sb;
    struct diskfs_inode *di = alloc_core(sb);
    if (!di)
        return -ENOMEM;
    diskfs_lock(sb);
    int err = begin_change(sb);
    if (!err) {
        OPS(sb)->write_attrs(dir);
        err = OPS(sb)->create(dir, d->name, d->name_len, &a, di->core);
        OPS(sb)->to_vfs(dir);
    }
    struct inode *inode = NULL;
    if (err)
        kfree(di);
    else if (!(inode = inode_for(sb, di)))
        err = -ENOMEM;      /* the entry exists on disk; a later lookup finds it */
    diskfs_unlock(sb);
    if (err)
        return err;
    link_dentry(d, inode);
    return 0;
}

static int diskfs_create(struct inode *dir, struct dentry *d, mode_t mode, dev_t rdev)
{
    return make_node(dir, d, mode, (S_ISCHR(mode) || S_ISBLK(mode)) ? rdev : 0, NULL);
}

static int diskfs_mkdir(struct inode *dir, struct dentry *d, mode_t mode)
{
    return make_node(dir, d, S_IFDIR | (mode & 07777), 0, NULL);
}

static int diskfs_symlink(struct inode *dir, struct dentry *d, const char *target)
{
    return make_node(dir, d, S_IFLNK | 0777, 0, target);
}

static int diskfs_link(struct dentry *old, struct inode *dir, struct dentry *d)
{
    struct super_block *sb = dir->sb;
    struct inode *inode = old->inode;
    diskfs_lock(sb);
    int err = begin_change(sb);
    if (!err) {
        OPS(sb)->write_attrs(inode);
        OPS(sb)->write_attrs(dir);
        err = OPS(sb)->link(dir, d->name, d->name_len, inode);
        OPS(sb)->to_vfs(inode);
        OPS(sb)->to_vfs(dir);
    }
    diskfs_unlock(sb);
    if (err)
        return err;
    iget(inode);
    link_dentry(d, inode);
    return 0;
}

static int remove_name(struct inode *dir, struct dentry *d, bool isdir)
{
    struct super_block *sb = dir->sb;
    struct inode *inode = d->inode;
    diskfs_lock(sb);
    int err = begin_change(sb);
    if (!err) {
        OPS(sb)->write_attrs(inode);
        OPS(sb)->write_attrs(dir);
        err = OPS(sb)->unlink(dir, d->name, d->name_len, inode, isdir);
        OPS(sb)->to_vfs(inode);
        OPS(sb)->to_vfs(dir);
    }
    diskfs_unlock(sb);
    if (!err)
        d_drop(d);     /* the inode is freed when its last user goes (evict) */
    return err;
}

static int diskfs_unlink(struct inode *dir, struct dentry *d)
{
    return remove_name(dir, d, false);
}

static int diskfs_rmdir(struct inode *dir, struct dentry *d)
{
    return remove_name(dir, d, true);
}

static int diskfs_rename(struct inode *odir, struct dentry *od, struct inode *ndir,
                         struct dentry *nd, unsigned flags)
{
    if (flags & (RENAME_EXCHANGE | RENAME_WHITEOUT))
        return -EINVAL;
    struct super_block *sb = odir->sb;
    const struct diskfs_operations *ops = OPS(sb);
    struct inode *changed[] = { od->inode, odir, ndir, nd->inode };
    size_t n = nd->inode ? 4 : 3;
    diskfs_lock(sb);
    int err = begin_change(sb);
    if (!err) {
        for (size_t i = 0; i < n; i++)
            ops->write_attrs(changed[i]);
        err = ops->rename(odir, od, ndir, nd);
        for (size_t i = 0; i < n; i++)
            ops->to_vfs(changed[i]);
    }
    diskfs_unlock(sb);
    if (err)
        return err;
    if (nd->inode)
        d_drop(nd);
    d_move(od, nd->parent, nd);
    return 0;
}

static int diskfs_get_link(struct dentry *d, char *buf, size_t size)
{
    struct super_block *sb = d->inode->sb;
    diskfs_lock(sb);
    int n = DISKFS(sb)->mounted ? OPS(sb)->readlink(d->inode, buf, size) : -EIO;
    diskfs_unlock(sb);
    return n;
}

static int diskfs_setsize(struct inode *inode, loff_t size)
{
    if (size < 0)
        return -EINVAL;
    struct super_block *sb = inode->sb;
    diskfs_lock(sb);
    int err = begin_change(sb);
    if (!err) {
        OPS(sb)->write_attrs(inode);
        err = OPS(sb)->setsize(inode, (uint64_t)size);
        OPS(sb)->to_vfs(inode);
    }
    diskfs_unlock(sb);
    return err;
}

/* ---- Files ---- */

/* Up to len bytes at pos into the kernel buffer buf. */
static ssize_t read_chunk(struct inode *inode, uint64_t pos, void *buf, size_t len)
{
    struct super_block *sb = inode->sb;
    diskfs_lock(sb);
    ssize_t n = DISKFS(sb)->mounted ? OPS(sb)->read(inode, pos, buf, len) : -EIO;
    diskfs_unlock(sb);
    return n;
}

static ssize_t diskfs_file_read(struct file *f, struct uio *to, loff_t *pos)
{
    struct inode *inode = f->inode;
    size_t chunk = OPS(inode->sb)->io_chunk;
    if (*pos < 0)
        return -EINVAL;
    char *buf = kmalloc(chunk);
    if (!buf)
        return -ENOMEM;
    size_t done = 0;
    ssize_t ret = 0;
    while (to->resid > 0) {
        size_t want = MIN(chunk, to->resid);
        ssize_t n = read_chunk(inode, (uint64_t)*pos, buf, want);
        if (n <= 0) {
            ret = n;
            break;
        }
        /* Copied to the user without the filesystem lock: a page fault may need it. */
        if (uio_copyout(to, buf, (size_t)n) < 0) {
            ret = -EFAULT;
            break;
        }
        done += (size_t)n;
        *pos += n;
        if ((size_t)n < want)
            break;
    }
    kfree(buf);
    return done ? (ssize_t)done : ret;
}

static ssize_t write_chunk(struct inode *inode, uint64_t pos, const void *buf, size_t len)
{
    struct super_block *sb = inode->sb;
    diskfs_lock(sb);
    ssize_t w = begin_change(sb);
    if (w == 0) {
        OPS(sb)->write_attrs(inode);
        w = OPS(sb)->write(inode, pos, buf, len);
        OPS(sb)->to_vfs(inode);
    }
    diskfs_unlock(sb);
    return w;
}

static ssize_t diskfs_file_write(struct file *f, struct uio *from, loff_t *pos)
{
    struct inode *inode = f->inode;
    size_t chunk = OPS(inode->sb)->io_chunk;
    char *buf = kmalloc(chunk);
    if (!buf)
        return -ENOMEM;
    mutex_lock(&inode->lock);
    loff_t p = (f->flags & O_APPEND) ? inode->size : *pos;
    size_t done = 0;
    ssize_t ret = p < 0 ? -EINVAL : 0;
    while (ret == 0 && from->resid > 0) {
        size_t n = MIN(chunk, from->resid);
        if (uio_copyin(buf, from, n) < 0) {
            ret = -EFAULT;
            break;
        }
        ssize_t w = write_chunk(inode, (uint64_t)p, buf, n);
        if (w <= 0) {
            ret = w ? w : -ENOSPC;
            break;
        }
        done += (size_t)w;
        p += w;
        if ((size_t)w < n)
            break;
    }
    if (done) {
        /* A write by someone else clears the set-user-ID bit, as in Linux. */
        if ((inode->mode & (S_ISUID | S_ISGID)) && !fs_capable())
            inode->mode &= ~(mode_t)(S_ISUID | ((inode->mode & 010) ? S_ISGID : 0));
    }
    *pos = p;
    mutex_unlock(&inode->lock);
    kfree(buf);
    return done ? (ssize_t)done : ret;
}

static int diskfs_fsync(struct file *f)
{
    struct super_block *sb = f->inode->sb;
    diskfs_lock(sb);
    int err = DISKFS(sb)->mounted ? OPS(sb)->fsync(f->inode) : -EIO;
    diskfs_unlock(sb);
    return err;
}

/* mmap: a private copy of the page (there is no shared page cache for disk files yet). */
static int diskfs_get_page(struct file *f, uint64_t pgoff, void **page)
{
    char *p = page_alloc();
    if (!p)
        return -ENOMEM;
    ssize_t n = read_chunk(f->inode, pgoff * PAGE_SIZE, p, PAGE_SIZE);
    if (n < 0) {
        page_free(p);
        return (int)n;
    }
    *page = p;
    return 0;
}

/* ---- Directories ---- */

bool diskfs_emit(void *c, const char *name, size_t len, uint64_t ino, unsigned dtype,
                 uint64_t next_pos)
{
    struct dir_context *ctx = c;
    if (!ctx->actor(ctx, name, len, (loff_t)next_pos, ino, dtype))
        return false;
    ctx->pos = (loff_t)next_pos;
    return true;
}

static int diskfs_iterate(struct file *f, struct dir_context *ctx)
{
    struct super_block *sb = f->inode->sb;
    if (ctx->pos < 0)
        return -EINVAL;
    uint64_t pos = (uint64_t)ctx->pos;
    diskfs_lock(sb);
    int err = DISKFS(sb)->mounted ? OPS(sb)->readdir(f->inode, &pos, ctx) : -EIO;
    diskfs_unlock(sb);
    ctx->pos = (loff_t)pos;
    return err;
}

/* A directory has no read: read(2) says EISDIR (vfs_read). */
static const struct file_operations diskfs_dir_fops = {
    .iterate = diskfs_iterate,
    .fsync = diskfs_fsync,
};

static const struct file_operations diskfs_file_fops = {
    .read = diskfs_file_read,
    .write = diskfs_file_write,
    .fsync = diskfs_fsync,
    .get_page = diskfs_get_page,
};

static const struct inode_operations diskfs_dir_iops = {
    .lookup = diskfs_lookup,
    .create = diskfs_create,
    .mkdir = diskfs_mkdir,
    .symlink = diskfs_symlink,
    .link = diskfs_link,
    .unlink = diskfs_unlink,
    .rmdir = diskfs_rmdir,
    .rename = diskfs_rename,
};

static const struct inode_operations diskfs_file_iops = {
    .setsize = diskfs_setsize,
};

static const struct inode_operations diskfs_symlink_iops = {
    .get_link = diskfs_get_link,
};

static const struct inode_operations diskfs_special_iops = { 0 };

/* ---- The superblock ---- */

static void diskfs_statfs(struct super_block *sb, struct kstatfs *st)
{
    diskfs_lock(sb);
    if (DISKFS(sb)->mounted)
        OPS(sb)->statfs(sb, st);
    diskfs_unlock(sb);
    st->type = (long)sb->magic;
}

static int diskfs_sync_fs(struct super_block *sb)
{
    diskfs_lock(sb);
    int err = DISKFS(sb)->mounted ? OPS(sb)->sync_fs(sb) : 0;
    diskfs_unlock(sb);
    return err;
}

static int diskfs_remount(struct super_block *sb, unsigned long flags)
{
    diskfs_lock(sb);
    int err = DISKFS(sb)->mounted ? OPS(sb)->remount(sb, flags) : -EIO;
    diskfs_unlock(sb);
    return err;
}

static void diskfs_put_super(struct super_block *sb)
{
    struct diskfs_sb *dfs = DISKFS(sb);
    if (dfs->ops->before_unmount)
        dfs->ops->before_unmount(sb);
    mutex_lock(&dfs->lock);
    diskfs_write_inodes(sb);
    int err = dfs->ops->unmount(sb);
    if (err)
        pr_err("%s: %s: unmount: error %d\n", sb->type->name, sb->bdev->name, err);
    dfs->mounted = false;
    mutex_unlock(&dfs->lock);
}

static const struct super_operations diskfs_sops = {
    .evict = diskfs_evict,
    .statfs = diskfs_statfs,
    .put_super = diskfs_put_super,
    .sync_fs = diskfs_sync_fs,
    .remount = diskfs_remount,
};

void diskfs_init(struct super_block *sb, const struct diskfs_operations *ops)
{
    struct diskfs_sb *dfs = DISKFS(sb);
    mutex_init(&dfs->lock);
    list_init(&dfs->inodes);
    dfs->ops = ops;
    sb->sops = &diskfs_sops;
}

int diskfs_set_root(struct super_block *sb, unsigned long magic, ino_t ino)
{
    struct diskfs_sb *dfs = DISKFS(sb);
    sb->magic = magic;
    struct inode *root = NULL;
    mutex_lock(&dfs->lock);
    dfs->mounted = true;
    int err = diskfs_iget(sb, ino, &root);
    if (!err && !S_ISDIR(root->mode))
        err = -EUCLEAN;
    else if (!err && !(sb->root = d_alloc_root(sb, root)))
        err = -ENOMEM;
    if (err)
        dfs->mounted = false;   /* the root's eviction below must not write */
    mutex_unlock(&dfs->lock);
    if (err && root)
        iput(root);
    return err;
}
