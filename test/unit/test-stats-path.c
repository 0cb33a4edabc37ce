/* test-stats-path: the HAKMEM_STATS_FILE pattern (lib/stats-path.c):
 * what it accepts, and the name it makes at exit from a pid and a
 * command name, which the program chooses and so may not steer the
 * file into another directory. */
#include <string.h>

#include "lib/options.h"
#include "lib/stats-path.h"
#include "test/tap.h"

static int expands(const char *pattern, long pid, const char *comm, const char *want)
{
	char out[256];
	size_t n = hk_stats_path_expand(pattern, pid, comm, out, sizeof(out));

	if (n && n == strlen(want) && !strcmp(out, want))
		return 1;
	tap_diag("%s (%ld, %s): %s, want %s", pattern, pid, comm ? comm : "NULL",
		 n ? out : "(too long)", want);
	return 0;
}

int main(void)
{
	char out[16];

	tap_plan(9);
	tap_ok(hk_stats_path_check("/var/log/hakmem/%c.%p.json") == 0 &&
	       hk_stats_path_check("/x%%y") == 0 && hk_stats_path_check("/x") == 0,
	       "absolute patterns with %%p, %%c, %%%% are valid");
	tap_ok(hk_stats_path_check("") && hk_stats_path_check("x") &&
	       hk_stats_path_check("/x/") && hk_stats_path_check("/x%") &&
	       hk_stats_path_check("/x%s") && hk_stats_path_check("/%%%"),
	       "empty, relative, a directory, a lone or unknown %% are not");
	tap_ok(expands("/t/%p.json", 4242, NULL, "/t/4242.json") &&
	       expands("/t/%p-%p", 7, "x", "/t/7-7"),
	       "%%p is the pid, each time it appears");
	tap_ok(expands("/t/100%%-%c", 1, "sshd", "/t/100%-sshd") &&
	       expands("/t/%%p", 1, "x", "/t/%p"), "%%%% is a %%, and does not start an escape");
	tap_ok(expands("/t/%c", 1, "../../etc", "/t/_._.._etc") &&
	       expands("/t/%c.json", 1, "a/b c", "/t/a_b_c.json"),
	       "the command cannot add a directory: '/' and a leading '.' become '_'");
	tap_ok(expands("/t/%c", 1, "", "/t/_") && expands("/t/%c", 1, NULL, "/t/_") &&
	       expands("/t/%c", 1, "0123456789abcdefXYZ", "/t/0123456789abcdef"),
	       "an empty command is '_'; at most 16 bytes of it");
	tap_ok(hk_stats_path_wants_comm("/t/%c") && !hk_stats_path_wants_comm("/t/%%c") &&
	       !hk_stats_path_wants_comm("/t/%p"), "the command is asked for only for %%c");
	tap_ok(hk_stats_path_expand("/t/%p", 123456, NULL, out, 10) == 9 &&
	       !strcmp(out, "/t/123456"), "a name that just fits is made");
	tap_ok(hk_stats_path_expand("/t/%p", 1234567, NULL, out, 10) == 0,
	       "a name that does not fit is not made (0)");
	return tap_done();
}
