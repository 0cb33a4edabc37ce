/* fmt.h: a small printf for places where nothing may allocate.
 *
 * Used by the probe, the selection reason strings and lib/msg.c, all of
 * which can run inside malloc's first call.  Supported: %s %c %d %i %u %x
 * %p %% with the l, ll and z length modifiers, a field width and '-', '0'
 * flags.  Output is always NUL-terminated and truncated to fit.
 */
#ifndef HK_FMT_H
#define HK_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* Returns the length written, excluding the NUL (at most size - 1). */
size_t hk_vfmt(char *buf, size_t size, const char *fmt, va_list ap);
size_t hk_fmt(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* HK_FMT_H */
