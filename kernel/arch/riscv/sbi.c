/* SBI calls (RISC-V Supervisor Binary Interface, v0.2+ calling convention). */
#include "kernel.h"
#include "asm/sbi.h"

#define SBI_EXT_BASE 0x10
#define SBI_EXT_TIME 0x54494D45
#define SBI_EXT_SRST 0x53525354
#define SBI_EXT_IPI 0x735049
#define SBI_EXT_RFENCE 0x52464E43
#define SBI_EXT_HSM 0x48534D
#define SBI_LEGACY_SET_TIMER 0x0
#define SBI_LEGACY_PUTCHAR 0x1

static bool has_time_ext, has_srst_ext, has_ipi_ext, has_rfence_ext, has_hsm_ext;

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

/* The same with five arguments (RFENCE takes a hart mask, its base, an address and a size). */
static struct sbiret sbi_ecall5(unsigned long ext, unsigned long fid, unsigned long a0,
                                unsigned long a1, unsigned long a2, unsigned long a3,
                                unsigned long a4)
{
    register unsigned long r0 __asm__("a0") = a0;
    register unsigned long r1 __asm__("a1") = a1;
    register unsigned long r2 __asm__("a2") = a2;
    register unsigned long r3 __asm__("a3") = a3;
    register unsigned long r4 __asm__("a4") = a4;
    register unsigned long r6 __asm__("a6") = fid;
    register unsigned long r7 __asm__("a7") = ext;
    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r3), "r"(r4), "r"(r6), "r"(r7)
                     : "memory");
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
    has_ipi_ext = sbi_probe(SBI_EXT_IPI);
    has_rfence_ext = sbi_probe(SBI_EXT_RFENCE);
    has_hsm_ext = sbi_probe(SBI_EXT_HSM);
}

bool sbi_has_smp(void) { return has_ipi_ext && has_rfence_ext && has_hsm_ext; }

long sbi_hart_start(unsigned long hartid, unsigned long start_pa, unsigned long opaque)
{
    return sbi_ecall(SBI_EXT_HSM, 0, hartid, start_pa, opaque).error;
}

long sbi_hart_status(unsigned long hartid)
{
    struct sbiret r = sbi_ecall(SBI_EXT_HSM, 2, hartid, 0, 0);
    return r.error ? r.error : r.value;
}

long sbi_send_ipi(unsigned long hart_mask, unsigned long hart_mask_base)
{
    return sbi_ecall(SBI_EXT_IPI, 0, hart_mask, hart_mask_base, 0).error;
}

/* The calls below return when the remote harts have executed the fence. */
long sbi_remote_fence_i(unsigned long hart_mask, unsigned long hart_mask_base)
{
    return sbi_ecall(SBI_EXT_RFENCE, 0, hart_mask, hart_mask_base, 0).error;
}

long sbi_remote_sfence_vma(unsigned long hart_mask, unsigned long hart_mask_base,
                           unsigned long start, unsigned long size)
{
    return sbi_ecall5(SBI_EXT_RFENCE, 1, hart_mask, hart_mask_base, start, size, 0).error;
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
