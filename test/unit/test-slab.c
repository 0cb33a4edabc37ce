/* test-slab: the lists of one slab, on a buffer of our own: lazy carving
 * a page at a time, pop/push through the encoded lists, remote pushes
 * and their collection, and detection of a double remote free. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fastpath.h"
#include "tap.h"

static struct hk_superslab *ss;

static struct hk_slab *new_slab(unsigned cls)
{
	struct hk_slab *s = &ss->slabs[1];

	hk_slab_init(s, (char *)ss + 65536, (char *)ss + 2 * 65536, cls, true);
	s->slice = 1;
	s->span = 1;
	ss->slab_of[1] = 1;
	return s;
}

int main(void)
{
	struct hk_slab *s;
	void *b[64];
	int n, ok;

	tap_plan(9);
	if (posix_memalign((void **)&ss, HK_SS_SIZE, HK_SS_SIZE))
		tap_skip_all("no 2 MiB aligned buffer");
	memset(ss, 0, HK_SS_HDR);
	hk_secret = 0x5a5a5a5a12345678ull;
	s = new_slab(3);	/* 64-byte blocks */
	tap_ok(s->free == NULL && s->block == 64 && s->end == (char *)ss + 2 * 65536,
	       "init: no list, bump over the slice");
	tap_ok(hk_slab_refill(s) && s->bump == (char *)ss + 65536 + 4096,
	       "refill carves one page");
	for (n = 0; n < 64; n++)
		b[n] = hk_slab_pop(s, s->free);
	tap_ok(s->free == NULL && s->used == 64 && b[1] == (char *)b[0] + 64,
	       "pops hand out the page in address order");
	ok = 1;
	for (n = 0; n < 64; n++) {
		uint64_t bit, *w = hk_bit_word(ss, b[n], &bit);

		ok &= !!(*w & bit);
	}
	tap_ok(ok, "popped blocks are marked allocated");
	/* Owner frees go to local; refill moves them to free. */
	for (n = 0; n < 32; n++) {
		uint64_t bit, *w = hk_bit_word(ss, b[n], &bit);

		*w &= ~bit;
		hk_set_next(b[n], s->local);
		s->local = b[n];
		s->used--;
	}
	tap_ok(hk_slab_refill(s) && s->free == b[31] && !s->local, "local list becomes free list");
	/* Remote frees, then collection. */
	for (n = 32; n < 64; n++)
		hk_slab_remote_push(s, b[n]);
	tap_ok(hk_slab_collect(s) == 32 && s->used == 0, "collect takes 32 remote blocks");
	n = 0;
	for (void *p = s->free; p; p = hk_next(p))
		n++;
	tap_ok(n == 64, "free list holds all 64 blocks");
	/* The stored words are not plain pointers. */
	tap_ok(*(void **)s->free != hk_next(s->free), "next pointers are encoded");
	/* A block pushed twice by other threads is caught at collection. */
	{
		pid_t pid = fork();
		int st = 0;

		if (pid == 0) {
			void *x = hk_slab_pop(s, s->free);

			close(2);
			hk_slab_remote_push(s, x);
			hk_slab_remote_push(s, x);
			hk_slab_collect(s);
			_exit(0);
		}
		waitpid(pid, &st, 0);
		tap_ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT,
		       "double remote free aborts at collection");
	}
	return tap_done();
}
