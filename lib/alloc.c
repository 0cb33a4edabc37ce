/* alloc.c: the hk_* API (include/hakmem.h): the malloc family's
 * semantics on top of the fast paths (fastpath.h), the heaps and the
 * large objects.  override.c gives the same functions their libc names.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lib/fastpath.h"
#include "include/hakmem.h"
#include "lib/glibc.h"
#include "lib/msg.h"
#include "lib/os.h"

/* ---- the API ------------------------------------------------------- */

HK_EXPORT void *hk_malloc(size_t size)
{
	return hk_fast_malloc(size);
}

HK_EXPORT void hk_free(void *p)
{
	hk_fast_free(p, "free");
}

HK_EXPORT void hk_free_sized(void *p, size_t size)
{
	(void)size;
	hk_free(p);
}

HK_EXPORT void hk_free_aligned_sized(void *p, size_t alignment, size_t size)
{
	(void)alignment;
	(void)size;
	hk_free(p);
}

/* Zeroed memory; blocks fresh from the OS are not cleared again: when
 * the current slab has no free block the fast path takes the next one
 * from the bump pointer, never used since the slab's memory was zero. */
static void *hk_zalloc(size_t size)
{
	struct hk_slab *s;
	bool zero;
	void *p;

	if (size > HK_SMALL_MAX)
		return hk_large_alloc(size, 0, true);
	s = hk_tls_heap->cur[hk_size_class(size)];
	zero = !s->free && s->bump < s->end && s->zero;
	p = hk_fast_malloc(size);
	if (p && !zero)
		memset(p, 0, size);
	return p;
}

HK_EXPORT void *hk_calloc(size_t n, size_t size)
{
	size_t total;

	if (__builtin_mul_overflow(n, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	return hk_zalloc(total);
}

HK_EXPORT size_t hk_malloc_usable_size(void *p)
{
	struct hk_slab *s;
	uintptr_t seg;

	if (!p)
		return 0;
	s = hk_fast_slab(hk_tls_heap, p);
	if (HK_LIKELY(s != NULL))
		return s->block;
	seg = hk_segmap_get(p);
	if (seg & HK_SEG_SS) {
		s = hk_slab_of(hk_ss_of(p), p);
		if (!hk_slab_is_block(s, p))
			hk_bad_free("malloc_usable_size", p);
		return s->block;
	}
	if (!(seg & HK_SEG_LARGE) && hk_glibc_now())
		return hk_glibc_now()->malloc_usable_size(p);
	return hk_large_usable(hk_large_of(p, seg, "malloc_usable_size"), p);
}

/* A block that grows moves into one a quarter larger at least (as
 * tcmalloc), so that a string grown by short appends moves once each
 * 1.25x rather than at each of the eight classes of a doubling; the
 * room shows in malloc_usable_size.  Large objects grow in place or by
 * mremap (hk_large_realloc) and get none. */
static void *hk_realloc_move(void *p, size_t old, size_t size)
{
	size_t want = old + old / 4;
	void *q = NULL;

	if (size > old && size < want && want <= HK_SMALL_MAX)
		q = hk_malloc(want);
	if (!q)
		q = hk_malloc(size);
	if (!q)
		return NULL;
	memcpy(q, p, old < size ? old : size);
	hk_free(p);
	return q;
}

/* p, a block of bs bytes, resized to size: it stays where it is while
 * it fits and keeps more than half of the block in use. */
static void *hk_realloc_small(void *p, uint32_t bs, size_t size)
{
	if (size <= bs && (size > bs / 2 || bs <= 64))
		return p;
	return hk_realloc_move(p, bs, size);
}

/* What the fast path of hk_realloc does not take: the segment map.
 * Out of line, so that the fast path needs no stack frame. */
static __attribute__((noinline)) void *hk_realloc_general(void *p, size_t size)
{
	uintptr_t seg = hk_segmap_get(p);
	struct hk_large *l;
	void *q;

	if (seg & HK_SEG_SS) {
		struct hk_slab *s = hk_slab_of(hk_ss_of(p), p);

		if (!hk_slab_is_block(s, p) || hk_block_is_free(p))
			hk_bad_free("realloc", p);
		return hk_realloc_small(p, s->block, size);
	}
	if (!(seg & HK_SEG_LARGE) && hk_glibc_now())
		return hk_glibc_now()->realloc(p, size);
	l = hk_large_of(p, seg, "realloc");
	if (size > HK_SMALL_MAX) {
		q = hk_large_realloc(l, p, size);
		if (q)
			return q;
	}
	return hk_realloc_move(p, l->size, size);
}

/* A block of a superslab in own[] is checked as free checks it
 * (hk_fast_slab), with no segment map lookup. */
HK_EXPORT void *hk_realloc(void *p, size_t size)
{
	struct hk_slab *s;

	if (!p)
		return hk_malloc(size);
	if (size == 0) {		/* as glibc: free, return NULL */
		hk_free(p);
		return NULL;
	}
	s = hk_fast_slab(hk_tls_heap, p);
	if (HK_LIKELY(s != NULL))
		return hk_realloc_small(p, s->block, size);
	return hk_realloc_general(p, size);
}

HK_EXPORT void *hk_reallocarray(void *p, size_t n, size_t size)
{
	size_t total;

	if (__builtin_mul_overflow(n, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	return hk_realloc(p, total);
}

/* align: a power of two.  Up to a slice (32 KiB), a power-of-two class
 * is aligned by construction (slabs start on a slice boundary); beyond,
 * a large object. */
static void *hk_aligned(size_t align, size_t size)
{
	size_t n;

	if (align <= 16)
		return hk_malloc(size);
	if (size > (size_t)PTRDIFF_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	n = size > align ? size : align;
	if (align <= ((size_t)1 << HK_SLICE_SHIFT) && n <= HK_SMALL_MAX) {
		n = (size_t)1 << (64 - __builtin_clzl(n - 1));
		if (n <= HK_SMALL_MAX)
			return hk_malloc(n);
	}
	return hk_large_alloc(size, align, false);
}

static bool hk_pow2(size_t x)
{
	return x && !(x & (x - 1));
}

HK_EXPORT int hk_posix_memalign(void **out, size_t align, size_t size)
{
	const struct hk_glibc *g = hk_glibc();
	int saved = errno;
	void *p;

	if (g)
		return g->posix_memalign(out, align, size);
	if (!hk_pow2(align) || align % sizeof(void *))
		return EINVAL;
	p = hk_aligned(align, size);
	errno = saved;
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

HK_EXPORT void *hk_aligned_alloc(size_t align, size_t size)
{
	const struct hk_glibc *g = hk_glibc();

	if (g)
		return g->aligned_alloc(align, size);
	if (!hk_pow2(align)) {
		errno = EINVAL;
		return NULL;
	}
	return hk_aligned(align, size);
}

/* glibc's memalign takes any alignment, rounding it up to a power of two. */
HK_EXPORT void *hk_memalign(size_t align, size_t size)
{
	const struct hk_glibc *g = hk_glibc();

	if (g)
		return g->memalign(align, size);
	if (align > (size_t)PTRDIFF_MAX / 2 + 1) {
		errno = EINVAL;
		return NULL;
	}
	if (!hk_pow2(align))
		align = align ? (size_t)1 << (64 - __builtin_clzl(align)) : 1;
	return hk_aligned(align, size);
}

HK_EXPORT void *hk_valloc(size_t size)
{
	const struct hk_glibc *g = hk_glibc();

	if (g)
		return g->valloc(size);
	return hk_aligned(hk_os_caps()->page_size, size);
}

HK_EXPORT void *hk_pvalloc(size_t size)
{
	const struct hk_glibc *g = hk_glibc();
	size_t page;

	if (g)
		return g->pvalloc(size);
	page = hk_os_caps()->page_size;

	if (size > (size_t)PTRDIFF_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	size = size ? (size + page - 1) & ~(page - 1) : page;
	return hk_aligned(page, size);
}

HK_EXPORT int hk_malloc_trim(size_t pad)
{
	const struct hk_glibc *g = hk_glibc();
	int saved = errno;
	size_t n;

	if (g)
		return g->malloc_trim(pad);
	if (hk_init_state != 2)
		return 0;
	n = hk_heap_trim_all();
	errno = saved;
	return n > 0;
}

HK_EXPORT void hk_cfree(void *p)
{
	hk_free(p);
}

/* The glibc tunables mallopt sets (arenas, thresholds, top pad) have no
 * meaning here: every parameter is accepted and changes nothing. */
HK_EXPORT int hk_mallopt(int param, int value)
{
	const struct hk_glibc *g = hk_glibc();

	if (g)
		return g->mallopt(param, value);
	(void)param;
	(void)value;
	return 1;
}

HK_EXPORT void hk_malloc_stats(void)
{
	const struct hk_glibc *g = hk_glibc();

	if (g)
		return g->malloc_stats();
	hk_stats_print(false);
}
