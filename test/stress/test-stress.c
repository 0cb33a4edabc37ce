/* test-stress.c: threads that allocate random sizes and hand blocks to
 * each other through shared slots, so most frees (and some reallocs) are
 * of another thread's block; every block carries a pattern derived from
 * its address and size, checked before it is freed.  Fixed seeds; bounded
 * by an operation count and a wall-clock cap (which only stops the loop,
 * it asserts nothing; HK_STRESS_SECONDS sets it, for a run whose peak
 * memory must not depend on the machine's speed: test/system/
 * cgroup-limit.sh).  The shape of mimalloc's test/test-stress.c. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "test/api/alloc-api.h"

enum {
	THREADS = 4,
	ROUNDS = 5,		/* threads exit and new ones take over the slots */
	OPS = 60000,		/* per thread and round */
	SLOTS = 2048,
	LOCAL = 256,
	CAP_SECONDS = 4,	/* the whole run stops early past this */
};

static _Atomic(uintptr_t *) slot[SLOTS];
static atomic_int corrupt, failed;
static struct timespec t0;
static int cap_seconds = CAP_SECONDS;

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Mostly small, some medium, a few large: the mix of test-stress.c. */
static size_t rnd_size(uint64_t *s)
{
	uint64_t r = rnd(s) % 1000;

	if (r < 900)
		return 16 + rnd(s) % 1024;
	if (r < 995)
		return 1024 + rnd(s) % (64 * 1024);
	return 64 * 1024 + rnd(s) % (2 * 1024 * 1024);
}

/* Word 0 holds the size, the rest a pattern of (address, size, index). */
static uintptr_t cookie(const uintptr_t *p, size_t n, size_t i)
{
	return ((uintptr_t)p ^ (n << 20) ^ (i * 0x9e3779b97f4a7c15u));
}

static uintptr_t *stamp(uintptr_t *p, size_t n)
{
	p[0] = n;
	for (size_t i = 1; i < n / sizeof(*p); i++)
		p[i] = cookie(p, n, i);
	return p;
}

static uintptr_t *make(size_t n)
{
	uintptr_t *p = ta.malloc(n);

	if (!p) {
		atomic_fetch_add(&failed, 1);
		return NULL;
	}
	return stamp(p, n);
}

static void check(const uintptr_t *p)
{
	size_t n = p[0];

	for (size_t i = 1; i < n / sizeof(*p); i++)
		if (p[i] != cookie(p, n, i)) {
			if (atomic_fetch_add(&corrupt, 1) < 5)
				printf("# block %p (%zu B): word %zu is %#lx\n", (const void *)p,
				       n, i, (unsigned long)p[i]);
			return;
		}
}

static void drop(uintptr_t *p)
{
	if (!p)
		return;
	check(p);
	ta.free(p);
}

/* realloc keeps the old words (their pattern names the old address). */
static uintptr_t *resize(uintptr_t *p, size_t n)
{
	uintptr_t old = (uintptr_t)p;
	size_t was = p[0], keep = (was < n ? was : n) / sizeof(*p);
	uintptr_t *q;

	check(p);
	q = ta.realloc(p, n);
	if (!q) {
		atomic_fetch_add(&failed, 1);
		return p;
	}
	for (size_t i = 1; i < keep; i++)
		if (q[i] != cookie((uintptr_t *)old, was, i)) {
			atomic_fetch_add(&corrupt, 1);
			break;
		}
	return stamp(q, n);
}

static int over_time(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec - t0.tv_sec >= cap_seconds;
}

static void *worker(void *arg)
{
	uint64_t s = 0x2545f4914f6cdd1dULL + (uintptr_t)arg * 7919;
	uintptr_t *local[LOCAL] = { 0 };

	for (int op = 0; op < OPS; op++) {
		uint64_t r = rnd(&s) % 100;
		uintptr_t *p;

		if ((op & 1023) == 0 && over_time())
			break;
		if (r < 50) {		/* hand a block over, take another's */
			p = atomic_exchange(&slot[rnd(&s) % SLOTS], make(rnd_size(&s)));
			drop(p);
		} else if (r < 60) {	/* realloc another thread's block */
			p = atomic_exchange(&slot[rnd(&s) % SLOTS], NULL);
			if (p)
				p = resize(p, rnd_size(&s));
			drop(atomic_exchange(&slot[rnd(&s) % SLOTS], p));
		} else {		/* thread-local churn */
			size_t i = rnd(&s) % LOCAL;

			drop(local[i]);
			local[i] = make(rnd_size(&s));
		}
	}
	for (size_t i = 0; i < LOCAL; i++)
		drop(local[i]);
	return NULL;
}

int main(void)
{
	int started = 0;
	const char *cap = getenv("HK_STRESS_SECONDS");

	if (cap && atoi(cap) > 0 && atoi(cap) <= 240)
		cap_seconds = atoi(cap);
	alarm(56 + cap_seconds);
	ta_start();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int round = 0; round < ROUNDS; round++) {
		pthread_t t[THREADS];

		for (int i = 0; i < THREADS; i++)
			started += pthread_create(&t[i], NULL, worker,
						  (void *)(uintptr_t)(round * THREADS + i)) == 0;
		for (int i = 0; i < THREADS; i++)
			pthread_join(t[i], NULL);
	}
	for (int i = 0; i < SLOTS; i++)
		drop(atomic_exchange(&slot[i], NULL));
	tap_ok(started == ROUNDS * THREADS, "%d rounds of %d threads ran", ROUNDS, THREADS);
	tap_ok(!atomic_load(&failed), "no allocation failed (%d)", atomic_load(&failed));
	tap_ok(!atomic_load(&corrupt), "no block handed between threads was corrupted (%d)",
	       atomic_load(&corrupt));
	return tap_done();
}
