/* test-trim.c: malloc_trim gives memory back.  200 MiB of small blocks
 * are written, freed (a block allocated last stays, so a heap that only
 * shrinks from the top cannot hand it back on free), then malloc_trim(0):
 * the resident size must come down by most of the 200 MiB. */
#include <unistd.h>

#include "test/api/alloc-api.h"
#include "test/stress/rss.h"

enum { TOTAL_MIB = 200 };

int main(void)
{
	size_t n = 0, bytes = 0, cap = TOTAL_MIB * MiB / 32, base, full, freed, trimmed;
	void **p, *sentinel;
	int r;

	alarm(60);
	ta_start();
	p = calloc(cap, sizeof(*p));	/* the test's own array: glibc or preloaded */
	base = rss_bytes();
	while (bytes < TOTAL_MIB * MiB && n < cap) {
		size_t s = 32 + (n * 97) % 480;

		p[n] = ta.malloc(s);
		if (!p[n])
			break;
		memset(p[n], 0x5a, s);
		bytes += s;
		n++;
	}
	sentinel = ta.malloc(64);
	full = rss_bytes();
	for (size_t i = 0; i < n; i++)
		ta.free(p[i]);
	freed = rss_bytes();
	r = ta.malloc_trim(0);
	trimmed = rss_bytes();
	tap_diag("rss: start %zu MiB, %zu small blocks written %zu MiB, freed %zu MiB, after malloc_trim(0) %zu MiB (statm: %zu MiB, lazily freed pages included)",
		 base / MiB, n, full / MiB, freed / MiB, trimmed / MiB, statm_bytes(1) / MiB);
	tap_ok(bytes >= TOTAL_MIB * MiB && full >= base + bytes / 2,
	       "%zu MiB of small blocks allocated and resident", bytes / MiB);
	tap_ok(r == 1 || trimmed >= freed, "malloc_trim(0) returns 1 when it released memory (%d)", r);
	ok_unless_bug(trimmed <= base + bytes / 4, "empty-slab-kept",
		      "after free and malloc_trim(0) at most a quarter of the %zu MiB stays resident (%zu MiB above the start)",
		      bytes / MiB, trimmed > base ? (trimmed - base) / MiB : 0);
	ta.free(sentinel);
	free(p);
	return tap_done();
}
