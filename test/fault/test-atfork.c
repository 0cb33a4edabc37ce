/* test-atfork.c: the program's own fork handlers allocate.
 *
 * glibc's malloc lets pthread_atfork handlers allocate and free, in
 * prepare, parent and child alike, whatever the order in which they
 * were registered: fork() takes its malloc locks after the prepare
 * handlers ran.  hakmem must allow the same.  Its handlers take every
 * mutex of the allocator; glibc runs prepare handlers in the reverse
 * order of registration and the others in the order, so the handlers a
 * program registered before hakmem's run while hakmem's mutexes are
 * held (prepare after hakmem's, parent and child before).
 *
 * The handlers here are registered from a constructor that runs before
 * any constructor of the program's own that defaults its priority:
 * linked (-hk), before hakmem's registration (its first hk_malloc, or
 * its constructor); preloaded, after it (hakmem was brought up by the
 * loader's first malloc), which tests the other order.  Each variant
 * runs in a fresh process (../badinput/child.h) killed after LIMIT_S; a
 * fork child that hangs is killed by its parent (../stress/wait.h).
 * The handlers allocate every way there is (small, calloc, realloc into
 * the large sizes, memalign, large), check the contents, and hand a
 * block from prepare to parent and child to free.
 */
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>

#include "test/api/alloc-api.h"
#include "test/badinput/child.h"
#include "test/stress/wait.h"

extern char **environ;

enum { FORK_WAIT_S = 20 };
/* A hang is for ever; the bound only has to outlast a loaded machine.
 * HK_ATFORK_LIMIT=S shortens it (to see old code hang in less time). */
static unsigned LIMIT_S = 60;
enum { IN_PREPARE = 1, IN_PARENT = 2, IN_CHILD = 4 };
enum { BY_FORK, BY_SPAWN, BY_SYSTEM };

struct variant {
	const char *name;
	int where;		/* IN_*: the handlers that allocate */
	int warm;		/* the process allocated before it forks */
	int thread;		/* a fresh thread forks: its first malloc is in prepare */
	int busy;		/* threads allocating while it forks */
	int by;			/* BY_* */
	int forks;		/* per process */
	int tries;		/* processes */
};

static const struct variant variants[] = {
	{ "prepare allocates", IN_PREPARE, 1, 0, 0, BY_FORK, 3, 3 },
	{ "parent allocates", IN_PARENT, 1, 0, 0, BY_FORK, 3, 3 },
	{ "child allocates", IN_CHILD, 1, 0, 0, BY_FORK, 3, 3 },
	{ "the process's first malloc is in prepare", IN_PREPARE | IN_CHILD, 0, 0, 0, BY_FORK, 3, 3 },
	{ "a thread's first malloc is in prepare", IN_PREPARE | IN_PARENT | IN_CHILD, 1, 1, 0, BY_FORK, 3, 3 },
	{ "all handlers allocate while 3 threads allocate", IN_PREPARE | IN_PARENT | IN_CHILD, 1, 0, 3, BY_FORK, 10, 8 },
	{ "from fresh threads while 3 threads allocate", IN_PREPARE | IN_PARENT | IN_CHILD, 1, 1, 3, BY_FORK, 5, 8 },
	{ "posix_spawn while 2 threads allocate", IN_PREPARE | IN_PARENT | IN_CHILD, 1, 0, 2, BY_SPAWN, 5, 3 },
	{ "system() while 2 threads allocate", IN_PREPARE | IN_PARENT | IN_CHILD, 1, 0, 2, BY_SYSTEM, 3, 3 },
};

static atomic_int where;	/* 0 outside a variant's process */
static atomic_int bad;		/* contents found wrong */
static void *carried;		/* from prepare to parent and child */
static const size_t carried_len = 3000;

/* A vector that doubles: a large block cut from a cached mapping grows
 * back over the rest of it, which it takes out of the cache. */
static void grow(uintptr_t seed)
{
	size_t len = 1 << 20;
	void *v;

	ta.free(ta.malloc(16 << 20));
	v = ta.malloc(len);
	if (!v) {
		atomic_fetch_add(&bad, 1);
		return;
	}
	ta_fill(v, len, seed);
	for (; len < 8 << 20; len *= 2) {
		void *n = ta.realloc(v, len * 2);

		if (!n || ta_check(n, len, seed) != len) {
			atomic_fetch_add(&bad, 1);
			ta.free(n ? n : v);
			return;
		}
		v = n;
		ta_fill(v, len * 2, seed);
	}
	ta.free(v);
}

/* Every way of allocating, contents checked; all freed again. */
static void work(uintptr_t seed)
{
	void *p[6] = { 0 };
	static const size_t len[6] = { 24, 1000, 200000, 5000, 3 << 20, 64 };

	p[0] = ta.malloc(len[0]);
	p[1] = ta.calloc(10, 100);
	p[2] = ta.malloc(100);
	if (p[2]) {
		ta_fill(p[2], 100, seed + 2);
		p[2] = ta.realloc(p[2], len[2]);	/* into the large sizes */
		if (p[2] && ta_check(p[2], 100, seed + 2) != 100)
			atomic_fetch_add(&bad, 1);
	}
	p[3] = ta.memalign(4096, len[3]);
	p[4] = ta.malloc(len[4]);
	if (ta.posix_memalign(&p[5], 256, len[5]) != 0)
		p[5] = NULL;
	for (int i = 0; i < 6; i++) {
		if (!p[i] || (i == 3 && (uintptr_t)p[3] % 4096) ||
		    (i == 1 && ((char *)p[1])[999] != 0)) {
			atomic_fetch_add(&bad, 1);
			continue;
		}
		ta_fill(p[i], len[i], seed + (uintptr_t)i);
	}
	for (int i = 0; i < 6; i++) {
		if (p[i] && ta_check(p[i], len[i], seed + (uintptr_t)i) != len[i])
			atomic_fetch_add(&bad, 1);
		ta.free(p[i]);
	}
	grow(seed + 6);
}

static void on_prepare(void)
{
	if (!(atomic_load(&where) & IN_PREPARE))
		return;
	work(1);
	carried = ta.malloc(carried_len);
	if (carried)
		ta_fill(carried, carried_len, 7);
}

static void free_carried(void)
{
	if (carried && ta_check(carried, carried_len, 7) != carried_len)
		atomic_fetch_add(&bad, 1);
	ta.free(carried);
	carried = NULL;
}

/* The parent's and the child's handlers alike. */
static void after_fork(int in, uintptr_t seed)
{
	int w = atomic_load(&where);

	if (w & in)
		work(seed);
	if (w)
		free_carried();
}

static void on_parent(void)
{
	after_fork(IN_PARENT, 2);
}

static void on_child(void)
{
	after_fork(IN_CHILD, 3);
}

/* Before the program's constructors of default priority, hakmem's
 * among them when it is linked. */
__attribute__((constructor(101))) static void register_handlers(void)
{
	pthread_atfork(on_prepare, on_parent, on_child);
}

static atomic_int stop;

static void *busy(void *arg)
{
	uintptr_t seed = (uintptr_t)arg;

	while (!atomic_load(&stop)) {
		size_t n = 16 + (seed * 2654435761u >> 7) % (seed % 31 == 0 ? 300000 : 4000);
		void *p = ta.malloc(n);

		if (p) {
			ta_fill(p, n < 64 ? n : 64, seed);
			if (ta_check(p, n < 64 ? n : 64, seed) != (n < 64 ? n : 64))
				atomic_fetch_add(&bad, 1);
		}
		ta.free(p);
		/* Breaks, or a fork waits long for the mutexes of a thread
		 * that takes them back at once. */
		if (++seed % 32 == 0)
			usleep(20);
	}
	return NULL;
}

/* One fork (or spawn) of the variant; 0 if all went well. */
static int one_fork(const struct variant *v)
{
	char *argv[] = { "true", NULL };
	int status = 0;
	pid_t pid;

	switch (v->by) {
	case BY_SPAWN:
		if (posix_spawnp(&pid, "true", NULL, NULL, argv, environ) != 0)
			return 1;
		return !bounded_wait(pid, &status, FORK_WAIT_S) || status != 0;
	case BY_SYSTEM:
		return system("true") != 0;
	}
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		work(4);
		_exit(atomic_load(&bad) ? 3 : 0);
	}
	return !bounded_wait(pid, &status, FORK_WAIT_S) || status != 0;
}

static void *fork_thread(void *arg)
{
	return (void *)(intptr_t)one_fork(arg);
}

static int one_process(void *arg)
{
	const struct variant *v = arg;
	pthread_t t[4];
	int failed = 0;

	if (v->warm)
		ta.free(ta.malloc(40));
	for (int i = 0; i < v->busy; i++)
		pthread_create(&t[i], NULL, busy, (void *)(uintptr_t)(i * 1000 + 1));
	atomic_store(&where, v->where);
	for (int k = 0; k < v->forks; k++) {
		if (v->thread) {
			pthread_t f;
			void *r = (void *)1;

			if (pthread_create(&f, NULL, fork_thread, (void *)v) == 0)
				pthread_join(f, &r);
			failed |= r != NULL;
		} else {
			failed |= one_fork(v);
		}
	}
	atomic_store(&where, 0);
	atomic_store(&stop, 1);
	for (int i = 0; i < v->busy; i++)
		pthread_join(t[i], NULL);
	return failed ? 1 : atomic_load(&bad) ? 2 : 0;
}

int main(void)
{
	const int n = (int)(sizeof(variants) / sizeof(variants[0]));

	ta_start();
	if (getenv("HK_ATFORK_LIMIT"))
		LIMIT_S = (unsigned)atoi(getenv("HK_ATFORK_LIMIT"));
	tap_plan(n);
	for (int i = 0; i < n; i++) {
		const struct variant *v = &variants[i];
		int hung = 0, wrong = 0;

		for (int k = 0; k < v->tries; k++) {
			struct hk_child c;

			if (hk_child(one_process, (void *)v, LIMIT_S, &c) != 0 || c.sig) {
				hung++;
				if (c.line[0])
					tap_diag("%s: %s", v->name, c.line);
				break;	/* one is enough, and each costs LIMIT_S */
			} else if (c.code) {
				wrong++;
			}
		}
		tap_ok(hung == 0 && wrong == 0,
		       "fork handlers registered %s hakmem's: %s (%d forks in each of %d processes: %d hung, %d failed)",
		       ta.is_hakmem && !getenv("HK_EXPECT_HAKMEM") ? "before" : "after",
		       v->name, v->forks, v->tries, hung, wrong);
	}
	return tap_done();
}
