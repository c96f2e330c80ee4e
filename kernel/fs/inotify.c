/* inotify (Linux's fs/notify/inotify): inotify_init1, inotify_add_watch, inotify_rm_watch, and
 * the fsnotify_* hooks the VFS calls after each change (fs.h), so every filesystem (tmpfs,
 * ext2, OFS, ...) reports the same events without code of its own.
 *
 * A watch is (instance, inode, mask) with a descriptor (wd) per instance. It holds a reference
 * on the inode and, while the inode has a name, on the dentry it was added by, so lookups keep
 * finding the same inode (procfs and overlay make a new one per dentry); it does not hold the
 * mount. An event on an inode goes to its own watches (no name) and, for events on a
 * directory's entries, to the directory's watches with the entry's name.
 *
 * A watch goes, with IN_IGNORED queued, on inotify_rm_watch, after an IN_ONESHOT event, when
 * the inode is gone and when its filesystem is. As in Linux:
 * - unlink of the last name sends IN_ATTRIB (the link count), and IN_DELETE_SELF only when the
 *   last dentry of the inode goes: at once if nobody else uses it (before the directory's
 *   IN_DELETE, as Linux's d_delete_notify), else at the last close, chdir away or munmap
 *   (fsnotify_last_dput, called by dput); rmdir and a rename over a file likewise;
 * - when the filesystem shuts down (the last mount of the superblock is unmounted, or a lazy
 *   unmount's last user goes), each watched inode's watches get IN_UNMOUNT, then IN_IGNORED
 *   (fsnotify_sb_delete, from generic_shutdown_super);
 * - IN_MOVE_SELF and IN_DELETE_SELF never carry IN_ISDIR (inotify never did), others do;
 * - a watch with IN_EXCL_UNLINK hears nothing from an open file whose name is gone (opens,
 *   reads, writes, closes through it), neither on the file nor on its old directory.
 *
 * Events are queued per instance (at most INOTIFY_MAX_EVENTS, then one IN_Q_OVERFLOW); an event
 * equal to the last one queued is merged into it, as Linux does. All of it runs in process
 * context under the big kernel lock and nothing here sleeps between looking at a list and
 * changing it (read() copies out of a kernel buffer). Dropping a watch's dentry can free it
 * and so re-enter fsnotify_last_dput: loops that drop watches restart from the list head. */
#include "fs.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"
#include "syscall.h"
#include "uapi/inotify.h"
#include "uapi/ioctls.h"
#include "pseudofs.h"

#define INOTIFY_MAX_EVENTS 16384        /* /proc/sys/fs/inotify/max_queued_events */
#define INOTIFY_MAX_WATCHES 8192        /* per instance (Linux: max_user_watches per user) */
#define INOTIFY_VALID_BITS (IN_ALL_EVENTS | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK | \
                            IN_MASK_CREATE | IN_MASK_ADD | IN_ONESHOT)

struct inotify_group {
    struct list_head watches;
    struct list_head events;
    unsigned nevents;
    size_t bytes;                       /* FIONREAD */
    int last_wd;
    struct wait_queue wq;
};

struct inotify_watch {
    struct list_head inode_node;        /* inode->inotify_watches */
    struct list_head group_node;
    struct list_head all_node;          /* all_watches: for fsnotify_sb_delete */
    struct inotify_group *group;
    struct inode *inode;                /* +1 reference */
    struct dentry *dentry;              /* +1 reference while the inode has a name, or NULL */
    int wd;
    uint32_t mask;                      /* IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK bits */
    bool unlinked;                      /* the inode lost its last name */
    bool dying;                         /* IN_ONESHOT fired: to be removed */
};

struct inotify_kevent {
    struct list_head node;
    struct inotify_event ev;            /* followed by ev.len bytes of name */
};

static int watches_total;               /* the hooks' fast path: nobody watches anything */
static LIST_HEAD(all_watches);
static uint32_t next_cookie;

static const struct file_operations inotify_fops;

/* ---- queueing ---- */

static size_t padded_len(size_t namelen)
{
    return namelen ? (namelen + 1 + sizeof(struct inotify_event) - 1) &
                         ~(sizeof(struct inotify_event) - 1)
                   : 0;
}

static void queue_event(struct inotify_group *g, int wd, uint32_t mask, uint32_t cookie,
                        const char *name, size_t namelen)
{
    size_t len = padded_len(namelen);
    if (!list_empty(&g->events)) {
        struct inotify_kevent *last = list_entry(g->events.prev, struct inotify_kevent, node);
        if (last->ev.mask == IN_Q_OVERFLOW)
            return;
        if (last->ev.wd == wd && last->ev.mask == mask && last->ev.cookie == cookie &&
            last->ev.len == len && (!len || !memcmp(last->ev.name, name, namelen)))
            return;     /* the same event again: merged */
    }
    bool overflow = g->nevents >= INOTIFY_MAX_EVENTS;
    if (overflow) {
        wd = -1;
        mask = IN_Q_OVERFLOW;
        cookie = 0;
        len = namelen = 0;
    }
    struct inotify_kevent *e = kzalloc(sizeof(*e) + len);
    if (!e)
        return;
    e->ev.wd = wd;
    e->ev.mask = mask;
    e->ev.cookie = cookie;
    e->ev.len = (uint32_t)len;
    if (namelen)
        memcpy(e->ev.name, name, namelen);
    list_add_tail(&e->node, &g->events);
    g->nevents++;
    g->bytes += sizeof(struct inotify_event) + len;
    wake_up(&g->wq);
}

/* Drop a watch; with `ignored`, tell its instance (IN_IGNORED). Dropping the dentry may free
 * it and re-enter fsnotify_last_dput, which drops other watches of the inode: a caller that
 * walks a watch list starts again from its head afterwards. */
static void watch_remove(struct inotify_watch *w, bool ignored)
{
    if (ignored)
        queue_event(w->group, w->wd, IN_IGNORED, 0, NULL, 0);
    list_del(&w->inode_node);
    list_del(&w->group_node);
    list_del(&w->all_node);
    watches_total--;
    struct dentry *d = w->dentry;
    struct inode *inode = w->inode;
    kfree(w);
    dput(d);
    iput(inode);
}

/* How an event is sent: to every watch whatever it asked for (IN_UNMOUNT); from an open file
 * whose name is gone (watches with IN_EXCL_UNLINK skip it). */
#define TO_ALL 1u
#define FROM_UNLINKED 2u

/* Queue mask to every watch of inode that asked for it. */
static void notify_watches(struct inode *inode, uint32_t mask, uint32_t cookie, const char *name,
                           size_t namelen, unsigned how)
{
    struct inotify_watch *w;
    bool oneshot = false;
    /* IN_MOVE_SELF and IN_DELETE_SELF never carry IN_ISDIR in inotify (Linux masks it). */
    if (mask & (IN_MOVE_SELF | IN_DELETE_SELF))
        mask &= ~IN_ISDIR;
    list_for_each_entry(w, &inode->inotify_watches, inode_node) {
        if (w->dying || !((how & TO_ALL) || (w->mask & mask & IN_ALL_EVENTS)))
            continue;
        if ((how & FROM_UNLINKED) && (w->mask & IN_EXCL_UNLINK))
            continue;
        queue_event(w->group, w->wd, mask, cookie, name, namelen);
        if (w->mask & IN_ONESHOT)
            oneshot = w->dying = true;
    }
    while (oneshot) {
        oneshot = false;
        list_for_each_entry(w, &inode->inotify_watches, inode_node) {
            if (w->dying) {
                watch_remove(w, true);
                oneshot = true;
                break;
            }
        }
    }
}

static void notify_inode(struct inode *inode, uint32_t mask, uint32_t cookie, const char *name,
                         size_t namelen)
{
    if (inode && !list_empty(&inode->inotify_watches))
        notify_watches(inode, mask, cookie, name, namelen, 0);
}

static uint32_t isdir_bit(const struct inode *inode)
{
    return inode && S_ISDIR(inode->mode) ? IN_ISDIR : 0;
}

/* ---- the VFS hooks ---- */

static void notify_dentry(struct dentry *d, uint32_t mask, unsigned how)
{
    mask |= isdir_bit(d->inode);
    if (!list_empty(&d->inode->inotify_watches))
        notify_watches(d->inode, mask, 0, NULL, 0, how);
    struct inode *dir = d->parent && d->parent != d ? d->parent->inode : NULL;
    if (dir && !list_empty(&dir->inotify_watches))
        notify_watches(dir, mask, 0, d->name, d->name_len, how);
}

void fsnotify_dentry(struct dentry *d, uint32_t mask)
{
    if (watches_total && d && d->inode)
        notify_dentry(d, mask, 0);
}

void fsnotify_inode(struct inode *inode, uint32_t mask)
{
    if (watches_total)
        notify_inode(inode, mask | isdir_bit(inode), 0, NULL, 0);
}

void fsnotify_file(struct file *f, uint32_t mask)
{
    if (!watches_total || (f->fmode & FMODE_PATH))
        return;
    struct dentry *d = f->dentry;
    if (d && d->inode == f->inode) {
        /* IN_EXCL_UNLINK's test, Linux's d_unlinked: the name was removed (unhashed; and no
         * name is left: synthetic filesystems never hash theirs). */
        bool unlinked = !(d->flags & DENTRY_HASHED) && d->parent != d && d->inode->nlink == 0;
        notify_dentry(d, mask, unlinked ? FROM_UNLINKED : 0);
    } else {
        fsnotify_inode(f->inode, mask);
    }
}

void fsnotify_create(struct inode *dir, struct dentry *d)
{
    if (watches_total && d->inode)
        notify_inode(dir, IN_CREATE | isdir_bit(d->inode), 0, d->name, d->name_len);
}

void fsnotify_link(struct inode *dir, struct dentry *d, struct inode *inode)
{
    if (!watches_total)
        return;
    notify_inode(inode, IN_ATTRIB, 0, NULL, 0);
    notify_inode(dir, IN_CREATE, 0, d->name, d->name_len);
}

/* Every watch of inode goes, each with IN_IGNORED after `first` (0: none), which all of them
 * get whatever they asked for. */
static void drop_all_watches(struct inode *inode, uint32_t first)
{
    if (first)
        notify_watches(inode, first, 0, NULL, 0, TO_ALL);
    while (!list_empty(&inode->inotify_watches))
        watch_remove(list_first_entry(&inode->inotify_watches, struct inotify_watch, inode_node),
                     true);
}

/* The inode's last dentry is gone: IN_DELETE_SELF to those who asked, IN_IGNORED to all. */
static void inode_removed(struct inode *inode)
{
    notify_inode(inode, IN_DELETE_SELF, 0, NULL, 0);
    drop_all_watches(inode, 0);
}

/* The inode lost its last name: its watches stop holding a dentry (which lookups no longer
 * reach), so that the last user's dput sees the last dentry go. */
static void inode_unlinked(struct inode *inode)
{
    struct inotify_watch *w;
    list_for_each_entry(w, &inode->inotify_watches, inode_node)
        w->unlinked = true;
    for (bool again = true; again;) {
        again = false;
        list_for_each_entry(w, &inode->inotify_watches, inode_node) {
            if (w->dentry) {
                struct dentry *d = w->dentry;
                w->dentry = NULL;
                dput(d);        /* may free it: fsnotify_last_dput */
                again = true;
                break;
            }
        }
    }
}

static bool inode_is_gone(struct inode *inode)
{
    if (inode->nlink == 0)
        return true;
    struct inotify_watch *w = list_first_entry(&inode->inotify_watches, struct inotify_watch,
                                               inode_node);
    return w->unlinked;
}

void fsnotify_last_dput(struct inode *inode)
{
    if (watches_total && inode && !list_empty(&inode->inotify_watches) && inode_is_gone(inode))
        inode_removed(inode);
}

void fsnotify_delete(struct inode *dir, const char *name, size_t len, struct dentry *d)
{
    if (!watches_total)
        return;
    struct inode *inode = d->inode;
    bool isdir = S_ISDIR(inode->mode);
    if (!isdir)
        notify_inode(inode, IN_ATTRIB, 0, NULL, 0);     /* the link count changed */
    if ((isdir || inode->nlink == 0) && !list_empty(&inode->inotify_watches)) {
        inode_unlinked(inode);
        /* Nobody but the caller uses the dentry: it goes now (Linux's d_delete). */
        if (READ_ONCE(d->refcount) == 1)
            fsnotify_last_dput(inode);
    }
    notify_inode(dir, IN_DELETE | isdir_bit(inode), 0, name, len);
}

void fsnotify_move(struct inode *odir, const char *oname, size_t olen, struct inode *ndir,
                   const char *nname, size_t nlen, struct inode *moved, struct inode *replaced)
{
    if (!watches_total)
        return;
    uint32_t cookie = ++next_cookie;
    uint32_t dirbit = isdir_bit(moved);
    notify_inode(odir, IN_MOVED_FROM | dirbit, cookie, oname, olen);
    notify_inode(ndir, IN_MOVED_TO | dirbit, cookie, nname, nlen);
    if (replaced) {
        notify_inode(replaced, IN_ATTRIB | isdir_bit(replaced), 0, NULL, 0);
        /* IN_DELETE_SELF when the replaced dentry goes (the caller's dput). */
        if ((S_ISDIR(replaced->mode) || replaced->nlink == 0) &&
            !list_empty(&replaced->inotify_watches))
            inode_unlinked(replaced);
    }
    notify_inode(moved, IN_MOVE_SELF, 0, NULL, 0);
}

/* The filesystem of sb is shutting down: each watched inode's watches get IN_UNMOUNT, then
 * IN_IGNORED (Linux's fsnotify_unmount_inodes). */
void fsnotify_sb_delete(struct super_block *sb)
{
    for (;;) {
        struct inotify_watch *w, *found = NULL;
        list_for_each_entry(w, &all_watches, all_node) {
            if (w->inode->sb == sb) {
                found = w;
                break;
            }
        }
        if (!found)
            return;
        struct inode *inode = found->inode;
        iget(inode);        /* the last watch's iput must not free it under us */
        drop_all_watches(inode, IN_UNMOUNT | isdir_bit(inode));
        iput(inode);
    }
}

/* ---- the inotify file ---- */

static ssize_t inotify_read(struct file *f, struct uio *to, loff_t *pos)
{
    (void)pos;
    struct inotify_group *g = f->private_data;
    for (;;) {
        if (!list_empty(&g->events))
            break;
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        int err = wait_event_interruptible(&g->wq, !list_empty(&g->events));
        if (err)
            return err;
    }
    /* Whole events only: as many as fit; none fitting is EINVAL. */
    size_t total = 0;
    struct inotify_kevent *e;
    list_for_each_entry(e, &g->events, node) {
        size_t sz = sizeof(struct inotify_event) + e->ev.len;
        if (total + sz > to->resid)
            break;
        total += sz;
    }
    if (!total)
        return -EINVAL;
    char *buf = kmalloc(total);
    if (!buf)
        return -ENOMEM;
    size_t off = 0;
    while (off < total) {
        e = list_first_entry(&g->events, struct inotify_kevent, node);
        size_t sz = sizeof(struct inotify_event) + e->ev.len;
        memcpy(buf + off, &e->ev, sz);
        off += sz;
        list_del(&e->node);
        g->nevents--;
        g->bytes -= sz;
        kfree(e);
    }
    int err = uio_copyout(to, buf, total);
    kfree(buf);
    return err < 0 ? err : (ssize_t)total;
}

static unsigned inotify_poll(struct file *f, struct poll_table *pt)
{
    struct inotify_group *g = f->private_data;
    poll_wait(f, &g->wq, pt);
    return list_empty(&g->events) ? 0 : POLLIN | POLLRDNORM;
}

static long inotify_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
    struct inotify_group *g = f->private_data;
    if (cmd != FIONREAD)
        return -ENOTTY;
    uint32_t n = (uint32_t)g->bytes;
    return copy_to_user(arg, &n, sizeof(n)) < 0 ? -EFAULT : 0;
}

static void inotify_release(struct file *f)
{
    struct inotify_group *g = f->private_data;
    while (!list_empty(&g->watches))
        watch_remove(list_first_entry(&g->watches, struct inotify_watch, group_node), false);
    while (!list_empty(&g->events)) {
        struct inotify_kevent *e = list_first_entry(&g->events, struct inotify_kevent, node);
        list_del(&e->node);
        kfree(e);
    }
    kfree(g);
}

/* Linux's inotify_fdinfo, newest watch first (no file handle: openv has no exportfs). */
static void inotify_show_fdinfo(struct pseudo_buf *b, struct file *f)
{
    struct inotify_group *g = f->private_data;
    struct inotify_watch *w;
    for (struct list_head *p = g->watches.prev; p != &g->watches; p = p->prev) {
        w = list_entry(p, struct inotify_watch, group_node);
        pb_printf(b, "inotify wd:%x ino:%llx sdev:%x mask:%x ignored_mask:0 \n", w->wd,
                  (unsigned long long)w->inode->ino, fdinfo_sdev(w->inode), w->mask);
    }
}

static const struct file_operations inotify_fops = {
    .show_fdinfo = inotify_show_fdinfo,
    .read = inotify_read,
    .poll = inotify_poll,
    .ioctl = inotify_ioctl,
    .release = inotify_release,
    .llseek = noop_llseek,
};

SYSCALL_DEFINE1(inotify_init1, int, flags)
{
    if (flags & ~(IN_CLOEXEC | IN_NONBLOCK))
        return -EINVAL;
    struct inotify_group *g = kzalloc(sizeof(*g));
    if (!g)
        return -ENOMEM;
    list_init(&g->watches);
    list_init(&g->events);
    wait_queue_init(&g->wq);
    struct file *f = anon_inode_file_new("inotify", &inotify_fops, g,
                                         O_RDONLY | (flags & IN_NONBLOCK));
    if (!f) {
        kfree(g);
        return -ENFILE;
    }
    int fd = fd_install_new(f, flags & IN_CLOEXEC ? O_CLOEXEC : 0);
    if (fd < 0)
        file_put(f);
    return fd;
}

static struct file *inotify_fget(int fd, int *err)
{
    struct file *f = fget(fd);
    if (!f) {
        *err = -EBADF;
        return NULL;
    }
    if (f->ops != &inotify_fops) {
        file_put(f);
        *err = -EINVAL;
        return NULL;
    }
    return f;
}

static long add_watch(struct inotify_group *g, struct path *p, uint32_t mask)
{
    struct inode *inode = p->dentry->inode;
    uint32_t events = mask & (IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK);
    struct inotify_watch *w;
    list_for_each_entry(w, &inode->inotify_watches, inode_node) {
        if (w->group != g)
            continue;
        if (mask & IN_MASK_CREATE)
            return -EEXIST;
        w->mask = (mask & IN_MASK_ADD) ? w->mask | events : events;
        return w->wd;
    }
    int count = 0;
    list_for_each_entry(w, &g->watches, group_node)
        count++;
    if (count >= INOTIFY_MAX_WATCHES)
        return -ENOSPC;
    w = kzalloc(sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->group = g;
    w->mask = events;
    w->inode = inode;
    iget(inode);
    /* An inode without a name (open, unlinked, reached through /proc/<pid>/fd) is only held:
     * its last dput is still to come. */
    if (!list_empty(&inode->inotify_watches) ? inode_is_gone(inode) : inode->nlink == 0)
        w->unlinked = true;
    else
        w->dentry = dget(p->dentry);
    w->wd = ++g->last_wd;
    list_add_tail(&w->inode_node, &inode->inotify_watches);
    list_add_tail(&w->group_node, &g->watches);
    list_add_tail(&w->all_node, &all_watches);
    watches_total++;
    return w->wd;
}

SYSCALL_DEFINE3(inotify_add_watch, int, fd, uaddr_t, upath, uint32_t, mask)
{
    if (!(mask & INOTIFY_VALID_BITS))
        return -EINVAL;
    if ((mask & IN_MASK_ADD) && (mask & IN_MASK_CREATE))
        return -EINVAL;
    int err;
    struct file *f = inotify_fget(fd, &err);
    if (!f)
        return err;
    unsigned flags = (mask & IN_DONT_FOLLOW) ? 0 : LOOKUP_FOLLOW;
    if (mask & IN_ONLYDIR)
        flags |= LOOKUP_DIRECTORY;
    struct path p;
    long ret = user_path_at(AT_FDCWD, upath, flags, &p);
    if (ret == 0) {
        if ((mask & IN_ONLYDIR) && !S_ISDIR(p.dentry->inode->mode))
            ret = -ENOTDIR;
        else
            ret = inode_permission(p.dentry->inode, MAY_READ);
        if (ret == 0)
            ret = add_watch(f->private_data, &p, mask);
        path_put(&p);
    }
    file_put(f);
    return ret;
}

SYSCALL_DEFINE2(inotify_rm_watch, int, fd, int, wd)
{
    int err;
    struct file *f = inotify_fget(fd, &err);
    if (!f)
        return err;
    struct inotify_group *g = f->private_data;
    struct inotify_watch *w;
    long ret = -EINVAL;
    list_for_each_entry(w, &g->watches, group_node) {
        if (w->wd == wd) {
            watch_remove(w, true);
            ret = 0;
            break;
        }
    }
    file_put(f);
    return ret;
}
