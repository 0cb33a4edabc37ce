/* test-fork-init.c: fork while another thread brings the allocator up.
 * A program's first hk_malloc may come from a thread while the main
 * thread forks (a program that links libhakmem and starts threads
 * first); the child must still be able to allocate.  Each try is a
 * fresh process (../badinput/child.h: this program never allocates
 * through hakmem itself) that starts a thread whose first act is
 * hk_malloc and forks as the thread gets there; a child that hangs is
 * killed by its alarm after 1 s.  Linked (-hk) only: under LD_PRELOAD the
 * allocator is up before main runs. */
#include <pthread.h>
#include <stdatomic.h>

#include "test/api/alloc-api.h"
#include "test/badinput/child.h"

enum { TRIES = 15 };

static atomic_int started;

static void *first_malloc(void *arg)
{
	(void)arg;
	atomic_store(&started, 1);
	ta.free(ta.malloc(100));
	return NULL;
}

/* Exit 0 when the child allocated and exited, 1 otherwise. */
static int one_try(void *arg)
{
	int status = 0;
	pthread_t t;
	pid_t pid;

	(void)arg;
	pthread_create(&t, NULL, first_malloc, NULL);
	while (!atomic_load(&started))
		;
	pid = fork();
	if (pid == 0) {
		alarm(1);
		ta.free(ta.malloc(200));
		_exit(0);
	}
	waitpid(pid, &status, 0);
	pthread_join(t, NULL);
	return !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
	int hung = 0;

	ta_start();
	tap_plan(1);
	for (int i = 0; i < TRIES; i++) {
		struct hk_child c;

		hk_child(one_try, NULL, 10, &c);
		hung += c.sig != 0 || c.code != 0;
	}
	ok_unless_bug(hung == 0, "fork-during-init",
			     "a fork while another thread runs the allocator's first malloc: the child allocates (%d of %d hung)",
			     hung, TRIES);
	return tap_done();
}
