/* test-os-threads.c: the OS layer from several threads at once: the
 * first calls race into hk_os_init, then chunks are taken and given back
 * through the shared reservations and cache; every chunk a thread holds
 * must be its own (a pattern per thread survives the others' work), and a
 * fork in the middle must leave the child able to take chunks. */
#include <pthread.h>
#include <sys/wait.h>

#include "lib/os.h"
#include "test/unit/os-test.h"
#include "test/tap.h"

#define THREADS 4
#define HELD 6
#define ROUNDS 40

static int go;

static void *worker(void *arg)
{
	unsigned char tag = (unsigned char)(uintptr_t)arg;
	void *held[HELD];
	bool fresh;
	long bad = 0;

	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		;
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < HELD; i++) {
			if (hk_os_chunk_alloc(HK_CHUNK_SIZE, &held[i], &fresh) != 0)
				return (void *)1;
			memset(held[i], tag, 8192);
		}
		for (int i = 0; i < HELD; i++) {
			bad += ((unsigned char *)held[i])[8191] != tag;
			hk_os_chunk_free(held[i], HK_CHUNK_SIZE);
		}
	}
	return (void *)(uintptr_t)(bad != 0);
}

int main(void)
{
	pthread_t t[THREADS];
	int status = -1, failed = 0;
	pid_t pid;

	tap_plan(2);
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(i + 1));
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	hk_os_fork_prepare();
	pid = fork();
	if (pid == 0) {
		void *p;
		bool fresh;

		hk_os_fork_child();
		_exit(hk_os_chunk_alloc(HK_CHUNK_SIZE, &p, &fresh) != 0);
	}
	hk_os_fork_parent();
	waitpid(pid, &status, 0);
	for (int i = 0; i < THREADS; i++) {
		void *ret;

		pthread_join(t[i], &ret);
		failed += ret != NULL;
	}
	tap_ok(failed == 0, "%d threads x %d rounds of %d chunks, each kept its own",
	       THREADS, ROUNDS, HELD);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "a child forked among them takes a chunk");
	return tap_done();
}
