/* test-churn.c: everything at once, as a program that has run a while
 * would.  Worker threads come and go (a new one may take the heap an
 * exited one left), each filling chunk after chunk with small blocks it
 * touches (dense memory: promotion under auto) and then mixing sizes up
 * to 40 KiB (slabs over several slices: the inline free through own[]),
 * calloc, realloc and posix_memalign, handing blocks to the others
 * (remote frees, and blocks whose owner exited); a thread asleep takes
 * signals whose handler allocates and frees; the main thread forks (the
 * child frees the blocks of threads the fork left behind, allocates,
 * starts a thread, trims, forks again) and calls malloc_trim.  Every
 * block carries a pattern checked before it is freed; calloc's blocks
 * must read as zero.  (Checked to fail, preloaded, with a heap handed
 * to a new thread with the own[] of its last owner: "free(): invalid
 * pointer" in the fork children.) */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test/api/alloc-api.h"
#include "test/stress/wait.h"

enum {
	WORKERS = 3,
	LIVES = 30,		/* worker threads started in all */
	SLOTS = 512,
	XCH = 128,		/* blocks in transit between threads */
	DENSE_BLOCKS = 30000,
	STEPS = 12000,
	CHILD_ALARM = 20,
};

struct blk {
	unsigned char *p;
	size_t n;
	uintptr_t seed;
};

static _Atomic(struct blk *) xch[XCH];
static atomic_int stop, bad, calloc_bad;

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Mostly direct[] sizes, some larger classes, a few slabs of several
 * slices and large objects. */
static size_t pick(uint64_t *s)
{
	uint64_t r = rnd(s) % 1000;

	if (r < 600)
		return rnd(s) % 1024 + 1;
	if (r < 850)
		return rnd(s) % 4096 + 1;
	if (r < 980)
		return rnd(s) % 36864 + 4097;
	return rnd(s) % (600 << 10) + 1;
}

/* The pattern on the first 32 bytes and, past 64, on the last 32:
 * enough to see a block handed out twice or overlapping another. */
static void mark(struct blk *b)
{
	ta_fill(b->p, b->n < 32 ? b->n : 32, b->seed);
	if (b->n > 64)
		ta_fill(b->p + b->n - 32, 32, b->seed + 1);
}

static bool intact(const struct blk *b)
{
	size_t k = b->n < 32 ? b->n : 32;

	return ta_check(b->p, k, b->seed) == k &&
	       (b->n <= 64 || ta_check(b->p + b->n - 32, 32, b->seed + 1) == 32);
}

static void release(struct blk *b)
{
	if (!b->p)
		return;
	if (!intact(b))
		atomic_fetch_add(&bad, 1);
	ta.free(b->p);
	b->p = NULL;
}

static void make(struct blk *b, uint64_t *s)
{
	void *q = NULL;

	b->n = pick(s);
	b->seed = (uintptr_t)rnd(s);
	switch (rnd(s) % 16) {
	case 0:
		b->p = ta.calloc(1, b->n);
		for (size_t i = 0; b->p && i < b->n; i++)
			if (b->p[i]) {
				atomic_fetch_add(&calloc_bad, 1);
				break;
			}
		break;
	case 1:
		if (ta.posix_memalign(&q, (size_t)16 << (rnd(s) % 9), b->n) == 0)
			b->p = q;
		break;
	default:
		b->p = ta.malloc(b->n);
	}
	if (b->p)
		mark(b);
}

/* Give b to whichever thread looks at slot j next; free what was there. */
static void hand_over(struct blk *b, unsigned j)
{
	struct blk *mine = NULL, *got;

	if (b->p) {
		mine = ta.malloc(sizeof(*mine));
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
		ta.free(got);
	}
}

static void dense(uint64_t *s)
{
	unsigned char **v = ta.malloc(DENSE_BLOCKS * sizeof(*v));
	size_t n = 16 + rnd(s) % 496;

	for (int i = 0; i < DENSE_BLOCKS; i++) {
		v[i] = ta.malloc(n);
		memset(v[i], i & 0xff, n);
	}
	for (int i = 0; i < DENSE_BLOCKS; i++) {
		if (v[i][0] != (unsigned char)i || v[i][n - 1] != (unsigned char)i)
			atomic_fetch_add(&bad, 1);
		if (i % 3)
			ta.free(v[i]);
	}
	for (int i = 0; i < DENSE_BLOCKS; i += 3)
		ta.free(v[i]);
	ta.free(v);
}

static void mixed(uint64_t *s, struct blk *slot, int steps)
{
	for (int k = 0; k < steps; k++) {
		struct blk *b = &slot[rnd(s) % SLOTS];
		uint64_t r = rnd(s) % 100;

		if (r < 3) {
			hand_over(b, (unsigned)rnd(s));
		} else if (r < 6 && b->p) {
			size_t n = pick(s);
			unsigned char *q;

			if (!intact(b))
				atomic_fetch_add(&bad, 1);
			q = ta.realloc(b->p, n);
			if (q) {
				b->p = q;
				b->n = n;
				mark(b);
			}
		} else {
			release(b);
			make(b, s);
		}
	}
}

static void *worker(void *arg)
{
	uint64_t s = 0x9e3779b97f4a7c15u ^ ((uintptr_t)arg * 7919 + 1);
	struct blk *slot = ta.calloc(SLOTS, sizeof(*slot));

	dense(&s);
	mixed(&s, slot, STEPS);
	/* A third stays behind for others to free, after this heap is gone. */
	for (int i = 0; i < SLOTS; i++) {
		if (i % 3 == 0)
			hand_over(&slot[i], (unsigned)rnd(&s));
		release(&slot[i]);
	}
	ta.free(slot);
	return NULL;
}

/* The handler allocates while its thread sleeps (not in the allocator). */
static struct blk sig_kept[32];
static uint64_t sig_seed = 12345;
static atomic_int sig_calls;

static void on_usr1(int sig)
{
	(void)sig;
	for (int k = 0; k < 8; k++) {
		struct blk *b = &sig_kept[rnd(&sig_seed) % 32];

		release(b);
		make(b, &sig_seed);
	}
	atomic_fetch_add(&sig_calls, 1);
}

static void *sleeper(void *arg)
{
	struct timespec ms = { 0, 1000000 };

	(void)arg;
	while (!atomic_load(&stop))
		nanosleep(&ms, NULL);
	return NULL;
}

/* In a fork child: the blocks of the threads left behind, mixed
 * allocations, a thread of its own, a trim. */
static void child_work(uint64_t s, int depth)
{
	struct blk slot[SLOTS];
	pthread_t t;

	alarm(CHILD_ALARM);
	memset(slot, 0, sizeof(slot));
	for (int j = 0; j < XCH; j++) {
		struct blk *b = atomic_exchange(&xch[j], NULL);

		if (b) {
			release(b);
			ta.free(b);
		}
	}
	mixed(&s, slot, STEPS);
	if (pthread_create(&t, NULL, worker, (void *)(uintptr_t)(1000 + depth)) == 0)
		pthread_join(t, NULL);
	ta.malloc_trim(0);
	for (int i = 0; i < SLOTS; i++)
		release(&slot[i]);
}

static __attribute__((noreturn)) void child_exit(void)
{
	_exit(atomic_load(&bad) || atomic_load(&calloc_bad) ? 3 : 0);
}

/* The child forks again, from a heap that adopted others. */
static void child(uint64_t s)
{
	int status = 0;
	pid_t pid;

	child_work(s, 0);
	pid = fork();
	if (pid == 0) {
		child_work(s + 1, 1);
		child_exit();
	}
	if (pid < 0 || !bounded_wait(pid, &status, CHILD_ALARM) || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		atomic_fetch_add(&bad, 1);
	child_exit();
}

int main(void)
{
	pthread_t t[WORKERS], sl;
	uint64_t s = 88172645463325252u;
	int lives = 0, forks = 0, forks_ok = 0, status = 0;

	alarm(120);
	ta_start();
	signal(SIGUSR1, on_usr1);
	pthread_create(&sl, NULL, sleeper, NULL);
	for (; lives < WORKERS; lives++)
		pthread_create(&t[lives], NULL, worker, (void *)(uintptr_t)lives);
	while (lives < LIVES) {
		unsigned i = (unsigned)(rnd(&s) % WORKERS);
		pid_t pid;

		pthread_join(t[i], NULL);
		pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)lives++);
		pthread_kill(sl, SIGUSR1);
		if (lives % 3 == 0) {
			forks++;
			pid = fork();
			if (pid == 0)
				child(rnd(&s));
			if (pid > 0 && bounded_wait(pid, &status, CHILD_ALARM) && WIFEXITED(status) &&
			    WEXITSTATUS(status) == 0)
				forks_ok++;
			else
				tap_diag("child %d: status %#x", forks, status);
		}
		if (lives % 4 == 0)
			ta.malloc_trim(0);
	}
	for (int i = 0; i < WORKERS; i++)
		pthread_join(t[i], NULL);
	atomic_store(&stop, 1);
	pthread_join(sl, NULL);
	for (int i = 0; i < 32; i++)
		release(&sig_kept[i]);
	for (int j = 0; j < XCH; j++) {
		struct blk *b = atomic_exchange(&xch[j], NULL);

		if (b) {
			release(b);
			ta.free(b);
		}
	}
	tap_ok(atomic_load(&bad) == 0,
	       "%d threads, %d signal handlers: every block intact when freed (%d bad)",
	       lives, atomic_load(&sig_calls), atomic_load(&bad));
	tap_ok(atomic_load(&calloc_bad) == 0, "calloc's blocks read as zero (%d did not)",
	       atomic_load(&calloc_bad));
	tap_ok(forks_ok == forks,
	       "%d of %d children (each freeing blocks of the threads left behind, forking again) exited 0",
	       forks_ok, forks);
	return tap_done();
}
