/* slab.c: the block lists of one slab.
 *
 * The owner pushes and pops free (LIFO: the block freed last is reused
 * first, while it is still in cache); other threads push to the atomic
 * remote list, which the owner takes over when free and the never-used
 * blocks above the bump pointer run out.  Blocks are handed out from the
 * bump pointer one at a time, so memory is touched only when used and a
 * bump block of fresh memory is known to read as zero.  Every next
 * pointer is stored encoded (hk_enc) with the per-process secret.
 *
 * mimalloc keeps a third, local-free list so that malloc's slow path runs
 * every so often; here the free list is LIFO instead, which measured
 * faster on random-mixed (fewer slow paths, cache-hot reuse), and the
 * periodic work (notices, purging) runs on the slow paths that remain.
 */
#include <errno.h>

#include "lib/internal.h"
#include "lib/msg.h"

uintptr_t hk_secret;
uintptr_t hk_free_key;

void hk_slab_corrupt(const char *fn, void *p)
{
	hk_fatal("%s(): corrupted free list at %p", fn, p);
}

/* The distance between two blocks of class cls: its size, but 64 bytes
 * more above 4 KiB where the size is no power of two and the slab holds
 * as many blocks either way (not so for the multiples of a page, whose
 * slabs have no room to spare).  Sizes there are multiples of 512, so
 * blocks laid end to end start at 8 offsets in their page or fewer, and
 * their first and last lines, the ones a program touches, crowd into that
 * many of the 64 line offsets that pick a cache set: alloc-test-1t, whose
 * blocks of 4.5-27 KiB are cold each time they are freed, ran 5% slower.
 * The 64 bytes are the block's too (malloc_usable_size).  Powers of two
 * keep their size, which hk_aligned counts on for alignment. */
static uint32_t hk_slab_stride(unsigned cls)
{
	uint32_t bs = hk_class_size[cls];
	uint32_t room = (uint32_t)hk_class_span[cls] << HK_SLICE_SHIFT;

	if (bs <= 4096 || !(bs & (bs - 1)) || room / (bs + 64) < room / bs)
		return bs;
	return bs + 64;
}

void hk_slab_init(struct hk_slab *s, char *start, char *limit, unsigned cls,
		  bool zero)
{
	uint32_t bs = hk_slab_stride(cls);
	size_t n = (size_t)(limit - start) / bs;	/* blocks */

	s->free = NULL;
	s->used = 0;
	s->cls = (uint8_t)cls;
	s->spent = 0;
	s->zero = zero;
	s->block = bs;
	s->shift = (uint8_t)__builtin_ctz(bs);
	s->inv = bs >> s->shift;
	for (int i = 0; i < 5; i++)	/* Newton: each step doubles the bits */
		s->inv *= 2 - (uint64_t)(bs >> s->shift) * s->inv;
	s->nbump = 0;
	s->start = start;
	s->bump = start;
	s->end = start + n * bs;
	s->keep = (uint8_t)(n / 2 < HK_REWIND_HEAD ? n / 2 : HK_REWIND_HEAD);
	__atomic_store_n(&s->remote, 0, __ATOMIC_RELAXED);
	s->next = NULL;
	s->prev = NULL;
}

/* hk_slab_bump's stores to bump and nbump are plain ones in an order
 * the compiler picks (GCC -O2 counts nbump first; GCC -O1 and clang -O2
 * move bump first), and a fork may land between them in another thread:
 * nbump one short of bump would make the child's next block from bump
 * fail hk_slab_is_block when freed ("invalid pointer").  Raising nbump
 * to bump's index is right for any cut: the blocks below bump were all
 * handed out since the last reset. */
void hk_slab_fork_mend(struct hk_slab *s)
{
	uint64_t below;

	if (!s->block || s->bump < s->start || s->bump > s->end)
		return;
	below = (uint64_t)(s->bump - s->start) / s->block;
	if (s->nbump < below)
		s->nbump = below;
}

/* The tail of the list at b, checked on the way: every block in ss, no
 * more than n of them (a block pushed twice makes a cycle). */
static void *hk_slab_tail(struct hk_superslab *ss, void *b, uint32_t n)
{
	void *next;

	for (uint32_t k = 1; (next = hk_next(b)) != NULL; k++, b = next) {
		if (k >= n)
			hk_fatal("free(): double free detected: %p", b);
		if (hk_ss_of(next) != ss)
			hk_slab_corrupt("free", b);
	}
	return b;
}

/* The count in the remote word says how many blocks to take without a
 * walk over them, which would fetch every block from the cache of the
 * thread that freed it one after the other; the pop check (fastpath.h)
 * then looks at each block as it is handed out.  Only a list that must
 * be joined to a non-empty free list is walked, for its tail. */
uint32_t hk_slab_collect(struct hk_slab *s)
{
	uintptr_t r = __atomic_exchange_n(&s->remote, 0, __ATOMIC_ACQUIRE);
	void *head = (void *)(r & HK_REMOTE_PTR);
	uint32_t count = (uint32_t)(r >> HK_REMOTE_COUNT_SHIFT);

	if (!head)
		return 0;
	if (count > hk_slab_used(s) || hk_ss_of(head) != hk_ss_of(s))
		hk_fatal("free(): double free detected: %p", head);
	if (s->free)
		hk_set_next(hk_slab_tail(hk_ss_of(s), head, count), s->free);
	s->free = head;
	s->used -= count;
	return count;
}

bool hk_slab_refill(struct hk_slab *s)
{
	if (s->free || s->bump < s->end)
		return true;
	return __atomic_load_n(&s->remote, __ATOMIC_RELAXED) > 1 && hk_slab_collect(s);
}

/* A push that takes the owner's wish for a notice (bit 0) holds a guard
 * on s from before its CAS: once the CAS lands, the owner may take the
 * blocks in, empty the slab and give the superslab up, which it does
 * only while no guard is held (hk_ss_quiet), so that the notice that
 * follows never touches a superslab gone back to the OS.  The guard is
 * taken only when bit 0 is seen (a full slab: rare), and dropped here
 * if the CAS took a word without it after all. */
bool hk_slab_remote_push_list(struct hk_slab *s, void *head, void *tail,
			      uint32_t n)
{
	uintptr_t old = __atomic_load_n(&s->remote, __ATOMIC_RELAXED), new;
	bool guard = false;

	do {
		if (HK_UNLIKELY((old & 1) && !guard)) {
			__atomic_fetch_add(&s->notifying, 1, __ATOMIC_SEQ_CST);
			guard = true;
		}
		hk_set_next(tail, (void *)(old & HK_REMOTE_PTR));
		new = (uintptr_t)head + ((old >> HK_REMOTE_COUNT_SHIFT) + n) * HK_REMOTE_ONE;
	} while (!__atomic_compare_exchange_n(&s->remote, &old, new, true,
					      __ATOMIC_RELEASE, __ATOMIC_RELAXED));
	if (HK_UNLIKELY(guard && !(old & 1)))
		__atomic_fetch_sub(&s->notifying, 1, __ATOMIC_RELEASE);
	return old & 1;
}

bool hk_slab_remote_push(struct hk_slab *s, void *b)
{
	return hk_slab_remote_push_list(s, b, b, 1);
}
