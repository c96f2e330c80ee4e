/* The one checked path between kernel and user memory.
 *
 * Every access to a user address goes through these functions: they check that the range is
 * in user space, fault pages in (demand-zero, COW) as the user would, set sstatus.SUM only for
 * the copy, and turn an unresolvable fault into -EFAULT instead of a kernel panic. */
#pragma once
#include "types.h"

int copy_from_user(void *dst, uaddr_t src, size_t n);      /* 0 or -EFAULT */
/* Linux's access_ok: [a, a + n) lies in user space. What read(2) and write(2) check first, so
 * a kernel address is EFAULT even for a file that would not touch the buffer (/dev/null, a
 * read at end of file). */
bool access_ok(uaddr_t a, size_t n);
int copy_to_user(uaddr_t dst, const void *src, size_t n);  /* 0 or -EFAULT */
int clear_user(uaddr_t dst, size_t n);                     /* 0 or -EFAULT */
/* Copies a NUL-terminated string of at most max-1 bytes; returns its length, -EFAULT, or
 * -ENAMETOOLONG if no NUL was found within max bytes. */
long strncpy_from_user(char *dst, uaddr_t src, size_t max);

/* Atomically: if the user word at uaddr (4-aligned) is old, make it new. *found is the value
 * it had (== old: swapped). 0, or -EFAULT (bad, misaligned or unmappable address); the fault
 * is resolved as a user write would be, like the copies'. Futexes use it for every update of
 * a lock word another thread may change at the same time. */
int futex_atomic_cmpxchg_user(uaddr_t uaddr, uint32_t old, uint32_t new, uint32_t *found);

/* One user word, 0 or -EFAULT. An aligned word is moved by a single load or store, as
 * Linux's get_user/put_user: a word that another thread changes meanwhile is read as its old
 * or its new value, never half of each (a futex word, an owner TID), and a store is seen
 * whole. A misaligned one is copied (no such promise). */
int get_user_u32(uint32_t *v, uaddr_t a);
int get_user_u64(uint64_t *v, uaddr_t a);
int put_user_u32(uint32_t v, uaddr_t a);
int put_user_u64(uint64_t v, uaddr_t a);

/* A path from user space into a kmalloc'd PATH_MAX buffer; returns it or an ERR_PTR-style
 * negative errno cast to a pointer (check with IS_ERR_VALUE). Free with kfree. */
char *getname(uaddr_t upath);
