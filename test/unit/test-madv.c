/* test-madv: the trials, read from fixtures' trials files and run live. */
#include <errno.h>

#include "test/unit/probe-fixture.h"
#include "test/tap.h"

static void test_fixtures(void)
{
	struct hk_caps c;

	probe_fixture(&c, "rhel7-3.10");
	tap_ok(c.populate_write.state == HK_FEAT_NO && c.populate_write.err == EINVAL &&
	       c.populate_read.state == HK_FEAT_NO, "rhel7-3.10: populate no (EINVAL)");
	tap_ok(c.madv_free.state == HK_FEAT_NO && c.map_populate.state == HK_FEAT_YES,
	       "rhel7-3.10: MADV_FREE no, MAP_POPULATE yes");
	tap_ok(c.fixed_noreplace.state == HK_FEAT_NO && c.fixed_noreplace.err == 0,
	       "rhel7-3.10: MAP_FIXED_NOREPLACE taken as a hint (no, errno 0)");
	probe_fixture(&c, "rhel8-4.18");
	tap_ok(c.populate_write.state == HK_FEAT_NO && c.madv_free.state == HK_FEAT_YES &&
	       c.fixed_noreplace.state == HK_FEAT_YES, "rhel8-4.18: populate no, MADV_FREE and NOREPLACE yes");
	probe_fixture(&c, "no-thp");
	tap_ok(c.madv_hugepage.state == HK_FEAT_NO && c.madv_hugepage.err == EINVAL,
	       "no-thp: MADV_HUGEPAGE rejected");
	hk_probe(&c, fixture("rhel7-3.10"), HK_PROBE_NO_TRIALS);
	tap_ok(c.populate_write.state == HK_FEAT_UNKNOWN && c.madv_free.state == HK_FEAT_UNKNOWN,
	       "HK_PROBE_NO_TRIALS leaves a tree's trials unknown");
	probe_fixture(&c, "uname26");
	tap_ok(c.populate_write.state == HK_FEAT_UNKNOWN, "a tree without a trials file: unknown");
}

static const char *state(const struct hk_trial *t)
{
	return t->state == HK_FEAT_YES ? "yes" : t->state == HK_FEAT_NO ? "no" : "unknown";
}

static void test_live(void)
{
	struct hk_caps c;

	hk_probe(&c, "", HK_PROBE_NO_TRIALS);
	tap_ok(c.populate_write.state == HK_FEAT_UNKNOWN && c.map_populate.state == HK_FEAT_UNKNOWN,
	       "live with HK_PROBE_NO_TRIALS: nothing tried");
	errno = 1234;
	hk_probe(&c, "", 0);
	tap_ok(errno == 1234, "hk_probe keeps errno across its failed trials");
	tap_ok(c.populate_write.state != HK_FEAT_UNKNOWN && c.map_populate.state != HK_FEAT_UNKNOWN &&
	       c.madv_free.state != HK_FEAT_UNKNOWN && c.fixed_noreplace.state != HK_FEAT_UNKNOWN &&
	       c.madv_hugepage.state != HK_FEAT_UNKNOWN && c.populate_read.state != HK_FEAT_UNKNOWN,
	       "live: every trial ran (populate_write %s/%d, free %s, noreplace %s, hugepage %s)",
	       state(&c.populate_write), c.populate_write.err, state(&c.madv_free),
	       state(&c.fixed_noreplace), state(&c.madv_hugepage));
	tap_ok(c.map_populate.state == HK_FEAT_YES, "live: MAP_POPULATE populates (mincore)");
	if (c.populate_write.state == HK_FEAT_NO && c.populate_write.err == EINVAL)
		tap_skip("MADV_POPULATE_WRITE gives EINVAL: a pre-5.14 kernel");
	else
		tap_ok(c.populate_write.state == HK_FEAT_YES && c.populate_read.state == HK_FEAT_YES,
		       "live: MADV_POPULATE_WRITE and _READ work on %s", c.release);
}

int main(void)
{
	test_fixtures();
	test_live();
	return tap_done();
}
