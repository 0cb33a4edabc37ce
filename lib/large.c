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
 * already faulted in instead of mapping and faulting again.  A request
 * takes the smallest cached mapping big enough, its tail split off back
 * into the cache (so a small request never pins a big resident block),
 * else grows the largest cached one with mremap, keeping its resident
 * pages (large-object churn then faults about as little as tcmalloc,
 * which never gives pages back).  Realloc grows in place when the
 * mapping has room, else with mremap.  The usable size is the request
 * rounded to pages, not the 2 MiB of address space behind it.
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

/* The smallest cached mapping of at least len, aligned to align; else,
 * when grow is allowed, the largest smaller one (its pages are resident:
 * growing it with mremap faults only the difference). */
static struct hk_large *hk_lcache_take(size_t len, size_t align, bool grow)
{
	struct hk_large *best = NULL, *small = NULL;
	unsigned bi = 0, si = 0;

	if (!__atomic_load_n(&hk_lcache_n, __ATOMIC_RELAXED))
		return NULL;
	pthread_mutex_lock(&hk_large_lock);
	for (unsigned i = 0; i < hk_lcache_n; i++) {
		struct hk_large *l = hk_lcache[i];

		if (l->maplen >= len && !((uintptr_t)l & (align - 1)) &&
		    (!best || l->maplen < best->maplen)) {
			best = l;
			bi = i;
		} else if (l->maplen < len && (!small || l->maplen > small->maplen)) {
			small = l;
			si = i;
		}
	}
	if (!best && grow && small) {
		best = small;
		bi = si;
	}
	if (best) {
		hk_lcache[bi] = hk_lcache[--hk_lcache_n];
		hk_lcache_bytes -= best->maplen;
	}
	pthread_mutex_unlock(&hk_large_lock);
	return best;
}

static struct hk_large *hk_large_remap(struct hk_large *l, size_t len,
				       bool *intact);
static void hk_lcache_put(struct hk_large *l);

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

/* A cached mapping fitted to len: the tail of a longer one is split off
 * into the cache, whose bounds then decide what is unmapped; a shorter
 * one is grown, keeping its resident pages; NULL if there is none or
 * growing failed. */
static struct hk_large *hk_lcache_fit(size_t len, size_t align, size_t mapalign)
{
	struct hk_large *l = hk_lcache_take(len, mapalign, mapalign == HK_SS_SIZE &&
					    align <= 4096);
	size_t tail;

	if (!l)
		return NULL;
	if (l->maplen < len) {
		struct hk_large *g;
		bool intact;

		l->user = (char *)l + HK_LARGE_HDR;
		l->size = 0;
		g = hk_large_remap(l, len, &intact);
		if (g)
			hk_stat_add(HK_ST_LARGE_REMAP, 1);
		else if (intact)
			hk_large_unmap(l);
		return g;
	}
	tail = l->maplen - len;
	if (tail > 0) {
		struct hk_large *t = (struct hk_large *)((char *)l + len);

		if (hk_segmap_set(t, tail, (uintptr_t)t | HK_SEG_LARGE) == 0) {
			l->maplen = len;
			t->maplen = tail;
			t->user = NULL;
			hk_lcache_put(t);
		}
	}
	hk_stat_add(HK_ST_LARGE_HIT, 1);
	return l;
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
	l = hk_lcache_fit(len, align, mapalign);
	if (!l) {
		l = hk_large_map(len, mapalign);
		/* Out of address space or commit (RLIMIT_AS, overcommit=2):
		 * what the allocator keeps mapped for reuse may be what this
		 * mapping needs; give it all back and try once more. */
		if (!l && hk_heap_trim_all())
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

/* Keep l (freed) in the cache, unmapping the oldest entries to make room,
 * or unmap l itself if too big. */
static void hk_lcache_put(struct hk_large *l)
{
	struct hk_large *victim = NULL;

	if (l->maplen > HK_LCACHE_MAX / 2) {
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

void hk_large_free(struct hk_large *l, void *p)
{
	(void)p;
	l->user = NULL;
	hk_lcache_put(l);
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

/* l (header, user and size set) grown to len bytes with mremap, moved
 * if need be; NULL if it cannot: *intact if mremap failed, else the
 * block was lost (ENOMEM while copying a moved mapping). */
static struct hk_large *hk_large_remap(struct hk_large *l, size_t len,
				       bool *intact)
{
	size_t oldlen = l->maplen, off = (size_t)((char *)l->user - (char *)l);
	void *q;

	/* Out of the map first: once mremap moved the pages, another thread
	 * may map the old range at once, and must find its entries free. */
	hk_segmap_set(l, oldlen, 0);
	*intact = hk_os_remap(l, oldlen, len, &q) != 0;
	if (*intact) {
		hk_segmap_set(l, oldlen, (uintptr_t)l | HK_SEG_LARGE);
		return NULL;
	}
	hk_stat_add(HK_ST_LARGE_BYTES, (int64_t)(len - oldlen));
	if (q == l) {
		hk_segmap_set(l, len, (uintptr_t)l | HK_SEG_LARGE);
	} else {
		l = q;
		l->user = (char *)l + off;
		l = hk_large_moved(l, len);
		if (!l)
			return NULL;
	}
	l->maplen = len;
	l->user = (char *)l + off;
	return l;
}

void *hk_large_realloc(struct hk_large *l, void *p, size_t size)
{
	size_t off = (size_t)((char *)p - (char *)l);
	size_t len;
	bool intact;

	if (size > (size_t)PTRDIFF_MAX - off - HK_SS_SIZE)
		return NULL;
	len = hk_large_round(size + off);
	if (len <= l->maplen) {
		l->size = size;
		return p;
	}
	l = hk_large_remap(l, len, &intact);
	if (!l)
		return NULL;	/* lost (!intact) only for ENOMEM */
	hk_stat_add(HK_ST_LARGE_REMAP, 1);
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
