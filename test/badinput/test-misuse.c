/* test-misuse.c: pointers the allocator never handed out, or took back
 * already, given to free and realloc.  hakmem(7) MISUSE DETECTED: each
 * is caught and the process aborts (SIGABRT) after one line on stderr
 * naming the function and the pointer.  Each case runs in a child
 * (child.h).  test/api/test-badfree.c covers the plain double free of a
 * small and a large block and the free of a static array; sizes that
 * overflow are in test/api/test-api.c.
 *
 * Built like test/api's programs: plain (glibc, which shows the cases
 * are misuse glibc catches too, where it does), -hk (the hk_* twins) and
 * under LD_PRELOAD.  The message is checked only for hakmem.
 */
#include <pthread.h>
#include <sys/mman.h>

#include "../api/alloc-api.h"
#include "child.h"

struct hk_case {
	const char *what;
	const char *fn;		/* the function the message must name */
	void *(*prepare)(void);	/* the bad pointer; may free it first */
	void (*misuse)(void *);
	const char *glibc_todo;	/* why glibc does not abort, or NULL */
};

static void *bad_ptr;

static void do_free(void *p)
{
	ta.free(p);
}

static void do_realloc(void *p)
{
	ta.realloc(p, 100);
}

static void *freed_small(void)
{
	void *p = ta.malloc(48);

	ta.free(p);
	return p;
}

/* free(p), free(q), free(p): p is not on top of the list any more. */
static void *freed_under_other(void)
{
	void *p = ta.malloc(32), *q = ta.malloc(32);

	ta.free(p);
	ta.free(q);
	return p;
}

static void *freed_medium(void)
{
	void *p = ta.malloc(100000);

	ta.free(p);
	return p;
}

static void *thread_free(void *p)
{
	ta.free(p);
	return NULL;
}

/* The block is freed by another thread, then freed again here. */
static void *freed_by_thread(void)
{
	void *p = ta.malloc(64);
	pthread_t t;

	pthread_create(&t, NULL, thread_free, p);
	pthread_join(t, NULL);
	return p;
}

/* The main thread frees the block, then another thread frees it again:
 * the second free takes the remote path. */
static void *freed_then_remote(void)
{
	return freed_small();
}

static void remote_free(void *p)
{
	pthread_t t;

	pthread_create(&t, NULL, thread_free, p);
	pthread_join(t, NULL);
}

/* An address in main's frame, which outlives every case. */
static char *main_stack;

static void *stack_addr(void)
{
	return main_stack + 16;
}

static void *interior_small(void)
{
	return (char *)ta.malloc(64) + 16;
}

static void *interior_large(void)
{
	return (char *)ta.malloc(4 << 20) + 4096;
}

static void *from_mmap(void)
{
	void *p = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : (char *)p + 64;
}

/* A block of glibc's malloc: the test's own under -hk; under LD_PRELOAD
 * glibc's malloc asked of libc.so.6 itself (__libc_malloc is hakmem's
 * there too). */
static void *from_glibc(void)
{
#ifdef HK_TEST_LINKED
	return malloc(64);
#else
	void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
	void *(*libc_malloc)(size_t) = NULL;

	if (libc)
		*(void **)&libc_malloc = dlsym(libc, "malloc");
	return libc_malloc ? libc_malloc(64) : NULL;
#endif
}

static const struct hk_case hk_cases[] = {
	{ "double free of a 48 B block", "free", freed_small, do_free, NULL },
	{ "free(p), free(q), free(p) of 32 B blocks", "free", freed_under_other, do_free, NULL },
	{ "double free of a 100000 B block", "free", freed_medium, do_free, NULL },
	{ "double free, the first by another thread", "free", freed_by_thread, do_free, NULL },
	{ "double free, the second by another thread", "free", freed_then_remote, remote_free, NULL },
	{ "free of a stack address", "free", stack_addr, do_free, NULL },
	{ "free of an interior pointer of a 64 B block", "free", interior_small, do_free,
	  "glibc reads a size from inside the block" },
	{ "free of an interior pointer of a 4 MiB block", "free", interior_large, do_free, NULL },
	{ "free of a pointer into an mmap'd region", "free", from_mmap, do_free, NULL },
	{ "free of a block from another allocator", "free", from_glibc, do_free,
	  "glibc's own block" },
	{ "realloc of a freed 48 B block", "realloc", freed_small, do_realloc,
	  "glibc reuses the freed chunk" },
	{ "realloc of a freed 100000 B block", "realloc", freed_medium, do_realloc,
	  "glibc reuses the freed chunk" },
	{ "realloc of an interior pointer", "realloc", interior_small, do_realloc,
	  "glibc reads a size from inside the block" },
	{ "realloc of a stack address", "realloc", stack_addr, do_realloc, NULL },
};

static int run_case(void *arg)
{
	const struct hk_case *c = arg;

	c->misuse(bad_ptr);
	return 0;
}

/* Whether line names fn and p as hakmem prints them ("fn(): ...: 0x..."). */
static bool names(const char *line, const char *fn, const void *p)
{
	char want_fn[32], want_p[32];

	snprintf(want_fn, sizeof(want_fn), "%s()", fn);
	snprintf(want_p, sizeof(want_p), "%p", p);
	return strstr(line, want_fn) && strstr(line, want_p);
}

int main(void)
{
	size_t n = sizeof(hk_cases) / sizeof(hk_cases[0]);
	char on_stack[64];

	main_stack = on_stack;
	ta_start();
	tap_plan((int)n);
	for (size_t i = 0; i < n; i++) {
		const struct hk_case *c = &hk_cases[i];
		struct hk_child r;
		bool ok;

		bad_ptr = c->prepare();
		if (!bad_ptr) {
			tap_skip("%s: no such pointer here", c->what);
			continue;
		}
		if (ta.is_glibc && c->prepare == from_glibc) {
			tap_skip("%s: the allocator under test is glibc", c->what);
			continue;
		}
		hk_child(run_case, (void *)c, 10, &r);
		ok = r.sig == SIGABRT && (!ta.is_hakmem || names(r.line, c->fn, bad_ptr));
		ok_unless_glibc(ok, c->glibc_todo ? c->glibc_todo : "glibc does not catch it",
				"%s: SIGABRT and a line naming %s() and %p (signal %d, '%s')",
				c->what, c->fn, bad_ptr, r.sig, r.line);
	}
	return tap_done();
}
