/* rss.h: the process's resident and mapped size from /proc/self/statm,
 * for tests that check memory goes back or is reused. */
#ifndef HK_TEST_RSS_H
#define HK_TEST_RSS_H

#include <stdio.h>
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

static inline size_t rss_bytes(void)
{
	return statm_bytes(1);
}

static inline size_t vm_bytes(void)
{
	return statm_bytes(0);
}

#endif /* HK_TEST_RSS_H */
