/* cache-thrash: active false sharing, after Hoard's cache-thrash.
 *
 * Each thread repeatedly allocates a small object, writes it many times
 * and frees it.  An allocator that serves two threads from the same
 * cache line makes the writes bounce the line between cores.
 * Arguments: threads iterations writes objsize.
 */
#include "bench.h"

struct thrash_arg {
	long iterations;
	long writes;
	size_t size;
};

static void *thrash_worker(void *p)
{
	struct thrash_arg *a = p;

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
	int threads = (int)bench_arg(argc, argv, 1, 2);
	struct thrash_arg a = {
		.iterations = bench_arg(argc, argv, 2, 20000),
		.writes = bench_arg(argc, argv, 3, 100),
		.size = (size_t)bench_arg(argc, argv, 4, 8),
	};
	struct thrash_arg *args = bench_xmalloc(threads * sizeof(a));
	double t;

	if (threads < 1 || a.size < 1)
		return 2;
	for (int i = 0; i < threads; i++)
		args[i] = a;
	t = bench_threads(threads, thrash_worker, args, sizeof(a));
	bench_result(t, (double)threads * a.iterations, NULL);
	free(args);
	return 0;
}
