/* stats-path.c: the HAKMEM_STATS_FILE pattern (see stats-path.h). */
#include <string.h>

#include "lib/options.h"
#include "lib/stats-path.h"
#include "probe/fmt.h"

int hk_stats_path_check(const char *s)
{
	size_t n = strnlen(s, HK_OPT_PATH_MAX);

	if (s[0] != '/' || n >= HK_OPT_PATH_MAX || s[n - 1] == '/')
		return -1;
	for (; *s; s++)
		if (*s == '%') {
			s++;
			if (*s != 'p' && *s != 'c' && *s != '%')
				return -1;
		}
	return 0;
}

bool hk_stats_path_wants_comm(const char *s)
{
	for (; *s; s++)
		if (*s == '%' && *++s == 'c')
			return true;
		else if (!*s)
			break;
	return false;
}

/* A byte of the command name as it may stand in a file name: the name
 * is the program's to choose (prctl PR_SET_NAME), so a '/' or a leading
 * '.' must not steer the path into another directory. */
static char hk_stats_path_safe(char ch, bool first)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || (ch == '.' && !first))
		return ch;
	return '_';
}

size_t hk_stats_path_expand(const char *s, long pid, const char *comm,
			    char *out, size_t size)
{
	size_t n = 0;

	for (; *s; s++) {
		char num[24];
		size_t len;

		if (*s != '%') {
			num[0] = *s;
			len = 1;
		} else if (*++s == 'p') {
			len = hk_fmt(num, sizeof(num), "%ld", pid);
		} else if (*s == 'c') {
			len = 0;
			for (const char *c = comm && *comm ? comm : "_"; *c && len < 16; c++) {
				num[len] = hk_stats_path_safe(*c, len == 0);
				len++;
			}
		} else {
			num[0] = '%';
			len = 1;
		}
		if (n + len >= size)
			return 0;
		memcpy(out + n, num, len);
		n += len;
	}
	out[n] = 0;
	return n;
}
