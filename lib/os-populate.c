/* os-populate.c: lazy mmap, then madvise(MADV_POPULATE_WRITE) (5.14+) at
 * prefault time: the kernel faults the range in without a trap per page
 * (about 25-30% cheaper than first-touch faults, doc/KERNEL-COSTS.md) and,
 * unlike MAP_POPULATE, reports failure.  EINVAL means an older kernel;
 * os.c then demotes along the chain. */
#include "probe/kconst.h"
#include "lib/os-impl.h"

static int hk_populate_prefault(void *p, size_t len)
{
	return hk_os_sys_advise(p, len, MADV_POPULATE_WRITE);
}

const struct hk_os_backend hk_os_populate = {
	.name = "populate",
	.id = HK_BACKEND_POPULATE,
	.acquire = hk_os_sys_acquire_lazy,
	.release = hk_os_sys_unmap,
	.prefault = hk_populate_prefault,
	.purge = hk_os_sys_dontneed,
};
