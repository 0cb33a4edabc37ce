/* os-hugefork.c: which chunks are hugetlb pages, and what a fork child
 * does with them.
 *
 * Why: after fork(2) a private hugetlb page is shared copy-on-write, and
 * neither side's copy may come from a reservation.  A child that writes
 * needs a free pool page and gets SIGBUS without one; a parent that
 * writes first needs one too, and when the pool has none the kernel keeps
 * the page for the parent (the mapping's owner) and unmaps it from the
 * children, which get SIGBUS at their next touch of that mapping, a read
 * included (mm/hugetlb.c, hugetlb_wp and unmap_ref_private).  So:
 *  - the hugetlb backend commits a chunk only while the pool could also
 *    give the copy of every hugetlb chunk ours (os-hugetlb.c): whatever the
 *    parent writes after a fork finds a free page, and no child loses one;
 *  - the child, in its fork handler before the program runs again, moves
 *    every hugetlb chunk in use onto ordinary private pages (a copy
 *    mremap'd over the chunk), which needs no pool page, and drops the
 *    cached ones (os-batch.c).  Once its mappings are gone the parent's
 *    pages are its own again and its writes copy nothing.
 * The child reads only pages it is sure are there: a missing hugetlb
 * page would be faulted in from the pool.  A chunk is marked here only
 * once its page is populated; in-use chunks are never purged (hugetlb
 * refuses MADV_DONTNEED on a range not aligned to the huge page, and a
 * superslab never purges its header); cached ones may be, and are not
 * read.
 *
 * When the pool cannot give those copies at the fork (another program
 * took the pages since), the parent's fork handler waits, up to a bound,
 * until the child has moved its chunks: the forking thread's first
 * writes after fork() then take nothing from the child.  Other threads of
 * the parent writing hugetlb pages during the child's copy may still
 * cost it a page (SIGBUS): that window is the child's copy time.
 *
 * The map: one bit per 2 MiB chunk, two levels like the segment map;
 * leaves are pages of their own (mmap), not hk_meta_alloc memory, so that
 * marking needs no lock.  Nothing here runs unless hugetlb memory exists.
 */
#include <errno.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "probe/kconst.h"
#include "lib/msg.h"
#include "lib/os-impl.h"

#define HK_HMAP_LEAF_BITS 15	/* a 4 KiB page of bits: 64 GiB of chunks */
#define HK_HMAP_TOP_BITS (47 - HK_CHUNK_SHIFT - HK_HMAP_LEAF_BITS)
#define HK_HMAP_WORDS (((size_t)1 << HK_HMAP_LEAF_BITS) / 64)
#define HK_HMAP_RUN 16		/* chunks copied at once: 32 MiB */

#define HK_HMAP_TOP_BYTES (((size_t)1 << HK_HMAP_TOP_BITS) * sizeof(uint64_t *))

/* The top table, mapped at the first mark: 16 KiB that only the hugetlb
 * backend uses, kept out of the library's .bss, whose layout start-up's
 * page count depends on (test/api/test-faults).  In .data, beside the
 * count, since both are read at every chunk free. */
static uint64_t **hk_hmap_top __attribute__((section(".data")));
/* Marked bytes: 0 = no hugetlb memory.  Read at every chunk free, so it
 * lives on .data's page, which start-up touches anyway, not on a .bss
 * page of its own (test/api/test-faults counts them). */
static size_t hk_hmap_bytes __attribute__((section(".data")));

static uint64_t *hk_hmap_leaf(uintptr_t r, bool make)
{
	uint64_t **top = __atomic_load_n(&hk_hmap_top, __ATOMIC_ACQUIRE), **slot;
	uint64_t *leaf, *seen = NULL;
	void *p;

	if (!top) {
		uint64_t **none = NULL;

		if (!make || hk_os_sys_map(HK_HMAP_TOP_BYTES, hk_os_page, 0, &p))
			return NULL;
		top = p;
		if (!__atomic_compare_exchange_n(&hk_hmap_top, &none, top, false,
						 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			hk_os_sys_unmap(p, HK_HMAP_TOP_BYTES);
			top = none;
		}
	}
	slot = &top[r >> HK_HMAP_LEAF_BITS];
	leaf = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	if (leaf || !make)
		return leaf;
	if (hk_os_sys_map(HK_HMAP_WORDS * 8, hk_os_page, 0, &p))
		return NULL;
	if (__atomic_compare_exchange_n(slot, &seen, (uint64_t *)p, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return p;
	hk_os_sys_unmap(p, HK_HMAP_WORDS * 8);
	return seen;
}

/* Set or clear the bits of [p, p+len); false when a leaf is missing (no
 * memory for it, or an address past 47 bits). */
static bool hk_hmap_set(const void *p, size_t len, bool on)
{
	uintptr_t r = (uintptr_t)p >> HK_CHUNK_SHIFT;
	uintptr_t end = r + (len >> HK_CHUNK_SHIFT);
	size_t done = 0;

	for (; r < end; r++) {
		uint64_t *leaf, bit = (uint64_t)1 << (r & 63), old;
		size_t w = (r & (((size_t)1 << HK_HMAP_LEAF_BITS) - 1)) / 64;

		if ((r >> HK_HMAP_LEAF_BITS) >> HK_HMAP_TOP_BITS ||
		    !(leaf = hk_hmap_leaf(r, on)))
			break;
		old = on ? __atomic_fetch_or(&leaf[w], bit, __ATOMIC_RELAXED)
			 : __atomic_fetch_and(&leaf[w], ~bit, __ATOMIC_RELAXED);
		if (!(old & bit) == on)
			done += HK_CHUNK_SIZE;
	}
	if (on)
		__atomic_fetch_add(&hk_hmap_bytes, done, __ATOMIC_RELAXED);
	else
		__atomic_fetch_sub(&hk_hmap_bytes, done, __ATOMIC_RELAXED);
	return r == end;
}

int hk_hugetlb_mark(void *p, size_t len)
{
	if (hk_hmap_set(p, len, true))
		return 0;
	hk_hmap_set(p, len, false);
	return ENOMEM;
}

bool hk_hugetlb_unmark(void *p, size_t len)
{
	if (!hk_hugetlb_marked(p))
		return false;
	hk_hmap_set(p, len, false);
	return true;
}

bool hk_hugetlb_marked(const void *p)
{
	uintptr_t r = (uintptr_t)p >> HK_CHUNK_SHIFT;
	uint64_t *leaf;

	if (!__atomic_load_n(&hk_hmap_bytes, __ATOMIC_RELAXED) ||
	    (r >> HK_HMAP_LEAF_BITS) >> HK_HMAP_TOP_BITS ||
	    !(leaf = hk_hmap_leaf(r, false)))
		return false;
	return __atomic_load_n(&leaf[(r & (((size_t)1 << HK_HMAP_LEAF_BITS) - 1)) / 64],
			       __ATOMIC_RELAXED) >> (r & 63) & 1;
}

size_t hk_hugetlb_bytes(void)
{
	return __atomic_load_n(&hk_hmap_bytes, __ATOMIC_RELAXED);
}

int hk_hugetlb_cover(size_t need)
{
	void *q;
	int err = hk_os_sys_map(need, HK_CHUNK_SIZE, HK_HUGETLB_FLAGS, &q);

	if (!err)
		hk_os_sys_unmap(q, need);
	return err;
}

/* The child's "moved" word, shared with the parent (MAP_SHARED: it
 * survives the fork as the same page), and whether this fork waits. */
static int *hk_hugefork_done;
static bool hk_hugefork_waits;

/* A bound, for a fork that failed or a child that died: 1 s per 128 MiB
 * to move (the copy runs at 0.5-2 GB/s), at least 1 s. */
static int64_t hk_hugefork_bound_ns(void)
{
	return (int64_t)(hk_hugetlb_bytes() / (128 << 20) + 1) * 1000000000LL;
}

void hk_hugetlb_fork_prepare(void)
{
	void *p;

	hk_hugefork_waits = false;
	if (!hk_hugetlb_bytes() || hk_hugetlb_cover(hk_hugetlb_bytes()) == 0)
		return;
	if (!hk_hugefork_done) {
		p = mmap(NULL, hk_os_page, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return;
		hk_hugefork_done = p;
	}
	__atomic_store_n(hk_hugefork_done, 0, __ATOMIC_RELAXED);
	hk_hugefork_waits = true;
	HK_OS_COUNT(HK_BACKEND_HUGETLB, fork_waits, 1);
}

/* FUTEX_WAIT (shared: two processes) until the child says done, or the
 * bound passes (fork failed, or the child died first). */
void hk_hugetlb_fork_parent(void)
{
	int64_t end, left;
	int saved = errno;

	if (!hk_hugefork_waits)
		return;
	end = (int64_t)hk_os_sys_ns() + hk_hugefork_bound_ns();
	while (!__atomic_load_n(hk_hugefork_done, __ATOMIC_ACQUIRE) &&
	       (left = end - (int64_t)hk_os_sys_ns()) > 0) {
		struct timespec ts = { left / 1000000000LL, left % 1000000000LL };

		syscall(SYS_futex, hk_hugefork_done, FUTEX_WAIT, 0, &ts, NULL, 0);
	}
	hk_hugefork_waits = false;
	errno = saved;
}

static void hk_hugefork_wake(void)
{
	if (!hk_hugefork_waits)
		return;
	__atomic_store_n(hk_hugefork_done, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, hk_hugefork_done, FUTEX_WAKE, 1, NULL, NULL, 0);
	hk_hugefork_waits = false;
}

/* A private copy of [p, p+len) on ordinary pages, moved over it.  THP
 * where the kernel has it, populated before the copy (MADV_POPULATE_WRITE
 * then memcpy: 2-4x faster than faulting during memcpy, doc/HUGETLB-FORK.md);
 * a populate that fails leaves the chunk as it is rather than have the
 * copy fault into the OOM killer.  The pages the child reads are its
 * parent's, present and shared. */
static bool hk_hugefork_move(char *p, size_t len)
{
	void *tmp;

	if (hk_os_sys_map(len, HK_CHUNK_SIZE, 0, &tmp))
		return false;
	hk_os_sys_advise(tmp, len, MADV_HUGEPAGE);
	if (hk_os_populate_or_touch(tmp, len)) {
		hk_os_sys_unmap(tmp, len);
		return false;
	}
	memcpy(tmp, p, len);
	if (mremap(tmp, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, p) == MAP_FAILED) {
		hk_os_sys_unmap(tmp, len);
		return false;
	}
	return true;
}

/* A run of marked chunks; when no memory holds the whole run, chunk by
 * chunk; what cannot be moved stays shared (and counted). */
static void hk_hugefork_run(char *p, size_t n, uint64_t *moved, uint64_t *left)
{
	if (hk_hugefork_move(p, n * HK_CHUNK_SIZE)) {
		*moved += n * HK_CHUNK_SIZE;
		hk_hmap_set(p, n * HK_CHUNK_SIZE, false);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char *c = p + i * HK_CHUNK_SIZE;

		if (n > 1 && hk_hugefork_move(c, HK_CHUNK_SIZE)) {
			*moved += HK_CHUNK_SIZE;
			hk_hmap_set(c, HK_CHUNK_SIZE, false);
		} else {
			*left += HK_CHUNK_SIZE;
		}
	}
}

void hk_hugetlb_fork_child(void)
{
	uint64_t moved = 0, left = 0;
	int saved = errno;

	if (!hk_hugetlb_bytes()) {
		hk_hugefork_wake();
		return;
	}
	for (size_t t = 0; hk_hmap_top && t < (size_t)1 << HK_HMAP_TOP_BITS; t++) {
		uint64_t *leaf = hk_hmap_top[t];
		uintptr_t base = (uintptr_t)t << HK_HMAP_LEAF_BITS;

		for (size_t w = 0; leaf && w < HK_HMAP_WORDS; w++) {
			uint64_t bits = leaf[w];

			while (bits) {
				unsigned i = (unsigned)__builtin_ctzll(bits), j = i;

				while (j < 64 && j - i < HK_HMAP_RUN && (bits >> j & 1))
					j++;
				hk_hugefork_run((char *)((base + w * 64 + i) << HK_CHUNK_SHIFT),
						j - i, &moved, &left);
				bits &= j < 64 ? ~((((uint64_t)1 << j) - 1)) : 0;
			}
		}
	}
	hk_hugefork_wake();
	HK_OS_COUNT(HK_BACKEND_HUGETLB, fork_moved, moved);
	HK_OS_COUNT(HK_BACKEND_HUGETLB, fork_left, left);
	hk_verbose("fork: moved %llu MiB of hugetlb memory onto ordinary pages%s",
		   (unsigned long long)(moved >> 20),
		   left ? ", some left shared (no memory for the copy)" : "");
	errno = saved;
}
