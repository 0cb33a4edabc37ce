/* probe.c: hk_probe runs every reader once and times the whole.
 *
 * The readers (uname.c limits.c privs.c thp.c hugetlb.c madv.c) each own
 * one topic; this file only orders them, keeps the caller's errno, and
 * names the enums.  It runs inside the allocator's first call for OS
 * memory, so everything below reads into stack buffers with raw syscalls.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "probe/readers.h"

static uint64_t hk_probe_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void hk_probe(struct hk_caps *caps, const char *root, unsigned flags)
{
	int saved = errno;
	uint64_t t0 = hk_probe_now();
	int lean = flags & HK_PROBE_LEAN;

	memset(caps, 0, sizeof(*caps));
	hk_probe_uname(caps, root);
	hk_probe_limits(caps, root, flags);	/* page size first: the trials use it */
	if (!lean)
		hk_probe_privs(caps, root);
	hk_probe_thp(caps, root, flags);
	if (!lean || (flags & HK_PROBE_HUGETLB))
		hk_probe_hugetlb(caps, root, flags);
	hk_probe_madv(caps, root, flags);
	/* The library acts on the cgroup limit twice: auto keeps 4 KiB
	 * pages under a small one (select.c), and under any, the memory
	 * kept free for reuse is bounded by it (lib/purge.c): read at load,
	 * as no file may be read later. */
	if (lean)
		hk_probe_cgroup(caps, root);
	caps->probe_ns = hk_probe_now() - t0;
	errno = saved;
}

const char *hk_src_name(enum hk_src src)
{
	static const char *const names[] = {
		[HK_SRC_NONE] = "none",
		[HK_SRC_TRIAL] = "trial",
		[HK_SRC_SYSCALL] = "syscall",
		[HK_SRC_SYSFS] = "sysfs",
		[HK_SRC_PROCFS] = "procfs",
		[HK_SRC_AUXV] = "auxv",
		[HK_SRC_DEFAULT] = "default",
	};
	return (unsigned)src < sizeof(names) / sizeof(names[0]) ? names[src] : "?";
}
