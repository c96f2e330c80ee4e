/* Host support shared by the read-only filesystem core tests (tests/unit/fat, tests/unit/isofs,
 * tests/unit/bylabel) and their fuzz targets: stand-ins for the kernel services the cores use
 * (kmalloc, printk) and an in-memory device behind struct byte_io (kernel/include/byte_io.h). */
#pragma once
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include "byte_io.h"

struct memdev {
    uint8_t *data;
    size_t size;
    uint64_t reads;
};

/* A byte_io over md (dev_size = md->size); every read is counted in md->reads. */
struct byte_io memdev_io(struct memdev *md);

/* Lines printk was asked for (tests count a core's error lines); they go to stderr only when
 * ROFS_TEST_VERBOSE is set. */
extern unsigned host_printk_lines;

/* The names a directory read gives, in order (at most NAMES_MAX): names_collect has the shape
 * of the cores' readdir callbacks, with a struct names as ctx. */
#define NAMES_MAX 80
struct names {
    char list[NAMES_MAX][256];
    unsigned n;
};
bool names_collect(void *ctx, const char *name, size_t len, uint64_t ino, unsigned dtype,
                   uint64_t next_pos);
bool names_has(const struct names *nm, const char *name);
