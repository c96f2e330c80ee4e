/* fsck.ofs: check an OFS filesystem (docs/ofs.md), and repair it if asked.
 *
 *   fsck.ofs [-q] [-y|-p] [-m MAXMSGS] IMAGE
 *   fsck.ofs -l PATH IMAGE
 *
 * Verifies both superblocks, every checksum and every invariant (ofs_check.c), reads every
 * file data block against its checksum (the scrub) and reports each problem precisely.
 * Damaged file data is reported, not repaired (there is no second copy). OFS needs no repair after a crash (a mount finishes removing
 * orphans), so damage means lost or corrupted blocks. When the newest commit is damaged and
 * the older one is intact, fsck.ofs says what going back to the older commit would lose, and
 * -y (or -p) does it (ofs_repair.c); otherwise nothing is written.
 * -l PATH lists where the data of the file PATH (from the filesystem's root) lives, one line
 * per mapped block: "inode N block L physical P" (for tests and for reading a damaged disk).
 * Exit status: 0 clean, 1 damaged (or unmountable) and not repaired, 2 usage or system
 * error, 3 repaired (clean now; the report lists what was lost). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ofs_check.h"
#include "ofs_repair.h"

#define USAGE "usage: fsck.ofs [-q] [-y|-p] [-m MAXMSGS] IMAGE\n       fsck.ofs -l PATH IMAGE\n"

/* Check what the device shows; print the summary. Returns the error count (1 if the
 * filesystem cannot be mounted). */
static unsigned check(struct ofs_io *io, const char *path, bool quiet, unsigned max_msgs,
                      uint64_t *bad_data)
{
    struct ofs_fs *fs;
    int r = ofs_mount(io, OFS_MOUNT_RDONLY, &fs);
    if (r < 0) {
        fprintf(stderr, "fsck.ofs: %s: cannot mount: %s\n", path, strerror(-r));
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
        if (fs->sb.version == OFS_VERSION_NO_DATASUMS)
            printf(", format version 1 (data not checksummed)");
        else
            printf(", %llu data blocks scrubbed", (unsigned long long)res.scrubbed_blocks);
        if (res.bad_data_blocks)
            printf(", %llu BAD", (unsigned long long)res.bad_data_blocks);
        if (res.orphans)
            printf(", %u orphans (removed at the next read-write mount)", res.orphans);
        printf(errors ? ": %u ERRORS\n" : ": clean\n", errors);
    }
    if (bad_data)
        *bad_data = res.bad_data_blocks;
    ofs_unmount(fs);
    return errors;
}

/* -l: the blocks of the file at `file` (a path from the root). 0, or 1 if it is not found. */
static int list_blocks(struct ofs_io *io, const char *image, const char *file)
{
    struct ofs_fs *fs;
    int r = ofs_mount(io, OFS_MOUNT_RDONLY, &fs);
    if (r < 0) {
        fprintf(stderr, "fsck.ofs: %s: cannot mount: %s\n", image, strerror(-r));
        return 1;
    }
    struct ofs_inode in;
    r = ofs_iget(fs, OFS_ROOT_INO, &in);
    for (const char *p = file; r == 0 && *p;) {
        size_t n = strcspn(p, "/");
        uint64_t ino;
        if (n && (r = ofs_lookup(fs, &in, p, n, &ino)) == 0)
            r = ofs_iget(fs, ino, &in);
        p += n;
        p += *p == '/';
    }
    if (r == 0) {
        uint64_t nblk = (in.d.size + OFS_BLOCK_SIZE - 1) / OFS_BLOCK_SIZE;
        for (uint64_t l = 0; l < nblk && r == 0; l++) {
            uint64_t pblk, run;
            if ((r = ofs_bmap(fs, in.ino, l, &pblk, &run)) == 0 && pblk)
                printf("inode %llu block %llu physical %llu\n", (unsigned long long)in.ino,
                       (unsigned long long)l, (unsigned long long)pblk);
        }
    }
    if (r < 0)
        fprintf(stderr, "fsck.ofs: %s: %s: %s\n", image, file, strerror(-r));
    ofs_unmount(fs);
    return r < 0;
}

int main(int argc, char **argv)
{
    int quiet = 0, opt;
    bool repair = false;
    unsigned max_msgs = 100;
    const char *list = NULL;
    while ((opt = getopt(argc, argv, "qm:ypl:")) != -1) {
        switch (opt) {
        case 'l': list = optarg; break;
        case 'q': quiet = 1; break;
        case 'm': max_msgs = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'y':
        case 'p': repair = true; break;
        default:
            fprintf(stderr, USAGE);
            return 2;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, USAGE);
        return 2;
    }
    const char *path = argv[optind];
    ofs_host_verbose = 1;       /* the core's reasons for refusing a mount */
    struct ofs_filedev dev;
    int r = ofs_filedev_open(&dev, path, repair);
    if (r < 0) {
        fprintf(stderr, "fsck.ofs: %s: %s\n", path, strerror(-r));
        return 2;
    }
    struct ofs_io io = ofs_filedev_io(&dev);
    struct ofs_io io_rw = io;   /* only the repair writes, and only with -y/-p */
    io.write = NULL;            /* the check is read-only: a write would be a bug */
    io.flush = NULL;
    if (list) {
        r = list_blocks(&io, path, list);
        ofs_filedev_close(&dev);
        return r;
    }
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
    uint64_t bad_data = 0;
    unsigned errors = check(&io, path, quiet, max_msgs, &bad_data);
    int status = errors ? 1 : 0;
    if (errors && errors == bad_data) {
        /* Only file data is damaged: going back to an older commit would not bring it back
         * (unchanged data is shared by the commits) and would lose what is newer. */
        printf("fsck.ofs: %s: %llu damaged data blocks (reads of them fail with EIO): "
               "nothing to repair; restore those files\n", path, (unsigned long long)bad_data);
    } else if (errors) {
        struct ofs_repair_result res;
        r = ofs_repair(repair ? &io_rw : &io, repair, stdout, max_msgs, &res);
        if (r < 0) {
            fprintf(stderr, "fsck.ofs: %s: repair: %s\n", path, strerror(-r));
            status = 2;
        } else if (res.status == OFS_REPAIR_POSSIBLE && !repair) {
            printf("fsck.ofs: %s: run fsck.ofs -y to go back to commit %llu\n", path,
                   (unsigned long long)res.good_seq);
        } else if (res.status == OFS_REPAIR_DONE) {
            status = check(&io, path, quiet, max_msgs, NULL) ? 1 : 3;
        }
    }
    ofs_filedev_close(&dev);
    return status;
}
