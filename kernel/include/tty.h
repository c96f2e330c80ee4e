/* The TTY layer (drivers/tty/): one line discipline shared by the serial console and PTYs.
 * A low-level driver (the NS16550 UART, a PTY master) registers a struct tty with its output
 * function and feeds received bytes in with tty_receive(), from interrupt context. */
#pragma once
#include "types.h"

struct tty;
struct tty_driver_ops {
    /* Write bytes to the device; may be called with interrupts off; must not sleep. */
    void (*write)(struct tty *tty, const char *buf, size_t n);
};
struct tty *tty_register(const char *name, unsigned major, unsigned minor,
                         const struct tty_driver_ops *ops, void *driver_data);
void tty_receive(struct tty *tty, const char *buf, size_t n);   /* IRQ-safe */
void *tty_driver_data(struct tty *tty);
void tty_hangup(struct tty *tty);
