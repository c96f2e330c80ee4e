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
#define SBI_SRST_SHUTDOWN 0
#define SBI_SRST_COLD_REBOOT 1
