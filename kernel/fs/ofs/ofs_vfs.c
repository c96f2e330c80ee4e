/* OFS VFS glue: the "ofs" filesystem type, the core (ofs_*.c) adapted to the disk filesystem
 * glue of fs/diskfs.c (which owns locking, the live-inode table and every VFS operation
 * table), and the core's block I/O mapped onto the buffer cache. docs/ofs.md describes the
 * format and the guarantees.
 *
 * Durability: every change goes into the core's in-memory transaction; fsync, fdatasync,
 * sync, syncfs and unmount commit it (write new blocks, FLUSH, superblock, FLUSH). Besides,
 * a kernel thread (the flusher, "ofs-flush") commits every filesystem whose transaction is
 * not empty every OFS_COMMIT_INTERVAL seconds, an operation that finds the last commit older
 * than that commits first, and the core commits on its own when a transaction grows large.
 * Every one of these is the same atomic commit.
 *
 * Locking: the glue's mutex (diskfs_lock) serialises every call into the core. The flusher
 * walks ofs_mounted holding ofs_mounted_mutex and takes each filesystem's lock inside it;
 * unmount leaves the list under that mutex first (before_unmount, without the filesystem's
 * lock), so the flusher never sees a filesystem going away.
 *
 * Inodes: the core's copy of an on-disk inode is its struct ofs_inode. The core re-reads its
 * inode item for every operation, so the only thing to carry over are attribute changes the
 * VFS makes itself (chmod, chown, utimens): they are written through ofs_setattr before the
 * next core operation on the inode, at sync and at eviction (write_attrs).
 *
 * Errors: corruption (-EUCLEAN from the core) is reported to user space as EIO; the core has
 * then already logged it and made the filesystem read-only. */
#include "fs.h"
#include "ofs.h"
#include "blkdev.h"
#include "mm.h"
#include "string.h"
#include "kprintf.h"
#include "kthread.h"
#include "random.h"

#define OFS_COMMIT_INTERVAL 5              /* seconds */
#define OFS_IO_CHUNK (16u * OFS_BLOCK_SIZE)
/* An unformatted partition is formatted at mount (see may_format) if this many leading
 * blocks are zero. */
#define OFS_EMPTY_PROBE_BLOCKS 256u

struct ofs_sb_info {
    struct diskfs_sb df;             /* first: the glue's part */
    struct ofs_fs *fs;
    struct super_block *sb;
    struct list_head mounted;        /* in ofs_mounted while mounted */
    int64_t last_commit;             /* seconds (fs_now) */
};

static LIST_HEAD(ofs_mounted);
static struct mutex ofs_mounted_mutex;    /* ofs_init */
static void start_flusher(void);

static struct ofs_sb_info *OFS_SB(struct super_block *sb) { return sb->fs_info; }
static struct ofs_fs *FS(struct super_block *sb) { return OFS_SB(sb)->fs; }
static struct ofs_inode *OFSI(struct inode *inode) { return diskfs_core(inode); }

static int uerr(int err)
{
    return err == -EUCLEAN ? -EIO : err;
}

/* ---- Block I/O over the buffer cache (ctx: the super_block) ---- */

static int bio_read(void *ctx, uint64_t blk, void *buf)
{
    struct super_block *sb = ctx;
    struct buffer_head *bh = bread(sb->bdev, blk, OFS_BLOCK_SIZE);
    if (!bh)
        return -EIO;
    memcpy(buf, bh->data, OFS_BLOCK_SIZE);
    brelse(bh);
    return 0;
}

static int bio_write(void *ctx, uint64_t blk, const void *buf)
{
    struct super_block *sb = ctx;
    if (sb->bdev->read_only)
        return -EROFS;
    struct buffer_head *bh = getblk(sb->bdev, blk, OFS_BLOCK_SIZE);
    if (!bh)
        return -EIO;
    memcpy(bh->data, buf, OFS_BLOCK_SIZE);
    set_buffer_uptodate(bh);
    mark_buffer_dirty(bh);
    brelse(bh);
    return 0;
}

/* File data around the buffer cache (fs/diskfs_data.c). */
static int bio_read_data(void *ctx, uint64_t blk, void *buf)
{
    return diskfs_read_data(ctx, blk, 1, buf);
}

static int bio_write_data(void *ctx, uint64_t blk, const void *buf)
{
    return diskfs_write_data(ctx, blk, 1, buf);
}

/* Write back everything the cache holds for the disk, then FLUSH (sync_dev does both). */
static int bio_flush(void *ctx)
{
    struct super_block *sb = ctx;
    return sync_dev(sb->bdev);
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

/* Lock held. Commit if the last commit is old (bounds what a crash can lose without an
 * fsync). */
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
    struct ofs_inode *m = OFSI(inode);
    inode->mode = m->d.mode;
    inode->uid = m->d.uid;
    inode->gid = m->d.gid;
    inode->nlink = m->d.nlink;
    inode->size = (loff_t)m->d.size;
    inode->blocks = m->d.blocks * (OFS_BLOCK_SIZE / 512);
    ts_to_vfs(&inode->atime, &m->d.atime);
    ts_to_vfs(&inode->mtime, &m->d.mtime);
    ts_to_vfs(&inode->ctime, &m->d.ctime);
    bool dev = S_ISCHR(m->d.mode) || S_ISBLK(m->d.mode);
    inode->rdev = dev ? dev_from_user(m->d.rdev) : 0;
}

static bool ts_differ(const struct ofs_timespec *o, const struct kernel_timespec *k)
{
    return o->sec != k->tv_sec || (int64_t)o->nsec != k->tv_nsec;
}

/* VFS -> core: write attribute changes the VFS made on its own. */
static int from_vfs(struct inode *inode)
{
    struct ofs_fs *fs = FS(inode->sb);
    struct ofs_inode *m = OFSI(inode);
    if ((m->d.mode & 07777) == (inode->mode & 07777) && m->d.uid == inode->uid &&
        m->d.gid == inode->gid && !ts_differ(&m->d.atime, &inode->atime) &&
        !ts_differ(&m->d.mtime, &inode->mtime) && !ts_differ(&m->d.ctime, &inode->ctime))
        return 0;
    if (fs->readonly)
        return 0;
    struct ofs_setattr sa = {
        .mask = OFS_SET_MODE | OFS_SET_UID | OFS_SET_GID | OFS_SET_ATIME | OFS_SET_MTIME |
                OFS_SET_CTIME,
        .mode = inode->mode & 07777, .uid = inode->uid, .gid = inode->gid,
    };
    ts_from_vfs(&sa.atime, &inode->atime);
    ts_from_vfs(&sa.mtime, &inode->mtime);
    ts_from_vfs(&sa.ctime, &inode->ctime);
    int err = ofs_setattr(fs, m, &sa);
    to_vfs(inode);
    return err;
}

/* Re-read the core's copy (after an operation changed the inode behind our back). */
static void reload(struct inode *inode)
{
    struct ofs_inode cur;
    if (ofs_iget(FS(inode->sb), OFSI(inode)->ino, &cur) == 0)
        *OFSI(inode) = cur;
}

static int ofs_read_inode(struct super_block *sb, ino_t ino, void *core)
{
    int err = ofs_iget(FS(sb), ino, core);
    return err == -ENOENT ? -EIO : uerr(err);   /* an entry naming no inode: corrupt */
}

static ino_t ofs_core_ino(const void *core)
{
    return ((const struct ofs_inode *)core)->ino;
}

static void ofs_evict_inode(struct inode *inode)
{
    struct ofs_fs *fs = FS(inode->sb);
    struct ofs_inode cur;
    if (fs->readonly || ofs_iget(fs, OFSI(inode)->ino, &cur) != 0)
        return;
    if (cur.d.nlink == 0)
        ofs_evict(fs, cur.ino);      /* the last user of an unlinked inode */
    else
        from_vfs(inode);
}

static int ofs_writable(struct super_block *sb)
{
    struct ofs_sb_info *sbi = OFS_SB(sb);
    if (sbi->fs->readonly || (sb->flags & MS_RDONLY))
        return -EROFS;
    maybe_commit(sbi);
    return sbi->fs->readonly ? -EROFS : 0;
}

/* ---- Namespace ---- */

static int ofs_vfs_lookup(struct inode *dir, const char *name, size_t len, ino_t *ino)
{
    return uerr(ofs_lookup(FS(dir->sb), OFSI(dir), name, len, ino));
}

static int ofs_vfs_create(struct inode *dir, const char *name, size_t len,
                          const struct diskfs_new *a, void *core)
{
    struct ofs_fs *fs = FS(dir->sb);
    struct ofs_attrs oa = { .mode = a->mode, .uid = a->uid, .gid = a->gid,
                            .rdev = dev_to_user(a->rdev) };
    int err;
    if (a->target)
        err = ofs_symlink(fs, OFSI(dir), name, len, a->target, strlen(a->target), &oa, core);
    else if (S_ISDIR(a->mode))
        err = ofs_mkdir(fs, OFSI(dir), name, len, &oa, core);
    else
        err = ofs_create(fs, OFSI(dir), name, len, &oa, core);
    return uerr(err);
}

static int ofs_vfs_link(struct inode *dir, const char *name, size_t len, struct inode *inode)
{
    return uerr(ofs_link(FS(dir->sb), OFSI(dir), name, len, OFSI(inode)));
}

static int ofs_vfs_unlink(struct inode *dir, const char *name, size_t len, struct inode *inode,
                          bool isdir)
{
    int err = (isdir ? ofs_rmdir : ofs_unlink)(FS(dir->sb), OFSI(dir), name, len, OFSI(inode));
    reload(inode);
    return uerr(err);
}

static int ofs_vfs_rename(struct inode *odir, const struct dentry *od, struct inode *ndir,
                          const struct dentry *nd)
{
    uint64_t gone;
    int err = ofs_rename(FS(odir->sb), OFSI(odir), od->name, od->name_len, OFSI(ndir),
                         nd->name, nd->name_len, &gone);
    /* A victim without links is evicted when its last user goes (it is an orphan in the
     * meantime, so a crash frees it at the next mount). */
    reload(od->inode);
    reload(odir);
    reload(ndir);
    if (nd->inode)
        reload(nd->inode);
    return uerr(err);
}

static int ofs_vfs_readlink(struct inode *inode, char *buf, size_t size)
{
    return uerr(ofs_readlink(FS(inode->sb), OFSI(inode), buf, size));
}

static int ofs_vfs_setsize(struct inode *inode, uint64_t size)
{
    struct ofs_setattr sa = { .mask = OFS_SET_SIZE, .size = size };
    return uerr(ofs_setattr(FS(inode->sb), OFSI(inode), &sa));
}

/* ---- Data ---- */

static ssize_t ofs_vfs_read(struct inode *inode, uint64_t pos, void *buf, size_t len)
{
    ssize_t n = ofs_read(FS(inode->sb), OFSI(inode), pos, buf, len);
    return n < 0 ? uerr((int)n) : n;
}

static ssize_t ofs_vfs_write(struct inode *inode, uint64_t pos, const void *buf, size_t len)
{
    ssize_t n = ofs_write(FS(inode->sb), OFSI(inode), pos, buf, len);
    return n < 0 ? uerr((int)n) : n;
}

static ssize_t ofs_vfs_map_blocks(struct inode *inode, uint64_t lblk, size_t n, uint64_t *pblk)
{
    size_t i = 0;
    while (i < n) {
        uint64_t p, run;
        int r = ofs_bmap(FS(inode->sb), OFSI(inode)->ino, lblk + i, &p, &run);
        if (r < 0)
            return i ? (ssize_t)i : uerr(r);
        for (uint64_t k = 0; k < run && i < n; k++, i++)
            pblk[i] = p ? p + k : 0;
    }
    return (ssize_t)n;
}

/* Every data block is checked against its CRC-32C, as ofs_read does. */
static ssize_t ofs_vfs_check_data(struct inode *inode, uint64_t lblk, size_t n, const void *buf)
{
    ssize_t r = ofs_check_data(FS(inode->sb), OFSI(inode)->ino, lblk, n, buf);
    return r < 0 ? uerr((int)r) : r;
}

/* The core emits "." and ".." (positions 0 and 1) and then entries in hash order. */
static int ofs_vfs_readdir(struct inode *dir, uint64_t *pos, struct dir_context *ctx)
{
    return uerr(ofs_readdir(FS(dir->sb), OFSI(dir), pos, diskfs_emit, ctx));
}

/* ---- Superblock ---- */

/* sync, syncfs, fsync and fdatasync: commit everything (docs/ofs.md: what fsync
 * guarantees), the attribute changes the VFS made on its own included. */
static int ofs_sync_fs(struct super_block *sb)
{
    struct ofs_sb_info *sbi = OFS_SB(sb);
    if (sbi->fs->errors)
        return -EIO;
    if (sbi->fs->readonly)
        return 0;
    diskfs_write_inodes(sb);
    return commit(sbi);
}

static int ofs_vfs_fsync(struct inode *inode)
{
    return ofs_sync_fs(inode->sb);
}

static void ofs_vfs_statfs(struct super_block *sb, struct kstatfs *st)
{
    struct ofs_statfs s;
    ofs_statfs(FS(sb), &s);
    *st = (struct kstatfs){
        .bsize = s.bsize, .frsize = s.bsize, .namelen = s.namelen, .blocks = s.blocks,
        .bfree = s.bfree, .bavail = s.bavail, .files = s.files, .ffree = s.ffree,
    };
}

static int ofs_vfs_remount(struct super_block *sb, unsigned long flags)
{
    struct ofs_sb_info *sbi = OFS_SB(sb);
    int err = 0;
    if (flags & MS_RDONLY) {
        if (!sbi->fs->readonly) {
            diskfs_write_inodes(sb);
            err = commit(sbi);
            if (!err)
                sbi->fs->readonly = true;
        }
    } else if (sbi->fs->errors) {
        pr_err("ofs: %s: errors were found: staying read-only (run fsck.ofs)\n", sb->bdev->name);
        err = -EROFS;
    } else if (sb->bdev->read_only || sb->bdev->disk->read_only) {
        err = -EACCES;
    } else {
        sbi->fs->readonly = false;
        start_flusher();
    }
    return err;
}

static int ofs_vfs_unmount(struct super_block *sb)
{
    return ofs_unmount(FS(sb));
}

/* Leave the flusher's list before the filesystem goes (without its lock: the flusher takes
 * it inside ofs_mounted_mutex). */
static void ofs_before_unmount(struct super_block *sb)
{
    mutex_lock(&ofs_mounted_mutex);
    list_del(&OFS_SB(sb)->mounted);
    mutex_unlock(&ofs_mounted_mutex);
}

static const struct diskfs_operations ofs_diskfs_ops = {
    .core_inode_size = sizeof(struct ofs_inode),
    .io_chunk = OFS_IO_CHUNK,
    .read_inode = ofs_read_inode,
    .core_ino = ofs_core_ino,
    .to_vfs = to_vfs,
    .write_attrs = from_vfs,
    .evict_inode = ofs_evict_inode,
    .writable = ofs_writable,
    .lookup = ofs_vfs_lookup,
    .create = ofs_vfs_create,
    .link = ofs_vfs_link,
    .unlink = ofs_vfs_unlink,
    .rename = ofs_vfs_rename,
    .readlink = ofs_vfs_readlink,
    .setsize = ofs_vfs_setsize,
    .read = ofs_vfs_read,
    .write = ofs_vfs_write,
    .map_blocks = ofs_vfs_map_blocks,
    .check_data = ofs_vfs_check_data,
    .readdir = ofs_vfs_readdir,
    .fsync = ofs_vfs_fsync,
    .statfs = ofs_vfs_statfs,
    .sync_fs = ofs_sync_fs,
    .remount = ofs_vfs_remount,
    .before_unmount = ofs_before_unmount,
    .unmount = ofs_vfs_unmount,
};

/* True if the first OFS_EMPTY_PROBE_BLOCKS blocks (or the whole device) read as zeros: a
 * partition that was never formatted (the image ships the data partition zeroed). A damaged
 * OFS is never mistaken for one: its early commits live in its first blocks. */
static bool device_empty(struct block_device *bdev, uint64_t nblocks)
{
    uint8_t *buf = kmalloc(OFS_BLOCK_SIZE);
    if (!buf)
        return false;
    bool empty = true;
    for (uint64_t b = 0; b < MIN(nblocks, (uint64_t)OFS_EMPTY_PROBE_BLOCKS) && empty; b++) {
        if (blkdev_read(bdev, b * (OFS_BLOCK_SIZE / SECTOR_SIZE), buf, OFS_BLOCK_SIZE) < 0) {
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

static int ofs_fill_super(struct super_block *sb, const void *data)
{
    (void)data;
    struct ofs_sb_info *sbi = OFS_SB(sb);
    struct block_device *bdev = sb->bdev;
    if (bdev->logical_block_size > OFS_BLOCK_SIZE)
        return -EINVAL;
    diskfs_init(sb, &ofs_diskfs_ops);
    sbi->df.data_bsize = OFS_BLOCK_SIZE;
    sbi->sb = sb;
    bool rdonly = (sb->flags & MS_RDONLY) != 0;
    struct ofs_io io = {
        .ctx = sb, .read = bio_read, .write = bio_write, .flush = bio_flush,
        .read_data = bio_read_data, .write_data = bio_write_data,
        .nblocks = (bdev->nr_sectors << SECTOR_SHIFT) / OFS_BLOCK_SIZE, .now = bio_now,
    };
    int err = ofs_mount(&io, rdonly ? OFS_MOUNT_RDONLY : 0, &sbi->fs);
    if (err == -EUCLEAN && !rdonly && may_format(bdev) && device_empty(bdev, io.nblocks)) {
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
        return uerr(err);
    }
    sbi->last_commit = now_sec();
    sb->flags = sbi->fs->readonly ? MS_RDONLY : 0;
    err = diskfs_set_root(sb, OFS_SUPER_MAGIC, OFS_ROOT_INO);
    if (err) {
        pr_err("ofs: %s: cannot set up the root directory\n", bdev->name);
        ofs_unmount(sbi->fs);
        return uerr(err);
    }
    mutex_lock(&ofs_mounted_mutex);
    list_add_tail(&sbi->mounted, &ofs_mounted);
    mutex_unlock(&ofs_mounted_mutex);
    if (!sbi->fs->readonly)
        start_flusher();
    pr_info("ofs: mounted %s (%s, commit %llu, %llu/%llu blocks free)\n", bdev->name,
            sbi->fs->readonly ? "ro" : "rw", (unsigned long long)sbi->fs->sb.seq,
            (unsigned long long)sbi->fs->free_work, (unsigned long long)sbi->fs->sb.total_blocks);
    return 0;
}

static struct file_system_type ofs_type = {
    .name = "ofs",
    .fill_super = ofs_fill_super,
    .fs_info_size = sizeof(struct ofs_sb_info),
};

/* ---- Background commits ---- */

/* Commit every mounted filesystem whose transaction is not empty, including attribute
 * changes the VFS made on its own (chmod, utimens...): the same commit as sync(2). */
static void flush_all(void)
{
    mutex_lock(&ofs_mounted_mutex);
    struct ofs_sb_info *sbi;
    list_for_each_entry(sbi, &ofs_mounted, mounted) {
        diskfs_lock(sbi->sb);
        if (sbi->fs && !sbi->fs->readonly && !(sbi->sb->flags & MS_RDONLY)) {
            diskfs_write_inodes(sbi->sb);
            if (sbi->fs->dirty)
                commit(sbi);       /* a failure is logged and makes the fs read-only */
        }
        diskfs_unlock(sbi->sb);
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

/* Called once at boot after vfs_init() (main.c, next to ext2_init()). */
void ofs_init(void)
{
    mutex_init(&ofs_mounted_mutex);
    register_filesystem(&ofs_type);
}
