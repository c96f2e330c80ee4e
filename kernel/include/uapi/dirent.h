/* Directory entries as getdents64 returns them: struct linux_dirent64 (Linux's
 * include/linux/dirent.h, the layout is user ABI) and the d_type values (DT_*, which Linux
 * keeps in include/linux/fs_types.h and user space gets from glibc's dirent.h). */
#pragma once
#include "types.h"

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    uint16_t d_reclen;
    uint8_t d_type;
    char d_name[];
};

#define DT_UNKNOWN 0
#define DT_FIFO 1
#define DT_CHR 2
#define DT_DIR 4
#define DT_BLK 6
#define DT_REG 8
#define DT_LNK 10
#define DT_SOCK 12
#define DT_WHT 14
