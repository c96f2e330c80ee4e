/* The walk over a mount option string and its numbers (include/mount_opts.h). */
#include "mount_opts.h"
#include "errno.h"
#include "string.h"

int mount_opts_next(struct mount_opts *it, char **name, char **val)
{
    while (it->rest && *it->rest) {
        const char *data = it->rest;
        const char *comma = strchr(data, ',');
        size_t len = comma ? (size_t)(comma - data) : strlen(data);
        if (len >= sizeof it->buf)
            return -EINVAL;
        memcpy(it->buf, data, len);
        it->buf[len] = 0;
        it->rest = data + len + (data[len] == ',');
        if (!it->buf[0])
            continue;
        *name = it->buf;
        *val = strchr(it->buf, '=');
        if (*val)
            *(*val)++ = 0;
        return 1;
    }
    return 0;
}

int mount_opt_u32(const char *s, unsigned base, uint32_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return -EINVAL;
    for (; *s; s++) {
        unsigned d = (*s >= '0' && *s <= '9') ? (unsigned)(*s - '0') : base;
        if (d >= base)
            return -EINVAL;
        v = v * base + d;
        if (v > 0xffffffffu)
            return -EINVAL;
    }
    *out = (uint32_t)v;
    return 0;
}
