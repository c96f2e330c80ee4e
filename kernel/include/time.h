/* Clocks. */
#pragma once
#include "types.h"
#include "uapi/time.h"

#define NSEC_PER_SEC 1000000000ULL

uint64_t ktime_mono_ns(void);      /* CLOCK_MONOTONIC, ns since boot */
void ktime_real(struct kernel_timespec *ts);   /* CLOCK_REALTIME */
/* Sets CLOCK_REALTIME (settimeofday's effect; the RTC's time at boot: drivers/rtc). Until
 * then it counts from 0 (1970). */
void ktime_set_real_ns(uint64_t ns);
