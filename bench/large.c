/* large: churn of large objects, 1 to 64 MiB.
 *
 * A window of W live blocks; each step replaces a random one with a
 * block of random size between 1 and 64 MiB and writes every page of
 * it, as a program that builds big buffers does.  An allocator that
 * unmaps freed large blocks pays the page faults again each time.
 * Arguments: iterations window seed.
 */
#include "bench/bench.h"

int main(int argc, char **argv)
{
	long n = bench_arg(argc, argv, 1, 100);
	long w = bench_arg(argc, argv, 2, 4);
	uint64_t rng = bench_seed(bench_arg(argc, argv, 3, 42));
	void **slot = calloc(w > 0 ? w : 1, sizeof(*slot));
	double t = bench_now();

	if (!slot || w < 1)
		return 2;
	for (long i = 0; i < n; i++) {
		uint64_t r = bench_rand(&rng);
		long k = (long)(r % (uint64_t)w);
		size_t size = ((size_t)1 << 20) + (size_t)((r >> 16) % (63u << 20));

		free(slot[k]);
		slot[k] = bench_xmalloc(size);
		bench_touch(slot[k], size, 4096);
	}
	t = bench_now() - t;
	bench_result(t, (double)n, NULL);
	for (long k = 0; k < w; k++)
		free(slot[k]);
	free(slot);
	return 0;
}
