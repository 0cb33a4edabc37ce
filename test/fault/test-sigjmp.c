/* test-sigjmp.c: a SIGALRM handler that longjmps out of malloc.
 *
 * Undefined behaviour, but old programs do it (a timeout around work
 * that allocates).  hakmem must not turn it into a spin: a jump out of
 * the malloc that brings the allocator up used to leave the run-once
 * flag "running" for ever, and every later malloc, in that thread or
 * any other, spun in sched_yield at full CPU.
 *
 * Each try is a fresh process (../badinput/child.h) that makes the
 * start-up block where no lock is held: HAKMEM_VERBOSE=1 makes it write
 * to stderr, here a pipe filled to the brim.  A timer's SIGALRM jumps
 * out of the blocked write; the process then allocates again from the
 * same thread, then from a new one, or in the other order (the other
 * thread then waits for the bound of once.h), and must finish.  (A jump out of a
 * malloc that holds a lock deadlocks hakmem as it deadlocks glibc, and
 * is not tried.)  Where the allocator was brought up before main (the
 * preloaded library, or one that starts at load), nothing blocks and
 * the try only checks that the process works.  A try that runs past
 * LIMIT_S hangs; HK_SIGJMP_LIMIT=S shortens the bound.
 */
#include <pthread.h>
#include <setjmp.h>
#include <fcntl.h>
#include <sys/time.h>

#include "test/api/alloc-api.h"
#include "test/badinput/child.h"

enum { TRIES = 5 };
static unsigned LIMIT_S = 60;

static sigjmp_buf jump;
static volatile sig_atomic_t jumped;
static int mark;		/* a thread's answer */

static void on_alarm(int sig)
{
	(void)sig;
	jumped = 1;
	siglongjmp(jump, 1);
}

static int use(void)
{
	void *p = ta.malloc(100), *q = ta.malloc((size_t)6 << 20);
	int ok = p && q;

	if (q)
		memset(q, 1, 4096);
	ta.free(p);
	ta.free(q);
	return ok;
}

static void *use_thread(void *arg)
{
	return use() ? arg : NULL;
}

/* fd 2 onto a full pipe; returns the old stderr, or -1. */
static int stderr_full(int fd[2])
{
	int old = dup(2);
	char buf[4096];

	memset(buf, 'x', sizeof(buf));
	if (old < 0 || pipe2(fd, O_NONBLOCK) != 0)
		return -1;
	while (write(fd[1], buf, sizeof(buf)) > 0)
		;
	fcntl(fd[1], F_SETFL, 0);	/* blocking again: the next write waits */
	dup2(fd[1], 2);
	return old;
}

static int one_try(void *arg)
{
	struct itimerval it = { { 0, 0 }, { 0, 100000 } };
	struct sigaction sa = { .sa_handler = on_alarm };
	volatile int old;
	int fd[2];
	pthread_t t;
	void *r = NULL;

	setenv("HAKMEM_VERBOSE", "1", 1);
	sigaction(SIGALRM, &sa, NULL);
	old = stderr_full(fd);
	if (old < 0)
		return 5;
	if (sigsetjmp(jump, 1) == 0) {
		setitimer(ITIMER_REAL, &it, NULL);
		ta.free(ta.malloc(100));
	}
	it.it_value.tv_usec = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	dup2(old, 2);
	close(fd[0]);
	close(fd[1]);
	/* The thread that jumped allocates first, or another one does. */
	if (arg == NULL && !use())
		return 2;
	if (pthread_create(&t, NULL, use_thread, &mark) != 0)
		return 3;
	pthread_join(t, &r);
	if (r != &mark)
		return 4;
	if (arg != NULL && !use())
		return 2;
	return jumped ? 0 : 10;
}

int main(void)
{
	int hung = 0, failed = 0, jumps = 0;

	ta_start();
	if (getenv("HK_SIGJMP_LIMIT"))
		LIMIT_S = (unsigned)atoi(getenv("HK_SIGJMP_LIMIT"));
	tap_plan(1);
	for (int i = 0; i < TRIES; i++) {
		struct hk_child c;

		if (hk_child(one_try, i % 2 ? &mark : NULL, LIMIT_S, &c) != 0 || c.sig) {
			hung++;
			tap_diag("hung, killed after %u s", LIMIT_S);
			break;	/* one is enough, and each costs LIMIT_S */
		}
		if (c.code == 0)
			jumps++;
		else if (c.code != 10)
			failed++;
	}
	tap_ok(hung == 0 && failed == 0,
	       "a SIGALRM handler that longjmps out of the malloc that starts the allocator: later mallocs work (%d tries: %d jumped out, %d hung, %d failed)",
	       TRIES, jumps, hung, failed);
	return tap_done();
}
