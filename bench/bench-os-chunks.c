/* bench-os-chunks.c: what a superslab chunk costs through the OS layer.
 *
 *   bench-os-chunks [REPS]
 *
 * For each backend (HAKMEM_BACKEND set in a fresh child per repetition):
 * µs to get a chunk and write one byte per 4 KiB page, for fresh chunks
 * (past the lazy first ones) and for chunks reused from the cache; then
 * the first-superslab case: one chunk of which a small program touches
 * 16 KiB, with the layer's early-chunk policy (4 KiB pages) against a
 * THP chunk as the thp backend would give without it.  Medians over REPS
 * (default 5).  Not part of make check: timings are the machine's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/os.h"

#define FRESH 16
#define CACHED 8	/* within the cache's unpurged share */
#define MAXREPS 15

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static void touch(char *p, size_t len)
{
	for (size_t i = 0; i < len; i += 4096)
		p[i] = 1;
}

/* µs per chunk: alloc + touch every page. */
static double run_chunks(void **v, int n)
{
	double t0 = now_us();
	bool fresh;

	for (int i = 0; i < n; i++) {
		if (hk_os_chunk_alloc(HK_CHUNK_SIZE, &v[i], &fresh))
			_exit(2);
		touch(v[i], HK_CHUNK_SIZE);
	}
	return (now_us() - t0) / n;
}

/* Child: writes "fresh cached" µs per chunk on fd. */
static void child_chunks(const char *backend, int fd)
{
	void *v[FRESH], *skip[2];
	double fresh, cached;
	char buf[64];
	bool f;

	setenv("HAKMEM_BACKEND", backend, 1);
	hk_os_init();
	for (int i = 0; i < 2; i++)	/* the lazy early chunks */
		hk_os_chunk_alloc(HK_CHUNK_SIZE, &skip[i], &f);
	fresh = run_chunks(v, FRESH);
	for (int i = 0; i < CACHED; i++)
		hk_os_chunk_free(v[i], HK_CHUNK_SIZE);
	cached = run_chunks(v, CACHED);
	snprintf(buf, sizeof(buf), "%.1f %.1f %s\n", fresh, cached, hk_os_current()->name);
	_exit(write(fd, buf, strlen(buf)) < 0);
}

/* Child: first superslab, 16 KiB touched: "µs rss_kb". */
static void child_first(int thp, int fd)
{
	double t0;
	long r0;
	void *p;
	char buf[64];
	bool f;

	setenv("HAKMEM_BACKEND", "thp", 1);
	hk_os_init();
	r0 = rss_kb();
	t0 = now_us();
	if (thp ? hk_os_thp.acquire(HK_CHUNK_SIZE, HK_CHUNK_SIZE, &p)
		: hk_os_chunk_alloc(HK_CHUNK_SIZE, &p, &f))
		_exit(2);
	touch(p, 16384);
	snprintf(buf, sizeof(buf), "%.1f %ld 0\n", now_us() - t0, rss_kb() - r0);
	_exit(write(fd, buf, strlen(buf)) < 0);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Runs REPS children of one case, prints the medians. */
static void measure(const char *label, const char *backend, int first, int reps)
{
	double a[MAXREPS], b[MAXREPS];
	char buf[128] = "", used[32] = "?";

	for (int r = 0; r < reps; r++) {
		int fds[2];
		ssize_t n;

		if (pipe(fds))
			exit(1);
		fflush(stdout);
		if (fork() == 0) {
			close(fds[0]);
			if (first)
				child_first(first == 2, fds[1]);
			child_chunks(backend, fds[1]);
		}
		close(fds[1]);
		n = read(fds[0], buf, sizeof(buf) - 1);
		close(fds[0]);
		wait(NULL);
		buf[n > 0 ? n : 0] = '\0';
		if (sscanf(buf, "%lf %lf %31s", &a[r], &b[r], used) < 2)
			a[r] = b[r] = -1;
	}
	qsort(a, (size_t)reps, sizeof(double), cmp);
	qsort(b, (size_t)reps, sizeof(double), cmp);
	if (first)
		printf("%-34s %10.1f µs %8.0f kB RSS\n", label, a[reps / 2], b[reps / 2]);
	else
		printf("%-14s (ran as %-8s) fresh %8.1f µs/chunk   cached %8.1f µs/chunk\n",
		       label, used, a[reps / 2], b[reps / 2]);
}

int main(int argc, char **argv)
{
	static const char *const backends[] = {
		"lazy", "touch", "populate", "map_populate", "thp", "hugetlb",
	};
	int reps = argc > 1 ? atoi(argv[1]) : 5;

	if (reps < 1 || reps > MAXREPS)
		reps = 5;
	printf("# chunk = 2 MiB, alloc + one write per 4 KiB page, median of %d\n", reps);
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		measure(backends[i], backends[i], 0, reps);
	printf("# first superslab, 16 KiB touched\n");
	measure("early policy (4 KiB pages)", "thp", 1, reps);
	measure("thp chunk (MADV_HUGEPAGE)", "thp", 2, reps);
	return 0;
}
