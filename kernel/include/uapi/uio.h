/* Scatter/gather I/O vectors: Linux's linux/uio.h. */
#pragma once
#include "types.h"

struct iovec {
    uaddr_t iov_base;       /* a user address */
    size_t iov_len;
};

#define UIO_FASTIOV 8
#define UIO_MAXIOV 1024
