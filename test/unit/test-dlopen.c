/* test-dlopen: libhakmem.so loaded with dlopen rather than preloaded or
 * linked.  Its thread-local block is initial-exec (the fast paths reach
 * the heap, malloc's direct[] and free's own[] through one GOT entry),
 * which a library loaded late takes from glibc's spare static TLS: the
 * block must stay small enough for that, and the hk_* API must work
 * from the main thread and from a thread started after the load. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static void *(*dl_malloc)(size_t);
static void (*dl_free)(void *);

/* Blocks of a few sizes, written, then freed. */
static int churn(void)
{
	void *p[64];
	int ok = 1;

	for (int i = 0; i < 64; i++) {
		p[i] = dl_malloc((size_t)(16 + 48 * i));
		ok &= p[i] != NULL;
		if (p[i])
			memset(p[i], i, 16);
	}
	for (int i = 0; i < 64; i++)
		dl_free(p[i]);
	return ok;
}

static void *thread_churn(void *arg)
{
	return churn() ? arg : NULL;
}

int main(void)
{
	const char *lib = getenv("HK_LIB");
	void *h;
	pthread_t t;
	void *res = NULL;

	if (!lib)
		tap_skip_all("HK_LIB is not set (run by make check)");
	tap_plan(3);
	h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	tap_ok(h != NULL, "dlopen of libhakmem.so (%s)", h ? "loaded" : dlerror());
	if (!h)
		return tap_done();
	*(void **)&dl_malloc = dlsym(h, "hk_malloc");
	*(void **)&dl_free = dlsym(h, "hk_free");
	tap_ok(dl_malloc && dl_free && churn(), "hk_malloc and hk_free in the main thread");
	if (dl_malloc && dl_free && pthread_create(&t, NULL, thread_churn, &t) == 0)
		pthread_join(t, &res);
	tap_ok(res == &t, "hk_malloc and hk_free in a thread started after the load");
	return tap_done();
}
