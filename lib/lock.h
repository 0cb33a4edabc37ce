/* lock.h: the allocator's mutexes, and the thread that holds them all
 * across fork.
 *
 * hakmem's fork prepare handler takes every mutex of the allocator
 * (init.c, hk_fork_prepare) and the parent and child handlers release
 * them.  glibc runs the prepare handlers in the reverse order of their
 * registration and the parent and child handlers in the order, so the
 * handlers of a program (or of a library) registered before hakmem's
 * run while the forking thread holds those mutexes: the prepare
 * handlers after hakmem's, the parent and child ones before.  Such a
 * handler may allocate (glibc's malloc allows it: fork takes its own
 * malloc locks after the prepare handlers ran), and its malloc must not
 * wait for a mutex its own thread holds.
 *
 * It need not: while one thread holds every mutex of the allocator, no
 * other thread can be inside any section they guard, so that thread owns
 * everything they guard and may enter those sections without taking
 * anything.  hk_fork_holder marks it (thread-local, so it is set in the
 * fork child too, whose only thread is that one, until hakmem's child
 * handler has released the mutexes).  Every mutex of the allocator is
 * taken through hk_lock, so that no section of the allocator can wait
 * for a mutex from the holding thread.
 */
#ifndef HK_LOCK_H
#define HK_LOCK_H

#include <pthread.h>

#include "lib/internal.h"

#pragma GCC visibility push(hidden)

/* Set from the end of hakmem's prepare handler to the parent or child
 * handler, in the thread that forks. */
extern HK_TLS int hk_fork_holder;

HK_INLINE void hk_lock(pthread_mutex_t *m)
{
	if (HK_UNLIKELY(hk_fork_holder))
		return;
	pthread_mutex_lock(m);
}

/* 0 when taken (always, in the holding thread), as pthread_mutex_trylock. */
HK_INLINE int hk_trylock(pthread_mutex_t *m)
{
	if (HK_UNLIKELY(hk_fork_holder))
		return 0;
	return pthread_mutex_trylock(m);
}

HK_INLINE void hk_unlock(pthread_mutex_t *m)
{
	if (HK_UNLIKELY(hk_fork_holder))
		return;
	pthread_mutex_unlock(m);
}

#pragma GCC visibility pop

#endif /* HK_LOCK_H */
