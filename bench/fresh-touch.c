/* fresh-touch: acquire a lot of fresh memory and touch some of it.
 *
 * Allocates TOTAL MiB in blocks of BLOCK KiB and writes PCT percent of
 * its pages (every page at 100, one page in ten at 10), then frees it.
 * Prefaulting backends (huge pages, populate) win when every page is
 * used; lazy mapping wins when most pages are never touched.  The blocks
 * are 64 KiB by default: small enough that an allocator carves them
 * from its own spans (where hakmem's backend applies), large enough that
 * the work is the memory, not the malloc calls.
 * Arguments: total-mib block-kib pct.
 */
#include "bench/bench.h"

int main(int argc, char **argv)
{
	long total = bench_arg(argc, argv, 1, 1024);
	size_t block = (size_t)bench_arg(argc, argv, 2, 64) << 10;
	long pct = bench_arg(argc, argv, 3, 100);
	long n = (long)(((size_t)total << 20) / (block ? block : 1));
	void **b = bench_xmalloc((n > 0 ? n : 1) * sizeof(*b));
	size_t step = pct >= 100 || pct < 1 ? 4096 : 4096 * (size_t)(100 / pct);
	double t = bench_now();

	if (block < 4096)
		return 2;
	for (long i = 0; i < n; i++) {
		b[i] = bench_xmalloc(block);
		bench_touch(b[i], block, step);
	}
	for (long i = 0; i < n; i++)
		free(b[i]);
	bench_result(bench_now() - t, (double)n, NULL);
	free(b);
	return 0;
}
