/* limits.c: the numbers that bound what the allocator may take: page
 * size, CPUs, RLIMIT_MEMLOCK, vm.overcommit_memory, vm.max_map_count and
 * the memory limit of this process's cgroup.
 *
 * A captured tree (non-empty root) holds the syscall-only facts as small
 * files, documented in test/fixtures/README.txt: auxv (AT_PAGESZ) and
 * rlimit-memlock; the CPU count then comes from
 * sys/devices/system/cpu/online instead of sched_getaffinity.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe/readers.h"
#include "probe/sysfile.h"

/* Deepest cgroup v2 path walked looking for the tightest memory.max. */
#define HK_CGROUP_DEPTH 8

static void hk_limits_page(struct hk_caps *caps, const char *root)
{
	char buf[128];
	const char *v;
	uint64_t n;

	caps->page_size = 4096;
	caps->page_size_src = HK_SRC_DEFAULT;
	if (!*root) {
		caps->page_size = getauxval(AT_PAGESZ);
		caps->page_size_src = HK_SRC_AUXV;
		return;
	}
	if (hk_sysfile_read(root, "/auxv", buf, sizeof(buf)) >= 0 &&
	    (v = hk_line_value(buf, "AT_PAGESZ")) && hk_parse_u64(v, &n) && n) {
		caps->page_size = n;
		caps->page_size_src = HK_SRC_AUXV;
	}
}

long hk_cpulist_count(const char *s)
{
	uint64_t lo, hi;
	long n = 0;

	while ((s = hk_parse_u64(s, &lo))) {
		hi = lo;
		if (*s == '-' && !(s = hk_parse_u64(s + 1, &hi)))
			return 0;
		if (hi >= lo && hi - lo < 1 << 20)
			n += (long)(hi - lo + 1);
		if (*s != ',')
			break;
		s++;
	}
	return n;
}

static void hk_limits_cpus(struct hk_caps *caps, const char *root)
{
	unsigned long mask[1024 / (8 * sizeof(unsigned long))];
	char buf[256];
	long r;

	if (!*root) {
		r = syscall(SYS_sched_getaffinity, 0, sizeof(mask), mask);
		if (r > 0) {
			caps->ncpu = 0;
			for (long i = 0; i < r / (long)sizeof(mask[0]); i++)
				caps->ncpu += __builtin_popcountl(mask[i]);
			caps->ncpu_src = HK_SRC_SYSCALL;
			return;
		}
	}
	if (hk_sysfile_read(root, "/sys/devices/system/cpu/online", buf,
			    sizeof(buf)) >= 0 &&
	    (caps->ncpu = hk_cpulist_count(buf)) > 0)
		caps->ncpu_src = HK_SRC_SYSFS;
}

/* "8192 16384", "unlimited unlimited" */
static const char *hk_limits_rlim(const char *s, uint64_t *out)
{
	while (*s == ' ')
		s++;
	if (strncmp(s, "unlimited", 9) == 0) {
		*out = UINT64_MAX;
		return s + 9;
	}
	return hk_parse_u64(s, out);
}

static void hk_limits_memlock(struct hk_caps *caps, const char *root)
{
	struct rlimit rl;
	char buf[64];
	const char *s;

	caps->memlock_cur = caps->memlock_max = UINT64_MAX;
	if (!*root) {
		if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0) {
			caps->memlock_cur = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : rl.rlim_cur;
			caps->memlock_max = rl.rlim_max == RLIM_INFINITY ? UINT64_MAX : rl.rlim_max;
			caps->memlock_src = HK_SRC_SYSCALL;
		}
		return;
	}
	if (hk_sysfile_read(root, "/rlimit-memlock", buf, sizeof(buf)) >= 0 &&
	    (s = hk_limits_rlim(buf, &caps->memlock_cur)) &&
	    hk_limits_rlim(s, &caps->memlock_max))
		caps->memlock_src = HK_SRC_SYSCALL;
}

static void hk_limits_vm(struct hk_caps *caps, const char *root,
			 unsigned flags)
{
	uint64_t v;

	caps->overcommit = -1;
	caps->max_map_count = -1;
	if (hk_sysfile_u64(root, "/proc/sys/vm/overcommit_memory", &v) == 0) {
		caps->overcommit = (int)v;
		caps->vm_src = HK_SRC_PROCFS;
	}
	if ((flags & HK_PROBE_DETAILS) &&
	    hk_sysfile_u64(root, "/proc/sys/vm/max_map_count", &v) == 0) {
		caps->max_map_count = (long)v;
		caps->vm_src = HK_SRC_PROCFS;
	}
}

/* v1 reports "no limit" as LONG_MAX rounded down to a page. */
#define HK_CGROUP_V1_UNLIMITED (UINT64_C(1) << 62)

static int hk_cgroup_has_memory(const char *list, const char *end)
{
	while (list < end) {
		const char *comma = memchr(list, ',', (size_t)(end - list));
		const char *stop = comma ? comma : end;

		if (stop - list == 6 && memcmp(list, "memory", 6) == 0)
			return 1;
		list = stop + 1;
	}
	return 0;
}

/* Finds the cgroup path in /proc/self/cgroup text: the v2 line "0::/p"
 * (v1 = 0) or the v1 line naming the memory controller (v1 = 1). */
static const char *hk_cgroup_find(const char *buf, int v1, size_t *len)
{
	for (const char *l = buf; l && *l;) {
		const char *nl = strchr(l, '\n');
		const char *end = nl ? nl : l + strlen(l);
		const char *c1 = memchr(l, ':', (size_t)(end - l));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;

		if (c2 && (v1 ? hk_cgroup_has_memory(c1 + 1, c2)
			      : (c1 == l + 1 && *l == '0' && c2 == c1 + 1))) {
			*len = (size_t)(end - c2 - 1);
			return c2 + 1;
		}
		l = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/* Reads base + path[0..len) + file; UINT64_MAX when absent. */
static uint64_t hk_cgroup_limit(const char *root, const char *base,
				const char *path, size_t len, const char *file)
{
	char rel[HK_SYSPATH_MAX];
	size_t bl = strlen(base), fl = strlen(file);
	uint64_t v;

	while (len && path[len - 1] == '/')
		len--;
	if (bl + len + fl + 1 > sizeof(rel))
		return UINT64_MAX;
	memcpy(rel, base, bl);
	memcpy(rel + bl, path, len);
	memcpy(rel + bl + len, file, fl + 1);
	if (hk_sysfile_u64(root, rel, &v) < 0)
		return UINT64_MAX;
	return v;
}

/* cgroup v2: the tightest memory.max from this cgroup up to the root,
 * because systemd puts limits on slices, not on the scope we sit in. */
static uint64_t hk_cgroup_v2(const char *root, const char *path, size_t len)
{
	uint64_t best = UINT64_MAX, v;

	for (int depth = 0; depth < HK_CGROUP_DEPTH; depth++) {
		v = hk_cgroup_limit(root, "/sys/fs/cgroup", path, len, "/memory.max");
		best = v < best ? v : best;
		while (len && path[len - 1] == '/')
			len--;
		while (len && path[len - 1] != '/')
			len--;
		if (!len)
			break;
	}
	return best;
}

/* cgroup v1: the memory controller's limit for our path, or, when that
 * path is not visible (a container without a cgroup namespace sees its
 * own cgroup at the mount's root), the limit at the root. */
static uint64_t hk_cgroup_v1(const char *root, const char *path, size_t len)
{
	static const char base[] = "/sys/fs/cgroup/memory";
	static const char file[] = "/memory.limit_in_bytes";
	uint64_t v = hk_cgroup_limit(root, base, path, len, file);

	if (v == UINT64_MAX && len > 1)
		v = hk_cgroup_limit(root, base, "", 0, file);
	return v >= HK_CGROUP_V1_UNLIMITED ? UINT64_MAX : v;
}

void hk_probe_cgroup(struct hk_caps *caps, const char *root)
{
	char buf[1024];
	const char *path;
	size_t len;

	caps->cgroup_mem_max = UINT64_MAX;
	if (hk_sysfile_read(root, "/proc/self/cgroup", buf, sizeof(buf)) < 0)
		return;
	caps->cgroup_src = HK_SRC_PROCFS;
	if ((path = hk_cgroup_find(buf, 1, &len))) {
		caps->cgroup_mem_max = hk_cgroup_v1(root, path, len);
		caps->cgroup_version = 1;
	} else if ((path = hk_cgroup_find(buf, 0, &len))) {
		caps->cgroup_mem_max = hk_cgroup_v2(root, path, len);
		caps->cgroup_version = 2;
	} else {
		return;
	}
	caps->cgroup_src = HK_SRC_SYSFS;
}

void hk_probe_limits(struct hk_caps *caps, const char *root, unsigned flags)
{
	hk_limits_page(caps, root);
	hk_limits_vm(caps, root, flags);
	if (flags & HK_PROBE_LEAN) {
		/* Facts the library never acts on, or reads later. */
		caps->memlock_cur = caps->memlock_max = UINT64_MAX;
		caps->cgroup_mem_max = UINT64_MAX;
		return;
	}
	hk_limits_cpus(caps, root);
	hk_limits_memlock(caps, root);
	hk_probe_cgroup(caps, root);
}
