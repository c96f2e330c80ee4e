/* The kernel command line's words and the rule that merges the built-in command line with the
 * boot loader's (lib/bootargs.c, pure; kernel/cmdline.c holds the line itself). */
#pragma once
#include "types.h"

/* The next word of a Linux command line from *p (advanced past it): words are separated by
 * spaces, except inside double quotes (dm-mod.create="a b c"). NULL at the end. */
const char *bootargs_next_word(const char **p, size_t *len);

/* True if a boot loader's word (its key: up to '=') may be added to a built-in command line:
 * the options that change nothing a verified boot relies on (console=, earlycon, quiet,
 * loglevel=, ignore_loglevel). */
bool bootargs_allowed_from_bootloader(const char *word, size_t len);

/* The effective command line into out: with a non-empty built-in line, that line followed by
 * the boot loader's allowed words that it does not already have (each refused one is passed
 * to `dropped`, if not NULL);
 * with none, the boot loader's line as it is. Truncated to fit (and always NUL-terminated);
 * returns the length it would have had. */
size_t bootargs_merge(const char *builtin, const char *bootloader, char *out, size_t size,
                      void (*dropped)(const char *word, size_t len));
