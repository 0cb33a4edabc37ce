/* alloc-api.h: the malloc family seen by a test, as a table of pointers.
 *
 * Each test under test/api and test/stress is built twice from one source:
 *   - linked to libhkalloc with -DHK_TEST_LINKED: the table holds the hk_*
 *     twins of include/hakmem.h, and the test's own malloc stays glibc's;
 *   - plain: the table holds what the program's own calls bind to:
 *     glibc's malloc in a plain run, hakmem's under LD_PRELOAD
 *     (test/dropin/preload-run.sh runs it that way).
 * Calling through pointers also keeps the compiler from folding a
 * malloc/free pair away.
 */
#ifndef HK_TEST_ALLOC_API_H
#define HK_TEST_ALLOC_API_H

#include <dlfcn.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test/tap.h"

#ifdef HK_TEST_LINKED
#include "include/hakmem.h"
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
static int ta_init(void)
{
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
	ta.cfree = hk_cfree;
	ta.mallinfo = hk_mallinfo;
	ta.mallinfo2 = hk_mallinfo2;
	ta.malloc_info = hk_malloc_info;
	ta.mallopt = hk_mallopt;
	return 1;
}
#else
/* Not declared by glibc's headers, but exported: glibc's own code and
 * some programs call them. */
extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

/* The entry points glibc 2.36 declares are taken by direct reference, so
 * they bind the way a program's calls do (malloc@GLIBC_2.2.5: a
 * preloaded library whose malloc carries another symbol version is not
 * used, whatever dlsym says).  Newer or compat-only ones come by dlsym. */
#define TA_SYM(field, name) (*(void **)&ta.field = dlsym(RTLD_DEFAULT, name))

static int ta_init(void)
{
	Dl_info info;

	ta.malloc = malloc;
	ta.free = free;
	ta.calloc = calloc;
	ta.realloc = realloc;
	ta.reallocarray = reallocarray;
	ta.posix_memalign = posix_memalign;
	ta.aligned_alloc = aligned_alloc;
	ta.memalign = memalign;
	ta.valloc = valloc;
	ta.pvalloc = pvalloc;
	ta.malloc_usable_size = malloc_usable_size;
	TA_SYM(free_sized, "free_sized");
	TA_SYM(free_aligned_sized, "free_aligned_sized");
	TA_SYM(cfree, "cfree");
	ta.malloc_trim = malloc_trim;
	ta.malloc_stats = malloc_stats;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	ta.mallinfo = mallinfo;
#pragma GCC diagnostic pop
	ta.mallinfo2 = mallinfo2;
	ta.malloc_info = malloc_info;
	ta.mallopt = mallopt;
	ta.libc_malloc = __libc_malloc;
	ta.libc_free = __libc_free;
	ta.libc_calloc = __libc_calloc;
	ta.libc_realloc = __libc_realloc;
	ta.libc_memalign = __libc_memalign;
	if (!ta.malloc || !dladdr(*(void **)&ta.malloc, &info) ||
	    !info.dli_fname)
		return 0;
	ta.is_hakmem = strstr(info.dli_fname, "libhakmem") != NULL;
	ta.is_glibc = strstr(info.dli_fname, "libc.so") != NULL;
	ta.who = ta.is_hakmem ? "libhakmem.so" : ta.is_glibc ? "glibc" :
		 info.dli_fname;
	/* libhakmem.so's entry points with HAKMEM_ENABLED=0 behave as
	 * glibc's (test/api/disabled.sh): its deviations are TODO there too. */
	if (ta.is_hakmem && getenv("HK_EXPECT_GLIBC")) {
		ta.is_glibc = 1;
		ta.who = "libhakmem.so, forwarding to glibc";
	}
	return 1;
}
#endif

/* Whether the word of length len is one of the words of list. */
static inline bool ta_has_word(const char *list, const char *word, size_t len)
{
	for (const char *p = list + strspn(list, " \n"); *p; p += strspn(p, " \n")) {
		size_t n = strcspn(p, " \n");

		if (n == len && !strncmp(p, word, len))
			return true;
		p += n;
	}
	return false;
}

/* The ids of the known bugs: HK_KNOWN_BUGS when set, else the first word
 * of each line of test/api/known-bugs.txt that is not a comment. */
static inline const char *ta_known_list(void)
{
	static char list[2048];
	const char *env = getenv("HK_KNOWN_BUGS"), *top = getenv("top_srcdir");
	char line[1024], path[4096];
	FILE *f;

	if (env)
		return env;
	snprintf(path, sizeof(path), "%s/test/api/known-bugs.txt", top ? top : ".");
	if (list[0] || !(f = fopen(path, "r")))
		return list;
	while (fgets(line, sizeof(line), f))
		if (line[0] != '#' && line[0] != '\n')
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%.*s ",
				 (int)strcspn(line, " \n"), line);
	fclose(f);
	return list;
}

/* Whether any of the space-separated bug ids is a known bug of hakmem. */
static inline bool ta_known(const char *ids)
{
	const char *list = ta_known_list();

	for (const char *p = ids; *p; p += strspn(p, " ")) {
		size_t n = strcspn(p, " ");

		if (ta_has_word(list, p, n))
			return true;
		p += n;
	}
	return false;
}

/* tap_ok, but a failure is a TODO (an expected failure) when todo is set. */
static inline void ta_vok(int cond, const char *todo, const char *fmt, va_list ap)
{
	printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
	vprintf(fmt, ap);
	if (!cond && todo)
		printf(" # TODO %s", todo);
	printf("\n");
	fflush(stdout);
	tap_failed += !cond && !todo;
}

/* A check glibc is known to fail: TODO there. */
__attribute__((format(printf, 3, 4)))
static inline void ok_unless_glibc(int cond, const char *todo, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ta_vok(cond, ta.is_glibc ? todo : NULL, fmt, ap);
	va_end(ap);
}

/* A check that fails while any of the hakmem bugs ids is unfixed: TODO. */
__attribute__((format(printf, 3, 4)))
static inline void ok_unless_bug(int cond, const char *ids, const char *fmt, ...)
{
	char todo[128];
	va_list ap;

	snprintf(todo, sizeof(todo), "hakmem bug %s (test/api/known-bugs.txt)", ids);
	va_start(ap, fmt);
	ta_vok(cond, !cond && ta.is_hakmem && ta_known(ids) ? todo : NULL, fmt, ap);
	va_end(ap);
}

/* Start a test program: skip it all when there is no allocator to test,
 * fail it when the preload runner expected hakmem and got another. */
static inline void ta_start(void)
{
	const char *want = getenv("HK_EXPECT_HAKMEM");

	if (!ta_init())
		tap_skip_all("dlsym finds no malloc");
	if (want && *want == '1' && !ta.is_hakmem) {
		ta.is_hakmem = 1;	/* for ta_known */
		ok_unless_bug(0, "symver", "the program's malloc is libhakmem's under LD_PRELOAD (it is %s's)",
			      ta.who);
		exit(tap_done());
	}
	tap_diag("allocator under test: %s", ta.who);
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
