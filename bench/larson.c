/* larson: a server simulation in the manner of Larson and Krishnan's
 * benchmark.
 *
 * Each of T threads owns an array of slots and replaces random slots
 * with fresh blocks of random size; after ops replacements the thread
 * exits and a new thread takes its array over, so most blocks are freed
 * by a thread other than the one that allocated them, and thread heaps
 * are abandoned and adopted all the time.
 * Arguments: threads generations ops slots minsize maxsize.
 */
#include "bench/bench.h"

struct larson_arg {
	void **slot;
	long slots;
	long ops;
	size_t min;
	size_t max;
	uint64_t rng;
};

static void *larson_worker(void *p)
{
	struct larson_arg *a = p;

	for (long i = 0; i < a->ops; i++) {
		uint64_t r = bench_rand(&a->rng);
		long k = (long)(r % (uint64_t)a->slots);
		size_t size = a->min + (size_t)((r >> 32) % (a->max - a->min + 1));

		free(a->slot[k]);
		a->slot[k] = bench_xmalloc(size);
		bench_use(a->slot[k], size);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = (int)bench_arg(argc, argv, 1, 2);
	long gens = bench_arg(argc, argv, 2, 10);
	long ops = bench_arg(argc, argv, 3, 100000);
	long slots = bench_arg(argc, argv, 4, 1000);
	size_t min = (size_t)bench_arg(argc, argv, 5, 8);
	size_t max = (size_t)bench_arg(argc, argv, 6, 1000);
	struct larson_arg *a = bench_xmalloc(threads * sizeof(*a));
	double t = 0;

	if (threads < 1 || slots < 1 || min < 1 || max < min)
		return 2;
	for (int i = 0; i < threads; i++) {
		a[i] = (struct larson_arg){ .slots = slots, .ops = ops,
			.min = min, .max = max, .rng = bench_seed(i + 1) };
		a[i].slot = calloc(slots, sizeof(void *));
		if (!a[i].slot)
			return 2;
	}
	for (long g = 0; g < gens; g++)
		t += bench_threads(threads, larson_worker, a, sizeof(*a));
	bench_result(t, (double)threads * gens * ops, NULL);
	for (int i = 0; i < threads; i++) {
		for (long k = 0; k < slots; k++)
			free(a[i].slot[k]);
		free(a[i].slot);
	}
	free(a);
	return 0;
}
