/*
 * libFuzzer target for the iso9660 core: the input is a whole volume (seed: a small
 * genisoimage -J -R image). Mount it with Rock Ridge, with Joliet (norock) and with plain
 * names (norock,nojoliet) and walk, stat, read and readlink everything. Any crash, sanitizer
 * report or hang is a bug; errors are the expected outcome for most inputs.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/isofs/iso_host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const opts[] = { NULL, "norock", "norock,nojoliet" };
	if (size > (8u << 20))
		return 0;
	struct memdev md = { .data = malloc(size ? size : 1), .size = size };
	memcpy(md.data, data, size);
	struct byte_io io = memdev_io(&md);
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		struct iso_options o;
		struct iso_fs *fs;
		if (iso_parse_options(opts[i], &o) != 0)
			abort();
		if (iso_mount(&io, &o, &fs) == 0) {
			iso_walk_all(fs, 300);
			iso_unmount(fs);
		}
	}
	free(md.data);
	return 0;
}
