/* lwIP port: some lwIP files include <stdlib.h> out of habit; the kernel has no libc, and
 * lwIP's allocation goes through mem_clib_malloc (lwipopts.h), so nothing is needed here. */
#pragma once
#include <stddef.h>

/* netif_find() parses the interface number of names like "en0". */
static inline int atoi(const char *s)
{
    int v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (*s++ - '0');
    return v;
}
