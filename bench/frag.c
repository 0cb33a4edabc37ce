/* frag: fragmentation.
 *
 * Allocates TOTAL MiB of mixed sizes (70% 16-256 bytes, 25% up to 4 KiB,
 * 5% up to 64 KiB), every page written; frees 90% of the blocks at
 * random; then allocates as many bytes again with sizes half as large
 * again, which fit the holes badly.  The harness reports the peak RSS;
 * this program prints the RSS after the frees and at the end.
 * Arguments: total-mib seed.
 */
#include <fcntl.h>
#include <unistd.h>

#include "bench/bench.h"

static long frag_rss_kb(void)
{
	char buf[128] = "";
	long size = 0;
	long rss = 0;
	int fd = open("/proc/self/statm", O_RDONLY);

	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);

		buf[n > 0 ? n : 0] = 0;
		close(fd);
	}
	sscanf(buf, "%ld %ld", &size, &rss);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static size_t frag_size(uint64_t r)
{
	unsigned p = (unsigned)(r % 100);

	r >>= 8;
	if (p < 70)
		return 16 + (size_t)(r % 241);
	if (p < 95)
		return 257 + (size_t)(r % 3840);
	return 4097 + (size_t)(r % 61440);
}

/* Fills slots from..n-1 with fresh blocks until bytes are allocated;
 * returns the new count. */
static long frag_fill(void **b, long from, long n, size_t bytes,
		      uint64_t *rng, size_t scale)
{
	size_t got = 0;
	long i = from;

	for (; i < n && got < bytes; i++) {
		size_t size = frag_size(bench_rand(rng)) * scale / 2;

		b[i] = bench_xmalloc(size);
		bench_touch(b[i], size, 4096);
		bench_use(b[i], size);
		got += size;
	}
	return i;
}

int main(int argc, char **argv)
{
	size_t total = (size_t)bench_arg(argc, argv, 1, 1024) << 20;
	uint64_t rng = bench_seed(bench_arg(argc, argv, 2, 42));
	long cap = (long)(total / 256) + 1024;
	void **b = bench_xmalloc(cap * sizeof(*b));
	long n, kept = 0;
	long rss_free;
	char extra[96];
	double t = bench_now();

	n = frag_fill(b, 0, cap / 2, total, &rng, 2);
	for (long i = 0; i < n; i++) {
		if (bench_rand(&rng) % 10 == 0)
			b[kept++] = b[i];
		else
			free(b[i]);
	}
	rss_free = frag_rss_kb();
	n = frag_fill(b, kept, cap, total - total / 10, &rng, 3);
	t = bench_now() - t;
	snprintf(extra, sizeof(extra), "rss_after_free_kb=%ld final_rss_kb=%ld",
		 rss_free, frag_rss_kb());
	bench_result(t, (double)n, extra);
	for (long i = 0; i < n; i++)
		free(b[i]);
	free(b);
	return 0;
}
