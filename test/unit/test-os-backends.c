/* test-os-backends.c: every backend but hugetlb (test-os-hugetlb) through
 * its vtable: aligned zeroed memory, populated or not as its name says
 * (mincore, without the test touching the pages), THP backed by huge
 * pages (smaps), released and purged. */
#include <errno.h>

#include "lib/os.h"
#include "test/unit/os-test.h"
#include "test/tap.h"

#define LEN (4 * MIB)
#define ALIGN (2 * MIB)

static void check_backend(const struct hk_os_backend *b, bool populated_by_map,
			  bool populated_by_prefault)
{
	size_t pages = LEN / (size_t)sysconf(_SC_PAGESIZE), res;
	void *p = NULL;
	int err;

	errno = 12345;
	err = b->acquire(LEN, ALIGN, &p);
	tap_ok(err == 0 && p && ((uintptr_t)p & (ALIGN - 1)) == 0 && errno == 12345,
	       "%s: acquire 4 MiB aligned to 2 MiB (err %d, %p), errno kept", b->name, err, p);
	if (err)
		return;
	res = os_test_resident(p, LEN);
	tap_ok(populated_by_map ? res == pages : res == 0,
	       "%s: %zu of %zu pages resident after acquire", b->name, res, pages);
	err = b->prefault(p, LEN);
	res = os_test_resident(p, LEN);
	tap_ok(err == 0 && (populated_by_prefault ? res == pages : res == 0),
	       "%s: prefault %d, %zu of %zu pages resident", b->name, err, res, pages);
	tap_ok(os_test_zero(p, LEN), "%s: reads as zero", b->name);
	memset(p, 0xa5, LEN);
	err = b->purge(p, LEN);
	tap_ok(err == 0, "%s: purge %d", b->name, err);
	err = b->release(p, LEN);
	tap_ok(err == 0 && errno == 12345, "%s: release %d", b->name, err);
}

static void check_thp(void)
{
	char mode[64];
	void *p = NULL;
	long kb;

	os_test_thp_mode(mode, sizeof(mode));
	if (strcmp(mode, "always") && strcmp(mode, "madvise")) {
		tap_skip("thp: AnonHugePages: THP mode is %s", mode);
		return;
	}
	if (hk_os_thp.acquire(LEN, ALIGN, &p) != 0) {
		tap_ok(0, "thp: acquire for the smaps check");
		return;
	}
	hk_os_thp.prefault(p, LEN);
	kb = os_test_anon_huge_kb(p);
	tap_ok(kb >= 2048, "thp: mapping has AnonHugePages %ld kB (mode %s)", kb, mode);
	hk_os_thp.release(p, LEN);
}

static void check_misc(void)
{
	void *p = NULL;

	tap_ok(hk_os_backend_get(HK_BACKEND_HUGETLB) == &hk_os_hugetlb &&
	       hk_os_backend_get(HK_BACKEND_POPULATE)->id == HK_BACKEND_POPULATE &&
	       hk_os_backend_get(HK_BACKEND_AUTO) == &hk_os_lazy,
	       "hk_os_backend_get maps ids to backends");
	/* A 64 KiB alignment on a page-sized region: the trim path. */
	tap_ok(hk_os_lazy.acquire(8192, 65536, &p) == 0 &&
	       ((uintptr_t)p & 65535) == 0 && hk_os_lazy.release(p, 8192) == 0,
	       "lazy: 8 KiB aligned to 64 KiB");
	tap_ok(hk_os_map_populate.acquire(8 * MIB, 8 * MIB, &p) == 0 &&
	       ((uintptr_t)p & (8 * MIB - 1)) == 0 &&
	       os_test_resident(p, 8 * MIB) == 8 * MIB / (size_t)sysconf(_SC_PAGESIZE) &&
	       hk_os_map_populate.release(p, 8 * MIB) == 0,
	       "map_populate: 8 MiB aligned to 8 MiB, all resident");
}

int main(void)
{
	hk_os_init();
	check_backend(&hk_os_lazy, false, false);
	check_backend(&hk_os_touch, false, true);
	check_backend(&hk_os_populate, false, true);
	check_backend(&hk_os_map_populate, true, true);
	check_backend(&hk_os_thp, false, true);
	check_thp();
	check_misc();
	return tap_done();
}
