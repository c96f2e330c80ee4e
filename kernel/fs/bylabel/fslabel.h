/* Filesystem labels: which of the filesystems we know a device holds, and its label, for
 * /dev/disk/by-label (what udev's blkid builtin gives Linux). Pure code over a read callback,
 * the same parsers the filesystems mount with (iso9660's primary volume descriptor, vfat's
 * boot sector and root directory) plus the ext2 superblock's volume name, so it runs on the
 * host (tests/unit/bylabel, fuzz_fslabel). */
#pragma once
#include "byte_io.h"

struct fslabel {
    const char *type;                 /* "ext2", "iso9660", "vfat"; NULL: none found */
    char label[64];                   /* NUL-terminated; "" if the filesystem has none */
};

/* 0 and *out (out->type NULL if no known filesystem), or -ENOMEM. */
int fslabel_probe(const struct byte_io *io, struct fslabel *out);
/* The label as a /dev/disk/by-label name, escaped as udev does (bytes outside
 * [A-Za-z0-9#+-.:=@_] as \xHH): its length, 0 if unusable (empty, ".", "..", too long). */
size_t fslabel_devname(const char *label, char *out, size_t size);
