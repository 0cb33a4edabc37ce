/* hk-probe-selftest.c: hk-probe --self-test, the check that
 * `hakmem install` runs in a fresh process before it writes
 * /etc/ld.so.preload (tools/hakmem.in).
 *
 * Run under LD_PRELOAD=LIB, it checks that the malloc this process calls
 * is libhakmem's (malloc and hk_version come from the same loaded object,
 * which is not this program; with --self-test=LIB, that object is the file
 * LIB), drives the allocator through a short allocation check (sizes up to
 * 1 MiB, calloc, realloc, the aligned allocators, a free from another
 * thread, a fork child that allocates), and prints the library's backend
 * and hk-probe's own decision.  Any failure is one line on stderr and exit
 * status 2, so a library that is not hakmem, or a hakmem that is broken on
 * this machine, never reaches the system-wide preload list. */
#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hk-probe/hk-probe.h"
#include "lib/options.h"

static int hk_st_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("hk-probe: self-test failed: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

/* The loaded object that defines NAME, by dladdr; NULL when none does. */
static void *hk_st_object(const char *name, Dl_info *info)
{
	void *sym = dlsym(RTLD_DEFAULT, name);

	if (!sym || !dladdr(sym, info) || !info->dli_fname)
		return NULL;
	return info->dli_fbase;
}

/* malloc is libhakmem's: the object defining malloc also defines
 * hk_version, is not this program (hk-probe links the probe, never the
 * allocator), and is LIB when one is named. */
static int hk_st_identity(const char *lib)
{
	Dl_info m, v, self;
	void *mbase = hk_st_object("malloc", &m);
	void *vbase = hk_st_object("hk_version", &v);
	struct stat a, b;

	if (!vbase)
		return hk_st_fail("no hk_version in this process: libhakmem is not preloaded");
	if (!mbase)
		return hk_st_fail("malloc not found by dlsym");
	if (mbase != vbase)
		return hk_st_fail("malloc comes from %s, not from libhakmem (%s)",
				  m.dli_fname, v.dli_fname);
	if (dladdr((void *)hk_st_identity, &self) && self.dli_fbase == mbase)
		return hk_st_fail("malloc comes from hk-probe itself");
	if (lib && (stat(lib, &a) != 0 || stat(m.dli_fname, &b) != 0 ||
		    a.st_dev != b.st_dev || a.st_ino != b.st_ino))
		return hk_st_fail("malloc comes from %s, not from %s", m.dli_fname, lib);
	printf("library: %s\n", m.dli_fname);
	printf("version: %s\n", ((const char *(*)(void))dlsym(RTLD_DEFAULT, "hk_version"))());
	return 0;
}

static void hk_st_fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i * 7);
}

static int hk_st_same(const unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(seed + i * 7))
			return 0;
	return 1;
}

/* The sizes tried: every size to 256, then steps around each power of
 * two to 1 MiB (the size classes' edges and the large-block path). */
static size_t hk_st_size(unsigned i, int *more)
{
	static const int delta[] = { -1, 0, 1, 17 };
	unsigned k;

	*more = 1;
	if (i <= 256)
		return i;
	i -= 257;
	k = 9 + i / 4;
	if (k > 20) {
		*more = 0;
		return 0;
	}
	return ((size_t)1 << k) + (size_t)(long)delta[i % 4];
}

static int hk_st_sizes(void)
{
	int more;

	for (unsigned i = 0;; i++) {
		size_t n = hk_st_size(i, &more);
		unsigned char *p, *q;

		if (!more)
			return 0;
		p = malloc(n);
		if (!p || ((uintptr_t)p & 15))
			return hk_st_fail("malloc(%zu) gave %p", n, (void *)p);
		if (malloc_usable_size(p) < n)
			return hk_st_fail("malloc_usable_size of malloc(%zu) is %zu", n,
					  malloc_usable_size(p));
		hk_st_fill(p, n, (unsigned)i);
		free(p);
		/* calloc of the same size: likely the block just freed. */
		q = calloc(1, n);
		if (!q)
			return hk_st_fail("calloc(1, %zu) failed", n);
		for (size_t j = 0; j < n; j++)
			if (q[j])
				return hk_st_fail("calloc(1, %zu) not zeroed at %zu", n, j);
		hk_st_fill(q, n, (unsigned)i);
		p = realloc(q, 2 * n + 1);
		if (!p || !hk_st_same(p, n, (unsigned)i))
			return hk_st_fail("realloc(%zu -> %zu) lost the contents", n, 2 * n + 1);
		q = realloc(p, n / 2);
		if (n / 2 && (!q || !hk_st_same(q, n / 2, (unsigned)i)))
			return hk_st_fail("realloc(%zu -> %zu) lost the contents", 2 * n + 1, n / 2);
		free(n / 2 ? q : NULL);
	}
}

static int hk_st_aligned(void)
{
	for (size_t al = 8; al <= ((size_t)1 << 21); al *= 2) {
		size_t n = al + 3;
		void *p = memalign(al, n), *q = NULL, *r = aligned_alloc(al, al);

		if (!p || ((uintptr_t)p & (al - 1)))
			return hk_st_fail("memalign(%zu, %zu) gave %p", al, n, p);
		if (!r || ((uintptr_t)r & (al - 1)))
			return hk_st_fail("aligned_alloc(%zu, %zu) gave %p", al, al, r);
		if (al >= sizeof(void *) && (posix_memalign(&q, al, n) != 0 ||
					     ((uintptr_t)q & (al - 1))))
			return hk_st_fail("posix_memalign(%zu, %zu) gave %p", al, n, q);
		memset(p, 0x5a, n);
		free(p);
		free(q);
		free(r);
	}
	return 0;
}

#define HK_ST_BLOCKS 512

struct hk_st_xfer {
	void *blocks[HK_ST_BLOCKS];
};

/* The other thread frees what the main thread allocated, and allocates
 * what the main thread frees. */
static void *hk_st_thread(void *arg)
{
	struct hk_st_xfer *x = arg;

	for (unsigned i = 0; i < HK_ST_BLOCKS; i++) {
		free(x->blocks[i]);
		x->blocks[i] = malloc(i * 37 % 5000 + 1);
		if (!x->blocks[i])
			return x;
		hk_st_fill(x->blocks[i], i * 37 % 5000 + 1, i);
	}
	return NULL;
}

static int hk_st_threads(void)
{
	struct hk_st_xfer *x = malloc(sizeof(*x));
	pthread_t t;
	void *res;

	if (!x)
		return hk_st_fail("malloc(%zu) failed", sizeof(*x));
	for (unsigned i = 0; i < HK_ST_BLOCKS; i++)
		if (!(x->blocks[i] = malloc(i * 131 % 70000 + 1)))
			return hk_st_fail("malloc(%u) failed", i * 131 % 70000 + 1);
	if (pthread_create(&t, NULL, hk_st_thread, x) != 0)
		return hk_st_fail("pthread_create failed");
	if (pthread_join(t, &res) != 0 || res)
		return hk_st_fail("the other thread's allocations failed");
	for (unsigned i = 0; i < HK_ST_BLOCKS; i++) {
		if (!hk_st_same(x->blocks[i], i * 37 % 5000 + 1, i))
			return hk_st_fail("a block from the other thread changed");
		free(x->blocks[i]);
	}
	free(x);
	return 0;
}

/* A fork child allocates, frees and exits 0; the parent keeps going. */
static int hk_st_fork(void)
{
	void *held = malloc(1000);
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return hk_st_fail("fork failed");
	if (pid == 0) {
		int bad = hk_st_sizes() != 0;

		free(held);
		_exit(bad);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return hk_st_fail("a fork child's allocations failed (status %#x)", st);
	free(held);
	return 0;
}

/* The decision: the preloaded library's backend in use, and what
 * hk-probe's own copy of the probe and policy choose. */
static void hk_st_decision(void)
{
	const char *(*lib_backend)(void) = (const char *(*)(void))dlsym(RTLD_DEFAULT, "hk_backend");
	struct hk_select_in in = {
		.backend = hk_options()->backend,
		.prefault = hk_options()->prefault,
	};
	struct hk_caps caps;
	struct hk_choice ch;

	hk_probe(&caps, "", 0);
	hk_select(&caps, &in, &ch);
	printf("backend: %s\n", lib_backend ? lib_backend() : "?");
	printf("decision: %s\n", hk_backend_name(ch.backend));
}

int hk_cli_selftest(const char *lib)
{
	int rc = hk_st_identity(lib);

	if (!rc)
		rc = hk_st_sizes();
	if (!rc)
		rc = hk_st_aligned();
	if (!rc)
		rc = hk_st_threads();
	if (!rc)
		rc = hk_st_fork();
	if (rc)
		return rc;
	hk_st_decision();
	puts("self-test: ok");
	return 0;
}
