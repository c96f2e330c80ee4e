/* stat, fstat, newfstatat, statfs, fstatfs: the riscv64 (asm-generic) layouts. */
#include "vfs.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"

struct linux_stat {            /* asm-generic/stat.h, 128 bytes */
    uint64_t st_dev;
    uint64_t st_ino;
    uint32_t st_mode;
    uint32_t st_nlink;
    uint32_t st_uid;
    uint32_t st_gid;
    uint64_t st_rdev;
    uint64_t __pad1;
    int64_t st_size;
    int32_t st_blksize;
    int32_t __pad2;
    int64_t st_blocks;
    int64_t st_atime;
    uint64_t st_atime_nsec;
    int64_t st_mtime;
    uint64_t st_mtime_nsec;
    int64_t st_ctime;
    uint64_t st_ctime_nsec;
    uint32_t __unused4;
    uint32_t __unused5;
};
_Static_assert(sizeof(struct linux_stat) == 128, "struct stat layout");

struct linux_statfs {          /* asm-generic/statfs.h, 64-bit: 120 bytes */
    int64_t f_type;
    int64_t f_bsize;
    uint64_t f_blocks;
    uint64_t f_bfree;
    uint64_t f_bavail;
    uint64_t f_files;
    uint64_t f_ffree;
    int32_t f_fsid[2];
    int64_t f_namelen;
    int64_t f_frsize;
    int64_t f_flags;
    int64_t f_spare[4];
};
_Static_assert(sizeof(struct linux_statfs) == 120, "struct statfs layout");

static int put_stat(struct inode *inode, uaddr_t ubuf)
{
    struct linux_stat st;
    memset(&st, 0, sizeof(st));
    st.st_dev = dev_to_user(inode->sb ? inode->sb->dev : 0);
    st.st_ino = inode->ino;
    st.st_mode = inode->mode;
    st.st_nlink = inode->nlink;
    st.st_uid = inode->uid;
    st.st_gid = inode->gid;
    st.st_rdev = dev_to_user(inode->rdev);
    st.st_size = inode->size;
    st.st_blksize = PAGE_SIZE;
    st.st_blocks = (int64_t)inode->blocks;
    st.st_atime = inode->atime.tv_sec;
    st.st_atime_nsec = (uint64_t)inode->atime.tv_nsec;
    st.st_mtime = inode->mtime.tv_sec;
    st.st_mtime_nsec = (uint64_t)inode->mtime.tv_nsec;
    st.st_ctime = inode->ctime.tv_sec;
    st.st_ctime_nsec = (uint64_t)inode->ctime.tv_nsec;
    return copy_to_user(ubuf, &st, sizeof(st)) < 0 ? -EFAULT : 0;
}

#define AT_NO_AUTOMOUNT 0x800
#define AT_STATX_SYNC_TYPE 0x6000

long sys_newfstatat(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a4; (void)a5;
    int flags = (int)a3;
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
        return -EINVAL;
    unsigned lf = ((flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW) |
                  ((flags & AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0);
    struct path p;
    int err = user_path_at((int)a0, (uaddr_t)a1, lf, &p);
    if (err)
        return err;
    err = put_stat(p.dentry->inode, (uaddr_t)a2);
    path_put(&p);
    return err;
}

long sys_fstat(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a2; (void)a3; (void)a4; (void)a5;
    struct file *f = fget_raw((int)a0);
    if (!f)
        return -EBADF;
    int err = put_stat(f->inode, (uaddr_t)a1);
    file_put(f);
    return err;
}

/* statx(2): struct statx of include/uapi/linux/stat.h (256 bytes). Every basic field is
 * always available here, so the mask returned is STATX_BASIC_STATS whatever was asked. */
struct linux_statx_timestamp {
    int64_t tv_sec;
    uint32_t tv_nsec;
    int32_t __reserved;
};

struct linux_statx {
    uint32_t stx_mask;
    uint32_t stx_blksize;
    uint64_t stx_attributes;
    uint32_t stx_nlink;
    uint32_t stx_uid;
    uint32_t stx_gid;
    uint16_t stx_mode;
    uint16_t __spare0;
    uint64_t stx_ino;
    uint64_t stx_size;
    uint64_t stx_blocks;
    uint64_t stx_attributes_mask;
    struct linux_statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
    uint32_t stx_rdev_major;
    uint32_t stx_rdev_minor;
    uint32_t stx_dev_major;
    uint32_t stx_dev_minor;
    uint64_t __spare2[14];
};
_Static_assert(sizeof(struct linux_statx) == 256, "struct statx layout");

#define STATX_BASIC_STATS 0x7ffu
#define STATX__RESERVED 0x80000000u

static struct linux_statx_timestamp statx_time(struct kernel_timespec t)
{
    return (struct linux_statx_timestamp){ .tv_sec = t.tv_sec, .tv_nsec = (uint32_t)t.tv_nsec };
}

long sys_statx(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a5;
    int flags = (int)a2;
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
        return -EINVAL;
    if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE || ((unsigned)a3 & STATX__RESERVED))
        return -EINVAL;
    unsigned lf = ((flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW) |
                  ((flags & AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0);
    struct path p;
    int err = user_path_at((int)a0, (uaddr_t)a1, lf, &p);
    if (err)
        return err;
    struct inode *inode = p.dentry->inode;
    struct linux_statx st;
    memset(&st, 0, sizeof(st));
    dev_t dev = inode->sb ? inode->sb->dev : 0;
    st.stx_mask = STATX_BASIC_STATS;
    st.stx_blksize = PAGE_SIZE;
    st.stx_nlink = inode->nlink;
    st.stx_uid = inode->uid;
    st.stx_gid = inode->gid;
    st.stx_mode = (uint16_t)inode->mode;
    st.stx_ino = inode->ino;
    st.stx_size = (uint64_t)inode->size;
    st.stx_blocks = inode->blocks;
    st.stx_atime = statx_time(inode->atime);
    st.stx_mtime = statx_time(inode->mtime);
    st.stx_ctime = statx_time(inode->ctime);
    st.stx_rdev_major = MAJOR(inode->rdev);
    st.stx_rdev_minor = MINOR(inode->rdev);
    st.stx_dev_major = MAJOR(dev);
    st.stx_dev_minor = MINOR(dev);
    path_put(&p);
    return copy_to_user((uaddr_t)a4, &st, sizeof(st)) < 0 ? -EFAULT : 0;
}

static unsigned long statfs_flags(struct mount *m)
{
    /* ST_* flags share the MS_* values for these. */
    unsigned long fl = 0x0020;  /* ST_VALID */
    if (m) {
        fl |= m->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS |
                          MS_MANDLOCK | MS_NOATIME | MS_NODIRATIME | MS_RELATIME);
        if (m->sb->flags & MS_RDONLY)
            fl |= MS_RDONLY;
    }
    return fl;
}

static int put_statfs(struct inode *inode, struct mount *m, uaddr_t ubuf)
{
    struct kstatfs k;
    memset(&k, 0, sizeof(k));
    struct super_block *sb = inode->sb;
    k.bsize = PAGE_SIZE;
    k.frsize = PAGE_SIZE;
    k.namelen = NAME_MAX;
    if (sb) {
        k.type = (long)sb->magic;
        if (sb->sops && sb->sops->statfs)
            sb->sops->statfs(sb, &k);
    }
    struct linux_statfs st;
    memset(&st, 0, sizeof(st));
    st.f_type = k.type;
    st.f_bsize = k.bsize;
    st.f_blocks = k.blocks;
    st.f_bfree = k.bfree;
    st.f_bavail = k.bavail;
    st.f_files = k.files;
    st.f_ffree = k.ffree;
    if (sb) {
        uint64_t dev = dev_to_user(sb->dev);
        st.f_fsid[0] = (int32_t)(uint32_t)dev;
        st.f_fsid[1] = (int32_t)(uint32_t)(dev >> 32);
    }
    st.f_namelen = k.namelen;
    st.f_frsize = k.frsize ? k.frsize : k.bsize;
    st.f_flags = (int64_t)statfs_flags(m);
    return copy_to_user(ubuf, &st, sizeof(st)) < 0 ? -EFAULT : 0;
}

long sys_statfs(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a2; (void)a3; (void)a4; (void)a5;
    struct path p;
    int err = user_path_at(AT_FDCWD, (uaddr_t)a0, LOOKUP_FOLLOW, &p);
    if (err)
        return err;
    err = put_statfs(p.dentry->inode, p.mnt, (uaddr_t)a1);
    path_put(&p);
    return err;
}

long sys_fstatfs(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a2; (void)a3; (void)a4; (void)a5;
    struct file *f = fget_raw((int)a0);
    if (!f)
        return -EBADF;
    int err = put_statfs(f->inode, f->mnt, (uaddr_t)a1);
    file_put(f);
    return err;
}
