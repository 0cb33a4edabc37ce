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

#include "internal.h"
#include "msg.h"

uintptr_t hk_secret;
uintptr_t hk_free_key;

void hk_slab_corrupt(const char *fn, void *p)
{
	hk_fatal("%s(): corrupted free list at %p", fn, p);
}

void hk_slab_init(struct hk_slab *s, char *start, char *limit, unsigned cls,
		  bool zero)
{
	uint32_t bs = hk_class_size[cls];

	s->free = NULL;
	s->used = 0;
	s->cls = (uint8_t)cls;
	s->zero = zero;
	s->block = bs;
	s->shift = (uint8_t)__builtin_ctz(bs);
	s->inv = bs >> s->shift;
	for (int i = 0; i < 5; i++)	/* Newton: each step doubles the bits */
		s->inv *= 2 - (uint64_t)(bs >> s->shift) * s->inv;
	s->nbump = 0;
	s->start = start;
	s->bump = start;
	s->end = start + (size_t)(limit - start) / bs * bs;
	__atomic_store_n(&s->remote, 0, __ATOMIC_RELAXED);
	s->next = NULL;
	s->prev = NULL;
}

uint32_t hk_slab_collect(struct hk_slab *s)
{
	uintptr_t r = __atomic_exchange_n(&s->remote, 0, __ATOMIC_ACQUIRE) & ~(uintptr_t)1;
	struct hk_superslab *ss = hk_ss_of(s);
	void *b = (void *)r, *n;
	uint32_t count = 0;

	if (!r)
		return 0;
	for (;; b = n) {
		count++;
		/* A block pushed twice makes a cycle: more blocks than exist. */
		if (count > hk_slab_used(s))
			hk_fatal("free(): double free detected: %p", b);
		n = hk_next(b);
		if (!n)
			break;
		if (hk_ss_of(n) != ss)
			hk_slab_corrupt("free", b);
	}
	hk_set_next(b, s->free);
	s->free = (void *)r;
	s->used -= count;
	return count;
}

bool hk_slab_refill(struct hk_slab *s)
{
	if (s->free || s->bump < s->end)
		return true;
	return __atomic_load_n(&s->remote, __ATOMIC_RELAXED) > 1 && hk_slab_collect(s);
}

bool hk_slab_remote_push(struct hk_slab *s, void *b)
{
	uintptr_t old = __atomic_load_n(&s->remote, __ATOMIC_RELAXED);

	do
		hk_set_next(b, (void *)(old & ~(uintptr_t)1));
	while (!__atomic_compare_exchange_n(&s->remote, &old, (uintptr_t)b, true,
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED));
	return old & 1;
}
