/* cache: false sharing, after Hoard's cache-thrash and cache-scratch.
 *
 * thrash (active false sharing): each thread repeatedly allocates a
 * small object, writes it many times and frees it; an allocator that
 * serves two threads from one cache line makes the writes bounce the
 * line between the cores.
 * scratch (passive false sharing): the main thread first allocates one
 * object per thread, one after the other (so they share a line), and
 * hands each to a thread, which frees it before the same loop; an
 * allocator that reuses the freed neighbour in the freeing thread keeps
 * the threads on one line.
 * Arguments: thrash|scratch threads iterations writes objsize.
 */
#include "bench/bench.h"

struct cache_arg {
	void *handed;			/* scratch: freed by the thread first */
	long iterations;
	long writes;
	size_t size;
};

static void *cache_worker(void *p)
{
	struct cache_arg *a = p;

	free(a->handed);
	for (long i = 0; i < a->iterations; i++) {
		volatile char *o = bench_xmalloc(a->size);

		for (long w = 0; w < a->writes; w++)
			for (size_t b = 0; b < a->size; b++)
				o[b] = (char)(o[b] + 1);
		free((void *)o);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int scratch = argc > 1 && !strcmp(argv[1], "scratch");
	int threads = (int)bench_arg(argc, argv, 2, 2);
	long iterations = bench_arg(argc, argv, 3, 20000);
	long writes = bench_arg(argc, argv, 4, 100);
	size_t size = (size_t)bench_arg(argc, argv, 5, 8);
	struct cache_arg *args = bench_xmalloc(threads * sizeof(*args));
	double t;

	if (threads < 1 || size < 1)
		return 2;
	for (int i = 0; i < threads; i++) {
		args[i] = (struct cache_arg){ .iterations = iterations,
			.writes = writes, .size = size };
		if (scratch) {
			args[i].handed = bench_xmalloc(size);
			bench_use(args[i].handed, size);
		}
	}
	t = bench_threads(threads, cache_worker, args, sizeof(*args));
	bench_result(t, (double)threads * iterations, NULL);
	free(args);
	return 0;
}
