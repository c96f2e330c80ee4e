/* NS16550A UART (QEMU virt's serial port): polled output for the kernel console from the
 * first printk on, then interrupt-driven receive feeding the tty layer once interrupts work.
 * The tty layer (drivers/tty) owns line discipline and /dev/ttyS0; this file only moves bytes. */
#include "kernel.h"
#include "spinlock.h"
#include "tty.h"
#include "memlayout.h"
#include "uart.h"
#include "irq.h"
#include "sysrq.h"
#include "time.h"

#define RBR 0   /* receive buffer (read) */
#define THR 0   /* transmit holding (write) */
#define IER 1   /* interrupt enable */
#define FCR 2   /* FIFO control (write) */
#define LCR 3   /* line control */
#define MCR 4   /* modem control */
#define LSR 5   /* line status */
#define LSR_DR 0x01
#define LSR_BI 0x10     /* a BREAK arrived (as a NUL byte in the FIFO) */
#define LSR_THRE 0x20
#define IER_RDI 0x01

static volatile uint8_t *uart_base;
static unsigned uart_shift;
static spinlock_t uart_tx_lock = SPINLOCK_INIT("uart-tx");
static struct tty *uart_tty;

static inline uint8_t uart_in(unsigned reg) { return uart_base[reg << uart_shift]; }
static inline void uart_out(unsigned reg, uint8_t v) { uart_base[reg << uart_shift] = v; }

void uart_early_init(uint64_t phys_base, unsigned reg_shift)
{
    uart_base = pa_to_va(phys_base);
    uart_shift = reg_shift;
    uart_out(IER, 0);
    uart_out(FCR, 0x07);    /* enable and reset FIFOs */
    uart_out(MCR, 0x0b);    /* DTR, RTS, OUT2 (OUT2 gates the interrupt line on real 16550s) */
}

bool uart_present(void) { return uart_base != NULL; }

static void uart_putc_raw(char c)
{
    while (!(uart_in(LSR) & LSR_THRE))
        ;
    uart_out(THR, (uint8_t)c);
}

/* Polled write, usable with interrupts off and from panic(); '\n' becomes "\r\n" only when
 * asked (the tty layer does its own output processing). */
static void uart_write_bytes(const char *s, size_t n, bool crlf)
{
    if (!uart_base)
        return;
    irqflags_t f = spin_lock_irqsave(&uart_tx_lock);
    for (size_t i = 0; i < n; i++) {
        if (crlf && s[i] == '\n')
            uart_putc_raw('\r');
        uart_putc_raw(s[i]);
    }
    spin_unlock_irqrestore(&uart_tx_lock, f);
}

void uart_console_write(const char *s, size_t n) { uart_write_bytes(s, n, true); }

/* For panic(): no lock, the lock holder may be the one that crashed. */
void uart_panic_write(const char *s, size_t n)
{
    if (!uart_base)
        return;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            uart_putc_raw('\r');
        uart_putc_raw(s[i]);
    }
}

static void uart_tty_write(struct tty *tty, const char *buf, size_t n)
{
    (void)tty;
    uart_write_bytes(buf, n, false);
}

static const struct tty_driver_ops uart_tty_ops = { .write = uart_tty_write };

/* Magic SysRq on the serial line, as Linux's uart_handle_break: a BREAK arms it, and the next
 * byte within SYSRQ_WINDOW_NS is the key (kernel/sysrq.c), not input. */
#define SYSRQ_WINDOW_NS (5 * NSEC_PER_SEC)
static bool uart_break_seen;        /* LSR said BREAK; its NUL is still in the FIFO */
static uint64_t uart_sysrq_until;   /* monotonic ns; 0 = not armed */

/* One received byte: true if it is input for the tty, false if the break logic took it. */
static bool uart_sysrq_filter(uint8_t lsr, char c)
{
    if (lsr & LSR_BI)
        uart_break_seen = true;
    if (uart_break_seen && c == 0) {
        uart_break_seen = false;
        uart_sysrq_until = ktime_mono_ns() + SYSRQ_WINDOW_NS;
        return false;
    }
    if (uart_sysrq_until) {
        bool in_window = ktime_mono_ns() < uart_sysrq_until;
        uart_sysrq_until = 0;
        if (in_window) {
            handle_sysrq(c, false);
            return false;
        }
    }
    return true;
}

static void uart_irq(void *arg)
{
    (void)arg;
    char buf[32];
    for (;;) {
        size_t n = 0;
        bool more = true;
        while (n < sizeof buf) {
            uint8_t lsr = uart_in(LSR);
            if (!(lsr & LSR_DR)) {
                more = false;
                break;
            }
            char c = (char)uart_in(RBR);
            if (uart_sysrq_filter(lsr, c))
                buf[n++] = c;
        }
        if (n && uart_tty)
            tty_receive(uart_tty, buf, n);
        if (!more)
            break;
    }
}

/* Registers ttyS0 (major 4, minor 64, as in Linux) and turns on the receive interrupt. */
void uart_init_irq(unsigned irq)
{
    if (!uart_base)
        return;
    uart_tty = tty_register("ttyS0", 4, 64, &uart_tty_ops, NULL);
    if (irq && irq_register(irq, uart_irq, NULL) == 0)
        uart_out(IER, IER_RDI);
}
