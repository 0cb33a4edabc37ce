/* secure-prog.c: the program test/system/setuid.sh copies setuid-root.
 * Linked to libhakmem, so its malloc is hakmem's without LD_PRELOAD
 * (which the dynamic linker ignores in setuid programs); it prints the
 * backend in force and whether the kernel marked it AT_SECURE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include "include/hakmem.h"

int main(void)
{
	char *p = malloc(1000);

	if (!p)
		return 1;
	memset(p, 1, 1000);
	free(p);
	printf("backend: %s\nsecure: %lu\n", hk_backend(), getauxval(AT_SECURE));
	return 0;
}
