/* os-sys.c: the system calls the backends are built from.
 *
 * Mechanism only: aligned anonymous mappings, reservations, madvise, the
 * touch loop and the clocks.  Which of these a backend uses is os-*.c's;
 * what happens when one fails (a demotion, a fallback) is decided by
 * probe/select.c and probe/chunk.c and carried out in os.c and
 * os-batch.c.  Every function returns 0 or an errno value and leaves
 * errno as it found it.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>

#include "probe/kconst.h"
#include "lib/os-impl.h"

size_t hk_os_page = 4096;

#define HK_ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static int hk_os_sys_mmap(void *hint, size_t len, int prot, int flags, void **out)
{
	int saved = errno, err = 0;
	void *p = mmap(hint, len, prot, HK_ANON | flags, -1, 0);

	if (p == MAP_FAILED)
		err = errno;
	else
		*out = p;
	errno = saved;
	return err;
}

int hk_os_sys_unmap(void *p, size_t len)
{
	int saved = errno, err = 0;

	if (len && munmap(p, len) != 0)
		err = errno;
	errno = saved;
	return err;
}

static bool hk_os_aligned(const void *p, size_t align)
{
	return ((uintptr_t)p & (align - 1)) == 0;
}

/* Over-map and keep the aligned middle: one trim per reservation,
 * never per chunk. */
static int hk_os_sys_trimmed(size_t len, size_t align, int prot, int flags, void **out)
{
	size_t span = len + align - hk_os_page;
	char *p = NULL, *a;
	int err;

	err = hk_os_sys_mmap(NULL, span, prot, flags, (void **)&p);
	if (err)
		return err;
	a = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	hk_os_sys_unmap(p, (size_t)(a - p));
	hk_os_sys_unmap(a + len, (size_t)(p + span - (a + len)));
	*out = a;
	return 0;
}

static int hk_os_sys_reserve_trim(size_t len, size_t align, void **out)
{
	return hk_os_sys_trimmed(len, align, PROT_NONE, MAP_NORESERVE, out);
}

int hk_os_sys_reserve(size_t len, size_t align, void **out)
{
	void *p = NULL;
	int err;

	err = hk_os_sys_mmap(NULL, len, PROT_NONE, MAP_NORESERVE, &p);
	if (err || hk_os_aligned(p, align)) {
		if (!err)
			*out = p;
		return err;
	}
	hk_os_sys_unmap(p, len);
	return hk_os_sys_reserve_trim(len, align, out);
}

int hk_os_sys_fixed(void *p, size_t len, int flags)
{
	void *q;

	return hk_os_sys_mmap(p, len, PROT_READ | PROT_WRITE, MAP_FIXED | flags, &q);
}

int hk_os_sys_map(size_t len, size_t align, int flags, void **out)
{
	bool commits = flags & (MAP_POPULATE | MAP_HUGETLB);
	void *p = NULL;
	int err;

	/* A misaligned MAP_POPULATE try would populate memory only to
	 * unmap it: reserve first.  Hugetlb maps come aligned to the huge
	 * page, which is all a chunk needs. */
	if (!commits || align <= hk_os_page ||
	    ((flags & MAP_HUGETLB) && align <= HK_CHUNK_SIZE)) {
		err = hk_os_sys_mmap(NULL, len, PROT_READ | PROT_WRITE, flags, &p);
		if (err || hk_os_aligned(p, align)) {
			if (!err)
				*out = p;
			return err;
		}
		hk_os_sys_unmap(p, len);
	}
	/* A lazy map is over-mapped read-write and trimmed: mmap and munmap
	 * as a single-threaded program's malloc makes them, where a sandbox
	 * that lists only those (mmap read-write, never PROT_NONE or
	 * MAP_FIXED) kills on a PROT_NONE reservation and the MAP_FIXED
	 * over it.  The span is charged under vm.overcommit_memory=2 until
	 * the trim: on ENOMEM the reservation, which is not, is tried. */
	if (!commits && hk_os_sys_trimmed(len, align, PROT_READ | PROT_WRITE, flags, out) == 0)
		return 0;
	err = hk_os_sys_reserve_trim(len, align, &p);
	if (err)
		return err;
	err = hk_os_sys_fixed(p, len, flags);
	if (err) {
		hk_os_sys_unmap(p, len);
		return err;
	}
	*out = p;
	return 0;
}

int hk_os_sys_acquire_lazy(size_t len, size_t align, void **out)
{
	return hk_os_sys_map(len, align, 0, out);
}

int hk_os_sys_no_prefault(void *p, size_t len)
{
	(void)p;
	(void)len;
	return 0;
}

int hk_os_sys_advise(void *p, size_t len, int advice)
{
	int saved = errno, err = 0;

	while (madvise(p, len, advice) != 0) {
		err = errno;
		/* MADV_POPULATE_* may be interrupted by a signal. */
		if (err != EINTR && err != EAGAIN)
			break;
		err = 0;
	}
	errno = saved;
	return err;
}

int hk_os_sys_touch(void *p, size_t len)
{
	/* An atomic or of zero is a write access (one write fault, no copy
	 * of the zero page first) that cannot change what is there.  The
	 * zero comes through an empty asm: clang 14 deletes an or of a
	 * constant zero whose result is unused, volatile or not, and then
	 * touches nothing (test-os-backends: 0 of 1024 pages resident). */
	char zero = 0;

	__asm__("" : "+r"(zero));
	for (size_t off = 0; off < len; off += hk_os_page)
		__atomic_fetch_or((volatile char *)p + off, zero, __ATOMIC_RELAXED);
	return 0;
}

int hk_os_sys_dontneed(void *p, size_t len)
{
	return hk_os_sys_advise(p, len, MADV_DONTNEED);
}

/* The clocks, here for every layer (the run-once flags, the purge
 * delays, the timed trials): both are vDSO reads, no system call.
 * Milliseconds of the coarse clock, for delays and bounds. */
uint64_t hk_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Nanoseconds of the fine clock, for what is timed in microseconds. */
uint64_t hk_os_sys_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
