/* read, write and friends: the vectored and positional forms, lseek, sendfile and
 * copy_file_range. */
#include "vfs.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"

/* Linux caps one transfer so the byte count always fits a positive int. */
#define MAX_RW_COUNT 0x7ffff000UL
#define UIO_MAXIOV 1024

static bool file_is_stream(struct file *f)
{
    mode_t m = f->inode->mode;
    return S_ISFIFO(m) || S_ISSOCK(m);
}

long sys_read(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a3; (void)a4; (void)a5;
    struct file *f = fget((int)a0);
    if (!f)
        return -EBADF;
    size_t n = MIN((size_t)a2, MAX_RW_COUNT);
    struct uio u = uio_user((uaddr_t)a1, n);
    loff_t pos = f->pos;
    ssize_t r = vfs_read(f, &u, &pos);
    if (r > 0)
        f->pos = pos;
    file_put(f);
    return r;
}

long sys_write(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a3; (void)a4; (void)a5;
    struct file *f = fget((int)a0);
    if (!f)
        return -EBADF;
    size_t n = MIN((size_t)a2, MAX_RW_COUNT);
    struct uio u = uio_user((uaddr_t)a1, n);
    loff_t pos = f->pos;
    ssize_t r = vfs_write(f, &u, &pos);
    if (r > 0)
        f->pos = pos;
    file_put(f);
    return r;
}

long sys_pread64(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a4; (void)a5;
    loff_t pos = (loff_t)a3;
    if (pos < 0)
        return -EINVAL;
    struct file *f = fget((int)a0);
    if (!f)
        return -EBADF;
    ssize_t r;
    if (file_is_stream(f)) {
        r = -ESPIPE;
    } else {
        struct uio u = uio_user((uaddr_t)a1, MIN((size_t)a2, MAX_RW_COUNT));
        r = vfs_read(f, &u, &pos);
    }
    file_put(f);
    return r;
}

long sys_pwrite64(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a4; (void)a5;
    loff_t pos = (loff_t)a3;
    if (pos < 0)
        return -EINVAL;
    struct file *f = fget((int)a0);
    if (!f)
        return -EBADF;
    ssize_t r;
    if (file_is_stream(f)) {
        r = -ESPIPE;
    } else {
        struct uio u = uio_user((uaddr_t)a1, MIN((size_t)a2, MAX_RW_COUNT));
        r = vfs_write(f, &u, &pos);
    }
    file_put(f);
    return r;
}

struct iovec_k {
    uint64_t base;
    uint64_t len;
};

/* Read the iovec array; returns the number of entries or -errno. *iov is kmalloc'd. */
static int import_iovec(uaddr_t uiov, long cnt, struct iovec_k **iov, size_t *total)
{
    if (cnt < 0 || cnt > UIO_MAXIOV)
        return -EINVAL;
    *iov = NULL;
    *total = 0;
    if (cnt == 0)
        return 0;
    struct iovec_k *v = kmalloc(sizeof(*v) * (size_t)cnt);
    if (!v)
        return -ENOMEM;
    if (copy_from_user(v, uiov, sizeof(*v) * (size_t)cnt) < 0) {
        kfree(v);
        return -EFAULT;
    }
    size_t sum = 0;
    for (long i = 0; i < cnt; i++) {
        if (v[i].len > (uint64_t)INT64_MAX || sum + v[i].len > (uint64_t)INT64_MAX) {
            kfree(v);
            return -EINVAL;
        }
        /* Clamp the total like Linux: later segments get what is left. */
        if (sum + v[i].len > MAX_RW_COUNT)
            v[i].len = MAX_RW_COUNT - sum;
        sum += v[i].len;
    }
    *iov = v;
    *total = sum;
    return (int)cnt;
}

static ssize_t do_iov(struct file *f, uaddr_t uiov, long cnt, loff_t *pos, bool write)
{
    struct iovec_k *iov;
    size_t total;
    int n = import_iovec(uiov, cnt, &iov, &total);
    if (n < 0)
        return n;
    if (!(f->fmode & (write ? FMODE_WRITE : FMODE_READ))) {
        kfree(iov);
        return -EBADF;
    }
    /* Sockets (net/socket.c; weak so host unit tests link without it): one sendmsg/recvmsg
     * for the whole vector, so a datagram is not split per segment. */
    extern ssize_t sock_iov_rw(struct file *f, const void *iov, unsigned n, bool write)
        __attribute__((weak));
    if (S_ISSOCK(f->inode->mode) && sock_iov_rw) {
        ssize_t r = sock_iov_rw(f, iov, (unsigned)n, write);
        if (r != -ENOTSOCK) {
            kfree(iov);
            return r;
        }
    }
    ssize_t done = 0;
    for (int i = 0; i < n; i++) {
        if (iov[i].len == 0)
            continue;
        struct uio u = uio_user((uaddr_t)iov[i].base, (size_t)iov[i].len);
        ssize_t r = write ? vfs_write(f, &u, pos) : vfs_read(f, &u, pos);
        if (r < 0) {
            if (!done)
                done = r;
            break;
        }
        done += r;
        if ((uint64_t)r < iov[i].len)
            break;
    }
    kfree(iov);
    return done;
}

static long vec_common(long fd, long uiov, long cnt, loff_t pos, bool positional, bool write)
{
    if (positional && pos < 0)
        return -EINVAL;
    struct file *f = fget((int)fd);
    if (!f)
        return -EBADF;
    ssize_t r;
    if (positional) {
        r = file_is_stream(f) ? -ESPIPE : do_iov(f, (uaddr_t)uiov, cnt, &pos, write);
    } else {
        loff_t p = f->pos;
        r = do_iov(f, (uaddr_t)uiov, cnt, &p, write);
        if (r > 0)
            f->pos = p;
    }
    file_put(f);
    return r;
}

long sys_readv(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a3; (void)a4; (void)a5;
    return vec_common(a0, a1, a2, 0, false, false);
}

long sys_writev(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a3; (void)a4; (void)a5;
    return vec_common(a0, a1, a2, 0, false, true);
}

long sys_preadv(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a4; (void)a5;
    return vec_common(a0, a1, a2, (loff_t)a3, true, false);
}

long sys_pwritev(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a4; (void)a5;
    return vec_common(a0, a1, a2, (loff_t)a3, true, true);
}

long sys_preadv2(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a5;
    /* pos -1: use and update the file position. flags (a5) are hints we can ignore. */
    if ((loff_t)a3 == -1)
        return vec_common(a0, a1, a2, 0, false, false);
    (void)a4;
    return vec_common(a0, a1, a2, (loff_t)a3, true, false);
}

long sys_pwritev2(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a5;
    if ((loff_t)a3 == -1)
        return vec_common(a0, a1, a2, 0, false, true);
    (void)a4;
    return vec_common(a0, a1, a2, (loff_t)a3, true, true);
}

long sys_lseek(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a3; (void)a4; (void)a5;
    struct file *f = fget((int)a0);
    if (!f)
        return -EBADF;
    int whence = (int)a2;
    loff_t r;
    if (whence < 0 || whence > 4)
        r = -EINVAL;
    else if (f->ops->llseek)
        r = f->ops->llseek(f, (loff_t)a1, whence);
    else
        r = generic_llseek(f, (loff_t)a1, whence);
    file_put(f);
    return r;
}

/* ---- Copying between files ---- */

#define COPY_CHUNK 65536

static ssize_t copy_between(struct file *in, loff_t *inpos, struct file *out, loff_t *outpos,
                            size_t count)
{
    if (!(in->fmode & FMODE_READ) || !(out->fmode & FMODE_WRITE))
        return -EBADF;
    if (S_ISDIR(in->inode->mode) || S_ISDIR(out->inode->mode))
        return -EISDIR;
    size_t chunk = MIN(count, (size_t)COPY_CHUNK);
    if (chunk == 0)
        return 0;
    char *buf = kmalloc(chunk);
    if (!buf)
        return -ENOMEM;
    ssize_t done = 0;
    while ((size_t)done < count) {
        size_t want = MIN(chunk, count - (size_t)done);
        struct uio u = uio_kernel(buf, want);
        loff_t rp = *inpos;
        ssize_t r = vfs_read(in, &u, &rp);
        if (r <= 0) {
            if (!done)
                done = r;
            break;
        }
        struct uio w = uio_kernel(buf, (size_t)r);
        ssize_t wr = vfs_write(out, &w, outpos);
        if (wr <= 0) {
            if (!done)
                done = wr;
            break;
        }
        /* Only what was written counts as consumed from the input. */
        *inpos += wr;
        done += wr;
        if (wr < r || signal_pending(current))
            break;
    }
    kfree(buf);
    return done;
}

long sys_sendfile(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a4; (void)a5;
    struct file *out = fget((int)a0);
    if (!out)
        return -EBADF;
    struct file *in = fget((int)a1);
    if (!in) {
        file_put(out);
        return -EBADF;
    }
    size_t count = MIN((size_t)a3, MAX_RW_COUNT);
    uaddr_t uoff = (uaddr_t)a2;
    loff_t inpos = in->pos;
    long r;
    if (uoff) {
        int64_t off;
        if (copy_from_user(&off, uoff, 8) < 0) {
            r = -EFAULT;
            goto out;
        }
        if (off < 0) {
            r = -EINVAL;
            goto out;
        }
        inpos = off;
    }
    loff_t outpos = out->pos;
    r = copy_between(in, &inpos, out, &outpos, count);
    if (r > 0) {
        out->pos = outpos;
        if (uoff) {
            if (copy_to_user(uoff, &inpos, 8) < 0)
                r = -EFAULT;
        } else {
            in->pos = inpos;
        }
    }
out:
    file_put(in);
    file_put(out);
    return r;
}

long sys_copy_file_range(long a0, long a1, long a2, long a3, long a4, long a5)
{
    if (a5 != 0)
        return -EINVAL;
    struct file *in = fget((int)a0);
    if (!in)
        return -EBADF;
    struct file *out = fget((int)a2);
    if (!out) {
        file_put(in);
        return -EBADF;
    }
    long r;
    loff_t inpos = in->pos, outpos = out->pos;
    uaddr_t uin = (uaddr_t)a1, uout = (uaddr_t)a3;
    if (!S_ISREG(in->inode->mode) || !S_ISREG(out->inode->mode)) {
        r = S_ISDIR(in->inode->mode) || S_ISDIR(out->inode->mode) ? -EISDIR : -EINVAL;
        goto out;
    }
    if ((uin && copy_from_user(&inpos, uin, 8) < 0) || (uout && copy_from_user(&outpos, uout, 8) < 0)) {
        r = -EFAULT;
        goto out;
    }
    if (inpos < 0 || outpos < 0) {
        r = -EINVAL;
        goto out;
    }
    if (out->flags & O_APPEND) {
        r = -EBADF;
        goto out;
    }
    r = copy_between(in, &inpos, out, &outpos, MIN((size_t)a4, MAX_RW_COUNT));
    if (r > 0) {
        if (uin ? copy_to_user(uin, &inpos, 8) < 0 : (in->pos = inpos, false))
            r = -EFAULT;
        if (uout ? copy_to_user(uout, &outpos, 8) < 0 : (out->pos = outpos, false))
            r = -EFAULT;
    }
out:
    file_put(in);
    file_put(out);
    return r;
}
