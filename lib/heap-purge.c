/* heap-purge.c: what a heap gives back, and when.
 *
 * The purge tick (hk_heap_tick in heap.c) and a heap short of slices
 * release the idle slabs that a heap keeps; hk_heap_purge returns the
 * empty superslabs and the dirty slices that waited for the purge delay;
 * malloc_trim (hk_heap_trim_all) returns all of it at once: the calling
 * thread's and the abandoned superslabs' now, with the blocks other
 * threads freed into them, and the full slabs of other heaps that other
 * threads emptied (heap-trim.c); the rest of the other heaps' at their
 * next slow path (hk_pressure).
 */
#include <pthread.h>

#include "lib/heap-impl.h"
#include "lib/internal.h"
#include "lib/lock.h"
#include "lib/os.h"

/* ---- the idle slabs ------------------------------------------------ */

/* Walk the idle list: drop the slabs in use again, stamp the newly
 * emptied, release those empty for the purge delay (force: all). */
void hk_heap_release_idle(struct hk_heap *h, bool force, uint64_t now)
{
	struct hk_slab **pp = &h->idle, *s;

	while ((s = *pp) != NULL) {
		if (s->used == 0 && !force &&
		    (!s->idle_since || !hk_purge_due(s->idle_since, now))) {
			if (!s->idle_since)
				s->idle_since = now;
			h->dirty = true;
			pp = &s->idle_next;
			continue;
		}
		*pp = s->idle_next;
		s->in_idle = 0;
		/* Unused since idle_since: so are its slices, and the
		 * superslab if it empties. */
		if (s->used == 0) {
			hk_list_remove(h, s);
			hk_heap_slab_release(h, hk_ss_of(s), s,
					     s->idle_since ? s->idle_since : now);
		}
		h->nidle -= s->span;
	}
}

/* ---- returning memory ---------------------------------------------- */

/* The purge delay spares a program that frees and allocates again the
 * faults of pages given back in between; but the purge runs on slow
 * paths only (no thread of our own: a sandboxed process may be killed
 * for creating one), so a process that frees much and then falls quiet
 * (a burst of work, then a wait on input) would keep it all until its
 * next call, for good if none comes.  So when a heap releases much, it
 * weighs what it keeps, empty and resident (dirty free slices, idle
 * slabs, empty superslabs), against what it uses: beyond as many slices
 * as it uses, and HK_EAGER_KEEP at least, it gives the excess back at
 * once, and from then on, until it carves a slab again, keeps no idle
 * slab and looks every HK_EAGER_SLICES / 8 (1 MiB): a heap that shrinks
 * gives its memory back as it goes, not 8 MiB late.  A working set that
 * breathes by less keeps its pages for the delay as before (frag, which
 * frees 90% of its blocks at random, empties too few slabs to reach the
 * bound: no more faults); one that falls by more faults its pages in
 * again when it grows back, as glibc's heap does above its trim
 * threshold. */
#define HK_EAGER_KEEP 256		/* slices: 8 MiB */

/* The bound on what a heap keeps under a memory limit, in slices. */
static uint64_t hk_heap_keep_cap(void)
{
	size_t k = hk_os_keep_max() >> HK_SLICE_SHIFT;

	return k ? k : 1;
}

uint32_t hk_heap_eager_at(bool shrink)
{
	uint64_t at = shrink ? HK_EAGER_SLICES / 8 : HK_EAGER_SLICES;

	return (uint32_t)(at < hk_heap_keep_cap() ? at : hk_heap_keep_cap());
}

/* Slices h keeps empty and resident, and slices it uses. */
static void hk_heap_kept(struct hk_heap *h, uint64_t *kept, uint64_t *used)
{
	uint64_t k = h->nidle, u = 0;

	for (struct hk_superslab *ss = h->ss; ss; ss = ss->next) {
		k += (uint64_t)__builtin_popcountll(ss->dirty_mask);
		u += (uint64_t)(HK_SLICES - 1 - __builtin_popcountll(ss->free_mask));
	}
	*kept = k;
	*used = u - (h->nidle < u ? h->nidle : u);
}

/* Purge dirty free slices and free empty superslabs (but one), the
 * list's tail first (superslabs with room come first in it: those at the
 * tail are the least likely to take the next slab), while h keeps more
 * than keep; returns what it then keeps. */
static uint64_t hk_heap_purge_excess(struct hk_heap *h, uint64_t kept,
				     uint64_t keep, uint64_t now)
{
	struct hk_superslab *ss, *prev;

	for (ss = h->ss_tail; ss && kept > keep; ss = prev) {
		uint64_t d = (uint64_t)__builtin_popcountll(ss->dirty_mask);

		prev = ss->prev;
		if (ss->nslabs == 0 && h->nss > 1) {
			hk_heap_drop_ss(h, ss);
			hk_superslab_free(ss);
		} else if (d) {
			hk_superslab_purge(ss, true, now);
		}
		kept -= d < kept ? d : kept;
	}
	return kept;
}

void hk_heap_purge_eager(struct hk_heap *h)
{
	uint64_t kept, used, keep, now;

	h->released = 0;
	hk_heap_kept(h, &kept, &used);
	keep = used > HK_EAGER_KEEP ? used : HK_EAGER_KEEP;
	/* Under a memory limit, the limit's share, however much h uses:
	 * what it keeps adds to the peak the limit is checked against. */
	if (keep > hk_heap_keep_cap())
		keep = hk_heap_keep_cap();
	if (kept <= keep)
		return;
	now = hk_now_ms();
	kept = hk_heap_purge_excess(h, kept, keep, now);
	if (kept > keep && h->nidle) {
		/* The idle slabs too: released, their slices are dirty. */
		hk_heap_release_idle(h, true, now);
		hk_heap_purge_excess(h, kept, keep, now);
	}
	h->shrink = true;
}

size_t hk_heap_purge(struct hk_heap *h, bool force)
{
	uint64_t now = hk_now_ms();
	struct hk_superslab *ss, *next;
	size_t total = 0;
	bool dirty = false;

	/* The walks touch every idle descriptor and every superslab header
	 * (hundreds in a heap of a GiB, bench/frag): twice per purge delay
	 * is often enough to stamp and release them in time. */
	if (!force && now - h->idle_walk < hk_purge_delay / 2 && !hk_purge_tight())
		return 0;
	h->dirty = false;
	h->idle_walk = now;
	hk_heap_release_idle(h, force, now);
	dirty = h->dirty;
	for (ss = h->ss; ss; ss = next) {
		next = ss->next;
		if (ss->nslabs == 0 && h->nss > 1 &&
		    (force || hk_purge_due(ss->empty_since, now)) &&
		    hk_ss_quiet(ss)) {
			hk_heap_drop_ss(h, ss);
			hk_superslab_free(ss);
			total += HK_SS_SIZE;
			continue;
		}
		if (ss->dirty_mask && (force || hk_purge_due(ss->dirty_since, now)))
			total += hk_superslab_purge(ss, force, now);
		dirty |= ss->dirty_mask != 0 || (ss->nslabs == 0 && h->nss > 1);
	}
	h->dirty = dirty;
	return total;
}

size_t hk_heap_trim_all(void)
{
	struct hk_heap *h = hk_tls_heap;
	size_t total = 0;

	__atomic_fetch_add(&hk_pressure, 1, __ATOMIC_RELAXED);
	if (h != &hk_heap_empty) {
		h->pressure = __atomic_load_n(&hk_pressure, __ATOMIC_RELAXED);
		hk_remote_flush(h);
	}
	/* The live heaps' full slabs that other threads emptied, this
	 * thread's among them: owners that wait take no slow path. */
	total += hk_heap_trim_live();
	if (h != &hk_heap_empty)
		total += hk_heap_purge(h, true);
	/* Abandoned superslabs have no owner to race with but the lock. */
	hk_lock(&hk_abandoned_lock);
	total += hk_heap_purge_abandoned(true);
	hk_unlock(&hk_abandoned_lock);
	total += hk_heap_late_trim();
	total += hk_large_trim(true);
	/* Last: the superslabs released above sit in the OS layer's cache. */
	return total + hk_os_chunk_trim();
}
