/* rss.h: the process's resident and mapped size, for tests that check
 * memory goes back or is reused.
 *
 * Resident here means resident and not lazily freed: pages given back
 * with MADV_FREE stay in statm's count until the kernel needs them, but
 * it takes them without I/O, so they are counted as given back
 * (smaps_rollup's LazyFree, Linux 4.14+; statm alone on older kernels).
 */
#ifndef HK_TEST_RSS_H
#define HK_TEST_RSS_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MiB ((size_t)1 << 20)

/* statm field: 0 size (mapped), 1 resident.  Returns bytes, 0 on error. */
static inline size_t statm_bytes(int field)
{
	unsigned long v[2] = { 0, 0 };
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &v[0], &v[1]) != 2)
		v[field] = 0;
	fclose(f);
	return v[field] * (size_t)sysconf(_SC_PAGESIZE);
}

/* A "Name:  N kB" line of smaps_rollup in bytes; -1 if absent. */
static inline long long rollup_bytes(const char *name)
{
	char line[256];
	size_t len = strlen(name);
	long long v = -1;
	FILE *f = fopen("/proc/self/smaps_rollup", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':' &&
		    sscanf(line + len + 1, "%lld", &v) == 1)
			break;
	fclose(f);
	return v < 0 ? -1 : v * 1024;
}

static inline size_t rss_bytes(void)
{
	long long rss = rollup_bytes("Rss"), lazy = rollup_bytes("LazyFree");

	if (rss < 0 || lazy < 0)
		return statm_bytes(1);
	return (size_t)(rss - lazy);
}

static inline size_t vm_bytes(void)
{
	return statm_bytes(0);
}

#endif /* HK_TEST_RSS_H */
