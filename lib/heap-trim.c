/* heap-trim.c: malloc_trim's share of the slabs of other live heaps.
 *
 * A thread that allocates and then waits (a producer blocked on a
 * condition variable, a pool thread between jobs) takes no slow path, so
 * the blocks other threads free into its slabs wait on the slabs' remote
 * lists for a collection that never comes, and malloc_trim in another
 * thread could not give their pages back (256 MiB freed that way stayed
 * resident).  The owner's free list and counts are its own, unlocked,
 * so trim touches only what the owner provably leaves alone: a full
 * slab (off its class lists; the owner's fast paths never reach it)
 * whose notice trim holds (taken off the heap's notice stack: the
 * owner's slow paths cannot unfull it meanwhile) and whose every block
 * handed out is on its remote list.  No thread then holds a block of it,
 * so none can free into it, and the owner could touch it only through
 * such a free; trim takes the remote list, purges the slab's pages,
 * resets it as fresh and gives the notice back.  The owner's next slow
 * path returns the slab to its superslab (hk_heap_trimmed, heap.c).
 *
 * "Every block on the remote list" is read as the list's count equal to
 * the owner's count of blocks out, with its free list empty, read in
 * that order after the list.  A free by the owner of a block it still
 * held counts down after pushing the block on its free list, so a trim
 * that sees the count already lowered sees the free list too: x86-64
 * keeps stores in order and loads in order (TSO), and the signal fence
 * in hk_free_push keeps the compiler's order (no instruction).  Where
 * memory order is weaker the live heaps are left to their owners' next
 * slow paths, as before (HK_TRIM_LIVE).
 *
 * One lock serialises the trims; a thread that exits takes it once
 * (hk_heap_trim_exclude) so that no trim works on its heap while it is
 * abandoned, and fork takes it so that a child never inherits a trim
 * half done.
 */
#include <pthread.h>

#include "lib/heap-impl.h"
#include "lib/internal.h"
#include "lib/lock.h"
#include "lib/os.h"

#if defined(__x86_64__) || defined(__i386__)
#define HK_TRIM_LIVE 1
#else
#define HK_TRIM_LIVE 0
#endif

static pthread_mutex_t hk_trim_lock = PTHREAD_MUTEX_INITIALIZER;

/* s, full in h, whose notice trim holds: every block it handed out is
 * on its remote list, now taken (see above); false if not so, s left
 * as it was. */
static bool hk_trim_take(struct hk_heap *h, struct hk_slab *s)
{
	uintptr_t r = __atomic_load_n(&s->remote, __ATOMIC_ACQUIRE);
	uint32_t n = (uint32_t)(r >> HK_REMOTE_COUNT_SHIFT);
	uint32_t used;

	if (__atomic_load_n(&hk_ss_of(s)->owner, __ATOMIC_ACQUIRE) != h ||
	    !(r & HK_REMOTE_PTR) || n == 0)
		return false;
	used = __atomic_load_n(&s->used, __ATOMIC_ACQUIRE);
	if (used != (HK_SLAB_FULL | n) ||
	    __atomic_load_n(&s->free, __ATOMIC_ACQUIRE) != NULL ||
	    __atomic_load_n(&s->bump, __ATOMIC_ACQUIRE) != s->end)
		return false;
	return __atomic_compare_exchange_n(&s->remote, &r, 0, false,
					   __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

/* Purge the slices of s, taken, and set it up again with no block out,
 * still full: hk_heap_drain tells it so. */
static size_t hk_trim_slab(struct hk_slab *s)
{
	char *lo = (char *)hk_ss_of(s) + ((size_t)s->slice << HK_SLICE_SHIFT);
	size_t len = (size_t)s->span << HK_SLICE_SHIFT;
	bool zeroed = false;
	int err = hk_os_purge(lo, len, &zeroed);

	s->free = NULL;
	s->bump = s->start;
	s->nbump = 0;
	s->zero = err == 0 && zeroed;
	s->spent = 0;
	__atomic_store_n(&s->used, HK_SLAB_FULL, __ATOMIC_RELEASE);
	if (err)
		return 0;
	hk_stat_add(HK_ST_PURGED, (int64_t)len);
	hk_stat_add(HK_ST_TRIMMED, 1);
	return len;
}

/* Give back the notices from first to last (in_delayed still set). */
static void hk_trim_renotify(struct hk_heap *h, struct hk_slab *first,
			     struct hk_slab *last)
{
	struct hk_slab *top = __atomic_load_n(&h->delayed, __ATOMIC_RELAXED);

	do
		last->delayed_next = top;
	while (!__atomic_compare_exchange_n(&h->delayed, &top, first, true,
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

/* The full slabs of h that other threads emptied; under hk_trim_lock. */
static size_t hk_trim_heap(struct hk_heap *h)
{
	struct hk_slab *first, *last = NULL;
	size_t total = 0;

	first = __atomic_exchange_n(&h->delayed, NULL, __ATOMIC_ACQUIRE);
	for (struct hk_slab *s = first; s; s = s->delayed_next) {
		if (hk_trim_take(h, s))
			total += hk_trim_slab(s);
		last = s;
	}
	if (first)
		hk_trim_renotify(h, first, last);
	return total;
}

size_t hk_heap_trim_live(void)
{
	size_t total = 0;

	if (!HK_TRIM_LIVE)
		return 0;
	hk_lock(&hk_trim_lock);
	for (struct hk_heap *h = hk_heap_first(); h; h = h->next_all)
		if (__atomic_load_n(&h->live, __ATOMIC_ACQUIRE) &&
		    !__atomic_load_n(&h->trim_off, __ATOMIC_RELAXED))
			total += hk_trim_heap(h);
	hk_unlock(&hk_trim_lock);
	return total;
}

void hk_heap_trim_exclude(struct hk_heap *h)
{
	hk_lock(&hk_trim_lock);
	__atomic_store_n(&h->trim_off, true, __ATOMIC_RELAXED);
	hk_unlock(&hk_trim_lock);
}

void hk_heap_trim_fork_prepare(void)
{
	pthread_mutex_lock(&hk_trim_lock);
}

void hk_heap_trim_fork_parent(void)
{
	pthread_mutex_unlock(&hk_trim_lock);
}

void hk_heap_trim_fork_child(void)
{
	pthread_mutex_init(&hk_trim_lock, NULL);
}
