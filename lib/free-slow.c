/* free-slow.c: free's slow half, what the fast path (fastpath.h) does
 * not handle: a block of a superslab not in own[] (the segment map),
 * another thread's block (remote.c), a large object, and the misuse of
 * free (a double free, a pointer we never gave out), which ends the
 * program with one line (hk_bad_free).  Kept out of the API file
 * (alloc.c): the fast path (fastpath.h) calls it out of line anyway.
 */
#include <stdint.h>

#include "lib/fastpath.h"
#include "lib/glibc.h"
#include "lib/msg.h"

void hk_bad_free(const char *fn, void *p)
{
	uintptr_t seg = hk_segmap_get(p);

	/* A slab that emptied may hand its blocks out from the start again:
	 * a block freed before that is beyond the bump pointer, still keyed. */
	if ((seg & HK_SEG_SS) && hk_slab_is_slot(hk_slab_of(hk_ss_of(p), p), p) &&
	    hk_block_is_free(p))
		hk_fatal("%s(): double free detected: %p", fn, p);
	if ((seg & HK_SEG_LARGE) && ((struct hk_large *)(seg & ~(uintptr_t)HK_SEG_KINDS))->user == NULL)
		hk_fatal("%s(): double free detected: %p", fn, p);
	hk_fatal("%s(): invalid pointer: %p", fn, p);
}

void hk_free_general(void *p, const char *fn)
{
	struct hk_superslab *ss = hk_ss_of(p);
	struct hk_heap *h = hk_tls_heap;
	uintptr_t seg;

	/* A superslab in own[] is ours for sure: no segment map.  What comes
	 * here from one: a block beyond its slab's first slice, a double
	 * free, a bad pointer, and a large block that the kernel placed in
	 * the region after a small superslab (superslab.c): what is no block
	 * of its slabs goes to the segment map, which knows each page. */
	if (HK_LIKELY(h->own[hk_own_slot(ss)] == (uintptr_t)ss)) {
		struct hk_slab *s = hk_slab_of(ss, p);

		if (HK_LIKELY(hk_free_ok(s, p))) {
			hk_free_push(s, p);
			return;
		}
	}
	seg = hk_segmap_get(p);
	if (HK_LIKELY(seg & HK_SEG_SS)) {
		if (ss->owner == h) {
			/* The next frees likely land here too. */
			hk_heap_own_set(h, hk_own_slot(ss), (uintptr_t)ss);
			hk_free_owned(hk_slab_of(ss, p), p, fn);
		} else {
			hk_remote_free(h, ss, hk_slab_of(ss, p), p, fn);
		}
		return;
	}
	if (!p)
		return;
	/* No block of ours (no segment) while glibc serves: its own. */
	if (HK_UNLIKELY(!(seg & HK_SEG_LARGE)) && hk_glibc_now()) {
		hk_glibc_now()->free(p);
		return;
	}
	hk_large_free(hk_large_of(p, seg, fn), p);
}
