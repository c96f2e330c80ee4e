/*
 * libFuzzer target for the FAT core: the input is a whole volume (seed: a small FAT12
 * image from mkfs.vfat and mcopy). Mount it with default and with uid/umask options and
 * walk, stat and read everything. Any crash, sanitizer report or hang (a FAT chain loop the
 * walk does not catch) is a bug; errors are the expected outcome for most inputs.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/fat/fat_host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const opts[] = { NULL, "uid=1,umask=077" };
	if (size > (8u << 20))
		return 0;
	struct memdev md = { .data = malloc(size ? size : 1), .size = size };
	memcpy(md.data, data, size);
	struct byte_io io = memdev_io(&md);
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		struct fat_options o;
		struct fat_fs *fs;
		if (fat_parse_options(opts[i], &o) != 0)
			abort();
		if (fat_mount(&io, &o, &fs) == 0) {
			fat_walk_all(fs, 300);
			fat_unmount(fs);
		}
	}
	free(md.data);
	return 0;
}
