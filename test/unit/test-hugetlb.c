/* test-hugetlb: hugetlbfs registration, pools, mounts and the MAP_HUGETLB
 * trial rule, from fixtures and live. */
#include <errno.h>

#include "test/unit/probe-fixture.h"
#include "probe/readers.h"
#include "test/tap.h"

static void test_pool(void)
{
	struct hk_caps c;

	probe_fixture(&c, "hugetlb-pool");
	tap_ok(c.hugetlbfs_registered && c.huge_default_kb == 2048 &&
	       c.hugetlb_src == HK_SRC_PROCFS, "hugetlb-pool: registered, default 2048 kB");
	tap_ok(c.npools == 2 && c.pools[0].size_kb == 2048 && c.pools[0].total == 512 &&
	       c.pools[0].free == 500 && c.pools[0].resv == 10 && c.pools[0].surplus == 0,
	       "hugetlb-pool: 2 MiB pool 512 total, 500 free, 10 reserved");
	tap_ok(c.pools[1].size_kb == 1048576 && c.pools[1].total == 4 && c.pools[1].free == 4,
	       "hugetlb-pool: 1 GiB pool 4 of 4 free, sorted after 2 MiB");
	tap_ok(c.hugetlbfs_mounts == 2, "hugetlb-pool: two hugetlbfs mounts");
	tap_ok(hk_hugepool_has_free(&c) && c.map_hugetlb.state == HK_FEAT_YES,
	       "hugetlb-pool: a free page, trial result from the tree: yes");
	hk_probe(&c, fixture("hugetlb-pool"), HK_PROBE_DETAILS | HK_PROBE_NO_TRIALS);
	tap_ok(c.map_hugetlb.state == HK_FEAT_UNKNOWN, "hugetlb-pool without trials: unknown");
	hk_probe(&c, fixture("hugetlb-pool"), 0);
	tap_ok(c.npools == 1 && c.pools[0].size_kb == 2048 && c.pools[0].free == 500 &&
	       c.hugetlbfs_mounts == -1, "without HK_PROBE_DETAILS: only the default pool, from meminfo");
}

/* default_hugepagesz=1G: the pool the backend maps from is the 2 MiB
 * one, empty, whatever the default pool holds (the probe read the
 * default pool alone, and took it for the backend's). */
static void test_gigantic(void)
{
	struct hk_caps c;
	const struct hk_hugepool *p2, *p1g;

	for (int lean = 0; lean < 2; lean++) {
		if (lean)
			hk_probe(&c, fixture("gigantic"), HK_PROBE_LEAN | HK_PROBE_HUGETLB);
		else
			probe_fixture(&c, "gigantic");
		p2 = hk_hugepool_find(&c, 2048);
		p1g = hk_hugepool_find(&c, 1048576);
		tap_ok(c.huge_default_kb == 1048576 && c.npools == 2 && p2 && p2->total == 0 &&
		       p1g && p1g->free == 2,
		       "gigantic%s: default 1 GiB with 2 free, the 2 MiB pool read too, empty",
		       lean ? " (lean, as the library probes)" : "");
		tap_ok(!hk_hugepool_has_free(&c) && c.map_hugetlb.state == HK_FEAT_NO &&
		       c.map_hugetlb.err == ENOMEM,
		       "gigantic%s: no 2 MiB page to map: not tried, NO with ENOMEM",
		       lean ? " (lean)" : "");
	}
}

static void test_empty(void)
{
	struct hk_caps c;

	probe_fixture(&c, "kvm-6.18");
	tap_ok(c.hugetlbfs_registered && c.npools == 2 && c.pools[0].total == 0 &&
	       c.hugetlbfs_mounts == 0, "kvm-6.18: registered, two empty pools, no mount");
	tap_ok(!hk_hugepool_has_free(&c) && c.map_hugetlb.state == HK_FEAT_NO &&
	       c.map_hugetlb.err == ENOMEM, "kvm-6.18: empty pool: not tried, NO with ENOMEM");
	probe_fixture(&c, "no-hugetlbfs");
	tap_ok(!c.hugetlbfs_registered && c.npools == 0 && c.huge_default_kb == 0 &&
	       c.hugetlbfs_mounts == 0, "no-hugetlbfs: nothing registered, no pool");
	tap_ok(c.map_hugetlb.state == HK_FEAT_NO && c.map_hugetlb.err == ENOSYS,
	       "no-hugetlbfs: NO with ENOSYS");
	hk_probe(&c, fixture("no-hugetlbfs"), 0);
	tap_ok(!c.hugetlbfs_registered, "no-hugetlbfs without details: no Hugepagesize, not registered");
	probe_fixture(&c, "uname26");
	tap_ok(c.hugetlb_src == HK_SRC_NONE && c.map_hugetlb.state == HK_FEAT_UNKNOWN,
	       "a tree without the files: unknown");
}

static void test_live(void)
{
	struct hk_caps c;

	hk_probe(&c, "", HK_PROBE_DETAILS);
	if (!c.hugetlbfs_registered) {
		tap_ok(c.map_hugetlb.state == HK_FEAT_NO, "live: no hugetlbfs, MAP_HUGETLB no");
		return;
	}
	tap_ok(c.huge_default_kb >= 64 && c.npools >= 1 && c.hugetlbfs_mounts >= 0,
	       "live: default %llu kB, %d pools, %d mounts",
	       (unsigned long long)c.huge_default_kb, c.npools, c.hugetlbfs_mounts);
	if (hk_hugepool_has_free(&c))
		tap_ok(c.map_hugetlb.state != HK_FEAT_UNKNOWN, "live: pool has pages, trial %s (errno %d)",
		       c.map_hugetlb.state == HK_FEAT_YES ? "yes" : "no", c.map_hugetlb.err);
	else
		tap_ok(c.map_hugetlb.state == HK_FEAT_NO && c.map_hugetlb.err == ENOMEM,
		       "live: pool empty, trial skipped: NO with ENOMEM");
}

int main(void)
{
	test_pool();
	test_gigantic();
	test_empty();
	test_live();
	return tap_done();
}
