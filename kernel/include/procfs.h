/* Files other subsystems add to /proc (the network code's /proc/net/dev, route, tcp, ...).
 *
 * A file is read-only and generated at each read from offset 0 by `show`, which works like
 * snprintf: it writes at most `size` bytes (NUL-terminated when size > 0) and returns the full
 * length of the text (procfs calls it again with a bigger buffer when that did not fit), or
 * -errno. It runs in process context and may sleep; it must take its own locks. */
#pragma once
#include "types.h"

typedef int (*procfs_show_fn)(char *buf, size_t size);
/* A write to a writable file: the bytes written (not NUL-terminated); 0 or -errno. */
typedef int (*procfs_store_fn)(const char *buf, size_t len);

/* Add /proc/<dir>/<name> (any time after vfs_init()); dir is "" (/proc itself), "net" or
 * "sysvipc".
 * The name is copied. 0, or -EINVAL (unknown dir, bad name), -EEXIST, -ENOSPC (at most 32
 * files per directory), -ENOMEM. */
int procfs_register_file(const char *dir, const char *name, procfs_show_fn show);
/* Add /proc/sys/<dir>/<name>, mode 0644 (root writes it, through `store`); dir is "kernel".
 * Writes at a nonzero offset are ignored, as Linux's sysctl_writes_strict does. Same
 * errors as procfs_register_file. */
int procfs_register_sysctl(const char *dir, const char *name, procfs_show_fn show,
                           procfs_store_fn store);
