/* soak.c: a long run of everything a busy program does at once, to find
 * the aborts, hangs and leaks that only show after millions of steps.
 *
 * 8-16 threads on however many cores: workers allocate sizes from 1 byte
 * to 1 MiB (malloc, calloc, realloc, the aligned forms), hand blocks to
 * each other through exchange slots (remote frees, and frees after the
 * owner exited), and exit after a random number of steps, to be replaced
 * in waves; they fork (the child works on the blocks it inherited and
 * exits) and posix_spawn.  A monitor thread calls mallinfo2 and
 * malloc_info the whole time.  The program's own atfork handlers and a
 * thread-key destructor allocate too.  Every block carries a pattern
 * that is checked when it is freed or reallocated; calloc must give
 * zeros.  At the end everything is freed and trimmed, and resident
 * memory must be back near where it started.
 *
 * Usage: soak SECONDS [THREADS].  Prints TAP.  Correct C: the same
 * program passes under glibc's malloc (run it without LD_PRELOAD).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test/stress/rss.h"
#include "test/tap.h"

extern char **environ;

enum {
	MAXW = 16,		/* threads at once: workers plus a wave */
	SLOTS = 256,		/* blocks a worker holds */
	XCH = 512,		/* blocks in transit between threads */
	CHILD_SECS = 30,	/* a fork or spawn child taking longer hangs */
};

struct blk {
	unsigned char *p;
	size_t n;
	uint64_t seed;
};

static _Atomic(struct blk *) xch[XCH];
static atomic_int stop, bad, calloc_bad, child_bad, spawn_bad;
static atomic_long steps, forks, spawns, lives, infos, handler_calls;
static pthread_key_t key;
static const char *self_path;

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* 1 B to 1 MiB, mostly small, as programs allocate. */
static size_t pick(uint64_t *s)
{
	uint64_t r = rnd(s) % 10000;

	if (r < 7000)
		return rnd(s) % 256 + 1;
	if (r < 9000)
		return rnd(s) % 3840 + 257;
	if (r < 9800)
		return rnd(s) % 61440 + 4097;
	if (r < 9980)
		return rnd(s) % (192 << 10) + (64 << 10) + 1;
	return rnd(s) % (768 << 10) + (256 << 10) + 1;
}

/* The pattern: the first and last 32 bytes and one byte per 4 KiB, each
 * from the seed, so a block handed out twice, overlapping another or
 * scribbled on by the allocator shows. */
static unsigned char pat(uint64_t seed, size_t i)
{
	uint64_t x = seed + i * 0x9e3779b97f4a7c15u;

	return (unsigned char)(x >> 29 ^ x >> 47);
}

/* Calls f on each marked offset of b below lim, until f returns 1. */
static void for_marks(struct blk *b, size_t lim, int (*f)(struct blk *, size_t))
{
	size_t i, end = b->n < lim ? b->n : lim;

	for (i = 0; i < end && i < 32; i++)
		if (f(b, i))
			return;
	for (i = b->n > 64 ? b->n - 32 : 32; i < end; i++)
		if (f(b, i))
			return;
	for (i = 4096; i < end; i += 4096)
		if (f(b, i))
			return;
}

static int put(struct blk *b, size_t i)
{
	b->p[i] = pat(b->seed, i);
	return 0;
}

static int differs(struct blk *b, size_t i)
{
	return b->p[i] != pat(b->seed, i);
}

static int first_bad;

static int note_bad(struct blk *b, size_t i)
{
	if (!differs(b, i))
		return 0;
	if (atomic_fetch_add(&bad, 1) == 0 && !first_bad) {
		first_bad = 1;
		fprintf(stderr, "soak: block %p of %zu bytes differs at %zu\n",
			(void *)b->p, b->n, i);
	}
	return 1;
}

static void mark(struct blk *b)
{
	for_marks(b, b->n, put);
}

static void check(struct blk *b)
{
	for_marks(b, b->n, note_bad);
}

static void release(struct blk *b)
{
	if (!b->p)
		return;
	check(b);
	free(b->p);
	b->p = NULL;
}

static void make(struct blk *b, uint64_t *s)
{
	void *q = NULL;
	size_t al;

	b->n = pick(s);
	b->seed = rnd(s);
	switch (rnd(s) % 20) {
	case 0:
	case 1:
		b->p = calloc(1, b->n);
		for (size_t i = 0; b->p && i < b->n; i += (i < 256 ? 1 : 997))
			if (b->p[i]) {
				atomic_fetch_add(&calloc_bad, 1);
				break;
			}
		break;
	case 2:
		al = (size_t)16 << (rnd(s) % 12);
		if (posix_memalign(&q, al, b->n) == 0)
			b->p = q;
		if (q && (uintptr_t)q % al)
			atomic_fetch_add(&bad, 1);
		break;
	case 3:
		al = (size_t)64 << (rnd(s) % 6);
		b->p = aligned_alloc(al, (b->n + al - 1) / al * al);
		if (b->p)
			b->n = (b->n + al - 1) / al * al;
		break;
	default:
		b->p = malloc(b->n);
	}
	if (b->p)
		mark(b);
}

static void grow(struct blk *b, uint64_t *s)
{
	size_t n = pick(s);
	unsigned char *q;

	check(b);
	q = realloc(b->p, n);
	if (!q)
		return;
	/* What realloc kept must read as it was. */
	b->p = q;
	for_marks(b, n, note_bad);
	b->n = n;
	mark(b);
}

/* Give b to whichever thread looks at slot j next; free what was there. */
static void hand_over(struct blk *b, unsigned j)
{
	struct blk *mine = NULL, *got;

	if (b->p) {
		mine = malloc(sizeof(*mine));
		if (!mine) {
			release(b);
			return;
		}
		*mine = *b;
		b->p = NULL;
	}
	got = atomic_exchange(&xch[j % XCH], mine);
	if (got) {
		release(got);
		free(got);
	}
}

static int wait_bounded(pid_t pid, int secs)
{
	struct timespec ms = { 0, 1000000 };
	int status = 0;

	for (int i = 0; i < secs * 1000; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) == 0;
		if (r < 0)
			return 0;
		nanosleep(&ms, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	fprintf(stderr, "soak: child %d hung\n", (int)pid);
	return 0;
}

/* A fork child: frees what it inherited (its own slots and some in
 * transit, whose owners the fork left behind), allocates, starts a
 * thread, trims. */
static void *child_thread(void *arg)
{
	uint64_t s = (uintptr_t)arg | 1;
	struct blk b[64];

	memset(b, 0, sizeof(b));
	for (int k = 0; k < 2000; k++) {
		struct blk *x = &b[rnd(&s) % 64];

		release(x);
		make(x, &s);
	}
	for (int i = 0; i < 64; i++)
		release(&b[i]);
	return NULL;
}

static void child(struct blk *slot, uint64_t s)
{
	pthread_t t;

	alarm(CHILD_SECS);
	for (int i = 0; i < SLOTS; i += 2)
		release(&slot[i]);
	for (int j = 0; j < XCH; j += 7) {
		struct blk *b = atomic_exchange(&xch[j], NULL);

		if (b) {
			release(b);
			free(b);
		}
	}
	if (pthread_create(&t, NULL, child_thread, (void *)(uintptr_t)rnd(&s)) == 0)
		pthread_join(t, NULL);
	child_thread((void *)(uintptr_t)rnd(&s));
	malloc_trim(0);
	_exit(atomic_load(&bad) || atomic_load(&calloc_bad) ? 3 : 0);
}

static void do_fork(struct blk *slot, uint64_t *s)
{
	pid_t pid = fork();

	if (pid == 0)
		child(slot, rnd(s));
	atomic_fetch_add(&forks, 1);
	if (pid < 0 || !wait_bounded(pid, CHILD_SECS * 2))
		atomic_fetch_add(&child_bad, 1);
}

static void do_spawn(void)
{
	char *argv[] = { (char *)self_path, (char *)"--spawned", NULL };
	pid_t pid;

	atomic_fetch_add(&spawns, 1);
	if (posix_spawn(&pid, self_path, NULL, NULL, argv, environ) != 0 ||
	    !wait_bounded(pid, CHILD_SECS * 2))
		atomic_fetch_add(&spawn_bad, 1);
}

/* A destructor that allocates in every round glibc runs (it sets its
 * value again, so it runs again, up to PTHREAD_DESTRUCTOR_ITERATIONS),
 * after the allocator's own thread-exit work may already have run, and
 * hands one block on. */
static void key_dtor(void *arg)
{
	uint64_t s = (uintptr_t)arg | 1;
	struct blk b = { 0 };

	make(&b, &s);
	hand_over(&b, (unsigned)rnd(&s));
	make(&b, &s);
	release(&b);
	if (((uintptr_t)arg & 7) < 3)
		pthread_setspecific(key, (void *)((uintptr_t)arg + 1));
}

static void *worker(void *arg)
{
	uint64_t s = 0x9e3779b97f4a7c15u ^ ((uintptr_t)arg * 7919 + 1);
	struct blk *slot = calloc(SLOTS, sizeof(*slot));
	long n = 2000 + (long)(rnd(&s) % 40000), k;

	if (!slot)
		return NULL;
	pthread_setspecific(key, (void *)(uintptr_t)(rnd(&s) & ~(uint64_t)7));
	for (k = 0; k < n && !atomic_load(&stop); k++) {
		struct blk *b = &slot[rnd(&s) % SLOTS];
		uint64_t r = rnd(&s) % 100000;

		if (r < 3)
			do_fork(slot, &s);
		else if (r < 6)
			do_spawn();
		else if (r < 10000)
			hand_over(b, (unsigned)rnd(&s));
		else if (r < 16000 && b->p)
			grow(b, &s);
		else {
			release(b);
			make(b, &s);
		}
	}
	atomic_fetch_add(&steps, k);
	/* Some blocks stay behind for others to free once this heap is gone. */
	for (int i = 0; i < SLOTS; i++) {
		if (i % 4 == 0)
			hand_over(&slot[i], (unsigned)rnd(&s));
		release(&slot[i]);
	}
	free(slot);
	return NULL;
}

static void *monitor(void *arg)
{
	struct timespec ms = { 0, 1000000 };
	FILE *devnull = fopen("/dev/null", "w");
	long k = 0;

	(void)arg;
	while (!atomic_load(&stop)) {
		struct mallinfo2 mi = mallinfo2();

		if (mi.arena + mi.hblkhd == 0 && mi.uordblks > ((size_t)1 << 40))
			atomic_fetch_add(&bad, 1);
		if (devnull && ++k % 16 == 0 && malloc_info(0, devnull) != 0)
			atomic_fetch_add(&bad, 1);
		atomic_fetch_add(&infos, 1);
		nanosleep(&ms, NULL);
	}
	if (devnull)
		fclose(devnull);
	return NULL;
}

/* The program's own fork handlers allocate, as glibc allows. */
static __thread void *handler_block;	/* threads fork at once */

static void atfork_prepare(void)
{
	handler_block = malloc(100);
	atomic_fetch_add(&handler_calls, 1);
}

static void atfork_parent(void)
{
	free(handler_block);
	free(malloc(300));
}

static void atfork_child(void)
{
	free(handler_block);
	free(malloc(5000));
}

__attribute__((constructor)) static void register_early(void)
{
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct wslot {
	pthread_t t;
	int live;
	atomic_int done;
};

static struct wslot ws[MAXW];

static void *worker_wrap(void *arg)
{
	struct wslot *w = &ws[(uintptr_t)arg % MAXW];

	worker(arg);
	atomic_store(&w->done, 1);
	return NULL;
}

static void start(unsigned i, uint64_t *s)
{
	uintptr_t id = (uintptr_t)(rnd(s) % 1000000) * MAXW + i;

	atomic_store(&ws[i].done, 0);
	ws[i].live = pthread_create(&ws[i].t, NULL, worker_wrap, (void *)id) == 0;
	if (ws[i].live)
		atomic_fetch_add(&lives, 1);
}

static void free_transit(void)
{
	for (int j = 0; j < XCH; j++) {
		struct blk *b = atomic_exchange(&xch[j], NULL);

		if (b) {
			release(b);
			free(b);
		}
	}
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 60, t0, next_report;
	unsigned nw = argc > 2 ? (unsigned)atoi(argv[2]) : 12, wave = MAXW - nw;
	uint64_t s = 88172645463325252u ^ (uint64_t)getpid();
	size_t rss0, vm0, rss_peak = 0, rss_end, vm_end;
	pthread_t mon;

	if (argc > 1 && !strcmp(argv[1], "--spawned")) {
		/* A spawned child: a little work under the same allocator. */
		struct blk b = { 0 };

		make(&b, &s);
		release(&b);
		return 0;
	}
	if (nw < 1 || nw > MAXW)
		nw = 12;
	wave = MAXW - nw;
	self_path = "/proc/self/exe";
	{
		static char path[4096];
		ssize_t l = readlink("/proc/self/exe", path, sizeof(path) - 1);

		if (l > 0) {
			path[l] = 0;
			self_path = path;
		}
	}
	tap_plan(7);
	pthread_key_create(&key, key_dtor);
	malloc_trim(0);
	rss0 = rss_bytes();
	vm0 = vm_bytes();
	pthread_create(&mon, NULL, monitor, NULL);
	t0 = now();
	next_report = t0 + 10;
	for (unsigned i = 0; i < nw; i++)
		start(i, &s);
	while (now() - t0 < secs) {
		struct timespec ms = { 0, 2000000 };
		double t = now();

		/* Replace the workers that ended; every few seconds a wave of
		 * extra short-lived threads. */
		for (unsigned i = 0; i < MAXW; i++)
			if (ws[i].live && atomic_load(&ws[i].done)) {
				pthread_join(ws[i].t, NULL);
				ws[i].live = 0;
				if (i < nw)
					start(i, &s);
			}
		if ((long)((t - t0) * 10) % 30 == 0)
			for (unsigned i = nw; i < nw + wave; i++)
				if (!ws[i].live)
					start(i, &s);
		if (t >= next_report) {
			size_t r = rss_bytes();

			if (r > rss_peak)
				rss_peak = r;
			fprintf(stderr,
				"soak: %.0f s: %ld threads, %ld steps, %ld forks, %ld spawns, rss %zu MiB\n",
				t - t0, atomic_load(&lives), atomic_load(&steps),
				atomic_load(&forks), atomic_load(&spawns), r / MiB);
			next_report += 10;
			if (atomic_load(&bad))
				break;
		}
		nanosleep(&ms, NULL);
	}
	atomic_store(&stop, 1);
	for (unsigned i = 0; i < MAXW; i++)
		if (ws[i].live)
			pthread_join(ws[i].t, NULL);
	pthread_join(mon, NULL);
	free_transit();
	free_transit();	/* what the key destructors handed on */
	malloc_trim(0);
	rss_end = rss_bytes();
	vm_end = vm_bytes();
	tap_diag("%.0f s: %ld threads, %ld steps, %ld forks, %ld spawns, %ld statistics calls",
		 now() - t0, atomic_load(&lives), atomic_load(&steps), atomic_load(&forks),
		 atomic_load(&spawns), atomic_load(&infos));
	tap_ok(atomic_load(&bad) == 0, "every block intact when freed or reallocated (%d bad)",
	       atomic_load(&bad));
	tap_ok(atomic_load(&calloc_bad) == 0, "calloc's blocks read as zero (%d did not)",
	       atomic_load(&calloc_bad));
	tap_ok(atomic_load(&child_bad) == 0 && atomic_load(&forks) > 0,
	       "every fork child exited 0 in time (%d of %ld did not)",
	       atomic_load(&child_bad), atomic_load(&forks));
	tap_ok(atomic_load(&spawn_bad) == 0 && atomic_load(&spawns) > 0,
	       "every posix_spawn child exited 0 in time (%d of %ld did not)",
	       atomic_load(&spawn_bad), atomic_load(&spawns));
	tap_ok(atomic_load(&handler_calls) >= atomic_load(&forks),
	       "the program's allocating atfork handlers ran for every fork (%ld for %ld)",
	       atomic_load(&handler_calls), atomic_load(&forks));
	/* With everything freed and trimmed, what stays is the allocator's
	 * bookkeeping and glibc's cached thread stacks (up to 40 MiB), not
	 * a share of every thread that ever ran. */
	tap_ok(rss_end < rss0 + 64 * MiB,
	       "resident after freeing everything and malloc_trim(0): %zu MiB (start %zu, peak sampled %zu)",
	       rss_end / MiB, rss0 / MiB, rss_peak / MiB);
	tap_ok(vm_end < vm0 + 1536 * MiB,
	       "address space after freeing everything: %zu MiB (start %zu) for %ld threads",
	       vm_end / MiB, vm0 / MiB, atomic_load(&lives));
	return tap_done();
}
