/* heap-purge.c: what a heap gives back, and when.
 *
 * The purge tick (hk_heap_tick in heap.c) and a heap short of slices
 * release the idle slabs that a heap keeps; hk_heap_purge returns the
 * empty superslabs and the dirty slices that waited for the purge delay;
 * malloc_trim (hk_heap_trim_all) returns all of it at once: the calling
 * thread's and the abandoned superslabs' now, the other heaps' at their
 * next slow path (hk_pressure).
 */
#include <pthread.h>

#include "heap-impl.h"
#include "internal.h"
#include "lock.h"
#include "os.h"

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

size_t hk_heap_purge(struct hk_heap *h, bool force)
{
	uint64_t now = hk_now_ms();
	struct hk_superslab *ss, *next;
	size_t total = 0;
	bool dirty = false;

	/* The walks touch every idle descriptor and every superslab header
	 * (hundreds in a heap of a GiB, bench/frag): twice per purge delay
	 * is often enough to stamp and release them in time. */
	if (!force && now - h->idle_walk < hk_purge_delay / 2)
		return 0;
	h->dirty = false;
	h->idle_walk = now;
	hk_heap_release_idle(h, force, now);
	dirty = h->dirty;
	for (ss = h->ss; ss; ss = next) {
		next = ss->next;
		if (ss->nslabs == 0 && h->nss > 1 &&
		    (force || hk_purge_due(ss->empty_since, now))) {
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
		total += hk_heap_purge(h, true);
	}
	/* Abandoned superslabs have no owner to race with but the lock. */
	hk_lock(&hk_abandoned_lock);
	total += hk_heap_purge_abandoned(true);
	hk_unlock(&hk_abandoned_lock);
	total += hk_large_trim(true);
	/* Last: the superslabs released above sit in the OS layer's cache. */
	return total + hk_os_chunk_trim();
}
