/* test-large: the large-object cache (lib/large.c) and the OS layer's
 * page moves under it.  Freed blocks' resident pages serve the next
 * requests, also when no one cached block is big enough (the pages of
 * several are moved into a new mapping) and through realloc; contents
 * survive, calloc reads zero, and the resident size of a churn stays
 * near its largest live set.  Page faults are counted with getrusage;
 * the purge delay is set long so nothing is given back mid-test. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "include/hakmem.h"
#include "lib/internal.h"
#include "lib/os.h"
#include "test/tap.h"
#include "test/unit/old-mremap.h"

#define MiB ((size_t)1 << 20)

static long faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static size_t resident(void)
{
	char buf[128] = "";
	unsigned long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (!fgets(buf, sizeof(buf), f) || sscanf(buf, "%lu %lu", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * (size_t)getpagesize();
}

/* One byte per page: every page written, without the time of a memset. */
static void fill(unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i += 4096)
		p[i] = v;
}

static int holds(const unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i += 4096)
		if (p[i] != v)
			return 0;
	return 1;
}

/* Two freed blocks of 20 MiB make one of 40 MiB without faulting. */
static unsigned char *test_gather(void)
{
	unsigned char *a = hk_malloc(20 * MiB), *b = hk_malloc(20 * MiB), *c;
	long before;

	fill(a, 20 * MiB, 1);
	fill(b, 20 * MiB, 2);
	hk_free(a);
	hk_free(b);
	before = faults();
	c = hk_malloc(40 * MiB);
	fill(c, 40 * MiB, 3);
	before = faults() - before;
	tap_ok(c && before < 1024,
	       "40 MiB from two freed blocks of 20 MiB: %ld page faults, not %zu", before,
	       40 * MiB / 4096);
	return c;
}

/* c was gathered from several mappings: growing it must move them all. */
static void test_realloc(unsigned char *c)
{
	unsigned char *d = hk_realloc(c, 100 * MiB);
	uint64_t mapped;

	tap_ok(d && holds(d, 40 * MiB, 3), "realloc of a gathered block to 100 MiB keeps its contents");
	fill(d, 100 * MiB, 4);
	c = hk_realloc(d, 10 * MiB);
	tap_ok(c == d && holds(c, 10 * MiB, 4) && hk_malloc_usable_size(c) < 10 * MiB + 4096,
	       "shrinking it to 10 MiB stays in place, keeps the contents, usable 10 MiB and a page at most");
	mapped = hk_stats[HK_ST_LARGE_BYTES];
	d = hk_calloc(1, 80 * MiB);
	tap_ok(d && holds(d, 80 * MiB, 0) && hk_stats[HK_ST_LARGE_BYTES] == mapped,
	       "calloc of 80 MiB takes the tail given back (nothing mapped) and reads zero");
	hk_free(d);
	hk_free(c);
}

/* A window of 4 blocks of 1 to 16 MiB, each replaced in turn, as
 * bench/large does: resident memory stays near the largest live set,
 * and pages fault about once. */
static void test_churn(void)
{
	unsigned char *slot[4] = { 0 };
	size_t size[4] = { 0 }, live = 0, max_live = 0, base = resident(), peak = 0;
	uint64_t s = 42;
	long f = faults();
	int bad = 0;

	for (int i = 0; i < 200; i++) {
		int k = i % 4;
		size_t n = ((s ^= s << 13, s ^= s >> 7, s ^= s << 17) % (15 * MiB)) + MiB;
		size_t r;

		if (slot[k])
			bad += !holds(slot[k], size[k], (unsigned char)k);
		hk_free(slot[k]);
		live -= size[k];
		slot[k] = hk_malloc(n);
		size[k] = n;
		live += n;
		max_live = live > max_live ? live : max_live;
		fill(slot[k], n, (unsigned char)k);
		r = resident();
		peak = r > peak ? r : peak;
	}
	f = faults() - f;
	for (int k = 0; k < 4; k++)
		hk_free(slot[k]);
	tap_ok(!bad, "churn: every block keeps its contents");
	tap_ok(peak <= base + max_live + 16 * MiB,
	       "churn: peak resident %zu MiB above the start, the largest live set %zu MiB",
	       (peak - base) / MiB, max_live / MiB);
	tap_ok((size_t)f <= (max_live + 16 * MiB) / 4096,
	       "churn: %ld page faults, about one per page of the largest live set (%zu)",
	       f, max_live / 4096);
}

/* hk_os_move moves the pages of a range that spans two kernel mappings
 * (VMAs, made by advice on one half) and leaves the source unmapped. */
static void test_move(void)
{
	size_t len = 8 * MiB;
	unsigned char *src, *dst;
	size_t moved;

	if (hk_os_map(len, HK_CHUNK_SIZE, (void **)&src) || hk_os_map(len, HK_CHUNK_SIZE, (void **)&dst)) {
		tap_ok(0, "hk_os_map for the move test");
		return;
	}
	madvise(src + len / 2, len / 2, MADV_NOHUGEPAGE);
	madvise(src, len / 2, MADV_RANDOM);
	fill(src, len, 7);
	moved = hk_os_move(src, len, dst);
	tap_ok(moved == len && holds(dst, len, 7) && msync(src, 4096, MS_ASYNC) != 0,
	       "hk_os_move of two VMAs: %zu of %zu bytes moved, contents there, source unmapped",
	       moved, len);
	hk_os_unmap(dst, len);
}

/* The tests above in a child on a kernel before 6.17 (old-mremap.h),
 * whose mremap moves one VMA at a time and unmaps the destination of a
 * move it refuses: the blocks keep their contents and no move replaces
 * pages another owner mapped in such a hole. */
static void test_old_kernel(void)
{
	int st = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* Its TAP lines are details for the log, not results. */
		dup2(2, 1);
		hk_old_mremap = 1;
		test_realloc(test_gather());
		test_move();
		tap_ok(hk_old_mremap_damage() == 0,
		       "no move into a hole a refused move left (%d refused, %zu pages replaced)",
		       hk_old_refusals, hk_old_mremap_damage());
		_exit(tap_failed ? 1 : 0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid) {
		tap_ok(0, "fork for the old-kernel tests");
		return;
	}
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "the same where mremap moves one VMA at a time and unmaps the destination of a move it refuses, as before 6.17 (status %#x)",
	       st);
}

int main(void)
{
	setenv("HAKMEM_PURGE_DELAY_MS", "60000", 1);
	tap_plan(9);
	/* First: the library finds out once what a move may span, and
	 * must find it out on the old kernel, as a process there would. */
	test_old_kernel();
	hk_malloc_trim(0);
	test_realloc(test_gather());
	hk_malloc_trim(0);
	test_churn();
	test_move();
	return tap_done();
}
