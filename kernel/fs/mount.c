/* The mount table: mounts by (parent mount, mountpoint dentry), mount(2), umount2(2), and the
 * /proc/mounts text. */
#include "fs.h"
#include "pnode.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"
#include "kprintf.h"
#include "blkdev.h"
#include "syscall.h"

static LIST_HEAD(mount_list);
static spinlock_t mount_lock = SPINLOCK_INIT("mounts");
struct mount *root_mount;
static int next_mount_id = 1;

void generic_shutdown_super(struct super_block *sb)
{
    fsnotify_sb_delete(sb);     /* IN_UNMOUNT: the watches go before the inodes */
    d_prune_unused(sb, SIZE_MAX);   /* cached names hold inodes: they go while it can write */
    if (sb->sops && sb->sops->put_super)
        sb->sops->put_super(sb);
    dput(sb->root);
}

static void sb_put(struct super_block *sb)
{
    if (atomic_dec_return(&sb->refcount) != 0)
        return;
    if (sb->bdev) {
        kill_block_super(sb);
        return;
    }
    generic_shutdown_super(sb);
    kfree(sb);
}

void mntput(struct mount *m)
{
    if (!m || atomic_dec_return(&m->refcount) != 0)
        return;
    /* Only a detached mount can lose its last reference. */
    dput(m->root);
    sb_put(m->sb);
    kfree(m->source);
    kfree(m);
}

bool mnt_readonly(struct mount *m)
{
    return m && ((m->flags & MS_RDONLY) || (m->sb->flags & MS_RDONLY));
}

struct mount *lookup_mnt(struct mount *parent, struct dentry *mountpoint)
{
    struct mount *m, *found = NULL;
    spin_lock(&mount_lock);
    /* Newest first: the last mount on a point hides earlier ones. */
    for (struct list_head *p = mount_list.prev; p != &mount_list; p = p->prev) {
        m = list_entry(p, struct mount, link);
        if (m->parent == parent && m->mountpoint == mountpoint && m != parent) {
            found = mntget(m);
            break;
        }
    }
    spin_unlock(&mount_lock);
    return found;
}

static struct mount *mount_alloc(struct super_block *sb, struct dentry *root, const char *source,
                                 unsigned long flags)
{
    struct mount *m = kzalloc(sizeof(*m));
    if (!m)
        return NULL;
    m->source = kstrdup(source && *source ? source : "none");
    if (!m->source) {
        kfree(m);
        return NULL;
    }
    m->sb = sb;
    m->root = dget(root);
    m->flags = flags & MNT_USER_FLAGS;
    m->refcount = 1;            /* the attachment */
    list_init(&m->link);
    pnode_init(m);
    m->id = __atomic_fetch_add(&next_mount_id, 1, __ATOMIC_RELAXED);
    return m;
}

static void mount_attach(struct mount *m, struct path *where)
{
    m->parent = mntget(where->mnt);
    m->mountpoint = dget(where->dentry);
    __atomic_add_fetch(&where->dentry->mounted, 1, __ATOMIC_RELAXED);
    spin_lock(&mount_lock);
    list_add_tail(&m->link, &mount_list);
    m->attached = true;
    spin_unlock(&mount_lock);
}

static void mount_detach(struct mount *m)
{
    spin_lock(&mount_lock);
    list_del(&m->link);
    m->attached = false;
    spin_unlock(&mount_lock);
    __atomic_sub_fetch(&m->mountpoint->mounted, 1, __ATOMIC_RELAXED);
    dput(m->mountpoint);
    mntput(m->parent);
    m->mountpoint = NULL;
    m->parent = NULL;
    mntput(m);                  /* the attachment's reference */
}

struct mount *mount_copy_at(struct mount *src, struct mount *parent, struct dentry *d)
{
    struct mount *m = mount_alloc(src->sb, src->root, src->source, src->flags);
    if (!m)
        return NULL;
    atomic_inc_return(&src->sb->refcount);
    struct path where = { parent, d };
    mount_attach(m, &where);
    return m;
}

bool mount_has_children(struct mount *m)
{
    bool found = false;
    struct mount *it;
    spin_lock(&mount_lock);
    list_for_each_entry(it, &mount_list, link)
        if (it->parent == m && it != m)
            found = true;
    spin_unlock(&mount_lock);
    return found;
}

static void detach_tree(struct mount *m);

/* After attaching m: the copies its parent's peer group and slaves receive. If they cannot
 * all be made, the mount is undone. */
static int propagate_or_undo(struct mount *m)
{
    int err = pnode_propagate_mount(m);
    if (err == 0)
        return 0;
    struct mount *copies[16];
    int n = pnode_umount_list(m, copies, 16);
    for (int i = 0; i < n; i++) {
        detach_tree(copies[i]);
        mntput(copies[i]);
    }
    detach_tree(m);
    return err;
}

int mount_attach_root(struct super_block *sb, const char *source)
{
    struct mount *m = mount_alloc(sb, sb->root, source, 0);
    if (!m)
        return -ENOMEM;
    m->parent = m;
    m->mountpoint = dget(sb->root);
    m->attached = true;
    list_add_tail(&m->link, &mount_list);
    root_mount = m;
    return 0;
}

/* A new mount of sb (the caller's reference goes to it) on where. */
static int mount_sb(struct path *where, struct super_block *sb, const char *source,
                    unsigned long flags, struct mount **out)
{
    struct mount *m = mount_alloc(sb, sb->root, source, flags);
    if (!m) {
        sb_put(sb);
        return -ENOMEM;
    }
    mount_attach(m, where);
    int err = propagate_or_undo(m);
    if (err < 0)
        return err;
    if (out)
        *out = m;
    return 0;
}

/* The block device behind the block special file `source` names (Linux's lookup_bdev). */
static int lookup_bdev(const char *source, struct block_device **out)
{
    if (!source || !*source)
        return -EINVAL;
    struct path p;
    int err = path_lookupat(AT_FDCWD, source, LOOKUP_FOLLOW, &p);
    if (err < 0)
        return err;
    struct inode *inode = p.dentry->inode;
    if (!S_ISBLK(inode->mode))
        err = -ENOTBLK;
    else if (p.mnt->flags & MS_NODEV)
        err = -EACCES;
    else if (!(*out = blkdev_lookup_by_devt(inode->rdev)))
        err = -ENXIO;
    path_put(&p);
    return err;
}

/* Mount type from bdev (a filesystem on a block device) or from source and data. */
static int do_mount(struct path *where, struct file_system_type *type, struct block_device *bdev,
                    const char *source, unsigned long flags, const char *data, struct mount **out)
{
    if (!S_ISDIR(where->dentry->inode->mode))
        return -ENOTDIR;
    struct super_block *sb;
    int err = type->nodev ? type->get_sb(type, source, flags, data, &sb)
                          : get_sb_bdev(type, bdev, flags, data, &sb);
    if (err < 0)
        return err;
    return mount_sb(where, sb, source, flags, out);
}

int vfs_kern_mount_data(struct path *where, const char *fstype, const char *source,
                        unsigned long flags, const char *data)
{
    struct file_system_type *type = find_filesystem(fstype);
    if (!type)
        return -ENODEV;
    struct block_device *bdev = NULL;
    if (!type->nodev) {
        int err = lookup_bdev(source, &bdev);
        if (err < 0)
            return err;
    }
    return do_mount(where, type, bdev, source, flags, data, NULL);
}

int vfs_kern_mount(struct path *where, const char *fstype, const char *source,
                   unsigned long flags)
{
    return vfs_kern_mount_data(where, fstype, source, flags, NULL);
}

int vfs_mount_bdev(struct path *where, const char *fstype, struct block_device *bdev,
                   const char *source, unsigned long flags, struct mount **out)
{
    struct file_system_type *type = find_filesystem(fstype);
    if (!type)
        return -ENODEV;
    return do_mount(where, type, bdev, source, flags, NULL, out);
}

int vfs_sync_all(void)
{
    int err = 0;
    mutex_lock(&vfs_ns_lock);
    struct mount *m, *o;
    list_for_each_entry(m, &mount_list, link) {
        const struct super_operations *ops = m->sb->sops;
        if (!ops || !ops->sync_fs)
            continue;
        bool seen = false;      /* one sync per superblock, however often it is mounted */
        list_for_each_entry(o, &mount_list, link) {
            if (o == m)
                break;
            if (o->sb == m->sb)
                seen = true;
        }
        if (seen)
            continue;
        int e = ops->sync_fs(m->sb);
        if (!err)
            err = e;
    }
    mutex_unlock(&vfs_ns_lock);
    int e = sync_all_block_devices();
    return err ? err : e;
}

/* ---- mount(2) ---- */

static char *copy_opt_string(uaddr_t u, size_t max)
{
    if (!u)
        return NULL;
    char *s = kmalloc(max);
    if (!s)
        return ERR_PTR(-ENOMEM);
    long n = strncpy_from_user(s, u, max);
    if (n < 0) {
        kfree(s);
        return ERR_PTR(n);
    }
    return s;
}

static int do_remount(struct path *p, unsigned long flags)
{
    if (p->dentry != p->mnt->root)
        return -EINVAL;
    struct mount *m = p->mnt;
    if (flags & MS_BIND) {
        m->flags = flags & MNT_USER_FLAGS;
        return 0;
    }
    /* Superblock-level read-only plus the per-mount flags. The filesystem switches first
     * (writes back and marks itself clean, or refuses to go read-write). */
    if (m->sb->sops && m->sb->sops->remount) {
        int err = m->sb->sops->remount(m->sb, flags);
        if (err < 0)
            return err;
    }
    m->flags = flags & MNT_USER_FLAGS;
    if (flags & MS_RDONLY)
        m->sb->flags |= MS_RDONLY;
    else
        m->sb->flags &= ~MS_RDONLY;
    return 0;
}

static int do_bind(struct path *target, const char *source, unsigned long flags)
{
    struct path src;
    int err = path_lookupat(AT_FDCWD, source, LOOKUP_FOLLOW, &src);
    if (err < 0)
        return err;
    if (S_ISDIR(src.dentry->inode->mode) != S_ISDIR(target->dentry->inode->mode)) {
        path_put(&src);
        return -ENOTDIR;
    }
    if (src.mnt->unbindable) {
        path_put(&src);
        return -EINVAL;
    }
    struct mount *m = mount_alloc(src.mnt->sb, src.dentry, src.mnt->source, flags);
    if (!m) {
        path_put(&src);
        return -ENOMEM;
    }
    atomic_inc_return(&src.mnt->sb->refcount);
    pnode_bind(src.mnt, m);
    mount_attach(m, target);
    path_put(&src);
    return propagate_or_undo(m);
}

static bool is_below(struct mount *m, struct mount *top)
{
    for (;; m = m->parent) {
        if (m == top)
            return true;
        if (m == m->parent)
            return false;
    }
}

/* mount --make-[r]{shared,private,slave,unbindable}: one type, on a mount's root. */
static int do_change_type(struct path *p, unsigned long flags)
{
    unsigned long type = flags & ~(MS_REC | MS_SILENT);
    if (type != MS_SHARED && type != MS_PRIVATE && type != MS_SLAVE && type != MS_UNBINDABLE)
        return -EINVAL;
    if (p->dentry != p->mnt->root)
        return -EINVAL;
    if (!(flags & MS_REC)) {
        pnode_set_type(p->mnt, type);
        return 0;
    }
    /* The mount list only changes under vfs_ns_lock, which we hold. */
    struct mount *it;
    list_for_each_entry(it, &mount_list, link)
        if (is_below(it, p->mnt))
            pnode_set_type(it, type);
    return 0;
}

static int do_move(struct path *target, const char *source)
{
    struct path src;
    int err = path_lookupat(AT_FDCWD, source, LOOKUP_FOLLOW, &src);
    if (err < 0)
        return err;
    struct mount *m = src.mnt;
    if (src.dentry != m->root || m == root_mount) {
        path_put(&src);
        return -EINVAL;
    }
    /* Moving a mount below itself would detach it from the tree. */
    for (struct mount *p = target->mnt; ; p = p->parent) {
        if (p == m) {
            path_put(&src);
            return -ELOOP;
        }
        if (p == p->parent)
            break;
    }
    mntget(m);
    mount_detach(m);
    mount_attach(m, target);
    path_put(&src);
    return 0;
}

SYSCALL_DEFINE5(mount, uaddr_t, dev_name, uaddr_t, dir_name, uaddr_t, type, unsigned long, flags,
                uaddr_t, data)
{
    if (!fs_capable())
        return -EPERM;
    /* The magic number some old programs put in the high bits. */
    if ((flags & MS_MGC_MSK) == MS_MGC_VAL)
        flags &= 0xffff;
    char *target = getname(dir_name);
    if (IS_ERR(target))
        return PTR_ERR(target);
    char *source = copy_opt_string(dev_name, PATH_MAX);
    char *fstype = copy_opt_string(type, 256);
    /* Filesystem options ("size=64m,mode=755"): text for every filesystem here; each
     * get_sb parses its own (tmpfs does; the others take none and ignore it). */
    char *options = copy_opt_string(data, PAGE_SIZE);
    long err = 0;
    if (IS_ERR(source) || IS_ERR(fstype) || IS_ERR(options)) {
        err = IS_ERR(source) ? PTR_ERR(source) : IS_ERR(fstype) ? PTR_ERR(fstype)
                                                                  : PTR_ERR(options);
        goto out_strings;
    }
    struct path where;
    err = path_lookupat(AT_FDCWD, target, LOOKUP_FOLLOW, &where);
    if (err < 0)
        goto out_strings;
    mutex_lock(&vfs_ns_lock);
    if (flags & MS_REMOUNT)
        err = do_remount(&where, flags);
    else if (flags & MS_BIND)
        err = source ? do_bind(&where, source, flags) : -EINVAL;
    else if (flags & MS_MOVE)
        err = source ? do_move(&where, source) : -EINVAL;
    else if (flags & (MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE))
        err = do_change_type(&where, flags);
    else if (!fstype)
        err = -EINVAL;
    else
        err = vfs_kern_mount_data(&where, fstype, source, flags, options);
    mutex_unlock(&vfs_ns_lock);
    path_put(&where);
out_strings:
    if (!IS_ERR(source))
        kfree(source);
    if (!IS_ERR(fstype))
        kfree(fstype);
    if (!IS_ERR(options))
        kfree(options);
    kfree(target);
    return err;
}

static void detach_tree(struct mount *m)
{
    /* Children first, so no mount is left pointing at a detached parent. */
    for (;;) {
        struct mount *child = NULL, *it;
        spin_lock(&mount_lock);
        list_for_each_entry(it, &mount_list, link) {
            if (it->parent == m && it != m) {
                child = it;
                break;
            }
        }
        spin_unlock(&mount_lock);
        if (!child)
            break;
        detach_tree(child);
    }
    pnode_forget(m);
    mount_detach(m);
}

SYSCALL_DEFINE2(umount2, uaddr_t, name, int, flags)
{
    if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW))
        return -EINVAL;
    if (!fs_capable())
        return -EPERM;
    char *kname = getname(name);
    if (IS_ERR(kname))
        return PTR_ERR(kname);
    struct path p;
    long err = path_lookupat(AT_FDCWD, kname, (flags & UMOUNT_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, &p);
    kfree(kname);
    if (err < 0)
        return err;
    struct mount *m = p.mnt;
    mutex_lock(&vfs_ns_lock);
    if (p.dentry != m->root || !m->attached) {
        err = -EINVAL;
    } else if (m == root_mount) {
        err = -EBUSY;
    } else {
        /* The copies propagation made go too (they hold a reference from the list). */
        struct mount *copies[16];
        int n = pnode_umount_list(m, copies, 16);
        if (n < 0) {
            err = n;
            n = 0;
        }
        /* Our lookup holds one reference and the attachment another. */
        bool busy = mount_has_children(m) || READ_ONCE(m->refcount) > 2;
        for (int i = 0; i < n; i++)
            busy |= READ_ONCE(copies[i]->refcount) > 2;
        if (err == 0 && !(flags & MNT_DETACH) && busy) {
            err = -EBUSY;
        } else if (err == 0) {
            for (int i = 0; i < n; i++)
                detach_tree(copies[i]);
            detach_tree(m);
        }
        for (int i = 0; i < n; i++)
            mntput(copies[i]);
    }
    mutex_unlock(&vfs_ns_lock);
    path_put(&p);
    return err;
}

/* ---- /proc/mounts and mountinfo ---- */

struct show_buf {
    char *buf;
    size_t size, len;
};

static void show_str(struct show_buf *s, const char *str)
{
    size_t n = strlen(str);
    for (size_t i = 0; i < n; i++) {
        /* Escape what would break the space-separated format, like Linux. */
        char c = str[i];
        char esc[5];
        const char *out = &str[i];
        size_t outn = 1;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)('0' + ((c >> 6) & 7));
            esc[2] = (char)('0' + ((c >> 3) & 7));
            esc[3] = (char)('0' + (c & 7));
            out = esc;
            outn = 4;
        }
        for (size_t j = 0; j < outn; j++, s->len++)
            if (s->len + 1 < s->size)
                s->buf[s->len] = out[j];
    }
}

static void show_raw(struct show_buf *s, const char *str)
{
    for (; *str; str++, s->len++)
        if (s->len + 1 < s->size)
            s->buf[s->len] = *str;
}

static void show_fmt(struct show_buf *s, const char *fmt, long a, long b)
{
    char tmp[48];
    ksnprintf(tmp, sizeof tmp, fmt, a, b);
    show_raw(s, tmp);
}

/* The mount's root inside its filesystem ("/" unless it is a bind of a subtree): a walk of
 * dentries only, through a mount that never crosses into another. */
static int root_in_fs(struct mount *m, char *buf, size_t size)
{
    struct mount fs = { .root = m->sb->root, .attached = true };
    fs.parent = &fs;
    struct path from = { &fs, m->root }, top = { &fs, m->sb->root };
    return path_to_string(&from, &top, buf, size);
}

/* /proc/mounts, or (info) /proc/<pid>/mountinfo: Linux's formats. */
static int show_mounts(char *buf, size_t size, bool info)
{
    struct show_buf s = { buf, size, 0 };
    struct path root;
    fs_get_root(&root);
    char *pathbuf = kmalloc(2 * PATH_MAX);
    if (!pathbuf) {
        path_put(&root);
        return -ENOMEM;
    }
    char *rootbuf = pathbuf + PATH_MAX;
    mutex_lock(&vfs_ns_lock);
    struct mount *m;
    list_for_each_entry(m, &mount_list, link) {
        /* The mount's own root, named from current's root: a root filesystem mounted over
         * the initial rootfs shows as "/", and the rootfs under it is hidden, as in Linux. */
        struct path mp = { m, m->root };
        int off = path_to_string(&mp, &root, pathbuf, PATH_MAX);
        if (off < 0)
            continue;      /* outside our root */
        if (info) {
            int roff = root_in_fs(m, rootbuf, PATH_MAX);
            show_fmt(&s, "%ld %ld ", m->id, m->parent->id);
            show_fmt(&s, "%ld:%ld ", MAJOR(m->sb->dev), MINOR(m->sb->dev));
            show_str(&s, roff < 0 ? "/" : rootbuf + roff);
            show_raw(&s, " ");
        } else {
            show_str(&s, m->source);
            show_raw(&s, " ");
        }
        show_str(&s, pathbuf + off);
        if (!info) {
            show_raw(&s, " ");
            show_str(&s, m->sb->type->name);
        }
        show_raw(&s, mnt_readonly(m) ? " ro" : " rw");
        if (m->flags & MS_NOSUID)
            show_raw(&s, ",nosuid");
        if (m->flags & MS_NODEV)
            show_raw(&s, ",nodev");
        if (m->flags & MS_NOEXEC)
            show_raw(&s, ",noexec");
        if (m->flags & MS_NOATIME)
            show_raw(&s, ",noatime");
        else
            show_raw(&s, ",relatime");
        if (!info) {
            show_raw(&s, " 0 0\n");
            continue;
        }
        if (pnode_group(m))
            show_fmt(&s, " shared:%ld", pnode_group(m), 0);
        if (pnode_master_group(m))
            show_fmt(&s, " master:%ld", pnode_master_group(m), 0);
        if (m->unbindable)
            show_raw(&s, " unbindable");
        show_raw(&s, " - ");
        show_str(&s, m->sb->type->name);
        show_raw(&s, " ");
        show_str(&s, m->source);
        show_raw(&s, (m->sb->flags & MS_RDONLY) ? " ro\n" : " rw\n");
    }
    mutex_unlock(&vfs_ns_lock);
    kfree(pathbuf);
    path_put(&root);
    if (size)
        buf[s.len < size ? s.len : size - 1] = 0;
    return (int)s.len;
}

int vfs_mounts_show(char *buf, size_t size)
{
    return show_mounts(buf, size, false);
}

int vfs_mountinfo_show(char *buf, size_t size)
{
    return show_mounts(buf, size, true);
}
