/* test-heap-trim: malloc_trim on another live heap's full slabs
 * (lib/heap-trim.c), step by step.  An owner thread fills slabs, which
 * it marks full, and waits; this thread frees their blocks (remote
 * frees) and calls malloc_trim:
 *   - a full slab whose every block came back is purged, set up again
 *     empty, and the owner, at its next slow path, gives it back;
 *   - one whose owner still holds a block is left alone;
 *   - so is one whose owner is half way through freeing its last block
 *     (its free list names the block and its count is down, the slow
 *     path that follows not yet taken): the state trim must never take
 *     for empty, built here by hand while the owner waits, then ended by
 *     the owner's own slow path (hk_heap_put).
 * Live heaps are trimmed on x86 only (the memory order trim relies on):
 * elsewhere the first check is skipped. */
#include <pthread.h>
#include <string.h>

#include "include/hakmem.h"
#include "lib/internal.h"
#include "test/tap.h"

#define SIZE 64
#define N 4096			/* 8 slabs of SIZE */

static void *blk[N];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int step, done;
static struct hk_slab *put_slab;

static struct hk_slab *slab_of(void *p)
{
	return hk_slab_of(hk_ss_of(p), p);
}

static unsigned remote_count(struct hk_slab *s)
{
	return (unsigned)(__atomic_load_n(&s->remote, __ATOMIC_ACQUIRE) >>
			  HK_REMOTE_COUNT_SHIFT);
}

static void go(int s)
{
	pthread_mutex_lock(&mu);
	step = s;
	pthread_cond_broadcast(&cv);
	while (done < s)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
}

static void wait_step(int s)
{
	pthread_mutex_lock(&mu);
	done = s - 1;
	pthread_cond_broadcast(&cv);
	while (step < s)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
}

/* Step 1: fill N blocks and wait.  Step 2: end the free that main began
 * by hand (hk_heap_put), then allocate and free on (slow paths: the
 * notices of the trimmed slabs are taken in), and exit. */
static void *owner(void *arg)
{
	(void)arg;
	for (int i = 0; i < N; i++) {
		blk[i] = hk_malloc(SIZE);
		memset(blk[i], 0x11, SIZE);
	}
	wait_step(2);
	hk_heap_put(put_slab);
	for (int r = 0; r < 4; r++) {
		void *q[N];

		for (int i = 0; i < N; i++)
			q[i] = hk_malloc(SIZE);
		for (int i = 0; i < N; i++)
			hk_free(q[i]);
	}
	pthread_mutex_lock(&mu);
	done = 2;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	return NULL;
}

/* The index of the first block of the k-th distinct full slab among
 * blk[], and its block count in *n; -1 if none. */
static int full_slab(int k, int *n)
{
	for (int i = 0; i < N; i++) {
		struct hk_slab *s = slab_of(blk[i]);

		if (i && slab_of(blk[i - 1]) == s)
			continue;
		if (!(s->used & HK_SLAB_FULL) || k-- > 0)
			continue;
		*n = 0;
		for (int j = i; j < N && slab_of(blk[j]) == s; j++)
			++*n;
		return (int)hk_slab_used(s) == *n ? i : -1;
	}
	return -1;
}

int main(void)
{
	struct hk_slab *a, *b, *c;
	int ia, na, ib, nb, ic, nc;
	pthread_t t;

	tap_plan(6);
	hk_free(hk_malloc(16));
	pthread_create(&t, NULL, owner, NULL);
	go(1);
	ia = full_slab(0, &na);
	ib = full_slab(1, &nb);
	ic = full_slab(2, &nc);
	tap_ok(ia >= 0 && ib >= 0 && ic >= 0,
	       "the owner's first slabs are full and off its lists (%d, %d, %d blocks)",
	       na, nb, nc);
	if (ia < 0 || ib < 0 || ic < 0)
		return tap_done();
	a = slab_of(blk[ia]);
	b = slab_of(blk[ib]);
	c = slab_of(blk[ic]);

	/* a: every block freed here; b: all but the last; c: all but the
	 * last, whose free by its owner is then begun by hand. */
	for (int i = 0; i < na; i++)
		hk_free(blk[ia + i]);
	for (int i = 0; i < nb - 1; i++)
		hk_free(blk[ib + i]);
	for (int i = 0; i < nc - 1; i++)
		hk_free(blk[ic + i]);
	hk_malloc_trim(0);	/* pushes this thread's batches first */
	{
		void *p = blk[ic + nc - 1];

		((uintptr_t *)p)[1] = hk_free_key;
		hk_set_next(p, c->free);
		c->free = p;
		c->used--;
	}
	hk_malloc_trim(0);
#if defined(__x86_64__) || defined(__i386__)
	tap_ok(a->used == HK_SLAB_FULL && a->nbump == 0 && remote_count(a) == 0,
	       "a full slab whose every block another thread freed is trimmed: no block out, none handed out (used %#x)",
	       a->used);
#else
	tap_skip("live heaps are trimmed on x86 only");
#endif
	tap_ok(remote_count(b) == (unsigned)nb - 1 && b->used == (HK_SLAB_FULL | (unsigned)nb),
	       "one whose owner holds a block is left alone (%u on its remote list)",
	       remote_count(b));
	tap_ok(remote_count(c) == (unsigned)nc - 1 && c->free == blk[ic + nc - 1] &&
	       c->used == (HK_SLAB_FULL | ((unsigned)nc - 1)),
	       "one whose owner is freeing its last block is left alone (%u on its remote list)",
	       remote_count(c));
	put_slab = c;
	go(2);
	tap_ok(!(a->used & HK_SLAB_FULL) && !(c->used & HK_SLAB_FULL),
	       "the owner took both back at its slow paths (used %#x, %#x)",
	       a->used, c->used);
	for (int i = 0; i < nb - 1; i++)
		blk[ib + i] = NULL;
	hk_free(blk[ib + nb - 1]);
	pthread_join(t, NULL);
	{
		void *q[64];
		int ok = 1;

		for (int i = 0; i < 64; i++) {
			q[i] = hk_malloc(SIZE);
			memset(q[i], 0x22, SIZE);
		}
		for (int i = 0; i < 64; i++)
			ok &= ((unsigned char *)q[i])[SIZE - 1] == 0x22;
		for (int i = 0; i < 64; i++)
			hk_free(q[i]);
		tap_ok(ok, "blocks allocate and free after the owner left");
	}
	return tap_done();
}
