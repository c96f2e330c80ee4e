/* The virtual address space (Sv39).
 *
 *   0x0000_0000_0001_0000 .. USER_TOP      user space (per process)
 *   PAGE_OFFSET ..                          all physical memory, mapped 1:1 plus PAGE_OFFSET
 *                                           (kernel only, gigapages, shared by every address
 *                                           space: the upper half of every root page table)
 *   KERNEL_VBASE                            the kernel image (inside the direct map)
 *
 * The kernel is linked at KERNEL_VBASE and loaded at KERNEL_PBASE (0x80200000, where OpenSBI
 * and U-Boot's booti put a Linux RISC-V Image); head.S turns on paging and jumps up.
 */
#pragma once

#define PAGE_SHIFT 12
#define PAGE_SIZE 4096UL
#define PAGE_MASK (~(PAGE_SIZE - 1))

#define PAGE_OFFSET 0xffffffc000000000UL
/* How much physical address space the direct map covers (head.S: 16 gigapages). Device
 * registers above it cannot be reached through pa_to_va. */
#define DIRECT_MAP_SIZE (16UL << 30)
#define KERNEL_PBASE 0x80200000UL
#define KERNEL_VBASE (PAGE_OFFSET + KERNEL_PBASE)

#define USER_BASE 0x10000UL             /* nothing is mapped below: NULL and small offsets fault */
#define USER_TOP 0x0000004000000000UL   /* end of the Sv39 lower half (256 GiB) */
#define USER_STACK_TOP 0x0000003fffff0000UL
#define USER_STACK_MAX (8UL << 20)      /* default RLIMIT_STACK */
#define USER_MMAP_BASE 0x0000002000000000UL
#define USER_PIE_BASE 0x0000000000400000UL   /* load address of static-PIE programs */
#define SIGRETURN_TRAMPOLINE 0x0000003ffffff000UL /* one r-x user page: li a7,139; ecall */

#ifndef __ASSEMBLER__
#include "types.h"
static inline void *pa_to_va(paddr_t pa) { return (void *)(pa + PAGE_OFFSET); }
static inline paddr_t va_to_pa(const void *va) { return (paddr_t)va - PAGE_OFFSET; }
#endif
