/* External interrupts (the PLIC). A driver registers a handler for its interrupt number (the
 * FDT's "interrupts" value); the handler runs with interrupts off and must not sleep. */
#pragma once
#include "types.h"

typedef void (*irq_handler_t)(void *arg);
int irq_register(unsigned irq, irq_handler_t handler, void *arg);   /* 0 or -EINVAL/-EBUSY */
