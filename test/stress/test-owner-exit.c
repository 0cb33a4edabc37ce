/* test-owner-exit.c: owner threads exit while other threads still free
 * and realloc their blocks (issue 12, 1).
 *
 * Waves of short-lived owner threads allocate small blocks of mixed
 * classes and hand each to one of FREERS long-lived threads, then exit
 * at once, while the frees of their blocks are still arriving.  The
 * freers check each block's content, free most at once, and keep some
 * alive for a while, reallocating them (growing or shrinking, content
 * checked) before they free them: live blocks whose owner left, in
 * superslabs that the next wave reclaims.  A last wave's owners exit
 * before any of their blocks (some 20 MiB) is freed, by the freers;
 * then every thread is joined, malloc_trim(0) runs, and the resident
 * size must be back within KEPT MiB of where the run began (hakmem kept
 * 9-17 MiB more before it counted the frees that came after an owner's
 * exit; glibc keeps most of the 20 MiB: a TODO there).
 *
 * The race is one of timing: each run is a child with a time bound,
 * and RUNS of them (HK_OWNER_EXIT_RUNS overrides, for a long soak by
 * hand) catch a fault of 1 run in 6 all but surely (5/6 to the 32nd is
 * 0.3%).  A child killed by a signal (hakmem's abort on "invalid
 * pointer"), a bad block, a hang or a resident size too large fails.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test/api/alloc-api.h"
#include "test/stress/rss.h"
#include "test/stress/wait.h"

enum {
	FREERS = 4,
	WAVE = 8,		/* owners alive at once */
	WAVES = 16,		/* per run */
	BLOCKS = 3000,		/* per owner */
	HOLD = 64,		/* blocks each freer keeps alive */
	QLEN = 256,		/* queue entries per freer */
	RUNS = 32,
	RUN_LIMIT = 30,		/* seconds per run, far beyond its need */
	LAST = 8000,		/* blocks per owner of the last wave */
	KEPT = 4,		/* MiB kept after malloc_trim(0), at most */
};

struct item {
	unsigned char *p;
	size_t n;
	uintptr_t seed;
};

struct queue {
	pthread_mutex_t lock;
	pthread_cond_t more, room;
	unsigned head, tail;	/* tail - head items, from head */
	int done;
	struct item q[QLEN];
};

static struct queue queues[FREERS];
/* The last wave's blocks, freed only after their owners exited. */
static struct item last[WAVE][LAST];
static int bad;		/* blocks found wrong (atomic) */

static const size_t sizes[] = { 16, 24, 32, 48, 64, 80, 112, 128, 176, 256,
				320, 512, 768, 1024 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static size_t pick(uintptr_t r)
{
	return sizes[r % NSIZES] - (r >> 8) % 8;
}

static void put(struct queue *q, const struct item *it, unsigned n)
{
	pthread_mutex_lock(&q->lock);
	for (unsigned i = 0; i < n; i++) {
		while (q->tail - q->head == QLEN)
			pthread_cond_wait(&q->room, &q->lock);
		q->q[q->tail++ % QLEN] = it[i];
	}
	pthread_cond_signal(&q->more);
	pthread_mutex_unlock(&q->lock);
}

/* Up to max items; 0 once the queue is done and empty. */
static unsigned take(struct queue *q, struct item *it, unsigned max)
{
	unsigned n = 0;

	pthread_mutex_lock(&q->lock);
	while (q->tail == q->head && !q->done)
		pthread_cond_wait(&q->more, &q->lock);
	while (n < max && q->tail != q->head)
		it[n++] = q->q[q->head++ % QLEN];
	pthread_cond_broadcast(&q->room);
	pthread_mutex_unlock(&q->lock);
	return n;
}

static void check(const struct item *it)
{
	if (ta_check(it->p, it->n, it->seed) != it->n)
		__atomic_fetch_add(&bad, 1, __ATOMIC_RELAXED);
}

static void *owner(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	struct item batch[16];
	unsigned n = 0;

	for (unsigned i = 0; i < BLOCKS; i++) {
		uintptr_t seed = id * BLOCKS + i;
		struct item *it = &batch[n++];

		/* Three classes per owner, enough blocks to fill slabs:
		 * full slabs are the ones that ask for notices. */
		it->n = pick(id + i % 3 * 5 + (seed * 2654435761u >> 7 & 7) * 256);
		it->p = ta.malloc(it->n);
		it->seed = seed;
		if (!it->p) {
			__atomic_fetch_add(&bad, 1, __ATOMIC_RELAXED);
			n--;
			continue;
		}
		ta_fill(it->p, it->n, seed);
		if (n == 16) {
			put(&queues[(id + i / 16) % FREERS], batch, n);
			n = 0;
		}
	}
	put(&queues[id % FREERS], batch, n);
	return NULL;	/* at once: frees of its blocks still arrive */
}

/* An owner of the last wave: its blocks wait in last[] for main to hand
 * them to the freers once it exited. */
static void *last_owner(void *arg)
{
	uintptr_t t = (uintptr_t)arg;

	for (unsigned i = 0; i < LAST; i++) {
		struct item *it = &last[t][i];

		it->seed = (WAVES * WAVE + t) * LAST + i;
		it->n = pick(t + i % 3 * 5 + (it->seed * 2654435761u >> 7 & 7) * 256);
		it->p = ta.malloc(it->n);
		if (!it->p) {
			__atomic_fetch_add(&bad, 1, __ATOMIC_RELAXED);
			it->n = 0;	/* checked and freed as such */
			continue;
		}
		ta_fill(it->p, it->n, it->seed);
	}
	return NULL;
}

/* A held block moved by realloc: its first bytes must come along. */
static void move(struct item *it, uintptr_t r)
{
	size_t n = pick(r);
	size_t keep = n < it->n ? n : it->n;
	unsigned char *p = ta.realloc(it->p, n);

	if (!p) {
		__atomic_fetch_add(&bad, 1, __ATOMIC_RELAXED);
		ta.free(it->p);
		it->p = NULL;
		return;
	}
	if (ta_check(p, keep, it->seed) != keep)
		__atomic_fetch_add(&bad, 1, __ATOMIC_RELAXED);
	it->p = p;
	it->n = n;
	it->seed = r;
	ta_fill(p, n, r);
}

static void *freer(void *arg)
{
	struct queue *q = arg;
	struct item hold[HOLD] = { { 0 } }, it[32];
	uintptr_t k = (uintptr_t)(q - queues) * 7919 + 1;
	unsigned n;

	while ((n = take(q, it, 32)) != 0) {
		for (unsigned i = 0; i < n; i++, k++) {
			struct item *h = &hold[k % HOLD];

			check(&it[i]);
			if (k % 16) {
				ta.free(it[i].p);
				continue;
			}
			/* Keep this one alive; the one it replaces moves once
			 * more and goes. */
			if (h->p) {
				check(h);
				move(h, k * 40503u);
				ta.free(h->p);
			}
			*h = it[i];
			if (k % 8 == 0)
				move(h, k * 2654435761u);
		}
	}
	for (unsigned i = 0; i < HOLD; i++)
		if (hold[i].p) {
			check(&hold[i]);
			ta.free(hold[i].p);
		}
	return NULL;
}

/* One run, in a child: its exit status says how it went (0 good, 1
 * bad blocks, 2 no threads, 3 resident too large).  The last wave's
 * blocks, some 20 MiB, are all freed by other threads after their owners
 * exited: malloc_trim(0) must give back what they held (a slab counts
 * its blocks freed after the owner left), so that the resident size
 * ends within KEPT MiB of where the run began. */
static int run(void)
{
	pthread_t f[FREERS], o[WAVE];
	size_t rss, rss0;

	memset(last, 0, sizeof(last));	/* resident from the start */
	rss0 = rss_bytes();

	for (int i = 0; i < FREERS; i++) {
		pthread_mutex_init(&queues[i].lock, NULL);
		pthread_cond_init(&queues[i].more, NULL);
		pthread_cond_init(&queues[i].room, NULL);
		if (pthread_create(&f[i], NULL, freer, &queues[i]))
			return 2;
	}
	for (uintptr_t w = 0; w < WAVES; w++) {
		for (uintptr_t t = 0; t < WAVE; t++)
			if (pthread_create(&o[t], NULL, owner, (void *)(w * WAVE + t)))
				return 2;
		for (int t = 0; t < WAVE; t++)
			pthread_join(o[t], NULL);
	}
	for (uintptr_t t = 0; t < WAVE; t++)
		if (pthread_create(&o[t], NULL, last_owner, (void *)t))
			return 2;
	for (int t = 0; t < WAVE; t++)
		pthread_join(o[t], NULL);
	for (int t = 0; t < WAVE; t++)
		for (unsigned i = 0; i < LAST; i += 16)
			put(&queues[(t + i / 16) % FREERS], &last[t][i],
			    LAST - i < 16 ? LAST - i : 16);
	for (int i = 0; i < FREERS; i++) {
		pthread_mutex_lock(&queues[i].lock);
		queues[i].done = 1;
		pthread_cond_broadcast(&queues[i].more);
		pthread_mutex_unlock(&queues[i].lock);
	}
	for (int i = 0; i < FREERS; i++)
		pthread_join(f[i], NULL);
	if (bad)
		return 1;
	ta.malloc_trim(0);
	rss = rss_bytes();
	if (rss > rss0 + KEPT * MiB) {
		printf("# resident %zu KiB after malloc_trim(0), %zu KiB at the start\n",
		       rss >> 10, rss0 >> 10);
		fflush(stdout);
		return 3;
	}
	return 0;
}

int main(void)
{
	const char *env = getenv("HK_OWNER_EXIT_RUNS");
	int runs = env ? atoi(env) : RUNS;
	int died = 0, wrong = 0, big = 0, hung = 0;

	ta_start();
	tap_plan(4);
	for (int r = 0; r < runs; r++) {
		int status;
		pid_t pid;

		fflush(stdout);
		pid = fork();
		if (pid < 0)
			tap_skip_all("fork failed");
		if (pid == 0) {
			alarm(RUN_LIMIT);
			_exit(run());
		}
		if (!bounded_wait(pid, &status, RUN_LIMIT))
			hung++;
		else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
			hung++;
		else if (WIFSIGNALED(status))
			died++, tap_diag("run %d killed by signal %d", r, WTERMSIG(status));
		else if (WEXITSTATUS(status) == 1)
			wrong++;
		else if (WEXITSTATUS(status) == 2)
			tap_skip_all("pthread_create failed");
		else if (WEXITSTATUS(status) == 3)
			big++;
	}
	tap_ok(!died, "no run of %d aborts or faults (%d did): frees and reallocs of blocks whose owner exited",
	       runs, died);
	tap_ok(!wrong, "every block intact when freed or moved (%d runs found a bad one)", wrong);
	tap_ok(!hung, "no run hangs (%d did)", hung);
	/* glibc's malloc_trim leaves most of the last wave's 20 MiB resident
	 * (its arenas of exited threads). */
	ok_unless_glibc(!big, "glibc keeps the freed blocks of exited threads' arenas resident",
			"resident size after malloc_trim(0) within %d MiB of the start (%d runs above)",
			KEPT, big);
	return tap_done();
}
