/* alloc-api.h: the malloc family seen by a test, as a table of pointers.
 *
 * Each test under test/api and test/stress is built twice from one source:
 *   - linked to libhkcore with -DHK_TEST_LINKED: the table holds the hk_*
 *     twins of include/hakmem.h, and the test's own malloc stays glibc's;
 *   - plain: the table is filled by dlsym(RTLD_DEFAULT), so it holds
 *     whatever malloc the process has: glibc's in a plain run, hakmem's
 *     under LD_PRELOAD (test/dropin/preload-run.sh runs it that way).
 * Calling through pointers also keeps the compiler from folding a
 * malloc/free pair away.
 *
 * The hk_* references are weak so the tests build (and skip, saying why)
 * before the allocator has landed; -Wl,-u in Makefile.am makes the linker
 * pull them from libhkcore.a once they exist.
 */
#ifndef HK_TEST_ALLOC_API_H
#define HK_TEST_ALLOC_API_H

#include <dlfcn.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#ifdef HK_TEST_LINKED
#include "hakmem.h"
#pragma weak hk_malloc
#pragma weak hk_free
#pragma weak hk_calloc
#pragma weak hk_realloc
#pragma weak hk_reallocarray
#pragma weak hk_posix_memalign
#pragma weak hk_aligned_alloc
#pragma weak hk_memalign
#pragma weak hk_valloc
#pragma weak hk_pvalloc
#pragma weak hk_malloc_usable_size
#pragma weak hk_free_sized
#pragma weak hk_free_aligned_sized
#pragma weak hk_malloc_trim
#pragma weak hk_malloc_stats
#endif

struct ta_api {
	const char *who;	/* "hk_* (linked)", "libhakmem.so", "glibc" */
	int is_hakmem;		/* missing entry points are failures, not skips */
	int is_glibc;		/* glibc's known deviations are TODO, not failures */
	void *(*malloc)(size_t);
	void (*free)(void *);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void *(*reallocarray)(void *, size_t, size_t);
	int (*posix_memalign)(void **, size_t, size_t);
	void *(*aligned_alloc)(size_t, size_t);
	void *(*memalign)(size_t, size_t);
	void *(*valloc)(size_t);
	void *(*pvalloc)(size_t);
	size_t (*malloc_usable_size)(void *);
	void (*free_sized)(void *, size_t);
	void (*free_aligned_sized)(void *, size_t, size_t);
	void (*cfree)(void *);
	int (*malloc_trim)(size_t);
	void (*malloc_stats)(void);
	struct mallinfo (*mallinfo)(void);
	struct mallinfo2 (*mallinfo2)(void);
	int (*malloc_info)(int, FILE *);
	int (*mallopt)(int, int);
	void *(*libc_malloc)(size_t);
	void (*libc_free)(void *);
	void *(*libc_calloc)(size_t, size_t);
	void *(*libc_realloc)(void *, size_t);
	void *(*libc_memalign)(size_t, size_t);
};

static struct ta_api ta;

#ifdef HK_TEST_LINKED
/* Returns 0 when libhkcore has no allocator yet. */
static int ta_init(void)
{
	if (!hk_malloc || !hk_free)
		return 0;
	ta.who = "hk_* (linked)";
	ta.is_hakmem = 1;
	ta.malloc = hk_malloc;
	ta.free = hk_free;
	ta.calloc = hk_calloc;
	ta.realloc = hk_realloc;
	ta.reallocarray = hk_reallocarray;
	ta.posix_memalign = hk_posix_memalign;
	ta.aligned_alloc = hk_aligned_alloc;
	ta.memalign = hk_memalign;
	ta.valloc = hk_valloc;
	ta.pvalloc = hk_pvalloc;
	ta.malloc_usable_size = hk_malloc_usable_size;
	ta.free_sized = hk_free_sized;
	ta.free_aligned_sized = hk_free_aligned_sized;
	ta.malloc_trim = hk_malloc_trim;
	ta.malloc_stats = hk_malloc_stats;
	return 1;
}
#else
#define TA_SYM(field, name) (*(void **)&ta.field = dlsym(RTLD_DEFAULT, name))

static int ta_init(void)
{
	Dl_info info;

	TA_SYM(malloc, "malloc");
	TA_SYM(free, "free");
	TA_SYM(calloc, "calloc");
	TA_SYM(realloc, "realloc");
	TA_SYM(reallocarray, "reallocarray");
	TA_SYM(posix_memalign, "posix_memalign");
	TA_SYM(aligned_alloc, "aligned_alloc");
	TA_SYM(memalign, "memalign");
	TA_SYM(valloc, "valloc");
	TA_SYM(pvalloc, "pvalloc");
	TA_SYM(malloc_usable_size, "malloc_usable_size");
	TA_SYM(free_sized, "free_sized");
	TA_SYM(free_aligned_sized, "free_aligned_sized");
	TA_SYM(cfree, "cfree");
	TA_SYM(malloc_trim, "malloc_trim");
	TA_SYM(malloc_stats, "malloc_stats");
	TA_SYM(mallinfo, "mallinfo");
	TA_SYM(mallinfo2, "mallinfo2");
	TA_SYM(malloc_info, "malloc_info");
	TA_SYM(mallopt, "mallopt");
	TA_SYM(libc_malloc, "__libc_malloc");
	TA_SYM(libc_free, "__libc_free");
	TA_SYM(libc_calloc, "__libc_calloc");
	TA_SYM(libc_realloc, "__libc_realloc");
	TA_SYM(libc_memalign, "__libc_memalign");
	if (!ta.malloc || !dladdr(*(void **)&ta.malloc, &info) ||
	    !info.dli_fname)
		return 0;
	ta.is_hakmem = strstr(info.dli_fname, "libhakmem") != NULL;
	ta.is_glibc = strstr(info.dli_fname, "libc.so") != NULL;
	ta.who = ta.is_hakmem ? "libhakmem.so" : ta.is_glibc ? "glibc" :
		 info.dli_fname;
	return 1;
}
#endif

/* Start a test program: skip it all when there is no allocator to test,
 * fail it when the preload runner expected hakmem and got another. */
static inline void ta_start(void)
{
	const char *want = getenv("HK_EXPECT_HAKMEM");

	if (!ta_init())
		tap_skip_all("libhkcore has no hk_malloc yet (the allocator has not landed)");
	if (want && *want == '1' && !ta.is_hakmem) {
		printf("1..1\nnot ok 1 - malloc comes from libhakmem under LD_PRELOAD (it comes from %s)\n",
		       ta.who);
		exit(1);
	}
	tap_diag("allocator under test: %s", ta.who);
}

/* A check glibc is known to fail: TODO (an expected failure) there. */
__attribute__((format(printf, 3, 4)))
static inline void ok_unless_glibc(int cond, const char *todo, const char *fmt, ...)
{
	va_list ap;

	if (!ta.is_glibc || cond) {
		va_start(ap, fmt);
		printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
		tap_failed += !cond;
		return;
	}
	printf("not ok %d - ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # TODO %s\n", todo);
}

/* A byte pattern that depends on the block and the offset, so a block
 * that overlaps another, or moved without its content, is caught. */
static inline unsigned char ta_pat(uintptr_t seed, size_t i)
{
	return (unsigned char)((seed * 0x9e3779b97f4a7c15u >> 56) + i * 7 + (i >> 12));
}

static inline void ta_fill(void *p, size_t n, uintptr_t seed)
{
	unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		c[i] = ta_pat(seed, i);
}

/* Returns the first offset whose byte is wrong, or n. */
static inline size_t ta_check(const void *p, size_t n, uintptr_t seed)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i] != ta_pat(seed, i))
			return i;
	return n;
}

#endif /* HK_TEST_ALLOC_API_H */
