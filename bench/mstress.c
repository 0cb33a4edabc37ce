/* mstress: a stress test in the manner of mimalloc's test-stress.
 *
 * Rounds of T short-lived threads.  Each step a thread allocates a block
 * of random size (mostly small, sometimes up to 64 KiB, rarely up to
 * 1 MiB), frees one, swaps one of its blocks with a global transfer
 * array (so blocks change owner), or retains one for the whole run
 * (long-lived blocks among short-lived ones).
 * Arguments: threads rounds steps.
 */
#include <stdatomic.h>

#include "bench/bench.h"

#define MS_LOCAL 512
#define MS_TRANSFER 1024
#define MS_RETAIN 4096

static _Atomic(void *) ms_transfer[MS_TRANSFER];
static void *ms_retained[MS_RETAIN];
static atomic_long ms_nretained;

struct ms_arg {
	long steps;
	uint64_t rng;
};

static size_t ms_size(uint64_t r)
{
	if (r % 10000 == 0)
		return 1 + (r >> 20) % (1 << 20);
	if (r % 100 == 0)
		return 1 + (r >> 20) % (64 << 10);
	return 1 + (r >> 20) % 256;
}

static void ms_step(void **local, uint64_t *rng)
{
	uint64_t r = bench_rand(rng);
	long k = (long)((r >> 8) % MS_LOCAL);
	unsigned what = (unsigned)(r % 100);

	if (what < 50) {
		size_t size = ms_size(bench_rand(rng));

		free(local[k]);
		local[k] = bench_xmalloc(size);
		bench_use(local[k], size);
	} else if (what < 70) {
		free(local[k]);
		local[k] = NULL;
	} else if (what < 98) {
		long g = (long)((r >> 32) % MS_TRANSFER);

		local[k] = atomic_exchange(&ms_transfer[g], local[k]);
	} else if (local[k]) {
		long n = atomic_fetch_add(&ms_nretained, 1);

		if (n < MS_RETAIN) {
			ms_retained[n] = local[k];
			local[k] = NULL;
		}
	}
}

static void *ms_worker(void *p)
{
	struct ms_arg *a = p;
	void **local = calloc(MS_LOCAL, sizeof(*local));

	for (long i = 0; i < a->steps; i++)
		ms_step(local, &a->rng);
	for (int k = 0; k < MS_LOCAL; k++)
		free(local[k]);
	free(local);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = (int)bench_arg(argc, argv, 1, 2);
	long rounds = bench_arg(argc, argv, 2, 10);
	long steps = bench_arg(argc, argv, 3, 100000);
	struct ms_arg *a = bench_xmalloc(threads * sizeof(*a));
	double t = 0;

	if (threads < 1)
		return 2;
	for (long r = 0; r < rounds; r++) {
		for (int i = 0; i < threads; i++)
			a[i] = (struct ms_arg){ .steps = steps,
				.rng = bench_seed(r * threads + i + 1) };
		t += bench_threads(threads, ms_worker, a, sizeof(*a));
	}
	bench_result(t, (double)threads * rounds * steps, NULL);
	for (int g = 0; g < MS_TRANSFER; g++)
		free(atomic_load(&ms_transfer[g]));
	for (long n = 0; n < atomic_load(&ms_nretained) && n < MS_RETAIN; n++)
		free(ms_retained[n]);
	free(a);
	return 0;
}
