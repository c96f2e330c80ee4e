/* Host support for the FAT core tests and the fuzz target: the shared kernel stand-ins and
 * in-memory device (../rofs/memdev_host.h) and a bounded walk of a whole FAT volume. */
#pragma once
#include "../rofs/memdev_host.h"
#include "../../../kernel/fs/fat/fat.h"

/* Visit every entry reachable from the root (bounded: depth, entries, bytes per file), stat
 * it, read its data or link target. Returns the number of entries seen; errors are tolerated
 * (that is the point for corrupted images). */
unsigned fat_walk_all(struct fat_fs *fs, unsigned max_entries);
