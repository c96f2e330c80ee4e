/* iso9660 VFS glue: the "iso9660" filesystem type, the core (isofs_*.c) adapted to the
 * read-only disk filesystem glue of fs/diskfs_ro.c, which reads the device through the
 * buffer cache in 2048-byte blocks.
 *
 * Read-only, as in Linux: a read-write mount is refused with EROFS (BusyBox's mount then says
 * "is write-protected, mounting read-only" and retries), remounting read-write likewise. */
#include "fs.h"
#include "isofs.h"
#include "kprintf.h"

static struct iso_fs *FS(struct super_block *sb) { return diskfs_ro_core(sb); }
static struct iso_inode *ISOI(struct inode *inode) { return diskfs_core(inode); }

static void iso_to_vfs(struct inode *inode)
{
    struct iso_inode *m = ISOI(inode);
    inode->mode = m->mode;
    inode->uid = m->uid;
    inode->gid = m->gid;
    inode->nlink = m->nlink;
    inode->size = (loff_t)m->size;
    inode->blocks = (m->size + 511) / 512;
    inode->atime = timespec_from_sec(m->atime);
    inode->mtime = timespec_from_sec(m->mtime);
    inode->ctime = timespec_from_sec(m->ctime);
    inode->rdev = MKDEV(m->rdev_major, m->rdev_minor);
}

static int iso_read_inode(struct super_block *sb, ino_t ino, void *core)
{
    return iso_iget(FS(sb), ino, core);
}

static ino_t iso_core_ino(const void *core)
{
    return ((const struct iso_inode *)core)->ino;
}

static int iso_vfs_lookup(struct inode *dir, const char *name, size_t len, ino_t *ino)
{
    uint64_t nr;
    int err = iso_lookup(FS(dir->sb), ISOI(dir), name, len, &nr);
    *ino = nr;
    return err;
}

static int iso_vfs_readlink(struct inode *inode, char *buf, size_t size)
{
    return iso_readlink(FS(inode->sb), ISOI(inode), buf, size);
}

static ssize_t iso_vfs_read(struct inode *inode, uint64_t pos, void *buf, size_t len)
{
    return iso_read(FS(inode->sb), ISOI(inode), pos, buf, len);
}

static int iso_vfs_readdir(struct inode *dir, uint64_t *pos, struct dir_context *ctx)
{
    return iso_readdir(FS(dir->sb), ISOI(dir), pos, diskfs_emit, ctx);
}

static void iso_vfs_statfs(struct super_block *sb, struct kstatfs *st)
{
    struct iso_fs *fs = FS(sb);
    st->bsize = st->frsize = fs->block_size;
    st->blocks = fs->volume_blocks;
    st->bfree = st->bavail = 0;
    st->files = st->ffree = 0;
    st->namelen = ISO_NAME_MAX;
}

static const struct diskfs_operations iso_diskfs_ops = {
    .core_inode_size = sizeof(struct iso_inode),
    .io_chunk = 4096,
    .read_inode = iso_read_inode,
    .core_ino = iso_core_ino,
    .to_vfs = iso_to_vfs,
    .write_attrs = diskfs_ro_write_attrs,
    .evict_inode = diskfs_ro_evict_inode,
    .writable = diskfs_ro_writable,
    .lookup = iso_vfs_lookup,
    .readlink = iso_vfs_readlink,
    .read = iso_vfs_read,
    .readdir = iso_vfs_readdir,
    .fsync = diskfs_ro_fsync,
    .statfs = iso_vfs_statfs,
    .sync_fs = diskfs_ro_sync_fs,
    .remount = diskfs_ro_remount,
    .unmount = diskfs_ro_unmount,
};

static int iso_ro_mount(const struct byte_io *io, const char *data, void **core)
{
    struct iso_options opt;
    if (iso_parse_options(data, &opt))
        return -EINVAL;
    struct iso_fs *fs;
    int err = iso_mount(io, &opt, &fs);
    if (!err)
        *core = fs;
    return err;
}

static void iso_ro_unmount(void *core)
{
    iso_unmount(core);
}

static ino_t iso_root_ino(const void *core)
{
    return ((const struct iso_fs *)core)->root_ino;
}

static void iso_describe(const void *core, char *buf, size_t size)
{
    static const char *const names[] = { "plain names", "Joliet", "Rock Ridge" };
    const struct iso_fs *fs = core;
    ksnprintf(buf, size, "\"%s\", %s", fs->label, names[fs->names]);
}

static const struct diskfs_ro_type iso_ro_type = {
    .log_name = "isofs",
    .io_block = ISO_SECTOR,
    .magic = ISOFS_SUPER_MAGIC,
    .ops = &iso_diskfs_ops,
    .mount = iso_ro_mount,
    .unmount = iso_ro_unmount,
    .root_ino = iso_root_ino,
    .describe = iso_describe,
};

static int iso_fill_super(struct super_block *sb, const void *data)
{
    return diskfs_ro_fill_super(sb, data, &iso_ro_type);
}

static struct file_system_type iso_type = {
    .name = "iso9660",
    .fill_super = iso_fill_super,
    .fs_info_size = sizeof(struct diskfs_ro_sb),
};

/* Called once at boot after vfs_init() (main.c, next to ext2_init()). */
void isofs_init(void)
{
    register_filesystem(&iso_type);
}
