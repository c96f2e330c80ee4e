/* ext2 VFS glue: the "ext2" filesystem type, superblock/inode/file operations over the core
 * (ext2_*.c), and the core's I/O interface mapped onto the block layer's buffer cache.
 *
 * Locking: one mutex per mounted filesystem (sbi->lock) serialises every call into the core;
 * it is taken inside the VFS's locks (vfs_ns_lock, inode->lock) and never the other way
 * round, and no iput() happens while it is held (evict takes it).
 *
 * Inode identity: the VFS makes a dentry per lookup of a disk filesystem, so the glue keeps a
 * per-filesystem table of live inodes: every dentry for an ext2 inode shares one struct inode
 * (one size, one link count, one set of locks). The core's copy of the on-disk inode lives in
 * inode->private; attributes the VFS changes itself (chmod, chown, utimens) are written back
 * before the next core operation on the inode and when it is evicted. */
#include "../vfs.h"
#include "ext2.h"
#include "blkdev.h"
#include "mm.h"
#include "string.h"
#include "kprintf.h"

struct ext2_sb_info {
    struct ext2_fs *fs;              /* NULL once unmounted (late evicts only free memory) */
    struct mutex lock;
    struct block_device *bdev;
    uint32_t bsize;                  /* buffer-cache block size (0 until the core says) */
    struct list_head inodes;         /* live ext2_vnode's */
    struct super_block *sb;
    struct list_head mounted;        /* in ext2_mounted while sb is in use */
};

/* Mounted ext2 filesystems by device: a second mount of the same device shares the
 * superblock (as in Linux) instead of running a second, conflicting allocator over it. */
static LIST_HEAD(ext2_mounted);
static spinlock_t ext2_mounted_lock = SPINLOCK_INIT("ext2_mounted");

struct ext2_vnode {
    struct ext2_inode_mem m;
    struct inode *inode;
    struct list_head link;           /* in sbi->inodes */
};

static const struct super_operations ext2_sops;
static const struct inode_operations ext2_dir_iops, ext2_file_iops, ext2_symlink_iops,
    ext2_special_iops;
static const struct file_operations ext2_dir_fops, ext2_file_fops;

static struct ext2_sb_info *SBI(struct super_block *sb) { return sb->fs_info; }
static struct ext2_vnode *EV(struct inode *inode) { return inode->private; }

/* ---- The I/O interface over the buffer cache ---- */

static int bio_direct(struct ext2_sb_info *sbi, uint64_t off, void *buf, size_t len)
{
    /* Before the block size is known (the superblock read): a direct read of the aligned
     * region around it. */
    uint32_t lbs = sbi->bdev->logical_block_size ? sbi->bdev->logical_block_size : 512;
    uint64_t start = ALIGN_DOWN(off, (uint64_t)lbs);
    uint64_t end = ALIGN_UP(off + len, (uint64_t)lbs);
    char *tmp = kmalloc(end - start);
    if (!tmp)
        return -ENOMEM;
    int err = blkdev_read(sbi->bdev, start >> SECTOR_SHIFT, tmp, end - start);
    if (!err)
        memcpy(buf, tmp + (off - start), len);
    kfree(tmp);
    return err;
}

static int bio_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct ext2_sb_info *sbi = ctx;
    if (!sbi->bsize)
        return bio_direct(sbi, off, buf, len);
    uint32_t bs = sbi->bsize;
    while (len) {
        uint32_t in = (uint32_t)(off & (bs - 1));
        size_t n = MIN((size_t)(bs - in), len);
        struct buffer_head *bh = bread(sbi->bdev, off / bs, bs);
        if (!bh)
            return -EIO;
        memcpy(buf, (char *)bh->data + in, n);
        brelse(bh);
        buf = (char *)buf + n;
        off += n;
        len -= n;
    }
    return 0;
}

static int bio_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
    struct ext2_sb_info *sbi = ctx;
    if (!sbi->bsize)
        return -EIO;
    if (sbi->bdev->read_only)
        return -EROFS;
    uint32_t bs = sbi->bsize;
    while (len) {
        uint32_t in = (uint32_t)(off & (bs - 1));
        size_t n = MIN((size_t)(bs - in), len);
        struct buffer_head *bh = n == bs ? getblk(sbi->bdev, off / bs, bs)
                                         : bread(sbi->bdev, off / bs, bs);
        if (!bh)
            return -EIO;
        memcpy((char *)bh->data + in, buf, n);
        if (n == bs)
            set_buffer_uptodate(bh);
        mark_buffer_dirty(bh);
        brelse(bh);
        buf = (const char *)buf + n;
        off += n;
        len -= n;
    }
    return 0;
}

static int bio_flush(void *ctx)
{
    struct ext2_sb_info *sbi = ctx;
    return sync_dev(sbi->bdev);
}

static int64_t bio_now(void *ctx)
{
    (void)ctx;
    struct kernel_timespec ts;
    fs_now(&ts);
    return ts.tv_sec;
}

static void bio_set_block_size(void *ctx, uint32_t size)
{
    struct ext2_sb_info *sbi = ctx;
    sbi->bsize = size;
}

/* ---- Inodes ---- */

static void ts_set(struct kernel_timespec *ts, uint32_t sec)
{
    ts->tv_sec = sec;
    ts->tv_nsec = 0;
}

/* Core -> VFS after the core changed the inode. */
static void to_vfs(struct inode *inode)
{
    struct ext2_inode_mem *m = &EV(inode)->m;
    inode->mode = m->d.i_mode;
    inode->uid = ext2_iuid(m);
    inode->gid = ext2_igid(m);
    inode->nlink = m->d.i_links_count;
    inode->size = (loff_t)ext2_isize(m);
    inode->blocks = m->d.i_blocks;
    ts_set(&inode->atime, m->d.i_atime);
    ts_set(&inode->mtime, m->d.i_mtime);
    ts_set(&inode->ctime, m->d.i_ctime);
}

/* VFS -> core: what the VFS changes without asking us. Returns true if anything changed. */
static bool from_vfs(struct inode *inode)
{
    struct ext2_inode_mem *m = &EV(inode)->m;
    struct ext2_inode old = m->d;
    m->d.i_mode = (uint16_t)((m->d.i_mode & S_IFMT) | (inode->mode & 07777));
    ext2_set_iuid(m, inode->uid);
    ext2_set_igid(m, inode->gid);
    m->d.i_atime = (uint32_t)inode->atime.tv_sec;
    m->d.i_mtime = (uint32_t)inode->mtime.tv_sec;
    m->d.i_ctime = (uint32_t)inode->ctime.tv_sec;
    return memcmp(&old, &m->d, sizeof(old)) != 0;
}

static void set_ops(struct inode *inode)
{
    struct ext2_inode_mem *m = &EV(inode)->m;
    switch (m->d.i_mode & S_IFMT) {
    case S_IFREG:
        inode->iops = &ext2_file_iops;
        inode->fops = &ext2_file_fops;
        break;
    case S_IFDIR:
        inode->iops = &ext2_dir_iops;
        inode->fops = &ext2_dir_fops;
        break;
    case S_IFLNK:
        inode->iops = &ext2_symlink_iops;
        break;
    default: {
        unsigned ma = 0, mi = 0;
        if (S_ISCHR(m->d.i_mode) || S_ISBLK(m->d.i_mode))
            ext2_get_dev(m, &ma, &mi);
        inode->iops = &ext2_special_iops;
        init_special_inode(inode, m->d.i_mode, MKDEV(ma, mi));
    }
    }
}

/* The VFS inode for `m` (sbi->lock held): the live one (+1 ref) or a new one. */
static struct inode *vnode_get(struct super_block *sb, const struct ext2_inode_mem *m)
{
    struct ext2_sb_info *sbi = SBI(sb);
    struct ext2_vnode *v;
    list_for_each_entry(v, &sbi->inodes, link) {
        if (v->m.ino == m->ino) {
            /* A zero count means iput is evicting it right now (it waits for our lock):
             * skip it, the fresh copy from disk below is current. */
            int c = READ_ONCE(v->inode->refcount);
            while (c > 0 && !__atomic_compare_exchange_n(&v->inode->refcount, &c, c + 1, false,
                                                         __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
                ;
            if (c > 0)
                return v->inode;
        }
    }
    v = kzalloc(sizeof(*v));
    struct inode *inode = v ? inode_new(sb, m->d.i_mode) : NULL;
    if (!inode) {
        kfree(v);
        return NULL;
    }
    v->m = *m;
    v->inode = inode;
    inode->private = v;
    inode->ino = m->ino;
    to_vfs(inode);
    set_ops(inode);
    list_add(&v->link, &sbi->inodes);
    return inode;
}

/* Read inode ino and return its VFS inode (sbi->lock held). */
static int vnode_iget(struct super_block *sb, uint32_t ino, struct inode **out)
{
    struct ext2_sb_info *sbi = SBI(sb);
    struct ext2_vnode *v;
    list_for_each_entry(v, &sbi->inodes, link)
        if (v->m.ino == ino && READ_ONCE(v->inode->refcount) > 0)
            return (*out = vnode_get(sb, &v->m)) ? 0 : -ENOMEM;
    struct ext2_inode_mem m;
    int err = ext2_iget(sbi->fs, ino, &m);
    if (err)
        return err;
    *out = vnode_get(sb, &m);
    return *out ? 0 : -ENOMEM;
}

static void ext2_evict(struct inode *inode)
{
    struct ext2_vnode *v = EV(inode);
    struct ext2_sb_info *sbi = inode->sb ? SBI(inode->sb) : NULL;
    if (!v || !sbi)
        return;
    mutex_lock(&sbi->lock);
    if (sbi->fs) {
        bool dirty = from_vfs(inode);
        if (v->m.d.i_links_count == 0)
            ext2_free_inode(sbi->fs, &v->m);
        else if (dirty && !sbi->fs->readonly)
            ext2_iwrite(sbi->fs, &v->m);
    }
    list_del(&v->link);
    bool last = !sbi->fs && list_empty(&sbi->inodes);
    mutex_unlock(&sbi->lock);
    if (inode->pipe)
        pipe_release_inode(inode);
    kfree(v);
    inode->private = NULL;
    if (last)
        kfree(sbi);
}

/* Follow a read-only remount done by the VFS (it only flips sb->flags). sbi->lock held. */
static int writable(struct super_block *sb)
{
    struct ext2_sb_info *sbi = SBI(sb);
    bool want_ro = (sb->flags & MS_RDONLY) != 0;
    if (want_ro != sbi->fs->readonly || (!want_ro && !sbi->fs->mounted_rw))
        ext2_remount(sbi->fs, want_ro);
    return sbi->fs->readonly ? -EROFS : 0;
}

/* ---- Directory operations ---- */

static int ext2_vfs_lookup(struct inode *dir, struct dentry *d)
{
    struct ext2_sb_info *sbi = SBI(dir->sb);
    mutex_lock(&sbi->lock);
    uint32_t ino;
    int err = ext2_lookup(sbi->fs, &EV(dir)->m, d->name, d->name_len, &ino);
    struct inode *inode = NULL;
    if (!err)
        err = vnode_iget(dir->sb, ino, &inode);
    mutex_unlock(&sbi->lock);
    if (err)
        return err;
    d_instantiate(d, inode);
    /* Hashed while in use, so a mount on it (or a second lookup) finds this very dentry;
     * the VFS marks it NOCACHE, so it goes when the last user does. */
    d_add(d);
    return 0;
}

static struct ext2_new_attrs new_attrs(struct inode *dir, mode_t mode)
{
    const struct cred *c = fs_cred();
    struct ext2_new_attrs a = { .mode = mode, .uid = c->fsuid, .gid = c->fsgid };
    /* Set-group-ID directories pass on their group (and the bit, to subdirectories). */
    if (dir->mode & S_ISGID) {
        a.gid = dir->gid;
        if (S_ISDIR(mode))
            a.mode |= S_ISGID;
    }
    return a;
}

static void link_dentry(struct dentry *d, struct inode *inode)
{
    d_instantiate(d, inode);
    d_add(d);
    d->flags |= DENTRY_NOCACHE;
}

static int make_node(struct inode *dir, struct dentry *d, const struct ext2_new_attrs *a,
                     const char *target)
{
    struct ext2_sb_info *sbi = SBI(dir->sb);
    mutex_lock(&sbi->lock);
    int err = writable(dir->sb);
    struct ext2_inode_mem m;
    struct inode *inode = NULL;
    if (!err) {
        if (from_vfs(dir))
            ext2_iwrite(sbi->fs, &EV(dir)->m);
        struct ext2_inode_mem *dm = &EV(dir)->m;
        if (target)
            err = ext2_symlink(sbi->fs, dm, d->name, d->name_len, target, a, &m);
        else if (S_ISDIR(a->mode))
            err = ext2_mkdir(sbi->fs, dm, d->name, d->name_len, a, &m);
        else
            err = ext2_create(sbi->fs, dm, d->name, d->name_len, a, &m);
        to_vfs(dir);
    }
    if (!err && !(inode = vnode_get(dir->sb, &m)))
        err = -ENOMEM;      /* the entry exists on disk; a later lookup finds it */
    mutex_unlock(&sbi->lock);
    if (err)
        return err;
    link_dentry(d, inode);
    return 0;
}

static int ext2_vfs_create(struct inode *dir, struct dentry *d, mode_t mode, dev_t rdev)
{
    struct ext2_new_attrs a = new_attrs(dir, mode);
    a.major = MAJOR(rdev);
    a.minor = MINOR(rdev);
    return make_node(dir, d, &a, NULL);
}

static int ext2_vfs_mkdir(struct inode *dir, struct dentry *d, mode_t mode)
{
    struct ext2_new_attrs a = new_attrs(dir, S_IFDIR | (mode & 07777));
    return make_node(dir, d, &a, NULL);
}

static int ext2_vfs_symlink(struct inode *dir, struct dentry *d, const char *target)
{
    struct ext2_new_attrs a = new_attrs(dir, S_IFLNK | 0777);
    return make_node(dir, d, &a, target);
}

static int ext2_vfs_link(struct dentry *old, struct inode *dir, struct dentry *d)
{
    struct ext2_sb_info *sbi = SBI(dir->sb);
    struct inode *inode = old->inode;
    mutex_lock(&sbi->lock);
    int err = writable(dir->sb);
    if (!err) {
        from_vfs(inode);
        from_vfs(dir);
        err = ext2_link(sbi->fs, &EV(dir)->m, d->name, d->name_len, &EV(inode)->m);
        to_vfs(inode);
        to_vfs(dir);
    }
    mutex_unlock(&sbi->lock);
    if (err)
        return err;
    iget(inode);
    link_dentry(d, inode);
    return 0;
}

static int remove_name(struct inode *dir, struct dentry *d, bool isdir)
{
    struct ext2_sb_info *sbi = SBI(dir->sb);
    struct inode *inode = d->inode;
    mutex_lock(&sbi->lock);
    int err = writable(dir->sb);
    if (!err) {
        from_vfs(inode);
        from_vfs(dir);
        err = isdir ? ext2_rmdir(sbi->fs, &EV(dir)->m, d->name, d->name_len, &EV(inode)->m)
                    : ext2_unlink(sbi->fs, &EV(dir)->m, d->name, d->name_len, &EV(inode)->m);
        to_vfs(inode);
        to_vfs(dir);
    }
    mutex_unlock(&sbi->lock);
    if (!err)
        d_drop(d);     /* the inode is freed when its last user goes (evict) */
    return err;
}

static int ext2_vfs_unlink(struct inode *dir, struct dentry *d)
{
    return remove_name(dir, d, false);
}

static int ext2_vfs_rmdir(struct inode *dir, struct dentry *d)
{
    return remove_name(dir, d, true);
}

static int ext2_vfs_rename(struct inode *odir, struct dentry *od, struct inode *ndir,
                           struct dentry *nd, unsigned flags)
{
    if (flags & (RENAME_EXCHANGE | RENAME_WHITEOUT))
        return -EINVAL;
    struct ext2_sb_info *sbi = SBI(odir->sb);
    struct inode *inode = od->inode, *victim = nd->inode;
    mutex_lock(&sbi->lock);
    int err = writable(odir->sb);
    if (!err) {
        from_vfs(inode);
        from_vfs(odir);
        from_vfs(ndir);
        if (victim)
            from_vfs(victim);
        err = ext2_rename(sbi->fs, &EV(odir)->m, od->name, od->name_len, &EV(ndir)->m,
                          nd->name, nd->name_len, &EV(inode)->m, victim ? &EV(victim)->m : NULL);
        to_vfs(inode);
        to_vfs(odir);
        to_vfs(ndir);
        if (victim)
            to_vfs(victim);
    }
    mutex_unlock(&sbi->lock);
    if (err)
        return err;
    if (victim)
        d_drop(nd);
    d_move(od, nd->parent, nd);
    return 0;
}

static int ext2_vfs_get_link(struct dentry *d, char *buf, size_t size)
{
    struct ext2_sb_info *sbi = SBI(d->inode->sb);
    mutex_lock(&sbi->lock);
    int n = ext2_readlink(sbi->fs, &EV(d->inode)->m, buf, size);
    mutex_unlock(&sbi->lock);
    return n;
}

static int ext2_vfs_setsize(struct inode *inode, loff_t size)
{
    if (size < 0)
        return -EINVAL;
    struct ext2_sb_info *sbi = SBI(inode->sb);
    mutex_lock(&sbi->lock);
    int err = writable(inode->sb);
    if (!err) {
        from_vfs(inode);
        err = ext2_truncate(sbi->fs, &EV(inode)->m, (uint64_t)size);
        to_vfs(inode);
    }
    mutex_unlock(&sbi->lock);
    return err;
}

/* ---- Files ---- */

#define EXT2_IO_CHUNK 4096

static ssize_t ext2_file_read(struct file *f, struct uio *to, loff_t *pos)
{
    struct inode *inode = f->inode;
    struct ext2_sb_info *sbi = SBI(inode->sb);
    if (*pos < 0)
        return -EINVAL;
    char *buf = kmalloc(EXT2_IO_CHUNK);
    if (!buf)
        return -ENOMEM;
    size_t done = 0;
    ssize_t ret = 0;
    while (to->resid > 0) {
        size_t want = MIN((size_t)EXT2_IO_CHUNK, to->resid);
        mutex_lock(&sbi->lock);
        ssize_t n = sbi->fs ? ext2_read(sbi->fs, &EV(inode)->m, (uint64_t)*pos, buf, want) : -EIO;
        mutex_unlock(&sbi->lock);
        if (n <= 0) {
            ret = n;
            break;
        }
        /* Copy to the user without the filesystem lock: a page fault may need it. */
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

static ssize_t ext2_file_write(struct file *f, struct uio *from, loff_t *pos)
{
    struct inode *inode = f->inode;
    struct ext2_sb_info *sbi = SBI(inode->sb);
    char *buf = kmalloc(EXT2_IO_CHUNK);
    if (!buf)
        return -ENOMEM;
    mutex_lock(&inode->lock);
    loff_t p = (f->flags & O_APPEND) ? inode->size : *pos;
    size_t done = 0;
    ssize_t ret = p < 0 ? -EINVAL : 0;
    while (ret == 0 && from->resid > 0) {
        size_t n = MIN((size_t)EXT2_IO_CHUNK, from->resid);
        if (uio_copyin(buf, from, n) < 0) {
            ret = -EFAULT;
            break;
        }
        mutex_lock(&sbi->lock);
        ssize_t w = writable(inode->sb);
        if (w == 0) {
            from_vfs(inode);
            w = ext2_write(sbi->fs, &EV(inode)->m, (uint64_t)p, buf, n);
            to_vfs(inode);
        }
        mutex_unlock(&sbi->lock);
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

static int ext2_vfs_fsync(struct file *f)
{
    struct ext2_sb_info *sbi = SBI(f->inode->sb);
    mutex_lock(&sbi->lock);
    int err = 0;
    if (sbi->fs && !sbi->fs->readonly) {
        if (from_vfs(f->inode))
            err = ext2_iwrite(sbi->fs, &EV(f->inode)->m);
        int e = ext2_sync(sbi->fs);
        if (!err)
            err = e;
    }
    mutex_unlock(&sbi->lock);
    return err;
}

/* mmap: a private copy of the page (there is no shared page cache for ext2 yet). */
static int ext2_get_page(struct file *f, uint64_t pgoff, void **page)
{
    struct ext2_sb_info *sbi = SBI(f->inode->sb);
    char *p = page_alloc();
    if (!p)
        return -ENOMEM;
    mutex_lock(&sbi->lock);
    ssize_t n = sbi->fs ? ext2_read(sbi->fs, &EV(f->inode)->m, pgoff * PAGE_SIZE, p, PAGE_SIZE) : -EIO;
    mutex_unlock(&sbi->lock);
    if (n < 0) {
        page_free(p);
        return (int)n;
    }
    *page = p;
    return 0;
}

/* ---- Directories ---- */

static const unsigned char ft_to_dt[EXT2_FT_MAX] = {
    [EXT2_FT_UNKNOWN] = DT_UNKNOWN, [EXT2_FT_REG_FILE] = DT_REG, [EXT2_FT_DIR] = DT_DIR,
    [EXT2_FT_CHRDEV] = DT_CHR, [EXT2_FT_BLKDEV] = DT_BLK, [EXT2_FT_FIFO] = DT_FIFO,
    [EXT2_FT_SOCK] = DT_SOCK, [EXT2_FT_SYMLINK] = DT_LNK,
};

struct fill_ctx {
    struct dir_context *ctx;
};

static bool ext2_fill(void *c, const char *name, size_t len, uint64_t next_pos, uint32_t ino,
                      unsigned ft)
{
    struct dir_context *ctx = ((struct fill_ctx *)c)->ctx;
    if (!ctx->actor(ctx, name, len, (loff_t)next_pos, ino, ft_to_dt[ft < EXT2_FT_MAX ? ft : 0]))
        return false;
    ctx->pos = (loff_t)next_pos;
    return true;
}

/* Positions are byte offsets into the directory ("." and ".." are on-disk records). */
static int ext2_iterate(struct file *f, struct dir_context *ctx)
{
    struct ext2_sb_info *sbi = SBI(f->inode->sb);
    if (ctx->pos < 0)
        return -EINVAL;
    struct fill_ctx fc = { ctx };
    uint64_t pos = (uint64_t)ctx->pos;
    mutex_lock(&sbi->lock);
    int err = sbi->fs ? ext2_readdir(sbi->fs, &EV(f->inode)->m, &pos, ext2_fill, &fc) : -EIO;
    mutex_unlock(&sbi->lock);
    ctx->pos = (loff_t)pos;
    return err;
}

static ssize_t ext2_dir_read(struct file *f, struct uio *to, loff_t *pos)
{
    (void)f; (void)to; (void)pos;
    return -EISDIR;
}

static const struct file_operations ext2_file_fops = {
    .read = ext2_file_read,
    .write = ext2_file_write,
    .fsync = ext2_vfs_fsync,
    .get_page = ext2_get_page,
};

static const struct file_operations ext2_dir_fops = {
    .read = ext2_dir_read,
    .iterate = ext2_iterate,
    .fsync = ext2_vfs_fsync,
};

static const struct inode_operations ext2_dir_iops = {
    .lookup = ext2_vfs_lookup,
    .create = ext2_vfs_create,
    .mkdir = ext2_vfs_mkdir,
    .symlink = ext2_vfs_symlink,
    .link = ext2_vfs_link,
    .unlink = ext2_vfs_unlink,
    .rmdir = ext2_vfs_rmdir,
    .rename = ext2_vfs_rename,
};

static const struct inode_operations ext2_file_iops = {
    .setsize = ext2_vfs_setsize,
};

static const struct inode_operations ext2_symlink_iops = {
    .get_link = ext2_vfs_get_link,
};

static const struct inode_operations ext2_special_iops = { 0 };

/* ---- Superblock ---- */

static void ext2_vfs_statfs(struct super_block *sb, struct kstatfs *st)
{
    struct ext2_sb_info *sbi = SBI(sb);
    struct ext2_statfs s = { 0 };
    mutex_lock(&sbi->lock);
    if (sbi->fs)
        ext2_statfs(sbi->fs, &s);
    mutex_unlock(&sbi->lock);
    st->type = EXT2_SUPER_MAGIC;
    st->bsize = st->frsize = s.bsize;
    st->blocks = s.blocks;
    st->bfree = s.bfree;
    st->bavail = s.bavail;
    st->files = s.files;
    st->ffree = s.ffree;
    st->namelen = EXT2_NAME_LEN;
}

/* Attribute changes the VFS made to inodes still in use go to the core (sbi->lock held). */
static void write_live_inodes(struct ext2_sb_info *sbi)
{
    struct ext2_vnode *v;
    list_for_each_entry(v, &sbi->inodes, link)
        if (from_vfs(v->inode) && !sbi->fs->readonly)
            ext2_iwrite(sbi->fs, &v->m);
}

static int ext2_sync_fs(struct super_block *sb)
{
    struct ext2_sb_info *sbi = SBI(sb);
    int err = 0;
    mutex_lock(&sbi->lock);
    if (sbi->fs && !sbi->fs->readonly) {
        write_live_inodes(sbi);
        err = ext2_sync(sbi->fs);
    }
    mutex_unlock(&sbi->lock);
    return err;
}

static int ext2_vfs_remount(struct super_block *sb, unsigned long flags)
{
    struct ext2_sb_info *sbi = SBI(sb);
    bool ro = (flags & MS_RDONLY) != 0;
    int err = 0;
    mutex_lock(&sbi->lock);
    if (!sbi->fs) {
        err = -EIO;
    } else if (ro) {
        if (!sbi->fs->readonly || sbi->fs->mounted_rw) {
            write_live_inodes(sbi);
            err = ext2_remount(sbi->fs, true);     /* written back and marked clean */
        }
    } else if (sbi->bdev->read_only || sbi->bdev->disk->read_only) {
        pr_err("ext2: %s: cannot remount a read-only device read-write\n", sbi->bdev->name);
        err = -EACCES;
    } else {
        err = ext2_remount(sbi->fs, false);
        if (err)
            pr_err("ext2: %s: cannot remount read-write (error %d)\n", sbi->bdev->name, err);
    }
    mutex_unlock(&sbi->lock);
    return err;
}

static void ext2_put_super(struct super_block *sb)
{
    struct ext2_sb_info *sbi = SBI(sb);
    struct block_device *bdev = sbi->bdev;
    spin_lock(&ext2_mounted_lock);
    list_del(&sbi->mounted);
    spin_unlock(&ext2_mounted_lock);
    mutex_lock(&sbi->lock);
    write_live_inodes(sbi);
    int err = ext2_unmount(sbi->fs);
    if (err)
        pr_err("ext2: %s: unmount: error %d\n", sbi->bdev->name, err);
    sbi->fs = NULL;
    bool last = list_empty(&sbi->inodes);
    mutex_unlock(&sbi->lock);
    if (last)
        kfree(sbi);
    blkdev_put(bdev);       /* may detach an autoclear loop device */
}

static const struct super_operations ext2_sops = {
    .evict = ext2_evict,
    .statfs = ext2_vfs_statfs,
    .put_super = ext2_put_super,
    .sync_fs = ext2_sync_fs,
    .remount = ext2_vfs_remount,
};

/* The superblock already mounted from bdev, with a new reference; NULL if none; -EBUSY if
 * the mount would change its read-only state (Linux: "would change RO state"). */
static struct super_block *find_mounted(struct block_device *bdev, bool rdonly)
{
    struct super_block *found = NULL;
    struct ext2_sb_info *sbi;
    spin_lock(&ext2_mounted_lock);
    list_for_each_entry(sbi, &ext2_mounted, mounted) {
        if (sbi->bdev != bdev)
            continue;
        if (rdonly != ((sbi->sb->flags & MS_RDONLY) != 0)) {
            found = ERR_PTR(-EBUSY);
            break;
        }
        /* A zero count means its last mount is going away right now: not reusable. */
        int c = READ_ONCE(sbi->sb->refcount);
        while (c > 0 && !__atomic_compare_exchange_n(&sbi->sb->refcount, &c, c + 1, false,
                                                     __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
            ;
        if (c > 0)
            found = sbi->sb;
        break;
    }
    spin_unlock(&ext2_mounted_lock);
    return found;
}

static int ext2_get_sb(struct file_system_type *type, const char *source, unsigned long flags,
                       const void *data, struct super_block **out)
{
    (void)data;
    struct block_device *bdev = source ? blkdev_resolve(source) : NULL;
    if (!bdev)
        return -ENOTBLK;
    if (bdev->read_only || bdev->disk->read_only)
        flags |= MS_RDONLY;
    struct super_block *shared = find_mounted(bdev, (flags & MS_RDONLY) != 0);
    if (IS_ERR(shared)) {
        pr_err("ext2: %s: already mounted %s\n", bdev->name,
               (flags & MS_RDONLY) ? "read-write" : "read-only");
        return (int)PTR_ERR(shared);
    }
    if (shared) {
        *out = shared;
        return 0;
    }
    struct ext2_sb_info *sbi = kzalloc(sizeof(*sbi));
    if (!sbi)
        return -ENOMEM;
    mutex_init(&sbi->lock);
    list_init(&sbi->inodes);
    sbi->bdev = bdev;
    struct ext2_io io = {
        .ctx = sbi, .read = bio_read, .write = bio_write, .flush = bio_flush,
        .dev_size = bdev->nr_sectors << SECTOR_SHIFT, .now = bio_now,
        .set_block_size = bio_set_block_size,
    };
    int err = ext2_mount(&io, (flags & MS_RDONLY) ? EXT2_MOUNT_RDONLY : 0, &sbi->fs);
    if (err) {
        pr_err("ext2: %s: cannot mount (error %d)\n", bdev->name, err);
        kfree(sbi);
        return err;
    }
    struct super_block *sb = sb_new(type, EXT2_SUPER_MAGIC, &ext2_sops);
    if (!sb)
        goto nomem;
    sb->fs_info = sbi;
    sb->dev = bdev->devt;
    sb->flags = sbi->fs->readonly ? MS_RDONLY : 0;
    struct inode *root = NULL;
    mutex_lock(&sbi->lock);
    err = vnode_iget(sb, EXT2_ROOT_INO, &root);
    mutex_unlock(&sbi->lock);
    if (err || !S_ISDIR(root->mode)) {
        pr_err("ext2: %s: bad root inode\n", bdev->name);
        if (root)
            iput(root);
        ext2_unmount(sbi->fs);
        kfree(sbi);
        kfree(sb);
        return err ? err : -EUCLEAN;
    }
    sb->root = d_alloc_root(sb, root);
    if (!sb->root) {
        iput(root);
        ext2_unmount(sbi->fs);
        kfree(sbi);
        kfree(sb);
        return -ENOMEM;
    }
    sbi->sb = sb;
    spin_lock(&ext2_mounted_lock);
    list_add_tail(&sbi->mounted, &ext2_mounted);
    spin_unlock(&ext2_mounted_lock);
    pr_info("ext2: mounted %s (%s, %u-byte blocks)\n", bdev->name,
            sbi->fs->readonly ? "ro" : "rw", (unsigned)sbi->fs->block_size);
    blkdev_get(bdev);       /* the superblock holds the device until put_super */
    *out = sb;
    return 0;
nomem:
    ext2_unmount(sbi->fs);
    kfree(sbi);
    return -ENOMEM;
}

static struct file_system_type ext2_type = {
    .name = "ext2",
    .get_sb = ext2_get_sb,
    .nodev = false,
};

/* Called once at boot after vfs_init() (see the report: the VFS owner wires it). */
void ext2_init(void)
{
    register_filesystem(&ext2_type);
}
