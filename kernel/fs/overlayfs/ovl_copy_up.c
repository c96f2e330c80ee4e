/* overlayfs: copy-up (a lower file or directory gets its copy in the upper layer before it
 * changes) and the real namespace operations on the upper layer. A file is copied under a
 * temporary name in workdir (data, mode, owner, times, synced) and then renamed into place,
 * so a power cut leaves either the lower file or the whole copy visible, never half of it. */
#include "ovl_internal.h"
#include "mm.h"
#include "string.h"
#include "kprintf.h"

#define COPY_CHUNK 16384

int ovl_tmp_name(struct super_block *sb, char *buf, size_t size)
{
    unsigned n = __atomic_add_fetch(&OVL(sb)->tmp_seq, 1, __ATOMIC_RELAXED);
    return ksnprintf(buf, size, "#ovl%u", n);
}

int ovl_real_create(struct dentry *dir, const char *name, size_t len, mode_t mode, dev_t rdev,
                    const char *target, struct dentry **out)
{
    const struct inode_operations *iops = dir->inode->iops;
    struct dentry *d = d_alloc(dir, name, len);
    if (!d)
        return -ENOMEM;
    int err;
    if (S_ISDIR(mode))
        err = iops && iops->mkdir ? iops->mkdir(dir->inode, d, mode & 07777) : -EPERM;
    else if (S_ISLNK(mode))
        err = iops && iops->symlink ? iops->symlink(dir->inode, d, target) : -EPERM;
    else
        err = iops && iops->create ? iops->create(dir->inode, d, mode, rdev) : -EPERM;
    if (err) {
        dput(d);
        return err;
    }
    *out = d;
    return 0;
}

int ovl_real_rename(struct dentry *odir, struct dentry *od, struct dentry *ndir,
                    const char *name, size_t len)
{
    const struct inode_operations *iops = odir->inode->iops;
    if (!iops || !iops->rename)
        return -EPERM;
    int err;
    struct dentry *nd = ovl_real_lookup(ndir, name, len, &err);
    if (err)
        return err;
    if (!nd && !(nd = d_alloc(ndir, name, len)))
        return -ENOMEM;
    err = iops->rename(odir->inode, od, ndir->inode, nd, 0);
    dput(nd);
    return err;
}

int ovl_real_remove(struct dentry *dir, struct dentry *d)
{
    const struct inode_operations *iops = dir->inode->iops;
    if (S_ISDIR(d->inode->mode))
        return iops && iops->rmdir ? iops->rmdir(dir->inode, d) : -EPERM;
    return iops && iops->unlink ? iops->unlink(dir->inode, d) : -EPERM;
}

int ovl_make_whiteout(struct super_block *sb, struct dentry *upper_dir, const char *name,
                      size_t len)
{
    (void)sb;
    struct dentry *w;
    int err = ovl_real_create(upper_dir, name, len, S_IFCHR, 0, NULL, &w);
    if (!err)
        dput(w);
    return err;
}

static void copy_attrs(struct inode *to, const struct inode *from)
{
    mutex_lock(&to->lock);
    to->mode = (to->mode & S_IFMT) | (from->mode & 07777);
    to->uid = from->uid;
    to->gid = from->gid;
    to->atime = from->atime;
    to->mtime = from->mtime;
    mutex_unlock(&to->lock);
}

int ovl_copy_up_dir(struct dentry *d)
{
    struct super_block *sb = d->sb;
    struct ovl_dir *od = OVL_DIR(d->inode);
    if (od->upper.mnt)
        return 0;
    if (!OVL(sb)->upper.mnt)
        return -EROFS;
    if (d == d->parent)
        return -EIO;          /* the root always has its upper directory */
    int err = ovl_copy_up_dir(d->parent);
    if (err)
        return err;
    struct ovl_dir *pd = OVL_DIR(d->parent->inode);
    struct inode *lower = od->lower[0].dentry->inode;
    struct dentry *u = ovl_real_lookup(pd->upper.dentry, d->name, d->name_len, &err);
    if (err)
        return err;
    if (u && !S_ISDIR(u->inode->mode)) {
        dput(u);
        return -ESTALE;
    }
    if (!u) {
        /* An empty directory in the upper layer changes nothing visible: made in place. */
        err = ovl_real_create(pd->upper.dentry, d->name, d->name_len, S_IFDIR | 0700, 0, NULL,
                              &u);
        if (err)
            return err;
        copy_attrs(u->inode, lower);
    }
    od->upper.mnt = mntget(OVL(sb)->upper.mnt);
    od->upper.dentry = u;
    return 0;
}

static int copy_data(struct path *from, struct path *to)
{
    struct file *in, *out;
    path_get(from);
    int err = file_open_path(from, O_RDONLY, &in);
    if (err)
        return err;
    path_get(to);
    err = file_open_path(to, O_WRONLY, &out);
    if (err) {
        file_put(in);
        return err;
    }
    char *buf = kmalloc(COPY_CHUNK);
    if (!buf)
        err = -ENOMEM;
    for (loff_t pos = 0; buf;) {
        ssize_t n = kernel_read(in, buf, COPY_CHUNK, pos);
        if (n <= 0) {
            err = (int)n;
            break;
        }
        ssize_t w = kernel_write(out, buf, (size_t)n, pos);
        if (w != n) {
            err = w < 0 ? (int)w : -EIO;
            break;
        }
        pos += n;
    }
    kfree(buf);
    if (!err && out->ops->fsync)
        err = out->ops->fsync(out);
    file_put(out);
    file_put(in);
    return err;
}

int ovl_copy_up_locked(struct dentry *d)
{
    struct super_block *sb = d->sb;
    if (!OVL(sb)->upper.mnt)
        return -EROFS;
    int err = ovl_copy_up_dir(d->parent);
    if (err)
        return err;
    struct ovl_dir *pd = OVL_DIR(d->parent->inode);
    struct dentry *u = ovl_real_lookup(pd->upper.dentry, d->name, d->name_len, &err);
    if (err)
        return err;
    if (u && u->inode == d->inode) {
        dput(u);
        return 0;             /* already in the upper layer */
    }
    if (u) {
        dput(u);
        return -ESTALE;
    }
    /* Find the lower entry this dentry shows, for its mount and name. */
    struct path lower = { NULL, NULL };
    for (int i = 0; i < pd->nlower && !lower.mnt; i++) {
        struct dentry *c = ovl_real_lookup(pd->lower[i].dentry, d->name, d->name_len, &err);
        if (c && c->inode == d->inode)
            lower = (struct path){ pd->lower[i].mnt, c };
        else if (c)
            dput(c);
    }
    if (!lower.mnt)
        return -ESTALE;
    struct inode *src = d->inode;
    struct dentry *work = OVL(sb)->work.dentry, *t = NULL;
    char tmp[32];
    int n = ovl_tmp_name(sb, tmp, sizeof(tmp));
    if (S_ISLNK(src->mode)) {
        char *target = kmalloc(PATH_MAX);
        err = !target ? -ENOMEM : !src->iops || !src->iops->get_link ? -EINVAL :
              src->iops->get_link(lower.dentry, target, PATH_MAX);
        if (err >= 0)
            err = ovl_real_create(work, tmp, n, S_IFLNK | 0777, 0, target, &t);
        kfree(target);
    } else {
        mode_t mode = (src->mode & S_IFMT) | 0600;
        err = ovl_real_create(work, tmp, n, mode, src->rdev, NULL, &t);
        if (!err && S_ISREG(src->mode)) {
            struct path to = { OVL(sb)->work.mnt, t };
            err = copy_data(&lower, &to);
        }
    }
    dput(lower.dentry);
    if (!err) {
        copy_attrs(t->inode, src);
        err = ovl_real_rename(work, t, pd->upper.dentry, d->name, d->name_len);
    }
    if (err) {
        if (t) {
            ovl_real_remove(work, t);
            dput(t);
        }
        return err;
    }
    /* The dentry now shows the copy: every user of the name sees it from here on. */
    struct inode *copy = t->inode, *old = d->inode;
    struct ovl_retired *r = kmalloc(sizeof(*r));
    iget(copy);
    WRITE_ONCE(d->inode, copy);
    if (r) {
        r->inode = old;
        spin_lock(&OVL(sb)->retired_lock);
        r->next = OVL(sb)->retired;
        OVL(sb)->retired = r;
        spin_unlock(&OVL(sb)->retired_lock);
    } else {
        iput(old);
    }
    dput(t);
    return 0;
}

int ovl_copy_up(struct dentry *d)
{
    if (!d->inode)
        return 0;
    mutex_lock(&vfs_ns_lock);
    int err = S_ISDIR(d->inode->mode) ? ovl_copy_up_dir(d) : ovl_copy_up_locked(d);
    mutex_unlock(&vfs_ns_lock);
    return err;
}
