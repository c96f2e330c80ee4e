/* Changing and checking attributes: chmod, chown, utimensat, truncate, fallocate, access. */
#include "vfs.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"

static int may_change(struct path *p)
{
    if (mnt_readonly(p->mnt))
        return -EROFS;
    return 0;
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

long sys_fchmodat(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a3; (void)a4; (void)a5;
    struct path p;
    int err = user_path_at((int)a0, (uaddr_t)a1, LOOKUP_FOLLOW, &p);
    if (err)
        return err;
    err = chmod_path(&p, (mode_t)a2);
    path_put(&p);
    return err;
}

long sys_fchmod(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a2; (void)a3; (void)a4; (void)a5;
    struct file *f = fget((int)a0);
    if (!f)
        return -EBADF;
    int err;
    if (f->mnt) {
        struct path p = { f->mnt, f->dentry };
        err = chmod_path(&p, (mode_t)a1);
    } else {
        /* A nameless file (pipe, socket): only its mode bits. */
        err = inode_owner_or_capable(f->inode) ? 0 : -EPERM;
        if (!err)
            f->inode->mode = (f->inode->mode & S_IFMT) | ((mode_t)a1 & 07777);
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

long sys_fchownat(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a5;
    int flags = (int)a4;
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    unsigned lf = ((flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW) |
                  ((flags & AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0);
    struct path p;
    int err = user_path_at((int)a0, (uaddr_t)a1, lf, &p);
    if (err)
        return err;
    err = chown_inode(p.mnt, p.dentry->inode, (uid_t)a2, (gid_t)a3);
    path_put(&p);
    return err;
}

long sys_fchown(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a3; (void)a4; (void)a5;
    struct file *f = fget((int)a0);
    if (!f)
        return -EBADF;
    int err = chown_inode(f->mnt, f->inode, (uid_t)a1, (gid_t)a2);
    file_put(f);
    return err;
}

/* ---- utimensat ---- */

#define UTIME_NOW ((1l << 30) - 1l)
#define UTIME_OMIT ((1l << 30) - 2l)

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

long sys_utimensat(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a4; (void)a5;
    int flags = (int)a3;
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    if (!a1) {
        /* futimens: the file behind the fd itself. */
        if ((int)a0 == AT_FDCWD)
            return -EFAULT;
        struct file *f = fget_raw((int)a0);
        if (!f)
            return -EBADF;
        int err = set_times(f->mnt, f->inode, (uaddr_t)a2);
        file_put(f);
        return err;
    }
    unsigned lf = ((flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW) |
                  ((flags & AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0);
    struct path p;
    int err = user_path_at((int)a0, (uaddr_t)a1, lf, &p);
    if (err)
        return err;
    err = set_times(p.mnt, p.dentry->inode, (uaddr_t)a2);
    path_put(&p);
    return err;
}

/* ---- truncate / fallocate ---- */

long sys_truncate(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a2; (void)a3; (void)a4; (void)a5;
    loff_t len = (loff_t)a1;
    if (len < 0)
        return -EINVAL;
    struct path p;
    int err = user_path_at(AT_FDCWD, (uaddr_t)a0, LOOKUP_FOLLOW, &p);
    if (err)
        return err;
    struct inode *inode = p.dentry->inode;
    if (S_ISDIR(inode->mode))
        err = -EISDIR;
    else if (!S_ISREG(inode->mode))
        err = -EINVAL;
    else if (!(err = inode_permission(inode, MAY_WRITE)) && !(err = may_change(&p)))
        err = do_truncate(inode, len);
    path_put(&p);
    return err;
}

long sys_ftruncate(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a2; (void)a3; (void)a4; (void)a5;
    loff_t len = (loff_t)a1;
    if (len < 0)
        return -EINVAL;
    struct file *f = fget((int)a0);
    if (!f)
        return -EBADF;
    int err;
    if (!S_ISREG(f->inode->mode) || !(f->fmode & FMODE_WRITE))
        err = -EINVAL;
    else
        err = do_truncate(f->inode, len);
    file_put(f);
    return err;
}

#define FALLOC_FL_KEEP_SIZE 1
#define FALLOC_FL_PUNCH_HOLE 2

long sys_fallocate(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a4; (void)a5;
    int mode = (int)a1;
    loff_t off = (loff_t)a2, len = (loff_t)a3;
    if (off < 0 || len <= 0)
        return -EINVAL;
    if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE))
        return -EOPNOTSUPP;
    if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE))
        return -EOPNOTSUPP;
    struct file *f = fget((int)a0);
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
        err = inode->iops->fallocate(inode, mode, off, len);
        if (!err)
            inode_touch(inode, true, true);
        mutex_unlock(&inode->lock);
    }
    file_put(f);
    return err;
}

/* ---- access ---- */

#define F_OK 0
#define X_OK 1
#define W_OK 2
#define R_OK 4

static long do_faccessat(int dirfd, uaddr_t upath, int mode, int flags)
{
    if (mode & ~(R_OK | W_OK | X_OK))
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
            if (!err && (mode & W_OK) && mnt_readonly(p.mnt) &&
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

long sys_faccessat(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a3; (void)a4; (void)a5;
    return do_faccessat((int)a0, (uaddr_t)a1, (int)a2, 0);
}

long sys_faccessat2(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a4; (void)a5;
    return do_faccessat((int)a0, (uaddr_t)a1, (int)a2, (int)a3);
}
