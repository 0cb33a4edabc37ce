/* os-touch.c: lazy mmap, then one write per page at prefault time.  The
 * populate fallback for kernels before 5.14 (no MADV_POPULATE_WRITE): it
 * costs what first-touch faults cost, only earlier (KERNEL-FACTS 2.1 c),
 * which is the point when latency later matters more than CPU now. */
#include "os-impl.h"

static int hk_touch_acquire(size_t len, size_t align, void **out)
{
	return hk_os_sys_map(len, align, 0, out);
}

const struct hk_os_backend hk_os_touch = {
	.name = "touch",
	.id = HK_BACKEND_TOUCH,
	.acquire = hk_touch_acquire,
	.release = hk_os_sys_unmap,
	.prefault = hk_os_sys_touch,
	.purge = hk_os_sys_purge,
};
