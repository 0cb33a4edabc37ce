/* slab.c: the block lists of one slab.
 *
 * The owner pops from free and pushes to local; other threads push to
 * the atomic remote list.  When free runs dry the owner takes local, then
 * remote, then carves never-used blocks from the bump pointer a page at a
 * time, so memory is touched only when it is about to be used.  Every
 * next pointer is stored encoded (hk_enc) with the per-process secret.
 */
#include <errno.h>

#include "internal.h"
#include "msg.h"

uintptr_t hk_secret;

void hk_slab_corrupt(const char *fn, void *p)
{
	hk_fatal("%s(): corrupted free list at %p", fn, p);
}

void hk_slab_init(struct hk_slab *s, char *start, char *limit, unsigned cls,
		  bool zero)
{
	uint32_t bs = hk_class_size[cls];

	s->free = NULL;
	s->local = NULL;
	s->used = 0;
	s->flags = 0;
	s->cls = (uint8_t)cls;
	s->fresh = 0;
	s->zero = zero;
	s->block = bs;
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
	uint64_t bit, *w;

	if (!r)
		return 0;
	for (;; b = n) {
		w = hk_bit_word(ss, b, &bit);
		/* A block freed twice by other threads, or by one of them and
		 * the owner, is found here (its bit is already clear). */
		if (!(*w & bit))
			hk_fatal("free(): double free detected: %p", b);
		*w &= ~bit;
		count++;
		n = hk_next(b);
		if (!n)
			break;
		if (hk_ss_of(n) != ss)
			hk_slab_corrupt("free", b);
	}
	hk_set_next(b, s->free);
	s->free = (void *)r;
	s->fresh = 0;
	s->used -= count;
	return count;
}

/* A page's worth of blocks (at least one) from the bump pointer. */
static void hk_slab_carve(struct hk_slab *s)
{
	uint32_t bs = s->block;
	char *b = s->bump;
	char *limit = b + bs;

	if (bs < 4096)
		limit = (char *)(((uintptr_t)limit + 4095) & ~(uintptr_t)4095);
	if (limit > s->end)
		limit = s->end;
	limit -= (size_t)(limit - b) % bs;
	s->free = b;
	for (; b + bs < limit; b += bs)
		hk_set_next(b, b + bs);
	hk_set_next(b, NULL);
	s->bump = limit;
	s->fresh = s->zero;
}

bool hk_slab_refill(struct hk_slab *s)
{
	if (s->local) {
		s->free = s->local;
		s->local = NULL;
		s->fresh = 0;
		if (__atomic_load_n(&s->remote, __ATOMIC_RELAXED) > 1)
			hk_slab_collect(s);
		return true;
	}
	if (__atomic_load_n(&s->remote, __ATOMIC_RELAXED) > 1 && hk_slab_collect(s))
		return true;
	if (s->bump < s->end) {
		hk_slab_carve(s);
		return true;
	}
	return false;
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
