/* test-fork.c: fork while other threads allocate.  The child of a
 * multithreaded parent must be able to allocate (the allocator's locks
 * are held across fork) and exit; a child that hangs is killed by its
 * alarm and counts as a failure, and the parent's wait is bounded too. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test/api/alloc-api.h"
#include "test/stress/wait.h"

enum { THREADS = 3, FORKS = 40, CHILD_BLOCKS = 400, CHILD_ALARM = 10 };

static atomic_int stop;

static void *churn(void *arg)
{
	uint64_t s = 88172645463325252ULL + (uintptr_t)arg;
	void *keep[64] = { 0 };

	while (!atomic_load(&stop)) {
		size_t i = (s ^= s << 13, s ^= s >> 7, s ^= s << 17) % 64;

		ta.free(keep[i]);
		keep[i] = ta.malloc(s % 4096 < 4000 ? s % 2048 + 1 : s % (1 << 20));
		if (keep[i])
			memset(keep[i], (int)i, 1);
	}
	for (int i = 0; i < 64; i++)
		ta.free(keep[i]);
	return NULL;
}

static size_t child_size(int i)
{
	return (size_t)(i * 37 % 3000 + 64) * (i % 50 == 0 ? 300 : 1);
}

/* In the child: allocate, check, free; exit 0 only if all went well. */
static void child(void)
{
	void *p[CHILD_BLOCKS];
	int bad = 0;

	alarm(CHILD_ALARM);
	for (int i = 0; i < CHILD_BLOCKS; i++) {
		p[i] = ta.malloc(child_size(i));
		if (!p[i])
			_exit(2);
		ta_fill(p[i], 64, (uintptr_t)i);
	}
	for (int i = 0; i < CHILD_BLOCKS; i++) {
		bad += ta_check(p[i], 64, (uintptr_t)i) != 64;
		ta.free(p[i]);
	}
	_exit(bad ? 3 : 0);
}

int main(void)
{
	pthread_t t[THREADS];
	int ok = 0, hung = 0;

	alarm(120);
	ta_start();
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, churn, (void *)(uintptr_t)i);
	for (int f = 0; f < FORKS; f++) {
		int status = 0;
		pid_t pid = fork();

		if (pid == 0)
			child();
		if (pid < 0) {
			tap_diag("fork: %s", strerror(errno));
			continue;
		}
		if (!bounded_wait(pid, &status, CHILD_ALARM))
			hung++;
		else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			ok++;
		else if (WIFSIGNALED(status))
			tap_diag("child %d killed by signal %d%s", f, WTERMSIG(status),
				 WTERMSIG(status) == SIGALRM ? " (hung in the allocator)" : "");
		else
			tap_diag("child %d exited %d", f, WEXITSTATUS(status));
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	tap_ok(!hung, "no child hung past %d s (%d did)", CHILD_ALARM * 2, hung);
	tap_ok(ok == FORKS, "%d of %d children of a multithreaded parent allocated and exited 0",
	       ok, FORKS);
	return tap_done();
}
