/* test-probe-hidden: the library's probe (HK_PROBE_LEAN, as lib/os.c
 * runs it at load) in a sandbox that hides /proc and /sys from it: a
 * filter modelled on systemd's @system-service (kill on anything else,
 * test/fault/sandbox-filters.h) under which open and openat fail with
 * EACCES (ProtectKernelTunables=, ProtectProc= and the like) or ENOSYS.
 *
 * The probe must survive (no call outside the set), and the policy must
 * fall back to what is safe without the files: auto, thp and hugetlb end
 * on lazy 4 KiB pages (THP and the hugetlb pool unknown means unused);
 * the backends decided by trial calls keep what the trials found.
 */
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe/caps.h"
#include "probe/select.h"
#include "test/tap.h"

#if defined(__x86_64__) && !defined(__ILP32__)
#include "test/fault/sandbox-filters.h"

static const enum hk_backend_id wants[] = {
	HK_BACKEND_AUTO, HK_BACKEND_THP, HK_BACKEND_HUGETLB, HK_BACKEND_LAZY,
};

/* In a child: probe under the filter, write the backends chosen for
 * wants[] to fd; exit 0, or 125 when no filter can be installed. */
static int probe_child(int open_errno, int fd)
{
	struct hk_sbx f;
	struct hk_caps caps;
	enum hk_backend_id got[sizeof(wants) / sizeof(wants[0])];

	hk_sbx_systemd(&f, open_errno);
	if (hk_sbx_install(&f) != 0)
		return 125;
	hk_probe(&caps, "", HK_PROBE_LEAN | HK_PROBE_HUGETLB);
	for (size_t i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		struct hk_select_in in = { .backend = wants[i], .prefault = HK_PREFAULT_UNSET };
		struct hk_choice ch;

		hk_select(&caps, &in, &ch);
		got[i] = ch.backend;
	}
	return write(fd, got, sizeof(got)) == (ssize_t)sizeof(got) ? 0 : 1;
}

static void run(int open_errno)
{
	enum hk_backend_id got[sizeof(wants) / sizeof(wants[0])];
	int fd[2], st = 0;
	ssize_t n = -1;
	pid_t pid;

	if (pipe(fd) != 0)
		tap_skip_all("pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(fd[0]);
		alarm(30);
		_exit(probe_child(open_errno, fd[1]));
	}
	close(fd[1]);
	if (pid > 0)
		n = read(fd[0], got, sizeof(got));
	close(fd[0]);
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		st = -1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 125) {
		for (size_t i = 0; i <= sizeof(wants) / sizeof(wants[0]); i++)
			tap_skip("no seccomp filters here");
		return;
	}
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && n == (ssize_t)sizeof(got),
	       "open fails with %s: the probe survives a kill-by-default "
	       "@system-service filter (%s)", strerror(open_errno),
	       WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : "exited");
	for (size_t i = 0; i < sizeof(wants) / sizeof(wants[0]); i++)
		tap_ok(n == (ssize_t)sizeof(got) && got[i] == HK_BACKEND_LAZY,
		       "open fails with %s: HAKMEM_BACKEND=%s ends on lazy (%s)",
		       strerror(open_errno), hk_backend_name(wants[i]),
		       n == (ssize_t)sizeof(got) ? hk_backend_name(got[i]) : "-");
}

int main(void)
{
	tap_plan(2 * (1 + (int)(sizeof(wants) / sizeof(wants[0]))));
	run(EACCES);
	run(ENOSYS);
	return tap_done();
}
#else
int main(void)
{
	tap_skip_all("the filters are written for x86-64");
}
#endif
