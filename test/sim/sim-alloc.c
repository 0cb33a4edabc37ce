/* sim-alloc.c: a workload for test/sim/matrix.sh: MIB mebibytes in
 * blocks of SIZE bytes, all live at once, each filled with a pattern of
 * its own and checked before it is freed.  Under a small hugetlb pool
 * with HAKMEM_BACKEND=hugetlb it takes more superslabs than the pool
 * holds, so the OS layer must demote in the middle of the run and go on.
 *
 * Usage: sim-alloc [MIB [SIZE]]   (default 48 MiB of 1000-byte blocks)
 * Exit 0 when every block was allocated and read back intact, else 1.
 * Plain C, no link to hakmem: run it with libhakmem.so preloaded.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char sim_pattern(size_t i)
{
	return (unsigned char)(i * 2654435761u >> 24);
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 48;
	size_t size = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000;
	size_t n = size ? (mib << 20) / size : 0, bad = 0;
	unsigned char **blocks = calloc(n ? n : 1, sizeof(*blocks));

	if (!blocks || !n) {
		fprintf(stderr, "sim-alloc: nothing to do, or no table\n");
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		blocks[i] = malloc(size);
		if (!blocks[i]) {
			fprintf(stderr, "sim-alloc: malloc(%zu) #%zu failed\n", size, i);
			return 1;
		}
		memset(blocks[i], sim_pattern(i), size);
	}
	for (size_t i = 0; i < n; i++) {
		bad += blocks[i][0] != sim_pattern(i) || blocks[i][size - 1] != sim_pattern(i);
		free(blocks[i]);
	}
	free(blocks);
	printf("sim-alloc: %zu blocks of %zu bytes, %zu bad\n", n, size, bad);
	return bad != 0;
}
