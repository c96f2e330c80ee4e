/* The goldfish RTC of QEMU virt ("google,goldfish-rtc"): a 64-bit count of nanoseconds since
 * the epoch. Reading TIME_LOW latches TIME_HIGH; writing TIME_LOW after TIME_HIGH sets the
 * clock (QEMU keeps it as an offset from the host's clock, so it keeps running across a
 * guest reboot but not across a QEMU restart). Its alarm is not driven: no alarm or update
 * interrupt features, as rtc_core.c reports. */
#include "kernel.h"
#include "kprintf.h"
#include "memlayout.h"
#include "rtc.h"
#include "spinlock.h"
#include "asm/io.h"

#define TIME_LOW 0x00
#define TIME_HIGH 0x04
#define NSEC_PER_SEC_I64 1000000000LL

static struct rtc_device goldfish;
static volatile uint8_t *regs;
static spinlock_t regs_lock = SPINLOCK_INIT("goldfish-rtc");

static int goldfish_read_time(struct rtc_device *rtc, int64_t *secs)
{
    (void)rtc;
    irqflags_t f = spin_lock_irqsave(&regs_lock);
    uint64_t lo = readl(regs + TIME_LOW);
    uint64_t hi = readl(regs + TIME_HIGH);
    spin_unlock_irqrestore(&regs_lock, f);
    *secs = (int64_t)(((hi << 32) | lo) / NSEC_PER_SEC_I64);
    return 0;
}

static int goldfish_set_time(struct rtc_device *rtc, int64_t secs)
{
    (void)rtc;
    if (secs < 0 || secs > INT64_MAX / NSEC_PER_SEC_I64)
        return -EINVAL;
    uint64_t ns = (uint64_t)secs * NSEC_PER_SEC_I64;
    irqflags_t f = spin_lock_irqsave(&regs_lock);
    writel((uint32_t)(ns >> 32), regs + TIME_HIGH);
    writel((uint32_t)ns, regs + TIME_LOW);
    spin_unlock_irqrestore(&regs_lock, f);
    return 0;
}

static const struct rtc_class_ops goldfish_ops = {
    .read_time = goldfish_read_time,
    .set_time = goldfish_set_time,
};

void goldfish_rtc_init(uint64_t phys)
{
    if (!phys)
        return;
    regs = pa_to_va(phys);
    goldfish.ops = &goldfish_ops;
    /* Linux's name: the driver, then the platform device named after its address. */
    ksnprintf(goldfish.name, sizeof goldfish.name, "goldfish_rtc %llx.rtc",
              (unsigned long long)phys);
    int err = rtc_register(&goldfish);
    if (err)
        pr_err("goldfish_rtc: cannot register (%d)\n", err);
}
