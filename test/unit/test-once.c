/* test-once: lib/once.h, a run-once flag whose claimant left the work.
 *
 * A thread that claimed a flag may never mark it done: a signal handler
 * longjmped out of the work, or the thread was cancelled or exited in
 * it.  The same thread claiming again must run the work again at once;
 * another thread, after a bounded wait (HK_ONCE_WAIT_MS); a claimant
 * still at work keeps the others waiting; a done flag is never claimed.
 * Each case runs in a child killed after LIMIT_S (a spin is a hang).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "lib/once.h"
#include "test/unit/cases.h"

enum { LIMIT_S = 10 };

static int flag, flag2;

static void *claim_thread(void *arg)
{
	return hk_once_claim(arg) ? arg : NULL;
}

/* Claimed, left, claimed again by the same thread. */
static int same_thread(void *arg)
{
	(void)arg;
	if (!hk_once_claim(&flag) || !hk_once_claim(&flag))
		return 1;
	hk_once_done(&flag);
	return hk_once_claim(&flag) ? 2 : 0;
}

/* Two flags, one claimed inside the other's work, both left. */
static int nested(void *arg)
{
	(void)arg;
	if (!hk_once_claim(&flag) || !hk_once_claim(&flag2))
		return 1;
	if (!hk_once_claim(&flag2) || !hk_once_claim(&flag))
		return 2;
	hk_once_done(&flag2);
	hk_once_done(&flag);
	return hk_once_claim(&flag) || hk_once_claim(&flag2) ? 3 : 0;
}

/* Claimed by a thread that exited without finishing. */
static int other_thread(void *arg)
{
	pthread_t t;
	void *r = NULL;

	(void)arg;
	pthread_create(&t, NULL, claim_thread, &flag);
	pthread_join(t, &r);
	if (r != &flag)
		return 1;
	if (!hk_once_claim(&flag))	/* after HK_ONCE_WAIT_MS */
		return 2;
	hk_once_done(&flag);
	return 0;
}

static atomic_int working;

static void *slow_work(void *arg)
{
	struct timespec d = { 0, (HK_ONCE_WAIT_MS / 4) * 1000000L };

	(void)arg;
	if (!hk_once_claim(&flag))
		return NULL;
	atomic_store(&working, 1);
	nanosleep(&d, NULL);
	hk_once_done(&flag);
	return &flag;
}

/* A claimant at work for a quarter of the bound: the other waits and
 * finds the work done. */
static int still_working(void *arg)
{
	pthread_t t;
	void *r = NULL;
	bool mine;

	(void)arg;
	pthread_create(&t, NULL, slow_work, NULL);
	while (!atomic_load(&working))
		;
	mine = hk_once_claim(&flag);
	pthread_join(t, &r);
	return r != &flag ? 1 : mine ? 2 : 0;
}

int main(void)
{
	static const struct hk_case cases[] = {
		{ same_thread, "the thread that left its claim runs the work again" },
		{ nested, "two nested claims left by one thread: both run again" },
		{ other_thread, "a claim left by an exited thread: another runs the work after the bound" },
		{ still_working, "a claimant still at work: the others wait and find it done" },
	};
	const int n = (int)(sizeof(cases) / sizeof(cases[0]));

	return hk_run_cases(cases, n, LIMIT_S);
}
