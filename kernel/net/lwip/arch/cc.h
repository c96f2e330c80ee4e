/* lwIP port: compiler and platform definitions for the openv kernel (freestanding, riscv64,
 * little-endian). Included first by every lwIP file through lwip/arch.h. */
#pragma once
#include "types.h"          /* the kernel's: stdint, stddef, stdbool, ssize_t */

#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_CTYPE_H 1
#define LWIP_NO_UNISTD_H 1
#define LWIP_NO_LIMITS_H 1      /* GCC's limits.h wants a libc's behind it */
#ifndef INT_MAX
#define INT_MAX __INT_MAX__
#endif
#define SSIZE_MAX __LONG_MAX__  /* ssize_t comes from types.h */

/* printf formats for the types lwIP prints in its diagnostics. */
#define X8_F "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "zu"

#define BYTE_ORDER LITTLE_ENDIAN
/* Byte swaps by hand: without Zbb, GCC's builtins call libgcc, which the kernel does not link. */
#define lwip_htons(x) ((u16_t)((((u16_t)(x)) >> 8) | (((u16_t)(x)) << 8)))
#define lwip_htonl(x) ((u32_t)((((u32_t)(x)) >> 24) | ((((u32_t)(x)) >> 8) & 0xff00u) | \
                               ((((u32_t)(x)) & 0xff00u) << 8) | (((u32_t)(x)) << 24)))

#define PACK_STRUCT_BEGIN
#define PACK_STRUCT_END
#define PACK_STRUCT_STRUCT __attribute__((packed))
#define PACK_STRUCT_FIELD(x) x

/* The kernel's services lwIP calls: printk and panic (kernel.h), get_random_u64 (random.h). */
#include "kernel.h"
#include "random.h"

#define LWIP_RAND() ((u32_t)get_random_u64())
#define LWIP_PLATFORM_DIAG(x) do { printk x; } while (0)
/* An lwIP assertion is an internal inconsistency of the stack (never a property of received
 * data), so it stops the kernel with a backtrace like any other kernel bug. */
#define LWIP_PLATFORM_ASSERT(x) panic("lwIP assertion \"%s\" failed at %s:%d", x, __FILE__, __LINE__)
