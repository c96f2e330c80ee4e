/*
 * libFuzzer target for the cpio iterator: walk every entry and touch the
 * last byte of each name and data block so ASan checks their bounds.
 */
#include <stddef.h>
#include <stdint.h>

#include "cpio.h"

/* Keeps the reads from being optimised away. */
static volatile uint32_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cpio_iter it;
	struct cpio_entry e;
	unsigned steps = 0;
	int r;

	cpio_iter_init(&it, data, size);
	while ((r = cpio_next(&it, &e)) != 0) {
		if (++steps > size + 1)
			__builtin_trap();   /* each step must consume input */
		if (r < 0)
			continue;
		sink += (uint8_t)e.name[e.name_len];   /* the NUL */
		if (e.size)
			sink += ((const uint8_t *)e.data)[e.size - 1];
	}
	return 0;
}
