/* tiny: the smallest program that allocates, for the startup cost. */
#include <stdlib.h>

int main(void)
{
	volatile char *p = malloc(16);

	if (!p)
		return 1;
	p[0] = 1;
	free((void *)p);
	return 0;
}
