/*
 * libFuzzer target for OFS (kernel/fs/ofs): the input is the start of a 1 MiB filesystem image
 * (the rest reads as zeros; seed: a small mkfs.ofs -d image whose metadata sits in its first
 * 64 KiB). Mount it read-only, check it with the fsck code and walk and read everything; run
 * the fsck repair (ofs_repair: compare the two commits, fall back to the older one); then
 * mount it read-write, create, write, rename, truncate and remove, commit, and walk again.
 * Everything runs twice: with checksums verified (what a real mount does), and with them
 * ignored, so mutations reach the structure checks behind the checksums.
 * Any crash, sanitizer report or hang is a bug; errors are the expected outcome for most
 * inputs.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/ofs/ofs_dump.h"
#include "../../tools/ofs/ofs_check.h"
#include "../../tools/ofs/ofs_repair.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DEV_BYTES (1u << 20)

static void writes(struct ofs_fs *fs)
{
    static uint8_t junk[9000];
    struct ofs_inode root, f, d, l, x;
    struct ofs_attrs fa = { .mode = 0100644 }, da = { .mode = 0755 };
    uint64_t victim;
    if (ofs_iget(fs, OFS_ROOT_INO, &root) < 0)
        return;
    if (ofs_create(fs, &root, "f", 1, &fa, &f) == 0) {
        ofs_write(fs, &f, 0, junk, sizeof(junk));
        ofs_write(fs, &f, 70000, junk, 10);
        struct ofs_setattr sa = { .mask = OFS_SET_SIZE, .size = 100 };
        ofs_setattr(fs, &f, &sa);
        if (ofs_unlink(fs, &root, "f", 1, &x) == 0)
            ofs_evict(fs, x.ino);
    }
    if (ofs_mkdir(fs, &root, "d", 1, &da, &d) == 0) {
        ofs_symlink(fs, &d, "l", 1, "target", 6, &fa, &l);
        ofs_rename(fs, &d, "l", 1, &root, "m", 1, &victim);
        if (victim)
            ofs_evict(fs, victim);
        if (ofs_unlink(fs, &root, "m", 1, &x) == 0)
            ofs_evict(fs, x.ino);
        if (ofs_rmdir(fs, &root, "d", 1, &x) == 0)
            ofs_evict(fs, x.ino);
    }
    ofs_commit(fs);
}

static void one_pass(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > DEV_BYTES)
        return 0;
    ofs_fuzz_skip_checksums = false;
    one_pass(data, size);
    ofs_fuzz_skip_checksums = true;
    one_pass(data, size);
    ofs_fuzz_skip_checksums = false;
    return 0;
}

static void one_pass(const uint8_t *data, size_t size)
{
    ofs_host_verbose = 0;
    ofs_dump_max_bytes = 256u << 10;
    struct ofs_memdev md = { .data = calloc(1, DEV_BYTES), .nblocks = DEV_BYTES / OFS_BLOCK_SIZE };
    memcpy(md.data, data, size);
    struct ofs_io io = ofs_memdev_io(&md);
    struct ofs_fs *fs;
    if (ofs_mount(&io, OFS_MOUNT_RDONLY, &fs) == 0) {
        struct ofs_check_result res;
        ofs_check(fs, NULL, 0, &res);
        free(ofs_dump(fs, 300, NULL));
        ofs_unmount(fs);
    }
    struct ofs_repair_result rres;
    ofs_repair(&io, true, NULL, 0, &rres);
    if (ofs_mount(&io, 0, &fs) == 0) {
        writes(fs);
        free(ofs_dump(fs, 300, NULL));
        ofs_unmount(fs);
    }
    free(md.data);
}
