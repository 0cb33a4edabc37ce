/* msg.c: hk_msg, hk_verbose, hk_fatal: lines to stderr through write(2).
 * See msg.h for why nothing here may allocate. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/msg.h"
#include "lib/options.h"

static int hk_msg_count;

void hk_write_err(const char *s, size_t n)
{
	int saved = errno;

	while (n) {
		ssize_t w = write(2, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		s += w;
		n -= (size_t)w;
	}
	errno = saved;
}

static void hk_vmsg(const char *fmt, va_list ap)
{
	char buf[512];
	size_t n;

	n = hk_fmt(buf, sizeof(buf) - 1, "hakmem: ");
	n += hk_vfmt(buf + n, sizeof(buf) - 1 - n, fmt, ap);
	buf[n++] = '\n';
	hk_write_err(buf, n);
}

void hk_msg(const char *fmt, ...)
{
	va_list ap;

	/* Racy on purpose: a few lines too many beat a lock in here. */
	if (hk_msg_count >= HK_MSG_MAX)
		return;
	hk_msg_count++;
	va_start(ap, fmt);
	hk_vmsg(fmt, ap);
	va_end(ap);
}

void hk_verbose(const char *fmt, ...)
{
	va_list ap;

	if (!hk_options()->verbose || hk_msg_count >= HK_MSG_MAX)
		return;
	hk_msg_count++;
	va_start(ap, fmt);
	hk_vmsg(fmt, ap);
	va_end(ap);
}

void hk_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hk_vmsg(fmt, ap);
	va_end(ap);
	abort();
}

const char *hk_errno_name(int err)
{
	static const struct { int err; const char *name; } names[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EINTR, "EINTR" },
		{ EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" }, { EACCES, "EACCES" },
		{ EFAULT, "EFAULT" }, { EBUSY, "EBUSY" }, { EEXIST, "EEXIST" },
		{ EINVAL, "EINVAL" }, { ENOSPC, "ENOSPC" }, { ENOSYS, "ENOSYS" },
		{ EOPNOTSUPP, "EOPNOTSUPP" }, { EHWPOISON, "EHWPOISON" },
		{ ELOOP, "ELOOP" }, { EISDIR, "EISDIR" }, { EIO, "EIO" },
		{ ENOTDIR, "ENOTDIR" }, { EROFS, "EROFS" },
	};
	static char buf[24];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].err == err)
			return names[i].name;
	hk_fmt(buf, sizeof(buf), "errno %d", err);
	return buf;
}
