/* Clocks, time values and interval timers: Linux's linux/time.h and linux/time_types.h,
 * riscv64 (64-bit time_t and long). The structures carry Linux's kernel-side names
 * (__kernel_timespec -> kernel_timespec) so host unit tests can include them next to libc. */
#pragma once
#include "types.h"

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define CLOCK_REALTIME_ALARM 8
#define CLOCK_BOOTTIME_ALARM 9
#define CLOCK_TAI 11

#define TIMER_ABSTIME 0x01            /* clock_nanosleep: the time is a deadline */

#define ITIMER_REAL 0                 /* wall time: SIGALRM */
#define ITIMER_VIRTUAL 1              /* user CPU time: SIGVTALRM */
#define ITIMER_PROF 2                 /* user + system CPU time: SIGPROF */

struct kernel_timespec {              /* struct __kernel_timespec, riscv64's timespec */
    int64_t tv_sec;
    int64_t tv_nsec;
};

struct kernel_itimerspec {            /* struct __kernel_itimerspec: timerfd, timer_settime */
    struct kernel_timespec it_interval;
    struct kernel_timespec it_value;
};

struct kernel_old_timeval {           /* struct __kernel_old_timeval: timeval */
    int64_t tv_sec;
    int64_t tv_usec;
};

struct kernel_sock_timeval {          /* struct __kernel_sock_timeval: SO_RCVTIMEO/SO_SNDTIMEO */
    int64_t tv_sec;
    int64_t tv_usec;
};

struct kernel_old_itimerval {         /* struct __kernel_old_itimerval: itimerval */
    struct kernel_old_timeval it_interval;
    struct kernel_old_timeval it_value;
};

struct kernel_timezone {              /* struct timezone (gettimeofday) */
    int32_t tz_minuteswest;
    int32_t tz_dsttime;
};
