/* The OFS consistency checker (host): every checksum and every invariant docs/ofs.md lists,
 * and a scrub of all file data against the checksums in the extent items.
 * Used by fsck.ofs, the host tests (after every simulated crash) and the fuzz target. */
#pragma once
#include <stdio.h>
#include "ofs_host.h"

struct ofs_check_result {
    unsigned errors;            /* damage: fsck exits non-zero */
    unsigned orphans;           /* unlinked-while-open inodes a read-write mount will remove */
    uint64_t inodes, dirs, files, symlinks;
    uint64_t used_blocks, data_blocks, tree_nodes;
    unsigned tree_height;
    uint64_t scrubbed_blocks;   /* data blocks read and compared with their checksums */
    uint64_t bad_data_blocks;   /* of those, mismatches and read errors (each is an error) */
};

/* Check a filesystem mounted read-only. Messages go to out (NULL: silent), at most
 * max_msgs of them (the counts are always complete). Returns res->errors. */
unsigned ofs_check(struct ofs_fs *fs, FILE *out, unsigned max_msgs, struct ofs_check_result *res);
