/* test-os-demote.c: the OS layer on a kernel that refuses a feature.
 * Run by test-os-demote.sh under test/sim/hk-seccomp, one scenario per
 * run (the first argument); prints TAP lines that the script renumbers.
 *
 *   populate  MADV_POPULATE_WRITE fails EINVAL, as before 5.14
 *   hugetlb   MAP_HUGETLB fails ENOMEM, as with an empty pool
 *   free      MADV_FREE fails EINVAL, as before 4.5
 *   fallback  both: the fallbacks below a backend (populate -> touch in
 *             thp's prefault, MADV_FREE -> MADV_DONTNEED) keep the
 *             backend, and each is counted once (probe/chunk.h)
 *
 * Each checks the probe (it must see the refusal), the selection (an
 * explicit HAKMEM_BACKEND is demoted at once), then the run-time path: the
 * layer is started on the facts as a probe made before the refusal would
 * have found them (a pool drained after the probe, say), so the first
 * failing call must demote once, be counted, and still be served.
 */
#include <errno.h>

#include "probe/chunk.h"
#include "lib/os-impl.h"
#include "test/unit/os-test.h"
#include "test/tap.h"

#define NCHUNKS 6

static struct hk_caps caps;

/* Every chunk served, writable, and each keeps its own contents. */
static void check_chunks(const char *what)
{
	void *p[NCHUNKS];
	bool fresh, ok = true;

	for (int i = 0; i < NCHUNKS; i++) {
		ok &= hk_os_chunk_alloc(HK_CHUNK_SIZE, &p[i], &fresh) == 0 && fresh;
		if (ok)
			memset(p[i], i + 1, HK_CHUNK_SIZE);
	}
	for (int i = 0; ok && i < NCHUNKS; i++)
		ok &= ((char *)p[i])[HK_CHUNK_SIZE - 1] == i + 1;
	tap_ok(ok, "%s: %d chunks served and usable", what, NCHUNKS);
}

static void check_select(enum hk_backend_id want, const char *fact)
{
	struct hk_select_in in = { want, HK_PREFAULT_UNSET };
	struct hk_choice ch;

	hk_select(&caps, &in, &ch);
	tap_ok(ch.backend != want && strstr(ch.reason, fact),
	       "HAKMEM_BACKEND=%s demoted by select: %s", hk_backend_name(want), ch.reason);
}

/* Start the layer on caps with HAKMEM_BACKEND=want, then allocate. */
static void check_runtime(enum hk_backend_id want)
{
	const char *name = hk_backend_name(want);
	struct hk_os_counters c;

	setenv("HAKMEM_BACKEND", name, 1);
	hk_os_init_caps(&caps);
	if (!tap_ok(hk_os_current()->id == want, "run time: started as %s (%s)",
		    hk_os_current()->name, hk_os_choice()->reason))
		return;
	check_chunks(name);
	hk_os_counters(want, &c);
	tap_ok(c.demotions == 1 && hk_os_current()->id == hk_backend_demote(want),
	       "%s demoted once at run time (%llu), now %s", name,
	       (unsigned long long)c.demotions, hk_os_current()->name);
}

static void scenario_populate(void)
{
	void *p = NULL;

	tap_ok(hk_os_lazy.acquire(HK_CHUNK_SIZE, HK_CHUNK_SIZE, &p) == 0 &&
	       hk_os_populate.prefault(p, HK_CHUNK_SIZE) == EINVAL,
	       "populate backend reports EINVAL itself (filter active)");
	tap_ok(caps.populate_write.state == HK_FEAT_NO && caps.populate_write.err == EINVAL,
	       "probe: MADV_POPULATE_WRITE no (EINVAL)");
	check_select(HK_BACKEND_POPULATE, "MADV_POPULATE_WRITE");
	caps.populate_write = (struct hk_trial){ HK_FEAT_YES, 0 };
	check_runtime(HK_BACKEND_POPULATE);
}

static void scenario_hugetlb(void)
{
	void *p = NULL;

	tap_ok(hk_os_hugetlb.acquire(HK_CHUNK_SIZE, HK_CHUNK_SIZE, &p) == ENOMEM,
	       "hugetlb backend reports ENOMEM itself (filter active)");
	tap_ok(caps.map_hugetlb.state == HK_FEAT_NO, "probe: MAP_HUGETLB no (errno %d)",
	       caps.map_hugetlb.err);
	check_select(HK_BACKEND_HUGETLB, "");
	/* A 2 MiB pool with free pages and a trial that worked. */
	caps.hugetlbfs_registered = 1;
	caps.huge_default_kb = 2048;
	caps.npools = 1;
	caps.pools[0] = (struct hk_hugepool){ .size_kb = 2048, .total = 64, .free = 64 };
	caps.map_hugetlb = (struct hk_trial){ HK_FEAT_YES, 0 };
	check_runtime(HK_BACKEND_HUGETLB);
}

static void scenario_free(void)
{
	size_t len = 4 * MIB;
	bool zeroed = false;
	void *p = NULL;
	int err;

	tap_ok(caps.madv_free.state == HK_FEAT_NO, "probe: MADV_FREE no (errno %d)",
	       caps.madv_free.err);
	caps.madv_free = (struct hk_trial){ HK_FEAT_YES, 0 };
	setenv("HAKMEM_BACKEND", "lazy", 1);
	hk_os_init_caps(&caps);
	tap_ok(hk_os_choice()->purge == HK_PURGE_DONTNEED,
	       "run time: MADV_DONTNEED chosen, though MADV_FREE works");
	/* The MADV_FREE mode the layer still supports must fall back. */
	hk_os_purge_mode = HK_PURGE_FREE;
	if (hk_os_map(len, 0, &p) != 0) {
		tap_ok(0, "free: map");
		return;
	}
	memset(p, 3, len);
	err = hk_os_purge(p, len, &zeroed);
	tap_ok(err == 0 && zeroed && os_test_zero(p, len),
	       "free: purge fell back to MADV_DONTNEED (err %d, zeroed %d)", err, zeroed);
	tap_ok(hk_os_purge_mode == HK_PURGE_DONTNEED, "free: MADV_DONTNEED from now on");
	hk_os_unmap(p, len);
}

static void scenario_fallback(void)
{
	struct hk_os_counters c;
	size_t len = 4 * MIB;
	bool zeroed = false;
	void *p = NULL;

	if (!hk_dense_thp_ok(&caps)) {
		tap_skip("fallback: needs THP madvise/always and MADV_HUGEPAGE");
		tap_skip("fallback: no thp backend");
		tap_skip("fallback: no purge to check");
		return;
	}
	setenv("HAKMEM_BACKEND", "thp", 1);
	setenv("HAKMEM_SS_PREFAULT", "1", 1);
	hk_os_init_caps(&caps);
	check_chunks("thp, prefault 1, no MADV_POPULATE_WRITE");
	hk_os_counters(HK_BACKEND_AUTO, &c);
	tap_ok(c.fallbacks == 1 && c.demotions == 0 && c.prefaults >= 2 &&
	       hk_os_current()->id == HK_BACKEND_THP,
	       "populate -> touch: counted once (%llu), %llu prefaults, still %s",
	       (unsigned long long)c.fallbacks, (unsigned long long)c.prefaults,
	       hk_os_current()->name);
	hk_os_purge_mode = HK_PURGE_FREE;
	if (hk_os_map(len, 0, &p) != 0) {
		tap_ok(0, "fallback: map");
		return;
	}
	memset(p, 3, len);
	hk_os_purge(p, len, &zeroed);
	hk_os_purge(p, len, &zeroed);
	hk_os_counters(HK_BACKEND_AUTO, &c);
	tap_ok(zeroed && c.fallbacks == 2 && hk_os_purge_mode == HK_PURGE_DONTNEED,
	       "MADV_FREE -> MADV_DONTNEED: counted once (%llu fallbacks in all)",
	       (unsigned long long)c.fallbacks);
	hk_os_unmap(p, len);
}

int main(int argc, char **argv)
{
	const char *s = argc > 1 ? argv[1] : "";

	hk_probe(&caps, "", 0);
	if (!strcmp(s, "populate"))
		scenario_populate();
	else if (!strcmp(s, "hugetlb"))
		scenario_hugetlb();
	else if (!strcmp(s, "free"))
		scenario_free();
	else if (!strcmp(s, "fallback"))
		scenario_fallback();
	else
		tap_ok(0, "unknown scenario '%s'", s);
	return tap_done();
}
