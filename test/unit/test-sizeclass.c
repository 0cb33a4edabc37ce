/* test-sizeclass: every size up to HK_SMALL_MAX maps to a class that
 * holds it, the smallest such class, with the waste bound of
 * sizeclass.h; the tables agree with the rule. */
#include "lib/sizeclass.h"
#include "test/tap.h"

int main(void)
{
	size_t bad_fit = 0, bad_waste = 0, bad_min = 0, bad_align = 0, bad_span = 0;
	int monotone = 1;

	tap_plan(7);
	for (size_t s = 0; s <= HK_SMALL_MAX; s++) {
		unsigned c = hk_size_class(s);
		size_t bs = hk_class_size[c];

		if (c >= HK_NCLASS || bs < s || (s == 0 && bs == 0))
			bad_fit++;
		else if (c > 0 && hk_class_size[c - 1] >= s && s > 0)
			bad_min++;
		if (s > 128 && (bs - s) * 8 > bs)
			bad_waste++;
		if (s <= 128 && bs - s >= 16 && s > 0)
			bad_waste++;
	}
	for (unsigned c = 0; c < HK_NCLASS; c++) {
		size_t room = (hk_class_size[c] <= 65536 ? 8 : 4) * (size_t)hk_class_size[c];
		size_t want = (room + 32767) >> 15;

		if (hk_class_size[c] % 16)
			bad_align++;
		if (c && hk_class_size[c] <= hk_class_size[c - 1])
			monotone = 0;
		if (hk_class_span[c] != (want < 32 ? want : 32) ||
		    ((size_t)hk_class_span[c] << 15) < 3 * (size_t)hk_class_size[c])
			bad_span++;
	}
	tap_ok(bad_fit == 0, "every size fits its class (%zu bad)", bad_fit);
	tap_ok(bad_min == 0, "the class is the smallest that fits (%zu bad)", bad_min);
	tap_ok(bad_waste == 0, "waste <= 1/8 above 128 B, < 16 B below (%zu bad)", bad_waste);
	tap_ok(bad_align == 0, "class sizes are multiples of 16");
	tap_ok(monotone, "class sizes increase");
	tap_ok(hk_class_size[HK_NCLASS - 1] == HK_SMALL_MAX, "last class is HK_SMALL_MAX");
	tap_ok(bad_span == 0, "slabs have room for 8 blocks (4 above 64 KiB), at least 3, at most 32 slices");
	return tap_done();
}
