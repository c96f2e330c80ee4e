/* Checked copies between kernel and user memory (uaccess.h). The range check happens here;
 * the copy itself is in arch/riscv/uaccess.S, whose faults the trap handler resolves or
 * turns into an early return. */
#include "kernel.h"
#include "uaccess.h"
#include "memlayout.h"
#include "mm.h"
#include "uapi/limits.h"
#include "asm/entry.h"

static inline bool user_range_ok(uaddr_t a, size_t n) { return a <= USER_TOP && n <= USER_TOP - a; }

bool access_ok(uaddr_t a, size_t n) { return user_range_ok(a, n); }

int copy_from_user(void *dst, uaddr_t src, size_t n)
{
    if (!user_range_ok(src, n))
        return -EFAULT;
    return __uaccess_copy(dst, (const void *)src, n) ? -EFAULT : 0;
}

int copy_to_user(uaddr_t dst, const void *src, size_t n)
{
    if (!user_range_ok(dst, n))
        return -EFAULT;
    return __uaccess_copy((void *)dst, src, n) ? -EFAULT : 0;
}

int clear_user(uaddr_t dst, size_t n)
{
    if (!user_range_ok(dst, n))
        return -EFAULT;
    return __uaccess_clear((void *)dst, n) ? -EFAULT : 0;
}

int futex_atomic_cmpxchg_user(uaddr_t uaddr, uint32_t old, uint32_t new, uint32_t *found)
{
    if ((uaddr & 3) || !user_range_ok(uaddr, 4))
        return -EFAULT;
    return __uaccess_cmpxchg32((uint32_t *)uaddr, old, new, found) ? -EFAULT : 0;
}

int get_user_u32(uint32_t *v, uaddr_t a)
{
    if (a & 3)
        return copy_from_user(v, a, 4);
    if (!user_range_ok(a, 4))
        return -EFAULT;
    return __uaccess_get32((const uint32_t *)a, v) ? -EFAULT : 0;
}

int get_user_u64(uint64_t *v, uaddr_t a)
{
    if (a & 7)
        return copy_from_user(v, a, 8);
    if (!user_range_ok(a, 8))
        return -EFAULT;
    return __uaccess_get64((const uint64_t *)a, v) ? -EFAULT : 0;
}

int put_user_u32(uint32_t v, uaddr_t a)
{
    if (a & 3)
        return copy_to_user(a, &v, 4);
    if (!user_range_ok(a, 4))
        return -EFAULT;
    return __uaccess_put32((uint32_t *)a, v) ? -EFAULT : 0;
}

int put_user_u64(uint64_t v, uaddr_t a)
{
    if (a & 7)
        return copy_to_user(a, &v, 8);
    if (!user_range_ok(a, 8))
        return -EFAULT;
    return __uaccess_put64((uint64_t *)a, v) ? -EFAULT : 0;
}

long strncpy_from_user(char *dst, uaddr_t src, size_t max)
{
    if (max == 0)
        return -ENAMETOOLONG;
    if (src >= USER_TOP)
        return -EFAULT;
    size_t lim = MIN(max, (size_t)(USER_TOP - src));
    long r = __uaccess_strncpy(dst, (const char *)src, lim);
    if (r < 0)
        return -EFAULT;
    if ((size_t)r == lim) {
        dst[lim - 1] = 0;
        return lim == max ? -ENAMETOOLONG : -EFAULT;
    }
    return r;
}

char *getname(uaddr_t upath)
{
    char *buf = kmalloc(PATH_MAX);
    if (!buf)
        return (char *)(long)-ENOMEM;
    long r = strncpy_from_user(buf, upath, PATH_MAX);
    if (r < 0) {
        kfree(buf);
        return (char *)r;
    }
    if (r == 0) {
        kfree(buf);
        return (char *)(long)-ENOENT;
    }
    return buf;
}
