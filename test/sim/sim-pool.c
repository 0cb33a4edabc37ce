/* sim-pool.c: a hugetlb pool of the default page size, grown for one run
 * and given back after it.  The launcher stays the command's parent while
 * it runs so that the pool shrinks whatever the command did, a crash
 * included.  Growth and shrinking are relative, so two tests adjusting
 * the pool at once (make check -j2) do not undo each other.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test/sim/sim.h"

#define HK_SIM_POOL "/proc/sys/vm/nr_hugepages"

static long hk_pool_read(void)
{
	char buf[32];
	int fd = open(HK_SIM_POOL, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

static int hk_pool_write(long pages)
{
	char buf[32];
	int fd = open(HK_SIM_POOL, O_WRONLY | O_CLOEXEC);
	int len = snprintf(buf, sizeof(buf), "%ld\n", pages < 0 ? 0 : pages);
	int rc = fd >= 0 && write(fd, buf, (size_t)len) == len ? 0 : -1;

	if (fd >= 0)
		close(fd);
	return rc;
}

long hk_sim_pool_grow(long n)
{
	long before = hk_pool_read(), after;

	if (before < 0 || hk_pool_write(before + n) != 0) {
		fprintf(stderr, "hk-simkernel: cannot grow %s: %s\n", HK_SIM_POOL, strerror(errno));
		return -1;
	}
	after = hk_pool_read();
	if (after < before + n)
		fprintf(stderr, "hk-simkernel: the pool grew by %ld of %ld pages\n",
			after - before, n);
	return after > before ? after - before : 0;
}

void hk_sim_pool_shrink(long added)
{
	long now = hk_pool_read();

	if (added > 0 && (now < 0 || hk_pool_write(now - added) != 0))
		fprintf(stderr, "hk-simkernel: cannot shrink %s back by %ld pages: %s\n",
			HK_SIM_POOL, added, strerror(errno));
}
