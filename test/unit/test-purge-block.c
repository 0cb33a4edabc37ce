/* test-purge-block: near a cgroup memory limit, a medium block freed by
 * a thread other than its slab's owner gives its pages back before it
 * goes onto the slab's remote list (hk_purge_block, lib/purge.c), where
 * it would otherwise stay resident until the owner next needs its
 * class.  The limit is the probe's answer overridden (64 MiB); a large
 * block, mapped and never touched, makes the allocator hold three
 * quarters of it.  Before that, the same free leaves the pages be. */
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "include/hakmem.h"
#include "lib/internal.h"
#include "lib/os-impl.h"
#include "test/tap.h"

#define BLOCK (64 << 10)

static void *blk;

/* Resident pages of [p, p + len), by mincore. */
static int resident(void *p, size_t len)
{
	unsigned char v[BLOCK / 4096];
	int n = 0;

	if (mincore(p, len, v))
		return -1;
	for (size_t i = 0; i < len / 4096; i++)
		n += v[i] & 1;
	return n;
}

static void *remote_free(void *arg)
{
	(void)arg;
	hk_free(blk);
	return NULL;
}

/* A block of this thread's, written whole, freed by another thread;
 * returns how many of its pages stay resident. */
static int after_remote_free(void)
{
	pthread_t t;
	char *p;

	blk = p = hk_malloc(BLOCK);
	if (!p || ((uintptr_t)p & 4095))
		return -1;
	memset(p, 0x5a, BLOCK);
	pthread_create(&t, NULL, remote_free, NULL);
	pthread_join(t, NULL);
	return resident(p, BLOCK);
}

int main(void)
{
	struct hk_caps caps;
	void *big;
	int n;

	if (sysconf(_SC_PAGESIZE) != 4096)
		tap_skip_all("pages of %ld bytes, the test counts 4 KiB ones", sysconf(_SC_PAGESIZE));
	tap_plan(3);
	hk_probe(&caps, "", 0);
	caps.cgroup_mem_max = 64 << 20;
	hk_os_init_caps(&caps);
	n = after_remote_free();
	tap_ok(n == BLOCK / 4096, "far from the limit: a remote free leaves the block resident (%d of %d pages)",
	       n, BLOCK / 4096);
	big = hk_malloc(52 << 20);	/* never touched: held, not resident */
	tap_ok(big && hk_purge_pressed(), "a 52 MiB block makes the allocator hold 3/4 of the 64 MiB limit");
	n = after_remote_free();
	tap_ok(n == 1, "near the limit: only the block's first page stays (%d of %d pages)", n, BLOCK / 4096);
	hk_free(big);
	return tap_done();
}
