/* hk-vm-trials: the guest's own answer to what hk-probe finds out by
 * trial, made here with plain calls and nothing of hakmem's, so that
 * test/vm/guest-row.sh can hold hk-probe's report against it.  Prints
 * one "field=true|false" line per memory feature, named as in hk-probe
 * --json (memory.* and huge_pages.map_hugetlb).
 *
 * Each trial is the documented behaviour: madvise(2) fails with EINVAL
 * for an advice the kernel does not know (MADV_POPULATE_* before 5.14,
 * MADV_FREE before 4.5, MADV_HUGEPAGE without THP); MAP_FIXED_NOREPLACE
 * (4.17) fails with EEXIST on a taken range, where an older kernel takes
 * the address as a hint and maps elsewhere; MAP_HUGETLB fails when the
 * default pool has no free page. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static size_t page;

static void *anon(size_t n, int flags)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Whether the kernel takes ADVICE on a fresh mapping of N bytes. */
static bool advice(int adv, size_t n)
{
	void *p = anon(n, 0);
	bool ok;

	if (!p)
		return false;
	ok = madvise(p, n, adv) == 0;
	munmap(p, n);
	return ok;
}

static bool fixed_noreplace(void)
{
	void *p = anon(2 * page, 0), *q;
	bool ok;

	if (!p)
		return false;
	q = mmap(p, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ok = q == MAP_FAILED && errno == EEXIST;
	if (q != MAP_FAILED && q != p)
		munmap(q, page);
	munmap(p, 2 * page);
	return ok;
}

static bool map_populate(void)
{
	void *p = anon(4 * page, MAP_POPULATE);

	if (!p)
		return false;
	munmap(p, 4 * page);
	return true;
}

/* One page of the default huge page size, written. */
static bool map_hugetlb(void)
{
	long kb = 0;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");
	size_t n;
	char *p;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Hugepagesize: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	if (kb <= 0)
		return false;
	n = (size_t)kb << 10;
	p = anon(n, MAP_HUGETLB);
	if (!p)
		return false;
	p[0] = 1;
	munmap(p, n);
	return true;
}

int main(void)
{
	page = (size_t)sysconf(_SC_PAGESIZE);
	printf("memory.populate_write=%s\n", advice(MADV_POPULATE_WRITE, 4 * page) ? "true" : "false");
	printf("memory.populate_read=%s\n", advice(MADV_POPULATE_READ, 4 * page) ? "true" : "false");
	printf("memory.map_populate=%s\n", map_populate() ? "true" : "false");
	printf("memory.madv_free=%s\n", advice(MADV_FREE, 4 * page) ? "true" : "false");
	printf("memory.fixed_noreplace=%s\n", fixed_noreplace() ? "true" : "false");
	printf("memory.madv_hugepage=%s\n", advice(MADV_HUGEPAGE, 2 << 20) ? "true" : "false");
	printf("huge_pages.map_hugetlb=%s\n", map_hugetlb() ? "true" : "false");
	return 0;
}
