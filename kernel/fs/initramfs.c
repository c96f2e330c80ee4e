/* Unpacking the initramfs (cpio newc, parsed by lib/cpio.c) into the root tmpfs, like Linux's
 * init/initramfs.c: directories, files, symlinks, device nodes, FIFOs, sockets, hard links
 * (by matching (ino, dev) of entries with nlink > 1), with modes, owners and mtimes as in the
 * archive. Names already present are replaced, except directories, which are updated. */
#include "fs.h"
#include "cpio.h"
#include "mm.h"
#include "string.h"

struct hardlink {
    uint32_t ino, devmajor, devminor, mode;
    char *name;
    struct hardlink *next;
};

static struct hardlink *find_link(struct hardlink *list, const struct cpio_entry *e)
{
    for (struct hardlink *h = list; h; h = h->next)
        if (h->ino == e->ino && h->devmajor == e->devmajor && h->devminor == e->devminor &&
            h->mode == e->mode)
            return h;
    return NULL;
}

static void set_attrs(const char *path, const struct cpio_entry *e)
{
    struct path p;
    if (path_lookupat(AT_FDCWD, path, 0, &p) < 0)
        return;
    struct inode *inode = p.dentry->inode;
    if (!S_ISLNK(inode->mode))
        inode->mode = (inode->mode & S_IFMT) | (e->mode & 07777);
    inode->uid = e->uid;
    inode->gid = e->gid;
    inode->mtime.tv_sec = e->mtime;
    inode->mtime.tv_nsec = 0;
    inode->atime = inode->mtime;
    path_put(&p);
}

static int remove_existing(const char *path)
{
    struct path p;
    if (path_lookupat(AT_FDCWD, path, 0, &p) < 0)
        return 0;
    bool isdir = S_ISDIR(p.dentry->inode->mode);
    path_put(&p);
    if (isdir)
        return -EEXIST;
    /* unlink through the normal path so the filesystem keeps its counts right */
    struct path parent;
    struct last_component last;
    int err = path_parentat(AT_FDCWD, path, &parent, &last);
    if (err)
        return err;
    mutex_lock(&vfs_ns_lock);
    struct dentry *d = lookup_child(parent.dentry, last.name, last.len, &err);
    if (d) {
        struct inode *dir = parent.dentry->inode;
        if (dir->iops && dir->iops->unlink)
            err = dir->iops->unlink(dir, d);
        dput(d);
    }
    mutex_unlock(&vfs_ns_lock);
    path_put(&parent);
    return err;
}

static int write_data(const char *path, const void *data, size_t size)
{
    if (size == 0)
        return 0;
    struct path p;
    int err = path_lookupat(AT_FDCWD, path, 0, &p);
    if (err)
        return err;
    struct file *f;
    err = file_open_path(&p, O_WRONLY, &f);
    if (err)
        return err;
    ssize_t n = kernel_write(f, data, size, 0);
    file_put(f);
    if (n < 0)
        return (int)n;
    return (size_t)n == size ? 0 : -ENOSPC;
}

static int unpack_entry(const struct cpio_entry *e, char *path, struct hardlink **links)
{
    size_t len = e->name_len;
    if (len + 2 > PATH_MAX)
        return -ENAMETOOLONG;
    path[0] = '/';
    memcpy(path + 1, e->name, len);
    path[len + 1] = 0;
    if (len == 0) {          /* the archive root "." */
        set_attrs("/", e);
        return 0;
    }
    mode_t type = e->mode & CPIO_S_IFMT;
    int err;
    if (type == CPIO_S_IFDIR) {
        err = vfs_mkdir_at(AT_FDCWD, path, e->mode & 07777);
        if (err == -EEXIST)
            err = 0;
        if (!err)
            set_attrs(path, e);
        return err;
    }
    err = remove_existing(path);
    if (err)
        return err;
    if (type == CPIO_S_IFLNK) {
        if (e->size == 0 || e->size >= PATH_MAX)
            return -EINVAL;
        char *target = kmalloc(e->size + 1);
        if (!target)
            return -ENOMEM;
        memcpy(target, e->data, e->size);
        target[e->size] = 0;
        err = vfs_symlink_at(target, AT_FDCWD, path);
        kfree(target);
        if (!err)
            set_attrs(path, e);
        return err;
    }
    if (type == CPIO_S_IFREG && e->nlink > 1) {
        struct hardlink *h = find_link(*links, e);
        if (h) {
            err = vfs_link_at(AT_FDCWD, h->name, AT_FDCWD, path, 0);
            if (!err)
                err = write_data(path, e->data, e->size);
            return err;
        }
        h = kzalloc(sizeof(*h));
        if (h) {
            h->name = kstrdup(path);
            h->ino = e->ino;
            h->devmajor = e->devmajor;
            h->devminor = e->devminor;
            h->mode = e->mode;
            h->next = *links;
            *links = h;
        }
    }
    dev_t rdev = 0;
    if (type == CPIO_S_IFCHR || type == CPIO_S_IFBLK)
        rdev = MKDEV(e->rdevmajor, e->rdevminor);
    else if (type != CPIO_S_IFREG && type != CPIO_S_IFIFO && type != CPIO_S_IFSOCK)
        return -EINVAL;
    err = vfs_mknod_at(AT_FDCWD, path, type | (e->mode & 07777), rdev, NULL);
    if (err)
        return err;
    if (type == CPIO_S_IFREG)
        err = write_data(path, e->data, e->size);
    set_attrs(path, e);
    return err;
}

int initramfs_unpack(const void *data, size_t len)
{
    struct cpio_iter it;
    struct cpio_entry e;
    struct hardlink *links = NULL;
    char *path = kmalloc(PATH_MAX);
    if (!path)
        return -ENOMEM;
    cpio_iter_init(&it, data, len);
    int r, count = 0, failures = 0;
    while ((r = cpio_next(&it, &e)) != 0) {
        if (r < 0) {
            if (!it.error)
                pr_warn("initramfs: skipping bad entry \"%s\"\n", e.name ? e.name : "?");
            continue;
        }
        int err = unpack_entry(&e, path, &links);
        if (err) {
            failures++;
            pr_warn("initramfs: %s: error %d\n", path, err);
        } else {
            count++;
        }
    }
    while (links) {
        struct hardlink *next = links->next;
        kfree(links->name);
        kfree(links);
        links = next;
    }
    kfree(path);
    if (it.error) {
        pr_err("initramfs: archive is corrupt after %d entries (error %d)\n", count, it.error);
        return it.error;
    }
    pr_info("initramfs: unpacked %d entries (%d failed)\n", count, failures);
    return 0;
}
