/* realloc-growth: strings and vectors that grow by realloc.
 *
 * Strings: NSTR strings, in turn, each grow by appends of 1 to 16 bytes
 * (realloc to the exact new length, as a naive string builder does) up
 * to 4 KiB, then start again.  Vectors: capacity doubling from 16 bytes
 * to 1 MiB, the new half written once per page, then freed.
 * Arguments: rounds.
 */
#include "bench/bench.h"

#define RG_NSTR 64
#define RG_STRMAX 4096
#define RG_VECMAX (1 << 20)

static void rg_strings(uint64_t *rng)
{
	char *s[RG_NSTR] = { 0 };
	size_t len[RG_NSTR] = { 0 };

	for (int done = 0; done < RG_NSTR;) {
		done = 0;
		for (int i = 0; i < RG_NSTR; i++) {
			size_t add = 1 + (size_t)(bench_rand(rng) % 16);

			if (len[i] >= RG_STRMAX) {
				done++;
				continue;
			}
			s[i] = realloc(s[i], len[i] + add + 1);
			if (!s[i])
				exit(2);
			memset(s[i] + len[i], 'a', add + 1);
			len[i] += add;
		}
	}
	for (int i = 0; i < RG_NSTR; i++)
		free(s[i]);
}

static void rg_vector(void)
{
	size_t cap = 16;
	char *v = bench_xmalloc(cap);

	memset(v, 1, cap);
	while (cap < RG_VECMAX) {
		v = realloc(v, cap * 2);
		if (!v)
			exit(2);
		bench_touch(v + cap, cap, 4096);
		v[2 * cap - 1] = 1;
		cap *= 2;
	}
	free(v);
}

int main(int argc, char **argv)
{
	long rounds = bench_arg(argc, argv, 1, 200);
	uint64_t rng = bench_seed(7);
	double t = bench_now();

	for (long r = 0; r < rounds; r++) {
		rg_strings(&rng);
		rg_vector();
	}
	bench_result(bench_now() - t, (double)rounds, NULL);
	return 0;
}
