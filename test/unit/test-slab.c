/* test-slab: the lists of one slab, on a buffer of our own: lazy carving
 * a page at a time, pop/push through the encoded lists, remote pushes
 * and their collection, and detection of a double remote free. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/fastpath.h"
#include "test/tap.h"

#define HK_SLICE ((size_t)1 << HK_SLICE_SHIFT)

static struct hk_superslab *ss;

static struct hk_slab *new_slab(unsigned cls)
{
	struct hk_slab *s = &ss->slabs[1];

	hk_slab_init(s, (char *)ss + HK_SLICE, (char *)ss + 2 * HK_SLICE, cls, true);
	s->slice = 1;
	s->span = 1;
	ss->slab_of[1] = 1;
	return s;
}

/* What free does before it pushes a block on a list. */
static void mark_free(void *b)
{
	((uintptr_t *)b)[1] = hk_free_key;
}

/* In a child: push a block twice, collect (after emptying the free list
 * if drain), allocate twice; the signal that ended the child. */
static int double_remote(struct hk_slab *s, bool drain)
{
	pid_t pid = fork();
	int st = 0;

	if (pid == 0) {
		void *x;

		close(2);
		while (drain && s->free)
			hk_slab_alloc(s);
		x = hk_slab_alloc(s);
		mark_free(x);
		hk_slab_remote_push(s, x);
		hk_slab_remote_push(s, x);
		hk_slab_collect(s);
		hk_slab_alloc(s);
		hk_slab_alloc(s);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	return WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

int main(void)
{
	struct hk_slab *s;
	void *b[64];
	int n, ok;

	tap_plan(13);
	if (posix_memalign((void **)&ss, HK_SS_SIZE, HK_SS_SIZE))
		tap_skip_all("no 2 MiB aligned buffer");
	memset(ss, 0, HK_SS_HDR);
	hk_secret = 0x5a5a5a5a12345678ull;
	hk_free_key = 0x9e3779b97f4a7c15ull;
	s = new_slab(3);	/* 64-byte blocks */
	ok = 1;
	for (n = 0; n < HK_NCLASS; n++)
		ok &= (hk_class_span[n] * HK_SLICE) / hk_class_size[n] <
		      (size_t)1 << (64 - HK_REMOTE_COUNT_SHIFT);
	tap_ok(ok, "every slab's blocks can be counted in the remote word");
	tap_ok(s->free == NULL && s->block == 64 && s->end == (char *)ss + 2 * HK_SLICE,
	       "init: no list, bump over the slice");
	tap_ok(hk_slab_refill(s) && s->free == NULL, "room comes from the bump pointer");
	for (n = 0; n < 64; n++)
		b[n] = hk_slab_alloc(s);
	tap_ok(s->used == 64 && b[1] == (char *)b[0] + 64 &&
	       s->bump == (char *)ss + HK_SLICE + 64 * 64,
	       "bump hands out blocks in address order, touching nothing beyond");
	ok = 1;
	for (n = 0; n < 64; n++)
		ok &= hk_slab_is_block(s, b[n]) && !hk_slab_is_block(s, (char *)b[n] + 16) &&
		      !hk_slab_is_block(s, (char *)b[n] + 48);
	ok &= !hk_slab_is_block(s, s->bump) && !hk_slab_is_block(s, (char *)b[0] - 64) &&
	      !hk_slab_is_block(&ss->slabs[0], b[0]);
	tap_ok(ok, "block starts are told from interior, unused and foreign pointers");
	/* Owner frees push on free; the last freed comes back first. */
	for (n = 0; n < 32; n++) {
		mark_free(b[n]);
		hk_set_next(b[n], s->free);
		s->free = b[n];
		s->used--;
	}
	tap_ok(hk_slab_alloc(s) == b[31] && hk_slab_alloc(s) == b[30] && s->used == 34,
	       "free list is LIFO");
	/* Remote frees, then collection. */
	for (n = 32; n < 64; n++) {
		mark_free(b[n]);
		hk_slab_remote_push(s, b[n]);
	}
	tap_ok(hk_slab_collect(s) == 32 && s->used == 2, "collect takes 32 remote blocks");
	n = 0;
	for (void *p = s->free; p; p = hk_next(p))
		n++;
	tap_ok(n == 62, "free list holds the 62 free blocks");
	tap_ok(*(void **)s->free != hk_next(s->free), "next pointers are encoded");
	/* Into an empty free list the remote list is taken whole, by the
	 * count its word holds. */
	for (n = 0; n < 62; n++)
		b[n] = hk_slab_alloc(s);
	for (n = 0; n < 5; n++) {
		mark_free(b[n]);
		hk_slab_remote_push(s, b[n]);
	}
	ok = s->free == NULL && s->used == 64 && hk_slab_collect(s) == 5 &&
	     s->used == 59 && hk_slab_collect(s) == 0;
	for (n = 4; n >= 0; n--)
		ok &= hk_slab_alloc(s) == b[n];
	tap_ok(ok && s->free == NULL, "collect into an empty list takes the counted blocks");
	for (n = 0; n < 62; n++) {
		mark_free(b[n]);
		hk_set_next(b[n], s->free);
		s->free = b[n];
		s->used--;
	}
	/* A use-after-free write of a plain pointer does not steer malloc. */
	{
		pid_t pid = fork();
		int st = 0;

		if (pid == 0) {
			static char target[64];

			close(2);
			*(void **)s->free = target;
			hk_slab_alloc(s);
			_exit(hk_slab_alloc(s) == (void *)target ? 1 : 0);
		}
		waitpid(pid, &st, 0);
		tap_ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT,
		       "an overwritten next pointer aborts instead of being followed");
	}
	/* A block pushed twice by other threads makes a cycle: caught by the
	 * walk that joins the list to a non-empty free list, or, taken into
	 * an empty one, when the cycle hands the block out a second time. */
	tap_ok(double_remote(s, false) == SIGABRT,
	       "double remote free aborts at collection into a non-empty list");
	tap_ok(double_remote(s, true) == SIGABRT,
	       "double remote free aborts at the pop after collection into an empty list");
	return tap_done();
}
