/* Host support for the ext2 core tests and the fuzz target: kernel service stubs (kmalloc,
 * printk) and an in-memory block device behind struct ext2_io. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "../../../kernel/fs/ext2/ext2.h"

struct memdev {
    uint8_t *data;
    size_t size;
    uint64_t reads, writes;
    int fail_after;         /* >0: the n-th I/O and later fail with -EIO; 0: never */
};

/* An ext2_io over md (dev_size = md->size). */
struct ext2_io memdev_io(struct memdev *md);

/* printk output goes to stderr only when EXT2_TEST_VERBOSE is set; lines are counted. */
extern unsigned host_printk_lines;

/* Visit every reachable inode from the root (bounded: depth, entries, bytes read per file)
 * and read all data and link targets. Returns the number of inodes visited; errors from the
 * core are tolerated (that is the point for corrupted images). */
unsigned ext2_walk_all(struct ext2_fs *fs, unsigned max_entries);
