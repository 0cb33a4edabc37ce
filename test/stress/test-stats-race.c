/* test-stats-race.c: the statistics calls (mallinfo2, mallinfo,
 * malloc_info, malloc_stats) from a monitor thread while other threads
 * work, and the HAKMEM_STATS=1 report at exit with threads still running.
 * hakmem(7): they may be called at any time from any thread; they must
 * never fault nor hang, and their figures stay sane.
 *
 * Workers come and go in waves: each maps a few superslabs' worth of
 * small blocks and frees them, maps and unmaps large blocks, and exits,
 * so that superslabs are given back to the OS while the monitor reads;
 * another thread forks children that do the same (a walk the fork cut
 * short must not hold the child's frees back).
 * A block of known size stays live all along: every sample must count
 * it.  Each run is a child with a time bound (child.h); a crash, an
 * abort or a hang fails it.  HK_STATS_RUNS sets the runs per case
 * (more for a soak).
 */
#include <pthread.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "test/api/alloc-api.h"
#include "test/badinput/child.h"
#include "test/stress/wait.h"

enum {
	WORKERS = 6,		/* at a time */
	WAVES = 30,		/* of workers per run */
	SMALL = 3000,		/* blocks a worker maps and frees */
	ROUNDS = 2,		/* times, each followed by malloc_trim */
	LIVE = 4 << 20,		/* bytes held live all along */
	LIVE_BLOCK = 1000,
	RUN_LIMIT = 60,		/* seconds: a run takes about one */
};

static volatile int stop;
static int bad_sample;

static void *worker(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	void **v = ta.malloc(SMALL * sizeof(void *));

	if (!v)
		return NULL;
	for (int round = 0; round < ROUNDS; round++) {
		for (int i = 0; i < SMALL; i++) {
			seed = seed * 1103515245u + 12345u;
			v[i] = ta.malloc(16 + (seed >> 8) % 2048);
			if (v[i])
				*(char *)v[i] = 1;
		}
		for (int i = 0; i < 4; i++) {
			void *big = ta.malloc(((size_t)1 + i) << 20);

			if (big)
				*(char *)big = 1;
			ta.free(big);
		}
		for (int i = 0; i < SMALL; i++)
			ta.free(v[i]);
		/* Superslabs back to the OS, not to its cache only. */
		ta.malloc_trim(0);
	}
	ta.free(v);
	return NULL;
}

/* Waves of workers, created by a thread that is one of them too. */
static void *waves(void *arg)
{
	(void)arg;
	for (int w = 0; w < WAVES && !stop; w++) {
		pthread_t t[WORKERS];
		int n = 0;

		for (int i = 0; i < WORKERS; i++)
			n += pthread_create(&t[n], NULL, worker, (void *)(uintptr_t)(w * 64 + i + 1)) == 0;
		for (int i = 0; i < n; i++)
			pthread_join(t[i], NULL);
	}
	return NULL;
}

static void sample(size_t live)
{
	struct mallinfo2 m = ta.mallinfo2();

	if (m.uordblks < live || m.arena < m.uordblks / 2)
		bad_sample = 1;
}

/* Every statistics call once; f and mem may be NULL. */
static void report(size_t live, FILE *f, FILE *mem)
{
	sample(live);
	(void)ta.mallinfo();
	if (f)
		ta.malloc_info(0, f);
	if (mem)
		ta.malloc_info(0, mem);
	ta.malloc_stats();
}

static void *monitor(void *arg)
{
	size_t live = (size_t)(uintptr_t)arg;
	int null = open("/dev/null", O_WRONLY);
	FILE *f = fdopen(null, "w");
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);

	while (!stop)
		report(live, f, mem);
	if (mem)
		fclose(mem);
	free(buf);
	if (f)
		fclose(f);
	return NULL;
}

/* Fork while the monitor reads: the child maps and gives back
 * superslabs itself and reads the statistics.  A child that hangs is
 * killed and counted. */
static int forks_hung;

static void *forker(void *arg)
{
	(void)arg;
	while (!stop) {
		int status;
		pid_t pid = fork();

		if (pid == 0) {
			worker((void *)(uintptr_t)getpid());
			(void)ta.mallinfo2();
			_exit(0);
		}
		if (pid < 0)
			break;
		if (!bounded_wait(pid, &status, 10) || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			forks_hung++;
	}
	return NULL;
}

/* Hold LIVE bytes, run the waves with the monitor going, check. */
static int run_monitor(void *arg)
{
	void *held[LIVE / LIVE_BLOCK];
	pthread_t mon, wav, frk;
	int null = open("/dev/null", O_WRONLY);

	(void)arg;
	/* malloc_stats writes on stderr: child.h's pipe would fill. */
	if (null >= 0)
		dup2(null, 2);
	for (size_t i = 0; i < LIVE / LIVE_BLOCK; i++) {
		held[i] = ta.malloc(LIVE_BLOCK);
		if (!held[i])
			return 3;
		memset(held[i], 1, LIVE_BLOCK);
	}
	if (pthread_create(&mon, NULL, monitor, (void *)(uintptr_t)LIVE) ||
	    pthread_create(&wav, NULL, waves, NULL) ||
	    pthread_create(&frk, NULL, forker, NULL))
		return 3;
	pthread_join(wav, NULL);
	stop = 1;
	pthread_join(mon, NULL);
	pthread_join(frk, NULL);
	if (forks_hung)
		return 6;
	for (size_t i = 0; i < LIVE / LIVE_BLOCK; i++)
		ta.free(held[i]);
	return bad_sample ? 2 : 0;
}

/* An atexit handler that reports, as programs do, until the waves of
 * workers are through (3 s at most): they go on meanwhile. */
static volatile int waves_done;

static void report_at_exit(void)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		report(0, NULL, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (!waves_done && t.tv_sec - t0.tv_sec < 3);
}

static void *waves_then_done(void *arg)
{
	waves(arg);
	waves_done = 1;
	return NULL;
}

/* Run in a fresh process with HAKMEM_STATS=1 (the option is read once,
 * at start): exit while the workers run; the atexit handler above and
 * then the report of HAKMEM_STATS come out meanwhile. */
static int exit_busy(void)
{
	pthread_t t;
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	if (pthread_create(&t, NULL, waves_then_done, NULL))
		return 3;
	atexit(report_at_exit);
	nanosleep(&ts, NULL);
	exit(0);
}

static char *self_path;

static int run_exit(void *arg)
{
	char *argv[] = { self_path, "exit-busy", NULL };
	int null = open("/dev/null", O_WRONLY);

	(void)arg;
	if (null >= 0)
		dup2(null, 2);
	setenv("HAKMEM_STATS", "1", 1);
	execv("/proc/self/exe", argv);
	return 4;
}

static int runs(void)
{
	const char *e = getenv("HK_STATS_RUNS");
	int n = e ? atoi(e) : 0;

	/* glibc is the reference, not the allocator under test: a few. */
	return n > 0 ? n : ta.is_glibc ? 2 : 6;
}

/* mallinfo2's in-use bytes follow a known allocation, and its mmap'd
 * bytes a large one. */
static void check_numbers(void)
{
	enum { N = 1000, SIZE = 1000 };
	static void *p[N];
	struct mallinfo2 a, b, c;
	void *big;

	a = ta.mallinfo2();
	for (int i = 0; i < N; i++)
		p[i] = ta.malloc(SIZE);
	b = ta.mallinfo2();
	tap_ok(b.uordblks >= a.uordblks + (size_t)N * SIZE &&
	       b.uordblks <= a.uordblks + (size_t)N * SIZE * 2,
	       "uordblks grows by the %d KB allocated (%zu -> %zu)", N * SIZE / 1000,
	       a.uordblks, b.uordblks);
	tap_ok(b.arena >= b.uordblks, "arena %zu covers uordblks %zu", b.arena, b.uordblks);
	for (int i = 0; i < N; i++)
		ta.free(p[i]);
	c = ta.mallinfo2();
	tap_ok(c.uordblks + (size_t)N * SIZE <= b.uordblks + N * 64,
	       "uordblks falls back when they are freed (%zu -> %zu)", b.uordblks, c.uordblks);
	big = ta.malloc(16 << 20);
	b = ta.mallinfo2();
	ta.free(big);
	tap_ok(b.hblkhd >= a.hblkhd + (16 << 20), "hblkhd grows by a 16 MiB block (%zu -> %zu)",
	       a.hblkhd, b.hblkhd);
}

int main(int argc, char **argv)
{
	struct hk_child r;
	int n, crashed = 0, hung = 0, wrong = 0, forked = 0, other = 0, died = 0;

	if (argc > 1 && !strcmp(argv[1], "exit-busy"))
		return ta_init() ? exit_busy() : 5;
	self_path = argv[0];
	ta_start();
	n = runs();
	tap_plan(6);
	check_numbers();
	for (int i = 0; i < n; i++) {
		if (hk_child(run_monitor, NULL, RUN_LIMIT, &r))
			continue;
		crashed += r.sig != 0 && r.sig != SIGKILL;
		hung += r.sig == SIGKILL;
		wrong += r.sig == 0 && r.code == 2;
		forked += r.sig == 0 && r.code == 6;
		other += r.sig == 0 && r.code != 0 && r.code != 2 && r.code != 6;
	}
	tap_ok(!crashed && !hung && !wrong && !forked && !other,
	       "%d runs of a monitor thread calling mallinfo2, mallinfo, malloc_info, "
	       "malloc_stats while threads come and go and fork: %d crashed, %d hung, "
	       "%d saw the live %d MiB missing, %d had a fork child fail or hang, "
	       "%d failed otherwise", n, crashed, hung, wrong, LIVE >> 20, forked, other);
	for (int i = 0; i < n; i++) {
		if (hk_child(run_exit, NULL, RUN_LIMIT, &r))
			continue;
		died += r.sig != 0 || r.code != 0;
	}
	tap_ok(!died, "%d runs of exit() with threads running under HAKMEM_STATS=1: %d did not exit 0",
	       n, died);
	return tap_done();
}
