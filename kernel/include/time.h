/* Clocks. */
#pragma once
#include "types.h"
#include "uapi/time.h"

#define NSEC_PER_SEC 1000000000ULL

uint64_t ktime_mono_ns(void);      /* CLOCK_MONOTONIC, ns since boot */
void ktime_real(struct kernel_timespec *ts);   /* CLOCK_REALTIME */
/* Boot: CLOCK_REALTIME starts at the goldfish RTC's time (0: no RTC, it starts at 0). */
void rtc_init(uint64_t goldfish_phys);
