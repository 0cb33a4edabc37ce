/* hk-probe-caps.c: hk-probe's own capabilities, through libcap-ng.
 *
 * Only hk-probe links libcap-ng (see m4/hk_libcap_ng.m4): the library
 * reads CAP_IPC_LOCK and CAP_SYS_ADMIN with capget(2) into struct hk_caps,
 * and the report shows libcap-ng's answer next to it so a disagreement is
 * visible.  Built without libcap-ng, both functions do nothing and the
 * report uses the capget(2) facts.
 *
 * Least privilege: run with capabilities (as root), hk-probe keeps only
 * CAP_IPC_LOCK and CAP_SYS_ADMIN, the two the probe reports, so it sees
 * what the library sees in a root process, and drops every other one from
 * its effective, permitted and inheritable sets before it reads any file
 * or runs a trial.  Under --sysroot it needs none and drops them all.
 * The bounding set is left alone. */
#include <string.h>

#include "hk-probe/hk-probe.h"

#if HAVE_LIBCAP_NG
#include <cap-ng.h>

void hk_cli_caps_drop(bool sysroot, struct hk_capng_facts *out)
{
	if (capng_get_caps_process() != 0 ||
	    capng_have_capabilities(CAPNG_SELECT_CAPS) == CAPNG_NONE)
		return;
	/* capng_clear forgets what was read: decide what to keep first. */
	bool ipc = capng_have_capability(CAPNG_EFFECTIVE, CAP_IPC_LOCK) == 1;
	bool adm = capng_have_capability(CAPNG_EFFECTIVE, CAP_SYS_ADMIN) == 1;

	capng_clear(CAPNG_SELECT_CAPS);
	out->kept[0] = '\0';
	if (!sysroot) {
		if (ipc) {
			capng_update(CAPNG_ADD, (capng_type_t)(CAPNG_EFFECTIVE | CAPNG_PERMITTED),
				     CAP_IPC_LOCK);
			strcat(out->kept, "CAP_IPC_LOCK");
		}
		if (adm) {
			capng_update(CAPNG_ADD, (capng_type_t)(CAPNG_EFFECTIVE | CAPNG_PERMITTED),
				     CAP_SYS_ADMIN);
			strcat(out->kept, ipc ? " CAP_SYS_ADMIN" : "CAP_SYS_ADMIN");
		}
	}
	out->dropped = capng_apply(CAPNG_SELECT_CAPS) == 0;
}

void hk_cli_caps_read(struct hk_capng_facts *out)
{
	if (capng_get_caps_process() != 0)
		return;
	out->used = true;
	out->ipc_lock = capng_have_capability(CAPNG_EFFECTIVE, CAP_IPC_LOCK) == 1;
	out->sys_admin = capng_have_capability(CAPNG_EFFECTIVE, CAP_SYS_ADMIN) == 1;
}

#else /* !HAVE_LIBCAP_NG */

void hk_cli_caps_drop(bool sysroot, struct hk_capng_facts *out)
{
	(void)sysroot;
	(void)out;
}

void hk_cli_caps_read(struct hk_capng_facts *out)
{
	(void)out;
}

#endif
