/* /proc/<pid>/fd (a symlink per open fd, naming the file: "/dev/console", "pipe:[ino]",
 * "socket:[ino]"; following one opens the same file, not a file found by that name) and
 * /proc/<pid>/fdinfo (Linux's format: pos, flags, mnt_id, ino, then the lines of the file's
 * kind: eventfd, epoll, inotify, timerfd, signalfd). As in Linux 6.1, fdinfo is mode 0555 and
 * only those who may inspect the process (proc_may_inspect) can list or read it. */
#include "proc_internal.h"
#include "procinfo.h"
#include "string.h"

/* The open file behind a context (+1 reference), or NULL. */
static struct file *ctx_file(const struct proc_ctx *c, bool *cloexec)
{
    struct files_struct *files = procinfo_get_files(c->pid);
    if (!files)
        return NULL;
    struct file *f = files_peek(files, c->fd, cloexec);
    files_put(files);
    return f;
}

static int fd_link(const struct proc_ctx *c, char *buf, size_t size)
{
    struct file *f = ctx_file(c, NULL);
    if (!f)
        return -ENOENT;
    int r = file_path(f, buf, size);
    file_put(f);
    return r;
}

/* A nameless pipe is reopened through a dentry made for the purpose (below the link, never
 * hashed), as Linux reopens it through pipefs: `cmd | cat /dev/stdin` works. Other
 * nameless files (sockets, eventfds) cannot be opened this way (ENXIO, as in Linux). */
static int anon_fifo_path(const struct path *link, struct file *f, struct path *out)
{
    if (!S_ISFIFO(f->inode->mode) || !f->inode->fops)
        return -ENXIO;
    char name[32];
    int n = ksnprintf(name, sizeof name, "pipe:[%llu]", (unsigned long long)f->inode->ino);
    struct dentry *d = d_alloc(link->dentry, name, (size_t)n);
    if (!d)
        return -ENOMEM;
    iget(f->inode);
    d_instantiate(d, f->inode);
    d->flags |= DENTRY_NOCACHE;
    out->mnt = mntget(link->mnt);
    out->dentry = d;
    return 0;
}

static int fd_link_path(const struct path *link, const struct proc_ctx *c, struct path *out)
{
    struct file *f = ctx_file(c, NULL);
    if (!f)
        return -ENOENT;
    int r;
    if (f->mnt && f->dentry) {
        out->mnt = f->mnt;
        out->dentry = f->dentry;
        path_get(out);
        r = 0;
    } else {
        r = anon_fifo_path(link, f, out);
    }
    file_put(f);
    return r;
}

static int show_fdinfo(struct pseudo_buf *b, const struct proc_ctx *c)
{
    bool cloexec = false;
    struct file *f = ctx_file(c, &cloexec);
    if (!f)
        return -ENOENT;
    /* Nameless files have no mount here (Linux shows its internal pipefs/anon mount): 0. */
    pb_printf(b, "pos:\t%lld\nflags:\t0%o\nmnt_id:\t%d\nino:\t%llu\n", (long long)f->pos,
              f->flags | (cloexec ? O_CLOEXEC : 0), f->mnt ? f->mnt->id : 0,
              (unsigned long long)f->inode->ino);
    if (f->ops && f->ops->show_fdinfo)
        f->ops->show_fdinfo(b, f);
    file_put(f);
    return 0;
}

/* Linux shows the access mode in the link's permission bits. */
static const struct proc_entry fd_entries[] = {
    { .base = { "<fd>", S_IFLNK | 0500 }, .link = fd_link, .link_path = fd_link_path },
    { .base = { "<fd>", S_IFLNK | 0300 }, .link = fd_link, .link_path = fd_link_path },
    { .base = { "<fd>", S_IFLNK | 0700 }, .link = fd_link, .link_path = fd_link_path },
};
static const struct proc_entry fdinfo_entry = {
    .base = { "<fd>", S_IFREG | 0444 }, .show = show_fdinfo,
};

static long next_fd(const struct proc_ctx *c, long from)
{
    struct files_struct *files = procinfo_get_files(c->pid);
    if (!files)
        return -1;
    int fd = from > NR_OPEN_DEFAULT ? -1 : files_next_fd(files, (int)from);
    files_put(files);
    return fd;
}

static int fd_child_common(const struct proc_ctx *c, long key, struct proc_ctx *child,
                           struct file **f)
{
    if (key < 0 || key >= NR_OPEN_DEFAULT)
        return -ENOENT;
    *child = *c;
    child->fd = (int)key;
    *f = ctx_file(child, NULL);
    return *f ? 0 : -ENOENT;
}

static int fd_child(const struct proc_ctx *c, long key, struct proc_ctx *child,
                    const struct proc_entry **entry)
{
    struct file *f;
    int r = fd_child_common(c, key, child, &f);
    if (r < 0)
        return r;
    unsigned acc = f->fmode & (FMODE_READ | FMODE_WRITE);
    *entry = &fd_entries[acc == FMODE_READ ? 0 : acc == FMODE_WRITE ? 1 : 2];
    file_put(f);
    return 0;
}

static int fdinfo_child(const struct proc_ctx *c, long key, struct proc_ctx *child,
                        const struct proc_entry **entry)
{
    struct file *f;
    int r = fd_child_common(c, key, child, &f);
    if (r < 0)
        return r;
    file_put(f);
    *entry = &fdinfo_entry;
    return 0;
}

const struct proc_dir proc_fd_dir = {
    .ino_base = 0xc0,
    .next_key = next_fd,
    .key_child = fd_child,
};

static bool fdinfo_may_access(const struct proc_ctx *c)
{
    return proc_may_inspect(c->pid);
}

const struct proc_dir proc_fdinfo_dir = {
    .ino_base = 0xd0,
    .next_key = next_fd,
    .key_child = fdinfo_child,
    .may_access = fdinfo_may_access,
};
