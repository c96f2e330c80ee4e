/* OFS VFS glue: the "ofs" filesystem type, superblock/inode/file operations over the core
 * (ofs_*.c), and the core's block I/O mapped onto the buffer cache. docs/ofs.md describes
 * the format and the guarantees.
 *
 * Durability: every change goes into the core's in-memory transaction; fsync, fdatasync,
 * sync, syncfs and unmount commit it (write new blocks, FLUSH, superblock, FLUSH). Besides,
 * a kernel thread (the flusher, "ofs-flush") commits every filesystem whose transaction is
 * not empty every OFS_COMMIT_INTERVAL seconds, an operation that finds the last commit older
 * than that commits first, and the core commits on its own when a transaction grows large.
 * Every one of these is the same atomic commit.
 *
 * Locking (as ext2_vfs.c): one mutex per mounted filesystem (sbi->lock) serialises every call
 * into the core; it is taken inside the VFS's locks (vfs_ns_lock, inode->lock) and never the
 * other way round, and no iput() happens while it is held (evict takes it). The flusher
 * walks ofs_mounted holding ofs_mounted_mutex and takes each sbi->lock inside it; unmount
 * leaves the list under that mutex first, so the flusher never sees a filesystem going away.
 * The list changes under both ofs_mounted_mutex and ofs_mounted_lock (find_mounted reads it
 * under the spinlock alone).
 *
 * Inode identity: one struct inode per live OFS inode (a per-filesystem table), holding the
 * core's view in inode->private. The core re-reads its inode item for every operation, so
 * the only thing to carry over are attribute changes the VFS makes itself (chmod, chown,
 * utimens): they are written through ofs_setattr before the next core operation on the inode,
 * at sync and at eviction.
 *
 * Errors: corruption (-EUCLEAN from the core) is reported to user space as EIO; the core has
 * then already logged it and made the filesystem read-only. */
#include "../vfs.h"
#include "ofs.h"
#include "blkdev.h"
#include "mm.h"
#include "string.h"
#include "kprintf.h"
#include "kthread.h"

#define OFS_SUPER_MAGIC 0x4f465331ul      /* "OFS1" (statfs f_type) */
#define OFS_COMMIT_INTERVAL 5              /* seconds */
#define OFS_IO_CHUNK (16u * OFS_BLOCK_SIZE)
/* An unformatted partition is formatted at mount (see may_format) if this many leading
 * blocks are zero. */
#define OFS_EMPTY_PROBE_BLOCKS 256u

struct ofs_sb_info {
    struct ofs_fs *fs;               /* NULL once unmounted (late evicts only free memory) */
    struct mutex lock;
    struct block_device *bdev;
    struct list_head inodes;         /* live ofs_vnode's */
    struct super_block *sb;
    struct list_head mounted;        /* in ofs_mounted while sb is in use */
    int64_t last_commit;             /* seconds (fs_now) */
};

static LIST_HEAD(ofs_mounted);
static spinlock_t ofs_mounted_lock = SPINLOCK_INIT("ofs_mounted");
static struct mutex ofs_mounted_mutex;    /* ofs_init */
static void start_flusher(void);

struct ofs_vnode {
    struct ofs_inode m;
    struct inode *inode;
    struct list_head link;
};

static const struct super_operations ofs_sops;
static const struct inode_operations ofs_dir_iops, ofs_file_iops, ofs_symlink_iops,
    ofs_special_iops;
static const struct file_operations ofs_dir_fops, ofs_file_fops;

static struct ofs_sb_info *SBI(struct super_block *sb) { return sb->fs_info; }
static struct ofs_vnode *OV(struct inode *inode) { return inode->private; }

static int uerr(int err)
{
    return err == -EUCLEAN ? -EIO : err;
}

/* ---- Block I/O over the buffer cache ---- */

static int bio_read(void *ctx, uint64_t blk, void *buf)
{
    struct ofs_sb_info *sbi = ctx;
    struct buffer_head *bh = bread(sbi->bdev, blk, OFS_BLOCK_SIZE);
    if (!bh)
        return -EIO;
    memcpy(buf, bh->data, OFS_BLOCK_SIZE);
    brelse(bh);
    return 0;
}

static int bio_write(void *ctx, uint64_t blk, const void *buf)
{
    struct ofs_sb_info *sbi = ctx;
    if (sbi->bdev->read_only)
        return -EROFS;
    struct buffer_head *bh = getblk(sbi->bdev, blk, OFS_BLOCK_SIZE);
    if (!bh)
        return -EIO;
    memcpy(bh->data, buf, OFS_BLOCK_SIZE);
    set_buffer_uptodate(bh);
    mark_buffer_dirty(bh);
    brelse(bh);
    return 0;
}

/* Write back everything the cache holds for the disk, then FLUSH (sync_dev does both). */
static int bio_flush(void *ctx)
{
    struct ofs_sb_info *sbi = ctx;
    return sync_dev(sbi->bdev);
}

static void bio_now(void *ctx, struct ofs_timespec *ts)
{
    (void)ctx;
    struct kernel_timespec t;
    fs_now(&t);
    ts->sec = t.tv_sec;
    ts->nsec = (uint32_t)t.tv_nsec;
}

static int64_t now_sec(void)
{
    struct kernel_timespec t;
    fs_now(&t);
    return t.tv_sec;
}

/* sbi->lock held. Commit if the last commit is old (bounds what a crash can lose without
 * an fsync). */
static void maybe_commit(struct ofs_sb_info *sbi)
{
    if (!sbi->fs || sbi->fs->readonly || !sbi->fs->dirty)
        return;
    int64_t now = now_sec();
    if (now - sbi->last_commit < OFS_COMMIT_INTERVAL && now >= sbi->last_commit)
        return;
    ofs_commit(sbi->fs);
    sbi->last_commit = now;
}

static int commit(struct ofs_sb_info *sbi)
{
    int err = ofs_commit(sbi->fs);
    sbi->last_commit = now_sec();
    return uerr(err);
}

/* ---- Inodes ---- */

static void ts_to_vfs(struct kernel_timespec *k, const struct ofs_timespec *o)
{
    k->tv_sec = o->sec;
    k->tv_nsec = o->nsec;
}

static void ts_from_vfs(struct ofs_timespec *o, const struct kernel_timespec *k)
{
    o->sec = k->tv_sec;
    o->nsec = k->tv_nsec >= 0 && k->tv_nsec < (int64_t)NSEC_PER_SEC ? (uint32_t)k->tv_nsec : 0;
}

/* Core -> VFS after the core changed the inode. */
static void to_vfs(struct inode *inode)
{
    struct ofs_inode *m = &OV(inode)->m;
    inode->mode = m->d.mode;
    inode->uid = m->d.uid;
    inode->gid = m->d.gid;
    inode->nlink = m->d.nlink;
    inode->size = (loff_t)m->d.size;
    inode->blocks = m->d.blocks * (OFS_BLOCK_SIZE / 512);
    ts_to_vfs(&inode->atime, &m->d.atime);
    ts_to_vfs(&inode->mtime, &m->d.mtime);
    ts_to_vfs(&inode->ctime, &m->d.ctime);
}

static bool ts_differ(const struct ofs_timespec *o, const struct kernel_timespec *k)
{
    return o->sec != k->tv_sec || (int64_t)o->nsec != k->tv_nsec;
}

/* VFS -> core: write attribute changes the VFS made on its own (sbi->lock held). */
static int from_vfs(struct ofs_sb_info *sbi, struct inode *inode)
{
    struct ofs_vnode *v = OV(inode);
    struct ofs_inode *m = &v->m;
    if ((m->d.mode & 07777) == (inode->mode & 07777) && m->d.uid == inode->uid &&
        m->d.gid == inode->gid && !ts_differ(&m->d.atime, &inode->atime) &&
        !ts_differ(&m->d.mtime, &inode->mtime) && !ts_differ(&m->d.ctime, &inode->ctime))
        return 0;
    if (!sbi->fs || sbi->fs->readonly)
        return 0;
    struct ofs_setattr sa = {
        .mask = OFS_SET_MODE | OFS_SET_UID | OFS_SET_GID | OFS_SET_ATIME | OFS_SET_MTIME |
                OFS_SET_CTIME,
        .mode = inode->mode & 07777, .uid = inode->uid, .gid = inode->gid,
    };
    ts_from_vfs(&sa.atime, &inode->atime);
    ts_from_vfs(&sa.mtime, &inode->mtime);
    ts_from_vfs(&sa.ctime, &inode->ctime);
    int err = ofs_setattr(sbi->fs, m, &sa);
    to_vfs(inode);
    return err;
}

/* Re-read the core's copy (after an operation changed the inode behind our back). */
static void refresh(struct ofs_sb_info *sbi, struct inode *inode)
{
    if (sbi->fs && ofs_iget(sbi->fs, OV(inode)->m.ino, &OV(inode)->m) == 0)
        to_vfs(inode);
}

static void set_ops(struct inode *inode)
{
    struct ofs_inode *m = &OV(inode)->m;
    switch (m->d.mode & S_IFMT) {
    case S_IFREG:
        inode->iops = &ofs_file_iops;
        inode->fops = &ofs_file_fops;
        break;
    case S_IFDIR:
        inode->iops = &ofs_dir_iops;
        inode->fops = &ofs_dir_fops;
        break;
    case S_IFLNK:
        inode->iops = &ofs_symlink_iops;
        break;
    default:
        inode->iops = &ofs_special_iops;
        init_special_inode(inode, m->d.mode, dev_from_user(m->d.rdev));
    }
}

/* The VFS inode for m (sbi->lock held): the live one (+1 ref) or a new one. */
static struct inode *vnode_get(struct super_block *sb, const struct ofs_inode *m)
{
    struct ofs_sb_info *sbi = SBI(sb);
    struct ofs_vnode *v;
    list_for_each_entry(v, &sbi->inodes, link) {
        if (v->m.ino == m->ino) {
            /* A zero count means iput is evicting it right now (it waits for our lock):
             * skip it, the fresh copy from the tree is current. */
            int c = READ_ONCE(v->inode->refcount);
            while (c > 0 && !__atomic_compare_exchange_n(&v->inode->refcount, &c, c + 1, false,
                                                         __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
                ;
            if (c > 0)
                return v->inode;
        }
    }
    v = kzalloc(sizeof(*v));
    struct inode *inode = v ? inode_new(sb, m->d.mode) : NULL;
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

static int vnode_iget(struct super_block *sb, uint64_t ino, struct inode **out)
{
    struct ofs_sb_info *sbi = SBI(sb);
    struct ofs_vnode *v;
    list_for_each_entry(v, &sbi->inodes, link)
        if (v->m.ino == ino && READ_ONCE(v->inode->refcount) > 0)
            return (*out = vnode_get(sb, &v->m)) ? 0 : -ENOMEM;
    struct ofs_inode m;
    int err = ofs_iget(sbi->fs, ino, &m);
    if (err)
        return err == -ENOENT ? -EIO : uerr(err);   /* an entry naming no inode: corrupt */
    *out = vnode_get(sb, &m);
    return *out ? 0 : -ENOMEM;
}

static void ofs_vfs_evict(struct inode *inode)
{
    struct ofs_vnode *v = OV(inode);
    struct ofs_sb_info *sbi = inode->sb ? SBI(inode->sb) : NULL;
    if (!v || !sbi)
        return;
    mutex_lock(&sbi->lock);
    if (sbi->fs && !sbi->fs->readonly) {
        struct ofs_inode cur;
        if (ofs_iget(sbi->fs, v->m.ino, &cur) == 0) {
            if (cur.d.nlink == 0)
                ofs_evict(sbi->fs, v->m.ino);      /* the last user of an unlinked inode */
            else
                from_vfs(sbi, inode);
        }
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

/* sbi->lock held: 0 if changes are allowed. */
static int writable(struct super_block *sb)
{
    struct ofs_sb_info *sbi = SBI(sb);
    if (!sbi->fs || sbi->fs->readonly || (sb->flags & MS_RDONLY))
        return -EROFS;
    maybe_commit(sbi);
    return sbi->fs->readonly ? -EROFS : 0;
}

/* ---- Directory operations ---- */

static int ofs_vfs_lookup(struct inode *dir, struct dentry *d)
{
    struct ofs_sb_info *sbi = SBI(dir->sb);
    mutex_lock(&sbi->lock);
    uint64_t ino;
    int err = sbi->fs ? ofs_lookup(sbi->fs, &OV(dir)->m, d->name, d->name_len, &ino) : -EIO;
    struct inode *inode = NULL;
    if (!err)
        err = vnode_iget(dir->sb, ino, &inode);
    mutex_unlock(&sbi->lock);
    if (err)
        return uerr(err);
    d_instantiate(d, inode);
    d_add(d);
    return 0;
}

static struct ofs_attrs new_attrs(struct inode *dir, mode_t mode)
{
    const struct cred *c = fs_cred();
    struct ofs_attrs a = { .mode = mode, .uid = c->fsuid, .gid = c->fsgid };
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

static int make_node(struct inode *dir, struct dentry *d, const struct ofs_attrs *a,
                     const char *target)
{
    struct ofs_sb_info *sbi = SBI(dir->sb);
    mutex_lock(&sbi->lock);
    int err = writable(dir->sb);
    struct ofs_inode m;
    struct inode *inode = NULL;
    if (!err) {
        from_vfs(sbi, dir);
        struct ofs_inode *dm = &OV(dir)->m;
        if (target)
            err = ofs_symlink(sbi->fs, dm, d->name, d->name_len, target, strlen(target), a, &m);
        else if (S_ISDIR(a->mode))
            err = ofs_mkdir(sbi->fs, dm, d->name, d->name_len, a, &m);
        else
            err = ofs_create(sbi->fs, dm, d->name, d->name_len, a, &m);
        to_vfs(dir);
    }
    if (!err && !(inode = vnode_get(dir->sb, &m)))
        err = -ENOMEM;      /* the entry exists; a later lookup finds it */
    mutex_unlock(&sbi->lock);
    if (err)
        return uerr(err);
    link_dentry(d, inode);
    return 0;
}

static int ofs_vfs_create(struct inode *dir, struct dentry *d, mode_t mode, dev_t rdev)
{
    struct ofs_attrs a = new_attrs(dir, mode);
    a.rdev = (S_ISCHR(mode) || S_ISBLK(mode)) ? dev_to_user(rdev) : 0;
    return make_node(dir, d, &a, NULL);
}

static int ofs_vfs_mkdir(struct inode *dir, struct dentry *d, mode_t mode)
{
    struct ofs_attrs a = new_attrs(dir, S_IFDIR | (mode & 07777));
    return make_node(dir, d, &a, NULL);
}

static int ofs_vfs_symlink(struct inode *dir, struct dentry *d, const char *target)
{
    struct ofs_attrs a = new_attrs(dir, S_IFLNK | 0777);
    return make_node(dir, d, &a, target);
}

static int ofs_vfs_link(struct dentry *old, struct inode *dir, struct dentry *d)
{
    struct ofs_sb_info *sbi = SBI(dir->sb);
    struct inode *inode = old->inode;
    mutex_lock(&sbi->lock);
    int err = writable(dir->sb);
    if (!err) {
        from_vfs(sbi, inode);
        from_vfs(sbi, dir);
        err = ofs_link(sbi->fs, &OV(dir)->m, d->name, d->name_len, &OV(inode)->m);
        to_vfs(inode);
        to_vfs(dir);
    }
    mutex_unlock(&sbi->lock);
    if (err)
        return uerr(err);
    iget(inode);
    link_dentry(d, inode);
    return 0;
}

static int remove_name(struct inode *dir, struct dentry *d, bool isdir)
{
    struct ofs_sb_info *sbi = SBI(dir->sb);
    struct inode *inode = d->inode;
    mutex_lock(&sbi->lock);
    int err = writable(dir->sb);
    if (!err) {
        from_vfs(sbi, inode);
        from_vfs(sbi, dir);
        err = isdir ? ofs_rmdir(sbi->fs, &OV(dir)->m, d->name, d->name_len, &OV(inode)->m)
                    : ofs_unlink(sbi->fs, &OV(dir)->m, d->name, d->name_len, &OV(inode)->m);
        refresh(sbi, inode);
        to_vfs(dir);
    }
    mutex_unlock(&sbi->lock);
    if (!err)
        d_drop(d);     /* the inode is freed when its last user goes (evict) */
    return uerr(err);
}

static int ofs_vfs_unlink(struct inode *dir, struct dentry *d)
{
    return remove_name(dir, d, false);
}

static int ofs_vfs_rmdir(struct inode *dir, struct dentry *d)
{
    return remove_name(dir, d, true);
}

static int ofs_vfs_rename(struct inode *odir, struct dentry *od, struct inode *ndir,
                          struct dentry *nd, unsigned flags)
{
    if (flags & (RENAME_EXCHANGE | RENAME_WHITEOUT))
        return -EINVAL;
    struct ofs_sb_info *sbi = SBI(odir->sb);
    struct inode *inode = od->inode, *victim = nd->inode;
    mutex_lock(&sbi->lock);
    int err = writable(odir->sb);
    if (!err) {
        from_vfs(sbi, inode);
        from_vfs(sbi, odir);
        from_vfs(sbi, ndir);
        if (victim)
            from_vfs(sbi, victim);
        uint64_t gone;
        err = ofs_rename(sbi->fs, &OV(odir)->m, od->name, od->name_len, &OV(ndir)->m,
                         nd->name, nd->name_len, &gone);
        /* A victim without links is evicted when its last user goes (it is an orphan in
         * the meantime, so a crash frees it at the next mount). */
        refresh(sbi, inode);
        refresh(sbi, odir);
        refresh(sbi, ndir);
        if (victim)
            refresh(sbi, victim);
    }
    mutex_unlock(&sbi->lock);
    if (err)
        return uerr(err);
    if (victim)
        d_drop(nd);
    d_move(od, nd->parent, nd);
    return 0;
}

static int ofs_vfs_get_link(struct dentry *d, char *buf, size_t size)
{
    struct ofs_sb_info *sbi = SBI(d->inode->sb);
    mutex_lock(&sbi->lock);
    int n = sbi->fs ? ofs_readlink(sbi->fs, &OV(d->inode)->m, buf, size) : -EIO;
    mutex_unlock(&sbi->lock);
    return uerr(n);
}

static int ofs_vfs_setsize(struct inode *inode, loff_t size)
{
    if (size < 0)
        return -EINVAL;
    struct ofs_sb_info *sbi = SBI(inode->sb);
    mutex_lock(&sbi->lock);
    int err = writable(inode->sb);
    if (!err) {
        from_vfs(sbi, inode);
        struct ofs_setattr sa = { .mask = OFS_SET_SIZE, .size = (uint64_t)size };
        err = ofs_setattr(sbi->fs, &OV(inode)->m, &sa);
        to_vfs(inode);
    }
    mutex_unlock(&sbi->lock);
    return uerr(err);
}

/* ---- Files ---- */

static ssize_t ofs_file_read(struct file *f, struct uio *to, loff_t *pos)
{
    struct inode *inode = f->inode;
    struct ofs_sb_info *sbi = SBI(inode->sb);
    if (*pos < 0)
        return -EINVAL;
    char *buf = kmalloc(OFS_IO_CHUNK);
    if (!buf)
        return -ENOMEM;
    size_t done = 0;
    ssize_t ret = 0;
    while (to->resid > 0) {
        size_t want = MIN((size_t)OFS_IO_CHUNK, to->resid);
        mutex_lock(&sbi->lock);
        ssize_t n = sbi->fs ? ofs_read(sbi->fs, &OV(inode)->m, (uint64_t)*pos, buf, want) : -EIO;
        mutex_unlock(&sbi->lock);
        if (n <= 0) {
            ret = uerr((int)n);
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

static ssize_t ofs_file_write(struct file *f, struct uio *from, loff_t *pos)
{
    struct inode *inode = f->inode;
    struct ofs_sb_info *sbi = SBI(inode->sb);
    char *buf = kmalloc(OFS_IO_CHUNK);
    if (!buf)
        return -ENOMEM;
    mutex_lock(&inode->lock);
    loff_t p = (f->flags & O_APPEND) ? inode->size : *pos;
    size_t done = 0;
    ssize_t ret = p < 0 ? -EINVAL : 0;
    while (ret == 0 && from->resid > 0) {
        size_t n = MIN((size_t)OFS_IO_CHUNK, from->resid);
        if (uio_copyin(buf, from, n) < 0) {
            ret = -EFAULT;
            break;
        }
        mutex_lock(&sbi->lock);
        ssize_t w = writable(inode->sb);
        if (w == 0) {
            from_vfs(sbi, inode);
            w = ofs_write(sbi->fs, &OV(inode)->m, (uint64_t)p, buf, n);
            to_vfs(inode);
        }
        mutex_unlock(&sbi->lock);
        if (w <= 0) {
            ret = w ? uerr((int)w) : -ENOSPC;
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

/* Attribute changes the VFS made to inodes still in use go to the core (sbi->lock held). */
static void write_live_inodes(struct ofs_sb_info *sbi)
{
    struct ofs_vnode *v;
    list_for_each_entry(v, &sbi->inodes, link)
        from_vfs(sbi, v->inode);
}

/* fsync and fdatasync: commit everything (docs/ofs.md: what fsync guarantees). */
static int ofs_vfs_fsync(struct file *f)
{
    struct ofs_sb_info *sbi = SBI(f->inode->sb);
    mutex_lock(&sbi->lock);
    int err = 0;
    if (!sbi->fs) {
        err = -EIO;
    } else if (sbi->fs->errors) {
        err = -EIO;
    } else if (!sbi->fs->readonly) {
        write_live_inodes(sbi);
        err = commit(sbi);
    }
    mutex_unlock(&sbi->lock);
    return err;
}

/* mmap: a private copy of the page (no shared page cache yet). */
static int ofs_get_page(struct file *f, uint64_t pgoff, void **page)
{
    struct ofs_sb_info *sbi = SBI(f->inode->sb);
    char *p = page_alloc();
    if (!p)
        return -ENOMEM;
    mutex_lock(&sbi->lock);
    ssize_t n = sbi->fs ? ofs_read(sbi->fs, &OV(f->inode)->m, pgoff * PAGE_SIZE, p, PAGE_SIZE)
                        : -EIO;
    mutex_unlock(&sbi->lock);
    if (n < 0) {
        page_free(p);
        return uerr((int)n);
    }
    *page = p;
    return 0;
}

/* ---- Directories ---- */

static bool ofs_fill(void *c, const char *name, size_t len, uint64_t ino, unsigned dtype,
                     uint64_t next_pos)
{
    struct dir_context *ctx = c;
    if (!ctx->actor(ctx, name, len, (loff_t)next_pos, ino, dtype))
        return false;
    ctx->pos = (loff_t)next_pos;
    return true;
}

/* The core emits "." and ".." (positions 0 and 1) and then entries in hash order. */
static int ofs_iterate(struct file *f, struct dir_context *ctx)
{
    struct ofs_sb_info *sbi = SBI(f->inode->sb);
    if (ctx->pos < 0)
        return -EINVAL;
    uint64_t pos = (uint64_t)ctx->pos;
    mutex_lock(&sbi->lock);
    int err = sbi->fs ? ofs_readdir(sbi->fs, &OV(f->inode)->m, &pos, ofs_fill, ctx) : -EIO;
    mutex_unlock(&sbi->lock);
    ctx->pos = (loff_t)pos;
    return uerr(err);
}

static ssize_t ofs_dir_read(struct file *f, struct uio *to, loff_t *pos)
{
    (void)f; (void)to; (void)pos;
    return -EISDIR;
}

static const struct file_operations ofs_file_fops = {
    .read = ofs_file_read,
    .write = ofs_file_write,
    .fsync = ofs_vfs_fsync,
    .get_page = ofs_get_page,
};

static const struct file_operations ofs_dir_fops = {
    .read = ofs_dir_read,
    .iterate = ofs_iterate,
    .fsync = ofs_vfs_fsync,
};

static const struct inode_operations ofs_dir_iops = {
    .lookup = ofs_vfs_lookup,
    .create = ofs_vfs_create,
    .mkdir = ofs_vfs_mkdir,
    .symlink = ofs_vfs_symlink,
    .link = ofs_vfs_link,
    .unlink = ofs_vfs_unlink,
    .rmdir = ofs_vfs_rmdir,
    .rename = ofs_vfs_rename,
};

static const struct inode_operations ofs_file_iops = {
    .setsize = ofs_vfs_setsize,
};

static const struct inode_operations ofs_symlink_iops = {
    .get_link = ofs_vfs_get_link,
};

static const struct inode_operations ofs_special_iops = { 0 };

/* ---- Superblock ---- */

static void ofs_vfs_statfs(struct super_block *sb, struct kstatfs *st)
{
    struct ofs_sb_info *sbi = SBI(sb);
    struct ofs_statfs s = { 0 };
    mutex_lock(&sbi->lock);
    if (sbi->fs)
        ofs_statfs(sbi->fs, &s);
    mutex_unlock(&sbi->lock);
    st->type = (long)OFS_SUPER_MAGIC;
    st->bsize = st->frsize = OFS_BLOCK_SIZE;
    st->blocks = s.blocks;
    st->bfree = s.bfree;
    st->bavail = s.bavail;
    st->files = s.files;
    st->ffree = s.ffree;
    st->namelen = OFS_NAME_MAX;
}

static int ofs_sync_fs(struct super_block *sb)
{
    struct ofs_sb_info *sbi = SBI(sb);
    int err = 0;
    mutex_lock(&sbi->lock);
    if (sbi->fs && sbi->fs->errors) {
        err = -EIO;
    } else if (sbi->fs && !sbi->fs->readonly) {
        write_live_inodes(sbi);
        err = commit(sbi);
    }
    mutex_unlock(&sbi->lock);
    return err;
}

static int ofs_vfs_remount(struct super_block *sb, unsigned long flags)
{
    struct ofs_sb_info *sbi = SBI(sb);
    bool ro = (flags & MS_RDONLY) != 0;
    int err = 0;
    mutex_lock(&sbi->lock);
    if (!sbi->fs) {
        err = -EIO;
    } else if (ro) {
        if (!sbi->fs->readonly) {
            write_live_inodes(sbi);
            err = commit(sbi);
            if (!err)
                sbi->fs->readonly = true;
        }
    } else if (sbi->fs->errors) {
        pr_err("ofs: %s: errors were found: staying read-only (run fsck.ofs)\n", sbi->bdev->name);
        err = -EROFS;
    } else if (sbi->bdev->read_only || sbi->bdev->disk->read_only) {
        err = -EACCES;
    } else {
        sbi->fs->readonly = false;
        start_flusher();
    }
    mutex_unlock(&sbi->lock);
    return err;
}

static void ofs_put_super(struct super_block *sb)
{
    struct ofs_sb_info *sbi = SBI(sb);
    struct block_device *bdev = sbi->bdev;
    mutex_lock(&ofs_mounted_mutex);
    spin_lock(&ofs_mounted_lock);
    list_del(&sbi->mounted);
    spin_unlock(&ofs_mounted_lock);
    mutex_unlock(&ofs_mounted_mutex);
    mutex_lock(&sbi->lock);
    write_live_inodes(sbi);
    int err = ofs_unmount(sbi->fs);
    if (err)
        pr_err("ofs: %s: unmount: error %d\n", sbi->bdev->name, err);
    sbi->fs = NULL;
    bool last = list_empty(&sbi->inodes);
    mutex_unlock(&sbi->lock);
    if (last)
        kfree(sbi);
    blkdev_put(bdev);       /* may detach an autoclear loop device */
}

static const struct super_operations ofs_sops = {
    .evict = ofs_vfs_evict,
    .statfs = ofs_vfs_statfs,
    .put_super = ofs_put_super,
    .sync_fs = ofs_sync_fs,
    .remount = ofs_vfs_remount,
};

static struct super_block *find_mounted(struct block_device *bdev)
{
    struct super_block *found = NULL;
    struct ofs_sb_info *sbi;
    spin_lock(&ofs_mounted_lock);
    list_for_each_entry(sbi, &ofs_mounted, mounted) {
        if (sbi->bdev != bdev)
            continue;
        int c = READ_ONCE(sbi->sb->refcount);
        while (c > 0 && !__atomic_compare_exchange_n(&sbi->sb->refcount, &c, c + 1, false,
                                                     __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
            ;
        if (c > 0)
            found = sbi->sb;
        break;
    }
    spin_unlock(&ofs_mounted_lock);
    return found;
}

/* True if the first OFS_EMPTY_PROBE_BLOCKS blocks (or the whole device) read as zeros: a
 * partition that was never formatted (the image ships the data partition zeroed). A damaged
 * OFS is never mistaken for one: its early commits live in its first blocks. */
static bool device_empty(struct ofs_sb_info *sbi, uint64_t nblocks)
{
    uint8_t *buf = kmalloc(OFS_BLOCK_SIZE);
    if (!buf)
        return false;
    bool empty = true;
    for (uint64_t b = 0; b < MIN(nblocks, (uint64_t)OFS_EMPTY_PROBE_BLOCKS) && empty; b++) {
        if (blkdev_read(sbi->bdev, b * (OFS_BLOCK_SIZE / SECTOR_SIZE), buf, OFS_BLOCK_SIZE) < 0) {
            empty = false;
            break;
        }
        for (size_t i = 0; i < OFS_BLOCK_SIZE; i++)
            if (buf[i]) {
                empty = false;
                break;
            }
    }
    kfree(buf);
    return empty;
}

/* Formatting on mount is limited to the image's data partition (GPT name "data") and to
 * systems booted with ofs.format=empty, so that probing an unrelated empty disk (mount
 * without -t tries every type) never writes to it. */
static bool may_format(struct block_device *bdev)
{
    const char *opt = cmdline_get("ofs.format");
    if (opt && strcmp(opt, "empty") == 0)
        return true;
    return bdev->partno != 0 && strcmp(bdev->label, "data") == 0;
}

static int ofs_get_sb(struct file_system_type *type, const char *source, unsigned long flags,
                      const void *data, struct super_block **out)
{
    (void)data;
    struct block_device *bdev = source ? blkdev_resolve(source) : NULL;
    if (!bdev)
        return -ENOTBLK;
    if (bdev->logical_block_size > OFS_BLOCK_SIZE)
        return -EINVAL;
    struct super_block *shared = find_mounted(bdev);
    if (shared) {
        *out = shared;
        return 0;
    }
    if (bdev->read_only || bdev->disk->read_only)
        flags |= MS_RDONLY;
    struct ofs_sb_info *sbi = kzalloc(sizeof(*sbi));
    if (!sbi)
        return -ENOMEM;
    mutex_init(&sbi->lock);
    list_init(&sbi->inodes);
    sbi->bdev = bdev;
    struct ofs_io io = {
        .ctx = sbi, .read = bio_read, .write = bio_write, .flush = bio_flush,
        .nblocks = (bdev->nr_sectors << SECTOR_SHIFT) / OFS_BLOCK_SIZE, .now = bio_now,
    };
    int err = ofs_mount(&io, (flags & MS_RDONLY) ? OFS_MOUNT_RDONLY : 0, &sbi->fs);
    if (err == -EUCLEAN && !(flags & MS_RDONLY) && may_format(bdev) &&
        device_empty(sbi, io.nblocks)) {
        struct ofs_format_params p;
        memset(&p, 0, sizeof(p));
        get_random_bytes(p.uuid, sizeof(p.uuid));
        p.uuid[6] = (uint8_t)((p.uuid[6] & 0x0f) | 0x40);
        p.uuid[8] = (uint8_t)((p.uuid[8] & 0x3f) | 0x80);
        memcpy(p.label, "data", 4);
        bio_now(NULL, &p.time);
        pr_info("ofs: %s: empty partition: formatting (%llu blocks of 4 KiB)\n", bdev->name,
                (unsigned long long)io.nblocks);
        err = ofs_format(&io, &p);
        if (!err)
            err = ofs_mount(&io, 0, &sbi->fs);
    }
    if (err) {
        pr_err("ofs: %s: cannot mount (error %d)\n", bdev->name, err);
        kfree(sbi);
        return uerr(err);
    }
    sbi->last_commit = now_sec();
    struct super_block *sb = sb_new(type, OFS_SUPER_MAGIC, &ofs_sops);
    if (!sb) {
        ofs_unmount(sbi->fs);
        kfree(sbi);
        return -ENOMEM;
    }
    sb->fs_info = sbi;
    sb->dev = bdev->devt;
    sb->flags = sbi->fs->readonly ? MS_RDONLY : 0;
    struct inode *root = NULL;
    mutex_lock(&sbi->lock);
    err = vnode_iget(sb, OFS_ROOT_INO, &root);
    mutex_unlock(&sbi->lock);
    if (err || !S_ISDIR(root->mode) || !(sb->root = d_alloc_root(sb, root))) {
        pr_err("ofs: %s: cannot set up the root directory\n", bdev->name);
        if (root)
            iput(root);
        ofs_unmount(sbi->fs);
        sbi->fs = NULL;
        if (list_empty(&sbi->inodes))
            kfree(sbi);
        kfree(sb);
        return err ? err : -EIO;
    }
    sbi->sb = sb;
    mutex_lock(&ofs_mounted_mutex);
    spin_lock(&ofs_mounted_lock);
    list_add_tail(&sbi->mounted, &ofs_mounted);
    spin_unlock(&ofs_mounted_lock);
    mutex_unlock(&ofs_mounted_mutex);
    if (!sbi->fs->readonly)
        start_flusher();
    pr_info("ofs: mounted %s (%s, commit %llu, %llu/%llu blocks free)\n", bdev->name,
            sbi->fs->readonly ? "ro" : "rw", (unsigned long long)sbi->fs->sb.seq,
            (unsigned long long)sbi->fs->free_work, (unsigned long long)sbi->fs->sb.total_blocks);
    blkdev_get(bdev);       /* the superblock holds the device until put_super */
    *out = sb;
    return 0;
}

/* ---- Background commits ---- */

/* Commit every mounted filesystem whose transaction is not empty, including attribute
 * changes the VFS made on its own (chmod, utimens...): the same commit as sync(2). */
static void flush_all(void)
{
    mutex_lock(&ofs_mounted_mutex);
    struct ofs_sb_info *sbi;
    list_for_each_entry(sbi, &ofs_mounted, mounted) {
        mutex_lock(&sbi->lock);
        if (sbi->fs && !sbi->fs->readonly && !(sbi->sb->flags & MS_RDONLY)) {
            write_live_inodes(sbi);
            if (sbi->fs->dirty)
                commit(sbi);       /* a failure is logged and makes the fs read-only */
        }
        mutex_unlock(&sbi->lock);
    }
    mutex_unlock(&ofs_mounted_mutex);
}

/* The flusher: bounds how long a change made without fsync stays only in memory to
 * OFS_COMMIT_INTERVAL seconds plus the time commits take (docs/ofs.md). It wakes every
 * interval while the system runs, whether or not anything changed: a wake-up that finds
 * every transaction empty costs a walk of the mount list. */
static void ofs_flusher(void *arg)
{
    (void)arg;
    for (;;) {
        uint64_t deadline = ktime_mono_ns() + OFS_COMMIT_INTERVAL * NSEC_PER_SEC;
        while (ktime_mono_ns() < deadline) {
            set_current_state(TASK_INTERRUPTIBLE);   /* no signal reaches a kernel thread */
            schedule_timeout(deadline);
        }
        flush_all();
    }
}

/* Started by the first read-write mount. */
static void start_flusher(void)
{
    static bool started;
    if (started)
        return;
    if (!kthread_run("ofs-flush", ofs_flusher, NULL)) {
        pr_warn("ofs: no memory for the flusher thread: changes become durable only at "
                "sync, fsync and unmount\n");
        return;
    }
    started = true;
}

static struct file_system_type ofs_type = {
    .name = "ofs",
    .get_sb = ofs_get_sb,
    .nodev = false,
};

/* Called once at boot after vfs_init() (main.c, next to ext2_init()). */
void ofs_init(void)
{
    mutex_init(&ofs_mounted_mutex);
    register_filesystem(&ofs_type);
}
