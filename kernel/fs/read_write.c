/* read, write and friends: the vectored and positional forms, lseek, sendfile and
 * copy_file_range. */
#include "fs.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"
#include "syscall.h"
#include "uapi/uio.h"

/* Linux caps one transfer so the byte count always fits a positive int. */

static bool file_is_stream(struct file *f)
{
    mode_t m = f->inode->mode;
    return S_ISFIFO(m) || S_ISSOCK(m);
}

static inline ssize_t vfs_rw(struct file *f, struct uio *u, loff_t *pos, bool write)
{
    return write ? vfs_write(f, u, pos) : vfs_read(f, u, pos);
}

/* read and write: at the file position, which moves by what was transferred. */
static inline long rw_at_file_pos(int fd, uaddr_t buf, size_t count, bool write)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    struct uio u = uio_user(buf, count);   /* vfs_rw checks, then caps it */
    loff_t pos = f->pos;
    ssize_t r = vfs_rw(f, &u, &pos, write);
    if (r > 0)
        f->pos = pos;
    file_put(f);
    return r;
}

/* pread64 and pwrite64: at pos, leaving the file position alone. */
static long rw_at(int fd, uaddr_t buf, size_t count, loff_t pos, bool write)
{
    if (pos < 0)
        return -EINVAL;
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    ssize_t r;
    if (file_is_stream(f)) {
        r = -ESPIPE;
    } else {
        struct uio u = uio_user(buf, count);   /* vfs_rw checks, then caps it */
        r = vfs_rw(f, &u, &pos, write);
    }
    file_put(f);
    return r;
}

SYSCALL_DEFINE3(read, int, fd, uaddr_t, buf, size_t, count)
{
    return rw_at_file_pos(fd, buf, count, false);
}

SYSCALL_DEFINE3(write, int, fd, uaddr_t, buf, size_t, count)
{
    return rw_at_file_pos(fd, buf, count, true);
}

SYSCALL_DEFINE4(pread64, int, fd, uaddr_t, buf, size_t, count, loff_t, pos)
{
    return rw_at(fd, buf, count, pos, false);
}

SYSCALL_DEFINE4(pwrite64, int, fd, uaddr_t, buf, size_t, count, loff_t, pos)
{
    return rw_at(fd, buf, count, pos, true);
}

/* Read the iovec array; returns the number of entries or -errno. *iov is kmalloc'd. */
static int import_iovec(uaddr_t uiov, unsigned long cnt, struct iovec **iov, size_t *total)
{
    if (cnt > UIO_MAXIOV)
        return -EINVAL;
    *iov = NULL;
    *total = 0;
    if (cnt == 0)
        return 0;
    struct iovec *v = kmalloc(sizeof(*v) * (size_t)cnt);
    if (!v)
        return -ENOMEM;
    if (copy_from_user(v, uiov, sizeof(*v) * (size_t)cnt) < 0) {
        kfree(v);
        return -EFAULT;
    }
    size_t sum = 0;
    for (unsigned long i = 0; i < cnt; i++) {
        if (v[i].iov_len > (uint64_t)INT64_MAX || sum + v[i].iov_len > (uint64_t)INT64_MAX) {
            kfree(v);
            return -EINVAL;
        }
        if (!access_ok(v[i].iov_base, v[i].iov_len)) {   /* every segment, as Linux */
            kfree(v);
            return -EFAULT;
        }
        /* Clamp the total like Linux: later segments get what is left. */
        if (sum + v[i].iov_len > MAX_RW_COUNT)
            v[i].iov_len = MAX_RW_COUNT - sum;
        sum += v[i].iov_len;
    }
    *iov = v;
    *total = sum;
    return (int)cnt;
}

static ssize_t do_iov(struct file *f, uaddr_t uiov, unsigned long cnt, loff_t *pos,
                      bool write)
{
    struct iovec *iov;
    size_t total;
    int n = import_iovec(uiov, cnt, &iov, &total);
    if (n < 0)
        return n;
    if (!(f->fmode & (write ? FMODE_WRITE : FMODE_READ))) {
        kfree(iov);
        return -EBADF;
    }
    if (S_ISSOCK(f->inode->mode)) {
        ssize_t r = sock_iov_rw(f, iov, (unsigned)n, write);
        if (r != -ENOTSOCK) {
            kfree(iov);
            return r;
        }
    }
    ssize_t done = 0;
    for (int i = 0; i < n; i++) {
        if (iov[i].iov_len == 0)
            continue;
        struct uio u = uio_user(iov[i].iov_base, iov[i].iov_len);
        ssize_t r = vfs_rw(f, &u, pos, write);
        if (r < 0) {
            if (!done)
                done = r;
            break;
        }
        done += r;
        if ((uint64_t)r < iov[i].iov_len)
            break;
    }
    kfree(iov);
    return done;
}

/* The readv/preadv family. Positional: at pos (>= 0), leaving the file position alone;
 * otherwise at the file position, which moves by what was transferred. */
static long vec_common(int fd, uaddr_t uiov, unsigned long cnt, loff_t pos, bool positional,
                       bool write)
{
    if (positional && pos < 0)
        return -EINVAL;
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    ssize_t r;
    if (positional) {
        r = file_is_stream(f) ? -ESPIPE : do_iov(f, uiov, cnt, &pos, write);
    } else {
        loff_t p = f->pos;
        r = do_iov(f, uiov, cnt, &p, write);
        if (r > 0)
            f->pos = p;
    }
    file_put(f);
    return r;
}

SYSCALL_DEFINE3(readv, int, fd, uaddr_t, vec, unsigned long, vlen)
{
    return vec_common(fd, vec, vlen, 0, false, false);
}

SYSCALL_DEFINE3(writev, int, fd, uaddr_t, vec, unsigned long, vlen)
{
    return vec_common(fd, vec, vlen, 0, false, true);
}

/* On a 64-bit machine pos_l holds the whole offset; Linux ignores pos_h (argument 4). */
SYSCALL_DEFINE4(preadv, int, fd, uaddr_t, vec, unsigned long, vlen, loff_t, pos_l)
{
    return vec_common(fd, vec, vlen, pos_l, true, false);
}

SYSCALL_DEFINE4(pwritev, int, fd, uaddr_t, vec, unsigned long, vlen, loff_t, pos_l)
{
    return vec_common(fd, vec, vlen, pos_l, true, true);
}

/* pos_l -1: use and update the file position. The flags (argument 5, after pos_h) are hints
 * we can ignore. */
SYSCALL_DEFINE4(preadv2, int, fd, uaddr_t, vec, unsigned long, vlen, loff_t, pos_l)
{
    if (pos_l == -1)
        return vec_common(fd, vec, vlen, 0, false, false);
    return vec_common(fd, vec, vlen, pos_l, true, false);
}

SYSCALL_DEFINE4(pwritev2, int, fd, uaddr_t, vec, unsigned long, vlen, loff_t, pos_l)
{
    if (pos_l == -1)
        return vec_common(fd, vec, vlen, 0, false, true);
    return vec_common(fd, vec, vlen, pos_l, true, true);
}

SYSCALL_DEFINE3(lseek, int, fd, off_t, offset, int, whence)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    loff_t r;
    if (whence < 0 || whence > SEEK_MAX)
        r = -EINVAL;
    else if (f->ops->llseek)
        r = f->ops->llseek(f, offset, whence);
    else
        r = generic_llseek(f, offset, whence);
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

SYSCALL_DEFINE4(sendfile, int, out_fd, int, in_fd, uaddr_t, offset, size_t, count)
{
    struct file *out = fget(out_fd);
    if (!out)
        return -EBADF;
    struct file *in = fget(in_fd);
    if (!in) {
        file_put(out);
        return -EBADF;
    }
    count = MIN(count, MAX_RW_COUNT);
    loff_t inpos = in->pos;
    long r;
    if (offset) {
        int64_t off;
        if (copy_from_user(&off, offset, 8) < 0) {
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
        if (offset) {
            if (copy_to_user(offset, &inpos, 8) < 0)
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

/* flags is checked whole (Linux truncates it to unsigned int first). */
SYSCALL_DEFINE6(copy_file_range, int, fd_in, uaddr_t, off_in, int, fd_out, uaddr_t, off_out,
                size_t, len, unsigned long, flags)
{
    if (flags != 0)
        return -EINVAL;
    struct file *in = fget(fd_in);
    if (!in)
        return -EBADF;
    struct file *out = fget(fd_out);
    if (!out) {
        file_put(in);
        return -EBADF;
    }
    long r;
    loff_t inpos = in->pos, outpos = out->pos;
    if (!S_ISREG(in->inode->mode) || !S_ISREG(out->inode->mode)) {
        r = S_ISDIR(in->inode->mode) || S_ISDIR(out->inode->mode) ? -EISDIR : -EINVAL;
        goto out;
    }
    if ((off_in && copy_from_user(&inpos, off_in, 8) < 0) ||
        (off_out && copy_from_user(&outpos, off_out, 8) < 0)) {
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
    r = copy_between(in, &inpos, out, &outpos, MIN(len, MAX_RW_COUNT));
    if (r > 0) {
        if (off_in ? copy_to_user(off_in, &inpos, 8) < 0 : (in->pos = inpos, false))
            r = -EFAULT;
        if (off_out ? copy_to_user(off_out, &outpos, 8) < 0 : (out->pos = outpos, false))
            r = -EFAULT;
    }
out:
    file_put(in);
    file_put(out);
    return r;
}
