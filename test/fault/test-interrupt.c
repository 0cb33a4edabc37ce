/* test-interrupt.c: threads interrupted while they allocate.
 *   - cancel: threads allocating in a loop are cancelled (deferred
 *     cancellation, acted on at pthread_testcancel between allocations:
 *     asynchronous cancellation is unsafe inside any malloc), their
 *     cleanup handlers free what they held, and the surviving threads go
 *     on allocating;
 *   - signals: an interval timer sends SIGALRM to the process (its
 *     handler does not allocate) while threads allocate and free at a
 *     high rate; nothing deadlocks (a hung child is killed when its time
 *     is up) and every block keeps its contents.
 * Each runs in a child (../badinput/child.h).  Built plain (glibc), -hk
 * and under LD_PRELOAD.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/time.h>

#include "test/api/alloc-api.h"
#include "test/badinput/child.h"

enum { HELD = 64, VICTIMS = 4, SURVIVORS = 2, ROUNDS = 100000 };

struct hk_worker {
	void *held[HELD];
	size_t size[HELD];
	uint64_t seed;
	long damaged;
	long failed;
};

static atomic_long ticks;

static size_t pick(struct hk_worker *w)
{
	w->seed ^= w->seed << 13;
	w->seed ^= w->seed >> 7;
	w->seed ^= w->seed << 17;
	return w->seed % 16 ? w->seed % 2048 + 1 : w->seed % (512 << 10) + 1;
}

/* Replace one held block, checking the old one; the pattern covers the
 * first 64 bytes (all of a smaller block). */
static void step(struct hk_worker *w)
{
	size_t i = w->seed % HELD, size = pick(w);

	if (w->held[i]) {
		size_t n = w->size[i] < 64 ? w->size[i] : 64;

		w->damaged += ta_check(w->held[i], n, (uintptr_t)&w->held[i]) != n;
		ta.free(w->held[i]);
	}
	w->held[i] = ta.malloc(size);
	w->size[i] = size;
	if (!w->held[i]) {
		w->failed++;
		return;
	}
	ta_fill(w->held[i], size < 64 ? size : 64, (uintptr_t)&w->held[i]);
}

static void release(void *arg)
{
	struct hk_worker *w = arg;

	for (int i = 0; i < HELD; i++) {
		ta.free(w->held[i]);
		w->held[i] = NULL;
	}
}

static void *victim(void *arg)
{
	struct hk_worker *w = arg;

	pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, NULL);
	pthread_cleanup_push(release, w);
	for (;;) {
		step(w);
		pthread_testcancel();
	}
	pthread_cleanup_pop(1);
	return NULL;
}

static void *survivor(void *arg)
{
	struct hk_worker *w = arg;

	for (int r = 0; r < ROUNDS; r++)
		step(w);
	release(w);
	return NULL;
}

/* Exit status: 1 blocks damaged, 2 allocations failed, 3 a thread was
 * not cancelled. */
static int run_cancel(void *arg)
{
	struct hk_worker w[VICTIMS + SURVIVORS] = { 0 };
	pthread_t t[VICTIMS + SURVIVORS];
	void *res;
	int bad = 0;

	(void)arg;
	for (int i = 0; i < VICTIMS + SURVIVORS; i++) {
		w[i].seed = 0x2545f4914f6cdd1dULL * (uint64_t)(i + 1);
		pthread_create(&t[i], NULL, i < VICTIMS ? victim : survivor, &w[i]);
	}
	usleep(20000);
	for (int i = 0; i < VICTIMS; i++) {
		pthread_cancel(t[i]);
		pthread_join(t[i], &res);
		bad |= res != PTHREAD_CANCELED ? 3 : 0;
	}
	for (int i = VICTIMS; i < VICTIMS + SURVIVORS; i++)
		pthread_join(t[i], NULL);
	survivor(&w[0]);	/* the main thread takes over a cancelled one's work */
	for (int i = 0; i < VICTIMS + SURVIVORS; i++) {
		bad |= w[i].damaged ? 1 : 0;
		bad |= w[i].failed ? 2 : 0;
	}
	return bad;
}

static void on_alarm(int sig)
{
	(void)sig;
	atomic_fetch_add(&ticks, 1);
}

static int run_signals(void *arg)
{
	struct itimerval it = { { 0, 200 }, { 0, 200 } };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct hk_worker w[3] = { 0 };
	pthread_t t[3];
	int bad = 0;

	(void)arg;
	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: calls see EINTR */
	setitimer(ITIMER_REAL, &it, NULL);
	for (int i = 0; i < 3; i++) {
		w[i].seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1);
		pthread_create(&t[i], NULL, survivor, &w[i]);
	}
	survivor(&(struct hk_worker){ .seed = 42 });
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		bad |= (w[i].damaged ? 1 : 0) | (w[i].failed ? 2 : 0);
	}
	it = (struct itimerval){ { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &it, NULL);
	return bad | (atomic_load(&ticks) < 10 ? 4 : 0);
}

int main(void)
{
	struct hk_child c;

	ta_start();
	tap_plan(2);
	hk_child(run_cancel, NULL, 30, &c);
	tap_ok(c.sig == 0 && c.code == 0,
	       "%d threads cancelled while allocating, %d go on: no damage, no failure (signal %d, exit %d, '%s')",
	       VICTIMS, SURVIVORS, c.sig, c.code, c.line);
	hk_child(run_signals, NULL, 30, &c);
	tap_ok(c.sig == 0 && c.code == 0,
	       "SIGALRM every 200 us while 4 threads allocate: no deadlock, no damage (signal %d, exit %d, '%s')",
	       c.sig, c.code, c.line);
	return tap_done();
}
