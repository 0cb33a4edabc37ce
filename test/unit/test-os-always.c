/* test-os-always.c: THP "always" mode as the layer sees it (the probe's
 * answer overridden: the mode is the machine's): large-object maps and
 * the early lazy chunks get MADV_NOHUGEPAGE, later chunks do not, unless
 * a cgroup memory limit below 1 GiB makes the choice keep small pages
 * (probe/select.c, small_pages), which must reach every chunk: there
 * THP "always" would otherwise map huge pages into lazy memory. */
#include <sys/wait.h>
#include <unistd.h>

#include "lib/os-impl.h"
#include "test/unit/os-test.h"
#include "test/tap.h"

/* The layer started on this machine's facts, THP "always" and the given
 * cgroup limit: bit 0, the large-object map has MADV_NOHUGEPAGE; bit 1,
 * the first two chunks; bit 2, the third; bit 3, every call worked. */
static int scenario(uint64_t cgroup_max)
{
	struct hk_caps caps;
	void *map = NULL, *c[3];
	bool fresh, ok = true;

	hk_probe(&caps, "", 0);
	caps.thp_enabled = HK_THP_ALWAYS;
	caps.cgroup_mem_max = cgroup_max;
	setenv("HAKMEM_BACKEND", "lazy", 1);
	hk_os_init_caps(&caps);
	for (int i = 0; i < 3; i++)
		ok &= hk_os_chunk_alloc(HK_CHUNK_SIZE, &c[i], &fresh) == 0;
	ok &= hk_os_map(4 * MIB, 0, &map) == 0;
	return (ok && os_test_nohuge(map)) | (ok && os_test_nohuge(c[0]) && os_test_nohuge(c[1])) << 1 |
	       (ok && os_test_nohuge(c[2])) << 2 | ok << 3;
}

/* The scenario in a child of its own (the layer starts once a process). */
static int in_child(uint64_t cgroup_max)
{
	int st;
	pid_t pid = fork();

	if (pid == 0)
		_exit(scenario(cgroup_max));
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return 0;
	return WEXITSTATUS(st);
}

int main(void)
{
	int r;

	tap_plan(6);
	r = in_child(UINT64_MAX);
	tap_ok((r & 9) == 9, "a large-object map has MADV_NOHUGEPAGE");
	tap_ok((r & 10) == 10, "the first two chunks have MADV_NOHUGEPAGE");
	tap_ok((r & 12) == 8, "the third chunk does not");
	r = in_child(512 * MIB);
	tap_ok((r & 9) == 9, "cgroup limit 512 MiB: a large-object map has MADV_NOHUGEPAGE");
	tap_ok((r & 10) == 10, "cgroup limit 512 MiB: the first two chunks have MADV_NOHUGEPAGE");
	tap_ok((r & 12) == 12, "cgroup limit 512 MiB: the third chunk too (small_pages)");
	return tap_done();
}
