/* bench.h: what every benchmark program shares.
 *
 * Each program in bench/ is one workload: it takes its parameters as
 * positional arguments, times its own work, and prints one result line of
 * key=value words ("seconds=... ops=..."); bench/measure adds the child's
 * CPU time, peak RSS and page faults from wait4.  Nothing here is part of
 * the library, so plain libc is fine.
 */
#ifndef HK_BENCH_H
#define HK_BENCH_H

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* xorshift64*: fast, deterministic for a seed, and free of libc state
 * (rand() takes a lock). */
static inline uint64_t bench_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static inline uint64_t bench_seed(uint64_t seed)
{
	return seed * 0x9E3779B97F4A7C15ULL + 1;
}

/* Argument i (1-based) as a number, or def when absent. */
static inline long bench_arg(int argc, char **argv, int i, long def)
{
	if (i >= argc)
		return def;
	return strtol(argv[i], NULL, 0);
}

/* Writes the first and last byte, so the block is really used and the
 * compiler cannot drop the malloc/free pair. */
static inline void bench_use(void *p, size_t n)
{
	volatile char *c = p;

	c[0] = (char)n;
	c[n - 1] = (char)n;
}

/* One write per 4 KiB page of [p, p+n): faults every page in. */
static inline void bench_touch(void *p, size_t n, size_t step)
{
	volatile char *c = p;

	for (size_t i = 0; i < n; i += step)
		c[i] = 1;
}

static inline void *bench_xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p) {
		fprintf(stderr, "bench: malloc(%zu) failed\n", n);
		exit(2);
	}
	return p;
}

/* The result line; the backend is shown when hakmem is the allocator
 * in force (it exports hk_backend). */
static inline void bench_result(double seconds, double ops, const char *extra)
{
	const char *(*backend)(void);

	*(void **)&backend = dlsym(RTLD_DEFAULT, "hk_backend");
	printf("seconds=%.6f", seconds);
	if (ops > 0)
		printf(" ops=%.0f ops_per_s=%.0f", ops, seconds > 0 ? ops / seconds : 0);
	if (backend)
		printf(" backend=%s", backend());
	if (extra && *extra)
		printf(" %s", extra);
	printf("\n");
}

/* Run fn(arg i) on n threads and wait; returns the wall time. */
static inline double bench_threads(int n, void *(*fn)(void *), void *args,
				   size_t argsize)
{
	pthread_t *t = bench_xmalloc(n * sizeof(*t));
	double t0 = bench_now();

	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, fn, (char *)args + i * argsize)) {
			fprintf(stderr, "bench: pthread_create failed\n");
			exit(2);
		}
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	t0 = bench_now() - t0;
	free(t);
	return t0;
}

#endif /* HK_BENCH_H */
