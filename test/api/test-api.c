/* test-api.c: conformance of every malloc-family entry point with C17,
 * POSIX and glibc, through the table of alloc-api.h: the hk_* twins
 * (linked), or what the program's own calls bind to (glibc's malloc, or
 * libhakmem's when preloaded). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <unistd.h>

#include "test/api/alloc-api.h"

#define KiB ((size_t)1 << 10)
#define MiB ((size_t)1 << 20)

static size_t page;

/* Whether an optional entry point can be tested; says why not. */
static bool have(const void *fn, const char *name)
{
	if (fn)
		return true;
#ifdef HK_TEST_LINKED
	tap_skip("%s: no hk_ twin in include/hakmem.h", name);
#else
	if (ta.is_hakmem)
		tap_ok(0, "libhakmem.so exports %s", name);
	else
		tap_skip("%s: %s does not export it", name, ta.who);
#endif
	return false;
}

static bool aligned(const void *p, size_t a)
{
	return ((uintptr_t)p & (a - 1)) == 0;
}

/* The alignment a block of n bytes must have: 16 from 16 bytes up (the
 * alignment of max_align_t), else the largest power of two <= n. */
static size_t min_align(size_t n)
{
	size_t a = 1;

	while (a < 16 && a * 2 <= n)
		a *= 2;
	return a;
}

/* malloc(0), free(NULL), malloc_usable_size(NULL). */
static void test_zero(void)
{
	void *a = ta.malloc(0), *b = ta.malloc(0);

	tap_ok(a && b && a != b, "malloc(0) returns unique non-NULL pointers (%p %p)", a, b);
	ta.free(a);
	ta.free(b);
	ta.free(NULL);
	tap_ok(1, "malloc(0) blocks and NULL are freeable");
	tap_ok(ta.malloc_usable_size(NULL) == 0, "malloc_usable_size(NULL) == 0");
	a = ta.calloc(0, 0);
	tap_ok(a != NULL, "calloc(0, 0) returns non-NULL");
	ta.free(a);
}

/* Sizes of every class: 1..1024 one by one, then steps of about 1/16. */
static size_t next_size(size_t n)
{
	return n < 1024 ? n + 1 : n + n / 16;
}

/* Many small blocks live at once, each filled to its usable size with its
 * own pattern: alignment, usable size, and no two blocks overlap. */
static void test_small_classes(void)
{
	enum { MAX = 4000 };
	static void *p[MAX];
	static size_t sz[MAX];
	int n = 0, bad_align = 0, bad_usable = 0, bad_data = 0;

	for (size_t s = 1; s <= 256 * KiB && n < MAX; s = next_size(s))
		for (int k = 0; k < 3 && n < MAX; k++, n++) {
			sz[n] = s;
			p[n] = ta.malloc(s);
			if (!p[n])
				break;
			bad_align += !aligned(p[n], min_align(s));
			size_t u = ta.malloc_usable_size(p[n]);
			bad_usable += u < s;
			sz[n] = u < s ? s : u;
			ta_fill(p[n], sz[n], (uintptr_t)n);
		}
	for (int i = 0; i < n; i++) {
		bad_data += p[i] && ta_check(p[i], sz[i], (uintptr_t)i) != sz[i];
		ta.free(p[i]);
	}
	tap_ok(n == MAX || p[n - 1], "%d small blocks (1 B..256 KiB) allocated", n);
	tap_ok(!bad_align, "16-byte alignment for sizes >= 16, natural below (%d bad)", bad_align);
	tap_ok(!bad_usable, "malloc_usable_size >= requested size (%d bad)", bad_usable);
	tap_ok(!bad_data, "blocks filled to their usable size do not overlap (%d bad)", bad_data);
}

/* Internal waste: size classes about 12.5% apart above 64 B, and page
 * granularity (4 KiB) at most for what goes to the OS. */
static bool wasteful(size_t s, size_t u, int told)
{
	if (s <= 64 || u <= s + s / 8 + 4096)
		return false;
	if (told < 8)
		tap_diag("malloc(%zu): usable size %zu (%.1fx)", s, u, (double)u / (double)s);
	return true;
}

static void test_waste(void)
{
	int bad = 0, count = 0;

	for (size_t s = 65; s <= 64 * MiB; s = next_size(s) + (s > 64 * KiB) * s / 4, count++) {
		void *q = ta.malloc(s);

		bad += q && wasteful(s, ta.malloc_usable_size(q), bad);
		ta.free(q);
	}
	ok_unless_bug(!bad, "large-waste",
		      "usable size within 12.5%% + 4 KiB of the request, 65 B..64 MiB (%d of %d sizes over)",
		      bad, count);
}

/* Large sizes one at a time up to 64 MiB. */
static void test_large_sizes(void)
{
	int bad = 0, count = 0;

	for (size_t s = 256 * KiB; s <= 64 * MiB; s = s * 3 / 2 + 4096 - 7, count++) {
		if (s > 64 * MiB)
			s = 64 * MiB;
		unsigned char *q = ta.malloc(s);
		size_t u = q ? ta.malloc_usable_size(q) : 0;

		if (!q || u < s || !aligned(q, 16)) {
			tap_diag("malloc(%zu) = %p usable %zu", s, (void *)q, u);
			bad++;
		} else {
			ta_fill(q, u, s);
			bad += ta_check(q, u, s) != u;
		}
		ta.free(q);
		if (s == 64 * MiB)
			break;
	}
	tap_ok(!bad, "%d large blocks 256 KiB..64 MiB: aligned, usable, writable (%d bad)",
	       count, bad);
}

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* calloc's block is zero over the size asked for (C says no more: the
 * rest of the usable size may hold anything); says where it is not. */
static int calloc_bad(const unsigned char *q, size_t s, const char *when)
{
	if (!q) {
		tap_diag("calloc(%zu) %s: NULL", s, when);
		return 1;
	}
	for (size_t i = 0; i < s; i++)
		if (q[i]) {
			tap_diag("calloc(%zu) %s = %p: byte %zu is %#x",
				 s, when, (const void *)q, i, q[i]);
			return 1;
		}
	return 0;
}

/* calloc zeroes, also memory that was just used and freed. */
static void test_calloc(void)
{
	static const size_t sizes[] = { 1, 8, 16, 24, 100, 1000, 4096, 20000,
		100 * KiB, 300 * KiB, 1 * MiB, 3 * MiB + 5, 8 * MiB, 32 * MiB };
	int fresh = 0, recycled = 0;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t s = sizes[i];
		unsigned char *q = ta.calloc(1, s);

		fresh += calloc_bad(q, s, "first");
		ta.free(q);
		for (int k = 0; k < 4; k++) {
			q = ta.malloc(s);
			if (q)
				memset(q, 0xa5, ta.malloc_usable_size(q));
			ta.free(q);
			q = ta.calloc(s, 1);
			recycled += calloc_bad(q, s, "after a freed dirty block");
			ta.free(q);
		}
	}
	tap_ok(!fresh, "calloc returns zeroed memory, 1 B..32 MiB (%d bad)", fresh);
	tap_ok(!recycled, "calloc zeroes recycled memory (fill, free, calloc) (%d bad)", recycled);
}

/* A call that must fail with ENOMEM. */
#define ENOMEM_NULL(expr) do {						\
	errno = 0;							\
	void *r_ = (expr);						\
	int e_ = errno;							\
	tap_ok(r_ == NULL && e_ == ENOMEM, "%s -> NULL, ENOMEM (got %p, %s)", \
	       #expr + 3, r_, strerror(e_));				\
	if (r_)								\
		ta.free(r_);						\
} while (0)

static void test_overflow(void)
{
	const size_t big = (size_t)PTRDIFF_MAX + 1;
	const size_t half = SIZE_MAX / 2 + 1;

	ENOMEM_NULL(ta.malloc(SIZE_MAX));
	ENOMEM_NULL(ta.malloc(SIZE_MAX - 15));
	ENOMEM_NULL(ta.malloc(SIZE_MAX - 4095));
	ENOMEM_NULL(ta.malloc(big));
	ENOMEM_NULL(ta.calloc(half, 2));
	ENOMEM_NULL(ta.calloc((size_t)1 << 33, (size_t)1 << 33));
	ENOMEM_NULL(ta.calloc(1, big));
	ENOMEM_NULL(ta.reallocarray(NULL, half, 2));
	ENOMEM_NULL(ta.realloc(NULL, SIZE_MAX - 8));
	ENOMEM_NULL(ta.aligned_alloc(64, SIZE_MAX - 32));
	ENOMEM_NULL(ta.memalign(4096, big));
	ENOMEM_NULL(ta.memalign((size_t)1 << 21, SIZE_MAX - 4096));
	ENOMEM_NULL(ta.valloc(SIZE_MAX - 100));
	ENOMEM_NULL(ta.pvalloc(SIZE_MAX - 100));

	void *q = NULL;
	int r = ta.posix_memalign(&q, 64, SIZE_MAX - 32);

	tap_ok(r == ENOMEM, "posix_memalign(64, SIZE_MAX-32) returns ENOMEM (got %d)", r);
}

/* A failed realloc/reallocarray leaves the block as it was. */
static void test_failed_realloc(void)
{
	static const size_t sizes[] = { 24, 4000, 1 * MiB };

	for (size_t i = 0; i < 3; i++) {
		size_t s = sizes[i];
		void *q = ta.malloc(s), *r;
		int e, e2;

		ta_fill(q, s, s);
		errno = 0;
		r = ta.realloc(q, (size_t)PTRDIFF_MAX + 1);
		e = errno;
		errno = 0;
		void *r2 = ta.reallocarray(q, SIZE_MAX / 2, 3);
		e2 = errno;
		tap_ok(!r && e == ENOMEM && !r2 && e2 == ENOMEM && ta_check(q, s, s) == s,
		       "failed realloc/reallocarray of a %zu B block: NULL, ENOMEM, block intact", s);
		ta.free(q);
	}
}

/* realloc keeps the content while moving across classes and sizes. */
static void test_realloc(void)
{
	static const size_t steps[] = { 1, 15, 16, 17, 100, 1000, 4096, 50000,
		300 * KiB, 2 * MiB, 9 * MiB, 40 * MiB, 64 * MiB, 3 * MiB, 5000,
		64, 7, 200 * KiB, 33 * MiB, 31 };
	unsigned char *q = ta.realloc(NULL, 1);
	size_t have_n = 1;
	int bad = 0;

	ta_fill(q, 1, 99);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		size_t s = steps[i], keep = s < have_n ? s : have_n;

		q = ta.realloc(q, s);
		if (!q || ta_check(q, keep, 99) != keep || !aligned(q, min_align(s)) ||
		    ta.malloc_usable_size(q) < s) {
			tap_diag("realloc to %zu lost the content or alignment", s);
			bad++;
			break;
		}
		ta_fill(q, s, 99);
		have_n = s;
	}
	ta.free(q);
	tap_ok(!bad, "realloc keeps content across all classes, 1 B..64 MiB and back");

	q = ta.reallocarray(NULL, 100, 8);
	ta_fill(q, 800, 5);
	q = ta.reallocarray(q, 1000, 8);
	tap_ok(q && ta_check(q, 800, 5) == 800, "reallocarray grows and keeps content");
	ta.free(q);

	/* realloc(p, 0) frees p (glibc) or returns a minimal block (C23
	 * leaves it undefined): either way it must not crash or leak. */
	q = ta.malloc(100);
	q = ta.realloc(q, 0);
	ta.free(q);
	tap_ok(1, "realloc(p, 0) is accepted");
}

/* Alignment entry points, 8 B .. 8 MiB. */
static void test_alignments(void)
{
	int bad = 0, count = 0;

	for (size_t a = sizeof(void *); a <= 8 * MiB; a *= 2) {
		const size_t sizes[] = { 1, a - 1, a, a + 1, 3 * a };

		for (int i = 0; i < 5; i++, count += 3) {
			size_t s = sizes[i] ? sizes[i] : 1;
			void *p1 = NULL, *p2, *p3;
			int r = ta.posix_memalign(&p1, a, s);

			p2 = ta.aligned_alloc(a, s);
			p3 = ta.memalign(a, s);
			if (r || !p1 || !p2 || !p3 || !aligned(p1, a) || !aligned(p2, a) ||
			    !aligned(p3, a) || ta.malloc_usable_size(p1) < s ||
			    ta.malloc_usable_size(p2) < s || ta.malloc_usable_size(p3) < s) {
				tap_diag("alignment %zu size %zu: %d %p %p %p", a, s, r, p1, p2, p3);
				bad++;
			} else {
				memset(p1, 1, s);
				memset(p2, 2, s);
				memset(p3, 3, s);
			}
			ta.free(p1);
			ta.free(p2);
			ta.free(p3);
		}
	}
	tap_ok(!bad, "posix_memalign, aligned_alloc, memalign: %d blocks aligned 8 B..8 MiB (%d bad)",
	       count, bad);

	void *p = NULL;
	int r = ta.posix_memalign(&p, 64, 0);

	tap_ok(r == 0, "posix_memalign(64, 0) succeeds (%d)", r);
	ta.free(p);
}

static void test_bad_alignments(void)
{
	static const size_t bad_pm[] = { 0, 1, 2, 4, 3, 12, 24, 48, 4097 };
	static const size_t bad_aa[] = { 3, 24, 48, 4097 };
	int wrong = 0;

	for (size_t i = 0; i < sizeof(bad_pm) / sizeof(bad_pm[0]); i++) {
		void *p = NULL;
		int r = ta.posix_memalign(&p, bad_pm[i], 16);

		if (r != EINVAL) {
			tap_diag("posix_memalign(align %zu) returned %d", bad_pm[i], r);
			wrong++;
			if (!r)
				ta.free(p);
		}
	}
	tap_ok(!wrong, "posix_memalign: EINVAL for alignments that are not a power-of-two multiple of sizeof(void *)");

	wrong = 0;
	for (size_t i = 0; i < sizeof(bad_aa) / sizeof(bad_aa[0]); i++) {
		errno = 0;
		void *p = ta.aligned_alloc(bad_aa[i], 64);

		wrong += p || errno != EINVAL;
		ta.free(p);
	}
	ok_unless_glibc(!wrong, "glibc before 2.38 rounds the alignment up",
			"aligned_alloc: NULL, EINVAL for non-power-of-two alignments (%d wrong)", wrong);
}

static void test_page_aligned(void)
{
	void *v = ta.valloc(100), *pv = ta.pvalloc(100), *pz = ta.pvalloc(0);
	size_t u = pv ? ta.malloc_usable_size(pv) : 0;

	tap_ok(v && aligned(v, page) && ta.malloc_usable_size(v) >= 100,
	       "valloc(100) is page-aligned");
	/* jemalloc 5.3 crashes here when pvalloc is glibc's and
	 * malloc_usable_size is its own: both must be ours. */
	tap_ok(pv && aligned(pv, page) && u >= page,
	       "pvalloc(100) is page-aligned, malloc_usable_size %zu >= page %zu", u, page);
	if (pv)
		memset(pv, 7, u);
	tap_ok(pz && aligned(pz, page), "pvalloc(0) returns a page");
	ta.free(v);
	ta.free(pv);
	ta.free(pz);
}

static void test_errno_kept(void)
{
	static const size_t sizes[] = { 0, 16, 5000, 200 * KiB, 4 * MiB, 48 * MiB };
	int changed = 0;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		void *p = ta.malloc(sizes[i]);

		if (sizes[i])
			memset(p, 1, sizes[i]);
		errno = 12345;
		ta.free(p);
		changed += errno != 12345;
	}
	errno = 4321;
	ta.free(NULL);
	changed += errno != 4321;
	tap_ok(!changed, "free preserves errno, 0 B..48 MiB and NULL (%d changed)", changed);
}

static void test_sized_frees(void)
{
	if (have(*(void **)&ta.free_sized, "free_sized")) {
		for (size_t s = 1; s <= 8 * MiB; s = s * 5 + 3) {
			void *p = ta.malloc(s);

			ta.free_sized(p, s);
			p = ta.malloc(s);
			ta.free_sized(p, ta.malloc_usable_size(p));
		}
		ta.free_sized(NULL, 0);
		tap_ok(1, "free_sized with the requested and with the usable size");
	}
	if (have(*(void **)&ta.free_aligned_sized, "free_aligned_sized")) {
		for (size_t a = 16; a <= 4 * MiB; a *= 4) {
			void *p = ta.aligned_alloc(a, 3 * a);

			ta.free_aligned_sized(p, a, 3 * a);
		}
		ta.free_aligned_sized(NULL, 64, 0);
		tap_ok(1, "free_aligned_sized of aligned_alloc blocks 16 B..4 MiB");
	}
	if (have(*(void **)&ta.cfree, "cfree")) {
		ta.cfree(ta.malloc(100));
		ta.cfree(NULL);
		tap_ok(1, "cfree frees");
	}
}

/* Run fn with fd 2 sent to a file; returns the bytes it wrote. */
static long stderr_bytes(void (*fn)(void))
{
	FILE *tmp = tmpfile();
	int saved = dup(2);
	long n;

	fflush(stderr);
	dup2(fileno(tmp), 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = lseek(fileno(tmp), 0, SEEK_END);
	fclose(tmp);
	return n;
}

static void test_introspection(void)
{
	void *hold = ta.malloc(10000);
	int r = ta.malloc_trim(0);

	tap_ok(r == 0 || r == 1, "malloc_trim(0) returns 0 or 1 (%d)", r);
	if (have(*(void **)&ta.malloc_stats, "malloc_stats"))
		tap_ok(stderr_bytes(ta.malloc_stats) > 0, "malloc_stats prints to stderr");
	if (have(*(void **)&ta.mallinfo, "mallinfo")) {
		struct mallinfo mi = ta.mallinfo();

		tap_ok(mi.arena >= 0, "mallinfo returns (arena %d, uordblks %d)",
		       mi.arena, mi.uordblks);
	}
	if (have(*(void **)&ta.mallinfo2, "mallinfo2")) {
		struct mallinfo2 mi = ta.mallinfo2();

		tap_ok(1, "mallinfo2 returns (arena %zu, uordblks %zu)", mi.arena, mi.uordblks);
	}
	if (have(*(void **)&ta.malloc_info, "malloc_info")) {
		FILE *tmp = tmpfile();

		r = ta.malloc_info(0, tmp);
		tap_ok(r == 0 && ftell(tmp) > 0, "malloc_info(0, fp) returns 0 and writes (%d, %ld B)",
		       r, ftell(tmp));
		/* glibc returns EINVAL; its manual says -1 with errno EINVAL. */
		errno = 0;
		r = ta.malloc_info(1, tmp);
		tap_ok(r == EINVAL || (r == -1 && errno == EINVAL),
		       "malloc_info(1, fp) fails with EINVAL (returned %d, errno %d)", r, errno);
		fclose(tmp);
	}
	if (have(*(void **)&ta.mallopt, "mallopt"))
		tap_ok(ta.mallopt(M_TRIM_THRESHOLD, 128 * 1024) == 1,
		       "mallopt(M_TRIM_THRESHOLD, 128 KiB) is accepted");
	ta.free(hold);
}

/* glibc's own code may call the __libc_* names: they are the same heap. */
static void test_libc_aliases(void)
{
	if (!have(*(void **)&ta.libc_malloc, "__libc_malloc") ||
	    !have(*(void **)&ta.libc_free, "__libc_free") ||
	    !have(*(void **)&ta.libc_calloc, "__libc_calloc") ||
	    !have(*(void **)&ta.libc_realloc, "__libc_realloc") ||
	    !have(*(void **)&ta.libc_memalign, "__libc_memalign"))
		return;

	unsigned char *a = ta.libc_malloc(300), *b = ta.malloc(300);

	ta_fill(a, 300, 1);
	a = ta.libc_realloc(a, 70000);
	tap_ok(a && ta_check(a, 300, 1) == 300, "__libc_realloc keeps __libc_malloc's content");
	ta.free(a);
	ta.libc_free(b);
	a = ta.libc_calloc(100, 10);
	tap_ok(a && all_zero(a, 1000), "__libc_calloc zeroes");
	ta.free(a);
	a = ta.libc_memalign(4096, 100);
	tap_ok(a && aligned(a, 4096) && ta.malloc_usable_size(a) >= 100,
	       "__libc_memalign aligns");
	ta.libc_free(a);
	tap_ok(1, "__libc_free and free take each other's blocks");
}

#ifndef HK_TEST_LINKED
/* Under LD_PRELOAD every entry point, as the program binds it, must be
 * libhakmem's: one left to glibc mixes two heaps (jemalloc 5.3's
 * pvalloc crash), and a malloc of the wrong symbol version is never
 * called at all. */
static void test_all_from_hakmem(void)
{
	const struct { const char *name; void *fn; } refs[] = {
#define TA_REF(field, name) { name, *(void **)&ta.field }
		TA_REF(malloc, "malloc"), TA_REF(free, "free"),
		TA_REF(calloc, "calloc"), TA_REF(realloc, "realloc"),
		TA_REF(reallocarray, "reallocarray"),
		TA_REF(posix_memalign, "posix_memalign"),
		TA_REF(aligned_alloc, "aligned_alloc"),
		TA_REF(memalign, "memalign"), TA_REF(valloc, "valloc"),
		TA_REF(pvalloc, "pvalloc"),
		TA_REF(malloc_usable_size, "malloc_usable_size"),
		TA_REF(free_sized, "free_sized"),
		TA_REF(free_aligned_sized, "free_aligned_sized"),
		TA_REF(cfree, "cfree"), TA_REF(malloc_trim, "malloc_trim"),
		TA_REF(malloc_stats, "malloc_stats"),
		TA_REF(mallinfo, "mallinfo"), TA_REF(mallinfo2, "mallinfo2"),
		TA_REF(malloc_info, "malloc_info"), TA_REF(mallopt, "mallopt"),
		TA_REF(libc_malloc, "__libc_malloc"),
		TA_REF(libc_free, "__libc_free"),
		TA_REF(libc_calloc, "__libc_calloc"),
		TA_REF(libc_realloc, "__libc_realloc"),
		TA_REF(libc_memalign, "__libc_memalign"),
#undef TA_REF
	};
	char missing[512] = "";

	if (!ta.is_hakmem)
		return;
	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		Dl_info info;

		if (!refs[i].fn || !dladdr(refs[i].fn, &info) || !info.dli_fname ||
		    !strstr(info.dli_fname, "libhakmem")) {
			strncat(missing, " ", sizeof(missing) - strlen(missing) - 1);
			strncat(missing, refs[i].name, sizeof(missing) - strlen(missing) - 1);
		}
	}
	tap_ok(!missing[0], "every entry point the program calls is libhakmem.so's (not:%s)",
	       missing[0] ? missing : " none");
}
#else
static void test_all_from_hakmem(void)
{
}
#endif

int main(void)
{
	page = (size_t)sysconf(_SC_PAGESIZE);
	ta_start();
	test_all_from_hakmem();
	test_zero();
	test_small_classes();
	test_large_sizes();
	test_waste();
	test_calloc();
	test_overflow();
	test_failed_realloc();
	test_realloc();
	test_alignments();
	test_bad_alignments();
	test_page_aligned();
	test_errno_kept();
	test_sized_frees();
	test_introspection();
	test_libc_aliases();
	return tap_done();
}
