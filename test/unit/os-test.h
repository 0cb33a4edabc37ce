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

/* The line of /proc/self/smaps starting with key for the mapping that
 * holds p, into buf; false if none. */
static inline bool os_test_smaps(const void *p, const char *key, char *buf, int size)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	bool in = false, found = false;

	if (!f)
		return false;
	while (!found && fgets(buf, size, f)) {
		unsigned long lo, hi;

		if (sscanf(buf, "%lx-%lx ", &lo, &hi) == 2 && strchr(buf, '-') < strchr(buf, ' '))
			in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
		else
			found = in && strncmp(buf, key, strlen(key)) == 0;
	}
	fclose(f);
	return found;
}

/* AnonHugePages (kB) of the mapping that holds p, or -1. */
static inline long os_test_anon_huge_kb(const void *p)
{
	char line[512];
	long kb = -1;

	if (os_test_smaps(p, "AnonHugePages:", line, sizeof(line)))
		sscanf(line, "AnonHugePages: %ld kB", &kb);
	return kb;
}

/* Whether the mapping that holds p has MADV_NOHUGEPAGE ("nh"). */
static inline bool os_test_nohuge(const void *p)
{
	char line[512];

	return os_test_smaps(p, "VmFlags:", line, sizeof(line)) && strstr(line, " nh");
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
