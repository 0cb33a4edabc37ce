/* test-fork-exit: a fork while another thread is half way through its
 * exit, between the superslabs it hands to the abandoned list.
 *
 * The fork child abandons every heap still live but its own, from what
 * the heap's list of superslabs holds.  A superslab that the exiting
 * thread had put on the abandoned list while its heap's list still led
 * to it went there twice: a cycle in the abandoned list, where the
 * child's next purge walk (malloc_trim here) never ended.  The exiting
 * thread stops, by the wrapper of pthread_mutex_unlock below, right after
 * its first superslab joined the list; the main thread forks then.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "include/hakmem.h"
#include "lib/internal.h"
#include "lib/heap-impl.h"
#include "test/tap.h"
#include "test/badinput/child.h"

#define SIZE 1024
#define NBLK 3000		/* 3 MiB: two superslabs at least */
#define NSS 8

static void *blk[NBLK];
static struct hk_superslab *ss_of[NSS];
static int nss;
static int stop_fd[2], go_fd[2];
static __thread int exiting;
static int stopped;

/* In the exiting thread, once one of its superslabs has no owner and
 * another still has one: tell main, and wait until it has forked. */
int pthread_mutex_unlock(pthread_mutex_t *m)
{
	static int (*real)(pthread_mutex_t *);
	int rc, gone = 0;
	char c;

	if (!real)
		real = (int (*)(pthread_mutex_t *))dlsym(RTLD_NEXT,
							 "pthread_mutex_unlock");
	rc = real(m);
	if (!exiting || stopped || m != &hk_abandoned_lock)
		return rc;
	for (int i = 0; i < nss; i++)
		gone += __atomic_load_n(&ss_of[i]->owner, __ATOMIC_ACQUIRE) == NULL;
	if (gone >= 1 && gone < nss) {
		stopped = 1;
		if (write(stop_fd[1], "s", 1) != 1)
			return rc;
		while (read(go_fd[0], &c, 1) < 0)
			;
	}
	return rc;
}

static void *owner(void *arg)
{
	(void)arg;
	for (int i = 0; i < NBLK; i++) {
		struct hk_superslab *ss;
		int k;

		blk[i] = hk_malloc(SIZE);
		ss = hk_ss_of(blk[i]);
		for (k = 0; k < nss && ss_of[k] != ss; k++)
			;
		if (k == nss && nss < NSS)
			ss_of[nss++] = ss;
	}
	exiting = 1;		/* its blocks stay: the superslabs are kept */
	return NULL;
}

static int child_trim(void *arg)
{
	(void)arg;
	hk_malloc_trim(0);
	for (int i = 0; i < 100; i++)
		hk_free(hk_malloc(SIZE));
	return 0;
}

int main(void)
{
	struct hk_child c;
	pthread_t t;
	char ch;
	int rc;

	tap_plan(2);
	if (pipe(stop_fd) || pipe(go_fd))
		return 1;
	pthread_create(&t, NULL, owner, NULL);
	while (read(stop_fd[0], &ch, 1) < 0)
		;
	tap_ok(nss >= 2, "the exiting thread owned %d superslabs", nss);
	rc = hk_child(child_trim, NULL, 5, &c);
	tap_ok(rc == 0 && c.sig == 0 && c.code == 0,
	       "fork between two superslabs of an exiting thread: the child's "
	       "malloc_trim returns (exit %d, sig %d%s%s)", c.code, c.sig,
	       c.line[0] ? ": " : "", c.line);
	if (write(go_fd[1], "g", 1) != 1)
		return 1;
	pthread_join(t, NULL);
	return tap_done();
}
