/* SBI calls (RISC-V Supervisor Binary Interface, v0.2+ calling convention). */
#include "kernel.h"
#include "asm/sbi.h"

#define SBI_EXT_BASE 0x10
#define SBI_EXT_TIME 0x54494D45
#define SBI_EXT_SRST 0x53525354
#define SBI_LEGACY_SET_TIMER 0x0
#define SBI_LEGACY_PUTCHAR 0x1

static bool has_time_ext, has_srst_ext;

struct sbiret sbi_ecall(unsigned long ext, unsigned long fid, unsigned long a0,
                        unsigned long a1, unsigned long a2)
{
    register unsigned long r0 __asm__("a0") = a0;
    register unsigned long r1 __asm__("a1") = a1;
    register unsigned long r2 __asm__("a2") = a2;
    register unsigned long r6 __asm__("a6") = fid;
    register unsigned long r7 __asm__("a7") = ext;
    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r6), "r"(r7) : "memory");
    struct sbiret ret = { .error = (long)r0, .value = (long)r1 };
    return ret;
}

static bool sbi_probe(unsigned long ext)
{
    struct sbiret r = sbi_ecall(SBI_EXT_BASE, 3, ext, 0, 0);
    return r.error == 0 && r.value != 0;
}

void sbi_init(void)
{
    has_time_ext = sbi_probe(SBI_EXT_TIME);
    has_srst_ext = sbi_probe(SBI_EXT_SRST);
}

void sbi_set_timer(uint64_t t)
{
    if (has_time_ext)
        sbi_ecall(SBI_EXT_TIME, 0, t, 0, 0);
    else
        sbi_ecall(SBI_LEGACY_SET_TIMER, 0, t, 0, 0);
}

void sbi_console_putchar(int c) { sbi_ecall(SBI_LEGACY_PUTCHAR, 0, (unsigned long)c, 0, 0); }

bool sbi_has_srst(void) { return has_srst_ext; }

void sbi_system_reset(uint32_t type, uint32_t reason)
{
    if (has_srst_ext)
        sbi_ecall(SBI_EXT_SRST, 0, type, reason, 0);
}
