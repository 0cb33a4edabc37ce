/* alloc-test: many size classes at once, in the manner of the
 * alloc-test of the rpmalloc benchmark suite.
 *
 * Each thread allocates PER blocks of each of about 40 sizes from 8 bytes
 * to 32 KiB (growing by a quarter each), interleaved, then frees them in
 * a random order, then does it again.
 * Arguments: threads rounds per.
 */
#include "bench/bench.h"

struct at_arg {
	long rounds;
	long per;
	uint64_t rng;
};

static int at_sizes(size_t *size)
{
	int n = 0;

	for (size_t s = 8; s <= 32768 && n < 64; s += (s / 4 + 7) & ~(size_t)7)
		size[n++] = s;
	return n;
}

static void *at_worker(void *p)
{
	struct at_arg *a = p;
	size_t size[64];
	int nsizes = at_sizes(size);
	long n = nsizes * a->per;
	void **b = bench_xmalloc(n * sizeof(*b));
	long *order = bench_xmalloc(n * sizeof(*order));

	for (long i = 0; i < n; i++)
		order[i] = i;
	for (long i = n - 1; i > 0; i--) {
		long j = (long)(bench_rand(&a->rng) % (uint64_t)(i + 1));
		long x = order[i];

		order[i] = order[j];
		order[j] = x;
	}
	for (long r = 0; r < a->rounds; r++) {
		for (long i = 0; i < n; i++) {
			b[i] = bench_xmalloc(size[i % nsizes]);
			bench_use(b[i], size[i % nsizes]);
		}
		for (long i = 0; i < n; i++)
			free(b[order[i]]);
	}
	free(order);
	free(b);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = (int)bench_arg(argc, argv, 1, 1);
	long rounds = bench_arg(argc, argv, 2, 100);
	long per = bench_arg(argc, argv, 3, 100);
	struct at_arg *a = bench_xmalloc(threads * sizeof(*a));
	size_t size[64];
	double t;

	if (threads < 1 || per < 1)
		return 2;
	for (int i = 0; i < threads; i++)
		a[i] = (struct at_arg){ .rounds = rounds, .per = per,
			.rng = bench_seed(i + 1) };
	t = bench_threads(threads, at_worker, a, sizeof(*a));
	bench_result(t, (double)threads * rounds * per * at_sizes(size), NULL);
	free(a);
	return 0;
}
