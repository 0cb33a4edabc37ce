/* os-map.c: mappings for large objects.  Whatever the backend, these are
 * lazy 4 KiB pages: a large object is sparse or of unknown density until
 * proved otherwise, and only what is touched should cost (doc/KERNEL-COSTS.md,
 * section 2).  In THP "always" mode they get MADV_NOHUGEPAGE, or one touch
 * would cost 2 MiB of RSS.  They need no probe (os-impl.h,
 * hk_os_started).  Not a hot path (the allocator caches large
 * blocks), so larger alignments may over-map and trim.  Resident pages
 * change places with mremap instead of being faulted again: growing in
 * place, and moving a range's page tables under another address. */
#include <errno.h>
#include <sys/mman.h>

#include "probe/kconst.h"
#include "lib/os-impl.h"

int hk_os_map(size_t len, size_t align, void **out)
{
	void *p;
	int err;

	/* No probe needed: these pages are lazy whatever the backend. */
	if (!hk_os_started())
		hk_os_early_page();
	if (align < hk_os_page)
		align = hk_os_page;
	len = (len + hk_os_page - 1) & ~(hk_os_page - 1);
	if (len == 0 || (align & (align - 1)))
		return ENOMEM;
	err = hk_os_sys_map(len, align, 0, &p);
	if (err) {
		HK_OS_COUNT(HK_BACKEND_LAZY, failures, 1);
		return ENOMEM;
	}
	/* Before the probe the THP mode is unknown: a map that could hold a
	 * huge page gets the advice anyway (an error without THP is fine). */
	if (hk_os_started() ? hk_os_thp_always() : len >= HK_CHUNK_SIZE)
		hk_os_sys_advise(p, len, MADV_NOHUGEPAGE);
	HK_OS_COUNT(HK_BACKEND_LAZY, regions, 1);
	HK_OS_COUNT(HK_BACKEND_LAZY, bytes, len);
	*out = p;
	return 0;
}

void hk_os_unmap(void *p, size_t len)
{
	len = (len + hk_os_page - 1) & ~(hk_os_page - 1);
	if (hk_os_sys_unmap(p, len) == 0)
		HK_OS_COUNT(HK_BACKEND_LAZY, released, len);
}

/* Three calls that change nothing in the common case: each finds the
 * flags it would set already there and returns (mprotect_fixup and
 * madvise_update_vma compare first). */
void hk_os_reset(void *p, size_t len)
{
	int saved = errno;

	mprotect(p, len, PROT_READ | PROT_WRITE);
	errno = saved;
	hk_os_sys_advise(p, len, MADV_DOFORK);
	hk_os_sys_advise(p, len, MADV_KEEPONFORK);
}

int hk_os_remap(void *p, size_t oldlen, size_t newlen, void **out)
{
	int saved = errno, err = 0;
	void *q;

	oldlen = (oldlen + hk_os_page - 1) & ~(hk_os_page - 1);
	newlen = (newlen + hk_os_page - 1) & ~(hk_os_page - 1);
	if (newlen == 0)
		return EINVAL;
	/* The new tail inherits the VMA's advice, MADV_NOHUGEPAGE included. */
	q = mremap(p, oldlen, newlen, MREMAP_MAYMOVE);
	if (q == MAP_FAILED)
		err = errno;
	else
		*out = q;
	errno = saved;
	return err;
}

int hk_os_grow(void *p, size_t oldlen, size_t newlen)
{
	int saved = errno, err = 0;

	if (mremap(p, oldlen, newlen, 0) == MAP_FAILED)
		err = errno;
	errno = saved;
	return err;
}

/* Halves at chunk boundaries keep each piece's page tables whole. */
static size_t hk_os_move_half(size_t len)
{
	size_t unit = len >= 2 * HK_CHUNK_SIZE ? HK_CHUNK_SIZE : hk_os_page;

	return (len / 2) & ~(unit - 1);
}

/* Does [p, p+len) lie in one kernel mapping (VMA)?  A move with
 * MREMAP_FIXED cannot be tried to find out: before 6.17 the kernel
 * unmaps the destination first and only then refuses a range of several
 * VMAs (EFAULT), and in the hole another thread's mmap may land before
 * the move is tried again in pieces, which then replace its pages
 * (doc/ADDRESS-SPACE.md, "Moving pages").  Growing the range in place by
 * a page, without MREMAP_MAYMOVE, checks the same thing first and
 * changes nothing when it fails: EFAULT if the range spans VMAs, ENOMEM
 * if it ends inside one or cannot grow.  Where it did grow, the page
 * goes back at once (it was free address space, now ours: no one else
 * can have mapped it). */
static bool hk_os_one_vma(void *p, size_t len)
{
	int saved = errno;
	bool one = true;

	if (mremap(p, len, len + hk_os_page, 0) != MAP_FAILED)
		hk_os_sys_unmap((char *)p + len, hk_os_page);
	else
		one = errno != EFAULT;
	errno = saved;
	return one;
}

/* Does a fixed move here take a range of several VMAs (6.17 and later)?
 * 1 yes, -1 no, 0 not known yet. */
static int hk_os_move_spans;

/* Find out once, on two pages of our own made two VMAs, moved onto a
 * third mapping.  The second page is a page mapped elsewhere, written
 * and moved over it: its VMA keeps its own offset and cannot merge
 * (mmap read-write, mremap and munmap only: the calls the plainest
 * sandbox allows malloc, test/fault/sandbox-filters.h).  A refusal may
 * have unmapped the third mapping, and another thread may have mapped
 * there since: it is left alone (on a kernel that refused without
 * unmapping, 8 KiB stay mapped, once).  Unknown while the maps fail
 * (RLIMIT_AS): asked again then. */
static bool hk_os_move_spans_vmas(void)
{
	int known = __atomic_load_n(&hk_os_move_spans, __ATOMIC_RELAXED), saved;
	size_t pg = hk_os_page;
	char *src = NULL, *one = NULL, *dst = NULL;

	if (known)
		return known > 0;
	if (hk_os_sys_map(2 * pg, pg, 0, (void **)&src) || hk_os_sys_map(pg, pg, 0, (void **)&one) ||
	    hk_os_sys_map(2 * pg, pg, 0, (void **)&dst)) {
		hk_os_sys_unmap(src, src ? 2 * pg : 0);
		hk_os_sys_unmap(one, one ? pg : 0);
		return false;
	}
	saved = errno;
	src[0] = 1;
	one[0] = 1;
	if (mremap(one, pg, pg, MREMAP_MAYMOVE | MREMAP_FIXED, src + pg) == MAP_FAILED) {
		errno = saved;
		hk_os_sys_unmap(src, 2 * pg);
		hk_os_sys_unmap(one, pg);
		hk_os_sys_unmap(dst, 2 * pg);
		return false;
	}
	known = mremap(src, 2 * pg, 2 * pg, MREMAP_MAYMOVE | MREMAP_FIXED, dst) != MAP_FAILED ? 1 : -1;
	errno = saved;
	hk_os_sys_unmap(known > 0 ? dst : src, 2 * pg);
	__atomic_store_n(&hk_os_move_spans, known, __ATOMIC_RELAXED);
	return known > 0;
}

size_t hk_os_move(void *src, size_t len, void *dst)
{
	int saved = errno, err = 0;
	size_t half, done;

	if (hk_os_move_spans_vmas() || hk_os_one_vma(src, len)) {
		if (mremap(src, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dst) == MAP_FAILED)
			err = errno;
		errno = saved;
		if (!err)
			return len;
		HK_OS_COUNT(HK_BACKEND_LAZY, failures, 1);
		return 0;
	}
	/* Several VMAs, which a move may not span before 6.17 (ours split
	 * only at our own boundaries): in halves, each checked again. */
	if (len <= hk_os_page) {
		HK_OS_COUNT(HK_BACKEND_LAZY, failures, 1);
		return 0;
	}
	half = hk_os_move_half(len);
	done = hk_os_move(src, half, dst);
	if (done < half)
		return done;
	return half + hk_os_move((char *)src + half, len - half, (char *)dst + half);
}
