/* test-fmt.c: the allocation-free formatter against snprintf. */
#include <stdint.h>
#include <string.h>

#include "probe/fmt.h"
#include "test/tap.h"

#define SAME(want, ...) do {						\
	char a[64], b[64];						\
	hk_fmt(a, sizeof(a), __VA_ARGS__);				\
	snprintf(b, sizeof(b), __VA_ARGS__);				\
	tap_ok(strcmp(a, b) == 0 && strcmp(a, want) == 0,		\
	       "%s -> '%s' (libc '%s')", #__VA_ARGS__, a, b);		\
} while (0)

int main(void)
{
	char small[6];
	size_t n;

	SAME("x=42", "x=%d", 42);
	SAME("-7|", "%d|", -7);
	SAME("  -7", "%4d", -7);
	SAME("-007", "%04d", -7);
	SAME("ff", "%x", 255u);
	SAME("18446744073709551615", "%lu", (unsigned long)UINT64_MAX);
	SAME("-9223372036854775808", "%lld", (long long)INT64_MIN);
	SAME("4096", "%zu", (size_t)4096);
	SAME("ab   |", "%-5s|", "ab");
	SAME("   ab", "%5s", "ab");
	SAME("12  |", "%-4d|", 12);
	SAME("c%", "%c%%", 'c');
	SAME("0x1000", "%p", (void *)0x1000);

	n = hk_fmt(small, sizeof(small), "%s", "truncated");
	tap_ok(n == 5 && strcmp(small, "trunc") == 0,
	       "truncates to the buffer and NUL-terminates (%zu '%s')", n, small);
	return tap_done();
}
