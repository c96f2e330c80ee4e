/* Device-mapper devices (private to drivers/md): a dm-N block device whose I/O goes to its
 * one target. */
#pragma once
#include "blkdev.h"
#include "verity.h"

#define DM_MAJOR 253                /* Linux's on QEMU virt: the dynamic major after virtblk's */

struct dm_device;

struct dm_target_type {
    const char *name;               /* the table's target type: "verity" */
    /* Build the target from its table arguments (modified in place). 0, or -errno with
     * *err saying why (Linux's words). Sets md->disk.nr_sectors limits it checks. */
    int (*ctr)(struct dm_device *md, char *args, const char **err);
    /* Read [sector, sector + len / 512) of the device into buf (whole logical blocks). */
    int (*read)(struct dm_device *md, uint64_t sector, void *buf, size_t len);
};

struct dm_device {
    struct block_device disk;       /* "dm-<minor>", 253:<minor>, read-only */
    char name[DM_NAME_LEN];         /* the dm name ("vroot") */
    const struct dm_target_type *type;
    bool read_only;                 /* the table's flags */
    void *target;                   /* the target's state */
};

extern const struct dm_target_type dm_verity_target;
