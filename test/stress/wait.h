/* wait.h: waiting for a fork child that may hang in the allocator, for
 * the tests that fork (test-fork, test-churn). */
#ifndef HK_TEST_WAIT_H
#define HK_TEST_WAIT_H

#include <signal.h>
#include <sys/wait.h>
#include <time.h>

/* waitpid, polling, for at most twice the child's own alarm of secs:
 * 1 if it ended (*status says how), 0 if it was killed for hanging. */
static inline int bounded_wait(pid_t pid, int *status, int secs)
{
	struct timespec tick = { 0, 2000000 };

	for (int i = 0; i < secs * 2 * 500; i++) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 1;
		if (r < 0)
			return 0;
		nanosleep(&tick, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
	return 0;
}

#endif /* HK_TEST_WAIT_H */
