/* superslab.c: 2 MiB regions cut into slices, and slabs made of runs of
 * slices.
 *
 * A superslab comes from hk_os_chunk_alloc, aligned to its size so that
 * masking any pointer finds the header.  Its free slices are tracked in
 * three masks: free, dirty (touched since the last purge: reusing them
 * costs no page fault) and zero (read as zero: calloc skips memset).
 * New slabs prefer dirty slices, so a program that frees and allocates
 * keeps reusing the pages it already faulted in.
 *
 * Dirty slices are purged in generations: a check once dirty_since is
 * due purges those already dirty when the generation began (dirty_aged)
 * and starts the next with the rest, so a slice is purged after the
 * delay (at most twice it), never just after it was released into a
 * superslab whose older dirt came due.
 */
#include <string.h>

#include "lib/internal.h"
#include "lib/os.h"

_Static_assert(HK_SS_SHIFT == HK_CHUNK_SHIFT, "superslab is an OS chunk");
_Static_assert(HK_SLICES << HK_SLICE_SHIFT == HK_SS_SIZE, "slices tile it");
_Static_assert(HK_SS_HDR <= ((size_t)1 << HK_SLICE_SHIFT), "header fits slice 0");

/* The bytes of ss mapped. */
static size_t hk_superslab_len(const struct hk_superslab *ss)
{
	return (size_t)ss->slices << HK_SLICE_SHIFT;
}

/* A small superslab is a lazy mapping of its own at a 2 MiB boundary,
 * the rest of the region left to the kernel: RLIMIT_AS counts even
 * PROT_NONE reservations, so a thread that allocates a little must not
 * hold 2 MiB.  A pointer that masking leads to it from the rest of the
 * region finds slices in no slab (slab_of 0): the segment map, which
 * knows the region page by page, decides (free-slow.c, hk_free_general). */
static int hk_superslab_map(bool small, void **p, bool *fresh)
{
	if (!small)
		return hk_os_chunk_alloc(HK_SS_SIZE, p, fresh);
	*fresh = true;
	return hk_os_map((size_t)HK_SS_SMALL_SLICES << HK_SLICE_SHIFT, HK_SS_SIZE, p);
}

static void hk_superslab_unmap(struct hk_superslab *ss)
{
	if (!ss->alone)
		hk_os_chunk_free(ss, HK_SS_SIZE);
	else
		hk_os_unmap(ss, hk_superslab_len(ss));
}

struct hk_superslab *hk_superslab_new(bool small)
{
	struct hk_superslab *ss;
	bool fresh;
	void *p;

	if (hk_superslab_map(small, &p, &fresh) != 0)
		return NULL;
	ss = p;
	if (!fresh)
		memset(ss, 0, HK_SS_HDR);
	ss->slices = small ? HK_SS_SMALL_SLICES : HK_SLICES;
	ss->alone = small;
	/* Slice 0: the header. */
	ss->free_mask = small ? ((uint64_t)1 << HK_SS_SMALL_SLICES) - 2 : ~(uint64_t)1;
	if (fresh) {
		ss->zero_mask = ~(uint64_t)0;
	} else {
		/* A chunk given back unpurged: its pages are likely still
		 * there, to be reused first and purged if they are not. */
		ss->dirty_mask = ss->free_mask;
		ss->dirty_aged = ss->free_mask;
		ss->dirty_since = hk_now_ms();
	}
	if (hk_segmap_set(ss, hk_superslab_len(ss), (uintptr_t)ss | HK_SEG_SS) != 0) {
		hk_segmap_set(ss, hk_superslab_len(ss), 0);
		hk_superslab_unmap(ss);
		return NULL;
	}
	hk_stat_add(HK_ST_SS_NEW, 1);
	return ss;
}

/* A heap whose small superslab fills grows it while the rest of its
 * region is free, as it usually is in a program that allocates from one
 * thread: the heap keeps one superslab, whose frees take the fastest
 * path (hk_tls.hot), instead of taking a second. */
bool hk_superslab_grow(struct hk_superslab *ss)
{
	size_t old = hk_superslab_len(ss);
	uint64_t more;

	if (ss->slices == HK_SLICES || hk_os_grow(ss, old, HK_SS_SIZE) != 0)
		return false;
	/* The region is all ss's now: one entry, no directory. */
	if (hk_segmap_set(ss, HK_SS_SIZE, (uintptr_t)ss | HK_SEG_SS) != 0) {
		hk_segmap_set((char *)ss + old, HK_SS_SIZE - old, 0);
		hk_os_unmap((char *)ss + old, HK_SS_SIZE - old);
		return false;
	}
	more = ~(uint64_t)0 << ss->slices;
	ss->free_mask |= more;
	ss->zero_mask |= more;
	ss->slices = HK_SLICES;
	return true;
}

void hk_superslab_free(struct hk_superslab *ss)
{
	hk_segmap_set(ss, hk_superslab_len(ss), 0);
	hk_segmap_quiesce(ss);	/* the statistics may be reading its header */
	hk_superslab_unmap(ss);
	hk_stat_add(HK_ST_SS_FREE, 1);
}

static uint64_t hk_run_mask(unsigned first, unsigned n)
{
	return (n >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << n) - 1)) << first;
}

/* Bit i: bits i..i+n-1 of m are all set (the shifts bring in zeros,
 * so no run passes the end). */
static uint64_t hk_runs(uint64_t m, unsigned n)
{
	uint64_t runs = m;

	for (unsigned k = 1; k < n; k++)
		runs &= m >> k;
	return runs;
}

/* First run of n free slices, preferring one with dirty slices (only
 * such a one if dirty); -1. */
static int hk_superslab_find(struct hk_superslab *ss, unsigned n, bool dirty)
{
	uint64_t runs = hk_runs(ss->free_mask, n);
	uint64_t near = ss->dirty_mask;

	/* Bit i of near: one of slices i..i+n-1 is dirty. */
	for (unsigned k = 1; k < n; k++)
		near |= ss->dirty_mask >> k;
	if (runs & near)
		return __builtin_ctzll(runs & near);
	if (dirty || !runs)
		return -1;
	return __builtin_ctzll(runs);
}

/* First run of n set bits in m; -1. */
static int hk_run_find(uint64_t m, unsigned n)
{
	uint64_t runs = hk_runs(m, n);

	return runs ? __builtin_ctzll(runs) : -1;
}

/* A run for a slab of span n: of n slices (with a dirty one if dirty),
 * or else a shorter one, down to half of n, of slices all dirty if
 * dirty (a shorter slab is worth it for the faults it saves, not over
 * slices that fault anyway); -1. */
static int hk_superslab_fit(struct hk_superslab *ss, unsigned *n, bool dirty)
{
	unsigned least = (*n + 1) / 2;
	uint64_t m = dirty ? ss->dirty_mask : ss->free_mask;
	int i = hk_superslab_find(ss, *n, dirty);

	if (__builtin_popcountll(m) < (int)least)
		return i;	/* too few slices for a shorter run: no walk */
	while (i < 0 && *n > least)
		i = hk_run_find(m, --*n);
	return i;
}

/* The slab of cls over the n slices from i. */
static struct hk_slab *hk_superslab_carve(struct hk_superslab *ss,
					  unsigned cls, unsigned n, int i)
{
	char *base = (char *)ss;
	struct hk_slab *s;
	uint64_t m;

	m = hk_run_mask((unsigned)i, n);
	s = &ss->slabs[i];
	hk_slab_init(s, base + (i ? (size_t)i << HK_SLICE_SHIFT : HK_SS_HDR),
		     base + ((size_t)(i + (int)n) << HK_SLICE_SHIFT), cls,
		     (ss->zero_mask & m) == m);
	s->slice = (uint8_t)i;
	s->span = (uint8_t)n;
	memset(&ss->slab_of[i], i, n);
	ss->free_mask &= ~m;
	ss->dirty_mask &= ~m;
	ss->dirty_aged &= ~m;
	ss->zero_mask &= ~m;
	ss->nslabs++;
	hk_stat_add(HK_ST_SLAB_NEW, 1);
	return s;
}

struct hk_slab *hk_superslab_slab_new(struct hk_superslab *ss, unsigned cls,
				      bool dirty)
{
	unsigned n = hk_class_span[cls];
	int i = !dirty ? hk_superslab_find(ss, n, false) :
		!ss->dirty_mask ? -1 : hk_superslab_fit(ss, &n, true);

	return i < 0 ? NULL : hk_superslab_carve(ss, cls, n, i);
}

struct hk_slab *hk_superslab_slab_fit(struct hk_superslab *ss, unsigned cls)
{
	unsigned n = hk_class_span[cls];
	int i = hk_superslab_fit(ss, &n, false);

	return i < 0 ? NULL : hk_superslab_carve(ss, cls, n, i);
}

void hk_superslab_slab_free(struct hk_superslab *ss, struct hk_slab *s,
			    uint64_t now)
{
	uintptr_t off = (uintptr_t)(s->bump - (char *)ss);
	unsigned touched = (unsigned)((off + ((uintptr_t)1 << HK_SLICE_SHIFT) - 1)
				      >> HK_SLICE_SHIFT) - s->slice;
	uint64_t m = hk_run_mask(s->slice, s->span);
	uint64_t t = hk_run_mask(s->slice, touched < s->span ? touched : s->span);

	memset(&ss->slab_of[s->slice], HK_SLOT_FREE, s->span);
	/* The descriptor may later lie inside another slab's slices, where
	 * the inline free reads it (hk_slab_at): it must hold no block. */
	s->nbump = 0;
	/* Nor full: a notice that names it late must find no slab to put
	 * back on a list (hk_heap_drain). */
	s->used = 0;
	if (!s->zero)
		t = m;
	if (!ss->dirty_mask) {
		ss->dirty_since = now;
		ss->dirty_aged = t;
	}
	ss->free_mask |= m;
	ss->dirty_mask |= t;
	ss->zero_mask |= m & ~t;
	if (--ss->nslabs == 0)
		ss->empty_since = now;
}

size_t hk_superslab_purge(struct hk_superslab *ss, bool all, uint64_t now)
{
	uint64_t d;
	size_t total = 0;

	/* Under pressure nothing waits a generation (purge.c). */
	all = all || hk_purge_tight();
	d = all ? ss->dirty_mask : ss->dirty_mask & ss->dirty_aged;
	while (d) {
		unsigned i = (unsigned)__builtin_ctzll(d), j = i;
		char *lo, *hi;
		bool zeroed = false;

		while (j < HK_SLICES && (d >> j & 1))
			j++;
		lo = (char *)ss + (i ? (size_t)i << HK_SLICE_SHIFT : HK_SS_HDR);
		hi = (char *)ss + ((size_t)j << HK_SLICE_SHIFT);
		if (hk_os_purge(lo, (size_t)(hi - lo), &zeroed) == 0) {
			total += (size_t)(hi - lo);
			if (zeroed)
				ss->zero_mask |= hk_run_mask(i, j - i);
		}
		d &= ~hk_run_mask(i, j - i);
	}
	ss->dirty_mask &= all ? 0 : ~ss->dirty_aged;
	ss->dirty_aged = ss->dirty_mask;
	ss->dirty_since = now;
	hk_stat_add(HK_ST_PURGED, (int64_t)total);
	return total;
}
