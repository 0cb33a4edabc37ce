/* test-key-malloc.c: key destructors that allocate, in every round of
 * thread exit (issue 12, 4).
 *
 * glibc runs the destructors of the thread-specific keys in rounds, up
 * to PTHREAD_DESTRUCTOR_ITERATIONS (4): a destructor that sets a value
 * again gets another round.  The allocator's own key destructor runs in
 * some round; a destructor after it may call malloc, in the same round
 * or in the last one, when no round is left to clean up after it.  A
 * program that starts threads for ever must not grow with each: what a
 * thread leaves behind is the blocks it did not free, not a heap.
 *
 * Each thread allocates (so the allocator knows it) and sets a value
 * for three keys made after the allocator's, whose destructors set
 * themselves again for every round and, in each round and the last:
 *   - malloc and free at once;
 *   - malloc and hand the block to main, which frees it later;
 *   - malloc a small block and keep it (a leak of the program's own,
 *     LEAK bytes a thread); a C11 tss_create key.
 * THREADS threads, a few at a time, after WARMUP: the resident and the
 * mapped size may grow by at most PER_THREAD bytes a thread (glibc
 * keeps about 5-9 KiB; a live heap left per thread is over 100 KiB
 * resident and 2 MiB mapped).
 */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <threads.h>
#include <unistd.h>

#include "test/api/alloc-api.h"
#include "test/stress/rss.h"

enum {
	THREADS = 2000,
	WARMUP = 100,
	AT_ONCE = 4,
	ROUNDS = PTHREAD_DESTRUCTOR_ITERATIONS,
	LEAK = 32,
	PER_THREAD = 4 << 10,
	LIMIT = 120,		/* seconds, far beyond its need */
};

static pthread_key_t k_free, k_hand;
static tss_t k_keep;		/* C11's keys are glibc's */

/* Blocks handed to main, freed between batches of threads. */
static pthread_mutex_t hand_lock = PTHREAD_MUTEX_INITIALIZER;
static void *handed[AT_ONCE * ROUNDS * 2];
static unsigned nhanded;
static int bad;

/* The value counts the rounds: set again until the last. */
static uintptr_t next_round(pthread_key_t k, void *v)
{
	uintptr_t r = (uintptr_t)v;

	if (r < ROUNDS)
		pthread_setspecific(k, (void *)(r + 1));
	return r;
}

static void d_free(void *v)
{
	uintptr_t r = next_round(k_free, v);
	void *p = ta.malloc(100 + r);

	bad += !p;
	ta_fill(p, 100, r);
	ta.free(p);
}

static void d_hand(void *v)
{
	uintptr_t r = next_round(k_hand, v);
	void *p = ta.malloc(200 + r);

	bad += !p;
	pthread_mutex_lock(&hand_lock);
	if (nhanded < sizeof(handed) / sizeof(handed[0]))
		handed[nhanded++] = p;
	else
		ta.free(p);
	pthread_mutex_unlock(&hand_lock);
}

static void d_keep(void *v)
{
	uintptr_t r = (uintptr_t)v;

	if (r < ROUNDS)
		tss_set(k_keep, (void *)(r + 1));

	/* The last round's block only: the program's own leak. */
	if (r == ROUNDS)
		bad += !ta.malloc(LEAK);
	else
		ta.free(ta.malloc(LEAK));
}

static void *thread(void *arg)
{
	void *p = ta.malloc(64);

	(void)arg;
	ta.free(p);
	pthread_setspecific(k_free, (void *)1);
	pthread_setspecific(k_hand, (void *)1);
	tss_set(k_keep, (void *)1);
	return NULL;
}

static int batch(void)
{
	pthread_t t[AT_ONCE];

	for (int i = 0; i < AT_ONCE; i++)
		if (pthread_create(&t[i], NULL, thread, NULL))
			return -1;
	for (int i = 0; i < AT_ONCE; i++)
		pthread_join(t[i], NULL);
	pthread_mutex_lock(&hand_lock);
	for (unsigned i = 0; i < nhanded; i++)
		ta.free(handed[i]);
	nhanded = 0;
	pthread_mutex_unlock(&hand_lock);
	return 0;
}

int main(void)
{
	size_t rss0 = 0, vm0 = 0, rss, vm, allowed;
	int n = 0;

	ta_start();
	alarm(LIMIT);
	/* The allocator's key first (its first malloc), ours after it. */
	ta.free(ta.malloc(16));
	pthread_key_create(&k_free, d_free);
	pthread_key_create(&k_hand, d_hand);
	tss_create(&k_keep, d_keep);
	tap_plan(3);
	for (; n < THREADS; n += AT_ONCE) {
		if (n == WARMUP) {
			ta.malloc_trim(0);
			rss0 = rss_bytes();
			vm0 = vm_bytes();
		}
		if (batch())
			tap_skip_all("pthread_create failed");
	}
	ta.malloc_trim(0);
	rss = rss_bytes();
	vm = vm_bytes();
	allowed = (size_t)(THREADS - WARMUP) * PER_THREAD;
	tap_ok(!bad, "every destructor's malloc served (%d failed)", bad);
	tap_ok(rss <= rss0 + allowed,
	       "resident size grows by at most %d KiB a thread: %zu KiB after %d threads, %zu KiB after %d (%zd B a thread)",
	       PER_THREAD >> 10, rss0 >> 10, WARMUP, rss >> 10, THREADS,
	       ((ssize_t)rss - (ssize_t)rss0) / (THREADS - WARMUP));
	/* glibc makes a new arena (64 MiB of address space) whenever threads
	 * contend, up to 8 per core: how many depends on the load. */
	ok_unless_glibc(vm <= vm0 + allowed, "glibc adds an arena of 64 MiB when threads contend",
			"mapped size grows by at most %d KiB a thread: %zu KiB after %d threads, %zu KiB after %d (%zd B a thread)",
			PER_THREAD >> 10, vm0 >> 10, WARMUP, vm >> 10, THREADS,
			((ssize_t)vm - (ssize_t)vm0) / (THREADS - WARMUP));
	return tap_done();
}
