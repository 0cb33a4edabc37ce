/* test-uname: the kernel release, parsed, from fixtures and live, with
 * and without the UNAME26 personality. */
#include <string.h>
#include <sys/personality.h>
#include <sys/utsname.h>

#include "test/unit/probe-fixture.h"
#include "probe/readers.h"
#include "test/tap.h"

#ifndef UNAME26
#define UNAME26 0x0020000
#endif

static void test_parse(void)
{
	static const struct {
		const char *rel;
		int ret, major, minor, patch;
	} cases[] = {
		{ "4.18.0-553.el8_10.x86_64", 0, 4, 18, 0 },
		{ "3.10.0-1160.el7.x86_64", 0, 3, 10, 0 },
		{ "5.14.0-rc1", 0, 5, 14, 0 },
		{ "6.18.44-fc-v669", 0, 6, 18, 44 },
		{ "2.6.32", 0, 2, 6, 32 },
		{ "6.1", 0, 6, 1, 0 },
		{ "5.4-rc3\n", 0, 5, 4, 0 },
		{ "2.6.78-553.el8_10.x86_64", 0, 2, 6, 78 },
		{ "", -1, 0, 0, 0 },
		{ "linux", -1, 0, 0, 0 },
		{ "6", -1, 0, 0, 0 },
		{ "6.x", -1, 0, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int major = -1, minor = -1, patch = -1;
		int ret = hk_uname_parse(cases[i].rel, &major, &minor, &patch);

		tap_ok(ret == cases[i].ret && major == cases[i].major &&
		       minor == cases[i].minor && patch == cases[i].patch,
		       "'%s' -> %d %d.%d.%d", cases[i].rel, ret, major, minor, patch);
	}
}

static void test_fixtures(void)
{
	struct hk_caps c;

	probe_fixture(&c, "rhel7-3.10");
	tap_ok(strcmp(c.release, "3.10.0-1160.el7.x86_64") == 0 && c.kmajor == 3 &&
	       c.kminor == 10 && !c.uname26 && c.release_src == HK_SRC_SYSCALL &&
	       strcmp(c.machine, "x86_64") == 0, "rhel7-3.10: %s %d.%d.%d", c.release,
	       c.kmajor, c.kminor, c.kpatch);
	probe_fixture(&c, "rhel8-4.18");
	tap_ok(c.kmajor == 4 && c.kminor == 18 && c.kpatch == 0, "rhel8-4.18: 4.18.0");
	probe_fixture(&c, "no-hugetlbfs");
	tap_ok(strcmp(c.machine, "aarch64") == 0, "no-hugetlbfs: machine aarch64");
	probe_fixture(&c, "uname26");
	tap_ok(c.uname26 == 1 && strncmp(c.release, "2.6.78", 6) == 0 &&
	       c.kmajor == 4 && c.kminor == 18 && c.kpatch == 0,
	       "uname26: reported %s, real %d.%d.%d from osrelease", c.release,
	       c.kmajor, c.kminor, c.kpatch);
}

static void test_live(void)
{
	struct hk_caps c;
	struct utsname u;
	int old = personality(0xffffffff);

	uname(&u);
	hk_probe(&c, "", HK_PROBE_NO_TRIALS);
	tap_ok(strcmp(c.release, u.release) == 0 && c.release_src == HK_SRC_SYSCALL &&
	       c.kmajor >= 2 && !c.uname26, "live: %s parsed %d.%d.%d", c.release,
	       c.kmajor, c.kminor, c.kpatch);
	if (old == -1 || personality((unsigned long)old | UNAME26) == -1) {
		tap_skip("personality(UNAME26) refused");
		return;
	}
	{
		struct hk_caps m;

		hk_probe(&m, "", HK_PROBE_NO_TRIALS);
		personality((unsigned long)old);
		tap_ok(m.uname26 == 1 && strncmp(m.release, "2.6.", 4) == 0 &&
		       m.kmajor == c.kmajor && m.kminor == c.kminor && m.kpatch == c.kpatch,
		       "live UNAME26: uname says %s, real %d.%d.%d", m.release,
		       m.kmajor, m.kminor, m.kpatch);
	}
}

int main(void)
{
	test_parse();
	test_fixtures();
	test_live();
	return tap_done();
}
