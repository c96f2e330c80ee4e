/* Block layer internals shared by the files of kernel/block (not for drivers or filesystems). */
#pragma once
#include "blkdev.h"

/* Registry (blkdev.c). */
extern spinlock_t blk_registry_lock;
extern struct list_head blk_registry;
int blkdev_add(struct block_device *bdev);      /* registry + devfs node */

/* Partitions (partition.c): scan the disk's GPT and register or update its partitions. */
int blk_scan_partitions(struct block_device *disk);

/* Buffer cache (bcache.c): true if some buffer of the disk is held. */
bool bcache_disk_busy(struct block_device *disk);
/* Forget every buffer of the disk, dirty ones included (their data is lost): the medium
 * behind the disk changed (a loop device detached or re-bound). Held buffers stay but are
 * re-read on their next bread. */
void bcache_discard_disk(struct block_device *disk);

/* Bytes to 512-byte sectors and back. */
static inline uint64_t bytes_to_sectors(uint64_t b) { return b >> SECTOR_SHIFT; }
