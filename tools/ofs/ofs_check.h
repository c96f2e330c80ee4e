/* The OFS consistency checker (host): every checksum and every invariant docs/ofs.md lists.
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
};

/* Check a filesystem mounted read-only. Messages go to out (NULL: silent), at most
 * max_msgs of them (the counts are always complete). Returns res->errors. */
unsigned ofs_check(struct ofs_fs *fs, FILE *out, unsigned max_msgs, struct ofs_check_result *res);
