/* test-dlopen: libhakmem.so loaded with dlopen rather than preloaded or
 * linked.  Its thread-local block is initial-exec (the fast paths reach
 * the heap, malloc's direct[] and free's own[] through one GOT entry),
 * which a library loaded late takes from glibc's spare static TLS: the
 * block must stay small enough for that, and the hk_* API must work
 * from the main thread and from a thread started after the load, and
 * from fork handlers that the program registered before the load. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test/tap.h"
#include "test/badinput/child.h"
#include "test/stress/wait.h"

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

/* Fork handlers that allocate through the library's hk_* (once it is
 * loaded), registered before the load. */
static void handler_churn(void)
{
	char *big;

	if (!dl_malloc)
		return;
	big = dl_malloc((size_t)3 << 20);	/* past the heap's own blocks */
	if (!big || !churn())
		_exit(3);
	memset(big, 1, 4096);
	dl_free(big);
}

static void handler_child(void)
{
	handler_churn();
}

/* In a child: the handlers, then the load, then forks; 0 if all went
 * well.  hakmem registers its own handlers at the load, after these:
 * the prepare ones run while it holds its locks. */
static int fork_handlers_first(void *lib)
{
	void *h;

	pthread_atfork(handler_churn, handler_churn, handler_child);
	h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return 1;
	*(void **)&dl_malloc = dlsym(h, "hk_malloc");
	*(void **)&dl_free = dlsym(h, "hk_free");
	if (!dl_malloc || !dl_free || !churn())
		return 2;
	for (int i = 0; i < 3; i++) {
		int status = 0;
		pid_t pid = fork();

		if (pid == 0)
			_exit(churn() ? 0 : 4);
		if (pid < 0 || !bounded_wait(pid, &status, 20) || status != 0)
			return 5;
	}
	return 0;
}

int main(void)
{
	const char *lib = getenv("HK_LIB");
	struct hk_child c;
	void *h;
	pthread_t t;
	void *res = NULL;

	if (!lib)
		tap_skip_all("HK_LIB is not set (run by make check)");
	tap_plan(4);
	/* First: the child must load the library itself. */
	hk_child(fork_handlers_first, (void *)lib, 60, &c);
	tap_ok(c.sig == 0 && c.code == 0,
	       "fork handlers registered before the load allocate through it (%s %d)",
	       c.sig ? "killed by signal" : "exit", c.sig ? c.sig : c.code);
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
