/* purge.c: when memory that is free goes back to the OS, and how much
 * of it may wait.
 *
 * Free slices and cached large mappings are handed back once they have
 * stayed unused for HAKMEM_PURGE_DELAY_MS, so that a program that frees
 * and allocates again soon does not fault the same pages in twice.  The
 * check runs on slow paths only (no background thread): the coarse
 * monotonic clock is a vDSO read (hk_now_ms, os-sys.c).
 *
 * What waits is bounded by each cache's own size (the large cache: 64
 * MiB at least; a heap's idle slabs: 16 MiB; a heap's empty slices kept
 * past a shrink: 8 MiB), sized for a machine's memory.  Under a cgroup
 * memory limit those bounds and the delay add up to more than a small
 * limit holds (test-stress in a 96 MiB cgroup: peak 116 MiB, OOM-killed,
 * where glibc's peaks at 69), and the kernel kills at the limit instead
 * of failing an mmap, so the allocator never hears that it is short.
 * There each bound is also held to hk_os_keep_max() (os.c), a share of the limit
 * the probe read at load (no file is read later: doc/SYSCALLS.md), and
 * once the allocator holds half the limit mapped, nothing waits for the
 * delay (hk_purge_tight).
 *
 * Nor do the free blocks inside slabs that are not empty, which no
 * purge reaches: a block freed by a thread other than its slab's owner
 * waits on the slab's remote list until the owner next needs its class,
 * and with many threads and classes of a few blocks per slab that is
 * most of the medium blocks freed (test-stress at its peak: 20-27 MiB
 * of remote frees waiting, in 86-91 MiB resident, where the blocks in
 * use held 40).  So once three quarters of the limit are held (hk_purge_pressed), such
 * a block of 16 KiB or more gives its pages back before it goes over
 * (hk_purge_block): a system call, and a fault per page when the block
 * is used again, on a free that already takes a CAS on a line another
 * core owns (test-stress in 96 MiB: peak 64-73 MiB against 85-94, and
 * glibc's 71-78; but 40% slower, 1.5 times the system time).  Only
 * near the limit, where the alternative is the OOM killer.
 */
#include <stdint.h>

#include "lib/internal.h"
#include "lib/os.h"

uint64_t hk_purge_delay = 100;


/* What the allocator holds mapped (superslabs, counted whole, and
 * large mappings, the cache's among them: an upper bound of what it
 * holds resident, from its own counters) against share sixteenths of
 * the limit; false without a limit. */
static bool hk_purge_held(uint64_t share)
{
	size_t keep = hk_os_keep_max();
	uint64_t held;

	if (HK_LIKELY(keep == SIZE_MAX))
		return false;
	held = (__atomic_load_n(&hk_stats[HK_ST_SS_NEW], __ATOMIC_RELAXED) -
		__atomic_load_n(&hk_stats[HK_ST_SS_FREE], __ATOMIC_RELAXED)) * HK_SS_SIZE +
	       __atomic_load_n(&hk_stats[HK_ST_LARGE_BYTES], __ATOMIC_RELAXED);
	return held >= (uint64_t)keep * (HK_KEEP_SHARE / 16) * share;
}

/* Half the limit held: nothing waits for the delay, whose slack is what
 * pushes a program that glibc's malloc fits under the limit over it. */
bool hk_purge_tight(void)
{
	return hk_purge_held(8);
}

/* Three quarters held: free blocks give their pages back too. */
bool hk_purge_pressed(void)
{
	return hk_purge_held(12);
}

/* Purge the whole pages of block p after its first, which holds the
 * free-list link and the free key the free writes next.  Errors are
 * ignored: the pages simply stay.  Not under hugetlb, whose pages
 * cannot be given back in part (and are not charged to the memory
 * limit). */
void hk_purge_block(void *p, size_t block)
{
	uintptr_t page = (uintptr_t)hk_os_caps()->page_size;
	uintptr_t lo = ((uintptr_t)p + page) & ~(page - 1);
	uintptr_t hi = ((uintptr_t)p + block) & ~(page - 1);
	bool zeroed;

	if (hk_os_current()->id == HK_BACKEND_HUGETLB)
		return;
	if (hi > lo && hk_os_purge((void *)lo, hi - lo, &zeroed) == 0)
		hk_stat_add(HK_ST_PURGED, (int64_t)(hi - lo));
}

bool hk_purge_due(uint64_t since, uint64_t now)
{
	return now - since >= hk_purge_delay || hk_purge_tight();
}
