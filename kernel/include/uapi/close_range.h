/* close_range() flags: Linux's linux/close_range.h. */
#pragma once

#define CLOSE_RANGE_UNSHARE (1U << 1)
#define CLOSE_RANGE_CLOEXEC (1U << 2)
