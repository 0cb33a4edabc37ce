/* stage.h: for the tests of memory given back (test-remote-trim,
 * test-idle-purge): threads that wait for each other's steps, and cases
 * that run in a child of their own (each from the same resident start)
 * and report what they measured through a pipe. */
#ifndef HK_TEST_STAGE_H
#define HK_TEST_STAGE_H

#include <pthread.h>
#include <unistd.h>

#include "test/stress/wait.h"

static pthread_mutex_t stage_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stage_cv = PTHREAD_COND_INITIALIZER;
static int stage;

static inline void set_stage(int s)
{
	pthread_mutex_lock(&stage_mu);
	stage = s;
	pthread_cond_broadcast(&stage_cv);
	pthread_mutex_unlock(&stage_mu);
}

static inline void wait_stage(int s)
{
	pthread_mutex_lock(&stage_mu);
	while (stage < s)
		pthread_cond_wait(&stage_cv, &stage_mu);
	pthread_mutex_unlock(&stage_mu);
}

/* Run fn(arg) in a child under alarm(secs); the child sends the len
 * bytes at out back, which land at out here.  The child's wait status,
 * or -1 if it could not run, hung or sent nothing. */
static inline int run_in_child(void (*fn)(void *), void *arg, void *out,
			       size_t len, int secs)
{
	int fd[2], st = -1;
	pid_t pid;

	if (pipe(fd) != 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	if (pid == 0) {
		close(fd[0]);
		alarm(secs);
		fn(arg);
		_exit(write(fd[1], out, len) == (ssize_t)len ? 0 : 1);
	}
	close(fd[1]);
	if (!bounded_wait(pid, &st, secs))
		st = -1;
	if (read(fd[0], out, len) != (ssize_t)len)
		st = -1;
	close(fd[0]);
	return st;
}

#endif /* HK_TEST_STAGE_H */
