/* Device (MMIO) register accesses, ordered as Linux's readl/writel are: each access is
 * fenced against normal memory on both sides, so a ring update reaches memory before the
 * notify that follows it, and a ring read after an interrupt-status read sees what the
 * device wrote. RISC-V needs the I/O bits in the fence. Every driver and bus uses these
 * instead of its own volatile pointers. */
#pragma once
#include "types.h"

static inline void io_fence(void)
{
    __asm__ volatile("fence iorw, iorw" ::: "memory");
}

static inline uint8_t readb(const volatile void *addr)
{
    io_fence();
    uint8_t v = *(const volatile uint8_t *)addr;
    io_fence();
    return v;
}

static inline uint16_t readw(const volatile void *addr)
{
    io_fence();
    uint16_t v = *(const volatile uint16_t *)addr;
    io_fence();
    return v;
}

static inline uint32_t readl(const volatile void *addr)
{
    io_fence();
    uint32_t v = *(const volatile uint32_t *)addr;
    io_fence();
    return v;
}

static inline void writeb(uint8_t v, volatile void *addr)
{
    io_fence();
    *(volatile uint8_t *)addr = v;
    io_fence();
}

static inline void writew(uint16_t v, volatile void *addr)
{
    io_fence();
    *(volatile uint16_t *)addr = v;
    io_fence();
}

static inline void writel(uint32_t v, volatile void *addr)
{
    io_fence();
    *(volatile uint32_t *)addr = v;
    io_fence();
}
