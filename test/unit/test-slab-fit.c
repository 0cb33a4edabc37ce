/* test-slab-fit: where the slabs of the big classes go, and what it
 * costs in page faults.  A superslab's slices left after slabs of a big
 * class hold one more, shorter slab rather than go unused; the holes
 * that frees leave between slabs still in use serve a class whose slabs
 * are longer than the holes, without fresh pages; and a fresh
 * superslab's header costs a page or two, not its whole slice. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "include/hakmem.h"
#include "lib/internal.h"
#include "test/tap.h"

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static void touch(char *p, size_t size)
{
	for (size_t o = 0; o < size; o += 4096)
		p[o] = 1;
}

/* Distinct superslabs among the n blocks of b. */
static int superslabs(void **b, int n)
{
	int count = 0;

	for (int i = 0; i < n; i++) {
		int seen = 0;

		for (int j = 0; j < i && !seen; j++)
			seen = hk_ss_of(b[j]) == hk_ss_of(b[i]);
		count += !seen;
	}
	return count;
}

/* Resident pages of the header slice (slice 0) of each superslab of b;
 * the most of any, or -1 if mincore fails. */
static int header_pages(void **b, int n)
{
	int most = 0;

	for (int i = 0; i < n; i++) {
		unsigned char vec[(1u << HK_SLICE_SHIFT) / 4096];
		int r = 0;

		if (mincore(hk_ss_of(b[i]), sizeof(vec) * 4096, vec) != 0)
			return -1;
		for (size_t k = 0; k < sizeof(vec); k++)
			r += vec[k] & 1;
		if (r > most)
			most = r;
	}
	return most;
}

/* 62 blocks of 64 KiB: a superslab has 63 free slices, room for 31 of
 * them (3 slabs of 16 slices and one of 15), so two superslabs, not
 * three (24 each, 15 slices unused). */
static void test_pack(void)
{
	enum { N = 62 };
	void *b[N];
	int ok = 1, pages;

	for (int i = 0; i < N; i++)
		ok &= (b[i] = hk_malloc(64 * KIB)) != NULL;
	tap_ok(ok, "62 blocks of 64 KiB");
	tap_ok(superslabs(b, N) <= 2, "they take 2 superslabs (%d)",
	       superslabs(b, N));
	pages = header_pages(b, N);
	if (strcmp(hk_backend(), "lazy") != 0)
		tap_skip("the %s backend faults in what it maps", hk_backend());
	else
		tap_ok(pages >= 0 && pages <= 3,
		       "a header slice has at most 3 resident pages (%d)", pages);
	for (int i = 0; i < N; i++)
		hk_free(b[i]);
}

/* Is p in a slab freed by test_holes: slices 1, 17, 33 and 49? */
static int freed(void *p)
{
	return (hk_slab_of(hk_ss_of(p), p)->slice / 8) % 2 == 0;
}

/* 32 MiB of 32 KiB blocks (slabs of 8 slices from slice 1), every
 * other slab freed: holes of 8 slices between slabs in use.  Blocks of
 * 96 KiB (slabs of 12) then fit 2 to a hole: the pages they write are
 * mostly faulted in already.  Without shorter slabs every one of them
 * faults. */
static void test_holes(void)
{
	enum { SMALL = 1024, BIG = 96 };
	static void *small[SMALL], *big[BIG];
	size_t s = 32 * KIB, l = 96 * KIB;
	long before, faults;
	int ok = 1;

	for (int i = 0; i < SMALL; i++) {
		ok &= (small[i] = hk_malloc(s)) != NULL;
		if (small[i])
			touch(small[i], s);
	}
	for (int i = 0; i < SMALL; i++)
		if (small[i] && freed(small[i]))
			hk_free(small[i]);
	before = minflt();
	for (int i = 0; i < BIG; i++) {
		ok &= (big[i] = hk_malloc(l)) != NULL;
		if (big[i])
			touch(big[i], l);
	}
	faults = minflt() - before;
	tap_ok(ok, "blocks of 32 and 96 KiB");
	/* 96 * 24 = 2304 pages written, in the 4000 or so that the frees
	 * left dirty; a quarter of them faulting is far from all. */
	tap_ok(faults < (long)(BIG * l / 4096 / 4),
	       "96 KiB blocks reuse the 8-slice holes: %ld faults for %zu pages",
	       faults, BIG * l / 4096);
	for (int i = 0; i < BIG; i++)
		hk_free(big[i]);
	for (int i = 0; i < SMALL; i++)
		if (small[i] && !freed(small[i]))
			hk_free(small[i]);
}

int main(void)
{
	/* Nothing purged while the test looks at faults. */
	setenv("HAKMEM_PURGE_DELAY_MS", "60000", 1);
	tap_plan(5);
	test_pack();
	test_holes();
	return tap_done();
}
