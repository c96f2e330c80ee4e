/* Opening files: openat(2) with its flags, exec_open for execve, and the names of open files. */
#include "fs.h"
#include "uapi/inotify.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"
#include "kprintf.h"
#include "syscall.h"

int may_create(struct path *parent)
{
    struct inode *dir = parent->dentry->inode;
    if (dir->nlink == 0)
        return -ENOENT;                 /* a removed directory */
    int err = inode_permission(dir, MAY_WRITE | MAY_EXEC);
    if (err)
        return err;
    if (mnt_readonly(parent->mnt))
        return -EROFS;
    return 0;
}

int vfs_create_locked(struct path *parent, const char *name, size_t len, mode_t mode, dev_t rdev,
                      struct dentry **out)
{
    int err = may_create(parent);
    if (err)
        return err;
    struct inode *dir = parent->dentry->inode;
    if (!dir->iops || !dir->iops->create)
        return -EPERM;
    struct dentry *d = d_alloc(parent->dentry, name, len);
    if (!d)
        return -ENOMEM;
    err = dir->iops->create(dir, d, mode, rdev);
    if (err) {
        dput(d);
        return err;
    }
    fsnotify_create(dir, d);
    *out = d;
    return 0;
}

static int may_open(struct path *p, unsigned flags)
{
    struct inode *inode = p->dentry->inode;
    if (flags & O_PATH)
        return 0;
    int acc = flags & O_ACCMODE;
    int mask = 0;
    if (acc == O_RDONLY || acc == O_RDWR || acc == 3)
        mask |= MAY_READ;
    if (acc == O_WRONLY || acc == O_RDWR || acc == 3)
        mask |= MAY_WRITE;
    switch (inode->mode & S_IFMT) {
    case S_IFLNK:
        return -ELOOP;
    case S_IFDIR:
        if ((mask & MAY_WRITE) || (flags & O_TRUNC))
            return -EISDIR;
        break;
    case S_IFCHR:
    case S_IFBLK:
        if (p->mnt->flags & MS_NODEV)
            return -EACCES;
        break;
    default:
        break;
    }
    int err = inode_permission(inode, mask);
    if (err)
        return err;
    if ((mask & MAY_WRITE) && mnt_readonly(p->mnt) && (S_ISREG(inode->mode) || S_ISDIR(inode->mode)))
        return -EROFS;
    if ((flags & O_NOATIME) && !inode_owner_or_capable(inode))
        return -EPERM;
    return 0;
}

/* Resolve (and create) what openat names: returns the path (+refs) and whether it is new. */
static int open_path(int dirfd, const char *name, unsigned flags, mode_t mode, struct path *out,
                     bool *created)
{
    *created = false;
    if (!(flags & O_CREAT)) {
        unsigned lf = ((flags & O_NOFOLLOW) ? 0 : LOOKUP_FOLLOW) |
                      ((flags & O_DIRECTORY) ? LOOKUP_DIRECTORY : 0);
        return path_lookupat(dirfd, name, lf, out);
    }
    struct path parent;
    struct last_component last;
    int err = path_parentat(dirfd, name, &parent, &last);
    if (err)
        return err;
    if (last.type != LAST_NORM) {
        path_put(&parent);
        return -EISDIR;
    }
    mutex_lock(&vfs_ns_lock);
    struct dentry *d = lookup_child(parent.dentry, last.name, last.len, &err);
    if (!d && !err) {
        if (last.trailing_slash) {
            err = -EISDIR;
        } else {
            mode = S_IFREG | (mode & 07777 & ~current_umask());
            err = vfs_create_locked(&parent, last.name, last.len, mode, 0, &d);
            if (!err)
                *created = true;
        }
    }
    mutex_unlock(&vfs_ns_lock);
    if (err) {
        path_put(&parent);
        return err;
    }
    struct path p = { mntget(parent.mnt), d };
    path_put(&parent);
    if (*created) {
        *out = p;
        return 0;
    }
    if (flags & O_EXCL) {
        path_put(&p);
        return -EEXIST;
    }
    follow_mounts(&p);
    if (S_ISLNK(p.dentry->inode->mode)) {
        path_put(&p);
        if (flags & O_NOFOLLOW)
            return -ELOOP;
        return path_lookupat(dirfd, name, LOOKUP_FOLLOW, out);
    }
    if (last.trailing_slash && !S_ISDIR(p.dentry->inode->mode)) {
        path_put(&p);
        return -EISDIR;
    }
    *out = p;
    return 0;
}

long do_openat(int dirfd, const char *name, unsigned flags, mode_t mode)
{
    if ((flags & O_TMPFILE) == O_TMPFILE)
        return -EOPNOTSUPP;
    if (flags & O_PATH)
        flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    struct path p;
    bool created;
    int err = open_path(dirfd, name, flags, mode, &p, &created);
    if (err)
        return err;
    struct inode *inode = p.dentry->inode;
    if ((flags & O_DIRECTORY) && !S_ISDIR(inode->mode))
        err = -ENOTDIR;
    else if (!created)
        err = may_open(&p, flags);
    /* No filesystem here does direct I/O (everything goes through the page cache or is the
     * page cache): EINVAL, as Linux says for a file whose filesystem lacks it. */
    if (!err && (flags & O_DIRECT) && S_ISREG(inode->mode) && !(flags & O_PATH))
        err = -EINVAL;
    /* Writing to a file of a stacking filesystem (overlay) writes its upper copy. */
    if (!err && !created && !(flags & O_PATH) && S_ISREG(inode->mode) &&
        ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)) && !mnt_readonly(p.mnt)) {
        err = vfs_copy_up(p.dentry);
        inode = p.dentry->inode;
    }
    if (!err && (flags & O_TRUNC) && !created && S_ISREG(inode->mode) && !(flags & O_PATH) &&
        (flags & O_ACCMODE) != O_RDONLY && inode->size != 0)
        err = do_truncate(inode, 0);
    if (!err && (flags & O_TRUNC) && !created && S_ISREG(inode->mode) && !(flags & O_PATH) &&
        (flags & O_ACCMODE) != O_RDONLY)
        fsnotify_dentry(p.dentry, IN_MODIFY);
    if (err) {
        path_put(&p);
        return err;
    }
    struct file *f;
    err = file_open_path(&p, flags, &f);
    if (err)
        return err;
    int fd = fd_install_new(f, flags & O_CLOEXEC);
    if (fd < 0)
        file_put(f);
    return fd;
}

SYSCALL_DEFINE4(openat, int, dirfd, uaddr_t, filename, unsigned, flags, mode_t, mode)
{
    char *name = getname(filename);
    if (IS_ERR(name))
        return PTR_ERR(name);
    long ret = do_openat(dirfd, name, flags, mode);
    kfree(name);
    return ret;
}

/* ---- exec ---- */

int exec_open(int dirfd, const char *path, int flags, struct file **out)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    unsigned lf = ((flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW) |
                  ((flags & AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0);
    struct path p;
    int err = path_lookupat(dirfd, path, lf, &p);
    if (err)
        return err;
    struct inode *inode = p.dentry->inode;
    if (S_ISLNK(inode->mode))
        err = -ELOOP;
    else if (!S_ISREG(inode->mode))
        err = -EACCES;
    else if (p.mnt->flags & MS_NOEXEC)
        err = -EACCES;
    else
        err = inode_permission(inode, MAY_EXEC);
    if (err) {
        path_put(&p);
        return err;
    }
    return file_open_path(&p, O_RDONLY, out);
}

void file_exec_ids(struct file *f, bool *setuid, uid_t *uid, bool *setgid, gid_t *gid)
{
    struct inode *inode = f->inode;
    bool nosuid = file_on_nosuid_mount(f);
    *uid = inode->uid;
    *gid = inode->gid;
    *setuid = !nosuid && (inode->mode & S_ISUID);
    /* S_ISGID without group execute means mandatory locking, not set-group-ID. */
    *setgid = !nosuid && (inode->mode & (S_ISGID | 0010)) == (S_ISGID | 0010);
}

bool file_on_nosuid_mount(struct file *f)
{
    return f->mnt && (f->mnt->flags & MS_NOSUID);
}

int file_path(struct file *f, char *buf, size_t size)
{
    if (size == 0)
        return -ENAMETOOLONG;
    /* Nameless, or reopened through a procfs dentry of another filesystem (a pipe). */
    if (f->anon_name) {
        int n = ksnprintf(buf, size, "anon_inode:%s", f->anon_name);
        return n < (int)size ? n : -ENAMETOOLONG;
    }
    if (!f->dentry || !f->mnt || f->dentry->sb != f->inode->sb) {
        const char *kind = S_ISFIFO(f->inode->mode) ? "pipe" :
                           S_ISSOCK(f->inode->mode) ? "socket" : "anon_inode";
        int n = ksnprintf(buf, size, "%s:[%llu]", kind, (unsigned long long)f->inode->ino);
        return n < (int)size ? n : -ENAMETOOLONG;
    }
    char *tmp = kmalloc(PATH_MAX);
    if (!tmp)
        return -ENOMEM;
    struct path root, p = { f->mnt, f->dentry };
    fs_get_root(&root);
    int off = path_to_string(&p, &root, tmp, PATH_MAX);
    path_put(&root);
    const char *name = off >= 0 ? tmp + off : f->dentry->name;
    /* Synthetic (procfs) dentries are never hashed, yet not deleted. */
    bool deleted = f->dentry != f->mnt->root &&
                   !(f->dentry->flags & (DENTRY_HASHED | DENTRY_NOCACHE));
    int n = ksnprintf(buf, size, "%s%s%s", off >= 0 ? "" : "/", name, deleted ? " (deleted)" : "");
    kfree(tmp);
    return n < (int)size ? n : -ENAMETOOLONG;
}
