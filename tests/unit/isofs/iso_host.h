/* Host support for the iso9660 core tests and the fuzz target: the shared kernel stand-ins
 * and in-memory device (../rofs/memdev_host.h) and a bounded walk of a whole volume. */
#pragma once
#include "../rofs/memdev_host.h"
#include "../../../kernel/fs/isofs/isofs.h"

/* Visit every entry reachable from the root (bounded: depth, entries, bytes per file), stat
 * it, read its data or link target. Returns the number of entries seen; errors are tolerated
 * (that is the point for corrupted images). */
unsigned iso_walk_all(struct iso_fs *fs, unsigned max_entries);
