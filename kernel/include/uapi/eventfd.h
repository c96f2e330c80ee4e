/* eventfd2 flags: Linux's include/linux/eventfd.h (glibc and musl copy them; the values are
 * O_CLOEXEC and O_NONBLOCK). */
#pragma once

#define EFD_SEMAPHORE 1
#define EFD_CLOEXEC 02000000
#define EFD_NONBLOCK 00004000
