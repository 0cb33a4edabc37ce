/* test-limits: page size, CPUs, memlock, vm sysctls and the cgroup
 * memory limit, from fixtures (v1, v2 nested, container root) and live. */
#include <sys/resource.h>
#include <unistd.h>

#include "test/unit/probe-fixture.h"
#include "test/tap.h"

#define GiB ((uint64_t)1 << 30)

static void test_fixtures(void)
{
	struct hk_caps c;

	probe_fixture(&c, "kvm-6.18");
	tap_ok(c.cgroup_version == 1 && c.cgroup_mem_max == UINT64_MAX &&
	       c.cgroup_src == HK_SRC_SYSFS, "kvm-6.18: cgroup v1, 2^63-4096 reads as no limit");
	tap_ok(c.page_size == 4096 && c.page_size_src == HK_SRC_AUXV && c.ncpu == 2 &&
	       c.ncpu_src == HK_SRC_SYSFS, "kvm-6.18: page 4096 from auxv, 2 CPUs from cpu/online");
	tap_ok(c.memlock_cur == 8388608 && c.memlock_max == 8388608 &&
	       c.memlock_src == HK_SRC_SYSCALL, "kvm-6.18: memlock 8 MiB");
	tap_ok(c.overcommit == 0 && c.max_map_count == 65530 && c.vm_src == HK_SRC_PROCFS,
	       "kvm-6.18: overcommit 0, max_map_count 65530");

	probe_fixture(&c, "rhel8-4.18");
	tap_ok(c.cgroup_version == 1 && c.cgroup_mem_max == 4 * GiB,
	       "rhel8-4.18: v1 memory.limit_in_bytes 4 GiB");
	tap_ok(c.ncpu == 16 && c.max_map_count == 262144, "rhel8-4.18: 16 CPUs, max_map_count 262144");

	probe_fixture(&c, "thp-never");
	tap_ok(c.cgroup_version == 2 && c.cgroup_mem_max == 4 * GiB,
	       "thp-never: v2, scope max but user slice 4 GiB: the tightest wins");
	tap_ok(c.ncpu == 4 && c.overcommit == 1, "thp-never: cpus 0-1,4-5 count 4, overcommit 1");

	probe_fixture(&c, "container-memmax");
	tap_ok(c.cgroup_version == 2 && c.cgroup_mem_max == 512 << 20,
	       "container-memmax: 0::/ reads the namespace root's memory.max, 512 MiB");

	probe_fixture(&c, "thp-always");
	tap_ok(c.memlock_cur == UINT64_MAX && c.memlock_max == UINT64_MAX,
	       "thp-always: memlock unlimited");
	tap_ok(c.cgroup_version == 2 && c.cgroup_mem_max == UINT64_MAX,
	       "thp-always: memory.max \"max\" everywhere");

	hk_probe(&c, fixture("rhel8-4.18"), 0);
	tap_ok(c.max_map_count == -1 && c.overcommit == 0,
	       "without HK_PROBE_DETAILS max_map_count is not read");

	probe_fixture(&c, "uname26");
	tap_ok(c.cgroup_src == HK_SRC_NONE && c.cgroup_mem_max == UINT64_MAX &&
	       c.overcommit == -1 && c.page_size_src == HK_SRC_DEFAULT &&
	       c.memlock_src == HK_SRC_NONE, "a tree without the files: defaults, source none");
}

static void test_live(void)
{
	struct hk_caps c;
	struct rlimit rl;

	hk_probe(&c, "", HK_PROBE_NO_TRIALS | HK_PROBE_DETAILS);
	getrlimit(RLIMIT_MEMLOCK, &rl);
	tap_ok(c.page_size == (size_t)sysconf(_SC_PAGESIZE) && c.page_size_src == HK_SRC_AUXV,
	       "live: page size %zu", c.page_size);
	tap_ok(c.ncpu >= 1 && c.ncpu <= sysconf(_SC_NPROCESSORS_CONF) &&
	       c.ncpu_src == HK_SRC_SYSCALL, "live: %ld CPUs by sched_getaffinity", c.ncpu);
	tap_ok((rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : rl.rlim_cur) == c.memlock_cur,
	       "live: memlock %llu as getrlimit says", (unsigned long long)c.memlock_cur);
	tap_ok(c.overcommit >= 0 && c.overcommit <= 2 && c.max_map_count > 0,
	       "live: overcommit %d, max_map_count %ld", c.overcommit, c.max_map_count);
	tap_ok(c.cgroup_mem_max > 0, "live: cgroup v%d limit %llu", c.cgroup_version,
	       (unsigned long long)c.cgroup_mem_max);
}

int main(void)
{
	test_fixtures();
	test_live();
	return tap_done();
}
