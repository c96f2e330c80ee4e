/* Clocks. */
#pragma once
#include "types.h"
#include "uapi/time.h"

#define NSEC_PER_SEC 1000000000ULL

/* A whole number of seconds as a timespec: the times of filesystems that keep seconds only
 * (ext2, FAT, iso9660). */
static inline struct kernel_timespec timespec_from_sec(int64_t sec)
{
    return (struct kernel_timespec){ .tv_sec = sec, .tv_nsec = 0 };
}

uint64_t ktime_mono_ns(void);      /* CLOCK_MONOTONIC, ns since boot */
void ktime_real(struct kernel_timespec *ts);   /* CLOCK_REALTIME */
/* Sets CLOCK_REALTIME (settimeofday's effect; the RTC's time at boot: drivers/rtc). Until
 * then it counts from 0 (1970). */
void ktime_set_real_ns(uint64_t ns);
int64_t ktime_real_offset_ns(void);            /* CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
/* clock_settime/settimeofday moved CLOCK_REALTIME: timerfds with TFD_TIMER_CANCEL_ON_SET
 * are cancelled (fs/timerfd.c). */
void timerfd_clock_was_set(void);
