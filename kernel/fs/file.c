/* Open file objects: allocation, references, the uio copy helpers, kernel-side reads, and
 * the generic seek. */
#include "fs.h"
#include "uapi/inotify.h"
#include "mm.h"
#include "vm.h"
#include "string.h"
#include "uaccess.h"
#include "uapi/statfs.h"

int uio_copyout(struct uio *to, const void *src, size_t n)
{
    if (n > to->resid)
        return -EFAULT;
    if (to->kernel) {
        memcpy(to->kbase, src, n);
        to->kbase = (char *)to->kbase + n;
    } else {
        if (copy_to_user(to->ubase, src, n) < 0)
            return -EFAULT;
        to->ubase += n;
    }
    to->resid -= n;
    return 0;
}

int uio_copyin(void *dst, struct uio *from, size_t n)
{
    if (n > from->resid)
        return -EFAULT;
    if (from->kernel) {
        memcpy(dst, from->kbase, n);
        from->kbase = (char *)from->kbase + n;
    } else {
        if (copy_from_user(dst, from->ubase, n) < 0)
            return -EFAULT;
        from->ubase += n;
    }
    from->resid -= n;
    return 0;
}

void file_get(struct file *f)
{
    atomic_inc_return(&f->refcount);
}

void file_put(struct file *f)
{
    if (!f || atomic_dec_return(&f->refcount) != 0)
        return;
    if (!list_empty(&f->ep_links))
        eventpoll_release_file(f);
    if (!(f->fmode & FMODE_PATH)) {
        fsnotify_file(f, (f->fmode & FMODE_WRITE) ? IN_CLOSE_WRITE : IN_CLOSE_NOWRITE);
        if (f->ops && f->ops->release)
            f->ops->release(f);
        if (!list_empty(&f->inode->locks))
            locks_remove_flock(f);
    }
    if (f->dentry)
        dput(f->dentry);
    mntput(f->mnt);
    iput(f->inode);
    kfree(f);
}

static unsigned fmode_of(unsigned flags)
{
    if (flags & O_PATH)
        return FMODE_PATH;
    switch (flags & O_ACCMODE) {
    case O_RDONLY: return FMODE_READ;
    case O_WRONLY: return FMODE_WRITE;
    case O_RDWR: return FMODE_READ | FMODE_WRITE;
    default: return 0;      /* 3: ioctl-only, as in Linux */
    }
}

/* Flags that describe the open call rather than the open file. */
#define OPEN_ONLY_FLAGS (O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)

static const struct file_operations path_fops = { 0 };

int file_open_path(struct path *p, unsigned flags, struct file **out)
{
    struct file *f = kzalloc(sizeof(*f));
    if (!f) {
        path_put(p);
        return -ENOMEM;
    }
    struct inode *inode = p->dentry->inode;
    f->refcount = 1;
    /* The driver's open sees the open-only flags (a tty needs O_NOCTTY); they are dropped
     * after it, as Linux's do_dentry_open does. */
    f->flags = flags & ~(unsigned)O_CLOEXEC;
    f->fmode = fmode_of(flags);
    f->dentry = p->dentry;
    f->mnt = p->mnt;
    f->inode = inode;
    iget(inode);
    spin_init(&f->lock, "file");
    list_init(&f->ep_links);
    if (f->fmode & FMODE_PATH) {
        f->ops = &path_fops;
    } else {
        f->ops = inode->fops ? inode->fops : &path_fops;
        if (f->ops->open) {
            int err = f->ops->open(inode, f);
            if (err < 0) {
                /* Not opened: no release. */
                f->fmode |= FMODE_PATH;
                file_put(f);
                return err;
            }
        }
    }
    f->flags &= ~OPEN_ONLY_FLAGS;
    if (!(f->fmode & FMODE_PATH))
        fsnotify_file(f, IN_OPEN);
    *out = f;
    return 0;
}

static struct super_block *anon_sb;
static const struct super_operations anon_sops = { 0 };
static struct file_system_type anon_type = { .name = "anon_inodefs", .nodev = true };

struct file *file_new_inode(struct inode *inode, const struct file_operations *ops, unsigned flags)
{
    struct file *f = kzalloc(sizeof(*f));
    if (!f)
        return NULL;
    iget(inode);
    f->refcount = 1;
    f->flags = flags & ~OPEN_ONLY_FLAGS;
    f->fmode = fmode_of(flags);
    f->inode = inode;
    f->ops = ops;
    spin_init(&f->lock, "file");
    list_init(&f->ep_links);
    return f;
}

struct file *anon_file_new(mode_t type, const struct file_operations *ops, void *private_data,
                           unsigned flags)
{
    if (!anon_sb) {
        anon_sb = sb_new(&anon_type, ANON_INODE_FS_MAGIC, &anon_sops);
        if (!anon_sb)
            return NULL;
    }
    struct inode *inode = inode_new(anon_sb, (type & S_IFMT) | 0600);
    if (!inode)
        return NULL;
    inode->fops = ops;
    struct file *f = file_new_inode(inode, ops, flags);
    iput(inode);        /* the file holds it now */
    if (f)
        f->private_data = private_data;
    return f;
}

/* Linux shares one inode among all anon-inode files; here each has its own (mode 0600, no
 * type), which fstat cannot tell apart from Linux's but keeps inode lifetimes simple. */
struct file *anon_inode_file_new(const char *name, const struct file_operations *ops,
                                 void *private_data, unsigned flags)
{
    struct file *f = anon_file_new(0, ops, private_data, flags);
    if (f)
        f->anon_name = name;
    return f;
}

loff_t noop_llseek(struct file *f, loff_t off, int whence)
{
    (void)off;
    (void)whence;
    return f->pos;
}

ssize_t vfs_read(struct file *f, struct uio *u, loff_t *pos)
{
    if (!(f->fmode & FMODE_READ))
        return -EBADF;
    if (!f->ops->read && !S_ISDIR(f->inode->mode))
        return -EINVAL;
    if (!u->kernel && !access_ok(u->ubase, u->resid))
        return -EFAULT;
    u->resid = MIN(u->resid, MAX_RW_COUNT);   /* checked whole, then capped, as Linux */
    if (!f->ops->read)
        return S_ISDIR(f->inode->mode) ? -EISDIR : -EINVAL;
    ssize_t r = f->ops->read(f, u, pos);
    if (r > 0)
        fsnotify_file(f, IN_ACCESS);
    return r;
}

ssize_t vfs_write(struct file *f, struct uio *u, loff_t *pos)
{
    if (!(f->fmode & FMODE_WRITE))
        return -EBADF;
    if (!f->ops->write)
        return -EINVAL;
    if (!u->kernel && !access_ok(u->ubase, u->resid))
        return -EFAULT;
    u->resid = MIN(u->resid, MAX_RW_COUNT);   /* checked whole, then capped, as Linux */
    ssize_t r = f->ops->write(f, u, pos);
    if (r > 0)
        fsnotify_file(f, IN_MODIFY);
    return r;
}

ssize_t kernel_read(struct file *f, void *buf, size_t n, loff_t pos)
{
    struct uio u = uio_kernel(buf, n);
    if (!f->ops->read)
        return -EINVAL;
    /* Exec reads files it opened itself, whatever their access mode. */
    size_t done = 0;
    while (u.resid) {
        ssize_t r = f->ops->read(f, &u, &pos);
        if (r < 0)
            return done ? (ssize_t)done : r;
        if (r == 0)
            break;
        done += (size_t)r;
    }
    return (ssize_t)done;
}

ssize_t kernel_write(struct file *f, const void *buf, size_t n, loff_t pos)
{
    struct uio u = uio_kernel((void *)buf, n);
    return vfs_write(f, &u, &pos);
}

int do_truncate(struct inode *inode, loff_t size)
{
    if (size < 0)
        return -EINVAL;
    if (!inode->iops || !inode->iops->setsize)
        return -EINVAL;
    mutex_lock(&inode->lock);
    loff_t old = inode->size;
    int err = inode->iops->setsize(inode, size);
    if (!err && size < old && S_ISREG(inode->mode))
        unmap_file_pages(inode, (uint64_t)size);
    if (!err) {
        inode_touch(inode, true, true);
        if ((inode->mode & (S_ISUID | S_ISGID)) && !fs_capable())
            inode->mode &= ~(mode_t)S_ISUID;
    }
    mutex_unlock(&inode->lock);
    return err;
}

loff_t generic_llseek(struct file *f, loff_t off, int whence)
{
    struct inode *inode = f->inode;
    if (S_ISFIFO(inode->mode) || S_ISSOCK(inode->mode))
        return -ESPIPE;
    loff_t size = READ_ONCE(inode->size);
    loff_t base;
    switch (whence) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = f->pos; break;
    case SEEK_END: base = size; break;
    case SEEK_DATA:
        if (off < 0 || off >= size)
            return -ENXIO;
        return f->pos = off;
    case SEEK_HOLE:
        if (off < 0 || off >= size)
            return -ENXIO;
        return f->pos = size;
    default:
        return -EINVAL;
    }
    if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
        return -EINVAL;
    f->pos = base + off;
    if (f->ops->iterate == dcache_readdir && f->private_data) {
        /* The directory resume point no longer applies. */
        dput(f->private_data);
        f->private_data = NULL;
    }
    return f->pos;
}

loff_t file_size(struct file *f)
{
    return f->inode->size;
}
