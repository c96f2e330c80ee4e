/* Host support shared by the read-only filesystem core tests (tests/unit/fat, tests/unit/isofs,
 * tests/unit/bylabel) and their fuzz targets: stand-ins for the kernel services the cores use
 * (kmalloc, printk) and an in-memory device behind struct byte_io (kernel/include/byte_io.h). */
#pragma once
#include <stddef.h>
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
