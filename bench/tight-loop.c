/* tight-loop: malloc/free loops in the manner of glibc's
 * bench-malloc-simple.
 *
 * Each thread allocates a batch of blocks, then frees them all, over and
 * over; the block size steps through 16..512 bytes from one batch to the
 * next.  batch=1 is the plain malloc/free pair.
 * Arguments: threads iterations batch.
 */
#include "bench/bench.h"

struct tight_arg {
	long iterations;
	long batch;
};

static void *tight_worker(void *p)
{
	struct tight_arg *a = p;
	void **b = bench_xmalloc(a->batch * sizeof(*b));

	for (long i = 0; i < a->iterations; i++) {
		size_t size = (size_t)16 << (i % 6);

		for (long k = 0; k < a->batch; k++) {
			b[k] = bench_xmalloc(size);
			bench_use(b[k], size);
		}
		for (long k = 0; k < a->batch; k++)
			free(b[k]);
	}
	free(b);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = (int)bench_arg(argc, argv, 1, 1);
	struct tight_arg a = {
		.iterations = bench_arg(argc, argv, 2, 100000),
		.batch = bench_arg(argc, argv, 3, 100),
	};
	struct tight_arg *args = bench_xmalloc(threads * sizeof(a));
	double t;

	if (threads < 1 || a.batch < 1)
		return 2;
	for (int i = 0; i < threads; i++)
		args[i] = a;
	t = bench_threads(threads, tight_worker, args, sizeof(a));
	bench_result(t, (double)threads * a.iterations * a.batch, NULL);
	free(args);
	return 0;
}
