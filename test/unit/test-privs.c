/* test-privs: CAP_IPC_LOCK, CAP_SYS_ADMIN and AT_SECURE, from fixtures
 * and live (checked against /proc/self/status). */
#include <string.h>

#include "test/unit/probe-fixture.h"
#include "test/tap.h"

static void test_fixtures(void)
{
	struct hk_caps c;

	probe_fixture(&c, "rhel8-4.18");
	tap_ok(c.cap_ipc_lock && c.cap_sys_admin && !c.at_secure &&
	       c.caps_src == HK_SRC_PROCFS, "rhel8-4.18 (root): IPC_LOCK and SYS_ADMIN");
	probe_fixture(&c, "rhel7-3.10");
	tap_ok(!c.cap_ipc_lock && !c.cap_sys_admin, "rhel7-3.10 (user): no capabilities");
	probe_fixture(&c, "container-memmax");
	tap_ok(!c.cap_ipc_lock && !c.cap_sys_admin && c.caps_src == HK_SRC_PROCFS,
	       "container-memmax: docker's default set has neither");
}

/* CapEff from /proc/self/status, with stdio: an independent reading. */
static int status_capeff(unsigned long long *eff)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "CapEff: %llx", eff) == 1;
	fclose(f);
	return found;
}

static void test_live(void)
{
	struct hk_caps c;
	unsigned long long eff;

	hk_probe(&c, "", HK_PROBE_NO_TRIALS);
	tap_ok(c.caps_src == HK_SRC_SYSCALL && !c.at_secure, "live: capget worked, not AT_SECURE");
	if (!status_capeff(&eff)) {
		tap_skip("no CapEff in /proc/self/status");
		return;
	}
	tap_ok(c.cap_ipc_lock == (int)((eff >> 14) & 1) && c.cap_sys_admin == (int)((eff >> 21) & 1),
	       "live: IPC_LOCK %d SYS_ADMIN %d as CapEff %llx says", c.cap_ipc_lock,
	       c.cap_sys_admin, eff);
}

int main(void)
{
	test_fixtures();
	test_live();
	return tap_done();
}
