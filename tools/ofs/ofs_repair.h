/* fsck.ofs repair: go back to the older commit when the newest one is damaged.
 *
 * OFS never overwrites a block the last commit uses, and the superblock slots hold the last
 * two commits. When the newest commit's tree or space map is damaged (a lost or corrupted
 * block) and the older commit still checks clean, the filesystem can be put back to that
 * older commit by rewriting the superblock pair with its content under newer sequence
 * numbers. The changes of the newest commit are lost; ofs_repair lists them per inode, with
 * the path each one has in the older (or, for new inodes, the newer) commit.
 *
 * What a fall-back cannot vouch for: file data has no checksum, and data blocks the newest
 * commit released (files it deleted, truncated or rewrote) may have been reused by writes
 * after it. Those files are listed as "data may have been overwritten"; files the newest
 * commit left unchanged keep data that nothing could have touched. docs/ofs.md: fsck.ofs. */
#pragma once
#include <stdbool.h>
#include <stdio.h>
#include "ofs_host.h"

enum ofs_repair_status {
    OFS_REPAIR_CLEAN,       /* the newest commit checks clean: nothing to do */
    OFS_REPAIR_POSSIBLE,    /* damaged; going back to the older commit would fix it */
    OFS_REPAIR_DONE,        /* ... and it was done (write = true); now clean */
    OFS_REPAIR_IMPOSSIBLE,  /* damaged, and no intact older commit */
};

struct ofs_repair_result {
    enum ofs_repair_status status;
    uint64_t bad_seq;       /* the damaged newest commit */
    uint64_t good_seq;      /* the older commit the filesystem goes (went) back to */
    uint64_t new_seq;       /* after a repair: the sequence number of the rewritten state */
    unsigned lost;          /* inodes created by the damaged commit */
    unsigned reverted;      /* inodes it changed, back to their older state */
    unsigned restored;      /* inodes it removed, back */
    unsigned uncertain;     /* inodes in a damaged node of the newest commit */
    unsigned data_suspect;  /* of those, files whose data may have been overwritten */
};

/* Examine the device; with write, repair it (superblock writes and flushes through io).
 * The report (one line per affected inode, at most max_msgs of them) goes to out (NULL:
 * silent). Returns 0 (see res->status) or -errno on a device error. */
int ofs_repair(const struct ofs_io *io, bool write, FILE *out, unsigned max_msgs,
               struct ofs_repair_result *res);
