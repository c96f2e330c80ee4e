/* The platform-level interrupt controller: routes device interrupts to this hart's S-mode
 * context; irq_register() hooks a driver's handler to an interrupt number. */
#include "kernel.h"
#include "irq.h"
#include "memlayout.h"
#include "asm/csr.h"

#define PLIC_MAX_IRQS 128
#define PRIORITY(irq) (4 * (irq))
#define ENABLE(ctx) (0x2000 + 0x80 * (ctx))
#define THRESHOLD(ctx) (0x200000 + 0x1000 * (ctx))
#define CLAIM(ctx) (0x200004 + 0x1000 * (ctx))

static volatile uint8_t *plic;
static unsigned plic_ctx, plic_ndev;
static struct {
    irq_handler_t fn;
    void *arg;
    uint64_t count;       /* interrupts taken (/proc/interrupts) */
} handlers[PLIC_MAX_IRQS];

static inline volatile uint32_t *reg(unsigned long off) { return (volatile uint32_t *)(plic + off); }

void plic_init(uint64_t phys, unsigned ndev, unsigned long hartid)
{
    if (!phys)
        return;
    plic = pa_to_va(phys);
    plic_ndev = MIN(ndev ? ndev : 127u, PLIC_MAX_IRQS - 1u);
    plic_ctx = 2 * (unsigned)hartid + 1;   /* QEMU virt: M-mode context then S-mode context */
    *reg(THRESHOLD(plic_ctx)) = 0;
    csr_set(sie, IE_SEIE);
}

int irq_register(unsigned irq, irq_handler_t fn, void *arg)
{
    if (!plic || irq == 0 || irq > plic_ndev)
        return -EINVAL;
    if (handlers[irq].fn)
        return -EBUSY;
    handlers[irq].fn = fn;
    handlers[irq].arg = arg;
    *reg(PRIORITY(irq)) = 1;
    *reg(ENABLE(plic_ctx) + 4 * (irq / 32)) |= 1u << (irq % 32);
    return 0;
}

void plic_interrupt(void)
{
    if (!plic)
        return;
    for (;;) {
        uint32_t irq = *reg(CLAIM(plic_ctx));
        if (irq == 0)
            break;
        if (irq < PLIC_MAX_IRQS && handlers[irq].fn) {
            handlers[irq].count++;
            handlers[irq].fn(handlers[irq].arg);
        }
        *reg(CLAIM(plic_ctx)) = irq;
    }
}

int irq_for_each(void (*fn)(void *ctx, unsigned irq, uint64_t count, irq_handler_t handler),
                 void *ctx)
{
    int n = 0;
    for (unsigned irq = 1; irq < PLIC_MAX_IRQS; irq++)
        if (handlers[irq].fn) {
            fn(ctx, irq, READ_ONCE(handlers[irq].count), handlers[irq].fn);
            n++;
        }
    return n;
}
