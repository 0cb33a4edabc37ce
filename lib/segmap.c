/* segmap.c: which parts of the address space are ours.
 *
 * free() must tell our pointers from a stack address, another
 * allocator's block or a stray interior pointer without reading the
 * memory behind it, which may not be mapped.  A two-level table answers
 * with two loads: the top level lives in .bss (untouched pages cost
 * nothing), leaves of 2^14 entries (32 GiB of address space each) come
 * from hk_meta_alloc the first time a region in their range is ours.
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

#include "internal.h"
#include "os.h"

/* In .lbss (HK_BSS_LAST), after every other .bss section: the small
 * globals then share the page where .data ends (written by the loader
 * at start-up) instead of following 64 KiB of this table, and the
 * table's first entries, the ones in use (hk_segmap_top_index), follow
 * them.  segmap.o comes before os.o in the link, so the probe's facts
 * (os.c) come after the table. */
uintptr_t *hk_segmap_top[(size_t)1 << HK_SEG_TOP_BITS] HK_BSS_LAST;
static pthread_mutex_t hk_segmap_lock = PTHREAD_MUTEX_INITIALIZER;

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
		leaf = hk_meta_alloc(HK_SEG_LEAF_LEN * sizeof(uintptr_t));
		__atomic_store_n(slot, leaf, __ATOMIC_RELEASE);
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
	pthread_mutex_lock(&hk_segmap_lock);
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
	pthread_mutex_unlock(&hk_segmap_lock);
	return err;
}

void hk_segmap_fork_prepare(void)
{
	pthread_mutex_lock(&hk_segmap_lock);
}

void hk_segmap_fork_parent(void)
{
	pthread_mutex_unlock(&hk_segmap_lock);
}

void hk_segmap_fork_child(void)
{
	pthread_mutex_init(&hk_segmap_lock, NULL);
}
