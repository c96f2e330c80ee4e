/* vfat VFS glue: the "vfat" filesystem type, the core (fat_*.c) adapted to the read-only disk
 * filesystem glue of fs/diskfs_ro.c, which reads the device through the buffer cache in
 * 512-byte blocks.
 *
 * Read-only for now: a read-write mount is refused with EROFS (BusyBox's mount then retries
 * read-only), and so is remounting read-write. Writing is a later step of issue #16. */
#include "fs.h"
#include "fat.h"
#include "kprintf.h"

static struct fat_fs *FS(struct super_block *sb) { return diskfs_ro_core(sb); }
static struct fat_inode *FATI(struct inode *inode) { return diskfs_core(inode); }

static void fat_to_vfs(struct inode *inode)
{
    struct fat_inode *m = FATI(inode);
    inode->mode = m->mode;
    inode->uid = m->uid;
    inode->gid = m->gid;
    inode->nlink = m->nlink;
    inode->size = (loff_t)m->size;
    inode->blocks = (m->size + 511) / 512;
    inode->atime = timespec_from_sec(m->atime);
    inode->mtime = timespec_from_sec(m->mtime);
    inode->ctime = timespec_from_sec(m->ctime);
    inode->rdev = 0;
}

static int fat_read_inode(struct super_block *sb, ino_t ino, void *core)
{
    return fat_iget(FS(sb), ino, core);
}

static ino_t fat_core_ino(const void *core)
{
    return ((const struct fat_inode *)core)->ino;
}

static int fat_vfs_lookup(struct inode *dir, const char *name, size_t len, ino_t *ino)
{
    uint64_t nr;
    int err = fat_lookup(FS(dir->sb), FATI(dir), name, len, &nr);
    *ino = nr;
    return err;
}

static int fat_vfs_readlink(struct inode *inode, char *buf, size_t size)
{
    (void)inode, (void)buf, (void)size;
    return -EINVAL;                   /* FAT has no symlinks */
}

static ssize_t fat_vfs_read(struct inode *inode, uint64_t pos, void *buf, size_t len)
{
    return fat_read(FS(inode->sb), FATI(inode), pos, buf, len);
}

static int fat_vfs_readdir(struct inode *dir, uint64_t *pos, struct dir_context *ctx)
{
    return fat_readdir(FS(dir->sb), FATI(dir), pos, diskfs_emit, ctx);
}

static void fat_vfs_statfs(struct super_block *sb, struct kstatfs *st)
{
    struct fat_fs *fs = FS(sb);
    st->bsize = st->frsize = fs->cluster_size;
    st->blocks = fs->nclusters;
    st->bfree = st->bavail = 0;       /* not counted while read-only */
    st->files = st->ffree = 0;
    st->namelen = FAT_NAME_MAX;
}

static const struct diskfs_operations fat_diskfs_ops = {
    .core_inode_size = sizeof(struct fat_inode),
    .io_chunk = 4096,
    .read_inode = fat_read_inode,
    .core_ino = fat_core_ino,
    .to_vfs = fat_to_vfs,
    .write_attrs = diskfs_ro_write_attrs,
    .evict_inode = diskfs_ro_evict_inode,
    .writable = diskfs_ro_writable,
    .lookup = fat_vfs_lookup,
    .readlink = fat_vfs_readlink,
    .read = fat_vfs_read,
    .readdir = fat_vfs_readdir,
    .fsync = diskfs_ro_fsync,
    .statfs = fat_vfs_statfs,
    .sync_fs = diskfs_ro_sync_fs,
    .remount = diskfs_ro_remount,
    .unmount = diskfs_ro_unmount,
};

static int fat_ro_mount(const struct byte_io *io, const char *data, void **core)
{
    struct fat_options opt;
    if (fat_parse_options(data, &opt))
        return -EINVAL;
    struct fat_fs *fs;
    int err = fat_mount(io, &opt, &fs);
    if (!err)
        *core = fs;
    return err;
}

static void fat_ro_unmount(void *core)
{
    fat_unmount(core);
}

static ino_t fat_root_ino(const void *core)
{
    (void)core;
    return FAT_ROOT_INO;
}

static void fat_describe(const void *core, char *buf, size_t size)
{
    const struct fat_fs *fs = core;
    ksnprintf(buf, size, "FAT%u, \"%s\", read-only", fs->bits, fs->label);
}

static const struct diskfs_ro_type fat_ro_type = {
    .log_name = "vfat",
    .io_block = 512,
    .magic = MSDOS_SUPER_MAGIC,
    .ops = &fat_diskfs_ops,
    .mount = fat_ro_mount,
    .unmount = fat_ro_unmount,
    .root_ino = fat_root_ino,
    .describe = fat_describe,
};

static int fat_fill_super(struct super_block *sb, const void *data)
{
    return diskfs_ro_fill_super(sb, data, &fat_ro_type);
}

static struct file_system_type fat_type = {
    .name = "vfat",
    .fill_super = fat_fill_super,
    .fs_info_size = sizeof(struct diskfs_ro_sb),
};

/* Called once at boot after vfs_init() (main.c, next to ext2_init()). */
void vfat_init(void)
{
    register_filesystem(&fat_type);
}
