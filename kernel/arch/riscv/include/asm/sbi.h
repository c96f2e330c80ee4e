/* Calls into the SBI firmware (OpenSBI) below us. */
#pragma once
#include "types.h"

struct sbiret {
    long error;
    long value;
};
struct sbiret sbi_ecall(unsigned long ext, unsigned long fid, unsigned long a0,
                        unsigned long a1, unsigned long a2);
void sbi_init(void);
void sbi_set_timer(uint64_t stime_value);
void sbi_console_putchar(int c);                  /* legacy, before the UART is known */
bool sbi_has_srst(void);
void sbi_system_reset(uint32_t type, uint32_t reason);   /* returns only on failure */
/* SMP: hart state management, IPIs and remote fences (all three needed for SMP). */
bool sbi_has_smp(void);
long sbi_hart_start(unsigned long hartid, unsigned long start_pa, unsigned long opaque);
long sbi_hart_status(unsigned long hartid);     /* 0 started, 1 stopped, ...; < 0 error */
long sbi_send_ipi(unsigned long hart_mask, unsigned long hart_mask_base);
long sbi_remote_fence_i(unsigned long hart_mask, unsigned long hart_mask_base);
long sbi_remote_sfence_vma(unsigned long hart_mask, unsigned long hart_mask_base,
                           unsigned long start, unsigned long size);   /* size -1: all */
#define SBI_SRST_SHUTDOWN 0
#define SBI_SRST_COLD_REBOOT 1
