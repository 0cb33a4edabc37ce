/* heap-abandon.c: the abandoned superslabs, those of exited threads.
 *
 * A thread that exits hands its superslabs to one list, from which a
 * heap short of a slab reclaims them (hk_heap_reclaim, adopted by
 * hk_heap_adopt in heap.c), each busy heap within its share of them
 * (hk_heap_within_share), and which the purge ticks of the live heaps
 * and malloc_trim purge in the owners' stead.
 */
#include <pthread.h>

#include "lib/heap-impl.h"
#include "lib/internal.h"
#include "lib/os.h"
#include "lib/lock.h"

pthread_mutex_t hk_abandoned_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hk_superslab *hk_abandoned;
/* Some abandoned superslab has dirty slices or idle slabs for the
 * purge ticks (under the lock; read without it to skip the lock when
 * there is nothing to do). */
static bool hk_abandoned_work;

/* ---- reclaim ------------------------------------------------------- */

/* Take ss off the abandoned list for h, under hk_abandoned_lock (so
 * that under the lock, no owner means on the list). */
static void hk_abandoned_take(struct hk_heap *h, struct hk_superslab *ss)
{
	hk_ss_unlink(&hk_abandoned, ss);
	__atomic_store_n(&ss->owner, h, __ATOMIC_RELEASE);
}

static bool hk_ss_has_room(const struct hk_superslab *ss, unsigned cls)
{
	return ss->room[cls >> 6] >> (cls & 63) & 1;
}

static bool hk_ss_wanted(const struct hk_superslab *ss, unsigned cls, bool dirty)
{
	return (cls == HK_NCLASS || hk_ss_has_room(ss, cls)) &&
	       (!dirty || ss->dirty_mask);
}

/* Adopt an abandoned superslab among the HK_RECLAIM_LOOK most recently
 * abandoned (a bound on the time under the lock): the first with a slab
 * of cls with room (any if cls is HK_NCLASS) and, if dirty, dirty free
 * slices. */
#define HK_RECLAIM_LOOK 64

struct hk_superslab *hk_heap_reclaim(struct hk_heap *h, unsigned cls,
				     bool dirty)
{
	struct hk_superslab *ss;
	unsigned n = 0;

	if (!hk_heap_abandoned_any())
		return NULL;
	hk_lock(&hk_abandoned_lock);
	ss = hk_abandoned;
	while (ss && !hk_ss_wanted(ss, cls, dirty))
		ss = ++n < HK_RECLAIM_LOOK ? ss->next : NULL;
	if (ss)
		hk_abandoned_take(h, ss);
	hk_unlock(&hk_abandoned_lock);
	if (ss)
		hk_heap_adopt(h, ss);
	return ss;
}

bool hk_heap_abandoned_any(void)
{
	return __atomic_load_n(&hk_abandoned, __ATOMIC_RELAXED) != NULL;
}

void hk_heap_abandoned_freed(void)
{
	if (!__atomic_load_n(&hk_abandoned_work, __ATOMIC_RELAXED))
		__atomic_store_n(&hk_abandoned_work, true, __ATOMIC_RELAXED);
}

/* ---- purge of abandoned superslabs -------------------------------- */

/* Which classes have a slab with room in ss, abandoned. */
static void hk_ss_room(struct hk_superslab *ss)
{
	ss->room[0] = 0;
	ss->room[1] = 0;
	for (unsigned i = 1; i < HK_SLICES; i++) {
		struct hk_slab *s = &ss->slabs[i];

		if (ss->slab_of[i] == i && (s->free || s->bump < s->end))
			ss->room[s->cls >> 6] |= (uint64_t)1 << (s->cls & 63);
	}
}

/* An abandoned superslab's idle slabs and dirty slices that waited
 * long enough (all of them if force); adds the bytes purged to *total;
 * true if some wait on.  The blocks other threads freed into it since
 * its owner left are taken in first: no one else ever would (a slab
 * they emptied waits for the delay from now). */
static bool hk_heap_purge_orphan(struct hk_superslab *ss, bool force,
				 uint64_t now, size_t *total)
{
	bool idle = false;

	for (unsigned i = 1; i < HK_SLICES; i++) {
		/* No owner: only a reclaim could change used or take the
		 * remote frees in, and it holds the lock too.  Blocks freed
		 * since the owner left count: a slab they emptied goes. */
		struct hk_slab *s = hk_ss_slab_collect(ss, i, now);

		if (!s || hk_slab_used(s) != 0)
			continue;
		if (force || hk_purge_due(s->idle_since, now))
			hk_superslab_slab_free(ss, s, now);
		else
			idle = true;
	}
	if (ss->dirty_mask && (force || hk_purge_due(ss->dirty_since, now)))
		*total += hk_superslab_purge(ss, force, now);
	hk_ss_room(ss);
	return idle || ss->dirty_mask != 0;
}

/* Under hk_abandoned_lock; superslabs left empty go back to the OS
 * layer. */
size_t hk_heap_purge_abandoned(bool force)
{
	struct hk_superslab *ss, *next;
	uint64_t now = hk_now_ms();
	size_t total = 0;
	bool work = false;

	for (ss = hk_abandoned; ss; ss = next) {
		next = ss->next;
		work |= hk_heap_purge_orphan(ss, force, now, &total);
		/* A notice of one of its slabs may still be on its way. */
		work |= ss->nslabs == 0 && !hk_ss_quiet(ss);
		if (ss->nslabs == 0 && hk_ss_quiet(ss)) {
			hk_ss_unlink(&hk_abandoned, ss);
			hk_superslab_free(ss);
			total += HK_SS_SIZE;
		}
	}
	__atomic_store_n(&hk_abandoned_work, work, __ATOMIC_RELAXED);
	return total;
}

/* A tick that finds the lock taken leaves the work to the next one. */
void hk_heap_tick_abandoned(void)
{
	if (!__atomic_load_n(&hk_abandoned_work, __ATOMIC_RELAXED) ||
	    hk_trylock(&hk_abandoned_lock) != 0)
		return;
	hk_heap_purge_abandoned(false);
	hk_unlock(&hk_abandoned_lock);
}

/* ---- fork ---------------------------------------------------------- */

static void hk_ss_unguard(struct hk_superslab *ss)
{
	for (unsigned i = 1; i < HK_SLICES; i++) {
		ss->slabs[i].in_delayed = 0;
		ss->slabs[i].notifying = 0;
	}
}

void hk_heap_fork_unguard(const struct hk_heap *h)
{
	for (struct hk_superslab *ss = h ? h->ss : hk_abandoned; ss; ss = ss->next)
		hk_ss_unguard(ss);
}

/* ---- thread exit --------------------------------------------------- */

/* The dirty slices that abandoned superslabs may keep, all together:
 * beyond, a thread's are purged as it exits, not after the delay.
 * Threads that come and go faster than it (mstress: a round in 16 ms)
 * would each leave theirs resident, and the next thread, reclaiming
 * superslabs only within its share, touches fresh ones meanwhile (peak
 * RSS 1.7 to 2 times mimalloc's); below, the next owner reuses them
 * without a fault (larson's rounds). */
#define HK_ABANDON_DIRTY 32

/* Dirty slices among the HK_RECLAIM_LOOK most recently abandoned. */
static unsigned hk_abandoned_dirty(void)
{
	unsigned n = 0, k = 0;

	hk_lock(&hk_abandoned_lock);
	for (struct hk_superslab *ss = hk_abandoned; ss && k < HK_RECLAIM_LOOK;
	     ss = ss->next, k++)
		n += (unsigned)__builtin_popcountll(ss->dirty_mask);
	hk_unlock(&hk_abandoned_lock);
	return n;
}

/* Empty slabs go back to ss, but for the one each class kept as its
 * only slab: the thread that reclaims ss takes it over with its blocks
 * and faulted-in pages where they are (threads that come and go then
 * keep using the same pages instead of carving new slabs elsewhere).
 * The dirty slices are purged at once beyond HK_ABANDON_DIRTY; the
 * kept slabs wait for the purge delay, as an owner's do; the ticks of
 * live heaps see to them meanwhile. */
void hk_heap_abandon_ss(struct hk_heap *h, struct hk_superslab *ss,
			uint64_t now)
{
	for (unsigned i = 1; i < HK_SLICES; i++) {
		struct hk_slab *s = hk_ss_slab_collect(ss, i, now);

		if (!s)
			continue;
		if (hk_slab_used(s) == 0 && h->cur[s->cls] != s)
			hk_superslab_slab_free(ss, s, now);
		else if (hk_slab_used(s) == 0 && !s->idle_since)
			s->idle_since = now;	/* the orphan purge's clock */
	}
	hk_ss_room(ss);
	/* Empty but a notice of one of its slabs on its way: the purge of
	 * the abandoned list frees it once quiet. */
	if (ss->nslabs == 0 && hk_ss_quiet(ss)) {
		hk_superslab_free(ss);
		return;
	}
	if (ss->dirty_mask && hk_abandoned_dirty() +
	    (unsigned)__builtin_popcountll(ss->dirty_mask) > HK_ABANDON_DIRTY)
		hk_superslab_purge(ss, true, now);
	hk_lock(&hk_abandoned_lock);
	hk_ss_push(&hk_abandoned, ss);
	/* seq_cst: the pushers of notices read it again after their push,
	 * and h drains last (hk_heap_abandon). */
	__atomic_store_n(&ss->owner, NULL, __ATOMIC_SEQ_CST);
	__atomic_store_n(&hk_abandoned_work, true, __ATOMIC_RELAXED);
	hk_unlock(&hk_abandoned_lock);
}

/* ---- a busy heap's share ------------------------------------------ */

/* The heaps busy within the last HK_BUSY_MS (that asked for a slab, or
 * took 64 slow paths), and the superslabs that the idle live heaps
 * hold: counted once a millisecond (racy reads: a heuristic).  A heap
 * whose thread waits (a main thread in pthread_join while rounds of
 * workers come and go: mstress, larson) takes no part in the share, and
 * what it holds is not there to share: counted, it halved the share of
 * mstress-1t's one worker, which then carved fresh slices of its own
 * while the blocks and pages of the last worker lay abandoned (peak RSS
 * 1.13 times; faults 1.05 times, 2.6 times without the blocks above
 * 64 KiB).  The heap of a thread that exited busy counts for as long:
 * its successor is on its way (larson's and mstress-2t's threads start
 * together, and the first would take every abandoned superslab, leaving
 * the next new ones). */
#define HK_BUSY_MS 50

static uint64_t hk_share_at;		/* ms, the last count */
static uint32_t hk_share_busy;		/* busy heaps then */
static uint32_t hk_share_held;		/* superslabs the idle live heaps held */

/* The first heap to ask in a millisecond walks the heaps, the others
 * take its counts: one walk, however many threads. */
static void hk_heap_count_busy(uint64_t now)
{
	uint64_t at = __atomic_load_n(&hk_share_at, __ATOMIC_RELAXED);
	uint32_t n = 0, held = 0;

	if (at == now || !__atomic_compare_exchange_n(&hk_share_at, &at, now, false,
						      __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return;
	for (struct hk_heap *o = hk_heap_first(); o; o = o->next_all) {
		if (now - __atomic_load_n(&o->busy_at, __ATOMIC_RELAXED) < HK_BUSY_MS)
			n++;
		else if (__atomic_load_n(&o->live, __ATOMIC_RELAXED))
			held += __atomic_load_n(&o->nss, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&hk_share_busy, n, __ATOMIC_RELAXED);
	__atomic_store_n(&hk_share_held, held, __ATOMIC_RELAXED);
}

/* One superslab more would leave h within a busy heap's share of the
 * superslabs that no idle heap holds; asked only while some superslab
 * is abandoned (the clock read and the count cost tight-loop-2t 2%,
 * asked at every slab it took).  A heap short of a slab takes an
 * abandoned superslab for its class or its dirty slices only then: one
 * that took them all would leave the threads starting with it (larson's)
 * nothing but new superslabs, and frees outside the superslabs in
 * own[]. */
bool hk_heap_within_share(struct hk_heap *h)
{
	uint64_t all = __atomic_load_n(&hk_stats[HK_ST_SS_NEW], __ATOMIC_RELAXED) -
		       __atomic_load_n(&hk_stats[HK_ST_SS_FREE], __ATOMIC_RELAXED);
	uint64_t now = hk_now_ms();
	uint64_t n;

	__atomic_store_n(&h->busy_at, now, __ATOMIC_RELAXED);
	hk_heap_count_busy(now);
	n = __atomic_load_n(&hk_share_busy, __ATOMIC_RELAXED);
	return (h->nss + 1) * (n ? n : 1) +
	       __atomic_load_n(&hk_share_held, __ATOMIC_RELAXED) <= all;
}
