/* test-addrspace.c: the address space and commit charge a large block
 * and a thread cost, and what fits under RLIMIT_AS = 2 GiB.
 *
 * Each case runs in a child (test/badinput/child.h) that reports through
 * shared memory:
 *   - per block of 300 KiB, of 1 MiB and of posix_memalign(64 KiB,
 *     100 KiB): the growth of VmSize (what RLIMIT_AS counts) and of the
 *     private writable mappings of /proc/self/maps (what
 *     vm.overcommit_memory=2 charges, MAP_NORESERVE or not) over 128
 *     blocks; hakmem's must stay within the size rounded to a page plus
 *     two pages (the header's page rounding and at most one more);
 *   - per thread (64 KiB stacks, each thread allocating 64 B and 4 KiB
 *     and waiting until all exist), the same less the thread's stack:
 *     hakmem's must stay within 288 KiB, the first superslab of its
 *     heap (256 KiB, lib/superslab.c) and 32 KiB for the heap itself;
 *   - under RLIMIT_AS = 2 GiB: 2500 blocks of 300 KiB, 1500 of 1 MiB,
 *     2500 of posix_memalign(64 KiB, 100 KiB), 2500 threads: all must
 *     fit (they do with glibc: its figures are printed by the plain
 *     build, which runs the same program without hakmem);
 *   - a free of a pointer into a foreign mapping amid our blocks is
 *     refused as invalid, never read through.
 * Built plain (glibc), -hk and under LD_PRELOAD, like test/api's
 * programs.
 */
#include <errno.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "test/api/alloc-api.h"
#include "test/badinput/child.h"

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)
#define LIMIT ((size_t)2 << 30)
#define STACK (64 * KIB)
#define PER_THREAD_MAX (288 * KIB)
#define SAMPLE 128
#define MANY_THREADS 2500

struct shared {
	long fit, want;
	long vm_per, pw_per;	/* bytes per block or thread */
	int err;
};

static struct shared *sh;

/* VmSize, what RLIMIT_AS limits. */
static size_t vm_size(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t kb = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmSize: %zu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb * KIB;
}

/* The private writable mappings: the commit charge under
 * vm.overcommit_memory=2. */
static size_t private_writable(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512], perm[8];
	unsigned long lo, hi;
	size_t total = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) == 3 &&
		    perm[1] == 'w' && perm[3] == 'p')
			total += hi - lo;
	if (f)
		fclose(f);
	return total;
}

enum kind { K_300K, K_1M, K_ALIGNED };

static void *one(enum kind k)
{
	void *p = NULL;

	switch (k) {
	case K_300K: return ta.malloc(300 * KIB);
	case K_1M: return ta.malloc(MIB);
	default:
		return ta.posix_memalign(&p, 64 * KIB, 100 * KIB) ? NULL : p;
	}
}

static size_t size_of(enum kind k)
{
	return k == K_300K ? 300 * KIB : k == K_1M ? MIB : 100 * KIB;
}

static const char *name_of(enum kind k)
{
	return k == K_300K ? "300 KiB" : k == K_1M ? "1 MiB" :
	       "posix_memalign(64 KiB, 100 KiB)";
}

static int limit_as(size_t bytes)
{
	struct rlimit r = { bytes, bytes };

	return setrlimit(RLIMIT_AS, &r);
}

/* ---- blocks ------------------------------------------------------------ */

static int blocks_cost(void *arg)
{
	enum kind k = (enum kind)(intptr_t)arg;
	static void *p[SAMPLE];
	size_t vm, pw;

	if (!one(k))	/* the allocator set up (kept: no cache to draw on) */
		return 1;
	vm = vm_size();
	pw = private_writable();
	for (int i = 0; i < SAMPLE; i++) {
		if (!(p[i] = one(k)))
			return 1;
		memset(p[i], 1, 64);
	}
	sh->vm_per = (long)((vm_size() - vm) / SAMPLE);
	sh->pw_per = (long)((private_writable() - pw) / SAMPLE);
	return 0;
}

static int blocks_fit(void *arg)
{
	enum kind k = (enum kind)(intptr_t)arg;

	if (limit_as(LIMIT))
		return 2;
	for (sh->fit = 0; sh->fit < sh->want; sh->fit++) {
		void *q = one(k);

		if (!q)
			break;
		memset(q, 1, 64);
	}
	return 0;
}

static void blocks(enum kind k, long want)
{
	size_t size = size_of(k);
	size_t bound = ((size + 64 + 4095) & ~(size_t)4095) + 4096;
	struct hk_child c;
	int ok;

	memset(sh, 0, sizeof(*sh));
	ok = hk_child(blocks_cost, (void *)(intptr_t)k, 60, &c) == 0 &&
	     c.sig == 0 && c.code == 0;
	if (ta.is_hakmem)
		tap_ok(ok && (size_t)sh->vm_per <= bound && (size_t)sh->pw_per <= bound,
		       "%s: a block costs %ld KiB of address space, %ld KiB private writable, "
		       "at most %zu KiB (%s; signal %d, exit %d)", name_of(k),
		       sh->vm_per >> 10, sh->pw_per >> 10, bound >> 10, ta.who,
		       c.sig, c.code);
	else
		tap_skip("%s: %s's block costs %ld KiB of address space, %ld KiB "
			 "private writable (the figure to compare; bound for hakmem only)",
			 name_of(k), ta.who, sh->vm_per >> 10, sh->pw_per >> 10);
	memset(sh, 0, sizeof(*sh));
	sh->want = want;
	ok = hk_child(blocks_fit, (void *)(intptr_t)k, 120, &c) == 0 &&
	     c.sig == 0 && c.code == 0;
	tap_ok(ok && sh->fit == want,
	       "RLIMIT_AS = 2 GiB: %ld of %ld blocks of %s fit (%s; signal %d, exit %d)",
	       sh->fit, want, name_of(k), ta.who, c.sig, c.code);
}

/* ---- threads ----------------------------------------------------------- */

static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t up_cond = PTHREAD_COND_INITIALIZER;	/* to the main thread */
static pthread_cond_t release_cond = PTHREAD_COND_INITIALIZER;	/* to the workers */
static long nup;
static volatile int release;

static void *worker(void *arg)
{
	void *a = ta.malloc(64), *b = ta.malloc(4096);

	(void)arg;
	if (a)
		memset(a, 1, 64);
	if (b)
		memset(b, 1, 4096);
	pthread_mutex_lock(&count_lock);
	nup++;
	pthread_cond_signal(&up_cond);
	while (!release)
		pthread_cond_wait(&release_cond, &count_lock);
	pthread_mutex_unlock(&count_lock);
	ta.free(a);
	ta.free(b);
	return NULL;
}

/* Start up to n threads, each up before the next starts; returns how
 * many started. */
static long start_threads(pthread_t *t, long n)
{
	pthread_attr_t attr;
	long i, base = nup;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, STACK);
	for (i = 0; i < n; i++) {
		if ((sh->err = pthread_create(&t[i], &attr, worker, NULL)) != 0)
			break;
		pthread_mutex_lock(&count_lock);
		while (nup <= base + i)
			pthread_cond_wait(&up_cond, &count_lock);
		pthread_mutex_unlock(&count_lock);
	}
	pthread_attr_destroy(&attr);
	return i;
}

static void stop_threads(pthread_t *t, long n)
{
	pthread_mutex_lock(&count_lock);
	release = 1;
	pthread_cond_broadcast(&release_cond);
	pthread_mutex_unlock(&count_lock);
	for (long i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

/* The stack of a thread: its size and a guard page (PROT_NONE: in
 * VmSize only). */
static int threads_cost(void *arg)
{
	static pthread_t t[SAMPLE];
	size_t vm, pw;
	long n;

	(void)arg;
	if (start_threads(t, 1) != 1)	/* the first thread's setup */
		return 1;
	vm = vm_size();
	pw = private_writable();
	n = start_threads(t + 1, SAMPLE - 1);
	sh->vm_per = (long)((vm_size() - vm) / (size_t)n) - (long)(STACK + 4096);
	sh->pw_per = (long)((private_writable() - pw) / (size_t)n) - (long)STACK;
	stop_threads(t, n + 1);
	return n == SAMPLE - 1 ? 0 : 1;
}

static int threads_fit(void *arg)
{
	static pthread_t t[MANY_THREADS];

	(void)arg;
	if (limit_as(LIMIT))
		return 2;
	sh->fit = start_threads(t, sh->want);
	stop_threads(t, sh->fit);
	return 0;
}

static void threads(void)
{
	struct rlimit nproc;
	struct hk_child c;
	int ok;

	memset(sh, 0, sizeof(*sh));
	ok = hk_child(threads_cost, NULL, 60, &c) == 0 && c.sig == 0 && c.code == 0;
	if (ta.is_hakmem)
		tap_ok(ok && sh->vm_per <= (long)PER_THREAD_MAX &&
		       sh->pw_per <= (long)PER_THREAD_MAX,
		       "a thread costs %ld KiB of address space, %ld KiB private writable "
		       "beyond its stack, at most %zu KiB (%s; signal %d, exit %d)",
		       sh->vm_per >> 10, sh->pw_per >> 10, PER_THREAD_MAX >> 10,
		       ta.who, c.sig, c.code);
	else
		tap_skip("%s's thread costs %ld KiB of address space, %ld KiB private "
			 "writable beyond its stack (the figure to compare; bound for "
			 "hakmem only)", ta.who, sh->vm_per >> 10, sh->pw_per >> 10);
	if (getrlimit(RLIMIT_NPROC, &nproc) == 0 && nproc.rlim_cur != RLIM_INFINITY &&
	    nproc.rlim_cur < MANY_THREADS + 500) {
		tap_skip("RLIMIT_NPROC %lu: too low for %d threads",
			 (unsigned long)nproc.rlim_cur, MANY_THREADS);
		return;
	}
	memset(sh, 0, sizeof(*sh));
	sh->want = MANY_THREADS;
	ok = hk_child(threads_fit, NULL, 120, &c) == 0 && c.sig == 0 && c.code == 0;
	tap_ok(ok && sh->fit == MANY_THREADS,
	       "RLIMIT_AS = 2 GiB: %ld of %d threads with 64 KiB stacks start "
	       "(%s; pthread_create: %s; signal %d, exit %d)", sh->fit, MANY_THREADS,
	       ta.who, strerror(sh->err), c.sig, c.code);
}

/* ---- a foreign pointer amid our blocks --------------------------------- */

static int foreign_free(void *arg)
{
	char *m;

	(void)arg;
	for (int i = 0; i < 16; i++)
		memset(one(K_300K), 1, 64);
	m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 1;
	ta.free(m + 64);
	return 0;
}

static void foreign(void)
{
	struct hk_child c;

	if (!ta.is_hakmem) {
		tap_skip("a free of a foreign pointer: hakmem's message only");
		return;
	}
	hk_child(foreign_free, NULL, 30, &c);
	tap_ok(c.sig == SIGABRT && strstr(c.line, "invalid pointer"),
	       "a free of a pointer into a foreign mapping amid 300 KiB blocks aborts "
	       "as invalid (signal %d, '%s')", c.sig, c.line);
}

int main(void)
{
	ta_start();
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		tap_skip_all("no shared mapping");
	tap_plan(9);
	blocks(K_300K, 2500);
	blocks(K_1M, 1500);
	blocks(K_ALIGNED, 2500);
	threads();
	foreign();
	return tap_done();
}
