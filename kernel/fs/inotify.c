/* inotify (Linux's fs/notify/inotify): inotify_init1, inotify_add_watch, inotify_rm_watch, and
 * the fsnotify_* hooks the VFS calls after each change (fs.h), so every filesystem (tmpfs,
 * ext2, OFS, ...) reports the same events without code of its own.
 *
 * A watch is (instance, inode, mask) with a descriptor (wd) per instance. It pins the path it
 * was added by (dentry and mount): the inode stays while watched, and the mount is busy
 * (umount fails with EBUSY rather than leaving a watch on a freed superblock; Linux sends
 * IN_UNMOUNT instead). An event on an inode goes to its own watches (no name) and, for events
 * on a directory's entries, to the directory's watches with the entry's name. Removing a watch
 * (inotify_rm_watch, the inode deleted, IN_ONESHOT) queues IN_IGNORED.
 *
 * Events are queued per instance (at most INOTIFY_MAX_EVENTS, then one IN_Q_OVERFLOW); an event
 * equal to the last one queued is merged into it, as Linux does. All of it runs in process
 * context under the big kernel lock and nothing here sleeps between looking at a list and
 * changing it (read() copies out of a kernel buffer). */
#include "fs.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"
#include "syscall.h"
#include "uapi/inotify.h"
#include "uapi/ioctls.h"

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
    struct inotify_group *group;
    struct path path;                   /* pinned */
    int wd;
    uint32_t mask;
};

struct inotify_kevent {
    struct list_head node;
    struct inotify_event ev;            /* followed by ev.len bytes of name */
};

static int watches_total;               /* the hooks' fast path: nobody watches anything */
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

/* Drop a watch; with `ignored`, tell its instance (IN_IGNORED). */
static void watch_remove(struct inotify_watch *w, bool ignored)
{
    if (ignored)
        queue_event(w->group, w->wd, IN_IGNORED, 0, NULL, 0);
    list_del(&w->inode_node);
    list_del(&w->group_node);
    watches_total--;
    path_put(&w->path);
    kfree(w);
}

static void notify_inode(struct inode *inode, uint32_t mask, uint32_t cookie, const char *name,
                         size_t namelen)
{
    if (!inode)
        return;
    struct inotify_watch *w, *n;
    list_for_each_entry_safe(w, n, &inode->inotify_watches, inode_node) {
        if (!(w->mask & mask & IN_ALL_EVENTS))
            continue;
        queue_event(w->group, w->wd, mask, cookie, name, namelen);
        if (w->mask & IN_ONESHOT)
            watch_remove(w, true);
    }
}

static uint32_t isdir_bit(const struct inode *inode)
{
    return inode && S_ISDIR(inode->mode) ? IN_ISDIR : 0;
}

/* ---- the VFS hooks ---- */

void fsnotify_dentry(struct dentry *d, uint32_t mask)
{
    if (!watches_total || !d || !d->inode)
        return;
    mask |= isdir_bit(d->inode);
    notify_inode(d->inode, mask, 0, NULL, 0);
    if (d->parent && d->parent != d)
        notify_inode(d->parent->inode, mask, 0, d->name, d->name_len);
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
    if (f->dentry && f->dentry->inode == f->inode)
        fsnotify_dentry(f->dentry, mask);
    else
        fsnotify_inode(f->inode, mask);
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

/* The inode lost its last name: IN_DELETE_SELF, then every watch on it goes. */
static void inode_deleted(struct inode *inode)
{
    notify_inode(inode, IN_DELETE_SELF, 0, NULL, 0);
    while (!list_empty(&inode->inotify_watches))
        watch_remove(list_first_entry(&inode->inotify_watches, struct inotify_watch, inode_node),
                     true);
}

void fsnotify_delete(struct inode *dir, const char *name, size_t len, struct inode *inode)
{
    if (!watches_total)
        return;
    bool isdir = S_ISDIR(inode->mode);
    if (!isdir)
        notify_inode(inode, IN_ATTRIB, 0, NULL, 0);     /* the link count changed */
    notify_inode(dir, IN_DELETE | isdir_bit(inode), 0, name, len);
    if (isdir || inode->nlink == 0)
        inode_deleted(inode);
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
    notify_inode(moved, IN_MOVE_SELF | dirbit, 0, NULL, 0);
    if (replaced) {
        if (!S_ISDIR(replaced->mode))
            notify_inode(replaced, IN_ATTRIB, 0, NULL, 0);
        if (S_ISDIR(replaced->mode) || replaced->nlink == 0)
            inode_deleted(replaced);
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

static const struct file_operations inotify_fops = {
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
    w->path = *p;
    path_get(&w->path);
    w->wd = ++g->last_wd;
    list_add_tail(&w->inode_node, &inode->inotify_watches);
    list_add_tail(&w->group_node, &g->watches);
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
