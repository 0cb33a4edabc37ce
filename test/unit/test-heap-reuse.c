/* test-heap-reuse: what a heap keeps for reuse.  Slabs that empty stay
 * (the idle list) and serve the next mallocs of their class, or of
 * another class over as many slices, without a new slab; malloc_trim
 * releases them, in this thread at once and in the others at their next
 * slow path; the table of owned superslabs the inline free trusts
 * (own[]) holds those the heap allocates from and never names one the
 * heap gave up, even after the addresses went back to the OS and came
 * out again as large objects; malloc's direct[] and free's copy of
 * own[] (TLS) follow the calling thread's heap alone, in a fork child
 * too; free(NULL) touches no heap.  A slab that empties, its class's
 * head (past a few blocks) or behind it, hands its blocks out from the
 * start again, in address order: a double free of one of them is still
 * caught, as is one past a slab's first slice. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "include/hakmem.h"
#include "lib/internal.h"
#include "test/tap.h"
#include "test/badinput/child.h"

#define N 3000
static void *blk[N];

/* Blocks of 1500 B (21 to a slab) a class's head hands out before it
 * rewinds when it empties (more than HK_REWIND_HEAD or half of them:
 * 10), and a short list it keeps. */
#define HK_REWIND_N 20
#define HK_KEEP_N 8

static uint64_t slabs_made(void)
{
	return __atomic_load_n(&hk_stats[HK_ST_SLAB_NEW], __ATOMIC_RELAXED);
}

static int fill(size_t size, int n)
{
	int ok = 1;

	for (int i = 0; i < n; i++) {
		blk[i] = hk_malloc(size);
		ok &= blk[i] != NULL;
		if (blk[i])
			memset(blk[i], i & 255, size < 64 ? size : 64);
	}
	return ok;
}

static void empty(int n)
{
	for (int i = n - 1; i >= 0; i--)
		hk_free(blk[i]);
}

static int owned(const struct hk_heap *h, uintptr_t e)
{
	struct hk_superslab *ss = (struct hk_superslab *)e;

	return e == 1 || ((hk_segmap_get(ss) & HK_SEG_SS) && ss->owner == h);
}

/* Every entry of own[] names a superslab h owns (1: none), and the
 * inline free's copy in TLS is the same. */
static int own_true(const struct hk_heap *h)
{
	for (unsigned i = 0; i < HK_OWN; i++) {
		if (!owned(h, h->own[i]) ||
		    (h->own[i] != 1 && hk_own_slot((void *)h->own[i]) != i) ||
		    hk_tls.own[i] != h->own[i])
			return 0;
	}
	return 1;
}

/* The superslab of the block malloc handed out last is in own[] (the
 * free fast path tests nothing else), and so are those of the first n
 * blocks, but where two share an own[] entry. */
static int in_own(const struct hk_heap *h, int n)
{
	uintptr_t last = (uintptr_t)hk_ss_of(blk[n - 1]);
	int misses = 0;

	for (int i = 0; i < n; i++) {
		uintptr_t ss = (uintptr_t)hk_ss_of(blk[i]);

		misses += h->own[hk_own_slot((void *)ss)] != ss;
	}
	return h->own[hk_own_slot((void *)last)] == last && misses < n / 2;
}

/* A full slab becomes its class's head at its first free: blk[0]'s
 * slab, freed first but emptied last, is no longer the head then, and
 * drops its free list for the bump pointer. */
static int free_twice(void *arg)
{
	(void)arg;
	fill(100, N);
	for (int i = 1; i < N; i++)
		hk_free(blk[i]);
	hk_free(blk[0]);
	hk_free(blk[0]);
	return 0;
}

/* The only slab of its class, emptied and rewound, then one of its
 * blocks freed again. */
static int head_free_twice(void *arg)
{
	(void)arg;
	fill(1500, HK_REWIND_N);
	empty(HK_REWIND_N);
	hk_free(blk[3]);
	return 0;
}

/* n blocks of size, of a class no other check uses, all in its head
 * slab, freed in a scrambled order, then n again: true if they came in
 * address order from the first (rewound), false if down the free list
 * (last freed first). */
static int head_rewinds(size_t size, int n)
{
	int ok = 1;
	uintptr_t lo = UINTPTR_MAX;

	fill(size, n);
	for (int i = 0; i < n; i++) {
		if ((uintptr_t)blk[i] < lo)
			lo = (uintptr_t)blk[i];
		hk_free(blk[i * 7 % n]);
	}
	fill(size, n);
	ok &= (uintptr_t)blk[0] == lo;
	for (int i = 1; i < n; i++)
		ok &= blk[i] > blk[i - 1];
	empty(n);
	return ok;
}

/* A block past its slab's first slice, in a heap of several superslabs
 * (so in own[], not hot), freed twice: the inline free finds its slab
 * through slab_of and must still see the free key. */
static int past_first_slice_free_twice(void *arg)
{
	(void)arg;
	fill(20000, 300);
	for (int i = 0; i < 300; i++) {
		struct hk_superslab *ss = hk_ss_of(blk[i]);
		unsigned slice = (unsigned)(((uintptr_t)blk[i] & HK_SS_MASK) >>
					    HK_SLICE_SHIFT);

		if (hk_tls_heap->hot == 1 && ss->slab_of[slice] != slice) {
			hk_free(blk[i]);
			hk_free(blk[i]);
			return 0;
		}
	}
	return 1;
}

static pthread_barrier_t step;
static size_t other_idle;

/* malloc's direct[] (in TLS) names the heads of the calling thread's
 * heap, for every size it serves, and free's copy of own[] is the
 * heap's. */
static int direct_true(void)
{
	struct hk_heap *h = hk_tls_heap;

	for (unsigned i = 0; i < HK_DIRECT; i++)
		if (hk_tls.direct[i] != h->cur[hk_class_small[i]])
			return 0;
	return own_true(h);
}

/* Holds 100 B blocks of its own heap across main's fork. */
static void *holder(void *arg)
{
	void *p[64];

	(void)arg;
	for (int i = 0; i < 64; i++)
		p[i] = hk_malloc(100);
	pthread_barrier_wait(&step);	/* blocks held */
	pthread_barrier_wait(&step);	/* main forked */
	for (int i = 0; i < 64; i++)
		hk_free(p[i]);
	return NULL;
}

/* The fork child abandons the holder's heap: the child's own direct[]
 * stays its own heap's, and serves. */
static int fork_direct(void *arg)
{
	void *p;
	int ok;

	(void)arg;
	ok = direct_true();
	p = hk_malloc(100);
	ok &= p != NULL && hk_ss_of(p)->owner == hk_tls_heap;
	hk_free(p);
	return ok ? 0 : 1;
}

/* free(NULL), which the inline free turns away before any lookup, in a
 * thread without a heap: it gets none, and errno stays. */
static void *null_free(void *arg)
{
	int ok;

	(void)arg;
	errno = 1234;
	for (int i = 0; i < 100; i++)
		hk_free(NULL);
	ok = errno == 1234 && hk_tls_heap == &hk_heap_empty;
	return ok ? arg : NULL;
}

static void *other(void *arg)
{
	struct hk_heap *h;
	void *p;

	(void)arg;
	fill(700, 500);
	empty(500);
	h = hk_tls_heap;
	other_idle = h->nidle;
	pthread_barrier_wait(&step);	/* idle slabs kept */
	pthread_barrier_wait(&step);	/* main trimmed */
	p = hk_malloc(9000);		/* a class it never used: a slow path */
	other_idle = h->nidle;
	hk_free(p);
	return NULL;
}

int main(void)
{
	struct hk_heap *h;
	void *large[16];
	uint64_t made;
	int ok;
	pthread_t t;
	void *res;

	struct hk_child c;

	tap_plan(16);
	ok = fill(100, N);
	empty(N);
	made = slabs_made();
	ok &= fill(100, N);
	tap_ok(ok && slabs_made() == made,
	       "a class that empties and fills again makes no new slab (%llu made)",
	       (unsigned long long)(slabs_made() - made));
	empty(N);

	/* 48 B and 3000 B slabs are both one slice. */
	ok = fill(48, N);
	empty(N);
	made = slabs_made();
	ok &= fill(3000, 20);
	tap_ok(ok && slabs_made() == made,
	       "a new class takes an idle slab of another over as many slices (%llu made)",
	       (unsigned long long)(slabs_made() - made));
	empty(20);

	tap_ok(head_rewinds(1500, HK_REWIND_N),
	       "the head of a class, emptied, hands its blocks out in address order");
	tap_ok(!head_rewinds(1500, HK_KEEP_N),
	       "a head that handed out few blocks keeps its free list when it empties");
	/* 12000 B: 8 to a slab, so a head that handed out 6 rewinds. */
	tap_ok(head_rewinds(12000, 6),
	       "the head of a class of 8 blocks to a slab rewinds once it handed out 6");

	pthread_barrier_init(&step, NULL, 2);
	pthread_create(&t, NULL, holder, NULL);
	pthread_barrier_wait(&step);
	ok = fill(100, 64) && direct_true();
	hk_child(fork_direct, NULL, 30, &c);
	pthread_barrier_wait(&step);
	pthread_join(t, NULL);
	pthread_barrier_destroy(&step);
	ok &= direct_true();
	empty(64);
	tap_ok(ok && c.sig == 0 && c.code == 0,
	       "direct[] and own[] in TLS are the calling thread's heap's, in a fork child too (child %d/%d)",
	       c.sig, c.code);

	h = hk_tls_heap;
	tap_ok(h->nidle > 0, "emptied slabs are kept (%u slices)", h->nidle);
	hk_malloc_trim(0);
	tap_ok(h->nidle == 0 && h->idle == NULL, "malloc_trim releases them (%u slices left)",
	       h->nidle);

	pthread_create(&t, NULL, null_free, &ok);
	pthread_join(t, &res);
	tap_ok(res == &ok, "free(NULL) in a thread without a heap makes none and keeps errno");

	pthread_barrier_init(&step, NULL, 2);
	pthread_create(&t, NULL, other, NULL);
	pthread_barrier_wait(&step);
	ok = other_idle > 0;
	hk_malloc_trim(0);
	pthread_barrier_wait(&step);
	pthread_join(t, NULL);
	tap_ok(ok && other_idle == 0,
	       "another thread's idle slabs go at its next slow path after malloc_trim (%zu left)",
	       other_idle);

	/* 20 KiB blocks over several superslabs, all given back, then large
	 * objects that may land where they were. */
	ok = fill(20000, 1500);
	tap_ok(ok && in_own(h, 1500), "every superslab a block came from is in own[] while it allocates");
	empty(1500);
	ok &= own_true(h);
	hk_malloc_trim(0);
	ok &= own_true(h);
	tap_ok(ok, "own[] names only superslabs the heap owns, before and after malloc_trim");
	ok = 1;
	for (int i = 0; i < 16; i++) {
		large[i] = hk_malloc((size_t)3 << 20);
		ok &= large[i] != NULL;
		if (large[i])
			memset(large[i], 1, 4096);
	}
	ok &= fill(20000, 200);
	empty(200);
	for (int i = 0; i < 16; i++)
		hk_free(large[i]);
	ok &= own_true(h);
	tap_ok(ok, "large objects over released superslabs free cleanly");
	hk_child(free_twice, NULL, 30, &c);
	tap_ok(c.sig == SIGABRT && strstr(c.line, "double free"),
	       "a double free into a slab reset to its bump pointer is caught ('%s')", c.line);
	hk_child(past_first_slice_free_twice, NULL, 30, &c);
	tap_ok(c.sig == SIGABRT && strstr(c.line, "double free"),
	       "a double free past its slab's first slice, in own[], is caught ('%s')",
	       c.line);
	hk_child(head_free_twice, NULL, 30, &c);
	tap_ok(c.sig == SIGABRT && strstr(c.line, "double free"),
	       "a double free into a class's head reset to its bump pointer is caught ('%s')",
	       c.line);
	return tap_done();
}
