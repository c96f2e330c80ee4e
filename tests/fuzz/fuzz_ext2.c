/*
 * libFuzzer target for the ext2 core: the input is a whole filesystem image (seed: a small
 * mke2fs image). Mount it read-only and walk and read everything, then mount it read-write
 * and create, write, truncate and remove. Any crash, sanitizer report or hang is a bug;
 * errors are the expected outcome for most inputs.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/ext2/ext2_host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void writes(struct ext2_fs *fs)
{
	struct ext2_inode_mem root, x, d;
	static char junk[9000];
	struct ext2_new_attrs a = { .mode = 0100644 };
	struct ext2_new_attrs da = { .mode = 0755 };
	uint64_t pos = 0;

	if (ext2_iget(fs, EXT2_ROOT_INO, &root) < 0)
		return;
	if (ext2_create(fs, &root, "f", 1, &a, &x) == 0) {
		ext2_write(fs, &x, 0, junk, sizeof(junk));
		ext2_write(fs, &x, 70000, junk, 10);
		ext2_truncate(fs, &x, 100);
		if (ext2_unlink(fs, &root, "f", 1, &x) == 0)
			ext2_free_inode(fs, &x);
	}
	if (ext2_mkdir(fs, &root, "d", 1, &da, &d) == 0) {
		ext2_symlink(fs, &d, "l", 1, "a-target-longer-than-sixty-bytes-so-it-needs-a-data-block-xx", &a, &x);
		ext2_rename(fs, &d, "l", 1, &root, "m", 1, &x, NULL);
		if (ext2_unlink(fs, &root, "m", 1, &x) == 0)
			ext2_free_inode(fs, &x);
		if (ext2_rmdir(fs, &root, "d", 1, &d) == 0)
			ext2_free_inode(fs, &d);
	}
	(void)pos;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (8u << 20))
		return 0;
	struct memdev md = { .data = malloc(size ? size : 1), .size = size };
	memcpy(md.data, data, size);
	struct ext2_io io = memdev_io(&md);
	struct ext2_fs *fs;

	if (ext2_mount(&io, EXT2_MOUNT_RDONLY, &fs) == 0) {
		ext2_walk_all(fs, 500);
		ext2_unmount(fs);
	}
	if (ext2_mount(&io, 0, &fs) == 0) {
		writes(fs);
		ext2_walk_all(fs, 200);
		ext2_unmount(fs);
	}
	free(md.data);
	return 0;
}
