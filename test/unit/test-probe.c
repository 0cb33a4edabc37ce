/* test-probe: the whole probe: live facts are sane and cheap enough to
 * report, every fixture tree probes, the source names. */
#include <errno.h>
#include <string.h>

#include "test/unit/probe-fixture.h"
#include "test/tap.h"

static const char *const machines[] = {
	"kvm-6.18", "rhel7-3.10", "rhel8-4.18", "thp-never", "thp-always",
	"no-thp", "no-hugetlbfs", "hugetlb-pool", "container-memmax", "thp-defer",
};

static void test_live(void)
{
	struct hk_caps c;

	hk_probe(&c, "", 0);
	tap_ok(c.release[0] && c.kmajor >= 2 && c.page_size >= 4096 && c.ncpu >= 1,
	       "live: %s, page %zu, %ld CPUs", c.release, c.page_size, c.ncpu);
	tap_ok(c.probe_ns > 0, "live: probe took %llu ns (reported, not asserted)",
	       (unsigned long long)c.probe_ns);
	if (c.populate_write.state == HK_FEAT_NO && c.populate_write.err == EINVAL)
		tap_skip("MADV_POPULATE_WRITE gives EINVAL on %s", c.release);
	else
		tap_ok(c.populate_write.state == HK_FEAT_YES,
		       "live: populate_write is yes on %s", c.release);
}

int main(void)
{
	struct hk_caps c;

	test_live();
	for (size_t i = 0; i < sizeof(machines) / sizeof(machines[0]); i++) {
		probe_fixture(&c, machines[i]);
		tap_ok(c.release[0] && c.kmajor >= 3 && c.release_src == HK_SRC_SYSCALL &&
		       c.page_size == 4096 && c.ncpu >= 1 && c.thp_src == HK_SRC_SYSFS &&
		       c.vm_src == HK_SRC_PROCFS && c.caps_src == HK_SRC_PROCFS &&
		       c.populate_write.state != HK_FEAT_UNKNOWN,
		       "%s: %s, every reader found its files", machines[i], c.release);
	}
	tap_ok(strcmp(hk_src_name(HK_SRC_TRIAL), "trial") == 0 &&
	       strcmp(hk_src_name(HK_SRC_DEFAULT), "default") == 0 &&
	       strcmp(hk_src_name((enum hk_src)99), "?") == 0, "source names");
	return tap_done();
}
