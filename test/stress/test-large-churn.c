/* test-large-churn.c: malloc/free of 1..64 MiB blocks in a loop, every
 * page touched, two live at a time.  Whatever the large-object cache
 * keeps, the resident size stays within a few times the live set and does
 * not grow from the first iterations to the last. */
#include <unistd.h>

#include "test/api/alloc-api.h"
#include "test/stress/rss.h"

enum { ITERS = 60, LIVE = 2, PHASE = 20 };

static void touch(unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i += 4096)
		p[i] = v;
	p[n - 1] = v;
}

static int touched(const unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i += 4096)
		if (p[i] != v)
			return 0;
	return p[n - 1] == v;
}

int main(void)
{
	unsigned char *live[LIVE] = { 0 };
	size_t size[LIVE] = { 0 }, base, max_rss = 0, excess[2] = { 0, 0 };
	uint64_t s = 42;
	int bad = 0, failed = 0;

	alarm(60);
	ta_start();
	base = rss_bytes();
	for (int it = 0; it < ITERS; it++) {
		int k = it % LIVE;
		size_t n = ((s ^= s << 13, s ^= s >> 7, s ^= s << 17) % 64 + 1) * MiB - it * 4096;

		if (live[k]) {
			bad += !touched(live[k], size[k], (unsigned char)(k + it));
			ta.free(live[k]);
		}
		live[k] = ta.malloc(n);
		size[k] = n;
		if (!live[k]) {
			failed++;
			continue;
		}
		touch(live[k], n, (unsigned char)(k + it + LIVE));

		size_t rss = rss_bytes(), held = size[0] + size[1];
		size_t over = rss > base + held ? rss - base - held : 0;

		max_rss = rss > max_rss ? rss : max_rss;
		if (it < PHASE && over > excess[0])
			excess[0] = over;
		if (it >= ITERS - PHASE && over > excess[1])
			excess[1] = over;
	}
	for (int k = 0; k < LIVE; k++)
		ta.free(live[k]);
	tap_ok(!failed && !bad, "%d large blocks allocated, touched and intact (%d failed, %d bad)",
	       ITERS, failed, bad);
	tap_ok(max_rss <= base + 3 * LIVE * 64 * MiB,
	       "peak resident %zu MiB within 3 times the largest live set (%zu MiB) above the start (%zu MiB)",
	       max_rss / MiB, LIVE * 64 * MiB / MiB, base / MiB);
	ok_unless_bug(excess[1] <= excess[0] + 16 * MiB, "large-cache",
		      "resident beyond the live blocks does not grow: %zu MiB in the first %d iterations, %zu MiB in the last",
		      excess[0] / MiB, PHASE, excess[1] / MiB);
	return tap_done();
}
