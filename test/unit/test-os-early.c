/* test-os-early: the OS layer serves the first HK_OS_LAZY_BYTES of
 * chunks and large maps without probing the kernel, so a small program
 * never pays for the probe; the next chunk starts it (probe + select) and
 * follows the backend from then on. */
#include <errno.h>

#include "lib/os-impl.h"
#include "test/unit/os-test.h"
#include "test/tap.h"

int main(void)
{
	void *a = NULL, *b = NULL, *c = NULL, *m = NULL;
	bool fa = false, fb = false, fc = false;
	struct hk_os_counters ctr;
	char mode[64];
	bool thp = strcmp(os_test_thp_mode(mode, sizeof(mode)), "absent") != 0;

	tap_plan(7);
	tap_ok(!hk_os_started(), "nothing started the layer before the first call");
	tap_ok(hk_os_map(64 << 10, 0, &m) == 0 && os_test_zero(m, 64 << 10) &&
	       !hk_os_started(), "a large map is served without probing");
	tap_ok(hk_os_chunk_alloc(HK_CHUNK_SIZE, &a, &fa) == 0 && fa &&
	       ((uintptr_t)a & (HK_CHUNK_SIZE - 1)) == 0 && os_test_resident(a, HK_CHUNK_SIZE) == 0 &&
	       os_test_zero(a, HK_CHUNK_SIZE) && !hk_os_started(),
	       "first chunk: aligned, fresh, zero, not resident, no probe");
	tap_ok(hk_os_chunk_alloc(HK_CHUNK_SIZE, &b, &fb) == 0 && fb &&
	       (char *)b == (char *)a + HK_CHUNK_SIZE && (!thp || os_test_nohuge(b)) &&
	       !hk_os_started(),
	       "second chunk: the rest of the one early reservation, %s, no probe",
	       thp ? "MADV_NOHUGEPAGE" : "no THP here");
	hk_os_counters(HK_BACKEND_LAZY, &ctr);
	tap_ok(ctr.chunks == 2 && ctr.regions == 2,
	       "counted as lazy: 2 chunks; regions: the large map and one reservation (%llu, %llu)",
	       (unsigned long long)ctr.chunks, (unsigned long long)ctr.regions);
	tap_ok(hk_os_chunk_alloc(HK_CHUNK_SIZE, &c, &fc) == 0 && fc && hk_os_started() &&
	       os_test_zero(c, HK_CHUNK_SIZE),
	       "third chunk: past the lazy bytes, the layer starts (backend %s)",
	       hk_os_current()->name);
	hk_os_chunk_free(a, HK_CHUNK_SIZE);
	hk_os_chunk_free(b, HK_CHUNK_SIZE);
	tap_ok(hk_os_chunk_trim() >= 2 * HK_CHUNK_SIZE && msync(a, 4096, MS_ASYNC) != 0 && errno == ENOMEM,
	       "early chunks go back through the cache like any other");
	return tap_done();
}
