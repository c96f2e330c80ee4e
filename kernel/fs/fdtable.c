/* Per-process file descriptor tables and fs_struct (root, cwd, umask), with the system calls
 * that only touch them: close, close_range, dup, dup3, fcntl, umask, chdir, fchdir, chroot. */
#include "fs.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"
#include "syscall.h"
#include "uapi/close_range.h"

struct files_struct {
    int refcount;
    spinlock_t lock;
    int max_fds;               /* size of the arrays */
    int next_fd;               /* no free slot below this */
    struct file **fd;
    uint64_t *cloexec;         /* bitmap */
};

#define FD_INITIAL 64

static struct files_struct *files_alloc(int max)
{
    struct files_struct *fs = kzalloc(sizeof(*fs));
    if (!fs)
        return NULL;
    fs->fd = kzalloc(sizeof(struct file *) * (size_t)max);
    fs->cloexec = kzalloc((size_t)max / 8);
    if (!fs->fd || !fs->cloexec) {
        kfree(fs->fd);
        kfree(fs->cloexec);
        kfree(fs);
        return NULL;
    }
    fs->max_fds = max;
    fs->refcount = 1;
    spin_init(&fs->lock, "files");
    return fs;
}

struct files_struct *files_new(void)
{
    return files_alloc(FD_INITIAL);
}

struct files_struct *files_dup(struct files_struct *old)
{
    spin_lock(&old->lock);
    int max = old->max_fds;
    spin_unlock(&old->lock);
    for (;;) {
        struct files_struct *fs = files_alloc(max);
        if (!fs)
            return NULL;
        spin_lock(&old->lock);
        if (old->max_fds != max) {      /* grew meanwhile: try again */
            max = old->max_fds;
            spin_unlock(&old->lock);
            files_put(fs);
            continue;
        }
        for (int i = 0; i < max; i++) {
            fs->fd[i] = old->fd[i];
            if (fs->fd[i])
                file_get(fs->fd[i]);
        }
        memcpy(fs->cloexec, old->cloexec, (size_t)max / 8);
        fs->next_fd = old->next_fd;
        spin_unlock(&old->lock);
        return fs;
    }
}

void files_get(struct files_struct *fs)
{
    atomic_inc_return(&fs->refcount);
}

static void close_file(struct files_struct *fs, struct file *f)
{
    /* POSIX locks belong to the fd table: any close drops them (fs/locks.c). */
    if (!list_empty(&f->inode->locks))
        locks_remove_posix_owner(f, fs);
    file_put(f);
}

void files_put(struct files_struct *fs)
{
    if (!fs || atomic_dec_return(&fs->refcount) != 0)
        return;
    for (int i = 0; i < fs->max_fds; i++)
        if (fs->fd[i])
            close_file(fs, fs->fd[i]);
    kfree(fs->fd);
    kfree(fs->cloexec);
    kfree(fs);
}

static bool test_cloexec(struct files_struct *fs, int fd)
{
    return (fs->cloexec[fd / 64] >> (fd % 64)) & 1;
}

static void set_cloexec(struct files_struct *fs, int fd, bool on)
{
    if (on)
        fs->cloexec[fd / 64] |= (uint64_t)1 << (fd % 64);
    else
        fs->cloexec[fd / 64] &= ~((uint64_t)1 << (fd % 64));
}

void files_close_on_exec(struct files_struct *fs)
{
    for (;;) {
        struct file *victim = NULL;
        spin_lock(&fs->lock);
        for (int i = 0; i < fs->max_fds; i++) {
            if (fs->fd[i] && test_cloexec(fs, i)) {
                victim = fs->fd[i];
                fs->fd[i] = NULL;
                set_cloexec(fs, i, false);
                if (i < fs->next_fd)
                    fs->next_fd = i;
                break;
            }
        }
        spin_unlock(&fs->lock);
        if (!victim)
            return;
        close_file(fs, victim);
    }
}

static struct files_struct *cur_files(void)
{
    struct task *t = current;
    return t ? t->files : NULL;
}

struct file *fget_raw(int fd)
{
    struct files_struct *fs = cur_files();
    if (!fs || fd < 0)
        return NULL;
    struct file *f = NULL;
    spin_lock(&fs->lock);
    if (fd < fs->max_fds) {
        f = fs->fd[fd];
        if (f)
            file_get(f);
    }
    spin_unlock(&fs->lock);
    return f;
}

struct file *fget(int fd)
{
    struct file *f = fget_raw(fd);
    if (f && (f->fmode & FMODE_PATH)) {
        file_put(f);
        return NULL;
    }
    return f;
}

/* Make room for fd `want`; lock held on entry and exit (dropped while allocating). */
static int expand_table(struct files_struct *fs, int want)
{
    if (want >= NR_OPEN_DEFAULT)
        return -EMFILE;
    while (want >= fs->max_fds) {
        int old = fs->max_fds;
        int max = old * 2;
        while (max <= want)
            max *= 2;
        if (max > NR_OPEN_DEFAULT)
            max = NR_OPEN_DEFAULT;
        spin_unlock(&fs->lock);
        struct file **nfd = kzalloc(sizeof(struct file *) * (size_t)max);
        uint64_t *nce = kzalloc((size_t)max / 8);
        spin_lock(&fs->lock);
        if (!nfd || !nce) {
            kfree(nfd);
            kfree(nce);
            return -ENOMEM;
        }
        if (fs->max_fds != old) {        /* someone else grew it */
            kfree(nfd);
            kfree(nce);
            continue;
        }
        memcpy(nfd, fs->fd, sizeof(struct file *) * (size_t)old);
        memcpy(nce, fs->cloexec, (size_t)old / 8);
        kfree(fs->fd);
        kfree(fs->cloexec);
        fs->fd = nfd;
        fs->cloexec = nce;
        fs->max_fds = max;
    }
    return 0;
}

int fd_alloc_from(struct file *f, int minfd, unsigned flags)
{
    struct files_struct *fs = cur_files();
    if (!fs)
        return -EMFILE;
    int limit = MIN(current_nofile_limit(), NR_OPEN_DEFAULT);
    if (minfd < 0 || minfd >= limit)
        return -EINVAL;
    spin_lock(&fs->lock);
    int fd = MAX(minfd, fs->next_fd);
    for (;;) {
        while (fd < fs->max_fds && fs->fd[fd])
            fd++;
        if (fd >= limit) {
            spin_unlock(&fs->lock);
            return -EMFILE;
        }
        if (fd < fs->max_fds)
            break;
        int err = expand_table(fs, fd);
        if (err) {
            spin_unlock(&fs->lock);
            return err;
        }
    }
    fs->fd[fd] = f;
    set_cloexec(fs, fd, flags & O_CLOEXEC);
    if (minfd <= fs->next_fd)
        fs->next_fd = fd + 1;
    spin_unlock(&fs->lock);
    return fd;
}

int fd_install_new(struct file *f, unsigned flags)
{
    return fd_alloc_from(f, 0, flags);
}

int fd_install_at(int fd, struct file *f, unsigned flags)
{
    struct files_struct *fs = cur_files();
    if (!fs)
        return -EBADF;
    if (fd < 0 || fd >= MIN(current_nofile_limit(), NR_OPEN_DEFAULT))
        return -EBADF;
    spin_lock(&fs->lock);
    int err = expand_table(fs, fd);
    if (err) {
        spin_unlock(&fs->lock);
        return err;
    }
    struct file *old = fs->fd[fd];
    fs->fd[fd] = f;
    set_cloexec(fs, fd, flags & O_CLOEXEC);
    spin_unlock(&fs->lock);
    if (old)
        close_file(fs, old);
    return fd;
}

int fd_close(int fd)
{
    struct files_struct *fs = cur_files();
    if (!fs || fd < 0)
        return -EBADF;
    spin_lock(&fs->lock);
    if (fd >= fs->max_fds || !fs->fd[fd]) {
        spin_unlock(&fs->lock);
        return -EBADF;
    }
    struct file *f = fs->fd[fd];
    fs->fd[fd] = NULL;
    set_cloexec(fs, fd, false);
    if (fd < fs->next_fd)
        fs->next_fd = fd;
    spin_unlock(&fs->lock);
    close_file(fs, f);
    return 0;
}

void fd_set_cloexec(int fd, bool on)
{
    struct files_struct *fs = cur_files();
    spin_lock(&fs->lock);
    if (fd >= 0 && fd < fs->max_fds && fs->fd[fd])
        set_cloexec(fs, fd, on);
    spin_unlock(&fs->lock);
}

int fd_get_cloexec(int fd)
{
    struct files_struct *fs = cur_files();
    int ret = -EBADF;
    spin_lock(&fs->lock);
    if (fd >= 0 && fd < fs->max_fds && fs->fd[fd])
        ret = test_cloexec(fs, fd) ? FD_CLOEXEC : 0;
    spin_unlock(&fs->lock);
    return ret;
}

/* ---- System calls ---- */

SYSCALL_DEFINE1(close, int, fd)
{
    int err = fd_close(fd);
    /* Linux never restarts close: a signal-interrupted release still closed the fd. */
    return err;
}

SYSCALL_DEFINE3(close_range, unsigned, fd, unsigned, max_fd, unsigned, flags)
{
    if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC))
        return -EINVAL;
    if (fd > max_fd)
        return -EINVAL;
    struct task *t = current;
    if ((flags & CLOSE_RANGE_UNSHARE) && READ_ONCE(t->files->refcount) > 1) {
        struct files_struct *copy = files_dup(t->files);
        if (!copy)
            return -ENOMEM;
        struct files_struct *old = t->files;
        t->files = copy;
        files_put(old);
    }
    struct files_struct *fs = t->files;
    for (unsigned cur = fd; cur <= max_fd; cur++) {
        spin_lock(&fs->lock);
        if ((int)cur >= fs->max_fds || cur >= (unsigned)NR_OPEN_DEFAULT) {
            spin_unlock(&fs->lock);
            break;
        }
        struct file *f = fs->fd[cur];
        if (f && (flags & CLOSE_RANGE_CLOEXEC)) {
            set_cloexec(fs, (int)cur, true);
            f = NULL;
        } else if (f) {
            fs->fd[cur] = NULL;
            set_cloexec(fs, (int)cur, false);
            if ((int)cur < fs->next_fd)
                fs->next_fd = (int)cur;
        }
        spin_unlock(&fs->lock);
        if (f)
            close_file(fs, f);
        if (cur == ~0u)
            break;
    }
    return 0;
}

SYSCALL_DEFINE1(dup, int, fildes)
{
    struct file *f = fget_raw(fildes);
    if (!f)
        return -EBADF;
    int fd = fd_install_new(f, 0);
    if (fd < 0)
        file_put(f);
    return fd;
}

int do_dup3(int oldfd, int newfd, unsigned flags)
{
    if (flags & ~(unsigned)O_CLOEXEC)
        return -EINVAL;
    if (oldfd == newfd)
        return -EINVAL;
    if (newfd < 0 || newfd >= NR_OPEN_DEFAULT)
        return -EBADF;
    struct file *f = fget_raw(oldfd);
    if (!f)
        return -EBADF;
    int fd = fd_install_at(newfd, f, flags);
    if (fd < 0)
        file_put(f);
    return fd;
}

SYSCALL_DEFINE3(dup3, int, oldfd, int, newfd, unsigned, flags)
{
    return do_dup3(oldfd, newfd, flags);
}

/* The flags F_SETFL may change. */
#define SETFL_MASK (O_APPEND | O_NONBLOCK | O_NOATIME | O_DIRECT | O_ASYNC)

SYSCALL_DEFINE3(fcntl, int, fd, int, cmd, unsigned long, arg)
{
    struct file *f = fget_raw(fd);
    if (!f)
        return -EBADF;
    long ret;
    bool path_only = f->fmode & FMODE_PATH;
    switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
        if (arg >= NR_OPEN_DEFAULT) {
            ret = -EINVAL;
            break;
        }
        ret = fd_alloc_from(f, (int)arg, cmd == F_DUPFD_CLOEXEC ? O_CLOEXEC : 0);
        if (ret >= 0)
            f = NULL;       /* the table owns our reference now */
        break;
    case F_GETFD:
        ret = fd_get_cloexec(fd);
        break;
    case F_SETFD:
        fd_set_cloexec(fd, arg & FD_CLOEXEC);
        ret = 0;
        break;
    case F_GETFL:
        ret = f->flags;
        break;
    case F_SETFL:
        if (path_only) {
            ret = -EBADF;
            break;
        }
        if ((arg & O_DIRECT) && f->inode && S_ISREG(f->inode->mode)) {
            ret = -EINVAL;      /* no direct I/O on files, as open(2) says */
            break;
        }
        spin_lock(&f->lock);
        f->flags = (f->flags & ~(unsigned)SETFL_MASK) | ((unsigned)arg & SETFL_MASK);
        spin_unlock(&f->lock);
        ret = 0;
        break;
    case F_GETLK:
    case F_OFD_GETLK:
        ret = path_only ? -EBADF : fcntl_getlk(f, (uaddr_t)arg);
        break;
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
        ret = path_only ? -EBADF
                        : fcntl_setlk(f, (uaddr_t)arg, cmd == F_SETLKW || cmd == F_OFD_SETLKW);
        break;
    case F_GETOWN:
    case F_SETOWN:
    case F_GETSIG:
    case F_SETSIG:
        ret = 0;    /* no SIGIO delivery */
        break;
    case F_GETPIPE_SZ:
    case F_SETPIPE_SZ:
        ret = pipe_fcntl_size(f);
        break;
    default:
        ret = -EINVAL;
        break;
    }
    if (f)
        file_put(f);
    return ret;
}

/* ---- fs_struct ---- */

struct fs_struct *fs_struct_new_root(void)
{
    struct fs_struct *fs = kzalloc(sizeof(*fs));
    if (!fs)
        return NULL;
    fs->refcount = 1;
    spin_init(&fs->lock, "fs_struct");
    fs->root.mnt = root_mount;
    fs->root.dentry = root_mount->root;
    path_get(&fs->root);
    fs->cwd = fs->root;
    path_get(&fs->cwd);
    fs->umask = 022;
    return fs;
}

struct fs_struct *fs_struct_dup(struct fs_struct *old)
{
    struct fs_struct *fs = kzalloc(sizeof(*fs));
    if (!fs)
        return NULL;
    fs->refcount = 1;
    spin_init(&fs->lock, "fs_struct");
    spin_lock(&old->lock);
    fs->root = old->root;
    fs->cwd = old->cwd;
    path_get(&fs->root);
    path_get(&fs->cwd);
    fs->umask = old->umask;
    spin_unlock(&old->lock);
    return fs;
}

void fs_struct_get(struct fs_struct *fs)
{
    atomic_inc_return(&fs->refcount);
}

void fs_struct_put(struct fs_struct *fs)
{
    if (!fs || atomic_dec_return(&fs->refcount) != 0)
        return;
    path_put(&fs->root);
    path_put(&fs->cwd);
    kfree(fs);
}

mode_t current_umask(void)
{
    struct task *t = current;
    return t && t->fs ? t->fs->umask : 022;
}

SYSCALL_DEFINE1(umask, mode_t, mask)
{
    struct fs_struct *fs = current->fs;
    spin_lock(&fs->lock);
    mode_t old = fs->umask;
    fs->umask = mask & 0777;
    spin_unlock(&fs->lock);
    return old;
}

static void set_fs_path(struct path *slot, struct path *p)
{
    struct fs_struct *fs = current->fs;
    spin_lock(&fs->lock);
    struct path old = *slot;
    *slot = *p;
    spin_unlock(&fs->lock);
    path_put(&old);
}

static int set_dir(struct path *p, bool root)
{
    int err = inode_permission(p->dentry->inode, MAY_EXEC);
    if (err) {
        path_put(p);
        return err;
    }
    struct fs_struct *fs = current->fs;
    set_fs_path(root ? &fs->root : &fs->cwd, p);
    return 0;
}

SYSCALL_DEFINE1(chdir, uaddr_t, filename)
{
    struct path p;
    int err = user_path_at(AT_FDCWD, filename, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);
    if (err)
        return err;
    return set_dir(&p, false);
}

SYSCALL_DEFINE1(fchdir, int, fd)
{
    struct file *f = fget_raw(fd);
    if (!f)
        return -EBADF;
    if (!f->dentry || !S_ISDIR(f->inode->mode)) {
        file_put(f);
        return -ENOTDIR;
    }
    struct path p = { f->mnt, f->dentry };
    path_get(&p);
    file_put(f);
    return set_dir(&p, false);
}

SYSCALL_DEFINE1(chroot, uaddr_t, filename)
{
    struct path p;
    int err = user_path_at(AT_FDCWD, filename, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);
    if (err)
        return err;
    if (!fs_capable()) {
        path_put(&p);
        return -EPERM;
    }
    return set_dir(&p, true);
}

/* ---- Another process's table, for /proc/<pid>/fd (the caller holds a files_get ref) ---- */

struct file *files_peek(struct files_struct *fs, int fd, bool *cloexec)
{
    struct file *f = NULL;
    spin_lock(&fs->lock);
    if (fd >= 0 && fd < fs->max_fds && (f = fs->fd[fd])) {
        file_get(f);
        if (cloexec)
            *cloexec = test_cloexec(fs, fd);
    }
    spin_unlock(&fs->lock);
    return f;
}

int files_next_fd(struct files_struct *fs, int from)
{
    int found = -1;
    spin_lock(&fs->lock);
    for (int i = from < 0 ? 0 : from; i < fs->max_fds; i++)
        if (fs->fd[i]) {
            found = i;
            break;
        }
    spin_unlock(&fs->lock);
    return found;
}
