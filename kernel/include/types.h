/* Basic kernel types. The kernel is freestanding: only GCC's freestanding headers are used. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

typedef int64_t ssize_t;
typedef int64_t off_t;
typedef int64_t loff_t;
typedef int32_t pid_t;
typedef uint32_t uid_t;
typedef uint32_t gid_t;
typedef uint32_t mode_t;
typedef uint64_t dev_t;
typedef uint64_t ino_t;
typedef uint64_t paddr_t;   /* a physical address */
typedef unsigned long uaddr_t; /* an address in user space: never dereference it directly */

/* Marks a pointer-sized value that came from user space (documentation only). */
#define __user

/* Linux dev_t encoding as seen by user space (new_encode_dev). */
#define MKDEV(ma, mi) ((dev_t)(((uint64_t)(ma) << 32) | (uint32_t)(mi)))
#define MAJOR(d) ((unsigned)((d) >> 32))
#define MINOR(d) ((unsigned)((d) & 0xffffffffu))
static inline uint64_t dev_to_user(dev_t d)
{
    unsigned ma = MAJOR(d), mi = MINOR(d);
    return ((uint64_t)(mi & 0xff)) | ((uint64_t)(ma & 0xfff) << 8) |
           ((uint64_t)(mi & ~0xffu) << 12) | ((uint64_t)(ma & ~0xfffu) << 32);
}
static inline dev_t dev_from_user(uint64_t u)
{
    unsigned ma = (unsigned)(((u >> 8) & 0xfff) | ((u >> 32) & ~0xfffu));
    unsigned mi = (unsigned)((u & 0xff) | ((u >> 12) & ~0xffu));
    return MKDEV(ma, mi);
}
