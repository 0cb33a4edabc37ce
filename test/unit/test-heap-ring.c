/* test-heap-ring: a class's slabs form a ring (heap.c).  A slab found
 * exhausted stays in the ring once and serves again when blocks come
 * back to it, from this thread or another, with no new slab; found
 * exhausted twice it leaves the ring, so a class that only grows keeps
 * its ring short.  The free key still catches a double free of a block
 * of such a slab, freed here or by another thread, and of a slab that
 * emptied and hands its blocks out from the start again, with no false
 * alarm for blocks handed out again.  Blocks above 4 KiB whose size is no
 * power of two lie 64 bytes apart more than their size, so that they
 * start at many offsets in their page (slab.c), and the heap's hot
 * superslab is set only while it owns one. */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "include/hakmem.h"
#include "lib/internal.h"
#include "test/tap.h"
#include "test/badinput/child.h"

/* 9000 B: class 9216, 10 blocks to a slab of 3 slices. */
#define SIZE 9000
#define PER 10
#define N 400
static void *blk[N];

static uint64_t slabs_made(void)
{
	return __atomic_load_n(&hk_stats[HK_ST_SLAB_NEW], __ATOMIC_RELAXED);
}

static struct hk_slab *slab_of(void *p)
{
	return hk_slab_of(hk_ss_of(p), p);
}

static int fill(int from, int to)
{
	int ok = 1;

	for (int i = from; i < to; i++) {
		blk[i] = hk_malloc(SIZE);
		ok &= blk[i] != NULL;
		if (blk[i])
			memset(blk[i], i & 255, 64);
	}
	return ok;
}

/* Slabs in the ring of SIZE's class; -1 if a link is broken. */
static int ring_len(void)
{
	struct hk_slab *head = hk_tls_heap->cur[hk_size_class(SIZE)], *s = head;
	int n = 0;

	if (head == &hk_slab_empty)
		return 0;
	do {
		if (s->next->prev != s || ++n > 1000)
			return -1;
		s = s->next;
	} while (s != head);
	return n;
}

/* From a class with no slab (malloc_trim releases the empty ones):
 * blk[0..9] in A, [10..19] in B (both exhausted twice, off the ring),
 * [20..24] in C, the head.  Three frees bring A back to the head; it
 * serves blk[25..27], and blk[28] finds it exhausted and comes from C:
 * A is spent, left in the ring. */
static struct hk_slab *spent_slab(void)
{
	struct hk_slab *a;

	hk_malloc_trim(0);
	if (!fill(0, 25))
		return NULL;
	a = slab_of(blk[0]);
	for (int i = 0; i < 3; i++)
		hk_free(blk[i]);
	if (!fill(25, 29))
		return NULL;
	return a->spent && a->next && !(a->used & HK_SLAB_FULL) ? a : NULL;
}

static void *blk_remote(void *arg)
{
	hk_free(arg);
	return NULL;
}

static void free_remote(void *p)
{
	pthread_t t;

	pthread_create(&t, NULL, blk_remote, p);
	pthread_join(t, NULL);
}

/* Then A empties behind the head C (blk[0..9] freed, blk[0..2] as
 * blk[25..27]) and hands its blocks out from the start again once C is
 * used up: blk[33] and blk[34] are A's first two blocks, where blk[0]
 * and blk[1] were; blk[9], freed before, lies beyond its bump pointer. */
static struct hk_slab *reused_slab(void)
{
	struct hk_slab *a = spent_slab();

	if (!a)
		return NULL;
	for (int i = 3; i < 10; i++)
		hk_free(blk[i]);
	for (int i = 25; i < 28; i++)
		hk_free(blk[i]);
	if (a->used != 0 || a->nbump != 0 || !fill(29, 35))
		return NULL;
	return blk[33] == blk[0] && blk[34] == blk[1] && a->nbump == 2 ? a : NULL;
}

enum { TWICE_HERE, TWICE_REMOTE, TWICE_REUSED };

static int twice(void *arg)
{
	int how = *(int *)arg;

	if (how == TWICE_REUSED) {
		if (!reused_slab())
			return 2;
		hk_free(blk[9]);
		return 0;
	}
	if (!spent_slab())
		return 2;
	if (how == TWICE_REMOTE)
		free_remote(blk[5]);
	else
		hk_free(blk[5]);
	hk_free(blk[5]);
	return 0;
}

/* Every block live after the reuse, those of A handed out again among
 * them, is freed once; then all of them twice over. */
static int reuse_clean(void *arg)
{
	(void)arg;
	if (!reused_slab())
		return 2;
	for (int i = 10; i < 35; i++)
		if (i < 25 || i > 27)
			hk_free(blk[i]);
	for (int r = 0; r < 2; r++) {
		if (!fill(0, 35))
			return 3;
		for (int i = 34; i >= 0; i--)
			hk_free(blk[i]);
	}
	return 0;
}

static void check_double_frees(void)
{
	static const char *what[] = {
		[TWICE_HERE] = "into a slab left in the ring",
		[TWICE_REMOTE] = "whose first free came from another thread",
		[TWICE_REUSED] = "into a slab that emptied and was reused",
	};
	struct hk_child c;

	for (int how = TWICE_HERE; how <= TWICE_REUSED; how++) {
		hk_child(twice, &how, 30, &c);
		tap_ok(c.sig == SIGABRT && strstr(c.line, "double free"),
		       "a double free %s is caught ('%s')", what[how], c.line);
	}
	hk_child(reuse_clean, NULL, 30, &c);
	tap_ok(c.sig == 0 && c.code == 0,
	       "blocks handed out again after the reuse free cleanly (signal %d, exit %d, '%s')",
	       c.sig, c.code, c.line);
}

/* Blocks freed into A, spent in the ring, serve again before any new
 * slab: freed here (fast path only) or by another thread (taken when
 * the walk reaches A, with no notice). */
static void check_spent(bool remote)
{
	struct hk_slab *a = spent_slab();
	uint64_t made;
	int ok, hits = 0;

	ok = a != NULL;
	for (int i = 3; i < 5 && ok; i++) {
		if (remote)
			free_remote(blk[i]);
		else
			hk_free(blk[i]);
	}
	ok &= a && a->spent && !(a->used & HK_SLAB_FULL);
	made = slabs_made();
	ok &= fill(29, 35);		/* C's last 4, then 2 more */
	for (int i = 29; i < 35; i++)
		hits += blk[i] == blk[3] || blk[i] == blk[4];
	tap_ok(ok && hits == 2 && slabs_made() == made,
	       "blocks freed %s into a slab left in the ring serve again "
	       "(%d of 2, %llu new slabs)", remote ? "by another thread" : "here",
	       hits, (unsigned long long)(slabs_made() - made));
	for (int i = 5; i < 35; i++)
		hk_free(blk[i]);
}

int main(void)
{
	struct hk_heap *h;
	int offs = 0, ok, len;
	uint64_t seen = 0;
	void *p;

	tap_plan(10);
	ok = fill(0, PER);
	for (int i = 0; i < PER && ok; i++) {
		unsigned o = (unsigned)((uintptr_t)blk[i] & 4095) >> 6;

		offs += !(seen >> o & 1);
		seen |= (uint64_t)1 << o;
	}
	tap_ok(ok && offs == PER && hk_malloc_usable_size(blk[0]) == 9216 + 64,
	       "blocks of 9216 B lie 9280 B apart, at %d line offsets of their page", offs);
	for (int i = 0; i < PER; i++)
		hk_free(blk[i]);
	p = hk_malloc(8192);
	tap_ok(p && (uintptr_t)p % 8192 == 0 && hk_malloc_usable_size(p) == 8192,
	       "a power-of-two class keeps its size and alignment");
	hk_free(p);

	check_double_frees();
	check_spent(false);
	check_spent(true);

	ok = fill(0, N);
	len = ring_len();
	tap_ok(ok && len >= 1 && len <= 2,
	       "a class that only grows keeps its ring short (%d slabs for %d)", len, N / PER);
	h = hk_tls_heap;
	tap_ok(h->nss > 1 ? h->hot == 1 : h->hot == (uintptr_t)h->ss,
	       "hot names the heap's superslab only while it owns one (%u owned)", h->nss);
	for (int i = 0; i < N; i++)
		hk_free(blk[i]);
	return tap_done();
}
