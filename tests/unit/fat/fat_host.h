/* Host support for the FAT core tests and the fuzz target: kernel service stubs (kmalloc,
 * printk), an in-memory device behind struct fat_io, and a bounded walk of a whole FAT volume. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "../../../kernel/fs/fat/fat.h"

struct fat_memdev {
    uint8_t *data;
    size_t size;
    uint64_t reads;
};

struct fat_io fat_memdev_io(struct fat_memdev *md);

/* printk output goes to stderr only when FAT_TEST_VERBOSE is set; lines are counted. */
extern unsigned fat_printk_lines;

/* Visit every entry reachable from the root (bounded: depth, entries, bytes per file), stat
 * it, read its data or link target. Returns the number of entries seen; errors are tolerated
 * (that is the point for corrupted images). */
unsigned fat_walk_all(struct fat_fs *fs, unsigned max_entries);
