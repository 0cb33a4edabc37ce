/* test-heap-share: a new thread takes over what an exited thread left
 * before it makes slabs of its own.  A heap short of a slab reclaims an
 * abandoned superslab only within its share of the superslabs; a live
 * heap whose thread waits (main here, as in pthread_join while rounds
 * of workers come and go) neither takes part in the share nor leaves
 * what it holds in it, so the one busy thread may take every abandoned
 * superslab: the blocks freed in them serve its mallocs, and no slab is
 * made over fresh slices while they wait (mstress-1t: twice the faults
 * and 1.3 times the peak RSS when main counted). */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "include/hakmem.h"
#include "lib/internal.h"
#include "test/tap.h"

#define SIZE 100
#define N 40000		/* 4.5 MiB of 112-byte blocks: three superslabs */

static void *blk[N];

static uint64_t stat(enum hk_stat i)
{
	return __atomic_load_n(&hk_stats[i], __ATOMIC_RELAXED);
}

/* Fill N blocks, touching each, free every other one (no slab
 * empties: they all keep room) and exit. */
static void *first(void *arg)
{
	(void)arg;
	for (int i = 0; i < N; i++) {
		blk[i] = hk_malloc(SIZE);
		if (blk[i])
			memset(blk[i], 1, SIZE);
	}
	for (int i = 1; i < N; i += 2) {
		hk_free(blk[i]);
		blk[i] = NULL;
	}
	return NULL;
}

/* As many blocks as first freed. */
static void *second(void *arg)
{
	(void)arg;
	for (int i = 1; i < N; i += 2)
		blk[i] = hk_malloc(SIZE);
	return NULL;
}

static void run(void *(*fn)(void *))
{
	pthread_t t;

	pthread_create(&t, NULL, fn, NULL);
	pthread_join(t, NULL);
}

int main(void)
{
	uint64_t ss, slabs, left;

	tap_plan(3);
	hk_free(hk_malloc(1));	/* main holds a superslab from here on */
	hk_purge_delay = 60000;	/* nothing goes back meanwhile */
	run(first);
	left = stat(HK_ST_SS_NEW) - stat(HK_ST_SS_FREE);
	tap_ok(left >= 3, "the first thread left superslabs behind (%llu)",
	       (unsigned long long)left);
	usleep(200 * 1000);	/* main is idle: not busy any more */
	ss = stat(HK_ST_SS_NEW);
	slabs = stat(HK_ST_SLAB_NEW);
	run(second);
	tap_ok(stat(HK_ST_SLAB_NEW) == slabs,
	       "the second thread made no slab (%llu)",
	       (unsigned long long)(stat(HK_ST_SLAB_NEW) - slabs));
	tap_ok(stat(HK_ST_SS_NEW) == ss, "nor mapped a superslab (%llu)",
	       (unsigned long long)(stat(HK_ST_SS_NEW) - ss));
	for (int i = 0; i < N; i++)
		hk_free(blk[i]);
	return tap_done();
}
