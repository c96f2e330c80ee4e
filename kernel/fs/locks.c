/* Advisory file locks: POSIX record locks (fcntl F_GETLK/F_SETLK/F_SETLKW, owned by the fd
 * table, released by any close of the file through it), open-file-description locks (F_OFD_*)
 * and flock() locks (owned by the open file, released with its last reference). POSIX and
 * flock locks do not conflict with each other, as in Linux. No deadlock detection. */
#include "fs.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"
#include "syscall.h"

#define OFFSET_MAX INT64_MAX

struct file_lock {
    struct list_head link;      /* in inode->locks */
    void *owner;                /* files_struct (POSIX) or struct file (OFD, flock) */
    bool flock;
    int type;
    loff_t start, end;          /* inclusive */
    pid_t pid;
};

static spinlock_t locks_lock = SPINLOCK_INIT("locks");

_Static_assert(sizeof(struct flock) == 32, "struct flock layout");

static bool overlap(const struct file_lock *a, loff_t start, loff_t end)
{
    return a->start <= end && start <= a->end;
}

static struct file_lock *find_conflict(struct inode *inode, void *owner, bool flock, int type,
                                       loff_t start, loff_t end)
{
    struct file_lock *l;
    list_for_each_entry(l, &inode->locks, link) {
        if (l->flock != flock || l->owner == owner)
            continue;
        if (!overlap(l, start, end))
            continue;
        if (type == F_WRLCK || l->type == F_WRLCK)
            return l;
    }
    return NULL;
}

/* Drop owner's coverage of [start, end]; *spare is a preallocated lock for a split. */
static void remove_range(struct inode *inode, void *owner, bool flock, loff_t start, loff_t end,
                         struct file_lock **spare)
{
    struct file_lock *l, *n;
    list_for_each_entry_safe(l, n, &inode->locks, link) {
        if (l->owner != owner || l->flock != flock || !overlap(l, start, end))
            continue;
        if (l->start >= start && l->end <= end) {
            list_del(&l->link);
            kfree(l);
        } else if (l->start < start && l->end > end) {
            struct file_lock *right = *spare;
            *spare = NULL;
            *right = *l;
            right->start = end + 1;
            l->end = start - 1;
            list_add(&right->link, &l->link);
        } else if (l->start < start) {
            l->end = start - 1;
        } else {
            l->start = end + 1;
        }
    }
}

static int lock_range(struct inode *inode, void *owner, bool flock, int type, loff_t start,
                      loff_t end, bool wait)
{
    struct file_lock *spare = kzalloc(sizeof(*spare));
    struct file_lock *fresh = type == F_UNLCK ? NULL : kzalloc(sizeof(*fresh));
    if (!spare || (type != F_UNLCK && !fresh)) {
        kfree(spare);
        kfree(fresh);
        return -ENOLCK;
    }
    int err = 0;
    for (;;) {
        spin_lock(&locks_lock);
        if (type == F_UNLCK || !find_conflict(inode, owner, flock, type, start, end))
            break;
        spin_unlock(&locks_lock);
        if (!wait) {
            kfree(spare);
            kfree(fresh);
            return -EAGAIN;
        }
        err = wait_event_interruptible(&inode->lock_wait, ({
            spin_lock(&locks_lock);
            bool free_now = !find_conflict(inode, owner, flock, type, start, end);
            spin_unlock(&locks_lock);
            free_now;
        }));
        if (err) {
            kfree(spare);
            kfree(fresh);
            return err;
        }
    }
    remove_range(inode, owner, flock, start, end, &spare);
    if (fresh) {
        fresh->owner = owner;
        fresh->flock = flock;
        fresh->type = type;
        fresh->start = start;
        fresh->end = end;
        fresh->pid = current ? current->tgid : 0;
        list_add_tail(&fresh->link, &inode->locks);
    }
    spin_unlock(&locks_lock);
    kfree(spare);
    wake_up(&inode->lock_wait);
    return 0;
}

static int flock_to_range(struct file *f, const struct flock *fl, loff_t *start, loff_t *end)
{
    loff_t base;
    switch (fl->l_whence) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = f->pos; break;
    case SEEK_END: base = f->inode->size; break;
    default: return -EINVAL;
    }
    loff_t s = base + fl->l_start;
    loff_t e;
    if (fl->l_len > 0) {
        if (fl->l_len - 1 > OFFSET_MAX - s)
            return -EOVERFLOW;
        e = s + fl->l_len - 1;
    } else if (fl->l_len == 0) {
        e = OFFSET_MAX;
    } else {
        e = s - 1;
        s += fl->l_len;
    }
    if (s < 0)
        return -EINVAL;
    *start = s;
    *end = e;
    return 0;
}

static void *posix_owner(struct file *f, bool ofd)
{
    return ofd ? (void *)f : (void *)current->files;
}

long fcntl_getlk(struct file *f, uaddr_t arg)
{
    struct flock fl;
    if (copy_from_user(&fl, arg, sizeof(fl)) < 0)
        return -EFAULT;
    if (fl.l_type != F_RDLCK && fl.l_type != F_WRLCK)
        return -EINVAL;
    loff_t start, end;
    int err = flock_to_range(f, &fl, &start, &end);
    if (err)
        return err;
    spin_lock(&locks_lock);
    /* Either owner kind: a lookup from an OFD lock sees POSIX conflicts and vice versa. */
    struct file_lock *c = find_conflict(f->inode, current->files, false, fl.l_type, start, end);
    if (c && c->owner == (void *)f)
        c = NULL;
    if (c) {
        fl.l_type = (int16_t)c->type;
        fl.l_whence = SEEK_SET;
        fl.l_start = c->start;
        fl.l_len = c->end == OFFSET_MAX ? 0 : c->end - c->start + 1;
        fl.l_pid = c->owner == (void *)f ? -1 : c->pid;
    } else {
        fl.l_type = F_UNLCK;
    }
    spin_unlock(&locks_lock);
    return copy_to_user(arg, &fl, sizeof(fl)) < 0 ? -EFAULT : 0;
}

long fcntl_setlk(struct file *f, uaddr_t arg, bool wait)
{
    struct flock fl;
    if (copy_from_user(&fl, arg, sizeof(fl)) < 0)
        return -EFAULT;
    loff_t start, end;
    int err = flock_to_range(f, &fl, &start, &end);
    if (err)
        return err;
    switch (fl.l_type) {
    case F_RDLCK:
        if (!(f->fmode & FMODE_READ))
            return -EBADF;
        break;
    case F_WRLCK:
        if (!(f->fmode & FMODE_WRITE))
            return -EBADF;
        break;
    case F_UNLCK:
        break;
    default:
        return -EINVAL;
    }
    return lock_range(f->inode, posix_owner(f, false), false, fl.l_type, start, end, wait);
}

void locks_remove_posix_owner(struct file *f, void *owner)
{
    struct file_lock *spare = NULL;
    spin_lock(&locks_lock);
    remove_range(f->inode, owner, false, 0, OFFSET_MAX, &spare);
    spin_unlock(&locks_lock);
    wake_up(&f->inode->lock_wait);
}

void locks_remove_flock(struct file *f)
{
    struct file_lock *spare = NULL;
    spin_lock(&locks_lock);
    remove_range(f->inode, f, true, 0, OFFSET_MAX, &spare);
    remove_range(f->inode, f, false, 0, OFFSET_MAX, &spare);   /* OFD locks */
    spin_unlock(&locks_lock);
    wake_up(&f->inode->lock_wait);
}

SYSCALL_DEFINE2(flock, int, fd, int, cmd)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    int type;
    switch (cmd & ~LOCK_NB) {
    case LOCK_SH: type = F_RDLCK; break;
    case LOCK_EX: type = F_WRLCK; break;
    case LOCK_UN: type = F_UNLCK; break;
    default:
        file_put(f);
        return -EINVAL;
    }
    /* A conversion first drops the old lock, as in Linux. */
    if (type != F_UNLCK)
        lock_range(f->inode, f, true, F_UNLCK, 0, OFFSET_MAX, false);
    long err = lock_range(f->inode, f, true, type, 0, OFFSET_MAX, !(cmd & LOCK_NB));
    if (err == -EAGAIN)
        err = -EWOULDBLOCK;
    file_put(f);
    return err;
}
