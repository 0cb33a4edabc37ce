/* test-fork-unlock.c: fork releases each of the allocator's mutexes once.
 *
 * hakmem's prepare handler takes every mutex of the allocator and its
 * parent handler releases them.  A mutex released twice there is a race
 * and not a deadlock, so nothing hangs: when another thread takes it
 * between the two releases, the second release frees it under that
 * thread, and a third thread enters the same section beside it (the
 * segment map's writers did, one fork in a few thousand while threads
 * mapped large blocks).  So this program catches the second release
 * itself: it interposes pthread_mutex_unlock (the executable's
 * definition comes first in the lookup of libhakmem.so's calls, and the
 * linked pieces call it directly) and counts the releases of a mutex
 * that nobody holds.  glibc's malloc calls its own mutexes internally,
 * so under it the count stays 0 as well.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>

#include "test/api/alloc-api.h"
#include "test/stress/wait.h"

enum { FORKS = 4, FORK_WAIT_S = 20 };

static int (*real_unlock)(pthread_mutex_t *);
static int unheld;		/* releases of a mutex that was free */

__attribute__((visibility("default")))
int pthread_mutex_unlock(pthread_mutex_t *m)
{
	if (!real_unlock)
		real_unlock = (int (*)(pthread_mutex_t *))
			dlsym(RTLD_NEXT, "pthread_mutex_unlock");
	/* glibc's lock word: 0 free, 1 held, 2 held with waiters. */
	if (__atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED) == 0)
		__atomic_add_fetch(&unheld, 1, __ATOMIC_RELAXED);
	return real_unlock(m);
}

int main(void)
{
	void *small, *large;
	int failed = 0;

	ta_start();
	tap_plan(1);
	/* Every layer in use: a small block, a large one (segment map). */
	small = ta.malloc(100);
	large = ta.malloc(5 << 20);
	for (int i = 0; i < FORKS; i++) {
		pid_t pid = fork();
		int status = 0;

		if (pid == 0) {
			ta.free(ta.malloc(200));
			_exit(0);
		}
		if (pid < 0 || !bounded_wait(pid, &status, FORK_WAIT_S) ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
	}
	ta.free(large);
	ta.free(small);
	tap_ok(failed == 0 && __atomic_load_n(&unheld, __ATOMIC_RELAXED) == 0,
	       "%d forks: no mutex released while free (%d such releases, %d forks failed)",
	       FORKS, unheld, failed);
	return tap_done();
}
