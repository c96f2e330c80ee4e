/* Control-message buffers: validation, walking and appending (see include/cmsg.h). Only
 * memcpy and the types are needed, so the host fuzz target compiles this file as it is. */
#include "cmsg.h"
#include "errno.h"
#include "string.h"

int cmsg_validate(const void *buf, size_t len)
{
    size_t off = 0;
    while (len - off >= sizeof(struct cmsghdr)) {
        const struct cmsghdr *c = (const void *)((const char *)buf + off);
        if (c->cmsg_len < sizeof(struct cmsghdr) || c->cmsg_len > len - off)
            return -EINVAL;
        size_t step = KCMSG_ALIGN((size_t)c->cmsg_len);
        if (step >= len - off)
            break;
        off += step;
    }
    return 0;
}

struct cmsghdr *cmsg_first(void *buf, size_t len)
{
    if (!buf || len < sizeof(struct cmsghdr))
        return NULL;
    struct cmsghdr *c = buf;
    if (c->cmsg_len < sizeof(struct cmsghdr) || c->cmsg_len > len)
        return NULL;
    return c;
}

struct cmsghdr *cmsg_next(void *buf, size_t len, struct cmsghdr *c)
{
    size_t off = (size_t)((char *)c - (char *)buf);
    if (off >= len || c->cmsg_len > len - off)
        return NULL;
    size_t step = KCMSG_ALIGN((size_t)c->cmsg_len);
    if (step >= len - off || len - off - step < sizeof(struct cmsghdr))
        return NULL;
    struct cmsghdr *n = (struct cmsghdr *)((char *)c + step);
    if (n->cmsg_len < sizeof(struct cmsghdr) || n->cmsg_len > len - off - step)
        return NULL;
    return n;
}

int cmsg_append(void *buf, size_t cap, size_t *used, int level, int type, const void *data,
                size_t len)
{
    if (!buf || *used > cap || len > cap || cap - *used < KCMSG_LEN(len))
        return -ENOBUFS;
    struct cmsghdr *c = (struct cmsghdr *)((char *)buf + *used);
    c->cmsg_len = KCMSG_LEN(len);
    c->cmsg_level = level;
    c->cmsg_type = type;
    if (len)
        memcpy(KCMSG_DATA(c), data, len);
    size_t space = KCMSG_SPACE(len);
    *used += space < cap - *used ? space : cap - *used;
    return 0;
}
