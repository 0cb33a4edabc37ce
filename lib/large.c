/* large.c: objects above HK_SMALL_MAX, one mapping each.
 *
 * A mapping is the block's size plus its header, rounded to a page, as
 * glibc's: a program under RLIMIT_AS or vm.overcommit_memory=2 pays for
 * no more address space than it asked for.  The segment map names the
 * header at the mapping's start for each of its pages (segmap.c: a
 * region the mapping shares with others gets a directory of pages).  The
 * header is in the same page as the first bytes of the block, so it
 * costs no extra fault; a block aligned beyond a page has the page
 * before it for the header, no more (hk_large_map).
 *
 * Freed mappings wait in a small cache for HAKMEM_PURGE_DELAY_MS, then
 * are unmapped: a program that allocates and frees big buffers in a
 * loop reuses pages that are already faulted in instead of faulting
 * them again (each 4 KiB fault costs about 1.6 us; moving a resident
 * 2 MiB costs one page-table entry).  A request takes the smallest
 * cached mapping big enough, its tail split off back into the cache;
 * else a new mapping is built from the cached ones, whose pages mremap
 * moves into it (MREMAP_FIXED, no fault, no copy), and only what they do
 * not cover is faulted.  So the resident memory never exceeds the
 * largest live set the program has had (mimalloc, which unmaps, has the
 * same peak), and churn faults little more than when the live set grows
 * past that (tcmalloc, which keeps everything, faults about as much but
 * keeps more).  The cache holds HK_LCACHE_N mappings, and 64 MiB or up
 * to three times what the blocks in use hold (HK_LCACHE_MAX at most),
 * so that memory goes back when large blocks become few or small even
 * in a program too busy for the delay to pass.  Realloc grows in place
 * where mremap can, else builds a new mapping the same way with the
 * block's own pages first; it gives the tail back when a block shrinks
 * to half.  The usable size is the request rounded to pages, not
 * address space behind it.
 *
 * A freed block may carry attributes its program gave it: MADV_DONTFORK
 * (RDMA libraries set it on registered buffers), MADV_WIPEONFORK, a
 * protection other than read-write.  glibc unmaps such a block; the
 * cache would hand them to the next owner, whose fork child or write
 * would then break.  Every range that enters the cache from a block is
 * reset first (hk_os_reset): three system calls that find nothing to
 * change in the common case, cheap beside the faults a reuse saves.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "lib/glibc.h"
#include "lib/internal.h"
#include "lib/lock.h"
#include "lib/os.h"

#define HK_LCACHE_N 16
#define HK_LCACHE_MIN ((size_t)64 << 20)
#define HK_LCACHE_LIVE 3
#define HK_LCACHE_MAX ((size_t)128 << 20)
#define HK_LARGE_HDR ((size_t)64)
#define HK_LARGE_PAGE ((size_t)4096)
#define HK_LCACHE_PIECE ((size_t)256 << 10)

static pthread_mutex_t hk_large_lock = PTHREAD_MUTEX_INITIALIZER;
/* Oldest first: the purge and the eviction take from the front. */
static struct hk_large *hk_lcache[HK_LCACHE_N];
static unsigned hk_lcache_n;
static size_t hk_lcache_bytes;
static size_t hk_large_live;		/* bytes mapped for blocks in use */

static void hk_lcache_put(struct hk_large *l);

static size_t hk_large_round(size_t n)
{
	return (n + HK_LARGE_PAGE - 1) & ~(HK_LARGE_PAGE - 1);
}

/* Where the block starts in its mapping: after the header, at align if
 * that is within a page, else one page in (the mapping then starts a
 * page before an align boundary). */
static size_t hk_large_off(size_t align)
{
	return align <= HK_LARGE_HDR ? HK_LARGE_HDR
	       : align <= HK_LARGE_PAGE ? align : HK_LARGE_PAGE;
}

/* Does a mapping at l serve a block aligned to align? */
static bool hk_large_fits(const struct hk_large *l, size_t align)
{
	return !(((uintptr_t)l + hk_large_off(align)) & (align - 1));
}


/* The statistics count pieces, so that mallinfo's hblks (maps less
 * unmaps) is the number of mappings held: splitting one off is a map,
 * moving one into another an unmap. */
static void hk_large_count(int64_t pieces, int64_t bytes)
{
	hk_stat_add(pieces > 0 ? HK_ST_LARGE_MAP : HK_ST_LARGE_UNMAP,
		    (uint64_t)(pieces > 0 ? pieces : -pieces));
	hk_stat_add(HK_ST_LARGE_BYTES, bytes);
}

static void hk_large_unmap(struct hk_large *l)
{
	size_t len = l->maplen;

	hk_segmap_set(l, len, 0);
	hk_os_unmap(l, len);
	hk_large_count(-1, -(int64_t)len);
}

static struct hk_large *hk_large_map(size_t len, size_t align)
{
	size_t off = hk_large_off(align), over;
	char *p, *a;

	if (align <= HK_LARGE_PAGE) {
		if (hk_os_map(len, HK_LARGE_PAGE, (void **)&p) != 0)
			return NULL;
	} else {
		/* Over-map and trim to [a, a + len), a + off aligned. */
		over = len + align - HK_LARGE_PAGE;
		if (over < len || hk_os_map(over, HK_LARGE_PAGE, (void **)&p) != 0)
			return NULL;
		a = (char *)((((uintptr_t)p + off + align - 1) & ~(uintptr_t)(align - 1)) - off);
		if (a > p)
			hk_os_unmap(p, (size_t)(a - p));
		if (a + len < p + over)
			hk_os_unmap(a + len, (size_t)(p + over - (a + len)));
		p = a;
	}
	if (hk_segmap_set(p, len, (uintptr_t)p | HK_SEG_LARGE) != 0) {
		hk_os_unmap(p, len);
		return NULL;
	}
	hk_large_count(1, (int64_t)len);
	return (struct hk_large *)p;
}

/* Keep the first keep bytes of l and put the rest (whole pages) in
 * the cache; l keeps all if the tail is shorter than HK_LCACHE_PIECE
 * (a piece that small serves few requests, and a request built from
 * many of them costs a system call each: a churn of 256 KiB to 1 MiB
 * blocks from 8 threads made 3 times as many) or cannot be
 * registered. */
static void hk_large_split(struct hk_large *l, size_t keep)
{
	struct hk_large *t = (struct hk_large *)((char *)l + keep);
	size_t tail = l->maplen - keep;

	if (tail < HK_LCACHE_PIECE || hk_segmap_set(t, tail, (uintptr_t)t | HK_SEG_LARGE) != 0)
		return;
	l->maplen = keep;
	t->maplen = tail;
	t->user = NULL;
	hk_stat_add(HK_ST_LARGE_MAP, 1);
	hk_lcache_put(t);
}

/* ---- the cache (lock held) ------------------------------------------ */

static struct hk_large *hk_lcache_remove(unsigned i)
{
	struct hk_large *l = hk_lcache[i];

	hk_lcache_n--;
	memmove(hk_lcache + i, hk_lcache + i + 1, (hk_lcache_n - i) * sizeof(*hk_lcache));
	hk_lcache_bytes -= l->maplen;
	return l;
}

/* The smallest entry of at least len aligned to align, the newest of
 * those (its pages the likeliest still in cache, and the older ones of
 * its size left to age out: taking the oldest would keep every cached
 * mapping in use, each with the pages its largest block touched, 1.8
 * MiB in mstress), else the largest (when any is allowed); -1 if
 * none. */
static int hk_lcache_find(size_t len, size_t align, bool any)
{
	int best = -1, big = -1;

	for (unsigned i = 0; i < hk_lcache_n; i++) {
		struct hk_large *l = hk_lcache[i];

		if (l->maplen >= len && hk_large_fits(l, align) &&
		    (best < 0 || l->maplen <= hk_lcache[best]->maplen))
			best = (int)i;
		if (big < 0 || l->maplen > hk_lcache[big]->maplen)
			big = (int)i;
	}
	return best >= 0 || !any ? best : big;
}

/* Take entries that cover need bytes between them: the largest first,
 * then the smallest that covers what is left; returns how many. */
static unsigned hk_lcache_gather(size_t need, struct hk_large **got)
{
	unsigned n = 0;

	while (need && hk_lcache_n) {
		struct hk_large *l = hk_lcache_remove((unsigned)hk_lcache_find(need, HK_LARGE_PAGE, true));

		need -= l->maplen < need ? l->maplen : need;
		got[n++] = l;
	}
	return n;
}

/* ---- taking from the cache ------------------------------------------ */

/* One cached mapping of at least len aligned to align, cut to len. */
static struct hk_large *hk_lcache_fit(size_t len, size_t align)
{
	struct hk_large *l = NULL;
	int i;

	if (!__atomic_load_n(&hk_lcache_n, __ATOMIC_RELAXED))
		return NULL;
	hk_lock(&hk_large_lock);
	i = hk_lcache_find(len, align, false);
	if (i >= 0)
		l = hk_lcache_remove((unsigned)i);
	hk_unlock(&hk_large_lock);
	if (!l)
		return NULL;
	/* A short tail stays with the block: kept apart it would take a
	 * slot of the cache and serve little (bench/large faulted 30% more
	 * with every tail split off). */
	if (l->maplen - len >= HK_SS_SIZE || l->maplen - len >= len / 2)
		hk_large_split(l, len);
	hk_stat_add(HK_ST_LARGE_HIT, 1);
	return l;
}

/* Move the first len bytes of c (a piece out of the cache, or a block
 * whose first used bytes must survive) to dst, which is ours and lazy;
 * what mremap could not move of those used bytes is copied, the rest
 * of c unmapped.  Returns the bytes of dst now dirty. */
static size_t hk_large_move(struct hk_large *c, size_t len, char *dst, size_t used)
{
	size_t moved, all;

	if (len < c->maplen)
		hk_large_split(c, len);
	all = c->maplen;	/* len, unless the tail could not be kept */
	/* Out of the map first: once mremap moved the pages, another thread
	 * may map the old range at once, and must find its entries free. */
	hk_segmap_set(c, all, 0);
	moved = hk_os_move(c, len, dst);
	if (moved < used)
		memcpy(dst + moved, (char *)c + moved, used - moved);
	if (moved < all)
		hk_os_unmap((char *)c + moved, all - moved);
	hk_large_count(-1, -(int64_t)all);
	hk_stat_add(HK_ST_LARGE_REMAP, 1);
	return moved > used ? moved : used;
}

/* Fill [p, p+len), a lazy part of a mapping of ours, with the pages of
 * cached mappings; returns the end of what is now dirty (the rest still
 * reads as zero). */
static size_t hk_lcache_fill(char *p, size_t len)
{
	struct hk_large *got[HK_LCACHE_N];
	size_t at = 0, dirty = 0;
	unsigned n;

	if (!__atomic_load_n(&hk_lcache_n, __ATOMIC_RELAXED))
		return 0;
	hk_lock(&hk_large_lock);
	n = hk_lcache_gather(len, got);
	hk_unlock(&hk_large_lock);
	for (unsigned i = 0; i < n; i++) {
		size_t take = got[i]->maplen < len - at ? got[i]->maplen : len - at;
		size_t d = hk_large_move(got[i], take, p + at, 0);

		if (d)
			dirty = at + d;
		at += take;
	}
	return dirty;
}

/* ---- the API ------------------------------------------------------- */

/* A mapping of len bytes: one cached mapping cut to size, else a new
 * one, from 2 MiB on filled with cached pages as far as they go;
 * *dirty: how many of its first bytes may not read as zero.  On ENOMEM
 * (RLIMIT_AS, overcommit=2) what the allocator keeps mapped for reuse
 * may be what the new mapping needs: it is all given back and the map
 * tried once more. */
static struct hk_large *hk_large_get(size_t len, size_t align, size_t *dirty)
{
	struct hk_large *l = hk_lcache_fit(len, align);
	size_t (*reclaim)(enum hk_reclaim);

	if (l) {
		*dirty = len;
		return l;
	}
	l = hk_large_map(len, align);
	reclaim = __atomic_load_n(&hk_os_reclaim, __ATOMIC_ACQUIRE);
	if (!l && reclaim && reclaim(HK_RECLAIM_ALL))
		l = hk_large_map(len, align);
	/* Under 2 MiB a new mapping stays fresh: the cached mappings,
	 * all shorter than it (no fit), stay whole to serve the requests
	 * they fit, where cutting pieces off them to fill this one cost a
	 * system call a piece and left pieces that fit nothing (a churn of
	 * 256 KiB to 1.3 MiB blocks from 8 threads: system time 4.6 s with
	 * the fill, 1.4 s without; the page faults of bench/large, whose
	 * blocks are 1 to 64 MiB, as many). */
	if (l) {
		*dirty = len < HK_SS_SIZE ? 0 : hk_lcache_fill((char *)l, len);
		l->maplen = len;	/* over the header of what moved there */
	}
	return l;
}

void *hk_large_alloc(size_t size, size_t align, bool zero)
{
	size_t off = hk_large_off(align);
	const struct hk_glibc *g = hk_glibc();
	struct hk_large *l;
	size_t len, dirty;

	/* The first large block, as the first small one (glibc.h); the
	 * aligned entry points forwarded before they came here. */
	if (HK_UNLIKELY(g != NULL))
		return zero ? g->calloc(1, size) : g->malloc(size);
	if (align >= ((size_t)1 << 46) ||
	    size > (size_t)PTRDIFF_MAX - off - align - HK_LARGE_PAGE) {
		errno = ENOMEM;
		return NULL;
	}
	len = hk_large_round(size + off);
	l = hk_large_get(len, align > HK_LARGE_PAGE ? align : HK_LARGE_PAGE, &dirty);
	if (!l) {
		errno = ENOMEM;
		return NULL;
	}
	l->user = (char *)l + off;
	l->size = size;
	__atomic_fetch_add(&hk_large_live, l->maplen, __ATOMIC_RELAXED);
	if (zero && dirty > off)
		memset(l->user, 0, dirty - off < size ? dirty - off : size);
	return l->user;
}

/* Unmap the entries that waited HAKMEM_PURGE_DELAY_MS (force: all). */
size_t hk_large_trim(bool force)
{
	uint64_t now;
	size_t total = 0;

	if (!__atomic_load_n(&hk_lcache_n, __ATOMIC_RELAXED))
		return 0;
	now = hk_now_ms();
	hk_lock(&hk_large_lock);
	while (hk_lcache_n && (force || hk_purge_due(hk_lcache[0]->freed_at, now))) {
		struct hk_large *l = hk_lcache_remove(0);

		total += l->maplen;
		hk_unlock(&hk_large_lock);
		hk_large_unmap(l);
		hk_lock(&hk_large_lock);
	}
	hk_unlock(&hk_large_lock);
	return total;
}

/* The cache keeps HK_LCACHE_MIN, or up to HK_LCACHE_LIVE times what
 * large blocks in use hold, and never more than HK_LCACHE_MAX: enough to
 * serve a churn without faults, while a program whose large blocks
 * have become few or small gets the rest unmapped however fast it runs
 * (the purge delay needs time to pass). */
static size_t hk_lcache_limit(void)
{
	size_t live = __atomic_load_n(&hk_large_live, __ATOMIC_RELAXED) * HK_LCACHE_LIVE;

	live = live < HK_LCACHE_MIN ? HK_LCACHE_MIN : live > HK_LCACHE_MAX ? HK_LCACHE_MAX : live;
	/* Under a memory limit, a share of it (purge.c). */
	return live < hk_os_keep_max() ? live : hk_os_keep_max();
}

/* Keep l (freed) in the cache, unmapping the oldest entries to make
 * room, or l itself if above HK_LCACHE_MAX: the block just freed always
 * stays, so a loop of malloc and free of one big buffer never faults
 * twice.  A program that only allocates large blocks never reaches the
 * heaps' purge: the delay is checked here. */
static void hk_lcache_put(struct hk_large *l)
{
	struct hk_large *victim;
	size_t limit;

	if (l->maplen > HK_LCACHE_MAX) {
		hk_large_unmap(l);
		return;
	}
	hk_large_trim(false);
	l->freed_at = hk_now_ms();
	hk_lock(&hk_large_lock);
	limit = hk_lcache_limit();
	while (hk_lcache_n && (hk_lcache_n == HK_LCACHE_N ||
			       hk_lcache_bytes + l->maplen > limit)) {
		victim = hk_lcache_remove(0);
		hk_unlock(&hk_large_lock);
		hk_large_unmap(victim);
		hk_lock(&hk_large_lock);
	}
	hk_lcache[hk_lcache_n++] = l;
	hk_lcache_bytes += l->maplen;
	hk_unlock(&hk_large_lock);
}

void hk_large_free(struct hk_large *l, void *p)
{
	(void)p;
	hk_os_reset(l, l->maplen);
	l->user = NULL;
	__atomic_fetch_sub(&hk_large_live, l->maplen, __ATOMIC_RELAXED);
	hk_lcache_put(l);
}

size_t hk_large_usable(struct hk_large *l, void *p)
{
	size_t off = (size_t)((char *)p - (char *)l);

	return ((off + l->size + 4095) & ~(size_t)4095) - off;
}

/* The cached piece that starts at p, at least need long, out of the
 * cache; NULL if there is none. */
static struct hk_large *hk_lcache_take_at(void *p, size_t need)
{
	struct hk_large *l = NULL;

	if (!__atomic_load_n(&hk_lcache_n, __ATOMIC_RELAXED))
		return NULL;
	hk_lock(&hk_large_lock);
	for (unsigned i = 0; i < hk_lcache_n; i++)
		if (hk_lcache[i] == p && hk_lcache[i]->maplen >= need) {
			l = hk_lcache_remove(i);
			break;
		}
	hk_unlock(&hk_large_lock);
	return l;
}

/* l grown to len: over the cached piece that follows it if one does
 * (a block that a request cut from a cached mapping grows back over
 * the rest, with no system call: a vector that doubles), else in place
 * where the address space after it is free (and it is one kernel
 * mapping), else a new mapping that takes l's pages first; the new part
 * is filled from the cache.  NULL (l intact) if no mapping could be
 * had. */
static struct hk_large *hk_large_grow(struct hk_large *l, size_t len)
{
	size_t old = l->maplen, off = (size_t)((char *)l->user - (char *)l);
	struct hk_large *n = hk_lcache_take_at((char *)l + old, len - old);

	if (n) {
		hk_large_split(n, len - old);
		if (hk_segmap_set(n, n->maplen, (uintptr_t)l | HK_SEG_LARGE) == 0) {
			hk_stat_add(HK_ST_LARGE_UNMAP, 1);	/* a piece fewer */
			l->maplen = old + n->maplen;
			return l;
		}
		hk_segmap_set(n, n->maplen, (uintptr_t)n | HK_SEG_LARGE);
		hk_lcache_put(n);
	}
	if (hk_os_grow(l, old, len) == 0) {
		if (hk_segmap_set((char *)l + old, len - old, (uintptr_t)l | HK_SEG_LARGE) == 0) {
			hk_stat_add(HK_ST_LARGE_BYTES, (int64_t)(len - old));
			hk_lcache_fill((char *)l + old, len - old);
			l->maplen = len;
			return l;
		}
		hk_segmap_set((char *)l + old, len - old, 0);
		hk_os_unmap((char *)l + old, len - old);
	}
	n = hk_large_map(len, HK_LARGE_PAGE);
	if (!n)
		return NULL;
	hk_large_move(l, old, (char *)n, off + l->size);
	hk_lcache_fill((char *)n + old, len - old);
	n->maplen = len;
	n->user = (char *)n + off;
	return n;
}

void *hk_large_realloc(struct hk_large *l, void *p, size_t size)
{
	size_t off = (size_t)((char *)p - (char *)l);
	size_t len, old = l->maplen;

	if (size > (size_t)PTRDIFF_MAX - off - HK_LARGE_PAGE)
		return NULL;
	len = hk_large_round(size + off);
	if (len > old) {
		l = hk_large_grow(l, len);
	} else if (len <= old / 2) {	/* no churn between half and whole */
		hk_os_reset((char *)l + len, old - len);
		hk_large_split(l, len);
	}
	if (!l)
		return NULL;
	__atomic_fetch_add(&hk_large_live, l->maplen - old, __ATOMIC_RELAXED);
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
