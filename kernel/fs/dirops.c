/* Namespace changes: mknod, mkdir, unlink, rmdir, symlink, link, rename, and readlink. The
 * checks follow Linux's fs/namei.c (may_create, may_delete, the rename rules); the
 * filesystem's inode operations do the work under vfs_ns_lock. */
#include "fs.h"
#include "uapi/inotify.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"
#include "syscall.h"

/* A resolved parent, the final component, and what it names now (NULL: nothing). */
struct target {
    struct path parent;
    struct last_component last;
    struct dentry *existing;
};

/* Resolve and lock: on success vfs_ns_lock is held; release with put_target. */
static int get_target(int dirfd, const char *name, struct target *t)
{
    int err = path_parentat(dirfd, name, &t->parent, &t->last);
    if (err)
        return err;
    t->existing = NULL;
    mutex_lock(&vfs_ns_lock);
    if (t->last.type == LAST_NORM) {
        t->existing = lookup_child(t->parent.dentry, t->last.name, t->last.len, &err);
        if (err) {
            mutex_unlock(&vfs_ns_lock);
            path_put(&t->parent);
            return err;
        }
    }
    return 0;
}

static void put_target(struct target *t)
{
    mutex_unlock(&vfs_ns_lock);
    if (t->existing)
        dput(t->existing);
    path_put(&t->parent);
}

static int may_delete(struct path *parent, struct dentry *victim, bool isdir)
{
    struct inode *dir = parent->dentry->inode;
    struct inode *inode = victim->inode;
    int err = inode_permission(dir, MAY_WRITE | MAY_EXEC);
    if (err)
        return err;
    if (mnt_readonly(parent->mnt))
        return -EROFS;
    const struct cred *c = fs_cred();
    if ((dir->mode & S_ISVTX) && c->fsuid != 0 && c->fsuid != inode->uid && c->fsuid != dir->uid)
        return -EPERM;
    if (isdir && !S_ISDIR(inode->mode))
        return -ENOTDIR;
    if (!isdir && S_ISDIR(inode->mode))
        return -EISDIR;
    if (READ_ONCE(victim->mounted))
        return -EBUSY;
    return 0;
}

/* ---- mknod / mkdir ---- */

int vfs_mknod_at(int dirfd, const char *name, mode_t mode, dev_t rdev, struct dentry **out)
{
    struct target t;
    int err = get_target(dirfd, name, &t);
    if (err)
        return err;
    struct dentry *d = NULL;
    if (t.last.type != LAST_NORM || t.existing)
        err = -EEXIST;
    else if (t.last.trailing_slash)
        err = -ENOENT;
    else
        err = vfs_create_locked(&t.parent, t.last.name, t.last.len, mode, rdev, &d);
    put_target(&t);
    if (!err) {
        if (out)
            *out = d;
        else
            dput(d);
    }
    return err;
}

int vfs_mkdir_at(int dirfd, const char *name, mode_t mode)
{
    struct target t;
    int err = get_target(dirfd, name, &t);
    if (err)
        return err;
    struct inode *dir = t.parent.dentry->inode;
    if (t.last.type != LAST_NORM || t.existing) {
        err = -EEXIST;
    } else if (!(err = may_create(&t.parent))) {
        if (!dir->iops || !dir->iops->mkdir) {
            err = -EPERM;
        } else {
            struct dentry *d = d_alloc(t.parent.dentry, t.last.name, t.last.len);
            if (!d) {
                err = -ENOMEM;
            } else {
                err = dir->iops->mkdir(dir, d, mode & 07777);
                if (!err)
                    fsnotify_create(dir, d);
                dput(d);
            }
        }
    }
    put_target(&t);
    return err;
}

static char *user_name(uaddr_t u)
{
    return getname(u);
}

SYSCALL_DEFINE4(mknodat, int, dfd, uaddr_t, filename, mode_t, mode, unsigned, dev)
{
    dev_t rdev = dev_from_user(dev);
    switch (mode & S_IFMT) {
    case 0:
        mode |= S_IFREG;
        break;
    case S_IFREG:
    case S_IFIFO:
    case S_IFSOCK:
        break;
    case S_IFCHR:
    case S_IFBLK:
        if (!fs_capable())
            return -EPERM;
        break;
    case S_IFDIR:
        return -EPERM;
    default:
        return -EINVAL;
    }
    if (!S_ISCHR(mode) && !S_ISBLK(mode))
        rdev = 0;
    char *name = user_name(filename);
    if (IS_ERR(name))
        return PTR_ERR(name);
    mode = (mode & S_IFMT) | (mode & 07777 & ~current_umask());
    long err = vfs_mknod_at(dfd, name, mode, rdev, NULL);
    kfree(name);
    return err;
}

SYSCALL_DEFINE3(mkdirat, int, dfd, uaddr_t, pathname, mode_t, mode)
{
    char *name = user_name(pathname);
    if (IS_ERR(name))
        return PTR_ERR(name);
    long err = vfs_mkdir_at(dfd, name, mode & 01777 & ~current_umask());
    kfree(name);
    return err;
}

/* ---- unlink / rmdir ---- */

static int do_unlink(int dirfd, const char *name, bool rmdir)
{
    struct target t;
    int err = get_target(dirfd, name, &t);
    if (err)
        return err;
    struct inode *dir = t.parent.dentry->inode;
    if (rmdir && t.last.type == LAST_DOT)
        err = -EINVAL;
    else if (rmdir && t.last.type == LAST_DOTDOT)
        err = -ENOTEMPTY;
    else if (t.last.type != LAST_NORM)
        err = rmdir ? -EBUSY : -EISDIR;
    else if (!t.existing)
        err = -ENOENT;
    else if (!rmdir && t.last.trailing_slash)
        err = S_ISDIR(t.existing->inode->mode) ? -EISDIR : -ENOTDIR;
    else if (!(err = may_delete(&t.parent, t.existing, rmdir))) {
        struct inode *victim = t.existing->inode;
        iget(victim);
        if (rmdir)
            err = dir->iops && dir->iops->rmdir ? dir->iops->rmdir(dir, t.existing) : -EPERM;
        else
            err = dir->iops && dir->iops->unlink ? dir->iops->unlink(dir, t.existing) : -EPERM;
        if (!err)
            fsnotify_delete(dir, t.last.name, t.last.len, t.existing);
        iput(victim);
    }
    put_target(&t);
    return err;
}

SYSCALL_DEFINE3(unlinkat, int, dfd, uaddr_t, pathname, int, flag)
{
    if (flag & ~AT_REMOVEDIR)
        return -EINVAL;
    char *name = user_name(pathname);
    if (IS_ERR(name))
        return PTR_ERR(name);
    long err = do_unlink(dfd, name, flag & AT_REMOVEDIR);
    kfree(name);
    return err;
}

/* ---- symlink / link ---- */

int vfs_symlink_at(const char *target, int dirfd, const char *name)
{
    if (!*target)
        return -ENOENT;
    struct target t;
    int err = get_target(dirfd, name, &t);
    if (err)
        return err;
    struct inode *dir = t.parent.dentry->inode;
    if (t.last.type != LAST_NORM || t.existing) {
        err = -EEXIST;
    } else if (t.last.trailing_slash) {
        err = -ENOENT;
    } else if (!(err = may_create(&t.parent))) {
        if (!dir->iops || !dir->iops->symlink) {
            err = -EPERM;
        } else {
            struct dentry *d = d_alloc(t.parent.dentry, t.last.name, t.last.len);
            if (!d) {
                err = -ENOMEM;
            } else {
                err = dir->iops->symlink(dir, d, target);
                if (!err)
                    fsnotify_create(dir, d);
                dput(d);
            }
        }
    }
    put_target(&t);
    return err;
}

SYSCALL_DEFINE3(symlinkat, uaddr_t, oldname, int, newdfd, uaddr_t, newname)
{
    char *target = user_name(oldname);
    if (IS_ERR(target))
        return PTR_ERR(target);
    char *name = user_name(newname);
    long err;
    if (IS_ERR(name)) {
        err = PTR_ERR(name);
    } else {
        err = vfs_symlink_at(target, newdfd, name);
        kfree(name);
    }
    kfree(target);
    return err;
}

int vfs_link_at(int olddirfd, const char *oldname, int newdirfd, const char *newname, int flags)
{
    if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    struct path old;
    unsigned lf = ((flags & AT_SYMLINK_FOLLOW) ? LOOKUP_FOLLOW : 0) |
                  ((flags & AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0);
    int err = path_lookupat(olddirfd, oldname, lf, &old);
    if (err)
        return err;
    struct target t;
    err = get_target(newdirfd, newname, &t);
    if (err) {
        path_put(&old);
        return err;
    }
    struct inode *dir = t.parent.dentry->inode;
    struct inode *inode = old.dentry->inode;
    if (t.last.type != LAST_NORM || t.existing)
        err = -EEXIST;
    else if (t.last.trailing_slash)
        err = -ENOENT;
    else if (old.mnt != t.parent.mnt)
        err = -EXDEV;
    else if (S_ISDIR(inode->mode))
        err = -EPERM;
    else if (!(err = may_create(&t.parent))) {
        if (inode->nlink == 0)
            err = -ENOENT;
        else if (!dir->iops || !dir->iops->link)
            err = -EPERM;
        else {
            struct dentry *d = d_alloc(t.parent.dentry, t.last.name, t.last.len);
            if (!d) {
                err = -ENOMEM;
            } else {
                err = dir->iops->link(old.dentry, dir, d);
                if (!err)
                    fsnotify_link(dir, d, inode);
                dput(d);
            }
        }
    }
    put_target(&t);
    path_put(&old);
    return err;
}

SYSCALL_DEFINE5(linkat, int, olddfd, uaddr_t, oldname, int, newdfd, uaddr_t, newname,
                int, flags)
{
    char *old = user_name(oldname);
    if (IS_ERR(old))
        return PTR_ERR(old);
    char *new = user_name(newname);
    long err;
    if (IS_ERR(new)) {
        err = PTR_ERR(new);
    } else {
        err = vfs_link_at(olddfd, old, newdfd, new, flags);
        kfree(new);
    }
    kfree(old);
    return err;
}

/* ---- rename ---- */

static int do_rename(int odirfd, const char *oldname, int ndirfd, const char *newname, unsigned flags)
{
    if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
        return -EINVAL;
    if ((flags & RENAME_EXCHANGE) && (flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)))
        return -EINVAL;
    if (flags & RENAME_WHITEOUT)
        return -EOPNOTSUPP;
    struct path op, np;
    struct last_component ol, nl;
    int err = path_parentat(odirfd, oldname, &op, &ol);
    if (err)
        return err;
    err = path_parentat(ndirfd, newname, &np, &nl);
    if (err) {
        path_put(&op);
        return err;
    }
    struct dentry *od = NULL, *nd = NULL;
    mutex_lock(&vfs_ns_lock);
    struct inode *odir = op.dentry->inode, *ndir = np.dentry->inode;
    if (op.mnt != np.mnt) {
        err = -EXDEV;
        goto out;
    }
    if (ol.type != LAST_NORM || nl.type != LAST_NORM) {
        err = -EBUSY;
        goto out;
    }
    od = lookup_child(op.dentry, ol.name, ol.len, &err);
    if (!od) {
        err = err ? err : -ENOENT;
        goto out;
    }
    nd = lookup_child(np.dentry, nl.name, nl.len, &err);
    if (err)
        goto out;
    struct inode *oinode = od->inode;
    bool odir_is = S_ISDIR(oinode->mode);
    if ((flags & RENAME_NOREPLACE) && nd) {
        err = -EEXIST;
        goto out;
    }
    if ((flags & RENAME_EXCHANGE) && !nd) {
        err = -ENOENT;
        goto out;
    }
    bool ndir_is = nd && S_ISDIR(nd->inode->mode);
    if (!odir_is && (ol.trailing_slash || (nl.trailing_slash && !(flags & RENAME_EXCHANGE)))) {
        err = -ENOTDIR;
        goto out;
    }
    if ((flags & RENAME_EXCHANGE) && !ndir_is && nl.trailing_slash) {
        err = -ENOTDIR;
        goto out;
    }
    if (od == nd || (nd && nd->inode == oinode)) {
        err = 0;        /* the same file: nothing to do */
        goto out;
    }
    /* Permissions: removing from the old directory, adding to (or replacing in) the new. */
    err = may_delete(&op, od, odir_is);
    if (err)
        goto out;
    if (nd)
        err = may_delete(&np, nd, (flags & RENAME_EXCHANGE) ? ndir_is : odir_is);
    else
        err = may_create(&np);
    if (err)
        goto out;
    /* Moving a directory to another parent rewrites its "..": needs write access to it. */
    if (odir != ndir) {
        if (odir_is && (err = inode_permission(oinode, MAY_WRITE)))
            goto out;
        if ((flags & RENAME_EXCHANGE) && ndir_is && (err = inode_permission(nd->inode, MAY_WRITE)))
            goto out;
    }
    /* No directory may move into its own subtree. */
    if (odir_is && d_is_ancestor(od, np.dentry)) {
        err = -EINVAL;
        goto out;
    }
    if ((flags & RENAME_EXCHANGE) && ndir_is && d_is_ancestor(nd, op.dentry)) {
        err = -EINVAL;
        goto out;
    }
    if (nd && !(flags & RENAME_EXCHANGE) && d_is_ancestor(nd, op.dentry)) {
        err = -ENOTEMPTY;
        goto out;
    }
    if (!odir->iops || !odir->iops->rename) {
        err = -EPERM;
        goto out;
    }
    if (!nd) {
        nd = d_alloc(np.dentry, nl.name, nl.len);
        if (!nd) {
            err = -ENOMEM;
            goto out;
        }
    }
    struct inode *ninode = nd->inode;
    if (ninode)
        iget(ninode);
    iget(oinode);
    err = odir->iops->rename(odir, od, ndir, nd, flags);
    if (!err && (flags & RENAME_EXCHANGE)) {
        fsnotify_move(odir, ol.name, ol.len, ndir, nl.name, nl.len, oinode, NULL);
        fsnotify_move(ndir, nl.name, nl.len, odir, ol.name, ol.len, ninode, NULL);
    } else if (!err) {
        fsnotify_move(odir, ol.name, ol.len, ndir, nl.name, nl.len, oinode, ninode);
    }
    iput(oinode);
    if (ninode)
        iput(ninode);
out:
    mutex_unlock(&vfs_ns_lock);
    if (od)
        dput(od);
    if (nd)
        dput(nd);
    path_put(&op);
    path_put(&np);
    return err;
}

static long do_renameat2(int olddfd, uaddr_t oldname, int newdfd, uaddr_t newname,
                         unsigned flags)
{
    char *old = user_name(oldname);
    if (IS_ERR(old))
        return PTR_ERR(old);
    char *new = user_name(newname);
    long err;
    if (IS_ERR(new)) {
        err = PTR_ERR(new);
    } else {
        err = do_rename(olddfd, old, newdfd, new, flags);
        kfree(new);
    }
    kfree(old);
    return err;
}

SYSCALL_DEFINE5(renameat2, int, olddfd, uaddr_t, oldname, int, newdfd, uaddr_t, newname,
                unsigned, flags)
{
    return do_renameat2(olddfd, oldname, newdfd, newname, flags);
}

SYSCALL_DEFINE4(renameat, int, olddfd, uaddr_t, oldname, int, newdfd, uaddr_t, newname)
{
    return do_renameat2(olddfd, oldname, newdfd, newname, 0);
}

/* ---- readlink ---- */

/* bufsiz is taken whole (Linux truncates it to int first). */
SYSCALL_DEFINE4(readlinkat, int, dfd, uaddr_t, pathname, uaddr_t, buf, long, bufsiz)
{
    if (bufsiz <= 0)
        return -EINVAL;
    struct path p;
    int err = user_path_at(dfd, pathname, LOOKUP_EMPTY, &p);
    if (err)
        return err;
    struct inode *inode = p.dentry->inode;
    long ret;
    if (!S_ISLNK(inode->mode) || !inode->iops || !inode->iops->get_link) {
        ret = -EINVAL;
    } else {
        char *kbuf = kmalloc(PATH_MAX);
        if (!kbuf) {
            ret = -ENOMEM;
        } else {
            int n = inode->iops->get_link(p.dentry, kbuf, PATH_MAX);
            if (n < 0) {
                ret = n;
            } else {
                size_t len = MIN((size_t)n, (size_t)bufsiz);
                ret = copy_to_user(buf, kbuf, len) < 0 ? -EFAULT : (long)len;
            }
            kfree(kbuf);
        }
    }
    path_put(&p);
    return ret;
}
