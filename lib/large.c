/* large.c: objects above HK_SMALL_MAX, one mapping each.
 *
 * A mapping is aligned to 2 MiB and a multiple of 2 MiB long (address
 * space only: pages are faulted in as touched), so each of its regions is
 * wholly ours in the segment map, whose entry points at the header at the
 * mapping's start.  The header is in the same page as the first bytes of
 * the block, so it costs no extra fault.
 *
 * Freed mappings wait in a small cache (HK_LCACHE_N entries, at most
 * HK_LCACHE_MAX bytes) for HAKMEM_PURGE_DELAY_MS: a program that
 * allocates and frees big buffers in a loop reuses pages that are
 * already faulted in instead of mapping and faulting again.  A cached
 * mapping serves requests of more than half its size only, so a small
 * request never pins a big resident block.  Realloc grows in place when
 * the mapping has room, else with mremap.  The usable size is the
 * request rounded to pages, not the 2 MiB of address space behind it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"
#include "os.h"

#define HK_LCACHE_N 8
#define HK_LCACHE_MAX ((size_t)128 << 20)
#define HK_LARGE_HDR ((size_t)64)

static pthread_mutex_t hk_large_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hk_large *hk_lcache[HK_LCACHE_N];
static unsigned hk_lcache_n;
static size_t hk_lcache_bytes;

static size_t hk_large_round(size_t n)
{
	return (n + HK_SS_SIZE - 1) & ~(size_t)HK_SS_MASK;
}

static void hk_large_unmap(struct hk_large *l)
{
	size_t len = l->maplen;

	hk_segmap_set(l, len, 0);
	hk_os_unmap(l, len);
	hk_stat_add(HK_ST_LARGE_UNMAP, 1);
	hk_stat_add(HK_ST_LARGE_BYTES, -(int64_t)len);
}

/* The smallest cached mapping of at least len, aligned to align. */
static struct hk_large *hk_lcache_take(size_t len, size_t align)
{
	struct hk_large *best = NULL;
	unsigned bi = 0;

	if (!__atomic_load_n(&hk_lcache_n, __ATOMIC_RELAXED))
		return NULL;
	pthread_mutex_lock(&hk_large_lock);
	for (unsigned i = 0; i < hk_lcache_n; i++) {
		struct hk_large *l = hk_lcache[i];

		if (l->maplen >= len && l->maplen / 2 < len &&
		    !((uintptr_t)l & (align - 1)) &&
		    (!best || l->maplen < best->maplen)) {
			best = l;
			bi = i;
		}
	}
	if (best) {
		hk_lcache[bi] = hk_lcache[--hk_lcache_n];
		hk_lcache_bytes -= best->maplen;
	}
	pthread_mutex_unlock(&hk_large_lock);
	return best;
}

static struct hk_large *hk_large_map(size_t len, size_t align)
{
	void *p;

	if (hk_os_map(len, align, &p) != 0)
		return NULL;
	if (hk_segmap_set(p, len, (uintptr_t)p | HK_SEG_LARGE) != 0) {
		hk_os_unmap(p, len);
		return NULL;
	}
	hk_stat_add(HK_ST_LARGE_MAP, 1);
	hk_stat_add(HK_ST_LARGE_BYTES, (int64_t)len);
	return p;
}

void *hk_large_alloc(size_t size, size_t align, bool zero)
{
	size_t off = align > HK_LARGE_HDR ? align : HK_LARGE_HDR;
	size_t mapalign = align > HK_SS_SIZE ? align : HK_SS_SIZE;
	struct hk_large *l;
	size_t len;
	bool fresh = false;

	if (size > (size_t)PTRDIFF_MAX - off - HK_SS_SIZE) {
		errno = ENOMEM;
		return NULL;
	}
	hk_init();
	len = hk_large_round(size + off);
	l = hk_lcache_take(len, mapalign);
	if (l) {
		hk_stat_add(HK_ST_LARGE_HIT, 1);
	} else {
		l = hk_large_map(len, mapalign);
		if (!l) {
			errno = ENOMEM;
			return NULL;
		}
		l->maplen = len;
		fresh = true;
	}
	l->user = (char *)l + off;
	l->size = size;
	if (zero && !fresh)
		memset(l->user, 0, size);
	return l->user;
}

void hk_large_free(struct hk_large *l, void *p)
{
	struct hk_large *victim = NULL;

	(void)p;
	l->user = NULL;
	if (l->maplen > HK_LCACHE_MAX / 4) {
		hk_large_unmap(l);
		return;
	}
	l->freed_at = hk_now_ms();
	pthread_mutex_lock(&hk_large_lock);
	/* Full: the oldest (first) entry makes room. */
	while (hk_lcache_n && (hk_lcache_n == HK_LCACHE_N ||
			       hk_lcache_bytes + l->maplen > HK_LCACHE_MAX)) {
		victim = hk_lcache[0];
		memmove(hk_lcache, hk_lcache + 1, --hk_lcache_n * sizeof(*hk_lcache));
		hk_lcache_bytes -= victim->maplen;
		pthread_mutex_unlock(&hk_large_lock);
		hk_large_unmap(victim);
		pthread_mutex_lock(&hk_large_lock);
	}
	hk_lcache[hk_lcache_n++] = l;
	hk_lcache_bytes += l->maplen;
	pthread_mutex_unlock(&hk_large_lock);
}

size_t hk_large_usable(struct hk_large *l, void *p)
{
	size_t off = (size_t)((char *)p - (char *)l);

	return ((off + l->size + 4095) & ~(size_t)4095) - off;
}

size_t hk_large_trim(bool force)
{
	uint64_t now;
	size_t total = 0;

	if (!__atomic_load_n(&hk_lcache_n, __ATOMIC_RELAXED))
		return 0;
	now = hk_now_ms();
	pthread_mutex_lock(&hk_large_lock);
	while (hk_lcache_n && (force || hk_purge_due(hk_lcache[0]->freed_at, now))) {
		struct hk_large *l = hk_lcache[0];

		memmove(hk_lcache, hk_lcache + 1, --hk_lcache_n * sizeof(*hk_lcache));
		hk_lcache_bytes -= l->maplen;
		total += l->maplen;
		pthread_mutex_unlock(&hk_large_lock);
		hk_large_unmap(l);
		pthread_mutex_lock(&hk_large_lock);
	}
	pthread_mutex_unlock(&hk_large_lock);
	return total;
}

/* Register the moved mapping nl of len bytes, or copy it into an aligned
 * one when it shares a region with another moved mapping. */
static struct hk_large *hk_large_moved(struct hk_large *nl, size_t len)
{
	struct hk_large *c;

	if (hk_segmap_free_or(nl, len, 0) &&
	    hk_segmap_set(nl, len, (uintptr_t)nl | HK_SEG_LARGE) == 0)
		return nl;
	c = hk_large_map(len, HK_SS_SIZE);
	if (c)
		memcpy(c, nl, (size_t)((char *)nl->user - (char *)nl) + nl->size);
	hk_os_unmap(nl, len);
	hk_stat_add(HK_ST_LARGE_BYTES, -(int64_t)len);
	return c;
}

void *hk_large_realloc(struct hk_large *l, void *p, size_t size)
{
	size_t off = (size_t)((char *)p - (char *)l), oldlen = l->maplen;
	size_t len;
	void *q;

	if (size > (size_t)PTRDIFF_MAX - off - HK_SS_SIZE)
		return NULL;
	len = hk_large_round(size + off);
	if (len <= oldlen) {
		l->size = size;
		return p;
	}
	if (hk_os_remap(l, oldlen, len, &q) != 0)
		return NULL;
	hk_stat_add(HK_ST_LARGE_REMAP, 1);
	hk_stat_add(HK_ST_LARGE_BYTES, (int64_t)(len - oldlen));
	if (q == l) {
		hk_segmap_set(l, len, (uintptr_t)l | HK_SEG_LARGE);
	} else {
		hk_segmap_set(l, oldlen, 0);
		l = q;
		l->user = (char *)l + off;
		l->size = size;
		l = hk_large_moved(l, len);
		if (!l)
			return NULL;	/* cannot happen but for ENOMEM: block lost */
	}
	l->maplen = len;
	l->user = (char *)l + off;
	l->size = size;
	return l->user;
}

void hk_large_fork_prepare(void)
{
	pthread_mutex_lock(&hk_large_lock);
}

void hk_large_fork_parent(void)
{
	pthread_mutex_unlock(&hk_large_lock);
}

void hk_large_fork_child(void)
{
	pthread_mutex_init(&hk_large_lock, NULL);
}
