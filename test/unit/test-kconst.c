/* test-kconst.c: the kernel constants probe/kconst.h supplies where the
 * headers lack them, and the populate backend using them.  Built by
 * `ac_cv_have_decl_MADV_POPULATE_WRITE=no ./configure` this is the
 * old-headers build: the value must still be the kernel's and the
 * library must still populate on a kernel that has the call. */
#include <errno.h>

#include "probe/kconst.h"
#include "lib/os.h"
#include "test/unit/os-test.h"
#include "test/tap.h"

int main(void)
{
	size_t len = 2 * MIB, pages = len / (size_t)sysconf(_SC_PAGESIZE), res;
	void *p = NULL;
	int err;

	tap_diag("headers declare MADV_POPULATE_WRITE: %s", HAVE_DECL_MADV_POPULATE_WRITE ? "yes" : "no");
	tap_ok(MADV_POPULATE_WRITE == 23 && MADV_POPULATE_READ == 22,
	       "MADV_POPULATE_WRITE %d, MADV_POPULATE_READ %d", MADV_POPULATE_WRITE,
	       MADV_POPULATE_READ);
	tap_ok(MADV_FREE == 8 && MADV_HUGEPAGE == 14 && MADV_NOHUGEPAGE == 15,
	       "MADV_FREE, MADV_HUGEPAGE, MADV_NOHUGEPAGE");
	tap_ok(MAP_POPULATE == 0x8000 && MAP_HUGETLB == 0x40000 && MAP_HUGE_SHIFT == 26 &&
	       MAP_FIXED_NOREPLACE == 0x100000,
	       "MAP_POPULATE, MAP_HUGETLB, MAP_HUGE_SHIFT, MAP_FIXED_NOREPLACE");
	if (hk_os_populate.acquire(len, len, &p) != 0) {
		tap_ok(0, "populate: acquire");
		return tap_done();
	}
	err = hk_os_populate.prefault(p, len);
	res = os_test_resident(p, len);
	if (err == EINVAL)
		tap_skip("this kernel has no MADV_POPULATE_WRITE (before 5.14)");
	else
		tap_ok(err == 0 && res == pages, "populate backend populates: %zu of %zu pages resident",
		       res, pages);
	hk_os_populate.release(p, len);
	return tap_done();
}
