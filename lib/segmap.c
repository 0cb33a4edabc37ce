/* segmap.c: which parts of the address space are ours.
 *
 * free() must tell our pointers from a stack address, another
 * allocator's block or a stray interior pointer without reading the
 * memory behind it, which may not be mapped.  A two-level table answers
 * with two loads: the top level lives in .bss (untouched pages cost
 * nothing), leaves of 2^14 entries (32 GiB of address space each) come
 * from hk_meta_alloc the first time a region in their range is ours.
 *
 * The map is also how the statistics (stats.c) find every superslab at
 * any time: leaves are never freed, and a superslab's entry is set once
 * it is mapped and cleared before it goes back to the OS layer, which
 * may unmap it.  A walk names the superslab whose header it reads in
 * hk_segmap_reading (a hazard pointer), then reads the entry again; the
 * path that gives a superslab back clears the entry, then reads the
 * hazard (hk_segmap_quiesce).  With a full fence between the store and
 * the load on each side, one of them sees the other's store: either the
 * walk sees the entry cleared and skips the superslab, or the freeing
 * thread sees it named and waits for the walk to end.  So a free never
 * waits but for the one header a walk reads at that moment, and a
 * monitor calling mallinfo in a loop holds no thread back.  Walks take
 * turns (hk_segmap_walk_lock), which is also what a free waits on.
 *
 * A leaf entry covers 2 MiB.  A superslab, or a large mapping that
 * covers the whole region, is named there directly.  A region that holds
 * pieces (a large mapping is only its size rounded to a page, and a
 * thread's first superslab only HK_SS_SMALL: the kernel may put other
 * mappings, ours or not, in the rest) points instead to a directory of
 * one entry per 4 KiB page (HK_SEG_DIR), which costs a third load.  A
 * directory is 4 KiB of metadata: it goes back to a free list when its
 * last page is cleared, never to the OS, so that a lookup racing with
 * that reads zeroes, never unmapped memory.  Writers hold one lock (they
 * map or unmap around it anyway); readers take none.
 */
#include <errno.h>
#include <pthread.h>

#include "lib/internal.h"
#include "lib/lock.h"
#include "lib/os.h"

/* In .lbss (HK_BSS_LAST), after every other .bss section: the small
 * globals then share the page where .data ends (written by the loader
 * at start-up) instead of following 64 KiB of this table, and the
 * table's first entries, the ones in use (hk_segmap_top_index), follow
 * them.  segmap.o comes before os.o in the link, so the probe's facts
 * (os.c) come after the table. */
uintptr_t *hk_segmap_top[(size_t)1 << HK_SEG_TOP_BITS] HK_BSS_LAST;
static pthread_mutex_t hk_segmap_lock = PTHREAD_MUTEX_INITIALIZER;
/* Top entries below this one may hold a leaf (under hk_segmap_lock). */
static size_t hk_segmap_top_used;

static pthread_mutex_t hk_segmap_walk_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hk_superslab *hk_segmap_reading;

#define HK_SEG_LEAF_LEN ((size_t)1 << HK_SEG_LEAF_BITS)

struct hk_segdir {
	uintptr_t page[HK_SEG_PAGES];	/* as a leaf entry, never a directory */
	uint32_t used;			/* entries not 0 */
	struct hk_segdir *next_free;
};

static struct hk_segdir *hk_segdir_free;

/* Lock held. */
static uintptr_t *hk_segmap_leaf(uintptr_t r)
{
	uintptr_t **slot = &hk_segmap_top[hk_segmap_top_index(r)];
	uintptr_t *leaf = *slot;

	if (!leaf) {
		size_t i = (size_t)(slot - hk_segmap_top);

		leaf = hk_meta_alloc(HK_SEG_LEAF_LEN * sizeof(uintptr_t));
		__atomic_store_n(slot, leaf, __ATOMIC_RELEASE);
		if (leaf && i >= hk_segmap_top_used)
			__atomic_store_n(&hk_segmap_top_used, i + 1, __ATOMIC_RELEASE);
	}
	return leaf;
}

/* A directory whose pages all read as e (lock held); NULL if the OS has
 * no memory. */
static struct hk_segdir *hk_segdir_new(uintptr_t e)
{
	struct hk_segdir *d = hk_segdir_free;

	if (d)
		hk_segdir_free = d->next_free;
	else if (!(d = hk_meta_alloc(sizeof(*d))))
		return NULL;
	for (unsigned i = 0; i < HK_SEG_PAGES; i++)
		d->page[i] = e;
	d->used = e ? HK_SEG_PAGES : 0;
	return d;
}

/* Set the pages [lo, hi) of region r (not all of it) to v. */
static int hk_segmap_part(uintptr_t *ent, uintptr_t lo, uintptr_t hi, uintptr_t v)
{
	uintptr_t e = *ent;
	struct hk_segdir *d;

	if (!(e & HK_SEG_DIR)) {
		if (e == v)
			return 0;
		if (!(d = hk_segdir_new(e)))
			return ENOMEM;
		/* Filled before it is published. */
		__atomic_store_n(ent, (uintptr_t)d | HK_SEG_DIR, __ATOMIC_RELEASE);
	} else {
		d = (struct hk_segdir *)(e & ~(uintptr_t)HK_SEG_DIR);
	}
	for (uintptr_t i = (lo & HK_SS_MASK) >> HK_SEG_PAGE_SHIFT,
		       n = i + ((hi - lo) >> HK_SEG_PAGE_SHIFT); i < n; i++) {
		d->used += (v != 0) - (d->page[i] != 0);
		__atomic_store_n(&d->page[i], v, __ATOMIC_RELEASE);
	}
	if (d->used == 0) {
		__atomic_store_n(ent, 0, __ATOMIC_RELEASE);
		d->next_free = hk_segdir_free;
		hk_segdir_free = d;
	}
	return 0;
}

int hk_segmap_set(const void *p, size_t len, uintptr_t v)
{
	uintptr_t a = (uintptr_t)p, end = a + len;
	uintptr_t r = a >> HK_SS_SHIFT;
	uintptr_t last = (end - 1) >> HK_SS_SHIFT;
	int err = 0;

	if (last >> (HK_SEG_TOP_BITS + HK_SEG_LEAF_BITS))
		return ENOMEM;
	hk_lock(&hk_segmap_lock);
	for (; r <= last && !err; r++) {
		uintptr_t base = r << HK_SS_SHIFT;
		uintptr_t lo = a > base ? a : base;
		uintptr_t hi = end < base + HK_SS_SIZE ? end : base + HK_SS_SIZE;
		uintptr_t *leaf = v ? hk_segmap_leaf(r)
				    : hk_segmap_top[hk_segmap_top_index(r)];
		uintptr_t *ent, e;

		if (!leaf) {
			if (v)
				err = ENOMEM;
			continue;
		}
		ent = &leaf[r & (HK_SEG_LEAF_LEN - 1)];
		if (hi - lo < HK_SS_SIZE) {
			err = hk_segmap_part(ent, lo, hi, v);
			continue;
		}
		e = *ent;
		__atomic_store_n(ent, v, __ATOMIC_RELEASE);
		if (e & HK_SEG_DIR) {
			struct hk_segdir *d = (struct hk_segdir *)(e & ~(uintptr_t)HK_SEG_DIR);

			for (unsigned i = 0; i < HK_SEG_PAGES; i++)
				d->page[i] = 0;
			d->used = 0;
			d->next_free = hk_segdir_free;
			hk_segdir_free = d;
		}
	}
	hk_unlock(&hk_segmap_lock);
	return err;
}

/* The walk lock too: a program's fork handler that runs while hakmem's
 * mutexes are held (lock.h) may ask for statistics, in the parent and
 * in the child, where a walk another thread had begun never ends. */
void hk_segmap_fork_prepare(void)
{
	pthread_mutex_lock(&hk_segmap_lock);
	pthread_mutex_lock(&hk_segmap_walk_lock);
}

void hk_segmap_fork_parent(void)
{
	pthread_mutex_unlock(&hk_segmap_walk_lock);
	pthread_mutex_unlock(&hk_segmap_lock);
}

void hk_segmap_quiesce(const struct hk_superslab *ss)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	while (__atomic_load_n(&hk_segmap_reading, __ATOMIC_ACQUIRE) == ss) {
		hk_lock(&hk_segmap_walk_lock);
		hk_unlock(&hk_segmap_walk_lock);
	}
}

void hk_segmap_each_ss(void (*fn)(struct hk_superslab *, void *), void *arg)
{
	size_t top;

	hk_lock(&hk_segmap_walk_lock);
	top = __atomic_load_n(&hk_segmap_top_used, __ATOMIC_ACQUIRE);
	for (size_t t = 0; t < top; t++) {
		uintptr_t *leaf = __atomic_load_n(&hk_segmap_top[t], __ATOMIC_ACQUIRE);

		for (size_t i = 0; leaf && i < HK_SEG_LEAF_LEN; i++) {
			uintptr_t *ent = &leaf[i];
			uintptr_t e = __atomic_load_n(ent, __ATOMIC_RELAXED);
			struct hk_superslab *ss;

			/* A thread's small first superslab is named in its
			 * region's directory, from the region's first page.
			 * A directory is never unmapped; one reused for
			 * another region names a live superslab too, or none. */
			if (e & HK_SEG_DIR) {
				ent = &((struct hk_segdir *)(e & ~(uintptr_t)HK_SEG_DIR))->page[0];
				e = __atomic_load_n(ent, __ATOMIC_RELAXED);
			}
			if ((e & HK_SEG_KINDS) != HK_SEG_SS)
				continue;
			ss = (struct hk_superslab *)(e & ~(uintptr_t)HK_SEG_KINDS);
			__atomic_store_n(&hk_segmap_reading, ss, __ATOMIC_RELAXED);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if (__atomic_load_n(ent, __ATOMIC_ACQUIRE) == e)
				fn(ss, arg);
			__atomic_store_n(&hk_segmap_reading, NULL, __ATOMIC_RELEASE);
		}
	}
	hk_unlock(&hk_segmap_walk_lock);
}

void hk_segmap_fork_child(void)
{
	pthread_mutex_init(&hk_segmap_lock, NULL);
	pthread_mutex_init(&hk_segmap_walk_lock, NULL);
	hk_segmap_reading = NULL;
}
