/* Clocks. */
#pragma once
#include "types.h"
#include "uapi/time.h"

#define NSEC_PER_SEC 1000000000ULL

uint64_t ktime_mono_ns(void);      /* CLOCK_MONOTONIC, ns since boot */
void ktime_real(struct kernel_timespec *ts);   /* CLOCK_REALTIME */
int64_t ktime_real_offset_ns(void);            /* CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
/* clock_settime/settimeofday moved CLOCK_REALTIME: timerfds with TFD_TIMER_CANCEL_ON_SET
 * are cancelled (fs/timerfd.c). */
void timerfd_clock_was_set(void);
/* Boot: CLOCK_REALTIME starts at the goldfish RTC's time (0: no RTC, it starts at 0). */
void rtc_init(uint64_t goldfish_phys);
