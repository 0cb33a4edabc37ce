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
 */
#include <stdint.h>

#include "lib/internal.h"
#include "lib/os.h"

uint64_t hk_purge_delay = 100;


/* Pressure: what the allocator holds mapped (superslabs, counted whole,
 * and large mappings, the cache's among them: an upper bound of what it
 * holds resident, from its own counters) has reached half the limit.
 * Then nothing waits for the delay: the slack the delay keeps is what
 * pushes a program that glibc's malloc fits under the limit over it. */
bool hk_purge_tight(void)
{
	size_t keep = hk_os_keep_max();
	uint64_t held;

	if (HK_LIKELY(keep == SIZE_MAX))
		return false;
	held = (__atomic_load_n(&hk_stats[HK_ST_SS_NEW], __ATOMIC_RELAXED) -
		__atomic_load_n(&hk_stats[HK_ST_SS_FREE], __ATOMIC_RELAXED)) * HK_SS_SIZE +
	       __atomic_load_n(&hk_stats[HK_ST_LARGE_BYTES], __ATOMIC_RELAXED);
	return held >= (uint64_t)keep * (HK_KEEP_SHARE / 2);
}

bool hk_purge_due(uint64_t since, uint64_t now)
{
	return now - since >= hk_purge_delay || hk_purge_tight();
}
