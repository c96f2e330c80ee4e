/* Limits user space may rely on: Linux's linux/limits.h, the ones openv honours as Linux
 * does (its NGROUPS_MAX is sched.h's own, smaller). */
#pragma once

#define NAME_MAX 255                /* bytes in a file name, without the NUL */
#define PATH_MAX 4096               /* bytes in a path name, with the NUL */
#define PIPE_BUF 4096               /* bytes in an atomic write to a pipe */
