/* test-idle-purge.c: a program that frees much and then falls quiet
 * gives the memory back without calling the allocator again.  128 MiB of
 * small blocks are written and freed (but for one block allocated last)
 * in a burst, then the process sleeps 2 s, far past the purge delay
 * (100 ms), with no allocator call in any thread: the resident size must
 * have come down by most of the 128 MiB.
 *   1. the burst in the main thread;
 *   2. the burst in a thread that then waits on a condition variable.
 * Each case runs in a child of its own, from the same start.  glibc
 * keeps such blocks below its top chunk (TODO there). */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../api/alloc-api.h"
#include "rss.h"

enum { TOTAL_MIB = 128 };

struct rss_seen {
	size_t base, full, quiet;
	int stray;			/* blocks that failed to allocate */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int stage;
static struct rss_seen seen;

static void set_stage(int s)
{
	pthread_mutex_lock(&mu);
	stage = s;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static void wait_stage(int s)
{
	pthread_mutex_lock(&mu);
	while (stage < s)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
}

/* Write and free TOTAL_MIB of blocks of 16 to 1024 bytes; the block
 * allocated last stays, returned (so that a heap that only shrinks from
 * its top cannot give anything back on free). */
static void *fill_and_free(void)
{
	size_t cap = TOTAL_MIB * MiB / 16, n = 0, bytes = 0;
	void **p = calloc(cap, sizeof(*p));	/* the test's own: glibc or preloaded */
	void *last;

	while (bytes < TOTAL_MIB * MiB && n < cap) {
		size_t s = 16 + (n * 37) % 1009;

		p[n] = ta.malloc(s);
		if (!p[n]) {
			seen.stray++;
			break;
		}
		memset(p[n], 0x5a, s);
		bytes += s;
		n++;
	}
	last = ta.malloc(64);
	seen.full = rss_bytes();
	for (size_t i = 0; i < n; i++)
		ta.free(p[i]);
	free(p);
	return last;
}

static void *burst_then_wait(void *arg)
{
	void *last = fill_and_free();

	(void)arg;
	set_stage(1);
	wait_stage(2);
	ta.free(last);
	return NULL;
}

static void quiet_child(bool thread)
{
	pthread_t t;
	void *last = NULL;

	alarm(60);
	seen.base = rss_bytes();
	if (thread) {
		pthread_create(&t, NULL, burst_then_wait, NULL);
		wait_stage(1);
	} else {
		last = fill_and_free();
	}
	sleep(2);
	seen.quiet = rss_bytes();
	if (thread) {
		set_stage(2);
		pthread_join(t, NULL);
	}
	ta.free(last);
}

static void quiet_case(bool thread)
{
	const char *who = thread ? "a waiting thread" : "the main thread";
	int fd[2], st = -1;
	pid_t pid;

	if (pipe(fd) != 0 || (pid = fork()) < 0) {
		tap_ok(0, "%s: pipe and fork", who);
		tap_ok(0, "%s: not run", who);
		return;
	}
	if (pid == 0) {
		quiet_child(thread);
		_exit(write(fd[1], &seen, sizeof(seen)) == (ssize_t)sizeof(seen) ? 0 : 1);
	}
	close(fd[1]);
	if (read(fd[0], &seen, sizeof(seen)) != (ssize_t)sizeof(seen))
		seen.full = 0;
	close(fd[0]);
	waitpid(pid, &st, 0);
	tap_diag("burst in %s: rss start %zu MiB, written %zu MiB, after the frees and 2 s with no allocator call %zu MiB",
		 who, seen.base / MiB, seen.full / MiB, seen.quiet / MiB);
	tap_ok(st == 0 && !seen.stray && seen.full >= seen.base + TOTAL_MIB * MiB / 2,
	       "burst in %s: %d MiB resident (child status %#x)", who, TOTAL_MIB, st);
	ok_unless_glibc(st == 0 && seen.quiet <= seen.base + TOTAL_MIB * MiB / 4,
			"glibc keeps freed small blocks below its top chunk",
			"burst in %s: 2 s after the frees, with no allocator call, at most a quarter stays resident (%zu MiB above the start)",
			who, seen.quiet > seen.base ? (seen.quiet - seen.base) / MiB : 0);
}

int main(void)
{
	ta_start();
	tap_plan(4);
	quiet_case(false);
	quiet_case(true);
	return tap_done();
}
