/*
 * libFuzzer target for the GPT parser: the input is a whole disk image (512-byte sectors),
 * read through gpt_read() as the block layer does, plus the piecewise API on the same bytes
 * and the GUID text parser on the input's first bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "errno.h"
#include "gpt.h"

/* Keeps the results from being optimised away. */
static volatile uint64_t sink;

struct disk {
	const uint8_t *data;
	size_t sectors;
};

static int disk_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
	const struct disk *d = ctx;
	if (lba >= d->sectors || count > d->sectors - lba)
		return -EIO;
	memcpy(buf, d->data + lba * 512, (size_t)count * 512);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct disk d = { data, size / 512 };
	struct gpt_io io = {
		.read = disk_read, .alloc = malloc, .free = free, .ctx = &d,
		.sector_size = 512, .disk_sectors = d.sectors,
	};
	struct gpt_table t;
	struct gpt_part parts[16];
	if (gpt_read(&io, &t, parts, 16) == 0) {
		for (unsigned i = 0; i < t.stored; i++) {
			char s[GPT_GUID_STR_LEN + 1];
			gpt_guid_to_str(&parts[i].uuid, s);
			sink += (uint8_t)s[35] + parts[i].first_lba + strlen(parts[i].name);
			/* The parser promised these. */
			if (parts[i].first_lba > parts[i].last_lba ||
			    parts[i].last_lba >= d.sectors)
				abort();
		}
	}

	/* The header at LBA 1 against a disk size the input cannot fake. */
	struct gpt_header h;
	if (d.sectors > 1 && gpt_parse_header(data + 512, 512, 1, d.sectors, &h) == 0) {
		size_t bytes = gpt_entries_bytes(&h);
		uint64_t off = h.entries_lba * 512;
		if (off <= size && bytes <= size - off)
			sink += (uint64_t)gpt_check_entries(&h, data + off, bytes);
	}

	struct gpt_guid g;
	sink += (uint64_t)gpt_guid_parse((const char *)data, size < 40 ? size : 40, &g);
	return 0;
}
