/* test-os-move: hk_os_move (lib/os-map.c) on a kernel before 6.17, whose
 * mremap with MREMAP_FIXED unmaps the destination first and only then
 * refuses a range of several kernel mappings (VMAs) with EFAULT
 * (old-mremap.h stands in for it).  A move tried again into that hole,
 * where another thread's mmap may have landed in between, replaces that
 * thread's pages: what made test-oom and test-stress abort under Debian
 * 12's 6.1 in test/vm ("free(): invalid pointer", damaged blocks).
 * Deterministic: one thread, one move of a range of two VMAs. */
#include "lib/os.h"
#include "probe/chunk.h"
#include "test/tap.h"
#include "test/unit/old-mremap.h"

#define LEN ((size_t)8 << 20)

/* Pages of [p, p+len) that do not hold v. */
static size_t lost(const unsigned char *p, size_t len, unsigned char v)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i += 4096)
		if (p[i] != v || p[i + 4095] != v)
			n++;
	return n;
}

int main(void)
{
	unsigned char *src, *dst;
	size_t moved, damage;

	tap_plan(3);
	if (hk_os_map(LEN, HK_CHUNK_SIZE, (void **)&src) || hk_os_map(LEN, HK_CHUNK_SIZE, (void **)&dst))
		tap_skip_all("no 8 MiB mappings");
	/* Two VMAs: advice on one half only. */
	madvise(src, LEN / 2, MADV_RANDOM);
	memset(src, 7, LEN);
	if (hk_one_vma(src, LEN))
		tap_skip_all("the advice did not split the range in two VMAs");
	hk_old_mremap = 1;
	moved = hk_os_move(src, LEN, dst);
	hk_old_mremap = 0;
	damage = hk_old_mremap_damage();
	tap_diag("moves refused after unmapping the destination: %d", hk_old_refusals);
	tap_ok(damage == 0, "no other mapping's pages replaced (%zu pages of the regions in holes)",
	       damage);
	tap_ok(moved == LEN && lost(dst, LEN, 7) == 0,
	       "all moved, the contents at the destination (%zu of %zu bytes)", moved, LEN);
	tap_ok(msync(src, 4096, MS_ASYNC) != 0 && msync(src + LEN - 4096, 4096, MS_ASYNC) != 0,
	       "the source is left unmapped");
	return tap_done();
}
