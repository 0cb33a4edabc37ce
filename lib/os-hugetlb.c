/* os-hugetlb.c: MAP_HUGETLB pages of 2 MiB from the pool the
 * administrator reserved (vm.nr_hugepages).  No compaction, no
 * hypervisor reclaim (doc/KERNEL-COSTS.md, section 4), but an empty pool fails the
 * mmap with ENOMEM (ENOSYS without CONFIG_HUGETLBFS, EINVAL for a size
 * the kernel lacks), and os.c then demotes.  A private hugetlb mapping
 * takes its pool pages at mmap time, so the batch layer commits each
 * chunk by itself instead of holding a whole reservation of the pool.
 *
 * Fork: a chunk is committed only while the pool could also give a copy
 * of every hugetlb chunk ours, this one included, so that the copies a
 * fork's copy-on-write takes never find the pool empty (os-hugefork.c):
 * the backend takes at most half of the free pool, and demotes when
 * that is used. */
#include "probe/kconst.h"
#include "lib/os-impl.h"

static int hk_hugetlb_acquire(size_t len, size_t align, void **out)
{
	return hk_os_sys_map(len, align, HK_HUGETLB_FLAGS, out);
}

/* Populated at once (the first write would do it anyway: a superslab
 * writes its header), so that a fork child reads a page that is there;
 * then marked for the child (os-hugefork.c). */
static int hk_hugetlb_commit(void *p, size_t len)
{
	int err;

	err = hk_hugetlb_cover(hk_hugetlb_bytes() + 2 * len);
	if (!err)
		err = hk_os_sys_fixed(p, len, HK_HUGETLB_FLAGS);
	if (err)
		return err;
	hk_os_sys_touch(p, len);	/* from the reservation: cannot fail */
	return hk_hugetlb_mark(p, len);
}

const struct hk_os_backend hk_os_hugetlb = {
	.name = "hugetlb",
	.id = HK_BACKEND_HUGETLB,
	.acquire = hk_hugetlb_acquire,
	.release = hk_os_sys_unmap,
	.prefault = hk_os_populate_or_touch,
	/* MADV_FREE is refused on hugetlb (hk_purge_advice never asks it
	 * here); MADV_DONTNEED works since 5.18 and gives the pages back
	 * to the pool. */
	.purge = hk_os_sys_dontneed,
	.commit = hk_hugetlb_commit,
};
