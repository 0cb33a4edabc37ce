/* cache-scratch: passive false sharing, after Hoard's cache-scratch.
 *
 * The main thread allocates one small object per thread, one after the
 * other (so an allocator packs them into one cache line), and hands each
 * to a thread, which frees it and then allocates, writes and frees small
 * objects in a loop.  An allocator that gives the freed neighbour's
 * memory back to the thread that freed it keeps the threads on one line.
 * Arguments: threads iterations writes objsize.
 */
#include "bench.h"

struct scratch_arg {
	void *handed;
	long iterations;
	long writes;
	size_t size;
};

static void *scratch_worker(void *p)
{
	struct scratch_arg *a = p;

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
	int threads = (int)bench_arg(argc, argv, 1, 2);
	long iterations = bench_arg(argc, argv, 2, 20000);
	long writes = bench_arg(argc, argv, 3, 100);
	size_t size = (size_t)bench_arg(argc, argv, 4, 8);
	struct scratch_arg *args = bench_xmalloc(threads * sizeof(*args));
	double t;

	if (threads < 1 || size < 1)
		return 2;
	for (int i = 0; i < threads; i++) {
		args[i] = (struct scratch_arg){ .iterations = iterations,
			.writes = writes, .size = size };
		args[i].handed = bench_xmalloc(size);
		bench_use(args[i].handed, size);
	}
	t = bench_threads(threads, scratch_worker, args, sizeof(*args));
	bench_result(t, (double)threads * iterations, NULL);
	free(args);
	return 0;
}
