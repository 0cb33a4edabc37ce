/* test-keys: hakmem and the program's thread-specific data keys, with
 * libhakmem.so loaded by dlopen (the hk_* API without preload), or
 * preloaded (test-keys-preload.preload: the same program, the library
 * then up before main).
 *
 * - A program that used every key (PTHREAD_KEYS_MAX) before hakmem's
 *   first malloc: hakmem must not write its heap into a key that is not
 *   its own (the destructor of the program's key would receive it), and
 *   a thread's exit must still give its heap back: threads that start
 *   one after another, allocate and exit, reuse one heap and its
 *   superslab instead of leaving one each behind.
 * - A program that loads libhakmem.so, uses it from threads and closes
 *   it: threads that used it and exit after the close, threads started
 *   after it, and a second load must all work (hakmem stays resident,
 *   doc/hakmem.7).
 * Each case runs in a child (../badinput/child.h): a crash or hang
 * fails it.
 */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test/unit/cases.h"

enum { LIMIT_S = 60, WAVE = 40 };

static void *(*dl_malloc)(size_t);
static void (*dl_free)(void *);
static atomic_int foreign;		/* program key destructors called */

static int load(void **h)
{
	*h = dlopen(getenv("HK_LIB"), RTLD_NOW | RTLD_LOCAL);
	if (!*h)
		return 0;
	*(void **)&dl_malloc = dlsym(*h, "hk_malloc");
	*(void **)&dl_free = dlsym(*h, "hk_free");
	return dl_malloc && dl_free;
}

static void program_dtor(void *v)
{
	(void)v;
	atomic_fetch_add(&foreign, 1);	/* no thread here sets a key */
}

/* A few blocks; returns the superslab (2 MiB region) of the first. */
static void *churn(void *arg)
{
	void *p[16];
	uintptr_t region;

	(void)arg;
	for (int i = 0; i < 16; i++) {
		p[i] = dl_malloc(32 + 16 * (size_t)i);
		if (!p[i])
			return NULL;
		memset(p[i], i, 32);
	}
	region = (uintptr_t)p[0] >> 21;
	for (int i = 0; i < 16; i++)
		dl_free(p[i]);
	return (void *)(region | 1);
}

/* WAVE threads one after another: the number of distinct regions
 * their first blocks came from, or -1. */
static int wave(void)
{
	uintptr_t seen[WAVE];
	int n = 0;

	for (int i = 0; i < WAVE; i++) {
		pthread_t t;
		void *r = NULL;
		int k;

		if (pthread_create(&t, NULL, churn, NULL) != 0)
			return -1;
		pthread_join(t, &r);
		if (!r)
			return -1;
		for (k = 0; k < n && seen[k] != (uintptr_t)r; k++)
			;
		if (k == n)
			seen[n++] = (uintptr_t)r;
	}
	return n;
}

static int all_keys_used(void *arg)
{
	pthread_key_t k;
	void *h;
	int keys = 0, regions;

	(void)arg;
	while (pthread_key_create(&k, program_dtor) == 0)
		keys++;
	if (!load(&h))
		return 10;
	regions = wave();
	if (regions < 0)
		return 11;
	if (atomic_load(&foreign))
		return 12;	/* hakmem wrote into the program's key */
	/* Given back, each thread reuses its predecessor's heap and its
	 * superslab: a handful of regions, not one per thread. */
	return regions > WAVE / 4 ? 13 : 0;
}

static pthread_barrier_t gate;

static void *use_then_wait(void *arg)
{
	void *r = churn(arg);

	pthread_barrier_wait(&gate);	/* the library is closed meanwhile */
	pthread_barrier_wait(&gate);
	return r;
}

static void *just_exit(void *arg)
{
	return arg;
}

static int close_with_threads(void *arg)
{
	enum { N = 4 };
	pthread_t t[N];
	void *h, *r;
	int bad = 0;

	(void)arg;
	if (!load(&h))
		return 10;
	pthread_barrier_init(&gate, NULL, N + 1);
	for (int i = 0; i < N; i++)
		if (pthread_create(&t[i], NULL, use_then_wait, NULL) != 0)
			return 11;
	pthread_barrier_wait(&gate);
	dlclose(h);
	pthread_barrier_wait(&gate);
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], &r);	/* they exit after the close */
		bad |= r == NULL;
	}
	if (bad)
		return 12;
	/* Threads started after the close, then a second load. */
	for (int i = 0; i < N; i++)
		if (pthread_create(&t[i], NULL, just_exit, NULL) != 0)
			return 13;
	for (int i = 0; i < N; i++)
		pthread_join(t[i], NULL);
	if (!load(&h) || wave() < 0)
		return 14;
	dlclose(h);
	return 0;
}

int main(void)
{
	static const struct hk_case cases[] = {
		{ all_keys_used, "every key used before hakmem's first malloc: no key of the program's written, heaps given back at thread exit" },
		{ close_with_threads, "dlclose while threads that used hakmem live: they exit, new threads, a second load" },
	};
	const int n = (int)(sizeof(cases) / sizeof(cases[0]));

	if (!getenv("HK_LIB"))
		tap_skip_all("HK_LIB is not set (run by make check)");
	return hk_run_cases(cases, n, LIMIT_S);
}
