/* segmap.c: which 2 MiB regions of the address space are ours.
 *
 * free() must tell our pointers from a stack address, another
 * allocator's block or a stray interior pointer without reading the
 * memory behind it, which may not be mapped.  A two-level table answers
 * with two loads: the top level lives in .bss (untouched pages cost
 * nothing), leaves of 2^14 entries (32 GiB of address space each) come
 * from hk_meta_alloc the first time a region in their range is ours.
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
		leaf = hk_meta_alloc(HK_SEG_LEAF_LEN * sizeof(uintptr_t));
		__atomic_store_n(slot, leaf, __ATOMIC_RELEASE);
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
