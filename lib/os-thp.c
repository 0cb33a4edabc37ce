/* os-thp.c: transparent huge pages: a 2 MiB-aligned lazy mapping with
 * madvise(MADV_HUGEPAGE) (2.6.38+), so each first touch of a 2 MiB piece
 * maps one huge page: 3-4x cheaper than 4 KiB faults for memory that is
 * touched completely, and munmap 9-15x cheaper (doc/KERNEL-COSTS.md).
 * Prefault populates with MADV_POPULATE_WRITE, or touches one byte per
 * page before 5.14.  EINVAL from the advice (a kernel without
 * CONFIG_TRANSPARENT_HUGEPAGE) fails acquire, and os.c demotes. */
#include "probe/kconst.h"
#include "lib/os-impl.h"

static int hk_thp_acquire(size_t len, size_t align, void **out)
{
	void *p;
	int err;

	err = hk_os_sys_map(len, align > HK_CHUNK_SIZE ? align : HK_CHUNK_SIZE, 0, &p);
	if (err)
		return err;
	err = hk_os_sys_advise(p, len, MADV_HUGEPAGE);
	if (err) {
		hk_os_sys_unmap(p, len);
		return err;
	}
	*out = p;
	return 0;
}

const struct hk_os_backend hk_os_thp = {
	.name = "thp",
	.id = HK_BACKEND_THP,
	.acquire = hk_thp_acquire,
	.release = hk_os_sys_unmap,
	.prefault = hk_os_populate_or_touch,
	.purge = hk_os_sys_dontneed,
};
