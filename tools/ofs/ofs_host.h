/* Host support for the OFS core (mkfs.ofs, fsck.ofs, tests, fuzz target): stand-ins for the
 * kernel services the core uses (kmalloc, printk) and block devices behind struct ofs_io:
 * an image file, and memory. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "../../kernel/fs/ofs/ofs.h"

/* printk goes to stderr when ofs_host_verbose is set (default: the OFS_VERBOSE variable). */
extern int ofs_host_verbose;
extern unsigned ofs_host_log_lines;

/* An image file or block device as a device (ofs_filedev.c; needs the host's headers, so
 * it is built with -iquote kernel/include): 0 or -errno. nblocks = size / 4096; flush =
 * fsync. */
struct ofs_filedev {
    int fd;
    uint64_t nblocks;
};
int ofs_filedev_open(struct ofs_filedev *d, const char *path, int writable);
void ofs_filedev_close(struct ofs_filedev *d);
struct ofs_io ofs_filedev_io(struct ofs_filedev *d);

/* Memory as a device (the caller owns data; size a multiple of 4096). */
struct ofs_memdev {
    uint8_t *data;
    uint64_t nblocks;
    uint64_t reads, writes, flushes;
};
struct ofs_io ofs_memdev_io(struct ofs_memdev *d);
