/* hk-vm-anonhuge: how much of what a program allocates and writes ends
 * up in transparent huge pages.  Allocates 48 MiB in blocks of 16 KiB
 * (small-object superslabs, well past the first chunks a process
 * takes), writes every byte, and prints "anon_huge_kb=N" from the
 * AnonHugePages line of /proc/self/smaps_rollup (Linux 4.14).
 * test/vm/guest-row.sh runs it preloaded where a row expects no huge
 * page (rows/cgroup-max.vm: under a cgroup limit below 1 GiB the policy
 * keeps 4 KiB pages, which THP "always" would not give a lazy mapping
 * unasked). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BLOCK = 16 << 10, COUNT = 3072 };

int main(void)
{
	static void *b[COUNT];
	char line[256];
	long kb = -1;
	FILE *f;

	for (int i = 0; i < COUNT; i++) {
		b[i] = malloc(BLOCK);
		if (!b[i]) {
			fprintf(stderr, "hk-vm-anonhuge: malloc failed\n");
			return 1;
		}
		memset(b[i], 0x5a, BLOCK);
	}
	f = fopen("/proc/self/smaps_rollup", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	for (int i = 0; i < COUNT; i++)
		free(b[i]);
	if (kb < 0) {
		fprintf(stderr, "hk-vm-anonhuge: no AnonHugePages in /proc/self/smaps_rollup\n");
		return 1;
	}
	printf("anon_huge_kb=%ld\n", kb);
	return 0;
}
