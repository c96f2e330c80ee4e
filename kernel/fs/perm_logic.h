/* The pure permission rule, separate from credentials and inodes so host unit tests
 * (tests/unit/fs/) can check it. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define PERM_MAY_EXEC 1
#define PERM_MAY_WRITE 2
#define PERM_MAY_READ 4

struct perm_subject {
    uint32_t uid;
    bool is_root;      /* CAP_DAC_OVERRIDE */
    bool in_group;     /* fsgid or a supplementary group equals the file's group */
};

/* mode: the inode's full mode (type and permission bits); mask: PERM_MAY_* bits. */
static inline bool perm_check(uint32_t mode, uint32_t owner, const struct perm_subject *s, int mask)
{
    mask &= PERM_MAY_EXEC | PERM_MAY_WRITE | PERM_MAY_READ;
    if (s->is_root) {
        /* Read and write always; execute (search) always for directories, otherwise only if
         * someone may execute the file. */
        if (!(mask & PERM_MAY_EXEC))
            return true;
        if ((mode & 0170000) == 0040000)
            return true;
        return (mode & 0111) != 0;
    }
    unsigned bits;
    if (s->uid == owner)
        bits = (mode >> 6) & 7;
    else if (s->in_group)
        bits = (mode >> 3) & 7;
    else
        bits = mode & 7;
    return ((unsigned)mask & ~bits) == 0;
}
