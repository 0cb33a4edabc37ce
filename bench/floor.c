/* floor.c: the least work an allocator can do, to measure what the
 * benchmark loops cost around it (make bench: the random-mixed floor).
 *
 * Not an allocator to use: it never gives memory back, checks nothing
 * and keeps one reservation per size class.  Every size up to
 * FLOOR_MAX has a class of its own, 16 bytes apart, whose blocks come
 * from a fixed 4 MiB range of one MAP_NORESERVE reservation, so that
 * free finds the class from the address alone.  malloc is a pop from a
 * thread's list of the class (one TLS load, one load, one store); free
 * is a subtract, a shift and a push.  No hakmem code is involved.  An
 * allocator that does what a real one must (checks, counts, giving
 * memory back, other threads' frees) does more than this: what the floor
 * reaches on random-mixed is about as fast as any allocator can make
 * that loop go, and the rest is the loop's own time.
 */
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define FLOOR_SHIFT 22				/* bytes per class: 4 MiB */
#define FLOOR_MAX 65536				/* the largest size served */
#define FLOOR_NCLASS (FLOOR_MAX / 16 + 1)

#define EXPORT __attribute__((visibility("default")))

static char *floor_base;
static size_t floor_bump[FLOOR_NCLASS];	/* bytes used; atomic adds */
static __thread void *floor_free[FLOOR_NCLASS]
	__attribute__((tls_model("initial-exec")));

static char *floor_reserve(void)
{
	char *b = __atomic_load_n(&floor_base, __ATOMIC_ACQUIRE);
	char *want, *exp = NULL;

	if (b)
		return b;
	want = mmap(NULL, (size_t)FLOOR_NCLASS << FLOOR_SHIFT,
		    PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (want == MAP_FAILED)
		return NULL;
	if (!__atomic_compare_exchange_n(&floor_base, &exp, want, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		munmap(want, (size_t)FLOOR_NCLASS << FLOOR_SHIFT);
		return exp;
	}
	return want;
}

/* Where the blocks of class c start in their range: each class a page
 * and a cache line further than the one before (modulo 1 MiB), because
 * ranges that all start on a 4 MiB boundary put the first blocks of
 * every class, which random-mixed keeps reusing, in the same L1 and L2
 * sets.  A multiple of 64 and of every power of two that divides c * 16
 * above 64 (c * 4160 = c * 16 * 260), so memalign's classes keep their
 * alignment. */
static size_t floor_color(size_t c)
{
	return (c * 4160) & ((1u << 20) - 1);
}

/* A block never handed out before, for n bytes; out of line, so that
 * malloc's pop saves no register. */
static __attribute__((noinline)) void *floor_fresh(size_t n)
{
	char *base = floor_reserve();
	size_t c = n ? (n + 15) >> 4 : 1;	/* malloc(0): 16 bytes */
	char *start, *p;

	if (n > FLOOR_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	if (!base)
		return NULL;
	start = base + (c << FLOOR_SHIFT) + floor_color(c);
	p = start + __atomic_fetch_add(&floor_bump[c], c * 16,
				       __ATOMIC_RELAXED);
	if (p + c * 16 > base + ((c + 1) << FLOOR_SHIFT)) {
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

/* Class 0 (malloc(0)) has no list: its entry stays NULL. */
EXPORT void *malloc(size_t n)
{
	size_t c = (n + 15) >> 4;
	void *b;

	if (__builtin_expect(n <= FLOOR_MAX, 1)) {
		b = floor_free[c];
		if (__builtin_expect(b != NULL, 1)) {
			floor_free[c] = *(void **)b;
			return b;
		}
	}
	return floor_fresh(n);
}

/* The class of p; 0 for a pointer that is not ours. */
static size_t floor_of(const void *p)
{
	uintptr_t off = (uintptr_t)p - (uintptr_t)floor_base;

	return off < ((uintptr_t)FLOOR_NCLASS << FLOOR_SHIFT) ?
		off >> FLOOR_SHIFT : 0;
}

EXPORT void free(void *p)
{
	size_t c = floor_of(p);

	if (c) {
		*(void **)p = floor_free[c];
		floor_free[c] = p;
	}
}

EXPORT void *calloc(size_t k, size_t n)
{
	void *p;

	if (n && k > SIZE_MAX / n) {
		errno = ENOMEM;
		return NULL;
	}
	p = malloc(k * n);
	if (p)
		memset(p, 0, k * n);
	return p;
}

EXPORT size_t malloc_usable_size(void *p)
{
	return floor_of(p) * 16;
}

EXPORT void *realloc(void *p, size_t n)
{
	size_t have = malloc_usable_size(p);
	void *q;

	if (p && n <= have)
		return p;
	q = malloc(n);
	if (q && p) {
		memcpy(q, p, have);
		free(p);
	}
	return q;
}

/* Blocks of class c lie c * 16 bytes apart from a 4 MiB boundary: a
 * class whose size is a multiple of align aligns them all. */
EXPORT void *memalign(size_t align, size_t n)
{
	if (align <= 16)
		return malloc(n);
	if (align & (align - 1) || align > FLOOR_MAX) {
		errno = EINVAL;
		return NULL;
	}
	return malloc(n ? (n + align - 1) & ~(align - 1) : align);
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
	return memalign(align, n);
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
	void *p;

	if (align < sizeof(void *) || align & (align - 1))
		return EINVAL;
	p = memalign(align, n);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}
