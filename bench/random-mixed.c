/* random-mixed: the workload of the original hakmem report.
 *
 * A working set of WS slots; each step picks a slot at random, frees it
 * if it holds a block, else allocates 16 to 1040 bytes into it.
 * Arguments: iterations ws seed warmup null.  warmup > 0 runs that many
 * untimed steps first (the report measured cold and warm); null=1 does
 * the same steps without calling the allocator, so that callgrind can
 * subtract the loop's own instructions.
 */
#include "bench/bench.h"

static long random_mixed_steps(void **slot, long n, long ws, uint64_t *rng,
			       int null)
{
	long mallocs = 0;

	for (long i = 0; i < n; i++) {
		uint64_t r = bench_rand(rng);
		long k = (long)(r % (uint64_t)ws);
		size_t size = 16 + (size_t)((r >> 32) % 1025);

		if (slot[k]) {
			if (!null)
				free(slot[k]);
			slot[k] = NULL;
		} else {
			slot[k] = null ? (void *)slot : bench_xmalloc(size);
			if (!null)
				bench_use(slot[k], size);
			mallocs++;
		}
	}
	return mallocs;
}

int main(int argc, char **argv)
{
	long n = bench_arg(argc, argv, 1, 1000000);
	long ws = bench_arg(argc, argv, 2, 256);
	uint64_t rng = bench_seed(bench_arg(argc, argv, 3, 42));
	long warmup = bench_arg(argc, argv, 4, 0);
	int null = (int)bench_arg(argc, argv, 5, 0);
	void **slot = calloc(ws, sizeof(*slot));
	char extra[64];
	long mallocs;
	double t;

	if (!slot || n < 0 || ws < 1)
		return 2;
	random_mixed_steps(slot, warmup, ws, &rng, null);
	t = bench_now();
	mallocs = random_mixed_steps(slot, n, ws, &rng, null);
	t = bench_now() - t;
	snprintf(extra, sizeof(extra), "mallocs=%ld", mallocs);
	bench_result(t, (double)n, extra);
	for (long k = 0; k < ws && !null; k++)
		free(slot[k]);
	free(slot);
	return 0;
}
