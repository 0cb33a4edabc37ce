/* sysfile.c: one-shot reads of small kernel files and the few parsers the
 * readers share.  No stdio, no allocation: this runs inside malloc's first
 * call for OS memory. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "probe/sysfile.h"

int hk_syspath(char *out, size_t size, const char *root, const char *path)
{
	size_t rl = strlen(root), pl = strlen(path);

	if (rl + pl + 1 > size)
		return -ENAMETOOLONG;
	memcpy(out, root, rl);
	memcpy(out + rl, path, pl + 1);
	return 0;
}

ssize_t hk_sysfile_read(const char *root, const char *path, char *buf,
			size_t size)
{
	char full[HK_SYSPATH_MAX];
	size_t len = 0;
	ssize_t n;
	int fd, err;

	buf[0] = '\0';
	err = hk_syspath(full, sizeof(full), root, path);
	if (err)
		return err;
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* procfs may hand out a file in pieces: read until EOF or full. */
	while (len + 1 < size) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : 0;
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return err ? err : (ssize_t)len;
}

int hk_sysfile_u64(const char *root, const char *path, uint64_t *out)
{
	char buf[64];
	ssize_t n = hk_sysfile_read(root, path, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	if (strncmp(buf, "max", 3) == 0) {
		*out = UINT64_MAX;
		return 0;
	}
	return hk_parse_u64(buf, out) ? 0 : -EINVAL;
}

static const char *hk_skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static int hk_digit(char c, unsigned base)
{
	unsigned d;

	if (c >= '0' && c <= '9')
		d = (unsigned)(c - '0');
	else if (c >= 'a' && c <= 'f')
		d = (unsigned)(c - 'a' + 10);
	else if (c >= 'A' && c <= 'F')
		d = (unsigned)(c - 'A' + 10);
	else
		return -1;
	return d < base ? (int)d : -1;
}

static const char *hk_parse_base(const char *s, uint64_t *out, unsigned base)
{
	uint64_t v = 0;
	int d, any = 0;

	s = hk_skip_blanks(s);
	for (; (d = hk_digit(*s, base)) >= 0; s++, any = 1)
		v = v > (UINT64_MAX - (unsigned)d) / base ? UINT64_MAX
							   : v * base + (unsigned)d;
	if (!any)
		return NULL;
	*out = v;
	return s;
}

const char *hk_parse_u64(const char *s, uint64_t *out)
{
	return hk_parse_base(s, out, 10);
}

const char *hk_parse_x64(const char *s, uint64_t *out)
{
	return hk_parse_base(s, out, 16);
}

const char *hk_line_value(const char *buf, const char *key)
{
	size_t kl = strlen(key);
	const char *p = buf;

	while (p && *p) {
		if (strncmp(p, key, kl) == 0)
			return p + kl;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

size_t hk_bracket_word(const char *s, const char **word)
{
	const char *open = strchr(s, '['), *close;

	if (!open)
		return 0;
	close = strchr(open + 1, ']');
	if (!close)
		return 0;
	*word = open + 1;
	return (size_t)(close - open - 1);
}

int hk_word_is(const char *w, size_t len, const char *lit)
{
	return strlen(lit) == len && memcmp(w, lit, len) == 0;
}
