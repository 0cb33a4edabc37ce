/* fmt.c: the allocation-free formatter behind hk_msg and reason strings.
 * No locale, no floating point, no allocation: safe inside malloc and in
 * signal handlers. */
#include "probe/fmt.h"

#include <stdint.h>

struct hk_out {
	char *buf;
	size_t size;
	size_t len;
};

static void hk_fmt_putc(struct hk_out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void hk_fmt_pad(struct hk_out *o, int n, char c)
{
	while (n-- > 0)
		hk_fmt_putc(o, c);
}

static void hk_fmt_str(struct hk_out *o, const char *s, int width, int left)
{
	size_t n = 0;

	if (!s)
		s = "(null)";
	while (s[n])
		n++;
	if (!left)
		hk_fmt_pad(o, width - (int)n, ' ');
	for (size_t i = 0; i < n; i++)
		hk_fmt_putc(o, s[i]);
	if (left)
		hk_fmt_pad(o, width - (int)n, ' ');
}

static void hk_fmt_num(struct hk_out *o, uintmax_t v, int neg, unsigned base,
		       int width, int left, char padc)
{
	char tmp[24];
	int n = 0, digits;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	digits = n;
	if (neg)
		width--;
	if (neg && padc == '0')
		hk_fmt_putc(o, '-');
	if (!left)
		hk_fmt_pad(o, width - n, padc);
	if (neg && padc != '0')
		hk_fmt_putc(o, '-');
	while (n)
		hk_fmt_putc(o, tmp[--n]);
	if (left)
		hk_fmt_pad(o, width - digits, ' ');
}

/* Fetch an integer argument of the given length modifier (0 int, 1 long,
 * 2 long long, 3 size_t). */
static uintmax_t hk_fmt_arg(va_list *ap, int len, int is_signed, int *neg)
{
	intmax_t s;

	*neg = 0;
	if (!is_signed) {
		switch (len) {
		case 1: return va_arg(*ap, unsigned long);
		case 2: return va_arg(*ap, unsigned long long);
		case 3: return va_arg(*ap, size_t);
		default: return va_arg(*ap, unsigned int);
		}
	}
	switch (len) {
	case 1: s = va_arg(*ap, long); break;
	case 2: s = va_arg(*ap, long long); break;
	case 3: s = (intmax_t)va_arg(*ap, size_t); break;
	default: s = va_arg(*ap, int); break;
	}
	if (s < 0) {
		*neg = 1;
		return (uintmax_t)0 - (uintmax_t)s;
	}
	return (uintmax_t)s;
}

size_t hk_vfmt(char *buf, size_t size, const char *fmt, va_list ap0)
{
	struct hk_out o = { buf, size, 0 };
	va_list ap;

	va_copy(ap, ap0);
	for (const char *f = fmt; *f; f++) {
		int left = 0, width = 0, len = 0, neg;
		char padc = ' ';
		uintmax_t v;

		if (*f != '%') {
			hk_fmt_putc(&o, *f);
			continue;
		}
		f++;
		for (; *f == '-' || *f == '0'; f++) {
			if (*f == '-')
				left = 1;
			else
				padc = '0';
		}
		for (; *f >= '0' && *f <= '9'; f++)
			width = width * 10 + (*f - '0');
		if (*f == 'z') {
			len = 3;
			f++;
		} else {
			for (; *f == 'l' && len < 2; f++)
				len++;
		}
		switch (*f) {
		case 'd':
		case 'i':
			v = hk_fmt_arg(&ap, len, 1, &neg);
			hk_fmt_num(&o, v, neg, 10, width, left, left ? ' ' : padc);
			break;
		case 'u':
		case 'x':
			v = hk_fmt_arg(&ap, len, 0, &neg);
			hk_fmt_num(&o, v, 0, *f == 'x' ? 16 : 10, width, left,
				   left ? ' ' : padc);
			break;
		case 'p':
			hk_fmt_str(&o, "0x", 0, 0);
			hk_fmt_num(&o, (uintptr_t)va_arg(ap, void *), 0, 16, 0, 0, ' ');
			break;
		case 's':
			hk_fmt_str(&o, va_arg(ap, const char *), width, left);
			break;
		case 'c':
			hk_fmt_putc(&o, (char)va_arg(ap, int));
			break;
		case '%':
			hk_fmt_putc(&o, '%');
			break;
		case '\0':
			f--;
			break;
		default:
			hk_fmt_putc(&o, '%');
			hk_fmt_putc(&o, *f);
			break;
		}
	}
	va_end(ap);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len < size ? o.len : (size ? size - 1 : 0);
}

size_t hk_fmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = hk_vfmt(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
