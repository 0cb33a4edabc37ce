/* stats-exit.c: the report at exit, and where it goes.
 *
 *   HAKMEM_STATS    HAKMEM_STATS_FILE   report at exit
 *   unset or 0      unset               none
 *   1 / json        unset               text / JSON on stderr
 *   unset           set                 JSON in the file
 *   1 / json        set                 text / JSON in the file
 *   0               set                 none (0 turns a configured file off)
 *
 * The file is named at exit (its pattern's %p is the pid that exits, so
 * a fork child that calls exit writes its own) and made new:
 * O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, so that it never overwrites a
 * file nor follows a link someone placed at its name.  When it cannot be
 * made the report is dropped, said once under HAKMEM_VERBOSE only: the
 * file is the way a fleet collects counters from programs whose stderr
 * belongs to someone else (a pipe, a mail from cron). */
#include <errno.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "lib/glibc.h"
#include "lib/msg.h"
#include "lib/options.h"
#include "lib/stats-impl.h"
#include "lib/stats-path.h"

/* A copy of fd 2 taken at start-up when the report goes to stderr,
 * because programs such as coreutils close stderr in an atexit handler,
 * before our destructor prints.  malloc_stats() writes here too. */
int hk_stats_fd = 2;

/* The form of the report at exit (HK_STATS_OFF: none). */
static enum hk_stats_mode hk_stats_mode_at_exit(const struct hk_options *o)
{
	if (o->stats == HK_STATS_UNSET)
		return o->stats_file[0] ? HK_STATS_JSON : HK_STATS_OFF;
	return o->stats;
}

void hk_stats_init(void)
{
	const struct hk_options *o = hk_options();
	int fd;

	if (hk_stats_mode_at_exit(o) == HK_STATS_OFF || o->stats_file[0])
		return;
	fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
	if (fd >= 0)
		hk_stats_fd = fd;
}

static void hk_stats_report(int fd, enum hk_stats_mode mode)
{
	if (mode == HK_STATS_JSON)
		hk_stats_json(fd, true);
	else
		hk_stats_text(fd, true);
}

static void hk_stats_to_file(const char *pattern, enum hk_stats_mode mode)
{
	char path[2048], comm[17] = "";
	int fd, saved = errno;

	if (hk_stats_path_wants_comm(pattern) && prctl(PR_GET_NAME, comm) != 0)
		comm[0] = 0;
	comm[16] = 0;
	if (!hk_stats_path_expand(pattern, (long)getpid(), comm, path, sizeof(path))) {
		hk_verbose("HAKMEM_STATS_FILE=%s: the name is too long", pattern);
		return;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
	if (fd < 0) {
		hk_verbose("HAKMEM_STATS_FILE: cannot create %s: %s", path, hk_errno_name(errno));
		errno = saved;
		return;
	}
	hk_stats_report(fd, mode);
	close(fd);
	errno = saved;
}

__attribute__((destructor)) static void hk_stats_at_exit(void)
{
	const struct hk_options *o;
	enum hk_stats_mode mode;

	/* Nothing of ours to report where glibc's malloc served. */
	if (hk_init_state != 2 || hk_glibc_now())
		return;
	o = hk_options();
	mode = hk_stats_mode_at_exit(o);
	if (mode == HK_STATS_OFF)
		return;
	if (o->stats_file[0])
		hk_stats_to_file(o->stats_file, mode);
	else
		hk_stats_report(hk_stats_fd, mode);
}
