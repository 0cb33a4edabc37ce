/* test-alloc: a quick smoke test of the hk_* API: sizes across every
 * class and large objects, contents kept through realloc, calloc zeroes,
 * memalign alignments, reuse after free, threads freeing each other's
 * blocks, malloc_trim.  The full conformance suite is test/api. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "include/hakmem.h"
#include "lib/internal.h"
#include "test/tap.h"

static int fill_check(size_t n)
{
	unsigned char *p = hk_malloc(n);
	int ok = p != NULL && ((uintptr_t)p % 16 == 0 || n < 16);

	if (!p)
		return 0;
	memset(p, 0xab, n);
	ok &= hk_malloc_usable_size(p) >= n;
	ok &= p[n ? n - 1 : 0] == (n ? 0xab : p[0]);
	hk_free(p);
	return ok;
}

#define NPASS 20000
static void *passed[NPASS];

static void *consumer(void *arg)
{
	(void)arg;
	for (int i = 0; i < NPASS; i++)
		hk_free(passed[i]);
	return NULL;
}

/* A string grown by one-byte appends to 4 KiB: the contents are kept,
 * and a block that must grow moves into one with room (hk_realloc_move)
 * rather than into the next of the 47 classes up to 4 KiB each time. */
static void test_realloc_growth(void)
{
	char *p = NULL;
	int moves = 0, ok = 1;

	for (size_t n = 1; n <= 4096; n++) {
		char *q = hk_realloc(p, n);

		if (!q) {
			ok = 0;
			break;
		}
		moves += p && q != p;
		ok &= n == 1 || q[n - 2] == (char)(n - 1);
		q[n - 1] = (char)n;
		ok &= hk_malloc_usable_size(q) >= n;
		p = q;
	}
	hk_free(p);
	tap_ok(ok && moves <= 30,
	       "realloc grows a string by one-byte appends to 4 KiB in %d moves (at most 30), contents kept",
	       moves);
}

int main(void)
{
	int ok = 1;
	size_t sizes[] = { 0, 1, 15, 16, 17, 100, 1000, 1040, 4096, 70000,
			   262144, 262145, 1 << 20, 33 << 20 };
	unsigned char *p, *q;
	void *a;
	pthread_t t;

	tap_plan(14);
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(*sizes); i++)
		ok &= fill_check(sizes[i]);
	tap_ok(ok, "malloc/free across classes and large sizes");
	p = hk_malloc(0);
	q = hk_malloc(0);
	tap_ok(p && q && p != q, "malloc(0) is unique");
	hk_free(p);
	hk_free(q);
	ok = 1;
	p = hk_malloc(10);
	memcpy(p, "0123456789", 10);
	for (size_t n = 20; n < (8 << 20); n = n * 3 / 2) {
		p = hk_realloc(p, n);
		ok &= p && memcmp(p, "0123456789", 10) == 0;
	}
	p = hk_realloc(p, 5);
	ok &= p && memcmp(p, "01234", 5) == 0;
	tap_ok(ok, "realloc keeps contents growing into a large object and back");
	tap_ok(hk_realloc(p, 0) == NULL, "realloc(p, 0) frees and returns NULL");
	test_realloc_growth();
	ok = 1;
	for (size_t n = 1; n < (3 << 20); n = n * 2 + 7) {
		p = hk_malloc(n);
		memset(p, 0xff, n);
		hk_free(p);
		p = hk_calloc(1, n);
		for (size_t i = 0; i < n; i++)
			ok &= p[i] == 0;
		hk_free(p);
	}
	tap_ok(ok, "calloc returns zeroed memory, also after reuse");
	errno = 0;
	tap_ok(hk_calloc(SIZE_MAX / 2, 3) == NULL && errno == ENOMEM, "calloc overflow: ENOMEM");
	errno = 0;
	tap_ok(hk_malloc(SIZE_MAX - 10) == NULL && errno == ENOMEM, "huge malloc: ENOMEM");
	ok = 1;
	for (size_t al = 32; al <= (4 << 20); al *= 2)
		for (size_t n = 1; n < 20000; n = n * 5 + 3) {
			a = hk_memalign(al, n);
			ok &= a && (uintptr_t)a % al == 0 && hk_malloc_usable_size(a) >= n;
			hk_free(a);
		}
	tap_ok(ok, "memalign honours alignments 32 B .. 4 MiB");
	tap_ok(hk_posix_memalign(&a, 24, 8) == EINVAL && hk_aligned_alloc(3, 8) == NULL,
	       "bad alignments: EINVAL");
	p = hk_malloc(64);
	hk_free(p);
	ok = 0;
	for (int i = 0; i < 5000 && !ok; i++) {
		q = hk_malloc(64);
		ok = p == q;
		passed[i] = q;
	}
	for (int i = 0; i < 5000 && passed[i]; i++)
		hk_free(passed[i]), passed[i] = NULL;
	tap_ok(ok, "a freed block is reused");
	for (int i = 0; i < NPASS; i++)
		passed[i] = hk_malloc((size_t)(i % 500) + 1);
	pthread_create(&t, NULL, consumer, NULL);
	pthread_join(t, NULL);
	ok = 1;
	for (int i = 0; i < NPASS; i++) {
		p = hk_malloc((size_t)(i % 500) + 1);
		ok &= p != NULL;
		passed[i] = p;
	}
	for (int i = 0; i < NPASS; i++)
		hk_free(passed[i]);
	tap_ok(ok, "blocks freed by another thread come back");
	/* With no purge delay every slow path releases idle slabs: blocks
	 * handed out around those releases must stay valid. */
	hk_purge_delay = 0;
	ok = 1;
	for (int i = 0; i < NPASS; i++) {
		size_t n = (size_t)(i * 7919 % 20000) + 1;

		passed[i] = hk_malloc(n);
		ok &= passed[i] != NULL;
		memset(passed[i], i & 255, n < 64 ? n : 64);
		if (i % 3 == 0) {
			hk_free(passed[i / 2]);
			passed[i / 2] = hk_malloc(n);
			ok &= passed[i / 2] != NULL;
		}
		if (i % 1000 == 0)
			hk_malloc_trim(0);
	}
	for (int i = 0; i < NPASS; i++)
		hk_free(passed[i]);
	tap_ok(ok, "blocks stay valid while idle slabs are released (no purge delay)");
	hk_purge_delay = 100;
	p = hk_malloc(40 << 20);
	memset(p, 1, 40 << 20);
	hk_free(p);
	tap_ok(hk_malloc_trim(0) == 1, "malloc_trim releases memory");
	return tap_done();
}
