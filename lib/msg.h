/* msg.h: messages from inside the allocator.
 *
 * Formatted into a stack buffer by hk_fmt and written to fd 2 with
 * write(2), retrying on EINTR: no stdio, no malloc, async-signal-safe.
 * Every line starts with "hakmem: ".  errno is preserved.
 */
#ifndef HK_MSG_H
#define HK_MSG_H

#include "probe/fmt.h"

/* Always printed (warnings about bad options, demotions the user asked
 * to see...).  At most HK_MSG_MAX lines per process, so a broken loop
 * cannot flood a fleet's logs. */
void hk_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Printed only under HAKMEM_VERBOSE=1. */
void hk_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print one line and abort(): detected heap corruption or misuse. */
__attribute__((noreturn)) void hk_fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/* Write exactly this text to fd 2 (no prefix, no limit). */
void hk_write_err(const char *s, size_t n);

/* The symbolic name of an errno value ("EINVAL"), or "errno N" for one
 * it does not know, in a static buffer: no strerror, which may allocate
 * (locales). */
const char *hk_errno_name(int err);

#define HK_MSG_MAX 64

#endif /* HK_MSG_H */
