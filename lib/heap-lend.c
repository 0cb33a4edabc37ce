/* heap-lend.c: a class's first blocks from a slab of a larger class.
 *
 * Each class has slabs of its own, so the first block of each class
 * touches a page of its own: a program that allocates a few blocks of
 * many sizes touches a page per class for a few hundred bytes in each
 * (random-mixed: 33 classes, half of them with under 3 KiB live).  A
 * class served through direct[] (up to HK_DIRECT_MAX) with no slab in
 * its list (none yet, or all full) is lent the head slab of the next
 * larger class that has one, if that class's blocks are at most a
 * quarter or 32 bytes larger and as aligned: the class's direct[]
 * entries (hk_tls) name that slab, and the fast paths serve it from there as
 * from its own (a block's size is its slab's).  Once that slab runs out
 * or leaves its class list, the class takes the slow path and a slab of
 * its own.  Each class is lent a slab once per heap, so lending wastes
 * at most a quarter of one slab per class, and a class a program uses
 * much soon has slabs of its own.
 *
 * Only in a process that never started a second thread, and while no
 * superslab is abandoned.  Where threads come and go, a class's pages
 * are reused through the superslabs they leave (reclaimed by class, a
 * lent slab's blocks do not count): lending there cost mstress-1t 12 to
 * 21% more faults.  Where one thread allocates and another frees, two
 * classes in one slab share its remote list: xmalloc-1p, whose producer
 * is the only thread with a heap while the main thread allocates
 * nothing, ran 10% slower.  glibc says whether a thread was ever
 * started (__libc_single_threaded, 2.32); elsewhere, h being the only
 * live heap stands in.
 */
#include "lib/fastpath.h"
#include "lib/heap-impl.h"
#include "lib/internal.h"

#if defined(__has_include)
#if __has_include(<sys/single_threaded.h>)
#include <sys/single_threaded.h>
#define HK_LEND_ALONE(alone) ((alone) && __libc_single_threaded)
#endif
#endif
#ifndef HK_LEND_ALONE
#define HK_LEND_ALONE(alone) (alone)
#endif

#define HK_LEND_SLACK 32	/* bytes a lent block may exceed the size */

_Static_assert(HK_DIRECT_MAX / 16 < HK_DIRECT, "direct[] covers the sizes");

/* Blocks of class l are small enough to serve class c. */
static bool hk_lend_fits(unsigned c, unsigned l)
{
	uint32_t want = hk_class_size[c], got = hk_class_size[l];

	return got <= want + want / 4 || got <= want + HK_LEND_SLACK;
}

/* ... and aligned as c's own would be: blocks lie at multiples of their
 * size from a slice's start, and hk_aligned counts on a power-of-two
 * class for that alignment (memalign(64, 64) takes a 64-byte block). */
static bool hk_lend_aligned(unsigned c, unsigned l)
{
	return __builtin_ctz(hk_class_size[l]) >= __builtin_ctz(hk_class_size[c]);
}

void *hk_heap_lend(struct hk_heap *h, unsigned cls, bool alone)
{
	/* An abandoned superslab may hold a slab of cls, its pages
	 * faulted in already: reclaiming it (hk_heap_slab_more) touches no
	 * new page. */
	if (!HK_LEND_ALONE(alone) || hk_class_size[cls] > HK_DIRECT_MAX ||
	    (h->lent_once >> cls & 1) || hk_heap_abandoned_any())
		return NULL;
	for (unsigned l = cls + 1; l < HK_NCLASS && hk_lend_fits(cls, l); l++) {
		struct hk_slab *s = h->cur[l];

		if (!hk_lend_aligned(cls, l) || s == &hk_slab_empty ||
		    !hk_slab_refill(s))
			continue;
		h->lent |= 1u << cls;
		h->lent_once |= 1u << cls;
		hk_heap_set_direct(h, cls, s);
		return hk_slab_alloc(s);
	}
	return NULL;
}

void hk_heap_lend_end(struct hk_heap *h, unsigned cls)
{
	if (cls < 32 && (h->lent >> cls & 1)) {
		h->lent &= ~(1u << cls);
		hk_heap_set_direct(h, cls, &hk_slab_empty);
	}
}

void hk_heap_lend_drop(struct hk_heap *h, const struct hk_slab *s)
{
	/* direct[] is the calling thread's (hk_tls): another heap's
	 * entries died with its thread (a fork child's abandon). */
	if (h != hk_tls_heap)
		return;
	for (uint32_t m = h->lent; m; m &= m - 1) {
		unsigned c = (unsigned)__builtin_ctz(m);

		if (hk_tls.direct[hk_class_size[c] / 16] == s)
			hk_heap_lend_end(h, c);
	}
}
