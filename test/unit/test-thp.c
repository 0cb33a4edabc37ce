/* test-thp: THP mode, defrag and PMD size from fixtures and live. */
#include <string.h>

#include "test/unit/probe-fixture.h"
#include "test/tap.h"

static void expect(const char *m, enum hk_thp_mode mode, enum hk_thp_defrag defrag,
		   enum hk_src pmd_src)
{
	struct hk_caps c;

	probe_fixture(&c, m);
	tap_ok(c.thp_enabled == mode && c.thp_defrag == defrag &&
	       c.thp_pmd_size == 2 << 20 && c.thp_pmd_src == pmd_src &&
	       c.thp_src == HK_SRC_SYSFS, "%s: enabled=%s defrag=%s pmd %zu (%s)", m,
	       hk_thp_mode_name(c.thp_enabled), hk_thp_defrag_name(c.thp_defrag),
	       c.thp_pmd_size, hk_src_name(c.thp_pmd_src));
}

static void test_live(void)
{
	struct hk_caps c;
	char line[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	hk_probe(&c, "", HK_PROBE_NO_TRIALS | HK_PROBE_DETAILS);
	if (!f) {
		tap_ok(c.thp_enabled == HK_THP_ABSENT, "live: no THP directory, absent");
		return;
	}
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	tap_ok(c.thp_enabled != HK_THP_ABSENT && c.thp_enabled != HK_THP_UNKNOWN &&
	       strstr(line, "[") && strncmp(strstr(line, "[") + 1, hk_thp_mode_name(c.thp_enabled),
					    strlen(hk_thp_mode_name(c.thp_enabled))) == 0,
	       "live: enabled=%s matches '%.*s'", hk_thp_mode_name(c.thp_enabled),
	       (int)strcspn(line, "\n"), line);
	tap_ok(c.thp_defrag != HK_DEFRAG_ABSENT && c.thp_defrag != HK_DEFRAG_UNKNOWN &&
	       c.thp_pmd_size >= c.page_size, "live: defrag=%s pmd %zu",
	       hk_thp_defrag_name(c.thp_defrag), c.thp_pmd_size);
}

int main(void)
{
	struct hk_caps c;

	expect("kvm-6.18", HK_THP_MADVISE, HK_DEFRAG_MADVISE, HK_SRC_SYSFS);
	expect("thp-never", HK_THP_NEVER, HK_DEFRAG_MADVISE, HK_SRC_SYSFS);
	expect("thp-always", HK_THP_ALWAYS, HK_DEFRAG_MADVISE, HK_SRC_SYSFS);
	expect("thp-defer", HK_THP_MADVISE, HK_DEFRAG_DEFER, HK_SRC_SYSFS);
	expect("rhel7-3.10", HK_THP_ALWAYS, HK_DEFRAG_ALWAYS, HK_SRC_DEFAULT);
	expect("no-thp", HK_THP_ABSENT, HK_DEFRAG_ABSENT, HK_SRC_DEFAULT);
	/* The policy reads defrag where THP could be used, and only there. */
	hk_probe(&c, fixture("kvm-6.18"), 0);
	tap_ok(c.thp_enabled == HK_THP_MADVISE && c.thp_defrag == HK_DEFRAG_MADVISE,
	       "without HK_PROBE_DETAILS defrag is read when THP is madvise");
	hk_probe(&c, fixture("thp-never"), 0);
	tap_ok(c.thp_enabled == HK_THP_NEVER && c.thp_defrag == HK_DEFRAG_UNKNOWN,
	       "without HK_PROBE_DETAILS defrag is not read when THP is never");
	tap_ok(strcmp(hk_thp_mode_name(HK_THP_ALWAYS), "always") == 0 &&
	       strcmp(hk_thp_defrag_name(HK_DEFRAG_DEFER_MADVISE), "defer+madvise") == 0 &&
	       strcmp(hk_thp_mode_name((enum hk_thp_mode)42), "?") == 0, "enum names");
	test_live();
	return tap_done();
}
