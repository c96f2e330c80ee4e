/* Error numbers: the user-visible ones (uapi/errno.h) and the kernel-internal ones. */
#pragma once
#include <stdbool.h>
#include "uapi/errno.h"

/* Kernel-internal: never seen by user space. A blocking call interrupted by a signal returns
 * one of these; signal delivery turns it into -EINTR or restarts the call (SA_RESTART). */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

#define MAX_ERRNO 4095
#define IS_ERR_VALUE(x) ((unsigned long)(x) >= (unsigned long)-MAX_ERRNO)

/* A pointer or a negative errno in one value (Linux's ERR_PTR). */
static inline void *ERR_PTR(long e) { return (void *)e; }
static inline long PTR_ERR(const void *p) { return (long)p; }
static inline bool IS_ERR(const void *p) { return IS_ERR_VALUE((unsigned long)p); }
