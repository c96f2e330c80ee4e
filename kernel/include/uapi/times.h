/* times(): Linux's linux/times.h, and USER_HZ, the unit of clock_t (Linux's kernel-side
 * asm-generic/param.h: user space sees it as sysconf(_SC_CLK_TCK) and AT_CLKTCK). */
#pragma once
#include "types.h"

#define USER_HZ 100

struct tms {                 /* clock_t is long: USER_HZ ticks */
    int64_t tms_utime;
    int64_t tms_stime;
    int64_t tms_cutime;
    int64_t tms_cstime;
};
