/* os-hugetlb.c: MAP_HUGETLB pages of 2 MiB from the pool the
 * administrator reserved (vm.nr_hugepages).  No compaction, no
 * hypervisor reclaim (KERNEL-FACTS 2.5), but an empty pool fails the
 * mmap with ENOMEM (ENOSYS without CONFIG_HUGETLBFS, EINVAL for a size
 * the kernel lacks), and os.c then demotes.  A private hugetlb mapping
 * takes its pool pages at mmap time, so the batch layer commits each
 * chunk by itself instead of holding a whole reservation of the pool. */
#include "kconst.h"
#include "os-impl.h"

/* Ask for 2 MiB pages explicitly (3.8+; older kernels ignore the size
 * bits): the default huge page size may be 1 GiB. */
#define HK_HUGETLB_FLAGS (MAP_HUGETLB | (HK_CHUNK_SHIFT << MAP_HUGE_SHIFT))

static int hk_hugetlb_acquire(size_t len, size_t align, void **out)
{
	return hk_os_sys_map(len, align, HK_HUGETLB_FLAGS, out);
}

static int hk_hugetlb_commit(void *p, size_t len)
{
	return hk_os_sys_fixed(p, len, HK_HUGETLB_FLAGS);
}

/* MADV_FREE is refused on hugetlb; MADV_DONTNEED works since 5.18 and
 * gives the pages back to the pool. */
static int hk_hugetlb_purge(void *p, size_t len)
{
	return hk_os_sys_advise(p, len, MADV_DONTNEED);
}

const struct hk_os_backend hk_os_hugetlb = {
	.name = "hugetlb",
	.id = HK_BACKEND_HUGETLB,
	.acquire = hk_hugetlb_acquire,
	.release = hk_os_sys_unmap,
	.prefault = hk_os_sys_populate_or_touch,
	.purge = hk_hugetlb_purge,
	.commit = hk_hugetlb_commit,
};
