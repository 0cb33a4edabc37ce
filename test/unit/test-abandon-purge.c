/* test-abandon-purge: what a thread leaves resident when it exits.
 * Beyond a small budget (HK_ABANDON_DIRTY slices over all abandoned
 * superslabs), the dirty slices of an exiting thread's superslabs are
 * purged at once rather than after the purge delay, which here is set
 * far off so that only the exit can have purged them; below it they
 * stay, for the next thread to reuse without a fault. */
#include <pthread.h>
#include <string.h>

#include "include/hakmem.h"
#include "lib/internal.h"
#include "test/tap.h"

#define BLOCK 1024
#define MAXN 4096

static void *blk[MAXN];

static uint64_t purged(void)
{
	return __atomic_load_n(&hk_stats[HK_ST_PURGED], __ATOMIC_RELAXED);
}

/* Fill n blocks, touching each, then free all but the first and the
 * last (so that no superslab of the thread empties and goes back
 * whole) and exit. */
static void *churn(void *arg)
{
	int n = (int)(intptr_t)arg;

	for (int i = 0; i < n; i++) {
		blk[i] = hk_malloc(BLOCK);
		if (blk[i])
			memset(blk[i], 1, BLOCK);
	}
	for (int i = 1; i < n - 1; i++)
		hk_free(blk[i]);
	return NULL;
}

static uint64_t purged_by_thread(int n)
{
	uint64_t before = purged();
	pthread_t t;

	pthread_create(&t, NULL, churn, (void *)(intptr_t)n);
	pthread_join(t, NULL);
	before = purged() - before;
	hk_free(blk[0]);
	hk_free(blk[n - 1]);
	return before;
}

int main(void)
{
	uint64_t p;

	tap_plan(2);
	hk_free(hk_malloc(1));
	hk_purge_delay = 60000;
	p = purged_by_thread(MAXN);	/* 4 MiB: far above the budget */
	tap_ok(p >= ((size_t)1 << 20), "an exiting thread's dirty slices are purged (%llu bytes)",
	       (unsigned long long)p);
	p = purged_by_thread(64);	/* 64 KiB: within it */
	tap_ok(p == 0, "a few are kept for the next thread (%llu bytes purged)",
	       (unsigned long long)p);
	return tap_done();
}
