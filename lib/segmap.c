/* segmap.c: which 2 MiB regions of the address space are ours.
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
 */
#include <errno.h>
#include <pthread.h>

#include "internal.h"
#include "lock.h"
#include "os.h"

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

static uintptr_t *hk_segmap_leaf(uintptr_t r)
{
	uintptr_t **slot = &hk_segmap_top[hk_segmap_top_index(r)];
	uintptr_t *leaf = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

	if (leaf)
		return leaf;
	hk_lock(&hk_segmap_lock);
	leaf = *slot;
	if (!leaf) {
		size_t i = (size_t)(slot - hk_segmap_top);

		leaf = hk_meta_alloc(HK_SEG_LEAF_LEN * sizeof(uintptr_t));
		__atomic_store_n(slot, leaf, __ATOMIC_RELEASE);
		if (leaf && i >= hk_segmap_top_used)
			__atomic_store_n(&hk_segmap_top_used, i + 1, __ATOMIC_RELEASE);
	}
	hk_unlock(&hk_segmap_lock);
	return leaf;
}

int hk_segmap_set(const void *p, size_t len, uintptr_t v)
{
	uintptr_t r = (uintptr_t)p >> HK_SS_SHIFT;
	uintptr_t last = ((uintptr_t)p + len - 1) >> HK_SS_SHIFT;

	if (last >> (HK_SEG_TOP_BITS + HK_SEG_LEAF_BITS))
		return ENOMEM;
	for (; r <= last; r++) {
		uintptr_t *leaf = v ? hk_segmap_leaf(r)
				    : hk_segmap_top[hk_segmap_top_index(r)];

		if (!leaf) {
			if (v)
				return ENOMEM;
			continue;
		}
		__atomic_store_n(&leaf[r & (HK_SEG_LEAF_LEN - 1)], v, __ATOMIC_RELEASE);
	}
	return 0;
}

bool hk_segmap_free_or(const void *p, size_t len, uintptr_t old)
{
	const char *c = p;

	for (size_t off = 0; off < len; off += HK_SS_SIZE) {
		uintptr_t e = hk_segmap_get(c + off);

		if (e && e != old)
			return false;
	}
	return hk_segmap_get(c + len - 1) == 0 || hk_segmap_get(c + len - 1) == old;
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
			uintptr_t e = __atomic_load_n(&leaf[i], __ATOMIC_RELAXED);
			struct hk_superslab *ss = (struct hk_superslab *)(e & ~(uintptr_t)HK_SEG_KINDS);

			if ((e & HK_SEG_KINDS) != HK_SEG_SS)
				continue;
			__atomic_store_n(&hk_segmap_reading, ss, __ATOMIC_RELAXED);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if (__atomic_load_n(&leaf[i], __ATOMIC_ACQUIRE) == e)
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
