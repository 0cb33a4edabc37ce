/* once.h: run-once flags that survive fork.
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
 * States: 0 not started, HK_ONCE_DONE, -pid running in process pid.
 */
#ifndef HK_ONCE_H
#define HK_ONCE_H

#include <sched.h>
#include <stdbool.h>
#include <unistd.h>

#define HK_ONCE_DONE 2

/* True when the caller must run the work and then call hk_once_done;
 * false once another thread of this process has finished it. */
static inline bool hk_once_claim(int *state)
{
	int st = __atomic_load_n(state, __ATOMIC_ACQUIRE);
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
			return true;
		if (st == me) {
			sched_yield();
			st = __atomic_load_n(state, __ATOMIC_ACQUIRE);
		}
	}
}

static inline void hk_once_done(int *state)
{
	__atomic_store_n(state, HK_ONCE_DONE, __ATOMIC_RELEASE);
}

#endif /* HK_ONCE_H */
