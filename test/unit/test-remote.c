/* test-remote: remote frees gathered in per-thread batches (lib/remote.c).
 *
 * A thread that frees another heap's blocks holds them back, up to the
 * batch bound, and hands them over at the flush points: the bound, a
 * free into another slab that needs the entry, malloc_trim in that
 * thread, hk_pressure seen at its next slow path, thread exit, and in a
 * fork child the forking thread's malloc_trim (the other threads'
 * batches as the child begins).  Each case checks what the
 * owner's slab sees on its remote list (the count in hk_slab.remote),
 * and that the owner gets every block back; a batch pushed into a slab
 * its owner marked full sends the notice.  A block freed twice while
 * it waits in a batch aborts as a double free.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "include/hakmem.h"
#include "lib/internal.h"
#include "test/tap.h"
#include "test/badinput/child.h"

#define SIZE 64
/* The blocks of SIZE that fill a batch (remote.c). */
#define FULL (HK_RB_BYTES / SIZE < HK_RB_MAX ? HK_RB_BYTES / SIZE : HK_RB_MAX)
#define FEW 10			/* fewer than a batch holds */
#define MANY 1500		/* three slabs of SIZE and more */

static void *blk[MANY];

/* The blocks on the remote list of p's slab, not yet collected. */
static unsigned remote_count(const void *p)
{
	struct hk_slab *s = hk_slab_of(hk_ss_of(p), p);

	return (unsigned)(__atomic_load_n(&s->remote, __ATOMIC_ACQUIRE) >>
			  HK_REMOTE_COUNT_SHIFT);
}

/* n blocks of SIZE: a run of never-used blocks of the class's head
 * slab, after the first case. */
static void alloc_blocks(int n)
{
	for (int i = 0; i < n; i++)
		blk[i] = hk_malloc(SIZE);
}

/* ---- a helper thread driven step by step --------------------------- */

enum step { ST_IDLE, ST_FREE, ST_TRIM, ST_SLOW, ST_EXIT };

struct helper {
	pthread_t t;
	pthread_mutex_t lock;
	pthread_cond_t cv;
	enum step step;
	int from, to;		/* ST_FREE: blk[from..to) */
	int done;
};

static void *helper_main(void *arg)
{
	struct helper *w = arg;

	hk_free(hk_malloc(16));		/* a heap of its own */
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->step == ST_IDLE)
			pthread_cond_wait(&w->cv, &w->lock);
		if (w->step == ST_EXIT)
			break;
		if (w->step == ST_FREE)
			for (int i = w->from; i < w->to; i++)
				hk_free(blk[i]);
		else if (w->step == ST_TRIM)
			hk_malloc_trim(0);
		else if (w->step == ST_SLOW)
			hk_free(hk_malloc(20000));	/* a class it never used */
		w->step = ST_IDLE;
		w->done++;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static void helper_do(struct helper *w, enum step st, int from, int to)
{
	pthread_mutex_lock(&w->lock);
	w->step = st;
	w->from = from;
	w->to = to;
	pthread_cond_broadcast(&w->cv);
	while (w->step != ST_IDLE)
		pthread_cond_wait(&w->cv, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

static void helper_start(struct helper *w)
{
	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cv, NULL);
	pthread_create(&w->t, NULL, helper_main, w);
}

static void helper_exit(struct helper *w)
{
	pthread_mutex_lock(&w->lock);
	w->step = ST_EXIT;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->t, NULL);
}

/* ---- the cases ----------------------------------------------------- */

/* The owner takes the remote list of blk[0]'s slab in (as its malloc
 * does once the slab's free and never-used blocks run out) and mallocs:
 * it gets every block of blk[0..n) back, the same addresses. */
static int all_back(int n)
{
	void *again[MANY];
	int found = 0;

	hk_slab_collect(hk_slab_of(hk_ss_of(blk[0]), blk[0]));
	for (int i = 0; i < n; i++)
		again[i] = hk_malloc(SIZE);
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			if (again[i] == blk[j]) {
				found++;
				break;
			}
	for (int i = 0; i < n; i++)
		blk[i] = again[i];
	return found == n;
}

static void test_exit_and_bound(void)
{
	struct helper w;

	alloc_blocks(FEW);
	helper_start(&w);
	helper_do(&w, ST_FREE, 0, FEW);
	tap_ok(remote_count(blk[0]) == 0,
	       "%d remote frees wait in the freeing thread's batch", FEW);
	helper_exit(&w);
	tap_ok(remote_count(blk[0]) == FEW,
	       "thread exit pushes them (remote count %u)", remote_count(blk[0]));
	tap_ok(all_back(FEW), "the owner gets every one of them back");

	alloc_blocks(FULL);
	helper_start(&w);
	helper_do(&w, ST_FREE, 0, FULL - 1);
	tap_ok(remote_count(blk[0]) == 0, "%d blocks of %d B stay in the batch",
	       FULL - 1, SIZE);
	helper_do(&w, ST_FREE, FULL - 1, FULL);
	tap_ok(remote_count(blk[0]) == FULL,
	       "the %dth fills it: one push (remote count %u)", FULL,
	       remote_count(blk[0]));
	helper_exit(&w);
	tap_ok(all_back(FULL), "the owner gets all %d back", FULL);
}

static void test_trim_and_pressure(void)
{
	struct helper w;

	alloc_blocks(FEW);
	helper_start(&w);
	helper_do(&w, ST_FREE, 0, FEW);
	helper_do(&w, ST_TRIM, 0, 0);
	tap_ok(remote_count(blk[0]) == FEW,
	       "malloc_trim in the freeing thread pushes its batch (%u)",
	       remote_count(blk[0]));
	tap_ok(all_back(FEW), "the owner gets them back");

	helper_do(&w, ST_FREE, 0, FEW);
	hk_malloc_trim(0);
	tap_ok(remote_count(blk[0]) == 0,
	       "malloc_trim in another thread leaves the batch for its owner");
	helper_do(&w, ST_SLOW, 0, 0);
	tap_ok(remote_count(blk[0]) == FEW,
	       "which pushes it at its next slow path (%u)", remote_count(blk[0]));
	helper_exit(&w);
	tap_ok(all_back(FEW), "the owner gets them back");
}

/* Blocks of two slabs whose batches share an entry (slabs in two
 * superslabs): the second slab's free pushes the first's batch. */
#define LOTS 80000		/* 5 MiB of 64 B blocks: three superslabs */
static void *lots[LOTS];

static struct hk_slab *slab_of(void *p)
{
	return hk_slab_of(hk_ss_of(p), p);
}

static void test_other_slab(void)
{
	struct helper w;
	void *pa = NULL, *pb = NULL;
	int n = 0;

	void *seen[HK_RB] = { 0 };	/* a block of each entry */

	while (n < LOTS && !pb) {
		void *p = lots[n++] = hk_malloc(SIZE);
		void **q = &seen[hk_rb_at(&hk_heap_empty, p) - hk_heap_empty.rb];

		if (*q && hk_ss_of(*q) != hk_ss_of(p)) {
			pa = *q;
			pb = p;
		}
		if (!*q)
			*q = p;
	}
	tap_ok(pb != NULL, "two slabs of 64 B share a batch entry after %d blocks", n);
	if (!pb) {
		tap_skip("no such slabs");
		tap_skip("no such slabs");
	} else {
		helper_start(&w);
		blk[0] = pa;
		helper_do(&w, ST_FREE, 0, 1);
		tap_ok(remote_count(pa) == 0, "a free waits in the batch");
		blk[0] = pb;
		helper_do(&w, ST_FREE, 0, 1);
		tap_ok(remote_count(pa) == 1 && remote_count(pb) == 0,
		       "a free into another slab of the same entry pushes it (%u, %u)",
		       remote_count(pa), remote_count(pb));
		helper_exit(&w);
	}
	for (int i = 0; i < n; i++)
		if (lots[i] != pa && lots[i] != pb)
			hk_free(lots[i]);
}

/* A slab its owner found exhausted is marked full and leaves its class
 * list, asking for a notice of the next remote free (bit 0 of remote):
 * a batch pushed there brings the notice, and the owner's next slow
 * path puts the slab back. */
#define SIZE_FULL 96		/* a class no other case uses */

static void test_notice(void)
{
	struct hk_slab *x;
	struct helper w;
	int n = 0;

	blk[n++] = hk_malloc(SIZE_FULL);
	x = slab_of(blk[0]);
	while (n < MANY && slab_of(blk[n - 1]) == x)
		blk[n++] = hk_malloc(SIZE_FULL);
	tap_ok(slab_of(blk[n - 1]) != x && (x->used & HK_SLAB_FULL) &&
	       (__atomic_load_n(&x->remote, __ATOMIC_ACQUIRE) & 1),
	       "a slab of %d B used up is marked full and asks for a notice",
	       SIZE_FULL);
	helper_start(&w);
	helper_do(&w, ST_FREE, 0, FEW);
	helper_exit(&w);
	tap_ok(__atomic_load_n(&x->in_delayed, __ATOMIC_ACQUIRE) &&
	       remote_count(blk[0]) == FEW,
	       "the batch pushed at exit sends the notice (%u blocks)",
	       remote_count(blk[0]));
	hk_free(hk_malloc(30000));	/* a slow path: the notices drain */
	tap_ok(!(x->used & HK_SLAB_FULL) && !x->in_delayed,
	       "the owner's next slow path takes the slab back");
	for (int i = FEW; i < n; i++)
		hk_free(blk[i]);
}

/* Many slabs' worth freed by another thread: once it exits, the slabs'
 * remote lists hold every block (the counts in use drop by all of them
 * when the owner takes the lists in). */
static void test_nothing_lost(void)
{
	struct hk_slab *slabs[64];
	uint32_t before[64];
	int ns = 0, fell = 0;
	struct helper w;

	alloc_blocks(MANY);
	for (int i = 0; i < MANY; i++) {
		int k = 0;

		while (k < ns && slabs[k] != slab_of(blk[i]))
			k++;
		if (k == ns && ns < 64) {
			slabs[ns] = slab_of(blk[i]);
			before[ns++] = hk_slab_used(slab_of(blk[i]));
		}
	}
	helper_start(&w);
	helper_do(&w, ST_FREE, 0, MANY);
	helper_exit(&w);
	for (int k = 0; k < ns; k++) {
		hk_slab_collect(slabs[k]);
		fell += (int)(before[k] - hk_slab_used(slabs[k]));
	}
	tap_ok(fell == MANY, "%d blocks freed by another thread over %d slabs all "
	       "reach their slabs (%d)", MANY, ns, fell);
}

/* ---- misuse and fork, in children ---------------------------------- */

static void *free_twice(void *p)
{
	hk_free(hk_malloc(16));		/* a heap, to hold a batch */
	hk_free(p);
	hk_free(p);
	return NULL;
}

static int double_free_in_batch(void *arg)
{
	void *p = hk_malloc(SIZE);
	pthread_t t;

	(void)arg;
	hk_free(hk_malloc(SIZE));
	pthread_create(&t, NULL, free_twice, p);
	pthread_join(t, NULL);
	return 0;
}

static void *free_one_then_twice(void *arg)
{
	void **p = arg;

	hk_free(hk_malloc(16));
	hk_free(p[0]);
	hk_free(p[1]);
	hk_free(p[0]);
	return NULL;
}

static int double_free_under(void *arg)
{
	void *p[2] = { hk_malloc(SIZE), hk_malloc(SIZE) };
	pthread_t t;

	(void)arg;
	pthread_create(&t, NULL, free_one_then_twice, p);
	pthread_join(t, NULL);
	return 0;
}

/* The forking thread's batch survives in the child and is pushed there
 * by malloc_trim, which takes the blocks into their abandoned slab and
 * gives the slab, empty, back (its superslab with it); the other
 * threads' batches, consistent, were pushed as the child began
 * (test-fork-batch has the torn ones), and the child allocates on. */
static int fork_child_case(void *arg)
{
	struct hk_slab *s;

	(void)arg;
	/* blk[0..FEW): this (forking) thread's batch; blk[FEW..2*FEW): w's. */
	if (remote_count(blk[FEW]) != FEW || remote_count(blk[0]) != 0)
		return 10;
	hk_malloc_trim(0);
	if (hk_segmap_get(blk[0]) != 0) {
		s = hk_slab_of(hk_ss_of(blk[0]), blk[0]);
		if (remote_count(blk[0]) != 0 || hk_slab_is_block(s, blk[0]))
			return 11;
	}
	for (int i = 0; i < 1000; i++)
		hk_free(hk_malloc((size_t)(i % 500) + 1));
	return 0;
}

static void *alloc_few(void *arg)
{
	(void)arg;
	for (int i = 0; i < FEW; i++)
		blk[i] = hk_malloc(SIZE);
	return NULL;
}

static void test_children(void)
{
	struct hk_child c;
	struct helper w;
	pthread_t t;
	int rc;

	/* hk_child first: tap_ok's arguments print what it found. */
	rc = hk_child(double_free_in_batch, NULL, 10, &c);
	tap_ok(rc == 0 && c.sig == SIGABRT && strstr(c.line, "double free"),
	       "a block freed twice while in the batch aborts ('%s')", c.line);
	rc = hk_child(double_free_under, NULL, 10, &c);
	tap_ok(rc == 0 && c.sig == SIGABRT && strstr(c.line, "double free"),
	       "so does one freed again under another block of the batch ('%s')",
	       c.line);

	/* This thread frees FEW blocks of t's heap (t has exited: its
	 * superslab waits, abandoned); w frees FEW of this heap's. */
	pthread_create(&t, NULL, alloc_few, NULL);
	pthread_join(t, NULL);
	for (int i = 0; i < FEW; i++)
		hk_free(blk[i]);
	for (int i = 0; i < FEW; i++)
		blk[FEW + i] = hk_malloc(SIZE);
	helper_start(&w);
	helper_do(&w, ST_FREE, FEW, 2 * FEW);
	rc = hk_child(fork_child_case, NULL, 10, &c);
	tap_ok(rc == 0 && c.sig == 0 && c.code == 0,
	       "fork child: the other thread's batch pushed at once, its own by "
	       "malloc_trim (exit %d, sig %d)", c.code, c.sig);
	helper_exit(&w);
	tap_ok(remote_count(blk[FEW]) == FEW,
	       "the parent's helper still pushes its batch at exit (%u)",
	       remote_count(blk[FEW]));
}

int main(void)
{
	tap_plan(22);
	test_exit_and_bound();
	test_trim_and_pressure();
	test_other_slab();
	test_notice();
	test_nothing_lost();
	test_children();
	return tap_done();
}
