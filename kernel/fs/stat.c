/* stat, fstat, newfstatat, statfs, fstatfs: the riscv64 (asm-generic) layouts. */
#include "fs.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"
#include "syscall.h"
#include "uapi/statfs.h"

_Static_assert(sizeof(struct stat) == 128, "struct stat layout");
_Static_assert(sizeof(struct statfs) == 120, "struct statfs layout");
_Static_assert(sizeof(struct statx) == 256, "struct statx layout");

static int put_stat(struct inode *inode, uaddr_t ubuf)
{
    struct stat st;
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

SYSCALL_DEFINE4(newfstatat, int, dfd, uaddr_t, filename, uaddr_t, statbuf, int, flag)
{
    if (flag & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
        return -EINVAL;
    unsigned lf = ((flag & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW) |
                  ((flag & AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0);
    struct path p;
    int err = user_path_at(dfd, filename, lf, &p);
    if (err)
        return err;
    err = put_stat(p.dentry->inode, statbuf);
    path_put(&p);
    return err;
}

SYSCALL_DEFINE2(fstat, int, fd, uaddr_t, statbuf)
{
    struct file *f = fget_raw(fd);
    if (!f)
        return -EBADF;
    int err = put_stat(f->inode, statbuf);
    file_put(f);
    return err;
}

/* statx(2): every basic field is always available here, so the mask returned is
 * STATX_BASIC_STATS whatever was asked. */
static struct statx_timestamp statx_time(struct kernel_timespec t)
{
    return (struct statx_timestamp){ .tv_sec = t.tv_sec, .tv_nsec = (uint32_t)t.tv_nsec };
}

SYSCALL_DEFINE5(statx, int, dfd, uaddr_t, filename, int, flags, unsigned, mask, uaddr_t, buffer)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
        return -EINVAL;
    if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE || (mask & STATX__RESERVED))
        return -EINVAL;
    unsigned lf = ((flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW) |
                  ((flags & AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0);
    struct path p;
    int err = user_path_at(dfd, filename, lf, &p);
    if (err)
        return err;
    struct inode *inode = p.dentry->inode;
    struct statx st;
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
    return copy_to_user(buffer, &st, sizeof(st)) < 0 ? -EFAULT : 0;
}

static unsigned long statfs_flags(struct mount *m)
{
    /* Mount flags to ST_* (Linux's flags_by_mnt): most share the MS_* values, but not
     * relatime (MS_RELATIME is bit 21, ST_RELATIME 0x1000). */
    static const struct { unsigned long ms, st; } map[] = {
        { MS_RDONLY, ST_RDONLY },         { MS_NOSUID, ST_NOSUID },
        { MS_NODEV, ST_NODEV },           { MS_NOEXEC, ST_NOEXEC },
        { MS_SYNCHRONOUS, ST_SYNCHRONOUS }, { MS_MANDLOCK, ST_MANDLOCK },
        { MS_NOATIME, ST_NOATIME },       { MS_NODIRATIME, ST_NODIRATIME },
        { MS_RELATIME, ST_RELATIME },
    };
    unsigned long fl = ST_VALID;
    if (m) {
        unsigned long ms = m->flags | (m->sb->flags & MS_RDONLY);
        for (size_t i = 0; i < ARRAY_SIZE(map); i++)
            if (ms & map[i].ms)
                fl |= map[i].st;
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
    struct statfs st;
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

SYSCALL_DEFINE2(statfs, uaddr_t, pathname, uaddr_t, buf)
{
    struct path p;
    int err = user_path_at(AT_FDCWD, pathname, LOOKUP_FOLLOW, &p);
    if (err)
        return err;
    err = put_statfs(p.dentry->inode, p.mnt, buf);
    path_put(&p);
    return err;
}

SYSCALL_DEFINE2(fstatfs, int, fd, uaddr_t, buf)
{
    struct file *f = fget_raw(fd);
    if (!f)
        return -EBADF;
    int err = put_statfs(f->inode, f->mnt, buf);
    file_put(f);
    return err;
}
