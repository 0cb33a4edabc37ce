/* test-dense.c: the dense promotion policy of probe/chunk.c, a pure state machine:
 * densities and THP trial times in, probe/promote/back-off out. */
#include "probe/chunk.h"
#include "test/tap.h"

#define PAGES 512
#define DENSE (PAGES * HK_DENSE_PCT / 100 + 1)
#define SPARSE (PAGES / 10)
#define FAST 200000u		/* a warm huge page: about 0.2 ms */
#define SLOW 3000000u		/* one the hypervisor took back: about 3 ms */

/* n decisions; counts of each act into acts[]. */
static void run(struct hk_dense *s, int n, int acts[3])
{
	acts[0] = acts[1] = acts[2] = 0;
	for (int i = 0; i < n; i++)
		acts[hk_dense_next(s)]++;
}

static void dense(struct hk_dense *s, int n)
{
	for (int i = 0; i < n; i++)
		hk_dense_sample(s, DENSE, PAGES);
}

static void check_start(void)
{
	struct hk_dense s;
	int a[3];

	hk_dense_init(&s, true, true);
	run(&s, 20, a);
	tap_ok(a[HK_DENSE_PROBE] == 20, "nothing measured: every chunk a probe");
	dense(&s, HK_DENSE_STREAK - 1);
	tap_ok(hk_dense_next(&s) == HK_DENSE_PROBE, "one dense probe is not enough");
	hk_dense_sample(&s, DENSE - 2, PAGES);
	dense(&s, HK_DENSE_STREAK - 1);
	tap_ok(hk_dense_next(&s) == HK_DENSE_PROBE,
	       "a sparse probe in between starts the count again");
	dense(&s, 1);
	tap_ok(hk_dense_next(&s) == HK_DENSE_THP, "%d dense probes: huge pages",
	       HK_DENSE_STREAK);
}

static void check_probe_rate(void)
{
	struct hk_dense s;
	int a[3];

	hk_dense_init(&s, true, true);
	dense(&s, HK_DENSE_STREAK);
	run(&s, HK_DENSE_PROBE_EVERY_THP * 10, a);
	tap_ok(a[HK_DENSE_PROBE] == 10 && a[HK_DENSE_THP] == HK_DENSE_PROBE_EVERY_THP * 10 - 10,
	       "huge pages: one chunk in %d stays a probe (%d probes, %d thp)",
	       HK_DENSE_PROBE_EVERY_THP, a[HK_DENSE_PROBE], a[HK_DENSE_THP]);
	for (int i = 0; i < 3; i++)	/* a back-off longer than the run */
		hk_dense_trial(&s, SLOW, true);
	run(&s, HK_DENSE_PROBE_EVERY, a);
	tap_ok(a[HK_DENSE_PROBE] == 1 && a[HK_DENSE_POPULATE] == HK_DENSE_PROBE_EVERY - 1,
	       "backing off THP: one chunk in %d", HK_DENSE_PROBE_EVERY);
	hk_dense_sample(&s, SPARSE, PAGES);
	run(&s, 10, a);
	tap_ok(a[HK_DENSE_PROBE] == 10, "a sparse probe stops promotion at once");
	hk_dense_sample(&s, 0, 0);
	tap_ok(hk_dense_next(&s) == HK_DENSE_PROBE, "an empty sample is not dense");
}

/* THP chunks until the next THP after n chunks of back-off. */
static int skipped_after_slow(struct hk_dense *s)
{
	int n = 0;

	tap_diag("slow trial with backoff %u", s->thp_backoff);
	hk_dense_trial(s, SLOW, true);
	while (hk_dense_next(s) != HK_DENSE_THP && n < 100000) {
		/* Keep the probes dense: only the back-off is under test. */
		dense(s, 1);
		n++;
	}
	return n;
}

static void check_backoff(void)
{
	struct hk_dense s;
	int a[3], n1, n2, n3;
	bool capped;

	hk_dense_init(&s, true, true);
	dense(&s, HK_DENSE_STREAK);
	tap_ok(hk_dense_next(&s) == HK_DENSE_THP && hk_dense_trial(&s, FAST, true) &&
	       hk_dense_next(&s) == HK_DENSE_THP, "a fast huge trial keeps THP");
	tap_ok(!hk_dense_trial(&s, SLOW, true), "a slow trial loses");
	run(&s, (int)HK_DENSE_BACKOFF_MIN, a);
	tap_ok(a[HK_DENSE_THP] == 0 && a[HK_DENSE_POPULATE] >= (int)HK_DENSE_BACKOFF_MIN - 1,
	       "then populate instead (%d populate, %d probes)", a[HK_DENSE_POPULATE],
	       a[HK_DENSE_PROBE]);
	tap_ok(hk_dense_next(&s) == HK_DENSE_THP, "after %u chunks THP is tried again",
	       HK_DENSE_BACKOFF_MIN);
	hk_dense_init(&s, true, true);
	dense(&s, HK_DENSE_STREAK);
	n1 = skipped_after_slow(&s);
	n2 = skipped_after_slow(&s);
	n3 = skipped_after_slow(&s);
	tap_ok(n2 > n1 && n3 > n2 && s.thp_backoff == 8 * HK_DENSE_BACKOFF_MIN,
	       "the back-off doubles per slow trial (%d, %d, %d chunks)", n1, n2, n3);
	for (int i = 0; i < 20; i++)
		hk_dense_trial(&s, SLOW, true);
	capped = s.thp_backoff == HK_DENSE_BACKOFF_MAX && s.thp_skip == HK_DENSE_BACKOFF_MAX;
	tap_ok(capped, "up to %u", HK_DENSE_BACKOFF_MAX);
	tap_ok(hk_dense_trial(&s, FAST, true) && s.thp_backoff == HK_DENSE_BACKOFF_MIN,
	       "a fast trial resets it");
	tap_ok(!hk_dense_trial(&s, FAST, false), "a fast fault without a huge page loses");
	tap_ok(!hk_dense_trial(&s, HK_DENSE_TRIAL_SLOW_NS + 1, true) &&
	       hk_dense_trial(&s, HK_DENSE_TRIAL_SLOW_NS, true),
	       "the threshold is %u us", HK_DENSE_TRIAL_SLOW_NS / 1000);
}

static void check_caps(void)
{
	struct hk_dense s;
	int a[3];

	hk_dense_init(&s, false, true);
	dense(&s, HK_DENSE_STREAK);
	run(&s, 16, a);
	tap_ok(a[HK_DENSE_THP] == 0 && a[HK_DENSE_POPULATE] == 14,
	       "no THP: populate (%d of 16)", a[HK_DENSE_POPULATE]);
	hk_dense_init(&s, false, false);
	dense(&s, HK_DENSE_STREAK);
	run(&s, 16, a);
	tap_ok(a[HK_DENSE_PROBE] == 16, "neither: every chunk lazy");
	hk_dense_init(&s, true, true);
	dense(&s, HK_DENSE_STREAK);
	hk_dense_failed(&s, HK_DENSE_THP, false);
	tap_ok(s.thp_ok && s.thp_skip == HK_DENSE_BACKOFF_MIN &&
	       hk_dense_next(&s) == HK_DENSE_POPULATE,
	       "a passing failure (ENOMEM) backs THP off, populate meanwhile");
	s.thp_skip = 0;
	tap_ok(hk_dense_next(&s) == HK_DENSE_THP, "then THP again");
	hk_dense_failed(&s, HK_DENSE_THP, true);
	tap_ok(hk_dense_next(&s) == HK_DENSE_POPULATE, "EINVAL from MADV_HUGEPAGE: populate");
	hk_dense_failed(&s, HK_DENSE_POPULATE, true);
	tap_ok(hk_dense_next(&s) == HK_DENSE_PROBE, "then EINVAL from populate: lazy");
}

int main(void)
{
	tap_plan(23);
	check_start();
	check_probe_rate();
	check_backoff();
	check_caps();
	return tap_done();
}
