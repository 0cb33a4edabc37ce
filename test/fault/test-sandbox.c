/* test-sandbox: hakmem in programs that lock themselves into a seccomp
 * filter that kills on any system call glibc's malloc would not make,
 * run with libhakmem.so preloaded (test-sandbox-preload.preload).
 *
 * Each case runs this program again (so HAKMEM_BACKEND reaches the
 * library at load), with the filters of sandbox-filters.h:
 *   openssh   installed in main, after start (OpenSSH's preauth child);
 *   openssh+t the same, allowing threads and fork;
 *   systemd   @system-service, installed in main;
 *   exec      @system-service installed before exec (systemd's way):
 *             the library's load, probe included, runs under it;
 *   plain     a single-threaded program's malloc set, installed in
 *             main: mmap read-write only (no PROT_NONE reservation, no
 *             MAP_FIXED), madvise MADV_DONTNEED (others fail); not
 *             for the backends whose batches are PROT_NONE reservations
 *             (populate, map_populate, hugetlb).
 * for each HAKMEM_BACKEND, and then works: a few small blocks, 48 MiB
 * of them (past the 4 MiB of chunks served before the probe used to
 * run), large blocks and realloc, valloc and pvalloc, waits past the
 * purge delay (shortened to 20 ms) and allocates again so the purge
 * runs, malloc_trim, malloc_stats and mallinfo2; threads and a fork
 * where the filter allows them.
 * A call outside the filter kills the case with SIGSYS.  Before the
 * probe moved to load (lib/load.c), every case died so.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test/tap.h"

#if defined(__x86_64__) && !defined(__ILP32__)
#include "test/fault/sandbox-filters.h"

static const char *const backends[] = {
	"auto", "lazy", "populate", "touch", "map_populate", "thp", "hugetlb",
};
static const char *const modes[] = { "openssh", "openssh+t", "systemd", "exec", "plain" };

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int fill(size_t total, size_t size)
{
	size_t n = total / size;
	unsigned char **v = malloc(n * sizeof(*v));

	if (!v)
		return 1;
	for (size_t i = 0; i < n; i++) {
		if (!(v[i] = malloc(size)))
			return 1;
		memset(v[i], (int)i, size);
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i][size - 1] != (unsigned char)i)
			return 1;
		if (i % 4)
			free(v[i]);
	}
	for (size_t i = 0; i < n; i += 4)
		free(v[i]);
	free(v);
	return 0;
}

static int large(void)
{
	char *p = malloc(8 << 20), *q;
	void *a = valloc(100000), *b = pvalloc(5000), *c = NULL;

	if (!p || !a || !b || posix_memalign(&c, 1 << 16, 300 << 10))
		return 1;
	memset(p, 1, 8 << 20);
	if (!(q = realloc(p, 40 << 20)) || q[(8 << 20) - 1] != 1)
		return 1;
	memset(q, 2, 40 << 20);
	free(q);
	free(a);
	free(b);
	free(c);
	return 0;
}

static void *thread_work(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)(fill(8 << 20, 200) | large());
}

/* What a sandboxed program does; 0 when all went well. */
static int work(int threads)
{
	void *small[16];
	int bad = 0;

	for (int i = 0; i < 16; i++)
		bad |= !(small[i] = malloc(16 + 24 * i));
	for (int i = 0; i < 16; i++)
		free(small[i]);
	bad |= fill(48 << 20, 100);
	bad |= large();
	for (int round = 0; round < 3; round++) {
		nap_ms(60);	/* past HAKMEM_PURGE_DELAY_MS */
		bad |= fill(6 << 20, 3000);
	}
	malloc_trim(0);
	malloc_stats();		/* on stderr, which the parent discards */
	bad |= mallinfo2().arena == 0;
	if (threads) {
		pthread_t t[4];
		void *r;
		pid_t pid;
		int st;

		for (int i = 0; i < 4; i++)
			bad |= pthread_create(&t[i], NULL, thread_work, NULL) != 0;
		for (int i = 0; i < 4; i++)
			bad |= pthread_join(t[i], &r) != 0 || r != NULL;
		pid = fork();
		if (pid == 0)
			_exit(fill(16 << 20, 500) | large());
		bad |= pid < 0 || waitpid(pid, &st, 0) != pid ||
		       !WIFEXITED(st) || WEXITSTATUS(st) != 0;
		nap_ms(60);
		bad |= fill(6 << 20, 3000);
	}
	return bad;
}

/* The child's side: argv[1] "run", argv[2] the mode. */
static int child(const char *mode, char **argv)
{
	struct hk_sbx f;
	int threads = strcmp(mode, "openssh+t") == 0 || strcmp(mode, "systemd") == 0 ||
		      strcmp(mode, "exec") == 0;

	if (strcmp(mode, "exec") == 0) {
		char *args[] = { argv[0], "run", "exec-started", NULL };

		hk_sbx_systemd(&f, 0);
		if (hk_sbx_install(&f) != 0)
			return 125;
		execv("/proc/self/exe", args);
		return 127;
	}
	if (strcmp(mode, "exec-started") != 0) {
		if (strncmp(mode, "openssh", 7) == 0)
			hk_sbx_openssh(&f, threads);
		else if (strcmp(mode, "plain") == 0)
			hk_sbx_plain(&f);
		else
			hk_sbx_systemd(&f, 0);
		if (hk_sbx_install(&f) != 0)
			return 125;
	}
	return work(threads);
}

static int run_case(const char *mode, const char *backend, int *sig)
{
	pid_t pid;
	int st;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		char *args[] = { "test-sandbox", "run", (char *)mode, NULL };

		setenv("HAKMEM_BACKEND", backend, 1);
		setenv("HAKMEM_PURGE_DELAY_MS", "20", 1);
		if (!freopen("/dev/null", "w", stderr))
			_exit(127);
		alarm(60);	/* a hang dies by SIGALRM */
		execv("/proc/self/exe", args);
		_exit(127);
	}
	*sig = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	if (WIFSIGNALED(st)) {
		*sig = WTERMSIG(st);
		return -1;
	}
	return WEXITSTATUS(st);
}

int main(int argc, char **argv)
{
	const int nb = sizeof(backends) / sizeof(backends[0]);
	const int nm = sizeof(modes) / sizeof(modes[0]);
	struct hk_sbx probe;
	pid_t pid;
	int st;

	if (argc > 2 && strcmp(argv[1], "run") == 0)
		return child(argv[2], argv);
	/* Can this system install a filter at all? */
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		hk_sbx_systemd(&probe, 0);
		_exit(hk_sbx_install(&probe) == 0 ? 0 : 125);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0)
		tap_skip_all("no seccomp filters here");
	tap_plan(nb * nm);
	for (int m = 0; m < nm; m++) {
		for (int b = 0; b < nb; b++) {
			int sig, rc;

			/* Their batches are PROT_NONE, each chunk committed by
			 * a mapping over it (doc/SYSCALLS.md); hugetlb's only
			 * where a pool is, so it is left out everywhere. */
			if (strcmp(modes[m], "plain") == 0 &&
			    (strstr(backends[b], "populate") || strcmp(backends[b], "hugetlb") == 0)) {
				tap_skip("plain: %s reserves PROT_NONE and commits with MAP_FIXED",
					 backends[b]);
				continue;
			}
			rc = run_case(modes[m], backends[b], &sig);
			if (rc == 125)
				tap_skip("%s: the filter could not be installed", modes[m]);
			else
				tap_ok(rc == 0, "%s filter, HAKMEM_BACKEND=%s: %s",
				       modes[m], backends[b],
				       sig == SIGSYS ? "killed by SIGSYS (a call outside the filter)" :
				       sig ? strsignal(sig) : rc ? "the work failed" : "survives");
		}
	}
	return tap_done();
}
#else
int main(void)
{
	tap_skip_all("the filters are written for x86-64");
}
#endif
