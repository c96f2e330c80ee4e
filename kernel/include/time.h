/* Clocks. */
#pragma once
#include "types.h"

struct kernel_timespec {   /* Linux struct __kernel_timespec / riscv64 timespec */
    int64_t tv_sec;
    int64_t tv_nsec;
};
#define NSEC_PER_SEC 1000000000ULL

uint64_t ktime_mono_ns(void);      /* CLOCK_MONOTONIC, ns since boot */
void ktime_real(struct kernel_timespec *ts);   /* CLOCK_REALTIME */
