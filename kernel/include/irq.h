/* External interrupts (the PLIC). A driver registers a handler for its interrupt number (the
 * FDT's "interrupts" value); the handler runs with interrupts off and must not sleep. */
#pragma once
#include "types.h"

typedef void (*irq_handler_t)(void *arg);
/* Boot: the PLIC at phys (0: none) with ndev interrupt sources, routed to this hart. */
void plic_init(uint64_t phys, unsigned ndev, unsigned long hartid);
void plic_interrupt(void);   /* the supervisor external interrupt: run the handlers */
int irq_register(unsigned irq, irq_handler_t handler, void *arg);   /* 0 or -EINVAL/-EBUSY */
/* Calls fn for each registered interrupt, in number order, with how many times it was taken
 * (/proc/interrupts, /proc/stat); returns how many there are. */
int irq_for_each(void (*fn)(void *ctx, unsigned irq, uint64_t count, irq_handler_t handler),
                 void *ctx);
