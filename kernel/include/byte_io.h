/* A device as the read-only filesystem cores (iso9660, vfat) and the label probe see it: any
 * byte range by offset through one callback. The kernel maps it onto the buffer cache
 * (fs/diskfs_ro.c, fs/bylabel/bylabel.c), the host tests onto memory, so the same core code
 * runs in both. */
#pragma once
#include "types.h"

struct byte_io {
    void *ctx;
    /* Read `len` bytes at byte offset `off` of the device: 0 or -errno. */
    int (*read)(void *ctx, uint64_t off, void *buf, size_t len);
    uint64_t dev_size;                /* bytes; 0 = unknown (the volume's own size is used) */
};
