/* test-os-always.c: THP "always" mode as the layer sees it (the probe's
 * answer overridden: the mode is the machine's): large-object maps and
 * the early lazy chunks get MADV_NOHUGEPAGE, later chunks do not. */
#include "lib/os-impl.h"
#include "test/unit/os-test.h"
#include "test/tap.h"

int main(void)
{
	struct hk_caps caps;
	void *map = NULL, *c[3];
	bool fresh, ok = true;

	tap_plan(3);
	hk_probe(&caps, "", 0);
	caps.thp_enabled = HK_THP_ALWAYS;
	setenv("HAKMEM_BACKEND", "lazy", 1);
	hk_os_init_caps(&caps);
	for (int i = 0; i < 3; i++)
		ok &= hk_os_chunk_alloc(HK_CHUNK_SIZE, &c[i], &fresh) == 0;
	tap_ok(hk_os_map(4 * MIB, 0, &map) == 0 && os_test_nohuge(map),
	       "a large-object map has MADV_NOHUGEPAGE");
	tap_ok(ok && os_test_nohuge(c[0]) && os_test_nohuge(c[1]),
	       "the first two chunks have MADV_NOHUGEPAGE");
	tap_ok(ok && !os_test_nohuge(c[2]), "the third chunk does not");
	return tap_done();
}
