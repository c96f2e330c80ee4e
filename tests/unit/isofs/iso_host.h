/* Host support for the iso9660 core tests and the fuzz target: kernel service stubs (kmalloc,
 * printk), an in-memory device behind struct iso_io, and a bounded walk of a whole volume. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "../../../kernel/fs/isofs/isofs.h"

struct iso_memdev {
    uint8_t *data;
    size_t size;
    uint64_t reads;
};

struct iso_io iso_memdev_io(struct iso_memdev *md);

/* printk output goes to stderr only when ISOFS_TEST_VERBOSE is set; lines are counted. */
extern unsigned iso_printk_lines;

/* Visit every entry reachable from the root (bounded: depth, entries, bytes per file), stat
 * it, read its data or link target. Returns the number of entries seen; errors are tolerated
 * (that is the point for corrupted images). */
unsigned iso_walk_all(struct iso_fs *fs, unsigned max_entries);
