/* fsck.ofs: check an OFS filesystem (docs/ofs.md) without changing it.
 *
 *   fsck.ofs [-q] [-m MAXMSGS] IMAGE
 *
 * Verifies both superblocks, every checksum and every invariant (ofs_check.c) and reports
 * each problem precisely. Exit status: 0 clean, 1 damaged (or unmountable), 2 usage or
 * system error. Nothing is written: OFS needs no repair after a crash (a mount finishes
 * removing orphans), so a damaged filesystem means lost or corrupted blocks; recover the
 * files from a read-only mount. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ofs_check.h"

int main(int argc, char **argv)
{
    int quiet = 0, opt;
    unsigned max_msgs = 100;
    while ((opt = getopt(argc, argv, "qm:")) != -1) {
        switch (opt) {
        case 'q': quiet = 1; break;
        case 'm': max_msgs = (unsigned)strtoul(optarg, NULL, 10); break;
        default:
            fprintf(stderr, "usage: fsck.ofs [-q] [-m MAXMSGS] IMAGE\n");
            return 2;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "usage: fsck.ofs [-q] [-m MAXMSGS] IMAGE\n");
        return 2;
    }
    const char *path = argv[optind];
    ofs_host_verbose = 1;       /* the core's reasons for refusing a mount */
    struct ofs_filedev dev;
    int r = ofs_filedev_open(&dev, path, 0);
    if (r < 0) {
        fprintf(stderr, "fsck.ofs: %s: %s\n", path, strerror(-r));
        return 2;
    }
    struct ofs_io io = ofs_filedev_io(&dev);
    io.write = NULL;            /* read-only: a write would be a bug */
    io.flush = NULL;
    /* Both superblock slots, for the report: the newer valid one is the filesystem; an
     * invalid older one is normal after a crash during a commit (a torn write). */
    if (!quiet) {
        static uint8_t blk[OFS_BLOCK_SIZE];
        for (unsigned s = 0; s < OFS_SB_SLOTS; s++) {
            struct ofs_super sb;
            const char *why = "read error";
            if (io.read(io.ctx, s, blk) == 0 &&
                ofs_super_decode(blk, s, io.nblocks, &sb, &why) == 0)
                printf("superblock slot %u: commit %llu\n", s, (unsigned long long)sb.seq);
            else
                printf("superblock slot %u: not valid (%s)\n", s, why);
        }
    }
    struct ofs_fs *fs;
    r = ofs_mount(&io, OFS_MOUNT_RDONLY, &fs);
    if (r < 0) {
        fprintf(stderr, "fsck.ofs: %s: cannot mount: %s\n", path, strerror(-r));
        ofs_filedev_close(&dev);
        return 1;
    }
    struct ofs_check_result res;
    unsigned errors = ofs_check(fs, quiet ? NULL : stdout, max_msgs, &res);
    if (!quiet || errors) {
        printf("fsck.ofs: %s: commit %llu, %llu inodes (%llu dirs, %llu files, %llu symlinks), "
               "%llu/%llu blocks used, tree height %u",
               path, (unsigned long long)fs->sb.seq, (unsigned long long)res.inodes,
               (unsigned long long)res.dirs, (unsigned long long)res.files,
               (unsigned long long)res.symlinks, (unsigned long long)res.used_blocks,
               (unsigned long long)fs->sb.total_blocks, res.tree_height);
        if (res.orphans)
            printf(", %u orphans (removed at the next read-write mount)", res.orphans);
        printf(errors ? ": %u ERRORS\n" : ": clean\n", errors);
    }
    ofs_unmount(fs);
    ofs_filedev_close(&dev);
    return errors ? 1 : 0;
}
