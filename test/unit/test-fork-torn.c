/* test-fork-torn: a fork child allocates from the slab of a thread that
 * the fork stopped half way through a malloc.
 *
 * Nothing orders the plain stores of hk_slab_bump: GCC -O2 counts nbump
 * before it advances bump, GCC -O1, clang -O2 and the sanitizers' builds
 * the other way round.  A fork between the two leaves the child, which
 * takes the stopped thread's superslab over, a descriptor with nbump one
 * short of bump: the child's next block from bump then failed the block
 * check when freed ("free(): invalid pointer").  The case makes such a
 * descriptor by hand in a parked thread's slab, as the fork would have
 * seen it, and checks the child's mallocs and frees there, and that a
 * slot beyond the bump pointer is still no block.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "include/hakmem.h"
#include "lib/internal.h"
#include "test/tap.h"
#include "test/badinput/child.h"

#define SIZE 320
#define FEW 4			/* blocks the parked thread allocates */
#define CHILD 16		/* blocks the child allocates */

static void *blk[FEW];
static int parked;
static int park_fd[2];		/* the thread parks reading park_fd[0] */

static void *park(void *arg)
{
	char c;

	(void)arg;
	for (int i = 0; i < FEW; i++)
		blk[i] = hk_malloc(SIZE);
	__atomic_store_n(&parked, 1, __ATOMIC_RELEASE);
	while (read(park_fd[0], &c, 1) < 0)
		;
	return NULL;
}

/* The child's mallocs of SIZE take the parked thread's slab, the only
 * one of the class. */
static int child_malloc_free(void *arg)
{
	void *p[CHILD];

	(void)arg;
	for (int i = 0; i < CHILD; i++)
		p[i] = hk_malloc(SIZE);
	for (int i = 0; i < CHILD; i++)
		hk_free(p[i]);
	return 0;
}

/* A slot of that slab never handed out, beyond the bump pointer. */
static int child_free_beyond(void *arg)
{
	struct hk_slab *s = arg;

	hk_free(hk_malloc(SIZE));
	hk_free(s->bump);
	return 0;
}

int main(void)
{
	struct hk_slab *s, saved;
	struct hk_child c;
	pthread_t t;
	int rc;

	tap_plan(2);
	if (pipe(park_fd))
		return 1;
	pthread_create(&t, NULL, park, NULL);
	while (!__atomic_load_n(&parked, __ATOMIC_ACQUIRE))
		usleep(1000);
	/* Stopped in hk_slab_bump after bump moved on, before nbump did. */
	s = hk_slab_of(hk_ss_of(blk[0]), blk[0]);
	saved = *s;
	s->nbump--;

	rc = hk_child(child_malloc_free, NULL, 10, &c);
	tap_ok(rc == 0 && c.sig == 0 && c.code == 0,
	       "fork between the bump and nbump stores of a malloc: the child's "
	       "blocks of that slab free (exit %d, sig %d%s%s)", c.code, c.sig,
	       c.line[0] ? ": " : "", c.line);
	rc = hk_child(child_free_beyond, s, 10, &c);
	tap_ok(rc == 0 && c.sig == SIGABRT && strstr(c.line, "invalid pointer"),
	       "a slot beyond its bump pointer is still no block there ('%s')",
	       c.line);

	*s = saved;
	if (write(park_fd[1], "x", 1) != 1)
		return 1;
	pthread_join(t, NULL);
	return tap_done();
}
