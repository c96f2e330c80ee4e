/* The NS16550 console UART (drivers/uart/ns16550.c). */
#pragma once
#include "types.h"

void uart_early_init(uint64_t phys_base, unsigned reg_shift);
bool uart_present(void);
void uart_console_write(const char *s, size_t n);   /* polled; "\n" -> "\r\n" */
void uart_panic_write(const char *s, size_t n);     /* lock-free, for panic() */
void uart_init_irq(unsigned irq);                   /* registers ttyS0, enables RX interrupts */
