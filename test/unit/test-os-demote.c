/* test-os-demote.c: the OS layer on a kernel that refuses a feature.
 * Run by test-os-demote.sh under test/sim/hk-seccomp, one scenario per
 * run (the first argument); prints TAP lines that the script renumbers.
 *
 *   populate  MADV_POPULATE_WRITE fails EINVAL (before 5.14),
 *             HAKMEM_BACKEND=populate HAKMEM_SS_PREFAULT=1: demoted once
 *   auto      the same kernel, no option: the probe must not pick populate
 *   hugetlb   MAP_HUGETLB fails ENOMEM, HAKMEM_BACKEND=hugetlb: demoted
 *             once at run time
 *   free      MADV_FREE fails EINVAL: purge falls back to MADV_DONTNEED
 */
#include <errno.h>

#include "os-impl.h"
#include "os-test.h"
#include "tap.h"

#define NCHUNKS 6

/* Every chunk served, writable, and each keeps its own contents. */
static void check_chunks(const char *what)
{
	void *p[NCHUNKS];
	bool fresh, ok = true;

	for (int i = 0; i < NCHUNKS; i++) {
		ok &= hk_os_chunk_alloc(HK_CHUNK_SIZE, &p[i], &fresh) == 0 && fresh;
		if (ok)
			memset(p[i], i + 1, HK_CHUNK_SIZE);
	}
	for (int i = 0; ok && i < NCHUNKS; i++)
		ok &= ((char *)p[i])[HK_CHUNK_SIZE - 1] == i + 1;
	tap_ok(ok, "%s: %d chunks served and usable", what, NCHUNKS);
}

static void check_demoted(enum hk_backend_id id)
{
	const char *name = hk_backend_name(id);
	struct hk_os_counters c;

	hk_os_counters(id, &c);
	tap_ok(c.demotions == 1 && hk_os_current()->id != id,
	       "%s demoted once at run time (%llu), now %s", name,
	       (unsigned long long)c.demotions, hk_os_current()->name);
}

static void scenario_populate(void)
{
	const struct hk_caps *caps = hk_os_caps();
	void *p = NULL;

	tap_ok(hk_os_lazy.acquire(HK_CHUNK_SIZE, HK_CHUNK_SIZE, &p) == 0 &&
	       hk_os_populate.prefault(p, HK_CHUNK_SIZE) == EINVAL,
	       "populate backend reports EINVAL itself (filter active)");
	if (caps->populate_write.state == HK_FEAT_UNKNOWN)
		tap_skip("probe ran no MADV_POPULATE_WRITE trial");
	else
		tap_ok(caps->populate_write.state == HK_FEAT_NO &&
		       caps->populate_write.err == EINVAL,
		       "probe: MADV_POPULATE_WRITE no (EINVAL)");
	if (hk_os_choice()->backend != HK_BACKEND_POPULATE ||
	    hk_os_choice()->prefault == HK_PREFAULT_OFF) {
		check_chunks("populate");
		tap_skip("select chose %s, prefault %d: %s", hk_backend_name(hk_os_choice()->backend),
			 (int)hk_os_choice()->prefault, hk_os_choice()->reason);
		return;
	}
	check_chunks("populate");
	check_demoted(HK_BACKEND_POPULATE);
}

static void scenario_auto(void)
{
	if (hk_os_caps()->populate_write.state == HK_FEAT_UNKNOWN)
		tap_skip("probe ran no MADV_POPULATE_WRITE trial");
	else
		tap_ok(hk_os_choice()->backend != HK_BACKEND_POPULATE,
		       "auto on a pre-5.14 kernel: %s (%s)",
		       hk_backend_name(hk_os_choice()->backend), hk_os_choice()->reason);
	check_chunks("auto");
}

static void scenario_hugetlb(void)
{
	void *p = NULL;

	tap_ok(hk_os_hugetlb.acquire(HK_CHUNK_SIZE, HK_CHUNK_SIZE, &p) == ENOMEM,
	       "hugetlb backend reports ENOMEM itself (filter active)");
	if (hk_os_current()->id != HK_BACKEND_HUGETLB) {
		check_chunks("hugetlb");
		tap_skip("select chose %s: %s", hk_os_current()->name, hk_os_choice()->reason);
		return;
	}
	check_chunks("hugetlb");
	check_demoted(HK_BACKEND_HUGETLB);
}

static void scenario_free(void)
{
	size_t len = 4 * MIB;
	bool zeroed = false;
	void *p = NULL;
	int err;

	hk_os_init();
	/* As if the probe had found MADV_FREE and the kernel then refused
	 * it: the run-time path, whatever this probe concluded. */
	hk_os_purge_mode = HK_PURGE_FREE;
	if (hk_os_map(len, 0, &p) != 0) {
		tap_ok(0, "free: map");
		return;
	}
	memset(p, 3, len);
	err = hk_os_purge(p, len, &zeroed);
	tap_ok(err == 0 && zeroed && os_test_zero(p, len),
	       "free: purge fell back to MADV_DONTNEED (err %d, zeroed %d)", err, zeroed);
	tap_ok(hk_os_purge_mode == HK_PURGE_DONTNEED, "free: MADV_DONTNEED from now on");
	hk_os_unmap(p, len);
}

int main(int argc, char **argv)
{
	const char *s = argc > 1 ? argv[1] : "";

	if (!strcmp(s, "populate"))
		scenario_populate();
	else if (!strcmp(s, "auto"))
		scenario_auto();
	else if (!strcmp(s, "hugetlb"))
		scenario_hugetlb();
	else if (!strcmp(s, "free"))
		scenario_free();
	else
		tap_ok(0, "unknown scenario '%s'", s);
	return tap_done();
}
