/* fastpath.h: the inline malloc and free of small blocks, shared by the
 * hk_* API (alloc.c) and the malloc family (override.c) so that both are
 * a table lookup and a pop, a mask and a push, with no call in between.
 * Everything else leaves through one out-of-line slow path.
 */
#ifndef HK_FASTPATH_H
#define HK_FASTPATH_H

#include "internal.h"

/* Pop b from s->free, the only place a block leaves a free list. */
HK_INLINE void *hk_slab_pop(struct hk_slab *s, void *b)
{
	void *n = hk_next(b);
	struct hk_superslab *ss = hk_ss_of(b);
	uint64_t bit, *w = hk_bit_word(ss, b, &bit);

	/* A next pointer outside b's superslab was not written by us: a
	 * use-after-free write, which must not steer the next malloc. */
	if (HK_UNLIKELY(((uintptr_t)n ^ (uintptr_t)b) > HK_SS_MASK) && n)
		hk_slab_corrupt("malloc", b);
	s->free = n;
	s->used++;
	*w |= bit;
	return b;
}

HK_INLINE void *hk_fast_malloc(size_t size)
{
	if (HK_LIKELY(size <= HK_SMALL_MAX)) {
		struct hk_slab *s = hk_tls_heap->cur[hk_size_class(size)];
		void *b = s->free;

		if (HK_LIKELY(b != NULL))
			return hk_slab_pop(s, b);
	}
	return hk_heap_malloc_slow(size);
}

void hk_free_remote(struct hk_superslab *ss, struct hk_slab *s, void *p);
void hk_free_other(void *p, uintptr_t seg, const char *fn);

HK_INLINE void hk_fast_free(void *p, const char *fn)
{
	uintptr_t seg = hk_segmap_get(p);
	struct hk_superslab *ss;
	struct hk_slab *s;
	uint64_t bit, *w;

	if (HK_UNLIKELY(!(seg & HK_SEG_SS))) {
		hk_free_other(p, seg, fn);
		return;
	}
	ss = hk_ss_of(p);
	w = hk_bit_word(ss, p, &bit);
	if (HK_UNLIKELY(!(*w & bit)))
		hk_bad_free(fn, p);
	s = hk_slab_of(ss, p);
	if (HK_LIKELY(ss->owner == hk_tls_heap)) {
		*w &= ~bit;
		hk_set_next(p, s->local);
		s->local = p;
		if (HK_UNLIKELY(--s->used == 0 || s->flags))
			hk_heap_free_slow(hk_tls_heap, ss, s);
		return;
	}
	hk_free_remote(ss, s, p);
}

#endif /* HK_FASTPATH_H */
