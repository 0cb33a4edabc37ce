/* test-dense-alloc.c: the allocator under HAKMEM_BACKEND=auto promotes
 * fresh chunks that the program touches completely, and only those.
 * Run by test-dense-alloc.sh, one scenario per process (the first
 * argument; the promotion state is per process), some under a simulated
 * kernel; prints TAP lines that the script renumbers.
 *
 *   all      every page of 96 MiB of 64 KiB blocks written: chunks
 *            promoted (huge pages or populate, whichever wins here)
 *   tenth    one page in ten written: no chunk promoted
 *   populate every page, on a kernel without THP: populate only
 *   lazy     every page, without THP nor MADV_POPULATE_WRITE: with
 *            nothing to promote to, no probe is measured (mincore would
 *            buy nothing) and every chunk stays lazy
 *   nohuge   every page, THP disabled for the process after the probe
 *            (PR_SET_THP_DISABLE: MADV_HUGEPAGE accepted, no huge page
 *            faulted): the trials lose, populate takes over
 *   off      every page, HAKMEM_DENSE=0: no probe, no promotion
 *   release  a chunk promoted to THP, given back to the chunk cache,
 *            loses its MADV_HUGEPAGE (VmFlags in /proc/self/smaps)
 */
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "include/hakmem.h"
#include "lib/os-dense.h"
#include "lib/os.h"
#include "test/tap.h"

#define TOTAL ((size_t)96 << 20)
#define BLOCK ((size_t)64 << 10)
#define NBLOCKS (TOTAL / BLOCK)

static char *blocks[NBLOCKS];

/* Write one byte per page in step; false if a block is missing or does
 * not keep what was written. */
static bool fill(size_t step)
{
	bool ok = true;

	for (size_t i = 0; i < NBLOCKS; i++) {
		blocks[i] = hk_malloc(BLOCK);
		if (!blocks[i])
			return false;
		for (size_t o = 0; o < BLOCK; o += step)
			blocks[i][o] = (char)(i + 1);
	}
	for (size_t i = 0; i < NBLOCKS; i++) {
		ok &= blocks[i][0] == (char)(i + 1);
		hk_free(blocks[i]);
	}
	return ok;
}

static bool thp_possible(void)
{
	const struct hk_caps *c = hk_os_caps();

	return (c->thp_enabled == HK_THP_MADVISE || c->thp_enabled == HK_THP_ALWAYS) &&
	       c->madv_hugepage.state == HK_FEAT_YES;
}

static bool populate_possible(void)
{
	return hk_os_caps()->populate_write.state == HK_FEAT_YES;
}

static void report(const char *mode, const struct hk_dense_counters *d)
{
	tap_diag("%s: probes %llu, sampled %llu (dense %llu), thp %llu, populate %llu, "
		 "slow trials %llu, failures %llu", mode,
		 (unsigned long long)d->probes, (unsigned long long)d->sampled,
		 (unsigned long long)d->dense, (unsigned long long)d->thp,
		 (unsigned long long)d->populate, (unsigned long long)d->trials_slow,
		 (unsigned long long)d->failures);
}

static void check(const char *mode, const struct hk_dense_counters *d)
{
	uint64_t promoted = d->thp + d->populate;

	if (strcmp(mode, "tenth") == 0) {
		tap_ok(d->sampled > 0 && d->dense == 0 && promoted == 0,
		       "tenth: probes sampled, none dense, nothing promoted");
	} else if (strcmp(mode, "all") == 0) {
		if (!thp_possible() && !populate_possible())
			tap_skip("all: neither THP nor MADV_POPULATE_WRITE here");
		else
			tap_ok(d->dense > 0 && promoted >= NBLOCKS * BLOCK / HK_CHUNK_SIZE / 3,
			       "all: dense probes, chunks promoted");
	} else if (strcmp(mode, "populate") == 0) {
		tap_ok(d->thp == 0 && d->populate > 0 && d->failures == 0,
		       "no THP: dense chunks populated");
	} else if (strcmp(mode, "lazy") == 0) {
		tap_ok(d->probes > 0 && d->sampled == 0 && promoted == 0 && d->failures == 0,
		       "no THP, no populate: nothing measured, chunks stay lazy");
	} else if (strcmp(mode, "nohuge") == 0) {
		if (!thp_possible() || !populate_possible())
			tap_skip("nohuge: needs THP madvise/always and MADV_POPULATE_WRITE");
		else
			tap_ok(d->thp == 0 && d->trials_slow > 0 && d->populate > 0,
			       "no huge page faulted: trials lose, populate takes over");
	} else {
		tap_ok(d->probes == 0 && promoted == 0, "HAKMEM_DENSE=0: no probe, no promotion");
	}
}

/* Whether the mapping that holds p lists flag (two letters) among its
 * VmFlags. */
static bool vma_has(const void *p, const char *flag)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false, has = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
		else if (in && strncmp(line, "VmFlags:", 8) == 0) {
			for (char *t = strtok(line + 8, " \n"); t; t = strtok(NULL, " \n"))
				has |= strcmp(t, flag) == 0;
			break;
		}
	}
	fclose(f);
	return has;
}

static int check_release(void)
{
	void *p;
	bool fresh;

	if (!thp_possible()) {
		tap_skip("release: needs THP madvise/always and MADV_HUGEPAGE");
		tap_skip("release: no THP chunk to give back");
		return tap_done();
	}
	if (hk_os_chunk_alloc(HK_CHUNK_SIZE, &p, &fresh) != 0) {
		tap_ok(false, "release: a chunk");
		tap_skip("release: no chunk");
		return tap_done();
	}
	hk_dense_apply(p, HK_CHUNK_SIZE, HK_DENSE_THP);
	tap_ok(vma_has(p, "hg"), "release: a chunk promoted to THP is MADV_HUGEPAGE");
	hk_os_chunk_free(p, HK_CHUNK_SIZE);
	tap_ok(vma_has(p, "nh") && !vma_has(p, "hg"),
	       "release: given back to the cache, it is MADV_NOHUGEPAGE");
	return tap_done();
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "all";
	struct hk_dense_counters d;
	bool ok;

	tap_plan(2);
	unsetenv("HAKMEM_BACKEND");
	unsetenv("HAKMEM_SS_PREFAULT");
	if (hk_os_choice()->backend != HK_BACKEND_LAZY) {
		tap_skip("auto chose %s here, not lazy pages",
			 hk_backend_name(hk_os_choice()->backend));
		tap_skip("no probes");
		return tap_done();
	}
	if (strcmp(mode, "release") == 0)
		return check_release();
	if (strcmp(mode, "nohuge") == 0)
		prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	ok = fill(strcmp(mode, "tenth") == 0 ? 40960 : 4096);
	tap_ok(ok, "%s: %zu blocks of %zu KiB written and intact", mode, NBLOCKS, BLOCK >> 10);
	hk_dense_counters(&d);
	report(mode, &d);
	check(mode, &d);
	return tap_done();
}
