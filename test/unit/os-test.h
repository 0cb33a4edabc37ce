/* os-test.h: helpers the OS layer's tests share: residency by mincore(2),
 * huge pages by /proc/self/smaps, zero checks.  Tests may use stdio. */
#ifndef HK_OS_TEST_H
#define HK_OS_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MIB ((size_t)1 << 20)

/* Pages of [p, p+len) that mincore says are resident. */
static inline size_t os_test_resident(void *p, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n = len / page, r = 0;
	unsigned char *vec = calloc(n, 1);

	if (!vec || mincore(p, len, vec) != 0) {
		free(vec);
		return (size_t)-1;
	}
	for (size_t i = 0; i < n; i++)
		r += vec[i] & 1;
	free(vec);
	return r;
}

/* AnonHugePages (kB) of the mapping that holds p, or -1. */
static inline long os_test_anon_huge_kb(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false;
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* Reads every 512th byte: whether the range reads as zero, cheaply. */
static inline bool os_test_zero(const void *p, size_t len)
{
	const volatile char *c = p;

	for (size_t i = 0; i < len; i += 512)
		if (c[i])
			return false;
	return c[len - 1] == 0;
}

/* The THP mode's bracketed word, or "absent". */
static inline const char *os_test_thp_mode(char *buf, size_t size)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	char *a, *b;

	snprintf(buf, size, "absent");
	if (!f)
		return buf;
	if (fgets(buf, (int)size, f) && (a = strchr(buf, '[')) && (b = strchr(a, ']'))) {
		*b = '\0';
		memmove(buf, a + 1, (size_t)(b - a));
	}
	fclose(f);
	return buf;
}

#endif /* HK_OS_TEST_H */
