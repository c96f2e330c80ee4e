/*
 * Freestanding printf-style formatting for the kernel.
 *
 * Supported, with C99 meaning: flags '-' '0' ' ' '+' '#'; field width and
 * precision, either may be '*'; length modifiers hh h l ll z t j;
 * conversions d i u o x X c s p %.  Deliberate differences:
 *   - %p prints "0x" and the address in lower-case hex ("0x0" for NULL);
 *   - a NULL %s prints "(null)" (cut by the precision like any string);
 *   - floating point and %n are not supported: an unsupported or
 *     incomplete conversion is copied to the output as written and
 *     consumes no argument (beyond any '*' width or precision).
 * Named k* so the host's libc can be linked next to it in tests.
 */
#ifndef OPENV_KPRINTF_H
#define OPENV_KPRINTF_H

#include <stdarg.h>
#include <stddef.h>

#define KPRINTF_FORMAT(fmt_arg, first_arg) \
	__attribute__((format(printf, fmt_arg, first_arg)))

/* Receives the formatted output in pieces (not NUL-terminated). */
typedef void (*kformat_sink)(void *ctx, const char *s, size_t n);

/*
 * Format into @sink.  Returns the number of characters produced, or
 * -EOVERFLOW if that exceeds INT_MAX.
 */
int kvformat(kformat_sink sink, void *ctx, const char *fmt, va_list ap);

/*
 * C99 vsnprintf/snprintf: write at most @size bytes including the NUL
 * (always NUL-terminated when @size > 0; @buf may be NULL when @size is
 * 0) and return the length the full output would have had.
 */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) KPRINTF_FORMAT(3, 4);

#endif /* OPENV_KPRINTF_H */
