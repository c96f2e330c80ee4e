/* Changing and checking attributes: chmod, chown, utimensat, truncate, fallocate, access. */
#include "fs.h"
#include "uapi/inotify.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"
#include "syscall.h"
#include "uapi/falloc.h"

static int may_change(struct path *p)
{
    if (mnt_readonly(p->mnt))
        return -EROFS;
    return 0;
}

int vfs_copy_up(struct dentry *d)
{
    const struct super_operations *sops = d && d->sb ? d->sb->sops : NULL;
    return sops && sops->copy_up ? sops->copy_up(d) : 0;
}

/* The inode a change through the open file f applies to: on a stacking filesystem, the
 * copy its dentry names after copy-up; else the file's own. */
static int changed_inode(struct file *f, struct inode **out)
{
    *out = f->inode;
    if (!f->mnt || !f->dentry || !f->dentry->sb->sops || !f->dentry->sb->sops->copy_up ||
        mnt_readonly(f->mnt))
        return 0;
    int err = vfs_copy_up(f->dentry);
    if (!err)
        *out = f->dentry->inode;
    return err;
}

/* ---- chmod ---- */

static int chmod_path(struct path *p, mode_t mode)
{
    struct inode *inode = p->dentry->inode;
    int err = may_change(p);
    if (err)
        return err;
    if (!inode_owner_or_capable(inode))
        return -EPERM;
    if ((err = vfs_copy_up(p->dentry)))
        return err;
    inode = p->dentry->inode;
    mutex_lock(&inode->lock);
    mode &= 07777;
    /* Only members of the file's group may leave it set-group-ID. */
    if (!fs_capable() && !in_group(fs_cred(), inode->gid))
        mode &= ~(mode_t)S_ISGID;
    inode->mode = (inode->mode & S_IFMT) | mode;
    inode_touch(inode, false, true);
    mutex_unlock(&inode->lock);
    return 0;
}

SYSCALL_DEFINE3(fchmodat, int, dfd, uaddr_t, filename, mode_t, mode)
{
    struct path p;
    int err = user_path_at(dfd, filename, LOOKUP_FOLLOW, &p);
    if (err)
        return err;
    err = chmod_path(&p, mode);
    if (!err)
        fsnotify_dentry(p.dentry, IN_ATTRIB);
    path_put(&p);
    return err;
}

SYSCALL_DEFINE2(fchmod, int, fd, mode_t, mode)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    int err;
    if (f->mnt) {
        struct path p = { f->mnt, f->dentry };
        err = chmod_path(&p, mode);
        if (!err)
            fsnotify_file(f, IN_ATTRIB);
    } else {
        /* A nameless file (pipe, socket): only its mode bits. */
        err = inode_owner_or_capable(f->inode) ? 0 : -EPERM;
        if (!err)
            f->inode->mode = (f->inode->mode & S_IFMT) | (mode & 07777);
    }
    file_put(f);
    return err;
}

/* ---- chown ---- */

static int chown_inode(struct mount *mnt, struct inode *inode, uid_t uid, gid_t gid)
{
    if (mnt && mnt_readonly(mnt))
        return -EROFS;
    const struct cred *c = fs_cred();
    bool root = c->fsuid == 0;
    bool change_uid = uid != (uid_t)-1 && uid != inode->uid;
    bool change_gid = gid != (gid_t)-1 && gid != inode->gid;
    if (change_uid && !root)
        return -EPERM;
    /* The owner may give the file to a group they belong to. */
    if (change_gid && !root && !(c->fsuid == inode->uid && in_group(c, gid)))
        return -EPERM;
    if (uid != (uid_t)-1 && uid != inode->uid && !root)
        return -EPERM;
    if (!root && (uid != (uid_t)-1 || gid != (gid_t)-1) && c->fsuid != inode->uid)
        return -EPERM;
    mutex_lock(&inode->lock);
    if (uid != (uid_t)-1)
        inode->uid = uid;
    if (gid != (gid_t)-1)
        inode->gid = gid;
    /* Like Linux: a chown of a non-directory drops set-user-ID, and set-group-ID when group
     * execute is set (otherwise it marks mandatory locking). */
    if (!S_ISDIR(inode->mode) && (uid != (uid_t)-1 || gid != (gid_t)-1)) {
        inode->mode &= ~(mode_t)S_ISUID;
        if (inode->mode & 0010)
            inode->mode &= ~(mode_t)S_ISGID;
    }
    inode_touch(inode, false, true);
    mutex_unlock(&inode->lock);
    return 0;
}

SYSCALL_DEFINE5(fchownat, int, dfd, uaddr_t, filename, uid_t, user, gid_t, group, int, flag)
{
    if (flag & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    unsigned lf = ((flag & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW) |
                  ((flag & AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0);
    struct path p;
    int err = user_path_at(dfd, filename, lf, &p);
    if (err)
        return err;
    if (!mnt_readonly(p.mnt))
        err = vfs_copy_up(p.dentry);
    if (!err)
        err = chown_inode(p.mnt, p.dentry->inode, user, group);
    if (!err)
        fsnotify_dentry(p.dentry, IN_ATTRIB);
    path_put(&p);
    return err;
}

SYSCALL_DEFINE3(fchown, int, fd, uid_t, user, gid_t, group)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    struct inode *inode;
    int err = changed_inode(f, &inode);
    if (!err)
        err = chown_inode(f->mnt, inode, user, group);
    if (!err)
        fsnotify_file(f, IN_ATTRIB);
    file_put(f);
    return err;
}

/* ---- utimensat ---- */

static int set_times(struct mount *mnt, struct inode *inode, uaddr_t utimes)
{
    struct kernel_timespec ts[2];
    bool now_both = true;
    if (utimes) {
        if (copy_from_user(ts, utimes, sizeof(ts)) < 0)
            return -EFAULT;
        for (int i = 0; i < 2; i++) {
            if (ts[i].tv_nsec == UTIME_NOW || ts[i].tv_nsec == UTIME_OMIT)
                continue;
            if (ts[i].tv_nsec < 0 || ts[i].tv_nsec >= (int64_t)NSEC_PER_SEC)
                return -EINVAL;
        }
        if (ts[0].tv_nsec == UTIME_OMIT && ts[1].tv_nsec == UTIME_OMIT)
            return 0;
        now_both = ts[0].tv_nsec == UTIME_NOW && ts[1].tv_nsec == UTIME_NOW;
    }
    if (mnt && mnt_readonly(mnt))
        return -EROFS;
    /* Setting "now" needs write permission; explicit times need ownership. */
    if (!inode_owner_or_capable(inode)) {
        if (!now_both)
            return -EPERM;
        int err = inode_permission(inode, MAY_WRITE);
        if (err)
            return err;
    }
    struct kernel_timespec now;
    fs_now(&now);
    mutex_lock(&inode->lock);
    if (!utimes) {
        inode->atime = inode->mtime = now;
    } else {
        if (ts[0].tv_nsec != UTIME_OMIT)
            inode->atime = ts[0].tv_nsec == UTIME_NOW ? now : ts[0];
        if (ts[1].tv_nsec != UTIME_OMIT)
            inode->mtime = ts[1].tv_nsec == UTIME_NOW ? now : ts[1];
    }
    inode->ctime = now;
    mutex_unlock(&inode->lock);
    return 0;
}

SYSCALL_DEFINE4(utimensat, int, dfd, uaddr_t, filename, uaddr_t, utimes, int, flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    if (!filename) {
        /* futimens: the file behind the fd itself. */
        if (dfd == AT_FDCWD)
            return -EFAULT;
        struct file *f = fget_raw(dfd);
        if (!f)
            return -EBADF;
        struct inode *inode;
        int err = changed_inode(f, &inode);
        if (!err)
            err = set_times(f->mnt, inode, utimes);
        if (!err)
            fsnotify_file(f, IN_ATTRIB);
        file_put(f);
        return err;
    }
    unsigned lf = ((flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW) |
                  ((flags & AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0);
    struct path p;
    int err = user_path_at(dfd, filename, lf, &p);
    if (err)
        return err;
    if (!mnt_readonly(p.mnt))
        err = vfs_copy_up(p.dentry);
    if (!err)
        err = set_times(p.mnt, p.dentry->inode, utimes);
    if (!err)
        fsnotify_dentry(p.dentry, IN_ATTRIB);
    path_put(&p);
    return err;
}

/* ---- truncate / fallocate ---- */

SYSCALL_DEFINE2(truncate, uaddr_t, path, loff_t, length)
{
    if (length < 0)
        return -EINVAL;
    struct path p;
    int err = user_path_at(AT_FDCWD, path, LOOKUP_FOLLOW, &p);
    if (err)
        return err;
    struct inode *inode = p.dentry->inode;
    if (S_ISDIR(inode->mode))
        err = -EISDIR;
    else if (!S_ISREG(inode->mode))
        err = -EINVAL;
    else if (!(err = inode_permission(inode, MAY_WRITE)) && !(err = may_change(&p)) &&
             !(err = vfs_copy_up(p.dentry)))
        err = do_truncate(p.dentry->inode, length);
    if (!err)
        fsnotify_dentry(p.dentry, IN_MODIFY);
    path_put(&p);
    return err;
}

SYSCALL_DEFINE2(ftruncate, int, fd, loff_t, length)
{
    if (length < 0)
        return -EINVAL;
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    int err;
    if (!S_ISREG(f->inode->mode) || !(f->fmode & FMODE_WRITE))
        err = -EINVAL;
    else
        err = do_truncate(f->inode, length);
    if (!err)
        fsnotify_file(f, IN_MODIFY);
    file_put(f);
    return err;
}

SYSCALL_DEFINE4(fallocate, int, fd, int, mode, loff_t, offset, loff_t, len)
{
    if (offset < 0 || len <= 0)
        return -EINVAL;
    if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE))
        return -EOPNOTSUPP;
    if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE))
        return -EOPNOTSUPP;
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    struct inode *inode = f->inode;
    int err;
    if (!(f->fmode & FMODE_WRITE))
        err = -EBADF;
    else if (S_ISDIR(inode->mode))
        err = -EISDIR;
    else if (S_ISFIFO(inode->mode))
        err = -ESPIPE;
    else if (!S_ISREG(inode->mode))
        err = -ENODEV;
    else if (!inode->iops || !inode->iops->fallocate)
        err = -EOPNOTSUPP;
    else {
        mutex_lock(&inode->lock);
        err = inode->iops->fallocate(inode, mode, offset, len);
        if (!err)
            inode_touch(inode, true, true);
        mutex_unlock(&inode->lock);
    }
    file_put(f);
    return err;
}

/* ---- access ---- */

/* mode is access()'s R_OK | W_OK | X_OK (4, 2, 1): the MAY_* bits, as Linux relies on too. */
static long do_faccessat(int dirfd, uaddr_t upath, int mode, int flags)
{
    if (mode & ~S_IRWXO)
        return -EINVAL;
    if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    /* access() checks with the real IDs: swap them in for the check. */
    struct task *t = current;
    struct cred saved = t->cred;
    if (!(flags & AT_EACCESS)) {
        t->cred.fsuid = t->cred.uid;
        t->cred.fsgid = t->cred.gid;
    }
    unsigned lf = ((flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW) |
                  ((flags & AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0);
    struct path p;
    int err = user_path_at(dirfd, upath, lf, &p);
    if (!err) {
        if (mode) {
            err = inode_permission(p.dentry->inode, mode);
            if (!err && (mode & MAY_WRITE) && mnt_readonly(p.mnt) &&
                (S_ISREG(p.dentry->inode->mode) || S_ISDIR(p.dentry->inode->mode) ||
                 S_ISLNK(p.dentry->inode->mode)))
                err = -EROFS;
        }
        path_put(&p);
    }
    t->cred.fsuid = saved.fsuid;
    t->cred.fsgid = saved.fsgid;
    return err;
}

SYSCALL_DEFINE3(faccessat, int, dfd, uaddr_t, filename, int, mode)
{
    return do_faccessat(dfd, filename, mode, 0);
}

SYSCALL_DEFINE4(faccessat2, int, dfd, uaddr_t, filename, int, mode, int, flags)
{
    return do_faccessat(dfd, filename, mode, flags);
}
