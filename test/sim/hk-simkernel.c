/* hk-simkernel.c: run a command as if on another kernel: another
 * release, another THP setup, no hugetlbfs, the UNAME26 personality, a
 * hugetlb pool grown for the run.  With test/sim/hk-seccomp (calls that
 * fail as on an older kernel) it makes the kernels of test/sim/kernels.txt.
 *
 * Usage:
 *   hk-simkernel [OPTION]... [--] CMD [ARG]...
 *
 *   --osrelease REL    uname(2), /proc/sys/kernel/osrelease and
 *                      /proc/version report REL
 *   --thp MODE         MODE never, madvise or always: the
 *                      transparent_hugepage/enabled file shows [MODE];
 *                      never also sets PR_SET_THP_DISABLE, so no huge page
 *                      is faulted in.  MODE absent: the
 *                      transparent_hugepage directory is gone (ENOENT),
 *                      and PR_SET_THP_DISABLE too
 *   --thp-defrag WORD  transparent_hugepage/defrag shows [WORD]
 *   --no-hugetlbfs     hugetlbfs is not in /proc/filesystems, /proc/meminfo
 *                      has no HugePages_*, Hugepagesize or Hugetlb line,
 *                      /sys/kernel/mm/hugepages is gone
 *   --hugepages-absent only /sys/kernel/mm/hugepages is gone (before 2.6.27)
 *   --uname26          the UNAME26 personality: uname(2) says 2.6.(60+minor)
 *   --hugetlb-pool N   add N default-size pages to vm.nr_hugepages for the
 *                      run and take them back after it (root only)
 *   -h, --help         this text on stdout, exit 0
 *
 * Example, RHEL 8 (a 4.18 kernel, MADV_POPULATE_* unknown):
 *   hk-simkernel --osrelease 4.18.0-553.el8_10.x86_64 -- \
 *       test/sim/hk-seccomp --madvise POPULATE_WRITE=EINVAL \
 *       --madvise POPULATE_READ=EINVAL -- hk-probe/hk-probe --json
 *
 * How: a private mount namespace (sim-mounts.c) with files bound over the
 * real ones; uname(2) answered by this launcher through a seccomp user
 * notification (sim-uname.c, Linux 5.0); personality(2) and prctl(2) set
 * before exec, inherited by every child.  What it cannot fake
 * (doc/KERNEL-COSTS.md, section 5): memory behaving as THP "always" on a host that is
 * not, the auxv/vDSO version, i386 system calls, /proc/meminfo changing
 * while the command runs (its copy is taken at start under
 * --no-hugetlbfs), /proc/sys/vm/nr_hugepages staying present.
 *
 * Needs root, or an unprivileged user namespace (then --hugetlb-pool
 * fails).  Exit status: CMD's own (a CMD killed by a signal kills the
 * launcher with it); 2 for a usage error; 125 when the simulation cannot
 * be set up here (the caller should skip, saying why: the message is on
 * stderr); 127 when CMD cannot be executed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test/sim/sim.h"

#ifndef UNAME26
#define UNAME26 0x0020000
#endif
#ifndef PR_SET_THP_DISABLE
#define PR_SET_THP_DISABLE 41
#endif

static pid_t hk_child;

static void hk_usage(FILE *f, int status)
{
	fprintf(f,
		"Usage: hk-simkernel [OPTION]... [--] CMD [ARG]...\n"
		"Run CMD in a simulated kernel (a private mount namespace).\n"
		"  --osrelease REL     uname, osrelease and /proc/version say REL\n"
		"  --thp MODE          never|madvise|always|absent\n"
		"  --thp-defrag WORD   the defrag file shows [WORD]\n"
		"  --no-hugetlbfs      no hugetlbfs, no HugePages_ lines, no hugepages dir\n"
		"  --hugepages-absent  no /sys/kernel/mm/hugepages\n"
		"  --uname26           the UNAME26 personality\n"
		"  --hugetlb-pool N    N more pages in vm.nr_hugepages for the run\n"
		"Exit: CMD's status; 2 usage; 125 cannot simulate here; 127 CMD not run.\n");
	exit(status);
}

static int hk_thp_mode_ok(const char *m)
{
	return strcmp(m, "never") == 0 || strcmp(m, "madvise") == 0 ||
	       strcmp(m, "always") == 0 || strcmp(m, "absent") == 0;
}

/* The options; the index of CMD in argv. */
static int hk_parse(int argc, char **argv, struct hk_sim *sim)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--") == 0)
			return i + 1;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			hk_usage(stdout, 0);
		if (strcmp(a, "--no-hugetlbfs") == 0)
			sim->no_hugetlbfs = 1;
		else if (strcmp(a, "--hugepages-absent") == 0)
			sim->hugepages_absent = 1;
		else if (strcmp(a, "--uname26") == 0)
			sim->uname26 = 1;
		else if (!v)
			hk_usage(stderr, HK_SIM_EXIT_USAGE);
		else if (strcmp(a, "--osrelease") == 0 && *v && strlen(v) < 65)
			sim->osrelease = argv[++i];
		else if (strcmp(a, "--thp") == 0 && hk_thp_mode_ok(v))
			sim->thp = argv[++i];
		else if (strcmp(a, "--thp-defrag") == 0 && *v)
			sim->thp_defrag = argv[++i];
		else if (strcmp(a, "--hugetlb-pool") == 0 && (sim->pool = atol(v)) > 0)
			i++;
		else
			hk_usage(stderr, HK_SIM_EXIT_USAGE);
	}
	return i;
}

static int hk_thp_disable(const struct hk_sim *sim)
{
	return sim->thp && (strcmp(sim->thp, "never") == 0 || strcmp(sim->thp, "absent") == 0);
}

/* The process settings inherited across exec. */
static int hk_set_process(const struct hk_sim *sim)
{
	if (sim->uname26 && personality((unsigned long)personality(0xffffffff) | UNAME26) == -1) {
		perror("hk-simkernel: personality(UNAME26)");
		return -1;
	}
	if (hk_thp_disable(sim) && prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0) {
		perror("hk-simkernel: prctl(PR_SET_THP_DISABLE)");
		return -1;
	}
	return 0;
}

static void hk_exec(char **cmd)
{
	execvp(cmd[0], cmd);
	fprintf(stderr, "hk-simkernel: %s: %s\n", cmd[0], strerror(errno));
	_exit(HK_SIM_EXIT_EXEC);
}

/* The uname listener (or -1: none) from the child to the supervisor. */
static void hk_send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, ok = fd >= 0;
	struct iovec iov = { &ok, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		CMSG_FIRSTHDR(&msg)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&msg)->cmsg_type = SCM_RIGHTS;
		CMSG_FIRSTHDR(&msg)->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&msg)), &fd, sizeof(int));
	}
	if (sendmsg(sock, &msg, 0) != 1)
		_exit(HK_SIM_EXIT_SETUP);
}

static int hk_recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))], ok = 0;
	struct iovec iov = { &ok, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	int fd = -1;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1 || !ok)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static void hk_forward(int sig)
{
	if (hk_child > 0)
		kill(hk_child, sig);
}

/* Exits as the command did: its status, or its signal (without a core). */
static int hk_exit_like(int status)
{
	struct rlimit none = { 0, 0 };
	sigset_t set;
	int sig;

	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	sig = WTERMSIG(status);
	setrlimit(RLIMIT_CORE, &none);
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	return 128 + sig;
}

/* In the child: the process settings, the uname filter, then CMD. */
static void hk_child_run(const struct hk_sim *sim, int sock, char **cmd)
{
	if (hk_set_process(sim) != 0)
		_exit(HK_SIM_EXIT_SETUP);
	if (sock >= 0) {
		int fd = hk_sim_uname_filter();

		hk_send_fd(sock, fd);
		if (fd < 0)
			_exit(HK_SIM_EXIT_SETUP);
		close(fd);
		close(sock);
	}
	hk_exec(cmd);
}

/* The launcher stays CMD's parent: to answer uname, to shrink the pool. */
static int hk_supervise(const struct hk_sim *sim, char **cmd)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	int sv[2] = { -1, -1 }, status = HK_SIM_EXIT_SETUP << 8;
	long added = sim->pool ? hk_sim_pool_grow(sim->pool) : 0;
	char rel[65];

	if (added < 0)
		return HK_SIM_EXIT_SETUP;
	if (sim->osrelease && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		perror("hk-simkernel: socketpair");
	else if ((hk_child = fork()) < 0)
		perror("hk-simkernel: fork");
	else if (hk_child == 0)
		hk_child_run(sim, sv[1], cmd);
	for (unsigned i = 0; hk_child > 0 && i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], hk_forward);
	if (hk_child > 0 && sim->osrelease) {
		int fd;

		close(sv[1]);
		fd = hk_recv_fd(sv[0]);
		hk_sim_uname_release(sim->osrelease, sim->uname26, rel, sizeof(rel));
		if (fd >= 0) {
			hk_sim_uname_serve(fd, hk_child, rel);
			close(fd);
		}
	}
	while (hk_child > 0 && waitpid(hk_child, &status, 0) < 0 && errno == EINTR)
		;
	hk_sim_pool_shrink(added);
	return hk_exit_like(status);
}

int main(int argc, char **argv)
{
	struct hk_sim sim = { 0 };
	int i = hk_parse(argc, argv, &sim);

	if (i >= argc)
		hk_usage(stderr, HK_SIM_EXIT_USAGE);
	if (hk_sim_mounts(&sim) != 0)
		return HK_SIM_EXIT_SETUP;
	if (sim.osrelease || sim.pool)
		return hk_supervise(&sim, argv + i);
	if (hk_set_process(&sim) != 0)
		return HK_SIM_EXIT_SETUP;
	hk_exec(argv + i);
	return HK_SIM_EXIT_EXEC;
}
