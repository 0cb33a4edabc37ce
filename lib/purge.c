/* purge.c: when memory that is free goes back to the OS.
 *
 * Free slices and cached large mappings are handed back once they have
 * stayed unused for HAKMEM_PURGE_DELAY_MS, so that a program that frees
 * and allocates again soon does not fault the same pages in twice.  The
 * check runs on slow paths only (no background thread): the coarse
 * monotonic clock is a vDSO read.
 */
#include <time.h>

#include "internal.h"

uint64_t hk_purge_delay = 100;

uint64_t hk_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool hk_purge_due(uint64_t since, uint64_t now)
{
	return now - since >= hk_purge_delay;
}
