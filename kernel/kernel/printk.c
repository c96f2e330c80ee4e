/* printk: the kernel log. Every message goes into a ring buffer (read by syslog(2), so
 * BusyBox dmesg works) as "<level>[seconds.micros] text\n"; messages more urgent than the
 * console log level (loglevel=, quiet) are also written to the console UART. */
#include "kernel.h"
#include "kprintf.h"
#include "ratelimit.h"
#include "spinlock.h"
#include "string.h"
#include "time.h"
#include "uart.h"
#include "uaccess.h"
#include "sched.h"
#include "syscall.h"
#include "asm/sbi.h"

#define LOG_BUF_SIZE (64 * 1024)    /* a power of two */
#define DEFAULT_MESSAGE_LEVEL 4
#define LINE_MAX 512

static char log_buf[LOG_BUF_SIZE];
static uint64_t log_head;           /* total bytes ever written */
static uint64_t log_read_pos;       /* syslog READ (destructive) position */
static uint64_t log_clear_pos;      /* SYSLOG_ACTION_CLEAR position */
static spinlock_t log_lock = SPINLOCK_INIT("printk");
static struct wait_queue log_wait;
static bool log_wait_ready;
static int console_loglevel = 7;
static bool console_enabled = true;

/* /proc/sys/kernel/dmesg_restrict: 1 (openv's default, as Debian's) keeps the log from
 * everyone but root, through syslog(2) and /dev/kmsg alike. */
int dmesg_restrict = 1;

void printk_set_console_level(int level) { console_loglevel = level; }

static void log_store(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        log_buf[(log_head + i) & (LOG_BUF_SIZE - 1)] = s[i];
    log_head += n;
    if (log_head - log_read_pos > LOG_BUF_SIZE)
        log_read_pos = log_head - LOG_BUF_SIZE;
    if (log_head - log_clear_pos > LOG_BUF_SIZE)
        log_clear_pos = log_head - LOG_BUF_SIZE;
}

static void console_emit(const char *s, size_t n)
{
    if (uart_present())
        uart_console_write(s, n);
    else
        for (size_t i = 0; i < n; i++) {
            if (s[i] == '\n')
                sbi_console_putchar('\r');
            sbi_console_putchar(s[i]);
        }
}

static int vprintk(const char *fmt, va_list ap)
{
    char text[LINE_MAX];
    int level = DEFAULT_MESSAGE_LEVEL;
    if (fmt[0] == '<' && fmt[1] >= '0' && fmt[1] <= '7' && fmt[2] == '>') {
        level = fmt[1] - '0';
        fmt += 3;
    }
    int n = kvsnprintf(text, sizeof text, fmt, ap);
    if (n < 0)
        return n;
    size_t len = MIN((size_t)n, sizeof text - 1);
    while (len && text[len - 1] == '\n')
        len--;

    uint64_t ns = ktime_mono_ns();
    char prefix[40];
    int plen = ksnprintf(prefix, sizeof prefix, "<%d>[%5u.%06u] ", level,
                         (unsigned)(ns / NSEC_PER_SEC), (unsigned)(ns % NSEC_PER_SEC / 1000));

    irqflags_t f = spin_lock_irqsave(&log_lock);
    log_store(prefix, (size_t)plen);
    log_store(text, len);
    log_store("\n", 1);
    if (console_enabled && level < console_loglevel) {
        console_emit(prefix + 3, (size_t)plen - 3);
        console_emit(text, len);
        console_emit("\n", 1);
    }
    spin_unlock_irqrestore(&log_lock, f);
    if (log_wait_ready)
        wake_up(&log_wait);
    return n;
}

int printk(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintk(fmt, ap);
    va_end(ap);
    return n;
}

void printk_init_late(void)
{
    wait_queue_init(&log_wait);
    log_wait_ready = true;
}

/* Copies log bytes [from, to) to user space. */
static long log_copy_out(uaddr_t ubuf, uint64_t from, uint64_t to)
{
    char chunk[256];
    uint64_t done = 0;
    while (from + done < to) {
        size_t n = (size_t)MIN((uint64_t)sizeof chunk, to - from - done);
        irqflags_t f = spin_lock_irqsave(&log_lock);
        if (from + done + LOG_BUF_SIZE < log_head) {   /* overwritten meanwhile */
            spin_unlock_irqrestore(&log_lock, f);
            break;
        }
        for (size_t i = 0; i < n; i++)
            chunk[i] = log_buf[(from + done + i) & (LOG_BUF_SIZE - 1)];
        spin_unlock_irqrestore(&log_lock, f);
        if (copy_to_user(ubuf + done, chunk, n))
            return -EFAULT;
        done += n;
    }
    return (long)done;
}

enum {
    SYSLOG_ACTION_CLOSE, SYSLOG_ACTION_OPEN, SYSLOG_ACTION_READ, SYSLOG_ACTION_READ_ALL,
    SYSLOG_ACTION_READ_CLEAR, SYSLOG_ACTION_CLEAR, SYSLOG_ACTION_CONSOLE_OFF,
    SYSLOG_ACTION_CONSOLE_ON, SYSLOG_ACTION_CONSOLE_LEVEL, SYSLOG_ACTION_SIZE_UNREAD,
    SYSLOG_ACTION_SIZE_BUFFER,
};

/* Linux's check_syslog_permissions (root standing in for CAP_SYSLOG): with dmesg_restrict
 * every action needs it; without, all but reading the whole log and asking its size. */
static int syslog_permitted(int type)
{
    if (current->cred.euid == 0)
        return 0;
    if (READ_ONCE(dmesg_restrict))
        return -EPERM;
    return type == SYSLOG_ACTION_READ_ALL || type == SYSLOG_ACTION_SIZE_BUFFER ? 0 : -EPERM;
}

int kmsg_open_permitted(void)
{
    return syslog_permitted(SYSLOG_ACTION_READ_ALL);
}

SYSCALL_DEFINE3(syslog, int, type, uaddr_t, buf, int, len)
{
    int perm = syslog_permitted(type);
    if (perm)
        return perm;
    switch (type) {
    case SYSLOG_ACTION_CLOSE:
    case SYSLOG_ACTION_OPEN:
        return 0;
    case SYSLOG_ACTION_READ: {
        if (len < 0)
            return -EINVAL;
        if (len == 0)
            return 0;
        int r = wait_event_interruptible(&log_wait, READ_ONCE(log_read_pos) != READ_ONCE(log_head));
        if (r)
            return r;
        irqflags_t f = spin_lock_irqsave(&log_lock);
        uint64_t from = log_read_pos, to = MIN(log_head, from + (uint64_t)len);
        log_read_pos = to;
        spin_unlock_irqrestore(&log_lock, f);
        return log_copy_out(buf, from, to);
    }
    case SYSLOG_ACTION_READ_ALL:
    case SYSLOG_ACTION_READ_CLEAR: {
        if (len < 0)
            return -EINVAL;
        irqflags_t f = spin_lock_irqsave(&log_lock);
        uint64_t to = log_head;
        uint64_t from = log_clear_pos;
        if (to - from > (uint64_t)len)
            from = to - (uint64_t)len;
        if (type == SYSLOG_ACTION_READ_CLEAR)
            log_clear_pos = to;
        spin_unlock_irqrestore(&log_lock, f);
        return log_copy_out(buf, from, to);
    }
    case SYSLOG_ACTION_CLEAR:
        log_clear_pos = log_head;
        return 0;
    case SYSLOG_ACTION_CONSOLE_OFF:
        console_enabled = false;
        return 0;
    case SYSLOG_ACTION_CONSOLE_ON:
        console_enabled = true;
        return 0;
    case SYSLOG_ACTION_CONSOLE_LEVEL:
        if (len < 1 || len > 8)
            return -EINVAL;
        console_loglevel = len;
        console_enabled = true;
        return 0;
    case SYSLOG_ACTION_SIZE_UNREAD:
        return (long)(log_head - log_read_pos);
    case SYSLOG_ACTION_SIZE_BUFFER:
        return LOG_BUF_SIZE;
    }
    return -EINVAL;
}

static spinlock_t ratelimit_lock = SPINLOCK_INIT("ratelimit");

bool ___ratelimit(struct ratelimit_state *rs, const char *func)
{
    int suppressed;
    irqflags_t f = spin_lock_irqsave(&ratelimit_lock);
    bool pass = ratelimit_step(rs, ktime_mono_ns(), &suppressed);
    spin_unlock_irqrestore(&ratelimit_lock, f);
    if (suppressed)
        printk(KERN_WARNING "%s: %d callbacks suppressed\n", func, suppressed);
    return pass;
}

/* The panic path bypasses the lock and the log level. */
void printk_panic_emit(const char *s, size_t n)
{
    if (uart_present())
        uart_panic_write(s, n);
    else
        console_emit(s, n);
}

/* /dev/kmsg readers (fs/memdev.c): bytes of the log from *seq on (skipping what the ring has
 * overwritten), advancing *seq; 0 when there is nothing new. */
int log_read(uint64_t *seq, char *buf, size_t size)
{
    irqflags_t f = spin_lock_irqsave(&log_lock);
    uint64_t from = *seq;
    if (log_head > LOG_BUF_SIZE && from < log_head - LOG_BUF_SIZE)
        from = log_head - LOG_BUF_SIZE;
    size_t n = (size_t)MIN((uint64_t)size, log_head - from);
    for (size_t i = 0; i < n; i++)
        buf[i] = log_buf[(from + i) & (LOG_BUF_SIZE - 1)];
    *seq = from + n;
    spin_unlock_irqrestore(&log_lock, f);
    return (int)n;
}
