/* privs.c: the privileges that change what the allocator may do:
 * effective CAP_IPC_LOCK (mlock and SHM_HUGETLB beyond RLIMIT_MEMLOCK),
 * CAP_SYS_ADMIN, and AT_SECURE (setuid or file capabilities: the options
 * are then ignored).
 *
 * The raw capget(2) syscall, not libcap-ng: libcap-ng's constructor would
 * run in every process that preloads us (see STYLE.md, section 4).  A
 * captured tree gives CapEff from proc/self/status and AT_SECURE from the
 * auxv file (test/fixtures/README.txt).
 */
#include <linux/capability.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe/readers.h"
#include "probe/sysfile.h"

static void hk_privs_set(struct hk_caps *caps, uint64_t eff)
{
	caps->cap_ipc_lock = (eff >> CAP_IPC_LOCK) & 1;
	caps->cap_sys_admin = (eff >> CAP_SYS_ADMIN) & 1;
}

static void hk_privs_live(struct hk_caps *caps)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	caps->at_secure = getauxval(AT_SECURE) != 0;
	if (syscall(SYS_capget, &hdr, data) != 0)
		return;
	hk_privs_set(caps, data[0].effective |
			   (uint64_t)data[1].effective << 32);
	caps->caps_src = HK_SRC_SYSCALL;
}

static void hk_privs_tree(struct hk_caps *caps, const char *root)
{
	char buf[2048];
	const char *v;
	uint64_t n;

	if (hk_sysfile_read(root, "/auxv", buf, sizeof(buf)) >= 0 &&
	    (v = hk_line_value(buf, "AT_SECURE")) && hk_parse_u64(v, &n))
		caps->at_secure = n != 0;
	if (hk_sysfile_read(root, "/proc/self/status", buf, sizeof(buf)) < 0)
		return;
	v = hk_line_value(buf, "CapEff:");
	if (v && hk_parse_x64(v, &n)) {
		hk_privs_set(caps, n);
		caps->caps_src = HK_SRC_PROCFS;
	}
}

void hk_probe_privs(struct hk_caps *caps, const char *root)
{
	if (*root)
		hk_privs_tree(caps, root);
	else
		hk_privs_live(caps);
}
