/* os-touch.c: lazy mmap, then one write per page at prefault time.  The
 * populate fallback for kernels before 5.14 (no MADV_POPULATE_WRITE): it
 * costs what first-touch faults cost, only earlier (doc/KERNEL-COSTS.md),
 * which is the point when latency later matters more than CPU now. */
#include "lib/os-impl.h"

const struct hk_os_backend hk_os_touch = {
	.name = "touch",
	.id = HK_BACKEND_TOUCH,
	.acquire = hk_os_sys_acquire_lazy,
	.release = hk_os_sys_unmap,
	.prefault = hk_os_sys_touch,
	.purge = hk_os_sys_dontneed,
};
