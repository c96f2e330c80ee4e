/* Mount option strings as Linux spells them ("ro,uid=1000,mode=0755"): the walk over the
 * comma-separated options and the numbers in them, shared by the filesystems' own option
 * parsers (tmpfs, vfat, iso9660), which decide what each option means. */
#pragma once
#include "types.h"

#define MOUNT_OPT_MAX 64              /* bytes of one option, with its value */

struct mount_opts {
    const char *rest;                 /* what is left of the string (NULL: nothing) */
    char buf[MOUNT_OPT_MAX];          /* the current option, split at '=' */
};

static inline void mount_opts_init(struct mount_opts *it, const char *data) { it->rest = data; }
/* The next non-empty option: 1 and *name and *val (after the first '=', NULL without one),
 * both in it->buf; 0 at the end; -EINVAL for an option of MOUNT_OPT_MAX bytes or more. */
int mount_opts_next(struct mount_opts *it, char **name, char **val);
/* A value of digits only in base 8 or 10 that fits in 32 bits: 0 and *out, or -EINVAL. */
int mount_opt_u32(const char *s, unsigned base, uint32_t *out);
