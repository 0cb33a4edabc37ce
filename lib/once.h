/* once.h: run-once flags that survive fork, and a claimant that left.
 *
 * pthread_once cannot serve inside malloc (it is not reset in a fork
 * child), and a plain 0/1/2 flag is not enough either: a fork in another
 * thread while the flag reads "running" leaves the child, where the
 * initialising thread does not exist, waiting for ever.  So "running"
 * holds the initialiser's pid, negated: a waiter that finds another
 * process's pid there is a fork child, which has a single thread, and
 * takes the work over.  getpid() is a system call, made only on the
 * claim and wait paths, never once the flag reads done.
 *
 * A thread of this process may also stop running the work without
 * marking it done: a signal handler that longjmps out of the malloc that
 * runs it (old programs do it with SIGALRM), a cancellation at a
 * cancellation point inside it, a thread killed by pthread_exit from a
 * handler.  Waiting for it would spin for ever.  So each thread keeps
 * its claims in hk_once_mine: one that finds its own claim still
 * running runs the work again at once (it left it, or a signal handler
 * interrupted it and will see it done when it returns), and another
 * thread runs it again after HK_ONCE_WAIT_MS.  The work must therefore
 * bear being run again, and by two threads at once; its users make it
 * so (init.c, os.c).
 *
 * States: 0 not started, HK_ONCE_DONE, -pid running in process pid.
 */
#ifndef HK_ONCE_H
#define HK_ONCE_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#define HK_ONCE_DONE 2
/* A working claimant is done within milliseconds (the kernel probe reads
 * a few files); one that has not finished after a second has gone. */
#define HK_ONCE_WAIT_MS 1000
#define HK_ONCE_NEST 2		/* init runs the OS layer's once inside */

/* This thread's claims not yet done (os.c). */
extern __thread int *hk_once_mine[HK_ONCE_NEST]
	__attribute__((tls_model("initial-exec"), visibility("hidden")));

/* Milliseconds of CLOCK_MONOTONIC_COARSE: the vDSO answers, no system
 * call (os-sys.c). */
uint64_t hk_now_ms(void) __attribute__((visibility("hidden")));

static inline bool hk_once_is_mine(const int *state)
{
	for (int i = 0; i < HK_ONCE_NEST; i++)
		if (hk_once_mine[i] == state)
			return true;
	return false;
}

static inline void hk_once_hold(int *state)
{
	for (int i = 0; i < HK_ONCE_NEST; i++)
		if (hk_once_mine[i] == state || !hk_once_mine[i]) {
			hk_once_mine[i] = state;
			return;
		}
}

/* True when the caller must run the work and then call hk_once_done;
 * false once another thread of this process has finished it. */
static inline bool hk_once_claim(int *state)
{
	int st = __atomic_load_n(state, __ATOMIC_ACQUIRE);
	uint64_t since = 0;
	int me;

	if (st == HK_ONCE_DONE)
		return false;
	me = -(int)getpid();
	for (;;) {
		if (st == HK_ONCE_DONE)
			return false;
		if ((st == 0 || (st < 0 && st != me)) &&
		    __atomic_compare_exchange_n(state, &st, me, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			break;
		if (st != me)
			continue;
		/* Running in this process: left by this very thread, or by
		 * another that has been at it for too long. */
		if (hk_once_is_mine(state))
			break;
		if (!since)
			since = hk_now_ms() + 1;
		else if (hk_now_ms() + 1 - since >= HK_ONCE_WAIT_MS)
			break;
		sched_yield();
		st = __atomic_load_n(state, __ATOMIC_ACQUIRE);
	}
	hk_once_hold(state);
	return true;
}

static inline void hk_once_done(int *state)
{
	for (int i = 0; i < HK_ONCE_NEST; i++)
		if (hk_once_mine[i] == state)
			hk_once_mine[i] = NULL;
	__atomic_store_n(state, HK_ONCE_DONE, __ATOMIC_RELEASE);
}

#endif /* HK_ONCE_H */
