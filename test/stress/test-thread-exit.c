/* test-thread-exit.c: 64 threads each allocate, churn and exit leaving
 * blocks that main frees afterwards; round after round.  The memory of
 * exited threads must be reused by the next ones, not leaked.  A leak
 * grows the resident and the mapped size by at least one round's blocks
 * every round; an allocator may also step up once when more threads than
 * before run at the same time.  So the test allows half a leak's growth
 * over the rounds after the warm-up: a step passes, a leak does not. */
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "test/api/alloc-api.h"
#include "test/stress/rss.h"

enum {
	THREADS = 64,
	BLOCKS = 400,		/* left behind per thread */
	CHURN = 2000,		/* malloc/free pairs per thread */
	ROUNDS = 24,
	WARMUP = 4,		/* rounds before the baseline */
	ROUND_LIMIT = 10,	/* seconds: a round takes well under one */
};

/* The TAP lines a hung round prints from its SIGALRM handler. */
static char hung[512];

static void *left[THREADS][BLOCKS];

static size_t size_of(int t, int i)
{
	return (size_t)((t * 131 + i * 71) % 2000 + 16);
}

static void *worker(void *arg)
{
	int t = (int)(uintptr_t)arg;
	void *tmp[32] = { 0 };

	for (int i = 0; i < CHURN; i++) {
		ta.free(tmp[i % 32]);
		tmp[i % 32] = ta.malloc(size_of(t, i) * 2);
	}
	for (int i = 0; i < BLOCKS; i++) {
		left[t][i] = ta.malloc(size_of(t, i));
		if (left[t][i])
			ta_fill(left[t][i], size_of(t, i), (uintptr_t)(t * BLOCKS + i));
	}
	for (int i = 0; i < 32; i++)
		ta.free(tmp[i]);
	return NULL;
}

/* One round; returns the number of blocks found corrupted or missing. */
static int round_once(void)
{
	pthread_t th[THREADS];
	pthread_attr_t attr;
	int bad = 0;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (int t = 0; t < THREADS; t++)
		if (pthread_create(&th[t], &attr, worker, (void *)(uintptr_t)t))
			return -1;
	for (int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	pthread_attr_destroy(&attr);
	for (int t = 0; t < THREADS; t++)
		for (int i = 0; i < BLOCKS; i++) {
			size_t n = size_of(t, i);

			bad += !left[t][i] ||
			       ta_check(left[t][i], n, (uintptr_t)(t * BLOCKS + i)) != n;
			ta.free(left[t][i]);
			left[t][i] = NULL;
		}
	return bad;
}

static void on_hang(int sig)
{
	(void)sig;
	if (write(1, hung, strlen(hung)) < 0)
		_exit(2);
	_exit(strstr(hung, "# TODO") ? 0 : 1);
}

/* A round that does not end is a thread spinning or deadlocked inside
 * the allocator: say so, instead of dying of the alarm. */
static void watch_round(int r)
{
	char todo[128] = "";

	if (ta.is_hakmem && ta_known("adopt-spin"))
		snprintf(todo, sizeof(todo), " # TODO hakmem bug adopt-spin (test/api/known-bugs.txt)");
	snprintf(hung, sizeof(hung),
		 "not ok 1 - round %d of %d threads ends (it hung for %d s: a thread spins or deadlocks in the allocator)%s\n1..1\n",
		 r, THREADS, ROUND_LIMIT, todo);
	alarm(ROUND_LIMIT);
}

int main(void)
{
	size_t footprint = 0, base_rss = 0, base_vm = 0, max_rss = 0, max_vm = 0;
	int bad = 0;

	ta_start();
	signal(SIGALRM, on_hang);
	for (int t = 0; t < THREADS; t++)
		for (int i = 0; i < BLOCKS; i++)
			footprint += size_of(t, i);
	for (int r = 0; r < ROUNDS; r++) {
		watch_round(r);
		int b = round_once();
		size_t rss = rss_bytes(), vm = vm_bytes();

		if (b < 0)
			tap_skip_all("pthread_create failed in round %d", r);
		bad += b;
		tap_diag("round %d: rss %zu KiB, mapped %zu KiB", r, rss >> 10, vm >> 10);
		if (r + 1 == WARMUP) {
			base_rss = rss;
			base_vm = vm;
		} else if (r + 1 > WARMUP) {
			max_rss = rss > max_rss ? rss : max_rss;
			max_vm = vm > max_vm ? vm : max_vm;
		}
	}
	tap_ok(!bad, "blocks left by %d exited threads intact when main frees them (%d bad)",
	       ROUNDS * THREADS, bad);
	size_t allowed = (ROUNDS - WARMUP) / 2 * footprint;

	tap_ok(max_rss <= base_rss + allowed,
	       "resident size does not grow round over round: %zu KiB after round %d, at most %zu KiB in the %d rounds after (a leak of one round's %zu KiB of blocks per round fails)",
	       base_rss >> 10, WARMUP, max_rss >> 10, ROUNDS - WARMUP, footprint >> 10);
	/* glibc makes a new arena (64 MiB of address space) whenever threads
	 * contend, up to 8 per core: how many depends on the load. */
	ok_unless_glibc(max_vm <= base_vm + allowed,
			"glibc adds an arena of 64 MiB when threads contend",
			"mapped size does not grow round over round: %zu KiB after round %d, at most %zu KiB after",
			base_vm >> 10, WARMUP, max_vm >> 10);
	return tap_done();
}
