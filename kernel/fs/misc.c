/* ioctl dispatch, the sync family, memfd_create. */
#include "fs.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"
#include "syscall.h"
#include "uapi/ioctls.h"
#include "uapi/memfd.h"

SYSCALL_DEFINE3(ioctl, int, fd, unsigned, cmd, unsigned long, arg)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    long ret;
    switch (cmd) {
    case FIOCLEX:
        fd_set_cloexec(fd, true);
        ret = 0;
        break;
    case FIONCLEX:
        fd_set_cloexec(fd, false);
        ret = 0;
        break;
    case FIONBIO: {
        uint32_t on;
        if (get_user_u32(&on, arg) < 0) {
            ret = -EFAULT;
            break;
        }
        spin_lock(&f->lock);
        if (on)
            f->flags |= O_NONBLOCK;
        else
            f->flags &= ~(unsigned)O_NONBLOCK;
        spin_unlock(&f->lock);
        /* Let the driver know too (sockets keep their own copy), ignoring -ENOTTY. */
        if (f->ops->ioctl)
            f->ops->ioctl(f, cmd, arg);
        ret = 0;
        break;
    }
    case FIOASYNC:
        ret = 0;
        break;
    case FIONREAD:
        if (S_ISREG(f->inode->mode)) {
            loff_t left = f->inode->size - f->pos;
            ret = put_user_u32(left > 0 ? (uint32_t)MIN(left, (loff_t)INT32_MAX) : 0, arg) < 0
                      ? -EFAULT : 0;
            break;
        }
        /* fallthrough */
    default:
        ret = f->ops->ioctl ? f->ops->ioctl(f, cmd, arg) : -ENOTTY;
        break;
    }
    file_put(f);
    return ret;
}

SYSCALL_DEFINE0(sync)
{
    vfs_sync_all();     /* sync(2) cannot fail, as in Linux */
    return 0;
}

SYSCALL_DEFINE1(syncfs, int, fd)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    struct super_block *sb = f->inode ? f->inode->sb : NULL;
    long err = 0;
    if (sb && sb->sops && sb->sops->sync_fs)
        err = sb->sops->sync_fs(sb);
    file_put(f);
    return err;
}

static long do_fsync(int fd)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    long ret = f->ops->fsync ? f->ops->fsync(f) : -EINVAL;
    file_put(f);
    return ret;
}

SYSCALL_DEFINE1(fsync, int, fd)
{
    return do_fsync(fd);
}

SYSCALL_DEFINE1(fdatasync, int, fd)
{
    return do_fsync(fd);
}

SYSCALL_DEFINE2(memfd_create, uaddr_t, uname, unsigned, flags)
{
    if (flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING))
        return -EINVAL;
    char name[250];
    long n = strncpy_from_user(name, uname, sizeof(name));
    if (n < 0)
        return n == -ENAMETOOLONG ? -EINVAL : n;
    struct file *f = tmpfs_anon_file(name, O_RDWR | O_LARGEFILE);
    if (!f)
        return -ENOMEM;
    int fd = fd_install_new(f, (flags & MFD_CLOEXEC) ? O_CLOEXEC : 0);
    if (fd < 0)
        file_put(f);
    return fd;
}
