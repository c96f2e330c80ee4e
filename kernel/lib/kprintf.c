/*
 * printf-style formatting.  See kprintf.h for what is supported.
 *
 * A conversion is parsed into a struct conv_spec, its argument fetched
 * with the right promoted type, and the result laid out as
 *     [spaces] [sign or 0x prefix] [zeros] digits-or-text [spaces]
 * which is all C99 asks of d i u o x X c s p.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kprintf.h"
#include "errno.h"

#define FLAG_LEFT  0x01u   /* '-' */
#define FLAG_ZERO  0x02u   /* '0' */
#define FLAG_SPACE 0x04u   /* ' ' */
#define FLAG_PLUS  0x08u   /* '+' */
#define FLAG_ALT   0x10u   /* '#' */

#define NO_PRECISION (-1)

enum length { LEN_INT, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_T, LEN_J };

struct conv_spec {
	unsigned flags;
	int width;
	int precision;      /* NO_PRECISION when not given */
	enum length length;
	char conv;
};

/* Output state: where characters go and how many there were. */
struct out {
	kformat_sink sink;
	void *ctx;
	size_t count;
};

/* ---- Output ---------------------------------------------------------------- */

static void emit(struct out *o, const char *s, size_t n)
{
	if (n == 0)
		return;
	o->sink(o->ctx, s, n);
	o->count += n;
}

static void emit_repeat(struct out *o, char c, size_t n)
{
	char chunk[16];
	for (size_t i = 0; i < sizeof(chunk); i++)
		chunk[i] = c;
	while (n > 0) {
		size_t part = n < sizeof(chunk) ? n : sizeof(chunk);
		emit(o, chunk, part);
		n -= part;
	}
}

/* Lay out [pad][prefix][zeros][body][pad] in a field of spec->width. */
static void emit_field(struct out *o, const struct conv_spec *spec,
		       const char *prefix, size_t prefix_len, size_t zeros,
		       const char *body, size_t body_len)
{
	size_t used = prefix_len + zeros + body_len;
	size_t pad = (size_t)spec->width > used ? (size_t)spec->width - used : 0;

	if (!(spec->flags & FLAG_LEFT))
		emit_repeat(o, ' ', pad);
	emit(o, prefix, prefix_len);
	emit_repeat(o, '0', zeros);
	emit(o, body, body_len);
	if (spec->flags & FLAG_LEFT)
		emit_repeat(o, ' ', pad);
}

/* ---- Parsing a conversion specification ---------------------------------- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Decimal number at *p, saturating at INT_MAX. */
static int parse_number(const char **p)
{
	int value = 0;
	for (; is_digit(**p); (*p)++) {
		int digit = **p - '0';
		value = value > (INT32_MAX - digit) / 10 ? INT32_MAX
							 : value * 10 + digit;
	}
	return value;
}

static unsigned parse_flags(const char **p)
{
	unsigned flags = 0;
	for (;; (*p)++) {
		switch (**p) {
		case '-': flags |= FLAG_LEFT; break;
		case '0': flags |= FLAG_ZERO; break;
		case ' ': flags |= FLAG_SPACE; break;
		case '+': flags |= FLAG_PLUS; break;
		case '#': flags |= FLAG_ALT; break;
		default: return flags;
		}
	}
}

static enum length parse_length(const char **p)
{
	const char *s = *p;
	enum length len;

	switch (s[0]) {
	case 'h': len = s[1] == 'h' ? LEN_HH : LEN_H; break;
	case 'l': len = s[1] == 'l' ? LEN_LL : LEN_L; break;
	case 'z': len = LEN_Z; break;
	case 't': len = LEN_T; break;
	case 'j': len = LEN_J; break;
	default: return LEN_INT;
	}
	*p += (len == LEN_HH || len == LEN_LL) ? 2 : 1;
	return len;
}

/*
 * Parse the specification after a '%' at *p, fetching '*' arguments.
 * On return *p points past the conversion character.
 */
static void parse_spec(const char **p, va_list *ap, struct conv_spec *spec)
{
	spec->flags = parse_flags(p);

	spec->width = 0;
	if (**p == '*') {
		(*p)++;
		int w = va_arg(*ap, int);
		if (w < 0) {   /* a negative '*' width means '-' flag */
			spec->flags |= FLAG_LEFT;
			w = w == INT32_MIN ? INT32_MAX : -w;
		}
		spec->width = w;
	} else {
		spec->width = parse_number(p);
	}

	spec->precision = NO_PRECISION;
	if (**p == '.') {
		(*p)++;
		if (**p == '*') {
			(*p)++;
			int prec = va_arg(*ap, int);
			spec->precision = prec < 0 ? NO_PRECISION : prec;
		} else {
			spec->precision = parse_number(p);
		}
	}

	spec->length = parse_length(p);
	spec->conv = **p;
	if (spec->conv != '\0')
		(*p)++;
}

/* ---- Fetching arguments -------------------------------------------------- */

static intmax_t fetch_signed(va_list *ap, enum length len)
{
	switch (len) {
	case LEN_HH: return (signed char)va_arg(*ap, int);
	case LEN_H:  return (short)va_arg(*ap, int);
	case LEN_L:  return va_arg(*ap, long);
	case LEN_LL: return va_arg(*ap, long long);
	case LEN_Z:  return va_arg(*ap, ptrdiff_t);   /* signed size_t */
	case LEN_T:  return va_arg(*ap, ptrdiff_t);
	case LEN_J:  return va_arg(*ap, intmax_t);
	default:     return va_arg(*ap, int);
	}
}

static uintmax_t fetch_unsigned(va_list *ap, enum length len)
{
	switch (len) {
	case LEN_HH: return (unsigned char)va_arg(*ap, unsigned);
	case LEN_H:  return (unsigned short)va_arg(*ap, unsigned);
	case LEN_L:  return va_arg(*ap, unsigned long);
	case LEN_LL: return va_arg(*ap, unsigned long long);
	case LEN_Z:  return va_arg(*ap, size_t);
	case LEN_T:  return (size_t)va_arg(*ap, ptrdiff_t);
	case LEN_J:  return va_arg(*ap, uintmax_t);
	default:     return va_arg(*ap, unsigned);
	}
}

/* ---- Conversions ------------------------------------------------------------- */

/* Digits of @value in @base into the end of @buf; returns the count.
 * Precision 0 with value 0 means no digits at all (C99 7.19.6.1). */
static size_t to_digits(uintmax_t value, unsigned base, bool upper,
			int precision, char *buf, size_t size)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t n = 0;

	if (value == 0 && precision == 0)
		return 0;
	do {
		buf[size - ++n] = digits[value % base];
		value /= base;
	} while (value != 0);
	return n;
}

static unsigned base_of(char conv)
{
	switch (conv) {
	case 'o': return 8;
	case 'x': case 'X': case 'p': return 16;
	default: return 10;
	}
}

/* Sign for d/i, "0x" for %#x and %p, "0" forcing for %#o is done via zeros. */
static size_t make_prefix(const struct conv_spec *spec, uintmax_t magnitude,
			  bool negative, char prefix[2])
{
	switch (spec->conv) {
	case 'd': case 'i':
		if (negative)
			prefix[0] = '-';
		else if (spec->flags & FLAG_PLUS)
			prefix[0] = '+';
		else if (spec->flags & FLAG_SPACE)
			prefix[0] = ' ';
		else
			return 0;
		return 1;
	case 'x': case 'X':
		if (!(spec->flags & FLAG_ALT) || magnitude == 0)
			return 0;
		/* fall through */
	case 'p':
		prefix[0] = '0';
		prefix[1] = spec->conv == 'X' ? 'X' : 'x';
		return 2;
	default:
		return 0;
	}
}

static void format_integer(struct out *o, const struct conv_spec *spec,
			   uintmax_t magnitude, bool negative)
{
	char buf[3 * sizeof(uintmax_t)];   /* 22 octal digits for 64 bits */
	char prefix[2];
	size_t ndigits = to_digits(magnitude, base_of(spec->conv),
				   spec->conv == 'X', spec->precision,
				   buf, sizeof(buf));
	size_t prefix_len = make_prefix(spec, magnitude, negative, prefix);

	size_t zeros = 0;
	if (spec->precision != NO_PRECISION && (size_t)spec->precision > ndigits)
		zeros = (size_t)spec->precision - ndigits;
	/* %#o: the first digit must be a zero. */
	if (spec->conv == 'o' && (spec->flags & FLAG_ALT) && zeros == 0 &&
	    (ndigits == 0 || buf[sizeof(buf) - ndigits] != '0'))
		zeros = 1;
	/* '0' pads with zeros up to the width, unless '-' or a precision. */
	if ((spec->flags & FLAG_ZERO) && !(spec->flags & FLAG_LEFT) &&
	    spec->precision == NO_PRECISION) {
		size_t used = prefix_len + zeros + ndigits;
		if ((size_t)spec->width > used)
			zeros += (size_t)spec->width - used;
	}
	emit_field(o, spec, prefix, prefix_len, zeros,
		   buf + sizeof(buf) - ndigits, ndigits);
}

static size_t bounded_strlen(const char *s, int precision)
{
	size_t n = 0;
	while ((precision == NO_PRECISION || n < (size_t)precision) && s[n])
		n++;
	return n;
}

static void format_string(struct out *o, const struct conv_spec *spec,
			  const char *s)
{
	if (s == NULL)
		s = "(null)";
	emit_field(o, spec, NULL, 0, 0, s, bounded_strlen(s, spec->precision));
}

static void format_char(struct out *o, const struct conv_spec *spec, int c)
{
	char ch = (char)(unsigned char)c;
	emit_field(o, spec, NULL, 0, 0, &ch, 1);
}

/* Handle one conversion; false if it is not one we support. */
static bool format_one(struct out *o, const struct conv_spec *spec,
		       va_list *ap)
{
	switch (spec->conv) {
	case 'd': case 'i': {
		intmax_t v = fetch_signed(ap, spec->length);
		/* Negate in unsigned arithmetic: -INTMAX_MIN overflows. */
		uintmax_t magnitude = v < 0 ? (uintmax_t)0 - (uintmax_t)v
					    : (uintmax_t)v;
		format_integer(o, spec, magnitude, v < 0);
		return true;
	}
	case 'u': case 'o': case 'x': case 'X':
		format_integer(o, spec, fetch_unsigned(ap, spec->length), false);
		return true;
	case 'p':
		format_integer(o, spec, (uintptr_t)va_arg(*ap, void *), false);
		return true;
	case 'c':
		format_char(o, spec, va_arg(*ap, int));
		return true;
	case 's':
		format_string(o, spec, va_arg(*ap, const char *));
		return true;
	case '%':
		emit(o, "%", 1);
		return true;
	default:
		return false;
	}
}

/* ---- Entry points ---------------------------------------------------------- */

int kvformat(kformat_sink sink, void *ctx, const char *fmt, va_list ap)
{
	struct out o = { sink, ctx, 0 };
	va_list args;

	/* A va_list parameter may be an array type that decays to a pointer;
	 * a local copy is a real va_list whose address can be passed down. */
	va_copy(args, ap);
	while (*fmt) {
		const char *start = fmt;
		while (*fmt && *fmt != '%')
			fmt++;
		emit(&o, start, (size_t)(fmt - start));
		if (*fmt == '\0')
			break;

		struct conv_spec spec;
		const char *spec_start = fmt;   /* the '%' */
		fmt++;
		parse_spec(&fmt, &args, &spec);
		if (!format_one(&o, &spec, &args))
			emit(&o, spec_start, (size_t)(fmt - spec_start));
	}
	va_end(args);
	return o.count > INT32_MAX ? -EOVERFLOW : (int)o.count;
}

/* Sink for kvsnprintf: keep what fits, leaving room for the NUL. */
struct buf_sink {
	char *buf;
	size_t size;
	size_t used;
};

static void buf_sink_write(void *ctx, const char *s, size_t n)
{
	struct buf_sink *b = ctx;
	size_t room = b->size > b->used + 1 ? b->size - b->used - 1 : 0;
	if (n > room)
		n = room;
	for (size_t i = 0; i < n; i++)
		b->buf[b->used + i] = s[i];
	b->used += n;
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct buf_sink b = { buf, buf ? size : 0, 0 };
	int ret = kvformat(buf_sink_write, &b, fmt, ap);
	if (b.size > 0)
		b.buf[b.used] = '\0';
	return ret;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int ret = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return ret;
}
