/* probe-trials: prints this machine's trial results in the format of a
 * fixture's trials file (test/fixtures/README.txt), for
 * tools/capture-fixture.sh.  Not a test: it only reports. */
#include <stdio.h>

#include "probe/caps.h"

static void probe_trials_line(const char *name, const struct hk_trial *t)
{
	if (t->state == HK_FEAT_YES)
		printf("%s yes 0\n", name);
	else if (t->state == HK_FEAT_NO)
		printf("%s no %d\n", name, t->err);
}

int main(void)
{
	struct hk_caps c;

	hk_probe(&c, "", HK_PROBE_DETAILS);
	probe_trials_line("populate_write", &c.populate_write);
	probe_trials_line("populate_read", &c.populate_read);
	probe_trials_line("map_populate", &c.map_populate);
	probe_trials_line("madv_free", &c.madv_free);
	probe_trials_line("fixed_noreplace", &c.fixed_noreplace);
	probe_trials_line("madv_hugepage", &c.madv_hugepage);
	probe_trials_line("map_hugetlb", &c.map_hugetlb);
	return ferror(stdout) != 0;
}
