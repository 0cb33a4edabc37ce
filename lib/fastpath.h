/* fastpath.h: the inline malloc and free of small blocks, shared by the
 * hk_* API (alloc.c) and the malloc family (override.c) so that both are
 * a table lookup and a pop, a mask and a push, with no call in between.
 * Everything else leaves through one out-of-line slow path.
 */
#ifndef HK_FASTPATH_H
#define HK_FASTPATH_H

#include "lib/internal.h"

/* x86-64: GCC fuses neither the decrement of a counter in memory with
 * the signed test of its result nor the clearing of the free key with
 * its compare (a load, an operation, a store and a test each, on every
 * malloc and free): one instruction on memory sets the flags the jump
 * needs.  asm goto with outputs came with GCC 11 and clang 11. */
#if defined(__x86_64__) && !defined(HK_NO_ASM) && \
	(defined(__clang__) ? __clang_major__ >= 11 : __GNUC__ >= 11)
#define HK_ASM_GOTO 1
#endif

/* Fetch the cache line at p to be written.  A block freed by another
 * thread was last written there: read first, it would come over shared
 * and then need a second transfer for the write.  x86-64 only through
 * asm (GCC emits prefetchw only with -mprfchw); older Intel CPUs run it
 * as a NOP. */
HK_INLINE void hk_prefetch_w(const void *p)
{
#if defined(__x86_64__) && !defined(HK_NO_ASM)
	asm volatile("prefetchw %0" : : "m"(*(const char *)p));
#else
	__builtin_prefetch(p, 1);
#endif
}

/* Clear the free key of b; true if b did not hold it.  After the
 * stores before it (the memory clobber), as hk_slab_pop needs. */
HK_INLINE bool hk_block_take_key(void *b)
{
#ifdef HK_ASM_GOTO
	asm goto("xorq %1, %0\n\tjnz %l[taken]"
		 : "+m"(((uintptr_t *)b)[1]) : "r"(hk_free_key) : "cc", "memory"
		 : taken);
	return false;
taken:
	return true;
#else
	uintptr_t k;

	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	k = ((uintptr_t *)b)[1] ^ hk_free_key;
	((uintptr_t *)b)[1] = k;
	return k != 0;
#endif
}

/* --s->used; true if the slab emptied or is full (HK_SLAB_FULL). */
HK_INLINE bool hk_slab_put(struct hk_slab *s)
{
#ifdef HK_ASM_GOTO
	asm goto("subl $1, %0\n\tjle %l[slow]" : "+m"(s->used) : : "cc" : slow);
	return false;
slow:
	return true;
#else
	return (int32_t)--s->used <= 0;
#endif
}

/* Pop b from s->free, the only place a block leaves a free list.  b
 * came out of an encoded next pointer (or a remote list): one outside the
 * superslab of s (whose descriptor lives in the superslab's header) was
 * not written by us but by a use-after-free write, which must not steer
 * this malloc.  Testing the head before it is used, rather than each next
 * pointer as it is decoded, is one compare with no NULL case.  Every
 * block on a free list holds the free key, and a pop clears it (one xor
 * that tests it too, hk_block_take_key): a block without it was handed
 * out already, which a block freed twice (a cycle in the list) or a
 * use-after-free write shows; the remote list is taken without a walk
 * (hk_slab_collect), so this is where its blocks are looked at.  The
 * key goes once the head has moved on: a fork while another thread is
 * here leaves the child (which may adopt that thread's heap) a list
 * whose head still holds its key. */
HK_INLINE void *hk_slab_pop(struct hk_slab *s, void *b)
{
#ifndef HK_UNHARDENED
	if (HK_UNLIKELY(((uintptr_t)b ^ (uintptr_t)s) > HK_SS_MASK))
		goto corrupt;
#endif
	s->free = hk_next(b);
	hk_prefetch_w(s->free);
	s->used++;
#ifndef HK_UNHARDENED
	if (HK_UNLIKELY(hk_block_take_key(b)))
		goto corrupt;
#else
	((uintptr_t *)b)[1] = 0;	/* the free key */
#endif
	return b;
#ifndef HK_UNHARDENED
corrupt:
	hk_slab_corrupt("malloc", b);
#endif
}

/* A never-used block from the bump pointer (s->bump < s->end). */
HK_INLINE void *hk_slab_bump(struct hk_slab *s)
{
	char *b = s->bump;

	s->bump = b + s->block;
	s->nbump++;
	s->used++;
	((uintptr_t *)b)[1] = 0;	/* reused memory may hold a stale key */
	return b;
}

/* A block of s, which has room (hk_slab_refill). */
HK_INLINE void *hk_slab_alloc(struct hk_slab *s)
{
	void *b = s->free;

	if (HK_LIKELY(b != NULL))
		return hk_slab_pop(s, b);
	return hk_slab_bump(s);
}

/* The slow path hk_fast_malloc leaves through, the only way that may
 * fail.  A file may name its own before including this one: operator
 * new's (cxx-new.c) runs the new_handler loop after malloc's, so that
 * its fast path is malloc's, with no register kept across a call.  (A
 * function pointer argument, inlined, gave malloc another layout.) */
#ifndef HK_MALLOC_SLOW
#define HK_MALLOC_SLOW hk_heap_malloc_slow
#endif

HK_INLINE void *hk_fast_malloc(size_t size)
{
	struct hk_slab *s;
	void *b;

	if (HK_LIKELY(size <= HK_DIRECT_MAX))
		s = hk_tls.direct[(size + 15) >> 4];
	else if (size <= HK_SMALL_MAX)
		s = hk_tls_heap->cur[hk_size_class_big(size)];
	else
		return HK_MALLOC_SLOW(size);
	b = s->free;
	if (HK_LIKELY(b != NULL))
		return hk_slab_pop(s, b);
	if (s->bump < s->end)
		return hk_slab_bump(s);
	return HK_MALLOC_SLOW(size);
}

/* Every free but the owner's into a superslab in its own[] and those
 * into a batch of remote frees: segment map lookup, large objects,
 * other threads' blocks, bad pointers. */
void hk_free_general(void *p, const char *fn);

/* The large object p points at, or NULL (NULL p) after hk_bad_free:
 * for free's slow half (free-slow.c) and the API (alloc.c). */
static inline struct hk_large *hk_large_of(void *p, uintptr_t seg, const char *fn)
{
	struct hk_large *l = (struct hk_large *)(seg & ~(uintptr_t)HK_SEG_KINDS);

	if (!(seg & HK_SEG_LARGE) || l->user != p)
		hk_bad_free(fn, p);
	return l;
}

/* Push p, a valid block of s, which the calling thread's heap owns and
 * which is not free. */
HK_INLINE void hk_free_push(struct hk_slab *s, void *p)
{
	((uintptr_t *)p)[1] = hk_free_key;
	hk_set_next(p, s->free);
	s->free = p;
	/* free before used, for malloc_trim in another thread (heap-trim.c);
	 * no instruction. */
	__atomic_signal_fence(__ATOMIC_RELEASE);
	if (HK_UNLIKELY(hk_slab_put(s)))
		hk_heap_put(s);
}

HK_INLINE bool hk_free_ok(const struct hk_slab *s, const void *p)
{
	return hk_slab_is_block(s, p) && !hk_block_is_free(p);
}

/* Check and push p, a block of slab s, which the calling thread's heap
 * owns. */
HK_INLINE void hk_free_owned(struct hk_slab *s, void *p, const char *fn)
{
	if (HK_UNLIKELY(!hk_free_ok(s, p)))
		hk_bad_free(fn, p);
	hk_free_push(s, p);
}

/* The slab of p, a block of the heap's only superslab (hot) or of one
 * in own[], found without the segment map; NULL for anything else (a
 * double free, a bad pointer, another heap's block), which the caller's
 * general way decides. */
HK_INLINE struct hk_slab *hk_fast_slab(const struct hk_heap *h, void *p)
{
	struct hk_superslab *ss = hk_ss_of(p);

	if (HK_LIKELY((uintptr_t)ss == h->hot ||
		      (uintptr_t)ss == h->own[hk_own_slot(ss)])) {
		struct hk_slab *s = hk_slab_of(ss, p);

		if (HK_LIKELY(hk_free_ok(s, p)))
			return s;
	}
	return NULL;
}

/* The owner's free, or another thread's into a slab it has a batch of
 * remote frees for (remote.c): no segment map either way.  A block of
 * hot that hk_slab_at does not find (beyond its slab's first slice)
 * goes straight to the general way; one of a superslab in own[] finds
 * its slab through slab_of, one load more, so that a block of a slab
 * over several slices stays inline (alloc-test: blocks of 4.5 to 27
 * KiB, one free in six, freed in random order, a branch no CPU
 * predicts).  free(NULL) is common (mstress: a quarter of its frees)
 * and comes at random: it is tested on the register, which resolves a
 * mispredicted branch at once rather than after the loads of the own[]
 * compare, and needs no call nor segment map lookup; it comes after the
 * hot compare, which NULL never passes (hot is 1 or a superslab), so
 * that a heap of one superslab does not pay for it.  hot and own[] are
 * read from their TLS copies (hk_tls), so that the heap's pointer is
 * loaded only for another heap's block, and the push needs neither h
 * nor ss (hk_heap_put): the free into hot keeps p where it came and
 * takes no register for them.
 * The free into hot is laid out first, the way a heap of one superslab
 * takes every time; the other ways (a heap of several) pay a jump. */
HK_INLINE void hk_fast_free(void *p, const char *fn)
{
	struct hk_superslab *ss = hk_ss_of(p);
	struct hk_heap *h;
	struct hk_slab *s;
	struct hk_rbatch *e;

	if (HK_UNLIKELY((uintptr_t)ss != hk_tls.hot)) {
		if (HK_UNLIKELY(p == NULL))
			return;
		if ((uintptr_t)ss != hk_tls.own[hk_own_slot(ss)]) {
			h = hk_tls_heap;
			hk_prefetch_w(p);
			e = hk_rb_at(h, p);
			if (HK_LIKELY(hk_rb_holds(e, p)))
				hk_rb_add(h, e, p, fn);
			else
				hk_free_general(p, fn);
			return;
		}
		s = hk_slab_of(ss, p);
	} else {
		s = hk_slab_at(ss, p);
	}
	if (HK_LIKELY(hk_free_ok(s, p))) {
		hk_free_push(s, p);
		return;
	}
	hk_free_general(p, fn);
}

#endif /* HK_FASTPATH_H */
