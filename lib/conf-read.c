/* conf-read.c: /etc/hakmem.conf read at start (conf-read.h).
 *
 * The calls are the probe's own (openat, read, close, mmap, munmap) plus
 * fstat for the owner, mode and size, and, only when the file has a
 * section, readlink of /proc/self/exe and prctl(PR_GET_NAME); a missing
 * file costs one failed openat (doc/SYSCALLS.md).  O_NONBLOCK: a FIFO
 * put there must not hang every program at load (it is then refused as
 * not a regular file); a symbolic link loop fails the open with ELOOP.
 * The buffer is an anonymous mapping, not the stack: the first malloc
 * may run on a thread with a small stack. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/conf-read.h"
#include "lib/msg.h"
#include "lib/options.h"

#ifndef HK_CONF_PATH
#define HK_CONF_PATH "/etc/hakmem.conf"
#endif

const char *hk_conf_path = HK_CONF_PATH;

/* Room after the file's bytes for the executable's path (PATH_MAX). */
#define HK_CONF_EXE_ROOM 4096

/* Bad lines reported per file; then one line counts the rest, so a
 * binary file cannot use up the process's messages (HK_MSG_MAX). */
#define HK_CONF_BAD_MAX 8

static int hk_conf_fail(struct hk_conf_file *f, int err)
{
	f->err = err;
	f->state = err == ENOENT || err == ENOTDIR ? HK_CONF_ABSENT : HK_CONF_UNREADABLE;
	return f->state;
}

enum hk_conf_state hk_conf_open(const char *path, struct hk_conf_file *f, bool read_untrusted)
{
	struct stat st;
	size_t got = 0;
	int fd;

	memset(f, 0, sizeof(*f));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return hk_conf_fail(f, errno);
	if (fstat(fd, &st) != 0) {
		hk_conf_fail(f, errno);
		goto out;
	}
	f->uid = (unsigned)st.st_uid;
	f->mode = (unsigned)st.st_mode;
	f->size = (long long)st.st_size;
	if (!S_ISREG(st.st_mode)) {
		f->state = HK_CONF_NOT_REGULAR;
		goto out;
	}
	if (st.st_size > HK_CONF_MAX) {
		f->state = HK_CONF_TOO_BIG;
		goto out;
	}
	f->state = st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) ?
		HK_CONF_UNTRUSTED : HK_CONF_READ;
	if (f->state == HK_CONF_UNTRUSTED && !read_untrusted)
		goto out;
	/* One byte more than allowed, to see a file that grew past the cap
	 * since fstat. */
	f->map_size = ((size_t)HK_CONF_MAX + 1 + HK_CONF_EXE_ROOM + 4095) & ~(size_t)4095;
	f->map = mmap(NULL, f->map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f->map == MAP_FAILED) {
		f->map = NULL;
		hk_conf_fail(f, errno);
		goto out;
	}
	while (got < (size_t)HK_CONF_MAX + 1) {
		ssize_t r = read(fd, f->map + got, (size_t)HK_CONF_MAX + 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			hk_conf_fail(f, errno);
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	f->size = (long long)got;
	if (got > HK_CONF_MAX) {
		f->state = HK_CONF_TOO_BIG;
		goto out;
	}
	f->buf = f->map;
	f->len = got;
out:
	close(fd);
	if (f->state != HK_CONF_READ && f->state != HK_CONF_UNTRUSTED)
		hk_conf_close(f);
	return f->state;
}

void hk_conf_close(struct hk_conf_file *f)
{
	if (f->map)
		munmap(f->map, f->map_size);
	f->map = NULL;
	f->buf = NULL;
	f->len = 0;
}

void hk_conf_ident_self(struct hk_conf_file *f, struct hk_conf_ident *id, char *comm)
{
	memset(id, 0, sizeof(*id));
	id->paths[0] = (const char *)getauxval(AT_EXECFN);
	if (f->map) {
		char *exe = f->map + HK_CONF_MAX + 1;
		ssize_t n = readlink("/proc/self/exe", exe, HK_CONF_EXE_ROOM - 1);

		if (n > 0) {
			exe[n] = '\0';
			id->paths[1] = exe;
		}
	}
	memset(comm, 0, HK_CONF_COMM_MAX + 1);
	if (prctl(PR_GET_NAME, comm, 0, 0, 0) == 0) {
		comm[HK_CONF_COMM_MAX] = '\0';
		id->comm = comm;
	}
}

const char *hk_conf_state_why(const struct hk_conf_file *f, char *buf, size_t size)
{
	switch (f->state) {
	case HK_CONF_ABSENT:
	case HK_CONF_READ:
		return NULL;
	case HK_CONF_UNREADABLE:
		hk_fmt(buf, size, "cannot be read (%s)", hk_errno_name(f->err));
		break;
	case HK_CONF_NOT_REGULAR:
		hk_fmt(buf, size, "not a regular file");
		break;
	case HK_CONF_UNTRUSTED:
		if (f->uid != 0)
			hk_fmt(buf, size, "not owned by root (uid %u)", f->uid);
		else
			/* hk_fmt has no %o. */
			hk_fmt(buf, size, "writable by group or others (mode %u%u%u%u)",
			       f->mode >> 9 & 7, f->mode >> 6 & 7, f->mode >> 3 & 7, f->mode & 7);
		break;
	case HK_CONF_TOO_BIG:
		hk_fmt(buf, size, "bigger than %u bytes", (unsigned)HK_CONF_MAX);
		break;
	}
	return buf;
}

struct hk_conf_warn {
	const char *path;
	unsigned bad;
};

static void hk_conf_warn_line(void *ctx, unsigned line, const char *why)
{
	struct hk_conf_warn *w = ctx;

	if (!line) {
		hk_msg("%s", why);
		return;
	}
	if (++w->bad <= HK_CONF_BAD_MAX)
		hk_msg("%s:%u: %s (line ignored)", w->path, line, why);
}

void hk_conf_load(struct hk_options *o, unsigned char *src, struct hk_conf_file *f)
{
	struct hk_conf_warn w = { hk_conf_path, 0 };
	struct hk_conf_report rep = { hk_conf_warn_line, &w };
	struct hk_conf_ident id = { { NULL, NULL }, NULL };
	char comm[HK_CONF_COMM_MAX + 1];

	if (hk_conf_open(hk_conf_path, f, false) != HK_CONF_READ) {
		/* Always said: the administrator meant this file to apply. */
		if (f->state == HK_CONF_TOO_BIG)
			hk_msg("%s: bigger than %u bytes, ignored", hk_conf_path,
			       (unsigned)HK_CONF_MAX);
		return;
	}
	/* Who we are costs system calls: only asked where a section may
	 * need it. */
	if (memchr(f->buf, '[', f->len))
		hk_conf_ident_self(f, &id, comm);
	hk_options_conf(o, src, f->buf, f->len, &id, &rep);
	if (w.bad > HK_CONF_BAD_MAX)
		hk_msg("%s: %u more bad lines ignored", hk_conf_path, w.bad - HK_CONF_BAD_MAX);
	hk_conf_close(f);
}

void hk_conf_note(const struct hk_conf_file *f)
{
	char why[96];

	if (f->state != HK_CONF_TOO_BIG && hk_conf_state_why(f, why, sizeof(why)))
		hk_msg("%s: %s, ignored", hk_conf_path, why);
}
