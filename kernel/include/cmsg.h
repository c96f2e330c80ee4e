/* Control messages (struct cmsghdr) in a kernel buffer: the walk over what sendmsg supplied and
 * the appending that recvmsg does. Pure functions over (buffer, length), shared by the socket
 * layer (include/net.h wraps them for struct kmsghdr) and the host fuzz target. */
#pragma once
#include "types.h"
#include "uapi/socket.h"

#define KCMSG_ALIGN(len) (((len) + 7) & ~(size_t)7)
#define KCMSG_HDRLEN KCMSG_ALIGN(sizeof(struct cmsghdr))
#define KCMSG_LEN(n) (KCMSG_HDRLEN + (n))
#define KCMSG_SPACE(n) (KCMSG_HDRLEN + KCMSG_ALIGN(n))
#define KCMSG_DATA(c) ((void *)((char *)(c) + KCMSG_HDRLEN))

/* 0 if every header in buf[0, len) is whole and claims no more than what is left (Linux's
 * __scm_send rule: trailing bytes shorter than a header are ignored), else -EINVAL. */
int cmsg_validate(const void *buf, size_t len);
/* The first / next header in an 8-byte aligned buffer, NULL at the end. Safe on any input: a
 * header whose length is impossible ends the walk. */
struct cmsghdr *cmsg_first(void *buf, size_t len);
struct cmsghdr *cmsg_next(void *buf, size_t len, struct cmsghdr *c);
/* Append a message at *used in buf[0, cap): 0, or -ENOBUFS (nothing written) if it does not
 * fit. *used advances by the aligned size, capped at cap (the last one needs no padding). */
int cmsg_append(void *buf, size_t cap, size_t *used, int level, int type, const void *data,
                size_t len);
