/* probe.c: hk_probe runs every reader once and times the whole.
 * TEMPORARY: only uname and the page size until the readers land. */
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "caps.h"

void hk_probe(struct hk_caps *caps, const char *root, unsigned flags)
{
	struct utsname u;

	(void)root;
	(void)flags;
	memset(caps, 0, sizeof(*caps));
	if (uname(&u) == 0) {
		memcpy(caps->release, u.release, sizeof(caps->release) - 1);
		memcpy(caps->machine, u.machine, sizeof(caps->machine) - 1);
		caps->release_src = HK_SRC_SYSCALL;
	}
	caps->page_size = (size_t)sysconf(_SC_PAGESIZE);
	caps->thp_pmd_size = (size_t)2 << 20;
}

const char *hk_src_name(enum hk_src src)
{
	static const char *const names[] = {
		"none", "trial", "syscall", "sysfs", "procfs", "auxv", "default",
	};
	return (unsigned)src < sizeof(names) / sizeof(names[0]) ? names[src] : "?";
}
