/*
 * libFuzzer target for dm-verity's parsers and tree walk: the input's first line is a
 * dm-mod.create= value (lib/dm_table.c); each device's arguments go through the verity
 * target's parser (lib/verity.c) and, when they parse, the rest of the input is both the
 * hash device and the data device of a tree walk over the first data blocks (with a
 * two-entry cache, so eviction paths run too). The command line merge (lib/bootargs.c) gets
 * the same line as built-in and as boot loader text.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootargs.h"
#include "errno.h"
#include "verity.h"

static volatile uint64_t sink;

struct dev {
	const uint8_t *data;
	size_t len;
	uint32_t bs;
};

static int read_hash(void *ctx, uint64_t block, void *buf)
{
	const struct dev *d = ctx;
	if (block >= d->len / d->bs)
		return -EIO;
	memcpy(buf, d->data + block * d->bs, d->bs);
	return 0;
}

static int corrupted(void *ctx, enum verity_block_type type, uint64_t block)
{
	(void)ctx;
	sink += type + block;
	return (block & 1) ? 0 : -EIO;	/* both policies */
}

static const struct verity_io io = { read_hash, corrupted };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t line_len = nl ? (size_t)(nl - data) : size;
	char *line = malloc(line_len + 1);
	memcpy(line, data, line_len);
	line[line_len] = 0;
	const uint8_t *rest = nl ? nl + 1 : data + size;
	size_t rest_len = (size_t)(data + size - rest);

	char merged[512];
	sink += bootargs_merge(line, line, merged, sizeof merged, NULL);
	sink += bootargs_merge("", line, merged, sizeof merged, NULL);

	struct dm_create_dev devs[DM_MAX_DEVICES];
	const char *err;
	int n = dm_parse_create(line, devs, DM_MAX_DEVICES, &err);
	for (int i = 0; i < n; i++) {
		struct verity_params p;
		if (verity_parse_args(devs[i].args, &p, &err))
			continue;
		static uint8_t bufs[2][VERITY_MAX_BLOCK];
		struct verity_cached cache[2] = { { .data = bufs[0] }, { .data = bufs[1] } };
		uint8_t *bitmap = p.data_blocks <= 1 << 16 ? calloc(1, verity_bitmap_bytes(&p)) : NULL;
		if (p.check_at_most_once && !bitmap)
			continue;
		struct verity_tree v;
		struct dev hash = { rest, rest_len, p.hash_block_size };
		if (verity_tree_init(&v, &p, &io, &hash, cache, 2, bitmap, &err) == 0) {
			sink += (uint64_t)verity_check_root(&v);
			static uint8_t block[VERITY_MAX_BLOCK];
			for (uint64_t b = 0; b < p.data_blocks && b < 8; b++) {
				size_t off = (size_t)(b * p.data_block_size);
				memset(block, 0, sizeof block);
				if (off < rest_len)
					memcpy(block, rest + off, rest_len - off < p.data_block_size
								      ? rest_len - off : p.data_block_size);
				sink += (uint64_t)verity_verify_block(&v, b, block);
			}
		}
		free(bitmap);
	}
	free(line);
	return 0;
}
