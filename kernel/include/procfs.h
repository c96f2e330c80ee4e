/* Files other subsystems add to /proc (the network code's /proc/net/dev, route, tcp, ...).
 *
 * A file is read-only and generated at each read from offset 0 by `show`, which works like
 * snprintf: it writes at most `size` bytes (NUL-terminated when size > 0) and returns the full
 * length of the text (procfs calls it again with a bigger buffer when that did not fit), or
 * -errno. It runs in process context and may sleep; it must take its own locks. */
#pragma once
#include "types.h"

typedef int (*procfs_show_fn)(char *buf, size_t size);

/* Add /proc/<dir>/<name> (any time after vfs_init()); dir is "" (/proc itself) or "net".
 * The name is copied. 0, or -EINVAL (unknown dir, bad name), -EEXIST, -ENOSPC (at most 32
 * files per directory), -ENOMEM. */
int procfs_register_file(const char *dir, const char *name, procfs_show_fn show);
