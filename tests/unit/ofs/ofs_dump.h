/* A canonical text dump of a whole OFS tree (paths, types, modes, link counts, sizes and a
 * checksum of every file's content), for comparing filesystem states in the host tests, and
 * a bounded walk for the fuzz target. */
#pragma once
#include "../../../tools/ofs/ofs_host.h"

/* The dump as a malloc'd string (free it), or NULL if the walk hit an error (then *err is
 * the errno). Bounded by max_entries visited entries. */
char *ofs_dump(struct ofs_fs *fs, unsigned max_entries, int *err);
/* Content read per file at most (default 64 MiB). */
extern uint64_t ofs_dump_max_bytes;
