/* timerfd: Linux's include/uapi/linux/timerfd.h. */
#pragma once
#include "types.h"
#include "uapi/time.h"

#define TFD_TIMER_ABSTIME (1 << 0)
#define TFD_TIMER_CANCEL_ON_SET (1 << 1)
#define TFD_CLOEXEC 02000000
#define TFD_NONBLOCK 00004000
